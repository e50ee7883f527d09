/* SPDX-License-Identifier: MIT
 *
 * bench_trainer.h — timing a trainer component's step() the way
 * ../shared/bench/torch_ref.py times PyTorch's iterations, shared by
 * bench_gan.c, bench_vae.c and bench_diffusion.c (each lists its models and their settings;
 * everything else is here): the trainer is created from "key=value"
 * settings without a run, fed the same random batch of images (64 unless
 * --batch) in [-1, 1] at every step (copied into the step's arena as the
 * run loop's loader does), stepped `warmup` untimed and `steps` timed
 * times, and one TSV line printed: model, ms/iteration (the median, as
 * torch_ref.py), images/s, peak RSS (MiB), the fastest iteration, then the
 * backend, its peak device memory (MiB, 0 on the CPU), its device and the
 * compute precision.
 * --backend cuda runs on the CUDA plugin (each step is timed to its
 * synchronisation: the GPU's queued work included). --precision sets the
 * context's compute precision (context.h) as train.precision does; under
 * f16 the trainer gets a dynamic loss scaler as a run's (train.loss_scale
 * auto), updated after each step, so the step's price includes it.
 *
 * Plugins come from the build tree (the dirs a program passes) unless
 * GENLAB_PLUGIN_PATH is set. Header-only: each bench is one program.
 *
 * Sections: output, one model, the command line (the clock is bench_clock.h).
 */
#ifndef GENLAB_BENCH_TRAINER_H
#define GENLAB_BENCH_TRAINER_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "genlab/genlab.h"

#include "bench_clock.h"

enum { BT_BATCH = 64, BT_MAX_ARGS = 16 };

/* What the command line sets beyond the model. */
typedef struct bt_options {
    int         steps, warmup, threads, batch;
    const char *backend;    /* genlab_ctx_options.backend */
    const char *precision;  /* one of genlab_precision_names */
} bt_options;

/* ---- output ---- */

/* bt_print_notes — the backend's notes (its algorithm choices), each line
 * as a "# " comment: kept in the logs, left out of summaries that drop
 * comment lines (bench/cuda_check.sh) */
static void bt_print_notes(const char *notes)
{
    while (*notes) {
        size_t len = strcspn(notes, "\n");
        printf("# %.*s\n", (int)len, notes);
        notes += len + (notes[len] == '\n');
    }
}

/* the batch source: the same random images every time, copied into the
 * step's arena as the run loop's loader does */
static genlab_status bt_next_batch(genlab_ctx *ctx, void *context, genlab_batch *out)
{
    genlab_tensor *real = context;
    out->x = genlab_tensor_new(ctx, GL_F32, 4, (const int64_t[]){genlab_tensor_dim(real, 0),
                                                                genlab_tensor_dim(real, 1),
                                                                genlab_tensor_dim(real, 2),
                                                                genlab_tensor_dim(real, 3)});
    out->y = NULL;
    if (!out->x)
        return genlab_ctx_status(ctx);
    /* in the backend's memory (a device copy on the GPU) */
    return genlab_tensor_copy_into(ctx, out->x, real);
}

/* ---- one model ---- */

/* What a bench program says about one model. */
typedef struct bt_model {
    const char *name;                  /* torch_ref.py's */
    const char *args[BT_MAX_ARGS];     /* "key=value" settings, NULL-terminated */
    int         c, hw;                 /* the images: c x hw x hw */
    int         steps, warmup;         /* torch_ref.py's DEFAULTS */
} bt_model;

/* bt_bench — time m (see the file comment); who prefixes messages. Returns
 * 0, or 1 after a message on stderr. */
static int bt_bench(const char *who, genlab_registry *reg, const bt_model *m,
                    const bt_options *o)
{
    const int steps = o->steps > 0 ? o->steps : m->steps;
    const int warmup = o->warmup >= 0 ? o->warmup : m->warmup;
    const int64_t nb = o->batch > 0 ? o->batch : BT_BATCH;
    char batch[64];
    snprintf(batch, sizeof batch, "train.batch=%" PRId64, nb);
    const char *args[BT_MAX_ARGS + 1] = {batch};
    int n = 1;
    while (n < BT_MAX_ARGS && m->args[n - 1])
        args[n] = m->args[n - 1], n++;
    genlab_config *cfg;
    if (genlab_config_create(&cfg) != GL_OK || genlab_run_declare(cfg) != GL_OK)
        return 1;
    genlab_config_set_args(cfg, n, args);
    if (genlab_config_resolve(cfg, reg) != GL_OK) {
        fprintf(stderr, "%s: %s: %s\n", who, m->name, genlab_config_errmsg(cfg));
        genlab_config_destroy(cfg);
        return 1;
    }
    genlab_ctx *ctx;
    genlab_ctx_options co = {.seed = 0, .n_threads = o->threads, .backend = o->backend,
                             .registry = reg};
    if (genlab_ctx_create(&co, &ctx) != GL_OK) {
        fprintf(stderr, "%s: %s: backend %s: %s\n", who, m->name, o->backend,
                genlab_registry_errmsg(reg));
        genlab_config_destroy(cfg);
        return 1;
    }
    genlab_precision prec = GL_PRECISION_FP32;
    while (prec < GL_PRECISION_COUNT && strcmp(genlab_precision_names[prec], o->precision))
        prec++;
    genlab_loss_scaler *scaler = NULL;
    genlab_loss_scale_options so = genlab_loss_scale_auto(prec);
    if (prec == GL_PRECISION_COUNT || genlab_ctx_set_precision(ctx, prec) != GL_OK ||
        genlab_loss_scaler_create(ctx, &so, &scaler) != GL_OK) {
        fprintf(stderr, "%s: %s: --precision %s: %s\n", who, m->name, o->precision,
                prec == GL_PRECISION_COUNT ? "not fp32, tf32, bf16 or f16"
                                           : genlab_ctx_errmsg(ctx));
        genlab_ctx_destroy(ctx);
        genlab_config_destroy(cfg);
        return 1;
    }
    genlab_host host;
    genlab_host_init(&host, reg, ctx, cfg);
    if (genlab_loss_scaler_enabled(scaler))
        host.loss_scaler = scaler;
    const genlab_component *c;
    const genlab_config *scope;
    genlab_config_component(cfg, "train.trainer", GL_KIND_TRAINER, &c, &scope);
    const genlab_trainer_i *tr = c->iface;
    genlab_data_spec spec = {m->c, m->hw, m->hw, 0, 50000};
    void *state = NULL;
    int rc = 0;
    genlab_tensor *real = genlab_tensor_new_persistent(
        ctx, GL_F32, 4, (const int64_t[]){nb, m->c, m->hw, m->hw});
    if (!real || genlab_rng_fill(ctx, real, GL_STREAM_DATA, 0, -1.0f, 1.0f) != GL_OK ||
        tr->create(&host, scope, &spec, &state) != GL_OK) {
        fprintf(stderr, "%s: %s: %s\n", who, m->name, genlab_ctx_errmsg(ctx));
        rc = 1;
    }
    genlab_batch_source source = {bt_next_batch, real};
    double *ms = calloc((size_t)steps, sizeof *ms);
    for (int i = 0; !rc && i < warmup + steps; i++) {
        genlab_ctx_step_begin(ctx);
        genlab_step_metrics out = {0};
        double t0 = bench_now_ms();
        if (tr->step(ctx, state, i, &source, &out) != GL_OK) {
            fprintf(stderr, "%s: %s: step %d: %s\n", who, m->name, i, genlab_ctx_errmsg(ctx));
            rc = 1;
        }
        genlab_loss_scaler_update(scaler);
        genlab_ctx_synchronize(ctx);
        if (i >= warmup)
            ms[i - warmup] = bench_now_ms() - t0;
    }
    if (!rc) {
        qsort(ms, (size_t)steps, sizeof *ms, bench_cmp_double);
        double median = steps % 2 ? ms[steps / 2] : 0.5 * (ms[steps / 2 - 1] + ms[steps / 2]);
        printf("%s\t%.1f\tms/iter\t%.1f\timages/s\t%ld\tMiB peak RSS\t%.1f\tms fastest\t%d "
               "timed\tbatch %" PRId64 "\t%s\t%.0f\tMiB peak device\t%s\t%s\n", m->name,
               median, 1e3 * (double)nb / median, bench_peak_rss_mib(), ms[0], steps, nb,
               genlab_ctx_backend_name(ctx),
               (double)genlab_ctx_device_memory_peak(ctx) / (1 << 20),
               genlab_ctx_device_name(ctx), o->precision);
        bt_print_notes(genlab_ctx_backend_notes(ctx));
        fflush(stdout);
    }
    free(ms);
    if (state)
        tr->destroy(state);
    genlab_tensor_free(real);
    genlab_loss_scaler_destroy(scaler);
    genlab_ctx_destroy(ctx);
    genlab_config_destroy(cfg);
    return rc;
}

/* ---- the command line ---- */

/* bt_parse_options — the leading `--steps N`, `--warmup N`, `--threads N`,
 * `--batch N`, `--backend NAME`, `--precision NAME` of argv into *o (what is not given keeps
 * the caller's default), up to the first argument that is not one of them.
 * Returns that argument's index. */
static int bt_parse_options(int argc, char **argv, bt_options *o)
{
    int i = 1;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--steps"))
            o->steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup"))
            o->warmup = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            o->threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            o->batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--backend"))
            o->backend = argv[i + 1];
        else if (!strcmp(argv[i], "--precision"))
            o->precision = argv[i + 1];
        else
            break;
    }
    return i;
}

/* bt_main — `who [--steps N] [--warmup N] [--threads N] [--batch N]
 * [--backend cpu|cuda|auto] [--precision fp32|tf32|bf16|f16] MODEL...` over the n models; plugin_dirs: the
 * build tree's plugin directories. Returns the exit status. */
static int bt_main(const char *who, const char *plugin_dirs, const bt_model *models, size_t n,
                   int argc, char **argv)
{
    bt_options o = {.steps = 0, .warmup = -1, .threads = 2, .batch = BT_BATCH,
                    .backend = "cpu", .precision = "fp32"};
    int i = bt_parse_options(argc, argv, &o);
    if (i >= argc) {
        fprintf(stderr, "usage: %s [--steps N] [--warmup N] [--threads N] [--batch N] "
                "[--backend cpu|cuda|auto] [--precision fp32|tf32|bf16|f16] MODEL...\nmodels:",
                who);
        for (size_t k = 0; k < n; k++)
            fprintf(stderr, " %s", models[k].name);
        fprintf(stderr, "\n");
        return 2;
    }
    const char *path = getenv("GENLAB_PLUGIN_PATH");
    genlab_registry *reg;
    if (genlab_registry_create(path && *path ? path : plugin_dirs, &reg) != GL_OK)
        return 1;
    genlab_plugin_load_all(reg);
    int rc = 0;
    for (; i < argc; i++) {
        const bt_model *m = NULL;
        for (size_t k = 0; k < n; k++)
            if (!strcmp(models[k].name, argv[i]))
                m = &models[k];
        if (!m) {
            fprintf(stderr, "%s: unknown model %s\n", who, argv[i]);
            rc = 2;
            continue;
        }
        rc |= bt_bench(who, reg, m, &o);
    }
    genlab_registry_destroy(reg);
    return rc;
}

#endif /* GENLAB_BENCH_TRAINER_H */
