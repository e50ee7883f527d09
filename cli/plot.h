/* SPDX-License-Identifier: MIT
 *
 * plot.h — line plots drawn with cairo: axes with "nice" ticks, a legend,
 * an optional logarithmic y axis, several series; written as PNG or SVG by
 * the file name's extension. And the store side: the curves of runs
 * (metrics) or their scores against the step, gathered and plotted, which
 * `genlab plot` and `genlab report --html` share.
 *
 * It is not a general plotting library: one kind of chart (lines over a
 * step axis), no styling options.
 *
 * Sections: drawing, runs.
 */
#ifndef GENLAB_CLI_PLOT_H
#define GENLAB_CLI_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/* ---- drawing ---- */

/* One line: n points (x[i], y[i]). A non-finite y (NaN: a NULL in the
 * store), or one <= 0 on a log axis, breaks the line there; a point with no
 * neighbour on its piece is drawn as a dot. */
typedef struct cli_series {
    const char   *label;   /* legend text (any bytes: invalid UTF-8 is replaced) */
    size_t        n;
    const double *x, *y;
} cli_series;

typedef struct cli_plot_spec {
    const char *title, *xlabel, *ylabel;   /* NULL: none */
    bool        logy;                      /* logarithmic y axis (decades) */
    int         width, height;             /* pixels (PNG) or points (SVG); 0: 720 x 450 */
} cli_plot_spec;

/* The legend names this many series at most (more would cover the plot),
 * and says how many it leaves out. */
#define CLI_PLOT_LEGEND_MAX 20

/* cli_plot_write — draw series[0..n-1] into the file path, a PNG when it
 * ends in ".png", an SVG when it ends in ".svg". With no finite point the
 * axes are drawn with "no data". Returns 0, or -1 with a message in err
 * (size errsize): another extension, a file that cannot be written. */
int cli_plot_write(const char *path, const cli_plot_spec *spec, const cli_series *series,
                   size_t n, char *err, size_t errsize);

/* ---- runs ---- */

/* What to plot of a set of runs. */
typedef struct cli_plot_request {
    const char *metrics;   /* comma-separated metric keys, or NULL */
    const char *score;     /* a score's metric (score vs step), or NULL; with
                              neither, every metric key containing "loss" */
    bool        logy;
    const char *title;     /* NULL: made from what is plotted */
} cli_plot_request;

/* cli_plot_runs — the curves of runs ids[0..n-1] overlaid in one plot
 * written to path (.png or .svg), one series per run and key; the legend
 * names a run by its id and the parameters that differ between the runs.
 * *nseries: OUT (may be NULL): how many series had a point. Returns an
 * exit status (CLI_EXIT_OK, or CLI_EXIT_FAILURE with the message printed
 * for help). */
int cli_plot_runs(const cli_help *help, genlab_store *s, const long long *ids, size_t n,
                  const cli_plot_request *req, const char *path, size_t *nseries);

#endif /* GENLAB_CLI_PLOT_H */
