/* SPDX-License-Identifier: MIT
 *
 * optim_ema.c — an exponential moving average of a model's parameters in a
 * shadow block of the same layout (shadow = decay * shadow + (1 - decay) *
 * params after each step), with a swap for evaluating the averaged weights
 * in place and a copy into a second model.
 *
 * Not here: averaging buffers (BatchNorm statistics stay the model's own),
 * a decay warm-up.
 */
#include <stdlib.h>
#include <string.h>

#include "nn_impl.h"

#define GL_EMA_PAR_MIN 32768

struct genlab_ema {
    genlab_ctx    *ctx;
    genlab_params *p;
    float         *shadow;    /* (numel), laid out as the parameter block */
    int64_t        numel;
    double         decay;
    int64_t        updates;
    bool           swapped;   /* the shadow values are live in p */
};

genlab_status genlab_ema_create(genlab_ctx *ctx, genlab_params *p, double decay,
                                genlab_ema **out)
{
    if (!ctx || !p || !out)
        return genlab_errorf(ctx, GL_ERR_INVALID, "ema_create: NULL argument");
    *out = NULL;
    if (ctx->status != GL_OK)
        return ctx->status;
    if (!(decay >= 0 && decay <= 1))
        return genlab_errorf(ctx, GL_ERR_INVALID, "ema: decay = %g is outside [0, 1]", decay);
    if (p->ctx != ctx || !p->finalized)
        return genlab_errorf(ctx, GL_ERR_STATE, "ema_create: params %s",
                             p->ctx != ctx ? "belong to another context" : "not finalized");
    genlab_ema *e = calloc(1, sizeof *e);
    int64_t n = p->param.numel;
    float *s = n > 0 ? ctx->be->alloc(ctx->be_state, (size_t)n * sizeof(float)) : NULL;
    if (!e || (n > 0 && !s)) {
        free(e);
        ctx->be->free(ctx->be_state, s);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "ema_create: out of memory for %lld floats",
                             (long long)n);
    }
    if (n > 0)
        memcpy(s, p->param.block, (size_t)n * sizeof(float));
    *e = (genlab_ema){.ctx = ctx, .p = p, .shadow = s, .numel = n, .decay = decay};
    *out = e;
    return GL_OK;
}

void genlab_ema_destroy(genlab_ema *e)
{
    if (!e)
        return;
    e->ctx->be->free(e->ctx->be_state, e->shadow);
    free(e);
}

genlab_status genlab_ema_update(genlab_ctx *ctx, genlab_ema *e)
{
    if (!e)
        return genlab_errorf(ctx, GL_ERR_INVALID, "ema_update: NULL ema");
    if (e->swapped)
        return genlab_errorf(ctx, GL_ERR_STATE, "ema_update: the averaged weights are swapped "
                             "in (genlab_ema_swap back first)");
    float *restrict s = e->shadow;
    const float *restrict w = e->p->param.block;
    const float d = (float)e->decay, omd = (float)(1.0 - e->decay);
    const int64_t n = e->numel;
    if (ctx->be_sync) {
        /* on the device: s = d*s, then s += omd*w — the same roundings as
         * the loop below (a product, a product, their sum; no FMA) */
        ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, d, 0.0f, s, s, n);
        ctx->be->axpy(ctx->be_state, s, w, n, omd);
        e->updates++;
        return GL_OK;
    }
    const int nt = ctx->be->threads(ctx->be_state);
#pragma omp parallel for num_threads(nt) schedule(static) if (n >= GL_EMA_PAR_MIN)
    for (int64_t i = 0; i < n; i++)
        s[i] = d * s[i] + omd * w[i];
    e->updates++;
    return GL_OK;
}

genlab_status genlab_ema_swap(genlab_ctx *ctx, genlab_ema *e)
{
    if (!e)
        return genlab_errorf(ctx, GL_ERR_INVALID, "ema_swap: NULL ema");
    gl_sync(ctx);
    float *restrict s = e->shadow, *restrict w = e->p->param.block;
    const int64_t n = e->numel;
    const int nt = ctx->be->threads(ctx->be_state);
#pragma omp parallel for num_threads(nt) schedule(static) if (n >= GL_EMA_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float t = s[i];
        s[i] = w[i];
        w[i] = t;
    }
    e->swapped = !e->swapped;
    return GL_OK;
}

bool genlab_ema_swapped(const genlab_ema *e) { return e && e->swapped; }

genlab_status genlab_ema_copy_to(genlab_ctx *ctx, const genlab_ema *e, genlab_params *dst)
{
    if (!e || !dst)
        return genlab_errorf(ctx, GL_ERR_INVALID, "ema_copy_to: NULL argument");
    if (!dst->finalized)
        return genlab_errorf(ctx, GL_ERR_STATE, "ema_copy_to: destination params not finalized");
    const gl_param_list *a = &e->p->param, *b = &dst->param;
    bool same = a->n == b->n;
    for (int64_t i = 0; same && i < a->n; i++)
        same = a->e[i].t->numel == b->e[i].t->numel;
    if (!same)
        return genlab_errorf(ctx, GL_ERR_SHAPE, "ema_copy_to: destination has %lld parameters "
                             "(%lld floats), the averaged model %lld (%lld floats) or sizes "
                             "differ", (long long)b->n, (long long)b->numel, (long long)a->n,
                             (long long)a->numel);
    /* while swapped, the average is what the source model holds */
    const float *src = e->swapped ? a->block : e->shadow;
    if (e->numel > 0)
        memcpy(b->block, src, (size_t)e->numel * sizeof(float));
    return GL_OK;
}

float *genlab_ema_shadow(genlab_ema *e) { return e ? e->shadow : NULL; }
int64_t genlab_ema_numel(const genlab_ema *e) { return e ? e->numel : 0; }
int64_t genlab_ema_updates(const genlab_ema *e) { return e ? e->updates : 0; }

void genlab_ema_set_updates(genlab_ema *e, int64_t n)
{
    if (e && n >= 0)
        e->updates = n;
}

/* ---- checkpoints ---- */

genlab_status genlab_ema_visit(genlab_ema *e, const char *prefix, genlab_visit_fn fn, void *user)
{
    if (e->swapped)
        return genlab_errorf(e->ctx, GL_ERR_STATE, "ema_visit: the EMA weights are swapped in");
    genlab_status st = gl_visit_floats(e->ctx, prefix, ".shadow", e->shadow, e->numel, fn, user);
    return st == GL_OK ? gl_visit_count(e->ctx, prefix, ".updates", &e->updates, fn, user) : st;
}
