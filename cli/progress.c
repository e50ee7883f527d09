/* SPDX-License-Identifier: MIT
 *
 * progress.c — the progress line and progress log of progress.h.
 *
 * Sections: measuring, the terminal line, the log line, progress.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

/* a redraw at most every 0.1 s: faster is flicker and wasted syscalls */
#define REDRAW_SECONDS 0.1
#define BAR_MAX 30   /* characters of the bar on a wide terminal */
#define BAR_MIN 10   /* narrower than this, the bar is left out */

/* ---- measuring ---- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* stats — "45/150  loss 0.4127  812.5 it/s  ETA 0:00" (sep between
 * fields) into buf; the rate and ETA once a step has been timed. */
static void stats(const cli_progress *p, long long step, double loss, double now,
                  const char *sep, char *buf, size_t size)
{
    int n = p->total > 0 ? snprintf(buf, size, "%lld/%lld", step, p->total)
                         : snprintf(buf, size, "%lld", step);
    if (!isnan(loss) && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "%sloss %.4f", sep, loss);
    double dt = now - p->t_first;
    long long done = step - p->first_step;
    if (done <= 0 || dt <= 0 || n < 0 || (size_t)n >= size)
        return;
    double rate = (double)done / dt;
    n += snprintf(buf + n, size - (size_t)n, "%s%.1f it/s", sep, rate);
    if (p->total <= 0 || (size_t)n >= size)
        return;
    long long eta = llround((double)(p->total - step) / rate);
    if (eta >= 3600)
        snprintf(buf + n, size - (size_t)n, "%sETA %lld:%02lld:%02lld", sep, eta / 3600,
                 eta / 60 % 60, eta % 60);
    else
        snprintf(buf + n, size - (size_t)n, "%sETA %lld:%02lld", sep, eta / 60, eta % 60);
}

/* ---- the terminal line ---- */

static int terminal_columns(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void draw(cli_progress *p, long long step, double loss, double now)
{
    char st[160], bar[BAR_MAX + 3] = "";
    stats(p, step, loss, now, "  ", st, sizeof st);
    /* one column short of the width: a full line would wrap on some terminals */
    int room = terminal_columns(p->out) - 1;
    int width = room - (int)strlen(p->label) - (int)strlen(st) - 4;   /* spaces, brackets */
    width = width > BAR_MAX ? BAR_MAX : width;
    if (p->total > 0 && width >= BAR_MIN) {
        long long clamped = step < 0 ? 0 : step > p->total ? p->total : step;
        int filled = (int)(clamped * width / p->total);
        bar[0] = '[';
        memset(bar + 1, '#', (size_t)filled);
        memset(bar + 1 + filled, '-', (size_t)(width - filled));
        bar[width + 1] = ']';
        bar[width + 2] = '\0';
    }
    char line[sizeof st + sizeof bar + 64];
    snprintf(line, sizeof line, "%s%s%s %s", p->label, bar[0] ? " " : "", bar, st);
    /* \r: back to the line's start; ESC[K: clear what a longer line left */
    fprintf(p->out, "\r%.*s\033[K", room > 0 ? room : 0, line);
    fflush(p->out);
    p->open_line = true;
    p->t_drawn = now;
}

/* ---- the log line ---- */

static void log_line(const cli_progress *p, long long step, double loss, double now)
{
    char st[160];
    stats(p, step, loss, now, " ", st, sizeof st);
    fprintf(p->out, "%s step %s\n", p->label, st);
}

/* ---- progress ---- */

void cli_progress_start(cli_progress *p, FILE *out, const char *label, long long total,
                        long long log_every)
{
    const char *term = getenv("TERM");
    *p = (cli_progress){
        .out = out,
        .label = label,
        .total = total,
        .log_every = log_every >= 1 ? log_every : 1,
        .tty = isatty(fileno(out)) && !(term && !strcmp(term, "dumb")),
        .first_step = -1,
    };
}

void cli_progress_update(cli_progress *p, long long step, double loss)
{
    double now = now_seconds();
    if (p->first_step < 0) {
        p->first_step = step;
        p->t_first = now;
    }
    bool last = p->total > 0 && step >= p->total;
    if (p->tty) {
        if (last || !p->open_line || now - p->t_drawn >= REDRAW_SECONDS)
            draw(p, step, loss, now);
    } else if (last || step % p->log_every == 0) {
        log_line(p, step, loss, now);
    }
}

void cli_progress_finish(cli_progress *p)
{
    if (p->open_line)
        fputc('\n', p->out);
    p->open_line = false;
}
