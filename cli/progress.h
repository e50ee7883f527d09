/* SPDX-License-Identifier: MIT
 *
 * progress.h — progress of a long loop (training steps) on the genlab
 * program's stderr.
 *
 * On a terminal: one line redrawn in place, at most 10 times a second,
 *     convnet [#########-----------]  45/150  loss 0.4127  812.5 it/s  ETA 0:00
 * fitted to the terminal's width (the bar goes first when it is narrow).
 * Anywhere else (a log file, a pipe, TERM=dumb): a plain line every
 * log_every steps and at the last step,
 *     convnet step 50/150 loss 0.3921 806.1 it/s ETA 0:00
 * so that logs stay readable and small. The rate is measured from the first
 * update (setup time is not a step), the ETA assumes it stays.
 *
 * It is not thread-safe and holds no resources: a cli_progress lives on the
 * caller's stack. It does not handle other output interleaved with a
 * terminal line; print after cli_progress_finish.
 */
#ifndef GENLAB_CLI_PROGRESS_H
#define GENLAB_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct cli_progress {
    FILE       *out;
    const char *label;       /* not owned: must outlive the progress */
    long long   total;       /* last step; <= 0: unknown (no bar, no ETA) */
    long long   log_every;   /* steps between plain lines */
    bool        tty;         /* redraw one line in place */
    bool        open_line;   /* a terminal line is drawn and not yet ended */
    long long   first_step;  /* step of the first update (-1: none yet) */
    double      t_first;     /* its time, seconds */
    double      t_drawn;     /* time of the last redraw */
} cli_progress;

/* cli_progress_start — set p up for steps up to total on out (stderr for
 * the program), logging every log_every (>= 1) steps when out is not a
 * terminal. label names the loop. */
void cli_progress_start(cli_progress *p, FILE *out, const char *label, long long total,
                        long long log_every);

/* cli_progress_update — step is done; loss is its loss (NaN: none shown).
 * Cheap when nothing is due: a clock read. */
void cli_progress_update(cli_progress *p, long long step, double loss);

/* cli_progress_finish — end the terminal line, if one is drawn. */
void cli_progress_finish(cli_progress *p);

#endif /* GENLAB_CLI_PROGRESS_H */
