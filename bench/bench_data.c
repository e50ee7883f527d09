/* SPDX-License-Identifier: MIT
 *
 * bench_data.c — how fast a dataset plugin turns files into batches, and
 * whether the run loop's loader keeps a training step waiting.
 *
 *   bench_data [--items N] [--steps N] KEY=VALUE...
 *
 * KEY=VALUE are run keys, as for `genlab train`: train.dataset=cifar10
 * dataset.dir=... dataset.size=64 ... (train.trainer defaults to the test
 * plugin's "fit", a linear classifier: a step far cheaper than any real
 * model's, so the worst case for a loader).
 *
 * 1. read: the dataset's read() called inline on one thread for N items
 *    in batches of train.batch, twice: the first pass decodes and
 *    transforms (filling the uint8 cache when it fits), the second reads
 *    the cache. Images/s of each, and the peak resident memory.
 * 2. run: genlab_run_train for --steps steps with train.prefetch on and
 *    off; the mean data_time (time a step waited for its batch) and
 *    step_time from the run's curves, steps 1.. (step 0 warms up).
 *
 * Plugins come from GL_BENCH_PLUGIN_DIRS (the build tree's plugins/data
 * and tests) unless GENLAB_PLUGIN_PATH is set. The store and checkpoints go
 * to a temporary directory, removed at the end. Prints one TSV line per
 * measurement on stdout; progress on stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "genlab/genlab.h"

#include "bench_clock.h"

#ifndef GL_BENCH_PLUGIN_DIRS
#error "GL_BENCH_PLUGIN_DIRS (the build tree's plugin directories) must be defined"
#endif

static int die(const char *what, const char *why)
{
    fprintf(stderr, "bench_data: %s: %s\n", what, why);
    return 1;
}

/* configure — the run keys: defaults, then the command line's */
static genlab_config *configure(genlab_registry *reg, int argc, char **argv, const char *prefetch)
{
    genlab_config *cfg;
    if (genlab_config_create(&cfg) != GL_OK || genlab_run_declare(cfg) != GL_OK)
        return NULL;
    genlab_config_set(cfg, "train.trainer", "fit", "bench default");
    genlab_config_set(cfg, "train.log_every", "1", "bench default");
    genlab_config_set(cfg, "train.ckpt_every", "0", "bench default");
    genlab_config_set_args(cfg, argc, (const char *const *)argv);
    genlab_config_set(cfg, "train.prefetch", prefetch, "bench");
    if (genlab_config_resolve(cfg, reg) != GL_OK) {
        fprintf(stderr, "bench_data: %s\n", genlab_config_errmsg(cfg));
        genlab_config_destroy(cfg);
        return NULL;
    }
    return cfg;
}

/* read_passes — part 1 */
static int read_passes(genlab_registry *reg, const genlab_config *cfg, int64_t items)
{
    genlab_ctx *ctx;
    genlab_ctx_options co = {.n_threads = 1};
    if (genlab_ctx_create(&co, &ctx) != GL_OK)
        return die("context", "out of memory");
    genlab_host host;
    genlab_host_init(&host, reg, ctx, cfg);
    const genlab_component *c;
    const genlab_config *scope;
    if (genlab_config_component(cfg, "train.dataset", GL_KIND_DATASET, &c, &scope) != GL_OK || !c)
        return die("train.dataset", "not set");
    const genlab_dataset_i *ds = c->iface;
    genlab_data_spec spec;
    void *state;
    if (ds->open(&host, scope, "train", &spec, &state) != GL_OK)
        return die(c->name, genlab_ctx_errmsg(ctx));
    int64_t batch = genlab_config_int(cfg, "train.batch");
    if (items <= 0 || items > spec.n_items)
        items = spec.n_items;
    int64_t *idx = malloc((size_t)batch * sizeof *idx);
    fprintf(stderr, "read: %s, %" PRId64 " of %" PRId64 " items of %dx%dx%d, batch %" PRId64 "\n",
            c->name, items, spec.n_items, spec.channels, spec.height, spec.width, batch);
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        double t0 = bench_clock_s(CLOCK_MONOTONIC);
        for (int64_t at = 0; at < items && !rc; at += batch) {
            int64_t n = items - at < batch ? items - at : batch;
            for (int64_t i = 0; i < n; i++)
                idx[i] = at + i;
            genlab_ctx_step_begin(ctx);
            genlab_batch b = {NULL, NULL};
            if (ds->read(ctx, state, idx, n, &b) != GL_OK)
                rc = die(c->name, genlab_ctx_errmsg(ctx));
        }
        double s = bench_clock_s(CLOCK_MONOTONIC) - t0;
        printf("read\t%s\t%s\t%" PRId64 "\t%.0f\timages/s\t%.3f\tms/batch\t%ld\tMiB peak RSS\n",
               c->name, pass ? "cached" : "decode", items, (double)items / s,
               1e3 * s / (double)((items + batch - 1) / batch), bench_peak_rss_mib());
    }
    free(idx);
    ds->close(state);
    genlab_ctx_destroy(ctx);
    return rc;
}

typedef struct means {
    double data_ms, step_ms;
} means;

static int mean_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    means *m = user;
    m->data_ms = values[0] ? 1e3 * atof(values[0]) : -1;
    m->step_ms = values[1] ? 1e3 * atof(values[1]) : -1;
    return 0;
}

/* run — part 2, for one prefetch setting; --steps wins over train.steps */
static int run(genlab_registry *reg, int argc, char **argv, const char *dir, const char *prefetch,
               int64_t steps)
{
    char db[4200], steps_kv[64];
    snprintf(db, sizeof db, "%s/bench.db", dir);
    snprintf(steps_kv, sizeof steps_kv, "train.steps=%" PRId64, steps);
    char **args = malloc((size_t)(argc + 1) * sizeof *args);
    if (!args)
        return die("run", "out of memory");
    memcpy(args, argv, (size_t)argc * sizeof *args);
    args[argc] = steps_kv;
    genlab_config *cfg = configure(reg, argc + 1, args, prefetch);
    free(args);
    genlab_store *store;
    if (!cfg || genlab_store_open(db, false, &store) != GL_OK) {
        genlab_config_destroy(cfg);
        return die(db, "no configuration or no store");
    }
    genlab_run_result r;
    genlab_run_train(reg, cfg, store, NULL, &r);
    int rc = r.code == GL_OK ? 0 : die("run", r.message);
    char sql[512];
    means m = {-1, -1};
    snprintf(sql, sizeof sql, "SELECT (SELECT avg(value) FROM metrics WHERE run_id = %lld AND "
             "key = 'data_time' AND step > 0), (SELECT avg(value) FROM metrics WHERE run_id = "
             "%lld AND key = 'step_time' AND step > 0)", (long long)r.run_id,
             (long long)r.run_id);
    if (!rc && genlab_store_query(store, sql, mean_row, &m) == GL_OK)
        printf("run\t%s\tprefetch=%s\t%" PRId64 "\tsteps\t%.3f\tms data_time\t%.3f\tms "
               "step_time\t%ld\tMiB peak RSS\n",
               genlab_config_str(cfg, "train.dataset"), prefetch, r.steps_done, m.data_ms,
               m.step_ms, bench_peak_rss_mib());
    genlab_store_close(store);
    genlab_config_destroy(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    int64_t items = 0, steps = 200;
    int i = 1;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--items"))
            items = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps"))
            steps = atoll(argv[i + 1]);
        else
            return die(argv[i], "unknown option (--items N, --steps N)");
    }
    const char *path = getenv("GENLAB_PLUGIN_PATH");
    genlab_registry *reg;
    if (genlab_registry_create(path && *path ? path : GL_BENCH_PLUGIN_DIRS, &reg) != GL_OK)
        return die("registry", "out of memory");
    genlab_plugin_load_all(reg);
    genlab_config *cfg = configure(reg, argc - i, argv + i, "true");
    if (!cfg)
        return 2;
    char dir[] = "/tmp/genlab-bench-data-XXXXXX";
    if (!mkdtemp(dir))
        return die("mkdtemp", "cannot make a temporary directory");
    int rc = read_passes(reg, cfg, items);
    genlab_config_destroy(cfg);
    for (int p = 0; p < 2 && !rc; p++)
        rc = run(reg, argc - i, argv + i, dir, p ? "false" : "true", steps);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_data: could not remove %s\n", dir);
    genlab_registry_destroy(reg);
    return rc;
}
