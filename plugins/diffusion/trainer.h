/* SPDX-License-Identifier: MIT
 *
 * trainer.h — what the two files of the diffusion trainer share: its
 * state (trainer.c creates it and steps it) and the sampling side
 * (trainer_sample.c: the model as a sampler sees it, generate(), sample(),
 * and the grids and denoising strips a run leaves).
 *
 * Internal to plugins/diffusion; not installed.
 *
 * Sections: state, trainer_sample.c.
 */
#ifndef GENLAB_PLUGIN_DIFFUSION_TRAINER_H
#define GENLAB_PLUGIN_DIFFUSION_TRAINER_H

#include "diffusion.h"
#include "dmath.h"

/* ---- state ---- */

/* The frames of a denoising strip (seed 001, Figure 10): x_t at nine
 * evenly spaced times from T - 1 down, and x_0. */
#define DIFF_STRIP_FRAMES 10

typedef struct diff_trainer {
    const genlab_host       *host;
    genlab_data_spec         data;
    genlab_net               net;         /* run.h: the denoiser, its Adam and lr */
    const genlab_schedule_i *sched_i;
    void                    *sched;       /* the noise schedule's state: alpha-bar */
    const genlab_sampler_i  *sampler_i;
    void                    *sampler;     /* the sampler's state */
    const char              *sampler_name;
    genlab_ema              *ema;         /* of the denoiser; NULL: off */
    diff_prediction          pred;
    int64_t                  T;           /* training timesteps */
    genlab_trainer_run       run;         /* train.steps, sample_every, sample_n */
    double                   grad_clip;   /* max gradient norm; 0: off */
    genlab_tensor           *eval_x;      /* (sample_n, C, H, W) persistent: the grids' x_T */
    /* a strip being captured by the model callback (trainer_sample.c):
     * persistent (DIFF_STRIP_FRAMES, rows, C, H, W), NULL when none */
    genlab_tensor           *strip;
    int                      strip_next;  /* the next frame to fill */
} diff_trainer;

/* ---- trainer_sample.c ---- */

/* diff_latent_dim — the trainer's latent_dim(): C H W (a latent is x_T). */
int64_t diff_latent_dim(void *state);

/* diff_generate — the trainer's generate(): the sampler's reverse process
 * from x_T = z reshaped to (N, C, H, W), with the denoiser (the EMA
 * weights when on) in eval mode and grad recording off; the result
 * clamped into [-1, 1]. Labels are ignored (unconditional). The training
 * weights are back in place when it returns. */
genlab_tensor *diff_generate(genlab_ctx *ctx, void *state, genlab_tensor *z, genlab_tensor *y);

/* diff_sample — the trainer's sample(): diff_generate on n latents drawn
 * from the context's default stream. */
genlab_tensor *diff_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y);

/* diff_after_step — after `done` steps: every sample_every steps and after
 * the last, <run_dir>/samples/step-<done>.png (a grid from the fixed x_T,
 * artifact "grid") and denoise-<done>.png (the first images' x_t at
 * DIFF_STRIP_FRAMES evenly spaced times, artifact "strip"). The context's
 * random state is put back afterwards, so the samples change nothing the
 * run depends on. No-op outside a run (no run directory). */
genlab_status diff_after_step(genlab_ctx *ctx, diff_trainer *t, int64_t done);

#endif /* GENLAB_PLUGIN_DIFFUSION_TRAINER_H */
