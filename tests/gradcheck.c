/* SPDX-License-Identifier: MIT
 *
 * gradcheck.c — see gradcheck.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"

/* a small LCG so test inputs do not depend on the engine's own RNG */
static float lcg_uniform(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) * 0x1p-24f;
}

genlab_tensor *gc_input(genlab_ctx *ctx, int ndim, const int64_t *shape, float lo, float hi,
                        unsigned seed)
{
    genlab_tensor *t = genlab_tensor_new_persistent(ctx, GL_F32, ndim, shape);
    if (!t)
        return NULL;
    float *p = genlab_tensor_f32_mut(t);
    unsigned s = seed * 2654435761u + 12345u;
    for (int64_t i = 0; i < genlab_tensor_numel(t); i++)
        p[i] = lo + (hi - lo) * lcg_uniform(&s);
    return t;
}

void gc_avoid(genlab_tensor *t, const float *kinks, int n_kinks, float margin)
{
    float *p = genlab_tensor_f32_mut(t);
    for (int64_t i = 0; i < genlab_tensor_numel(t); i++)
        for (int k = 0; k < n_kinks; k++)
            if (fabsf(p[i] - kinks[k]) < margin)
                p[i] = kinks[k] + (p[i] >= kinks[k] ? margin : -margin);
}

typedef struct gc_state {
    genlab_ctx    *ctx;
    gc_fn          f;
    void          *user;
    int            n;
    genlab_tensor **x;
    const gc_opts *o;
    genlab_tensor *r;               /* output weights R (persistent) */
    genlab_tensor *s[GC_MAX_INPUTS];/* second-order weights S_i */
    uint64_t       seed, rng[GL_STREAM_COUNT]; /* replayed so dropout masks repeat */
} gc_state;

static void step(gc_state *st)
{
    genlab_ctx_step_begin(st->ctx);
    genlab_rng_restore(st->ctx, st->seed, st->rng);
}

static genlab_tensor *loss_of(gc_state *st, genlab_tensor *y)
{
    return genlab_sum_all(st->ctx, genlab_mul(st->ctx, y, st->r));
}

/* L(x) or, when order == 2, G(x) = sum_i <dL/dx_i, S_i>; NAN on error */
static double eval(gc_state *st, int order)
{
    genlab_ctx *ctx = st->ctx;
    step(st);
    genlab_tensor *l = loss_of(st, st->f(ctx, st->x, st->user));
    if (order == 1 || !l)
        return l ? (double)genlab_tensor_item(l) : NAN;
    genlab_tensor *g[GC_MAX_INPUTS];
    if (genlab_grad(ctx, 1, &l, NULL, st->n, st->x, false, g) != GL_OK)
        return NAN;
    double acc = 0;
    for (int i = 0; i < st->n; i++) {
        if (st->o->no_grad[i])
            continue;
        const float *a = genlab_tensor_f32(g[i]), *b = genlab_tensor_f32(st->s[i]);
        for (int64_t j = 0; j < genlab_tensor_numel(g[i]); j++)
            acc += (double)a[j] * b[j];
    }
    return acc;
}

/* analytic gradients of L (order 1) or G (order 2), copied into out[i] */
static bool analytic(gc_state *st, int order, float **out)
{
    genlab_ctx *ctx = st->ctx;
    step(st);
    genlab_tensor *l = loss_of(st, st->f(ctx, st->x, st->user));
    genlab_tensor *g[GC_MAX_INPUTS];
    if (!l || genlab_grad(ctx, 1, &l, NULL, st->n, st->x, order == 2, g) != GL_OK)
        return false;
    if (order == 2) {
        genlab_tensor *G = NULL;
        for (int i = 0; i < st->n; i++) {
            if (st->o->no_grad[i])
                continue;
            genlab_tensor *t = genlab_sum_all(ctx, genlab_mul(ctx, g[i], st->s[i]));
            G = G ? genlab_add(ctx, G, t) : t;
        }
        if (!G || genlab_grad(ctx, 1, &G, NULL, st->n, st->x, false, g) != GL_OK)
            return false;
    }
    for (int i = 0; i < st->n; i++)
        memcpy(out[i], genlab_tensor_f32(g[i]),
               (size_t)genlab_tensor_numel(g[i]) * sizeof(float));
    return true;
}

static bool compare(gc_state *st, int order, char *msg, size_t msg_size)
{
    const gc_opts *o = st->o;
    double eps = o->eps > 0 ? o->eps : 1e-2;
    double atol = o->atol > 0 ? o->atol : 1e-3, rtol = o->rtol > 0 ? o->rtol : 5e-3;
    int max_checks = o->max_checks > 0 ? o->max_checks : 64;
    float *an[GC_MAX_INPUTS] = {0};
    bool ok = true;
    for (int i = 0; i < st->n; i++)
        an[i] = malloc((size_t)genlab_tensor_numel(st->x[i]) * sizeof(float) + 1);
    if (!analytic(st, order, an)) {
        snprintf(msg, msg_size, "order %d: analytic pass failed: %s", order,
                 genlab_ctx_errmsg(st->ctx));
        ok = false;
    }
    for (int i = 0; ok && i < st->n; i++) {
        if (o->no_grad[i])
            continue;
        int64_t n = genlab_tensor_numel(st->x[i]);
        int64_t step = n > max_checks ? n / max_checks : 1;
        float *p = genlab_tensor_f32_mut(st->x[i]);
        for (int64_t j = 0; ok && j < n; j += step) {
            float keep = p[j];
            p[j] = (float)(keep + eps);
            double up = eval(st, order);
            p[j] = (float)(keep - eps);
            double down = eval(st, order);
            p[j] = keep;
            double num = (up - down) / (2 * eps), a = an[i][j];
            if (!isfinite(a) || !isfinite(num) || fabs(a - num) > atol + rtol * fabs(num)) {
                snprintf(msg, msg_size, "order %d: input %d entry %lld: analytic %.6g vs "
                         "numeric %.6g%s%s", order, i, (long long)j, a, num,
                         genlab_ctx_status(st->ctx) ? " — " : "",
                         genlab_ctx_errmsg(st->ctx));
                ok = false;
            }
        }
    }
    for (int i = 0; i < st->n; i++)
        free(an[i]);
    return ok;
}

bool gc_check(genlab_ctx *ctx, gc_fn f, void *user, int n_in, genlab_tensor **inputs,
              const gc_opts *opts, char *msg, size_t msg_size)
{
    gc_opts defaults = {0};
    gc_state st = {ctx, f, user, n_in, inputs, opts ? opts : &defaults, NULL, {0}, 0, {0}};
    msg[0] = '\0';
    genlab_rng_state(ctx, &st.seed, st.rng);
    for (int i = 0; i < n_in; i++)
        genlab_tensor_set_requires_grad(inputs[i], !st.o->no_grad[i]);
    genlab_ctx_step_begin(ctx);
    genlab_tensor *y = f(ctx, inputs, user);
    if (!y) {
        snprintf(msg, msg_size, "forward failed: %s", genlab_ctx_errmsg(ctx));
        return false;
    }
    int64_t shape[GL_MAX_DIMS];
    for (int d = 0; d < genlab_tensor_ndim(y); d++)
        shape[d] = genlab_tensor_dim(y, d);
    bool ok = true;
    st.r = gc_input(ctx, genlab_tensor_ndim(y), shape, -1.0f, 1.0f, 991);
    for (int i = 0; i < n_in && st.o->second; i++) {
        int64_t s2[GL_MAX_DIMS];
        for (int d = 0; d < genlab_tensor_ndim(inputs[i]); d++)
            s2[d] = genlab_tensor_dim(inputs[i], d);
        st.s[i] = gc_input(ctx, genlab_tensor_ndim(inputs[i]), s2, -1.0f, 1.0f, 577 + (unsigned)i);
    }
    ok = st.r && compare(&st, 1, msg, msg_size);
    if (ok && st.o->second)
        ok = compare(&st, 2, msg, msg_size);
    genlab_tensor_free(st.r);
    for (int i = 0; i < n_in; i++)
        genlab_tensor_free(st.s[i]);
    genlab_ctx_clear_error(ctx);
    return ok;
}
