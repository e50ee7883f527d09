/* SPDX-License-Identifier: MIT
 *
 * bench_run.c — what logging the curves costs inside the run loop, as a
 * share of the time spent in training steps. It runs genlab_run_train on
 * the mock plugin's trainer and dataset (built by `make check` into
 * tests/.libs) for a few image sizes and logging intervals, and prints the
 * loop's own measurement: time inside the trainer's step() and time inside
 * the store's buffered metric logger (flushes and the final write included).
 *
 * Not a test (not run by make check): build with `make bench/bench_run`
 * after `make check`, run `bench/bench_run [PLUGIN_DIR]`. The budget is
 * that logging costs under 1 % of a step. The mock's step is far cheaper
 * than a real model's (a mean over the batch, no backward), so its small
 * images are a worst case; the per-step logging cost in microseconds is
 * what to hold against a real trainer's step time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "genlab/genlab.h"

#ifndef GL_BENCH_PLUGIN_DIR
#define GL_BENCH_PLUGIN_DIR "tests/.libs"
#endif

/* one configuration: image size, batch, logging interval, steps */
static const struct {
    int size, batch, log_every, steps;
} cases[] = {
    {8, 64, 1, 4000},    /* tiny steps, every step logged: the worst case */
    {8, 64, 10, 4000},   /* ... with the default interval */
    {64, 64, 1, 400},    /* 64x64 images, 64 a batch: still no backward pass */
    {64, 64, 10, 400},
};

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : GL_BENCH_PLUGIN_DIR;
    char plugin[4096], tmp[] = "/tmp/genlab-bench-run-XXXXXX", db[64];
    snprintf(plugin, sizeof plugin, "%s/mock_plugin.so", dir);
    genlab_registry *reg = NULL;
    if (genlab_registry_create(dir, &reg) != GL_OK || genlab_plugin_load(reg, plugin) != GL_OK) {
        fprintf(stderr, "bench_run: %s (run `make check` first, or give the directory of "
                "mock_plugin.so)\n", reg ? genlab_registry_errmsg(reg) : "out of memory");
        genlab_registry_destroy(reg);
        return 1;
    }
    if (!mkdtemp(tmp)) {
        perror("bench_run: mkdtemp");
        genlab_registry_destroy(reg);
        return 1;
    }
    snprintf(db, sizeof db, "%s/run.db", tmp);
    genlab_store *store = NULL;
    int rc = genlab_store_open(db, false, &store) == GL_OK ? 0 : 1;
    if (rc)
        fprintf(stderr, "bench_run: %s\n", genlab_store_errmsg(store));
    printf("%5s %5s %9s %6s %12s %16s %9s\n", "size", "batch", "log_every", "steps",
           "step (ms)", "logging (us/st)", "share");
    for (size_t i = 0; !rc && i < sizeof cases / sizeof cases[0]; i++) {
        char args[5][64];
        snprintf(args[0], sizeof args[0], "dataset.size=%d", cases[i].size);
        snprintf(args[1], sizeof args[1], "train.batch=%d", cases[i].batch);
        snprintf(args[2], sizeof args[2], "train.log_every=%d", cases[i].log_every);
        snprintf(args[3], sizeof args[3], "train.steps=%d", cases[i].steps);
        snprintf(args[4], sizeof args[4], "mock.n_critic=1");
        const char *const argv_cfg[] = {"train.trainer=mock", "train.dataset=mock", args[0],
                                        args[1], args[2], args[3], args[4]};
        genlab_config *cfg = NULL;
        genlab_run_result r;
        if (genlab_config_create(&cfg) != GL_OK || genlab_run_declare(cfg) != GL_OK ||
            genlab_config_set_args(cfg, 7, argv_cfg) != GL_OK ||
            genlab_config_resolve(cfg, reg) != GL_OK) {
            fprintf(stderr, "bench_run: %s\n", cfg ? genlab_config_errmsg(cfg) : "out of memory");
            rc = 1;
        } else if (genlab_run_train(reg, cfg, store, NULL, &r) != GL_OK) {
            fprintf(stderr, "bench_run: %s\n", r.message);
            rc = 1;
        } else {
            double steps = (double)r.steps_done;
            printf("%5d %5d %9d %6d %12.4f %16.2f %8.3f%%\n", cases[i].size, cases[i].batch,
                   cases[i].log_every, cases[i].steps, 1e3 * r.step_seconds / steps,
                   1e6 * r.log_seconds / steps, 100.0 * r.log_seconds / r.step_seconds);
        }
        genlab_config_destroy(cfg);
    }
    printf("budget: logging < 1%% of a step (share = logging time / time in step())\n");
    if (genlab_store_close(store) != GL_OK)
        rc = 1;
    genlab_registry_destroy(reg);
    char path[128];
    static const char *const files[] = {"run.db", "run.db-wal", "run.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, files[i]);
        unlink(path);
    }
    rmdir(tmp);
    return rc;
}
