/* SPDX-License-Identifier: MIT
 *
 * bench_diffusion.c — the diffusion plugin timed the way
 * ../shared/bench/torch_ref.py times its unet32_ddpm:
 *
 *   unet32_ddpm   one training iteration of the diffusion trainer: t
 *                 uniform in [0, 1000), noise, x_t by the linear schedule
 *                 (1e-4 .. 0.02), the unet denoiser at its defaults (seed
 *                 001's channels 32, 64, 128, 256; torch_ref.py's UNet32,
 *                 13,894,467 parameters), eps MSE, backward, Adam 1e-4; no
 *                 gradient clipping and no EMA, as torch_ref.py (batch 64,
 *                 3x32x32 random images in [-1, 1]; bench_trainer.h)
 *   unet32_fwd    one denoiser forward at batch 64 with grad recording off
 *                 and t = 500 (torch_ref.py's no_grad forward), the cost of
 *                 one sampling step; with it the images/s of DDPM-1000 and
 *                 DDIM-100 sampling, extrapolated as torch_ref.py does: 64
 *                 images per (steps x forward) (the samplers' own
 *                 arithmetic is elementwise and ignored)
 *
 *   bench_diffusion [--steps N] [--warmup N] [--threads N] MODEL...
 *
 * Prints one TSV line per model: for unet32_ddpm bench_trainer.h's line
 * (model, ms/iteration median, images/s, peak RSS, fastest); for
 * unet32_fwd: model, ms per forward (median), the fastest, and the
 * extrapolated DDPM-1000 and DDIM-100 images/s (from the median). Plugins
 * come from the build tree (GL_BENCH_PLUGIN_DIRS) unless
 * GENLAB_PLUGIN_PATH is set.
 *
 * Sections: the models, the forward, main.
 */
#include "bench_trainer.h"

#ifndef GL_BENCH_PLUGIN_DIRS
#error "GL_BENCH_PLUGIN_DIRS (the build tree's plugin directories) must be defined"
#endif

/* ---- the models ---- */

static const bt_model models[] = {
    {"unet32_ddpm",
     {"train.trainer=diffusion", "diffusion.denoiser=unet", "diffusion.schedule=linear",
      "diffusion.timesteps=1000", "diffusion.prediction=epsilon", "diffusion.grad_clip=0",
      "diffusion.ema=0", "optim.lr=1e-4", NULL},
     3, 32, 5, 2},
};

/* ---- the forward ---- */

/* bench_forward — `steps` timed no-grad forwards of the default unet at
 * batch 64 after `warmup` untimed ones; 0 or 1 after a message */
static int bench_forward(genlab_registry *reg, int steps, int warmup, int threads)
{
    static const genlab_param_def decl[] = {
        {.name = "arch", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = "unet",
         .help = "the denoiser"},
    };
    genlab_config *cfg;
    genlab_ctx *ctx;
    genlab_ctx_options co = {.seed = 0, .n_threads = threads};
    if (genlab_config_create(&cfg) != GL_OK || genlab_ctx_create(&co, &ctx) != GL_OK)
        return 1;
    genlab_config_declare(cfg, "b", decl, 1);
    const genlab_component *c;
    const genlab_config *scope;
    genlab_params *p = NULL;
    void *state = NULL;
    genlab_host host;
    genlab_arch_spec spec;
    int rc = 1;
    if (genlab_config_resolve(cfg, reg) != GL_OK) {
        fprintf(stderr, "bench_diffusion: %s\n", genlab_config_errmsg(cfg));
        goto done;
    }
    genlab_host_init(&host, reg, ctx, cfg);
    genlab_config_component(genlab_config_scope(cfg, "b"), "arch", GL_KIND_ARCH, &c, &scope);
    const genlab_arch_i *a = c->iface;
    if (a->native_spec(scope, GL_ROLE_DENOISER, &spec) != GL_OK ||
        genlab_params_create(ctx, &p) != GL_OK ||
        a->build(&host, scope, &spec, p, &state) != GL_OK || genlab_params_finalize(ctx, p) != GL_OK) {
        fprintf(stderr, "bench_diffusion: unet: %s\n", genlab_ctx_errmsg(ctx));
        goto done;
    }
    genlab_params_set_training(p, false);
    genlab_set_grad_enabled(ctx, false);
    double *ms = calloc((size_t)steps, sizeof *ms);
    const int64_t n = BT_BATCH;
    for (int i = 0; i < warmup + steps; i++) {
        genlab_ctx_step_begin(ctx);
        genlab_tensor *x = genlab_randn(ctx, 4, (const int64_t[]){n, spec.in_shape[0],
                                                                  spec.in_shape[1],
                                                                  spec.in_shape[2]});
        genlab_tensor *t = genlab_full(ctx, 1, &n, 500.0f);
        double t0 = bench_now_ms();
        genlab_tensor *y = a->forward(ctx, state, x, t, NULL, false);
        if (i >= warmup)
            ms[i - warmup] = bench_now_ms() - t0;
        if (!y) {
            fprintf(stderr, "bench_diffusion: forward: %s\n", genlab_ctx_errmsg(ctx));
            free(ms);
            goto done;
        }
    }
    qsort(ms, (size_t)steps, sizeof *ms, bench_cmp_double);
    double median = steps % 2 ? ms[steps / 2] : 0.5 * (ms[steps / 2 - 1] + ms[steps / 2]);
    printf("unet32_fwd\t%.1f\tms/forward\t%.1f\tms fastest\t%.2f\tDDPM-1000 images/s\t%.2f\t"
           "DDIM-100 images/s\t%ld\tMiB peak RSS\t%d timed\n", median, ms[0],
           1e3 * BT_BATCH / (1000.0 * median), 1e3 * BT_BATCH / (100.0 * median),
           bench_peak_rss_mib(), steps);
    fflush(stdout);
    free(ms);
    rc = 0;
done:
    if (state)
        ((const genlab_arch_i *)c->iface)->destroy(state);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
    genlab_config_destroy(cfg);
    return rc;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    /* unet32_fwd is this file's own; the rest go to bench_trainer.h */
    bt_options o = {.steps = 5, .warmup = 2, .threads = 2, .batch = BT_BATCH, .backend = "cpu"};
    int rc = 0, i = bt_parse_options(argc, argv, &o);
    for (int k = i; k < argc; k++)
        if (!strcmp(argv[k], "unet32_fwd")) {
            const char *path = getenv("GENLAB_PLUGIN_PATH");
            genlab_registry *reg;
            if (genlab_registry_create(path && *path ? path : GL_BENCH_PLUGIN_DIRS, &reg) != GL_OK)
                return 1;
            genlab_plugin_load_all(reg);
            rc |= bench_forward(reg, o.steps > 0 ? o.steps : 5, o.warmup, o.threads);
            genlab_registry_destroy(reg);
            argv[k] = NULL;
        }
    /* the trainer models, with the options as given */
    char *rest[64];
    int nr = 0;
    for (int k = 0; k < argc && nr < 64; k++)
        if (argv[k])
            rest[nr++] = argv[k];
    if (nr > i)
        rc |= bt_main("bench_diffusion", GL_BENCH_PLUGIN_DIRS, models,
                      sizeof models / sizeof *models, nr, rest);
    return rc;
}
