/* SPDX-License-Identifier: MIT
 *
 * trainer_sample.c — the sampling side of the diffusion trainer: the
 * denoiser as a sampler calls it (its output turned into a noise
 * prediction whatever diffusion.prediction is, since the sampler ABI takes
 * epsilon), images from given x_T (generate()) and from fresh noise
 * (sample()), and the files a run leaves in <run_dir>/samples/: a grid
 * from the fixed x_T and a denoising strip (seed 001, Figure 10: x_t of the
 * grid's first images at evenly spaced times, then x_0).
 *
 * The strip is taken by the model callback as the sampler calls it: frame
 * k < 9 is x_t at the first call whose t is at most (T - 1)(1 - k/9), so
 * any sampler and step count gives nine evenly spaced frames (repeated
 * where a short sampler visits fewer times) without the sampler's help.
 *
 * Sampling during a run changes nothing the run depends on: the denoiser
 * runs without recording in eval mode, the EMA weights are swapped in and
 * out exactly, and the context's random state is put back after a grid.
 *
 * Sections: the model, generation, files of a run.
 */
#include <string.h>

#include "trainer.h"

/* ---- the model ---- */

#define STRIP_ROWS 8

/* strip_capture — frames whose time x_t has reached, from x_t's first rows */
static void strip_capture(diff_trainer *t, const genlab_tensor *x_t, const genlab_tensor *tt)
{
    if (!t->strip)
        return;
    double now = genlab_tensor_f32(tt)[0];
    int64_t frame = genlab_tensor_numel(t->strip) / DIFF_STRIP_FRAMES;
    while (t->strip_next < DIFF_STRIP_FRAMES - 1 &&
           now <= (double)(t->T - 1) * (1.0 - t->strip_next / (double)(DIFF_STRIP_FRAMES - 1))) {
        memcpy(genlab_tensor_f32_mut(t->strip) + t->strip_next * frame, genlab_tensor_f32(x_t),
               (size_t)frame * sizeof(float));
        t->strip_next++;
    }
}

/* model_eps — the sampler's model: the denoiser's noise prediction at x_t */
static genlab_tensor *model_eps(genlab_ctx *ctx, void *model_ctx, genlab_tensor *x_t,
                                genlab_tensor *tt, genlab_tensor *y)
{
    diff_trainer *t = model_ctx;
    strip_capture(t, x_t, tt);
    genlab_tensor *m = t->net.arch->forward(ctx, t->net.state, x_t, tt, y, false);
    if (!m || t->pred == DIFF_PRED_EPSILON)
        return m;
    int64_t n = genlab_tensor_dim(x_t, 0), per = genlab_tensor_numel(x_t) / n;
    genlab_tensor *eps = genlab_zeros_like(ctx, m);
    if (!eps)
        return NULL;
    for (int64_t i = 0; i < n; i++) {
        double ab = t->sched_i->at(t->sched, (int64_t)genlab_tensor_f32(tt)[i]);
        diff_pred_to_x0_eps(t->pred, ab, per, genlab_tensor_f32(x_t) + i * per,
                            genlab_tensor_f32(m) + i * per, NULL,
                            genlab_tensor_f32_mut(eps) + i * per);
    }
    return eps;
}

/* ---- generation ---- */

int64_t diff_latent_dim(void *state)
{
    const diff_trainer *t = state;
    return (int64_t)t->data.channels * t->data.height * t->data.width;
}

/* run_sampler — the sampler from a persistent copy of z as x_T */
static genlab_tensor *run_sampler(genlab_ctx *ctx, diff_trainer *t, genlab_tensor *z)
{
    const int64_t shape[4] = {genlab_tensor_dim(z, 0), t->data.channels, t->data.height,
                              t->data.width};
    genlab_tensor *x = genlab_tensor_new_persistent(ctx, GL_F32, 4, shape);
    if (!x || genlab_tensor_copy_into(ctx, x, z) != GL_OK) {
        genlab_tensor_free(x);
        return NULL;
    }
    const genlab_sampler_args a = {.x = x, .train_steps = t->T, .model = model_eps,
                                   .model_ctx = t, .alpha_bar = t->sched_i->at,
                                   .schedule_ctx = t->sched};
    genlab_tensor *out = t->sampler_i->run(ctx, t->sampler, &a);
    genlab_tensor_free(x);
    return out;
}

genlab_tensor *diff_generate(genlab_ctx *ctx, void *state, genlab_tensor *z, genlab_tensor *y)
{
    (void)y;
    diff_trainer *t = state;
    if (!z || genlab_ctx_status(ctx) != GL_OK)
        return NULL;
    int64_t d = diff_latent_dim(t);
    if (genlab_tensor_ndim(z) != 2 || genlab_tensor_dim(z, 1) != d ||
        genlab_tensor_dtype(z) != GL_F32) {
        char s[96];   /* a 5-axis shape in text */
        genlab_errorf(ctx, GL_ERR_SHAPE, "trainer diffusion: generate: z is %s, needs (N, %lld) "
                      "float32 (x_T, flattened)", genlab_tensor_shape_str(z, s, sizeof s),
                      (long long)d);
        return NULL;
    }
    bool grad = genlab_set_grad_enabled(ctx, false);
    if (t->ema)
        genlab_ema_swap(ctx, t->ema);
    genlab_params_set_training(t->net.params, false);
    genlab_tensor *x = run_sampler(ctx, t, z);
    genlab_params_set_training(t->net.params, true);
    if (t->ema)
        genlab_ema_swap(ctx, t->ema);
    genlab_set_grad_enabled(ctx, grad);
    if (!x)
        return NULL;
    /* images are in [-1, 1]; an unclipped sampler may overshoot */
    float *v = genlab_tensor_f32_mut(x);
    for (int64_t i = 0; i < genlab_tensor_numel(x); i++)
        v[i] = v[i] < -1.0f ? -1.0f : v[i] > 1.0f ? 1.0f : v[i];
    return x;
}

genlab_tensor *diff_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y)
{
    return diff_generate(ctx, state, genlab_randn(ctx, 2, (const int64_t[]){n,
                                                  diff_latent_dim(state)}), y);
}

/* ---- files of a run ---- */

genlab_status diff_after_step(genlab_ctx *ctx, diff_trainer *t, int64_t done)
{
    if (!genlab_trainer_sample_due(t->host, &t->run, done))
        return GL_OK;
    uint64_t seed, offsets[GL_STREAM_COUNT];
    genlab_rng_state(ctx, &seed, offsets);
    int64_t rows = t->run.sample_n < STRIP_ROWS ? t->run.sample_n : STRIP_ROWS;
    int64_t d = diff_latent_dim(t);
    t->strip = genlab_tensor_new_persistent(
        ctx, GL_F32, 5, (const int64_t[]){DIFF_STRIP_FRAMES, rows, t->data.channels,
                                          t->data.height, t->data.width});
    t->strip_next = 0;
    genlab_tensor *x = t->strip ? diff_generate(ctx, t, genlab_reshape(ctx, t->eval_x, 2,
                                                (const int64_t[]){t->run.sample_n, d}), NULL)
                                : NULL;
    genlab_rng_restore(ctx, seed, offsets);
    genlab_tensor *strip = t->strip;
    t->strip = NULL;
    genlab_status st = genlab_ctx_status(ctx);
    if (x) {
        /* x_0 in the last frame, and in any the sampler's times did not reach */
        for (int k = t->strip_next; k < DIFF_STRIP_FRAMES; k++)
            memcpy(genlab_tensor_f32_mut(strip) + k * rows * d, genlab_tensor_f32(x),
                   (size_t)(rows * d) * sizeof(float));
        st = genlab_run_save_grid(ctx, t->host, "trainer diffusion", "grid", "step", done, x,
                                  NULL);
        if (st == GL_OK)
            st = genlab_run_save_grid(ctx, t->host, "trainer diffusion", "strip", "denoise",
                                      done, strip, NULL);
    }
    genlab_tensor_free(strip);
    return st;
}
