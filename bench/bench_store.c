/* SPDX-License-Identifier: MIT
 *
 * bench_store.c — what logging training metrics into the experiment store
 * costs per row: the buffered call alone, the write of a full buffer, and
 * both together with the default thresholds (the training loop's view,
 * including the worst single call, the one that writes).
 *
 * Not a test (not run by make check): build with `make bench/bench_store`,
 * run `bench/bench_store [ROWS [DB]]` (default 1000000 rows into a
 * temporary file, removed afterwards). The budget it checks: logging a
 * step's metrics must cost under 1% of a training step; a small model's step
 * takes ~10 ms, so 8 metrics per step may take 100 us, 12.5 us per row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "genlab/genlab.h"

#include "bench_clock.h"

#define KEYS_PER_STEP 8
#define STEP_BUDGET_NS 100000.0   /* 1% of a 10 ms step */

static const char *const keys[KEYS_PER_STEP] = {
    "loss_g", "loss_d", "lr_g", "lr_d", "grad_norm_g", "grad_norm_d", "data_time", "step_time",
};

static int fail(genlab_store *s, const char *what)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, genlab_store_errmsg(s));
    genlab_store_close(s);
    return 1;
}

/* log_rows — n rows as a training loop would write them; returns the time
 * in ns and the slowest call in *worst. */
static double log_rows(genlab_store *s, int64_t run, long n, long first, double *worst,
                       genlab_status *st)
{
    double t0 = 1e9 * bench_clock_s(CLOCK_MONOTONIC), prev = t0;
    *worst = 0;
    *st = GL_OK;
    for (long i = 0; i < n && *st == GL_OK; i++) {
        long r = first + i;
        *st = genlab_store_metric(s, run, r / KEYS_PER_STEP, keys[r % KEYS_PER_STEP],
                                  1.0 / (double)(r + 1));
        double t = 1e9 * bench_clock_s(CLOCK_MONOTONIC);
        if (t - prev > *worst)
            *worst = t - prev;
        prev = t;
    }
    return prev - t0;
}

int main(int argc, char **argv)
{
    long rows = argc > 1 ? atol(argv[1]) : 1000000;
    char tmp[] = "/tmp/genlab-bench-XXXXXX";
    char path[64];
    const char *db = argc > 2 ? argv[2] : NULL;
    if (rows < 1000) {
        fprintf(stderr, "usage: bench_store [ROWS >= 1000 [DB]]\n");
        return 2;
    }
    if (!db) {
        if (!mkdtemp(tmp)) {
            perror("bench_store: mkdtemp");
            return 1;
        }
        snprintf(path, sizeof path, "%s/bench.db", tmp);
        db = path;
    }
    genlab_store *s = NULL;
    if (genlab_store_open(db, false, &s) != GL_OK)
        return fail(s, "open");
    genlab_run_info info = {.trainer = "bench"};
    int64_t run;
    if (genlab_store_run_begin(s, &info, &run, NULL) != GL_OK)
        return fail(s, "run_begin");

    /* 1. the buffered call alone: thresholds out of reach */
    genlab_status st;
    double worst;
    if (genlab_store_set_metric_flush(s, (size_t)rows + 1, 1e9) != GL_OK)
        return fail(s, "set_metric_flush");
    double t_buf = log_rows(s, run, rows, 0, &worst, &st);
    if (st != GL_OK)
        return fail(s, "metric");
    /* 2. writing all of it in one transaction */
    double t0 = 1e9 * bench_clock_s(CLOCK_MONOTONIC);
    if (genlab_store_flush(s) != GL_OK)
        return fail(s, "flush");
    double t_flush = 1e9 * bench_clock_s(CLOCK_MONOTONIC) - t0;

    /* 3. the defaults (a write every 1000 rows or 5 s) */
    if (genlab_store_set_metric_flush(s, 1000, 5.0) != GL_OK)
        return fail(s, "set_metric_flush");
    double t_all = log_rows(s, run, rows, rows, &worst, &st);
    if (st != GL_OK)
        return fail(s, "metric");
    if (genlab_store_run_end(s, run, GL_RUN_COMPLETED, GL_OK, NULL) != GL_OK)
        return fail(s, "run_end");
    if (genlab_store_close(s) != GL_OK)
        return fail(NULL, "close");

    double per_row = t_all / (double)rows;
    printf("bench_store: %ld rows per phase, %d metrics per step, database %s\n", rows,
           KEYS_PER_STEP, db);
    printf("  buffered call only          %8.1f ns/row\n", t_buf / (double)rows);
    printf("  write (one transaction)     %8.1f ns/row\n", t_flush / (double)rows);
    printf("  defaults (1000 rows / 5 s)  %8.1f ns/row, slowest call %.1f us\n", per_row,
           worst / 1e3);
    printf("  per step of %d metrics       %8.2f us = %.3f%% of a 10 ms step (budget 1%%)\n",
           KEYS_PER_STEP, per_row * KEYS_PER_STEP / 1e3,
           100.0 * per_row * KEYS_PER_STEP / (STEP_BUDGET_NS * 100.0));
    if (db == path) {
        char f[96];
        static const char *const suffix[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(f, sizeof f, "%s%s", path, suffix[i]);
            unlink(f);
        }
        rmdir(tmp);
    }
    return per_row * KEYS_PER_STEP <= STEP_BUDGET_NS ? 0 : 1;
}
