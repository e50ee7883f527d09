/* SPDX-License-Identifier: MIT
 *
 * trainer.h — what the two files of the GAN trainer share: its state
 * (trainer.c creates it and steps it) and the sampling side
 * (trainer_sample.c: generation from given latents, sample(), and the grids
 * and strip a run leaves in its directory).
 *
 * Internal to plugins/gan; not installed.
 */
#ifndef GENLAB_PLUGIN_GAN_TRAINER_H
#define GENLAB_PLUGIN_GAN_TRAINER_H

#include "gan.h"

typedef struct gan_trainer {
    const genlab_host   *host;
    genlab_data_spec     data;
    genlab_net           g, d;          /* run.h: arch, parameters, Adam, lr */
    genlab_trainer_loss  loss;          /* run.h: the adversarial loss */
    genlab_ema          *ema;           /* of G's parameters; NULL: off */
    int64_t              z_dim, n_critic;
    genlab_trainer_run   run;           /* train.steps, sample_every, sample_n */
    genlab_tensor       *eval_z;        /* (sample_n, z_dim) persistent: the fixed noise */
} gan_trainer;

/* ---- trainer_sample.c ---- */

/* gan_latent_dim — the trainer's latent_dim(): z_dim. */
int64_t gan_latent_dim(void *state);

/* gan_generate — the trainer's generate(): G (the EMA weights when on) in
 * eval mode with grad recording off, on latents z (N, z_dim); labels y are
 * ignored (the trainer is unconditional). The training weights and mode
 * are back in place when it returns, failed or not. */
genlab_tensor *gan_generate(genlab_ctx *ctx, void *state, genlab_tensor *z, genlab_tensor *y);

/* gan_sample — the trainer's sample(): gan_generate on n fresh latents from
 * the context's default stream. */
genlab_tensor *gan_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y);

/* gan_samples_after — after `done` steps: the fixed-noise grid
 * <run_dir>/samples/step-<8 digits>.png every sample_every steps and after
 * the last, and at the last also the interpolation strip
 * samples/interp-<8 digits>.png; each recorded as an artifact ("grid",
 * "strip"). No-op without a run directory (outside a run). */
genlab_status gan_samples_after(genlab_ctx *ctx, gan_trainer *t, int64_t done);

#endif /* GENLAB_PLUGIN_GAN_TRAINER_H */
