/* SPDX-License-Identifier: MIT
 *
 * optim.c — SGD, Adam and AdamW over a params object's flat blocks.
 *
 * Each step is one OpenMP loop over the parameter block, with the state
 * (momentum buffer, Adam's exp_avg and exp_avg_sq) in blocks of the same
 * layout. The arithmetic follows torch.optim's single-tensor code of
 * PyTorch 1.13 operation by operation: scalars are formed in double as
 * Python does and rounded to float once, then each tensor operation is one
 * float operation in the same order (this file is built without FMA
 * contraction, -std=c11), so results agree with PyTorch to a few ulps.
 *
 * Not here: schedules (optim_schedule.c), clipping (optim_clip.c), EMA
 * (optim_ema.c).
 *
 * Sections: options, create/destroy, step, state.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "nn_impl.h"

/* loops shorter than this are not worth waking threads for */
#define GL_OPTIM_PAR_MIN 32768

struct genlab_optim {
    genlab_ctx          *ctx;
    genlab_params       *p;
    genlab_optim_options o;
    int64_t              numel;
    int64_t              step;
    int                  n_buf;
    float               *buf[2];   /* (numel) each: momentum; or exp_avg, exp_avg_sq */
};

/* ---- options ---- */

genlab_optim_options genlab_optim_defaults(genlab_optim_kind kind)
{
    genlab_optim_options o = {.kind = kind, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                              .eps = 1e-8};
    if (kind == GL_OPTIM_SGD)
        o.lr = 1e-2;
    if (kind == GL_OPTIM_ADAMW)
        o.weight_decay = 1e-2;
    return o;
}

static const char *kind_name(genlab_optim_kind k)
{
    switch (k) {
    case GL_OPTIM_SGD:   return "sgd";
    case GL_OPTIM_ADAM:  return "adam";
    case GL_OPTIM_ADAMW: return "adamw";
    }
    return NULL;
}

/* GL_OK, or an error naming the first bad key */
static genlab_status options_check(genlab_ctx *ctx, const genlab_optim_options *o)
{
    const char *k = kind_name(o->kind);
    if (!k)
        return genlab_errorf(ctx, GL_ERR_INVALID, "optim: unknown kind %d (sgd 0, adam 1, "
                             "adamw 2)", (int)o->kind);
    if (!(isfinite(o->lr) && o->lr >= 0))
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: lr = %g must be finite and >= 0", k, o->lr);
    if (!(isfinite(o->weight_decay) && o->weight_decay >= 0))
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: weight_decay = %g must be finite and "
                             ">= 0", k, o->weight_decay);
    if (o->kind == GL_OPTIM_SGD) {
        if (!(isfinite(o->momentum) && o->momentum >= 0))
            return genlab_errorf(ctx, GL_ERR_INVALID, "sgd: momentum = %g must be finite and "
                                 ">= 0", o->momentum);
        if (o->nesterov && o->momentum == 0)
            return genlab_errorf(ctx, GL_ERR_INVALID, "sgd: nesterov needs momentum > 0 "
                                 "(momentum = 0)");
        return GL_OK;
    }
    if (!(o->beta1 >= 0 && o->beta1 < 1))
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: beta1 = %g is outside [0, 1)", k, o->beta1);
    if (!(o->beta2 >= 0 && o->beta2 < 1))
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: beta2 = %g is outside [0, 1)", k, o->beta2);
    if (!(isfinite(o->eps) && o->eps > 0))
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: eps = %g must be finite and > 0", k, o->eps);
    return GL_OK;
}

/* ---- create/destroy ---- */

genlab_status genlab_optim_create(genlab_ctx *ctx, genlab_params *p,
                                  const genlab_optim_options *opts, genlab_optim **out)
{
    if (!ctx || !p || !opts || !out)
        return genlab_errorf(ctx, GL_ERR_INVALID, "optim_create: NULL argument");
    *out = NULL;
    if (ctx->status != GL_OK)
        return ctx->status;
    if (p->ctx != ctx)
        return genlab_errorf(ctx, GL_ERR_INVALID, "optim_create: params belong to another "
                             "context");
    if (!p->finalized)
        return genlab_errorf(ctx, GL_ERR_STATE, "optim_create: params not finalized "
                             "(genlab_params_finalize first)");
    genlab_status st = options_check(ctx, opts);
    if (st != GL_OK)
        return st;
    genlab_optim *o = calloc(1, sizeof *o);
    if (!o)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "optim_create: out of memory");
    o->ctx = ctx;
    o->p = p;
    o->o = *opts;
    o->numel = p->param.numel;
    o->n_buf = opts->kind != GL_OPTIM_SGD ? 2 : opts->momentum != 0 ? 1 : 0;
    for (int i = 0; i < o->n_buf && o->numel > 0; i++) {
        o->buf[i] = ctx->be->alloc(ctx->be_state, (size_t)o->numel * sizeof(float));
        if (!o->buf[i]) {
            genlab_optim_destroy(o);
            return genlab_errorf(ctx, GL_ERR_NOMEM, "optim_create: out of memory for %d state "
                                 "blocks of %lld floats", o->n_buf, (long long)o->numel);
        }
        ctx->be->fill(ctx->be_state, o->buf[i], o->numel, 0.0f);
    }
    *out = o;
    return GL_OK;
}

void genlab_optim_destroy(genlab_optim *o)
{
    if (!o)
        return;
    for (int i = 0; i < 2; i++)
        o->ctx->be->free(o->ctx->be_state, o->buf[i]);
    free(o);
}

/* ---- step ---- */

/* torch.optim.SGD, dampening 0. The first step sets the buffer to d_p
 * itself, as PyTorch's clone does. */
static void sgd_step(genlab_optim *o, int nt)
{
    gl_sync(o->ctx);
    float *restrict w = o->p->param.block, *restrict buf = o->buf[0];
    const float *restrict g = o->p->grad;
    const float neg_lr = (float)-o->o.lr, wd = (float)o->o.weight_decay;
    const float mom = (float)o->o.momentum;
    const bool nesterov = o->o.nesterov, first = o->step == 1;
    const int64_t n = o->numel;
#pragma omp parallel for num_threads(nt) schedule(static) if (n >= GL_OPTIM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float d = g[i];
        if (wd != 0.0f)
            d = d + wd * w[i];
        if (mom != 0.0f) {
            float b = first ? d : buf[i] * mom + d;
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        w[i] = w[i] + neg_lr * d;
    }
}

/* torch.optim.Adam / AdamW (amsgrad off, maximize off):
 *   AdamW: p *= 1 - lr*wd          Adam: g += wd*p
 *   m = m*b1 + (1-b1)*g            v = v*b2 + ((1-b2)*g)*g
 *   denom = sqrt(v) / sqrt(1 - b2^t) + eps
 *   p = p + (-(lr / (1 - b1^t)) * m) / denom                          */
static void adam_step(genlab_optim *o, int nt)
{
    const genlab_optim_options *h = &o->o;
    const double t = (double)o->step;
    const genlab_adam_scalars sc = {
        .b1 = (float)h->beta1, .omb1 = (float)(1.0 - h->beta1),
        .b2 = (float)h->beta2, .omb2 = (float)(1.0 - h->beta2),
        .neg_step = (float)-(h->lr / (1.0 - pow(h->beta1, t))),
        .bc2_sqrt = (float)sqrt(1.0 - pow(h->beta2, t)),
        .eps = (float)h->eps,
        .wd = (float)h->weight_decay, .decay = (float)(1.0 - h->lr * h->weight_decay),
        .has_wd = h->weight_decay != 0, .decoupled = h->kind == GL_OPTIM_ADAMW,
    };
    genlab_ctx *ctx = o->ctx;
    if (ctx->be_adam) {   /* a fused kernel on the backend's own memory */
        ctx->be_adam(ctx->be_state, o->p->param.block, o->p->grad, o->buf[0], o->buf[1],
                     o->numel, &sc);
        return;
    }
    gl_sync(ctx);
    float *restrict w = o->p->param.block, *restrict m = o->buf[0], *restrict v = o->buf[1];
    const float *restrict g = o->p->grad;
    const int64_t n = o->numel;
#pragma omp parallel for num_threads(nt) schedule(static) if (n >= GL_OPTIM_PAR_MIN)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i], wi = w[i];
        if (sc.has_wd && sc.decoupled)
            wi = wi * sc.decay;
        else if (sc.has_wd)
            gi = gi + sc.wd * wi;
        float mi = m[i] * sc.b1 + sc.omb1 * gi;
        float vi = v[i] * sc.b2 + sc.omb2 * gi * gi;
        float denom = sqrtf(vi) / sc.bc2_sqrt + sc.eps;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi + sc.neg_step * mi / denom;
    }
}

genlab_status genlab_optim_step(genlab_ctx *ctx, genlab_optim *o)
{
    if (!ctx || !o)
        return genlab_errorf(ctx, GL_ERR_INVALID, "optim_step: NULL argument");
    if (ctx->status != GL_OK)
        return ctx->status;   /* never step on the gradients of a failed pass */
    if (ctx != o->ctx)
        return genlab_errorf(ctx, GL_ERR_INVALID, "optim_step: optimizer belongs to another "
                             "context");
    o->step++;
    int nt = ctx->be->threads(ctx->be_state);
    if (o->o.kind == GL_OPTIM_SGD)
        sgd_step(o, nt);
    else
        adam_step(o, nt);
    return GL_OK;
}

genlab_status genlab_optim_set_lr(genlab_ctx *ctx, genlab_optim *o, double lr)
{
    if (!o)
        return genlab_errorf(ctx, GL_ERR_INVALID, "optim_set_lr: NULL optimizer");
    if (!(isfinite(lr) && lr >= 0))
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: lr = %g must be finite and >= 0",
                             kind_name(o->o.kind), lr);
    o->o.lr = lr;
    return GL_OK;
}

double genlab_optim_lr(const genlab_optim *o) { return o ? o->o.lr : NAN; }

/* ---- state ---- */

void genlab_optim_get_state(genlab_optim *o, genlab_optim_state *out)
{
    bool sgd = o->o.kind == GL_OPTIM_SGD;
    *out = (genlab_optim_state){
        .step = o->step,
        .numel = o->numel,
        .n_buffers = o->n_buf,
        .names = {sgd ? "momentum_buffer" : "exp_avg", sgd ? NULL : "exp_avg_sq"},
        .buffers = {o->buf[0], o->buf[1]},
    };
    if (o->n_buf == 0)
        out->names[0] = NULL;
}

genlab_status genlab_optim_set_step(genlab_ctx *ctx, genlab_optim *o, int64_t step)
{
    if (!o || step < 0)
        return genlab_errorf(ctx, GL_ERR_INVALID, "optim_set_step: %s",
                             !o ? "NULL optimizer" : "step must be >= 0");
    o->step = step;
    return GL_OK;
}

/* ---- checkpoints ---- */

genlab_status genlab_optim_visit(genlab_optim *o, const char *prefix, genlab_visit_fn fn,
                                 void *user)
{
    genlab_optim_state s;
    genlab_optim_get_state(o, &s);
    char dot_name[64];
    for (int i = 0; i < s.n_buffers; i++) {
        snprintf(dot_name, sizeof dot_name, ".%s", s.names[i]);
        genlab_status st = gl_visit_floats(o->ctx, prefix, dot_name, s.buffers[i], s.numel, fn,
                                           user);
        if (st != GL_OK)
            return st;
    }
    return gl_visit_count(o->ctx, prefix, ".step", &o->step, fn, user);
}
