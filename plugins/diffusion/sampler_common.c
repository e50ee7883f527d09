/* SPDX-License-Identifier: MIT
 *
 * sampler_common.c — the reverse loop both samplers run (sampler.h): the
 * timesteps, the model's call at each, the noise, the arena kept to one
 * step's worth. The update of one step is the sampler's (sampler_ddpm.c,
 * sampler_ddim.c); its arithmetic is dmath.c's.
 *
 * The model gives its noise prediction (the ABI's contract): a trainer
 * whose network predicts x0 or v converts before it returns, so the
 * samplers always read their model output as epsilon.
 *
 * Sections: parameters, the loop.
 */
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

/* ---- parameters ---- */

const char *const diff_spacing_choices[] = {"leading", "trailing", "linspace", NULL};

diff_sampler *diff_sampler_new(const genlab_host *host, const genlab_config *cfg,
                               const char *name, diff_update_fn update)
{
    diff_sampler *s = calloc(1, sizeof *s);
    if (!s) {
        genlab_errorf(host->ctx, GL_ERR_NOMEM, "sampler %s: out of memory", name);
        return NULL;
    }
    const char *sp = genlab_config_str(cfg, "spacing");
    s->name = name;
    s->update = update;
    s->steps = genlab_config_int(cfg, "steps");
    s->offset = genlab_config_int(cfg, "steps_offset");
    s->spacing = !strcmp(sp, "trailing") ? DIFF_SPACING_TRAILING
                 : !strcmp(sp, "linspace") ? DIFF_SPACING_LINSPACE : DIFF_SPACING_LEADING;
    s->clip = genlab_config_bool(cfg, "clip_sample");
    s->clip_range = genlab_config_float(cfg, "clip_range");
    return s;
}

/* ---- the loop ---- */

static const char *spacing_name(diff_spacing s)
{
    return diff_spacing_choices[s];
}

/* one_step — the model at (x, t) and the update of x to the previous
 * timestep; GL_OK or the error on ctx */
static genlab_status one_step(genlab_ctx *ctx, const diff_sampler *s, const genlab_sampler_args *a,
                              genlab_tensor *x, int64_t t, double abar_prev)
{
    int64_t n = genlab_tensor_dim(x, 0), numel = genlab_tensor_numel(x);
    genlab_tensor *tt = genlab_full(ctx, 1, &n, (float)t);
    genlab_tensor *eps = tt ? a->model(ctx, a->model_ctx, x, tt, a->y) : NULL;
    if (!eps)
        return genlab_ctx_status(ctx) != GL_OK
                   ? genlab_ctx_status(ctx)
                   : genlab_errorf(ctx, GL_ERR_STATE, "sampler %s: the model gave nothing at t "
                                   "= %lld", s->name, (long long)t);
    if (genlab_tensor_numel(eps) != numel || genlab_tensor_dtype(eps) != GL_F32) {
        char a_s[96], b_s[96];   /* 5-axis shapes in text */
        return genlab_errorf(ctx, GL_ERR_SHAPE, "sampler %s: the model gave %s for x_t %s",
                             s->name, genlab_tensor_shape_str(eps, a_s, sizeof a_s),
                             genlab_tensor_shape_str(x, b_s, sizeof b_s));
    }
    genlab_tensor *noise = NULL;
    if (s->noisy && t > 0) {
        int64_t shape[GL_MAX_DIMS];
        for (int i = 0; i < genlab_tensor_ndim(x); i++)
            shape[i] = genlab_tensor_dim(x, i);
        if (!(noise = genlab_randn(ctx, genlab_tensor_ndim(x), shape)))
            return genlab_ctx_status(ctx);
    }
    float *xd = genlab_tensor_f32_mut(x);
    diff_step_in in = {.pred = DIFF_PRED_EPSILON, .abar_t = a->alpha_bar(a->schedule_ctx, t),
                       .abar_prev = abar_prev, .clip = s->clip, .clip_range = s->clip_range,
                       .n = numel, .x_t = xd, .m = genlab_tensor_f32(eps),
                       .noise = noise ? genlab_tensor_f32(noise) : NULL};
    s->update(s, &in, xd);
    return GL_OK;
}

genlab_tensor *diff_sampler_run(genlab_ctx *ctx, void *state, const genlab_sampler_args *a)
{
    const diff_sampler *s = state;
    if (!a->x || genlab_ctx_status(ctx) != GL_OK)
        return NULL;
    int64_t T = a->train_steps;
    int64_t *ts = malloc((size_t)s->steps * sizeof *ts);
    if (!ts) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "sampler %s: out of memory", s->name);
        return NULL;
    }
    if (diff_timesteps(s->spacing, T, s->steps, s->offset, ts) != 0) {
        free(ts);
        genlab_errorf(ctx, GL_ERR_INVALID, "sampler %s: %lld steps (spacing %s, steps_offset "
                      "%lld) do not fit the model's %lld training timesteps", s->name,
                      (long long)s->steps, spacing_name(s->spacing), (long long)s->offset,
                      (long long)T);
        return NULL;
    }
    int nd = genlab_tensor_ndim(a->x);
    int64_t shape[GL_MAX_DIMS];
    for (int i = 0; i < nd; i++)
        shape[i] = genlab_tensor_dim(a->x, i);
    genlab_tensor *x = genlab_tensor_new_persistent(ctx, GL_F32, nd, shape);
    genlab_status st = x ? genlab_tensor_copy_into(ctx, x, a->x) : genlab_ctx_status(ctx);
    double final = s->final_one ? 1.0 : a->alpha_bar(a->schedule_ctx, 0);
    for (int64_t i = 0; i < s->steps && st == GL_OK; i++) {
        int64_t prev = diff_prev_timestep(T, s->steps, ts[i]);
        genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
        st = one_step(ctx, s, a, x, ts[i], prev >= 0 ? a->alpha_bar(a->schedule_ctx, prev) : final);
        genlab_ctx_rewind(ctx, &mark);
    }
    genlab_tensor *out = NULL;
    if (st == GL_OK && (out = genlab_tensor_new(ctx, GL_F32, nd, shape)))
        genlab_tensor_copy_into(ctx, out, x);
    genlab_tensor_free(x);
    free(ts);
    return genlab_ctx_status(ctx) == GL_OK ? out : NULL;
}
