/* SPDX-License-Identifier: MIT
 *
 * plot.c — the line plots of plot.h, drawn with cairo's image surface
 * (PNG) or SVG surface; the geometry is the same for both.
 *
 * It draws; it does not read the store (cmd_plot.c gathers the curves).
 *
 * Sections: text, ranges and ticks, drawing, output.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cairo-svg.h>
#include <cairo.h>

#include "plot.h"

enum { DEFAULT_W = 720, DEFAULT_H = 450, MAX_SIDE = 8192, LABEL_MAX = 60 };

/* tab10, the colours most plotting tools cycle through */
static const double palette[10][3] = {
    {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
    {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
    {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
};

/* ---- text ---- */

/* clean_text — s made valid UTF-8 for cairo (which refuses anything else),
 * control characters as spaces, cut to LABEL_MAX bytes; into buf */
static const char *clean_text(const char *s, char *buf, size_t size)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && o + 5 < size;) {
        size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3
                                                     : (*p & 0xF8) == 0xF0 ? 4 : 0;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                n = 0;
        if (n == 2 && *p < 0xC2)
            n = 0;   /* overlong */
        if (n == 0) {
            buf[o++] = '?';
            p++;
            continue;
        }
        if (n == 1 && (*p < 0x20 || *p == 0x7F))
            buf[o++] = ' ';
        else
            memcpy(buf + o, p, n), o += n;
        p += n;
        if (o >= LABEL_MAX) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* ---- ranges and ticks ---- */

/* nice — a "nice" number near x (1, 2, 5 or 10 times a power of ten):
 * rounded when round, else the smallest not below x (Heckbert, Graphics
 * Gems, 1990) */
static double nice(double x, bool round)
{
    double e = floor(log10(x)), f = x / pow(10, e), n;
    if (round)
        n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return n * pow(10, e);
}

/* An axis: its range in data units (log10 units on a log axis) and ticks. */
typedef struct axis {
    double lo, hi, step;
    bool   log;
} axis;

/* axis_fit — a range with nice ends covering [min, max], about 5 ticks */
static void axis_fit(axis *a, double min, double max, bool log)
{
    a->log = log;
    if (!(min <= max)) {   /* no finite point */
        min = 0;
        max = 1;
    } else if (log) {
        min = log10(min);
        max = log10(max);
    }
    if (log) {
        a->lo = floor(min);
        a->hi = ceil(max);
        if (a->hi <= a->lo)
            a->hi = a->lo + 1;
        a->step = a->hi - a->lo > 8 ? ceil((a->hi - a->lo) / 8) : 1;
        return;
    }
    if (max - min < 1e-12 * fmax(1, fabs(max))) {
        double pad = fabs(max) > 0 ? fabs(max) * 0.1 : 1;
        min -= pad;
        max += pad;
    }
    a->step = nice(nice(max - min, false) / 5, true);
    a->lo = floor(min / a->step) * a->step;
    a->hi = ceil(max / a->step) * a->step;
}

/* usable — y can be drawn on the axis */
static bool usable(const axis *a, double y)
{
    return isfinite(y) && (!a->log || y > 0);
}

/* ---- drawing ---- */

typedef struct frame {
    double x0, y0, x1, y1;   /* the plot area in device units (y0 top) */
    axis   x, y;
} frame;

static double map_x(const frame *f, double v)
{
    return f->x0 + (v - f->x.lo) / (f->x.hi - f->x.lo) * (f->x1 - f->x0);
}

static double map_y(const frame *f, double v)
{
    if (f->y.log)
        v = log10(v);
    return f->y1 - (v - f->y.lo) / (f->y.hi - f->y.lo) * (f->y1 - f->y0);
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double align_x,
                    double align_y)
{
    char buf[LABEL_MAX + 16];
    const char *t = clean_text(s, buf, sizeof buf);
    cairo_text_extents_t e;
    cairo_text_extents(cr, t, &e);
    cairo_move_to(cr, x - align_x * e.width - e.x_bearing, y - align_y * e.height - e.y_bearing);
    cairo_show_text(cr, t);
}

static void draw_axes(cairo_t *cr, const frame *f, const cli_plot_spec *spec)
{
    cairo_set_line_width(cr, 1);
    cairo_set_font_size(cr, 11);
    char label[32];
    /* grid and tick labels; a step added n times, not accumulated */
    int nx = (int)lround((f->x.hi - f->x.lo) / f->x.step);
    for (int i = 0; i <= nx; i++) {
        double v = f->x.lo + i * f->x.step, px = map_x(f, v);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, px, f->y0);
        cairo_line_to(cr, px, f->y1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        snprintf(label, sizeof label, "%.6g", fabs(v) < 1e-9 * f->x.step ? 0 : v);
        text_at(cr, px, f->y1 + 6, label, 0.5, 0);
    }
    int ny = (int)lround((f->y.hi - f->y.lo) / f->y.step);
    for (int i = 0; i <= ny; i++) {
        double v = f->y.lo + i * f->y.step;
        double py = f->y1 - (v - f->y.lo) / (f->y.hi - f->y.lo) * (f->y1 - f->y0);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, f->x0, py);
        cairo_line_to(cr, f->x1, py);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        if (f->y.log)
            snprintf(label, sizeof label, "%.6g", pow(10, v));
        else
            snprintf(label, sizeof label, "%.6g", fabs(v) < 1e-9 * f->y.step ? 0 : v);
        text_at(cr, f->x0 - 6, py, label, 1, 0.5);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_rectangle(cr, f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
    cairo_stroke(cr);
    if (spec->xlabel)
        text_at(cr, (f->x0 + f->x1) / 2, f->y1 + 26, spec->xlabel, 0.5, 0);
    if (spec->ylabel) {
        cairo_save(cr);
        cairo_translate(cr, 16, (f->y0 + f->y1) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, 0, 0, spec->ylabel, 0.5, 0.5);
        cairo_restore(cr);
    }
    if (spec->title) {
        cairo_set_font_size(cr, 13);
        text_at(cr, (f->x0 + f->x1) / 2, 10, spec->title, 0.5, 0);
    }
}

/* draw_series — the pieces of one series between its unusable points */
static void draw_series(cairo_t *cr, const frame *f, const cli_series *s, const double rgb[3])
{
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, 1.5);
    cairo_save(cr);
    cairo_rectangle(cr, f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
    cairo_clip(cr);
    size_t i = 0;
    while (i < s->n) {
        while (i < s->n && !(isfinite(s->x[i]) && usable(&f->y, s->y[i])))
            i++;
        size_t start = i;
        while (i < s->n && isfinite(s->x[i]) && usable(&f->y, s->y[i]))
            i++;
        if (i == start)
            break;
        if (i - start == 1) {
            cairo_arc(cr, map_x(f, s->x[start]), map_y(f, s->y[start]), 2.5, 0, 2 * M_PI);
            cairo_fill(cr);
            continue;
        }
        cairo_move_to(cr, map_x(f, s->x[start]), map_y(f, s->y[start]));
        for (size_t k = start + 1; k < i; k++)
            cairo_line_to(cr, map_x(f, s->x[k]), map_y(f, s->y[k]));
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

static void draw_legend(cairo_t *cr, const frame *f, const cli_series *series, size_t n)
{
    size_t shown = n > CLI_PLOT_LEGEND_MAX ? CLI_PLOT_LEGEND_MAX : n;
    if (shown == 0)
        return;
    cairo_set_font_size(cr, 11);
    double w = 0;
    char buf[LABEL_MAX + 16];
    for (size_t i = 0; i < shown; i++) {
        cairo_text_extents_t e;
        cairo_text_extents(cr, clean_text(series[i].label, buf, sizeof buf), &e);
        w = fmax(w, e.x_advance);
    }
    char more[64] = "";
    if (shown < n) {
        snprintf(more, sizeof more, "(and %zu more, not listed)", n - shown);
        cairo_text_extents_t e;
        cairo_text_extents(cr, more, &e);
        w = fmax(w, e.x_advance - 28);
    }
    double line = 15, bw = w + 40, bh = (double)(shown + (more[0] != 0)) * line + 8;
    double bx = f->x1 - bw - 8, by = f->y0 + 8;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (size_t i = 0; i < shown; i++) {
        double y = by + 4 + line * ((double)i + 0.5);
        const double *c = palette[i % 10];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, 2);
        cairo_move_to(cr, bx + 6, y);
        cairo_line_to(cr, bx + 28, y);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text_at(cr, bx + 34, y, series[i].label, 0, 0.5);
    }
    if (more[0])
        text_at(cr, bx + 6, by + 4 + line * ((double)shown + 0.5), more, 0, 0.5);
}

/* draw — the whole plot on cr, w x h device units */
static void draw(cairo_t *cr, int w, int h, const cli_plot_spec *spec, const cli_series *series,
                 size_t n)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    axis probe = {.log = spec->logy};
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!isfinite(x) || !usable(&probe, y))
                continue;
            xmin = fmin(xmin, x), xmax = fmax(xmax, x);
            ymin = fmin(ymin, y), ymax = fmax(ymax, y);
        }
    frame f = {.x0 = 72, .y0 = spec->title ? 32 : 14, .x1 = w - 16, .y1 = h - 48};
    axis_fit(&f.x, xmin, xmax, false);
    axis_fit(&f.y, ymin, ymax, spec->logy);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    draw_axes(cr, &f, spec);
    for (size_t s = 0; s < n; s++)
        draw_series(cr, &f, &series[s], palette[s % 10]);
    if (!(xmin <= xmax)) {
        cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
        cairo_set_font_size(cr, 14);
        text_at(cr, (f.x0 + f.x1) / 2, (f.y0 + f.y1) / 2, "no data", 0.5, 0.5);
    }
    draw_legend(cr, &f, series, n);
}

/* ---- output ---- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

int cli_plot_write(const char *path, const cli_plot_spec *spec, const cli_series *series,
                   size_t n, char *err, size_t errsize)
{
    int w = spec->width ? spec->width : DEFAULT_W, h = spec->height ? spec->height : DEFAULT_H;
    if (w < 160 || h < 120 || w > MAX_SIDE || h > MAX_SIDE) {
        snprintf(err, errsize, "plot size %dx%d is outside 160x120 to %dx%d", w, h, MAX_SIDE,
                 MAX_SIDE);
        return -1;
    }
    bool png = ends_with(path, ".png");
    if (!png && !ends_with(path, ".svg")) {
        snprintf(err, errsize, "\"%s\": a plot file ends in .png or .svg", path);
        return -1;
    }
    cairo_surface_t *surf = png ? cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h)
                                : cairo_svg_surface_create(path, w, h);
    cairo_t *cr = cairo_create(surf);
    draw(cr, w, h, spec, series, n);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && png)
        st = cairo_surface_write_to_png(surf, path);
    cairo_surface_finish(surf);   /* an SVG surface writes its file here */
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surf);
    cairo_surface_destroy(surf);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errsize, "writing the plot \"%s\": %s", path, cairo_status_to_string(st));
        return -1;
    }
    return 0;
}
