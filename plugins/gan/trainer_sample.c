/* SPDX-License-Identifier: MIT
 *
 * trainer_sample.c — the sampling side of the GAN trainer: images from
 * given latents (the trainer's generate()), from fresh ones (sample()), and
 * the files a run leaves in <run_dir>/samples/: a grid of G(fixed noise)
 * every sample_every steps and after the last, and after the last a strip
 * of linear interpolations between pairs of the fixed latents (seed 001:
 * ten frames, both ends included).
 *
 * Sampling changes nothing a resumed run depends on: it draws no random
 * numbers (the fixed noise is a tensor of the trainer's), runs G in eval
 * mode (no BatchNorm statistics updated) without recording, and swaps the
 * EMA weights in and out exactly (a swap of floats).
 *
 * It is not the training step (trainer.c), nor how files are written and
 * recorded (genlab_run_save_grid, genlab_interpolate: run.h).
 *
 * Sections: generation, files of a run.
 */
#include "trainer.h"

/* ---- generation ---- */

int64_t gan_latent_dim(void *state) { return ((const gan_trainer *)state)->z_dim; }

genlab_tensor *gan_generate(genlab_ctx *ctx, void *state, genlab_tensor *z, genlab_tensor *y)
{
    (void)y;
    gan_trainer *t = state;
    if (!genlab_latents_ok(ctx, "trainer gan", z, t->z_dim))
        return NULL;
    bool grad = genlab_set_grad_enabled(ctx, false);
    if (t->ema)
        genlab_ema_swap(ctx, t->ema);
    genlab_params_set_training(t->g.params, false);
    genlab_tensor *x = t->g.arch->forward(ctx, t->g.state, z, NULL, NULL, false);
    genlab_params_set_training(t->g.params, true);
    if (t->ema)
        genlab_ema_swap(ctx, t->ema);
    genlab_set_grad_enabled(ctx, grad);
    return x;
}

genlab_tensor *gan_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y)
{
    const gan_trainer *t = state;
    return gan_generate(ctx, state, genlab_randn(ctx, 2, (const int64_t[]){n, t->z_dim}), y);
}

/* ---- files of a run ---- */

/* The strip: STRIP_ROWS pairs of fixed latents (fewer when sample_n is
 * small), STRIP_STEPS frames each. */
#define STRIP_ROWS  8
#define STRIP_STEPS 10

genlab_status gan_samples_after(genlab_ctx *ctx, gan_trainer *t, int64_t done)
{
    if (!genlab_trainer_sample_due(t->host, &t->run, done))
        return GL_OK;
    bool last = done == t->run.steps;
    genlab_status st = genlab_run_save_grid(ctx, t->host, "trainer gan", "grid", "step", done,
                                            gan_generate(ctx, t, t->eval_z, NULL), NULL);
    int64_t k = t->run.sample_n / 2 < STRIP_ROWS ? t->run.sample_n / 2 : STRIP_ROWS;
    if (st == GL_OK && last && k > 0)
        st = genlab_run_save_grid(ctx, t->host, "trainer gan", "strip", "interp", done,
                                  genlab_interpolate(ctx, gan_generate, t,
                                                     genlab_slice(ctx, t->eval_z, 0, 0, k),
                                                     genlab_slice(ctx, t->eval_z, 0, k, k),
                                                     STRIP_STEPS),
                                  NULL);
    return st;
}
