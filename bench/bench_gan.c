/* SPDX-License-Identifier: MIT
 *
 * bench_gan.c — full GAN training iterations with the gan plugin's own
 * trainer, timed the way ../shared/bench/torch_ref.py times PyTorch's: one
 * iteration is the trainer's step() — n_critic D steps and one G step, with
 * optimizer updates — at batch 64 on random images in [-1, 1].
 *
 *   bench_gan [--steps N] [--warmup N] [--threads N] MODEL...
 *
 * MODEL is one of torch_ref.py's names:
 *   dcgan28          dcgan28 G and D, bce              (1x28x28)
 *   mlp28            mlp28, bce                        (1x28x28)
 *   dcgan32          dcgan32 (seed 002), bce           (3x32x32)
 *   dcgan64          dcgan64, bce                      (3x64x64)
 *   lsgan64          dcgan64, lsgan                    (3x64x64)
 *   resnet32_wgangp  resnet32, wgan-gp, n_critic 5     (3x32x32)
 * Prints one TSV line per model: model, ms/iteration (median of the timed
 * iterations, as torch_ref.py), images/s (batch / ms), peak RSS (MiB), the
 * fastest iteration. Plugins come from the build tree (GL_BENCH_PLUGIN_DIRS)
 * unless GENLAB_PLUGIN_PATH is set.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "genlab/genlab.h"

#ifndef GL_BENCH_PLUGIN_DIRS
#error "GL_BENCH_PLUGIN_DIRS (the build tree's plugin directories) must be defined"
#endif

enum { BATCH = 64 };

static const struct model {
    const char *name, *arch, *loss;
    int         n_critic, c, hw;
    int         steps, warmup;       /* torch_ref.py's DEFAULTS */
} models[] = {
    {"dcgan28", "dcgan28", "bce", 1, 1, 28, 10, 2},
    {"mlp28", "mlp28", "bce", 1, 1, 28, 20, 2},
    {"dcgan32", "dcgan32", "bce", 1, 3, 32, 8, 2},
    {"dcgan64", "dcgan64", "bce", 1, 3, 64, 6, 2},
    {"lsgan64", "dcgan64", "lsgan", 1, 3, 64, 4, 1},
    {"resnet32_wgangp", "resnet32", "wgan-gp", 5, 3, 32, 3, 1},
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static long peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* the batch source: the same random images every time, copied into the
 * step's arena as the run loop's loader does */
static genlab_status next_batch(genlab_ctx *ctx, void *context, genlab_batch *out)
{
    genlab_tensor *real = context;
    out->x = genlab_tensor_new(ctx, GL_F32, 4, (const int64_t[]){BATCH, genlab_tensor_dim(real, 1),
                                                                genlab_tensor_dim(real, 2),
                                                                genlab_tensor_dim(real, 3)});
    out->y = NULL;
    if (!out->x)
        return genlab_ctx_status(ctx);
    memcpy(genlab_tensor_data(out->x), genlab_tensor_f32(real),
           (size_t)genlab_tensor_numel(real) * sizeof(float));
    return GL_OK;
}

static int bench(genlab_registry *reg, const struct model *m, int steps, int warmup, int threads)
{
    char kv[6][96];
    snprintf(kv[0], sizeof kv[0], "train.trainer=gan");
    snprintf(kv[1], sizeof kv[1], "gan.generator=%s", m->arch);
    snprintf(kv[2], sizeof kv[2], "gan.discriminator=%s", m->arch);
    snprintf(kv[3], sizeof kv[3], "gan.loss=%s", m->loss);
    snprintf(kv[4], sizeof kv[4], "gan.n_critic=%d", m->n_critic);
    snprintf(kv[5], sizeof kv[5], "train.batch=%d", BATCH);
    const char *args[6] = {kv[0], kv[1], kv[2], kv[3], kv[4], kv[5]};
    genlab_config *cfg;
    if (genlab_config_create(&cfg) != GL_OK || genlab_run_declare(cfg) != GL_OK)
        return 1;
    genlab_config_set_args(cfg, 6, args);
    if (genlab_config_resolve(cfg, reg) != GL_OK) {
        fprintf(stderr, "bench_gan: %s: %s\n", m->name, genlab_config_errmsg(cfg));
        genlab_config_destroy(cfg);
        return 1;
    }
    genlab_ctx *ctx;
    genlab_ctx_options co = {.seed = 0, .n_threads = threads};
    genlab_ctx_create(&co, &ctx);
    genlab_host host;
    genlab_host_init(&host, reg, ctx, cfg);
    const genlab_component *c;
    const genlab_config *scope;
    genlab_config_component(cfg, "train.trainer", GL_KIND_TRAINER, &c, &scope);
    const genlab_trainer_i *tr = c->iface;
    genlab_data_spec spec = {m->c, m->hw, m->hw, 0, 50000};
    void *state = NULL;
    int rc = 0;
    genlab_tensor *real = genlab_tensor_new_persistent(
        ctx, GL_F32, 4, (const int64_t[]){BATCH, m->c, m->hw, m->hw});
    if (!real || genlab_rng_fill(ctx, real, GL_STREAM_DATA, 0, -1.0f, 1.0f) != GL_OK ||
        tr->create(&host, scope, &spec, &state) != GL_OK) {
        fprintf(stderr, "bench_gan: %s: %s\n", m->name, genlab_ctx_errmsg(ctx));
        rc = 1;
    }
    genlab_batch_source source = {next_batch, real};
    double *ms = calloc((size_t)steps, sizeof *ms);
    for (int i = 0; !rc && i < warmup + steps; i++) {
        genlab_ctx_step_begin(ctx);
        genlab_step_metrics out = {0};
        double t0 = now_ms();
        if (tr->step(ctx, state, i, &source, &out) != GL_OK) {
            fprintf(stderr, "bench_gan: %s: step %d: %s\n", m->name, i, genlab_ctx_errmsg(ctx));
            rc = 1;
        }
        if (i >= warmup)
            ms[i - warmup] = now_ms() - t0;
    }
    if (!rc) {
        qsort(ms, (size_t)steps, sizeof *ms, cmp_double);
        double median = steps % 2 ? ms[steps / 2] : 0.5 * (ms[steps / 2 - 1] + ms[steps / 2]);
        printf("%s\t%.1f\tms/iter\t%.1f\timages/s\t%ld\tMiB peak RSS\t%.1f\tms fastest\t%d "
               "timed\n", m->name, median, 1e3 * BATCH / median, peak_rss_mib(), ms[0], steps);
        fflush(stdout);
    }
    free(ms);
    if (state)
        tr->destroy(state);
    genlab_tensor_free(real);
    genlab_ctx_destroy(ctx);
    genlab_config_destroy(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    int steps = 0, warmup = -1, threads = 2, i = 1;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--steps"))
            steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup"))
            warmup = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: bench_gan [--steps N] [--warmup N] [--threads N] MODEL...\n"
                        "models: dcgan28 mlp28 dcgan32 dcgan64 lsgan64 resnet32_wgangp\n");
        return 2;
    }
    const char *path = getenv("GENLAB_PLUGIN_PATH");
    genlab_registry *reg;
    if (genlab_registry_create(path && *path ? path : GL_BENCH_PLUGIN_DIRS, &reg) != GL_OK)
        return 1;
    genlab_plugin_load_all(reg);
    int rc = 0;
    for (; i < argc; i++) {
        const struct model *m = NULL;
        for (size_t k = 0; k < sizeof models / sizeof models[0]; k++)
            if (!strcmp(models[k].name, argv[i]))
                m = &models[k];
        if (!m) {
            fprintf(stderr, "bench_gan: unknown model %s\n", argv[i]);
            rc = 2;
            continue;
        }
        rc |= bench(reg, m, steps > 0 ? steps : m->steps, warmup >= 0 ? warmup : m->warmup,
                    threads);
    }
    genlab_registry_destroy(reg);
    return rc;
}
