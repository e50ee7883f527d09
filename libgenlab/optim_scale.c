/* SPDX-License-Identifier: MIT
 *
 * optim_scale.c — loss scaling (optim.h, "loss scaling"): the rules of
 * PyTorch's torch.cuda.amp.GradScaler (1.13) on a parameter block's
 * gradients. A loss is multiplied by the scale before the backward pass;
 * each block is then multiplied by inv_scale = 1 / scale (a float, as
 * GradScaler's _unscale_grads_) and tested for NaN and infinity; update()
 * at the end of the step backs the scale off after a non-finite block, or
 * grows it after growth_interval finite steps in a row (never to
 * infinity: amp_update_scale_ keeps the old scale then).
 *
 * It never decides what a skipped step is: genlab_net_step (run_trainer.c)
 * leaves out the optimizer step of a non-finite block, and the run loop
 * (run.c) calls update once per step, logs the scale and checkpoints the
 * state.
 *
 * Not here: the compute precision that needs it (context.h), the run's
 * settings (run.c).
 *
 * Sections: options, the scaler, unscaling, update and state.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_impl.h"

struct genlab_loss_scaler {
    genlab_loss_scale_options o;
    float   scale;
    int64_t growth_tracker;
    int64_t skipped;
    bool    used;        /* a block was unscaled since the last update */
    bool    found_inf;   /* ... and one of them was not finite */
};

/* ---- options ---- */

genlab_loss_scale_options genlab_loss_scale_defaults(genlab_loss_scale_kind kind)
{
    return (genlab_loss_scale_options){.kind = kind, .init_scale = 65536.0, .growth_factor = 2.0,
                                       .backoff_factor = 0.5, .growth_interval = 2000};
}

genlab_loss_scale_options genlab_loss_scale_auto(genlab_precision p)
{
    return genlab_loss_scale_defaults(p == GL_PRECISION_F16 ? GL_LOSS_SCALE_DYNAMIC
                                                            : GL_LOSS_SCALE_NONE);
}

/* a scale a float multiplies by: positive and finite once rounded */
static bool scale_ok(double v) { return v > 0 && v <= FLT_MAX; }

bool genlab_loss_scale_parse(const char *text, genlab_loss_scale_options *o)
{
    if (!text)
        return false;
    if (!strcmp(text, "none") || !strcmp(text, "dynamic")) {
        *o = genlab_loss_scale_defaults(text[0] == 'n' ? GL_LOSS_SCALE_NONE
                                                       : GL_LOSS_SCALE_DYNAMIC);
        return true;
    }
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !scale_ok(v))
        return false;
    *o = genlab_loss_scale_defaults(GL_LOSS_SCALE_FIXED);
    o->init_scale = v;
    return true;
}

/* GL_OK, or an error naming the first bad option */
static genlab_status options_check(genlab_ctx *ctx, const genlab_loss_scale_options *o)
{
    if ((unsigned)o->kind > GL_LOSS_SCALE_DYNAMIC)
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss scale: unknown kind %d (none 0, fixed "
                             "1, dynamic 2)", (int)o->kind);
    if (o->kind == GL_LOSS_SCALE_NONE)
        return GL_OK;
    if (!scale_ok(o->init_scale))
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss scale: init_scale = %g must be > 0 and "
                             "finite as a float", o->init_scale);
    if (o->kind == GL_LOSS_SCALE_FIXED)
        return GL_OK;
    if (!(o->growth_factor > 1 && isfinite(o->growth_factor)))
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss scale: growth_factor = %g must be "
                             "finite and > 1", o->growth_factor);
    if (!(o->backoff_factor > 0 && o->backoff_factor < 1))
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss scale: backoff_factor = %g is outside "
                             "(0, 1)", o->backoff_factor);
    if (o->growth_interval < 1)
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss scale: growth_interval = %lld must be "
                             ">= 1", (long long)o->growth_interval);
    return GL_OK;
}

/* ---- the scaler ---- */

genlab_status genlab_loss_scaler_create(genlab_ctx *ctx, const genlab_loss_scale_options *o,
                                        genlab_loss_scaler **out)
{
    if (!ctx || !o || !out)
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss_scaler_create: NULL argument");
    *out = NULL;
    genlab_status st = options_check(ctx, o);
    if (st != GL_OK)
        return st;
    genlab_loss_scaler *s = calloc(1, sizeof *s);
    if (!s)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "loss_scaler_create: out of memory");
    s->o = *o;
    s->scale = o->kind == GL_LOSS_SCALE_NONE ? 1.0f : (float)o->init_scale;
    *out = s;
    return GL_OK;
}

void genlab_loss_scaler_destroy(genlab_loss_scaler *s) { free(s); }

bool genlab_loss_scaler_enabled(const genlab_loss_scaler *s)
{
    return s && s->o.kind != GL_LOSS_SCALE_NONE;
}

genlab_tensor *genlab_loss_scaler_apply(genlab_ctx *ctx, const genlab_loss_scaler *s,
                                        genlab_tensor *loss)
{
    return genlab_loss_scaler_enabled(s) ? genlab_scale(ctx, loss, s->scale) : loss;
}

/* ---- unscaling ---- */

genlab_status genlab_loss_scaler_unscale(genlab_ctx *ctx, genlab_loss_scaler *s,
                                         genlab_params *p, bool *finite)
{
    *finite = false;
    if (!ctx || !p)
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss_scaler_unscale: NULL argument");
    if (ctx->status != GL_OK)
        return ctx->status;
    *finite = true;
    if (!genlab_loss_scaler_enabled(s))
        return GL_OK;
    if (p->ctx != ctx || !p->finalized)
        return genlab_errorf(ctx, GL_ERR_STATE, "loss_scaler_unscale: params %s",
                             p->ctx != ctx ? "belong to another context" : "not finalized");
    s->used = true;
    const int64_t n = p->param.numel;
    if (n == 0)
        return GL_OK;
    const genlab_backend_i *be = ctx->be;
    /* GradScaler: inv_scale = scale.double().reciprocal().float() */
    const float inv = (float)(1.0 / (double)s->scale);
    be->unary(ctx->be_state, GL_UNARY_AFFINE, inv, 0.0f, p->grad, p->grad, n);
    float *sum = gl_arena_alloc(&ctx->data, sizeof *sum);
    if (!sum)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "loss_scaler_unscale: out of memory");
    const genlab_strided walk = {.ndim = 1, .shape = {n}, .src_stride = {1}, .dst_stride = {0}};
    be->fill(ctx->be_state, sum, 1, 0.0f);
    be->reduce_sum(ctx->be_state, p->grad, sum, &walk);
    float host;
    be->to_host(ctx->be_state, &host, sum, sizeof host);
    *finite = isfinite(host);
    s->found_inf = s->found_inf || !*finite;
    return GL_OK;
}

/* ---- update and state ---- */

bool genlab_loss_scaler_update(genlab_loss_scaler *s)
{
    if (!genlab_loss_scaler_enabled(s) || !s->used)
        return false;
    if (s->found_inf) {
        s->skipped++;
        s->growth_tracker = 0;
        if (s->o.kind == GL_LOSS_SCALE_DYNAMIC)
            s->scale = (float)((double)s->scale * s->o.backoff_factor);
    } else if (s->o.kind == GL_LOSS_SCALE_DYNAMIC &&
               ++s->growth_tracker == s->o.growth_interval) {
        float grown = (float)((double)s->scale * s->o.growth_factor);
        if (isfinite(grown))
            s->scale = grown;
        s->growth_tracker = 0;
    }
    s->used = s->found_inf = false;
    return true;
}

void genlab_loss_scaler_get_state(const genlab_loss_scaler *s, genlab_loss_scale_state *out)
{
    *out = s ? (genlab_loss_scale_state){s->scale, s->growth_tracker, s->skipped}
             : (genlab_loss_scale_state){1.0f, 0, 0};
}

genlab_status genlab_loss_scaler_set_state(genlab_ctx *ctx, genlab_loss_scaler *s,
                                           const genlab_loss_scale_state *in)
{
    if (!genlab_loss_scaler_enabled(s))
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss_scaler_set_state: %s",
                             s ? "the scaler does not scale" : "NULL scaler");
    if (!scale_ok(in->scale) || in->growth_tracker < 0 || in->skipped < 0)
        return genlab_errorf(ctx, GL_ERR_INVALID, "loss_scaler_set_state: scale %g, "
                             "growth_tracker %lld, skipped %lld (want a positive finite scale "
                             "and counts >= 0)", (double)in->scale,
                             (long long)in->growth_tracker, (long long)in->skipped);
    s->scale = in->scale;
    s->growth_tracker = in->growth_tracker;
    s->skipped = in->skipped;
    return GL_OK;
}
