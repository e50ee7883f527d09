/* SPDX-License-Identifier: MIT
 *
 * ops_norm.c — batch, group and layer normalisation.
 *
 * Batch norm in training mode and group norm (the UNet's, with the SiLU
 * after it folded in) are one op each, run by fused forward and backward
 * kernels where the backend has them (backend.h's batch_norm / group_norm
 * members): statistics, normalise and scale/shift in one write of y, the
 * backward's gx, ggamma and gbeta likewise, where a composition of public
 * ops makes about 8 passes over x forward and more backward. Their
 * backward falls back to public ops while it is itself recorded
 * (create_graph), so that gradient penalties through normalised critics
 * still differentiate twice; the whole op does on backends without the
 * kernels. Layer norm and batch norm in eval mode (two passes, every
 * factor a (C) tensor) are composed of public ops. Statistics use the
 * biased variance, as PyTorch does; only batch_norm's running variance is
 * unbiased.
 *
 * Not here: the running-stat buffers' ownership (the caller's, typically a
 * batch-norm module's persistent tensors).
 *
 * Sections: shared helpers, fused ops, batch_norm, group_norm, layer_norm.
 */
#include <math.h>

#include "internal.h"

/* ---- shared helpers ---- */

/* centre — statistics of x over axes, kept as size-1 dims:
 * d = x - mean, var = mean(d^2) (biased), returns (var + eps)^-1/2.
 * d: OUT. mean, var: OUT, or NULL when not wanted. */
static genlab_tensor *centre(genlab_ctx *ctx, genlab_tensor *x, int n_axes, const int *axes,
                             float eps, genlab_tensor **d, genlab_tensor **mean,
                             genlab_tensor **var)
{
    genlab_tensor *m = genlab_mean(ctx, x, n_axes, axes, true);
    *d = genlab_sub(ctx, x, m);
    genlab_tensor *v = genlab_mean(ctx, genlab_mul(ctx, *d, *d), n_axes, axes, true);
    if (mean)
        *mean = m;
    if (var)
        *var = v;
    return genlab_pow(ctx, genlab_affine(ctx, v, 1.0f, eps), -0.5f);
}

/* t * scale (+ shift when not NULL), broadcasting */
static genlab_tensor *scale_shift(genlab_ctx *ctx, genlab_tensor *t, genlab_tensor *scale,
                                  genlab_tensor *shift)
{
    genlab_tensor *y = genlab_mul(ctx, t, scale);
    return shift ? genlab_add(ctx, y, shift) : y;
}

/* an optional per-feature tensor (gamma, beta, running stats): NULL, or
 * float32 with exactly the given shape */
static bool check_param(genlab_ctx *ctx, const char *op, const char *arg, const genlab_tensor *p,
                        const genlab_tensor *x, int ndim, const int64_t *shape)
{
    if (!p)
        return true;
    if (!gl_check_f32(ctx, op, arg, p))
        return false;
    bool ok = p->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = p->shape[i] == shape[i];
    if (!ok) {
        char sp[GL_SHAPE_BUF], sw[GL_SHAPE_BUF], sx[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: %s %s must have shape %s for x %s", op, arg,
                      genlab_tensor_shape_str(p, sp, sizeof sp),
                      gl_dims_str(ndim, shape, sw, sizeof sw),
                      genlab_tensor_shape_str(x, sx, sizeof sx));
    }
    return ok;
}

/* x float32 with at least min_ndim dims, eps finite and >= 0 */
static bool check_x_eps(genlab_ctx *ctx, const char *op, const genlab_tensor *x, int min_ndim,
                        const char *layout, float eps)
{
    if (!gl_check_f32(ctx, op, "x", x))
        return false;
    if (x->ndim < min_ndim) {
        char b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: x %s must have at least %d dimensions %s", op,
                      genlab_tensor_shape_str(x, b, sizeof b), min_ndim, layout);
        return false;
    }
    if (!(eps >= 0.0f) || !isfinite(eps)) {
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: eps = %g must be finite and >= 0", op,
                      (double)eps);
        return false;
    }
    return true;
}

/* a (C) tensor viewed as (C, 1, ..., 1) so it broadcasts over (N, C, ...) of ndim dims */
static genlab_tensor *per_channel(genlab_ctx *ctx, genlab_tensor *v, int ndim)
{
    if (!v)
        return NULL;
    int64_t shape[GL_MAX_DIMS] = {v->shape[0], 1, 1, 1, 1};
    return genlab_reshape(ctx, v, ndim - 1, shape);
}

/* ---- fused ops ---- */

/* How batch and group norm see their tensors: x and gy viewed as shape
 * (ndim dims), statistics over stat_axes; gamma and beta ((c)) as pshape
 * (pdim dims), broadcasting against the view; their gradients are sums
 * over param_axes. */
typedef struct norm_view {
    int     ndim, pdim;
    int64_t shape[4], pshape[3], c;
    int     stat_axes[2], param_axes[2];
} norm_view;

/* batch norm: (N, C, S), statistics per channel, gamma as (C, 1) */
static norm_view batch_view(const genlab_norm_desc *d)
{
    return (norm_view){3, 2, {d->n, d->c, d->s}, {d->c, 1}, d->c, {0, 2}, {0, 2}};
}

/* group norm: (N, G, C/G, S), statistics per (n, g), gamma as (G, C/G, 1) */
static norm_view group_view(const genlab_norm_desc *d)
{
    const int64_t cg = d->c / d->groups;
    return (norm_view){4, 3, {d->n, d->groups, cg, d->s}, {d->groups, cg, 1}, d->c, {2, 3},
                       {0, 3}};
}

static genlab_tensor *view_of(genlab_ctx *ctx, genlab_tensor *t, const norm_view *v)
{
    return genlab_reshape(ctx, t, v->ndim, v->shape);
}

static genlab_tensor *param_of(genlab_ctx *ctx, genlab_tensor *p, const norm_view *v)
{
    return p ? genlab_reshape(ctx, p, v->pdim, v->pshape) : NULL;
}

/* act(t) with public ops */
static genlab_tensor *apply_act(genlab_ctx *ctx, genlab_tensor *t, genlab_act act)
{
    return act == GL_ACT_SILU ? genlab_silu(ctx, t) : t;
}

/* norm_composed — the op from public ops, for backends without the fused
 * kernels: gamma folded into the per-statistic scale, then act.
 * mean, var: OUT (the view's statistics, size-1 dims kept), or NULL. */
static genlab_tensor *norm_composed(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gamma,
                                    genlab_tensor *beta, const norm_view *v, float eps,
                                    genlab_act act, genlab_tensor **mean, genlab_tensor **var)
{
    genlab_tensor *dev;
    genlab_tensor *s = centre(ctx, view_of(ctx, x, v), 2, v->stat_axes, eps, &dev, mean, var);
    if (gamma)
        s = genlab_mul(ctx, s, param_of(ctx, gamma, v));
    genlab_tensor *y = scale_shift(ctx, dev, s, param_of(ctx, beta, v));
    return apply_act(ctx, genlab_reshape(ctx, y, x->ndim, x->shape), act);
}

/* norm_backward_composed — the gradients from public ops, so that a
 * backward recorded under create_graph can be differentiated again. With
 * xhat = (x - mean) rstd, z = xhat gamma + beta, y = act(z):
 *   gz = gy act'(z), gbeta = sum gz, ggamma = sum gz xhat (over param_axes),
 *   gx = rstd (gxh - mean_s(gxh) - xhat mean_s(gxh xhat)), gxh = gz gamma,
 * mean_s over the statistics' axes. */
static void norm_backward_composed(genlab_ctx *ctx, gl_node *node, genlab_tensor *gy,
                                   const norm_view *v, float eps, genlab_act act,
                                   genlab_tensor **gx)
{
    genlab_tensor *x = node->in[0], *gamma = node->in[1], *beta = node->in[2];
    genlab_tensor *dev;
    genlab_tensor *r = centre(ctx, view_of(ctx, x, v), 2, v->stat_axes, eps, &dev, NULL, NULL);
    genlab_tensor *xhat = genlab_mul(ctx, dev, r);
    genlab_tensor *g = param_of(ctx, gamma, v), *b = param_of(ctx, beta, v);
    genlab_tensor *gz = view_of(ctx, gy, v);
    if (act == GL_ACT_SILU) {
        /* silu'(z) = s (1 + z (1 - s)), s = sigmoid(z) */
        genlab_tensor *z = g ? genlab_mul(ctx, xhat, g) : xhat;
        if (b)
            z = genlab_add(ctx, z, b);
        genlab_tensor *sg = genlab_sigmoid(ctx, z);
        genlab_tensor *k = genlab_affine(ctx, genlab_mul(ctx, z, genlab_affine(ctx, sg, -1.0f,
                                                                             1.0f)),
                                         1.0f, 1.0f);
        gz = genlab_mul(ctx, gz, genlab_mul(ctx, sg, k));
    }
    const int64_t cshape[1] = {v->c};
    if (beta && gl_needs_grad(ctx, node, 2))
        gx[2] = genlab_reshape(ctx, genlab_sum(ctx, gz, 2, v->param_axes, false), 1, cshape);
    if (gamma && gl_needs_grad(ctx, node, 1))
        gx[1] = genlab_reshape(ctx, genlab_sum(ctx, genlab_mul(ctx, gz, xhat), 2, v->param_axes,
                                               false),
                               1, cshape);
    if (!gl_needs_grad(ctx, node, 0))
        return;
    genlab_tensor *gxh = g ? genlab_mul(ctx, gz, g) : gz;
    genlab_tensor *t = genlab_sub(ctx, gxh, genlab_mean(ctx, gxh, 2, v->stat_axes, true));
    t = genlab_sub(ctx, t, genlab_mul(ctx, xhat, genlab_mean(ctx, genlab_mul(ctx, gxh, xhat), 2,
                                                             v->stat_axes, true)));
    gx[0] = genlab_reshape(ctx, genlab_mul(ctx, t, r), x->ndim, x->shape);
}

/* A fused op's node keeps the geometry: i[0..3] = n, c, s, groups,
 * i[4] = act, f[0] = eps; saved[0] = the (2, k) means and rstds. */
static genlab_tensor *record_fused(genlab_ctx *ctx, const gl_op *op, genlab_tensor *y,
                                   genlab_tensor *x, genlab_tensor *gamma, genlab_tensor *beta,
                                   genlab_tensor *stats, const genlab_norm_desc *d)
{
    gl_node *node = gl_record(ctx, op, &y, 3, (genlab_tensor *[]){x, gamma, beta});
    if (node) {
        node->saved[0] = stats;
        node->i[0] = d->n;
        node->i[1] = d->c;
        node->i[2] = d->s;
        node->i[3] = d->groups;
        node->i[4] = d->act;
        node->f[0] = d->eps;
    }
    return y;
}

static genlab_norm_desc desc_of(const gl_node *node)
{
    return (genlab_norm_desc){node->i[0], node->i[1], node->i[2], node->i[3], node->f[0],
                              (int)node->i[4]};
}

/* fused_grads — the gradients a fused backward kernel overwrites: g[0] for
 * x always, g[1] and g[2] for gamma and beta where given and wanted (else
 * NULL). False when out of memory (the context says so). */
static bool fused_grads(genlab_ctx *ctx, gl_node *node, genlab_tensor **g)
{
    g[0] = gl_new_like(ctx, node->in[0]);
    for (int i = 1; i < 3; i++) {
        bool want = node->in[i] && gl_needs_grad(ctx, node, i);
        g[i] = want ? gl_new_like(ctx, node->in[i]) : NULL;
        if (want && !g[i])
            return false;
    }
    return g[0] != NULL;
}

/* the (n, c, s) geometry of an (N, C, ...) x */
static genlab_norm_desc norm_desc_of(const genlab_tensor *x, int groups, float eps,
                                     genlab_act act)
{
    genlab_norm_desc d = {x->shape[0], x->shape[1], 1, groups, eps, (int)act};
    for (int i = 2; i < x->ndim; i++)
        d.s *= x->shape[i];
    return d;
}

/* ---- batch_norm ---- */

/* run = (1 - m) run + m * k * stat, in place on the raw data: running
 * statistics are buffers, not part of the differentiated computation */
static void update_running(genlab_ctx *ctx, genlab_tensor *run, const float *stat, float m,
                           float k)
{
    ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, 1.0f - m, 0.0f, gl_f32(run), gl_f32(run),
                   run->numel);
    ctx->be->axpy(ctx->be_state, gl_f32(run), stat, run->numel, m * k);
}

static void batch_norm_backward(genlab_ctx *ctx, gl_node *node, genlab_tensor *gy,
                                genlab_tensor **gx)
{
    const genlab_norm_desc d = desc_of(node);
    if (ctx->grad_enabled) {
        const norm_view v = batch_view(&d);
        norm_backward_composed(ctx, node, gy, &v, d.eps, GL_ACT_NONE, gx);
        return;
    }
    genlab_tensor *x = node->in[0], *gamma = node->in[1], *stats = node->saved[0];
    genlab_tensor *g[3];
    if (!fused_grads(ctx, node, g))
        return;
    ctx->be->batch_norm_backward(ctx->be_state, &d, gl_f32(x), gamma ? gl_f32(gamma) : NULL,
                                 gl_f32(stats), gl_f32(stats) + d.c, gl_f32(gy), gl_f32(g[0]),
                                 g[1] ? gl_f32(g[1]) : NULL, g[2] ? gl_f32(g[2]) : NULL);
    for (int i = 0; i < 3; i++)
        gx[i] = g[i];
}

static const gl_op op_batch_norm = {"batch_norm", batch_norm_backward};

/* batch_norm_train — training mode: the fused kernels where the backend
 * has them, else the composition. mean, var: OUT, the batch's statistics
 * for the running averages ((C) floats each, in backend memory). */
static genlab_tensor *batch_norm_train(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gamma,
                                       genlab_tensor *beta, float eps, const float **mean,
                                       const float **var)
{
    const genlab_norm_desc d = norm_desc_of(x, 0, eps, GL_ACT_NONE);
    if (x->numel == 0 || !GL_BACKEND_GET(ctx->be, batch_norm) ||
        !GL_BACKEND_GET(ctx->be, batch_norm_backward)) {
        const norm_view v = batch_view(&d);
        genlab_tensor *m, *bv;
        genlab_tensor *y = norm_composed(ctx, x, gamma, beta, &v, eps, GL_ACT_NONE, &m, &bv);
        if (y) {
            *mean = gl_f32(m);
            *var = gl_f32(bv);
        }
        return y;
    }
    genlab_tensor *y = gl_new_like(ctx, x);
    genlab_tensor *stats = gl_new(ctx, GL_F32, 2, (const int64_t[]){2, d.c});
    genlab_tensor *bv = gl_new(ctx, GL_F32, 1, &d.c);
    if (!y || !stats || !bv)
        return NULL;
    float *mu = gl_f32(stats), *rstd = gl_f32(stats) + d.c;
    ctx->be->batch_norm(ctx->be_state, &d, gl_f32(x), gamma ? gl_f32(gamma) : NULL,
                        beta ? gl_f32(beta) : NULL, gl_f32(y), mu, rstd);
    /* the biased variance back from rstd: rstd^-2 - eps, within a few ulps
     * of var + eps (so of var where var >> eps; where var ~ 0, a few 1e-7
     * eps either side of it, which eval mode's + eps absorbs) */
    ctx->be->unary(ctx->be_state, GL_UNARY_POW, -2.0f, 0.0f, rstd, gl_f32(bv), d.c);
    ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, 1.0f, -eps, gl_f32(bv), gl_f32(bv), d.c);
    *mean = mu;
    *var = gl_f32(bv);
    return record_fused(ctx, &op_batch_norm, y, x, gamma, beta, stats, &d);
}

genlab_tensor *genlab_batch_norm(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gamma,
                                 genlab_tensor *beta, genlab_tensor *running_mean,
                                 genlab_tensor *running_var, bool training, float momentum,
                                 float eps)
{
    static const char op[] = "batch_norm";
    if (!x || ctx->status != GL_OK || !check_x_eps(ctx, op, x, 2, "(N, C, ...)", eps))
        return NULL;
    const int64_t c = x->shape[1];
    if (!check_param(ctx, op, "gamma", gamma, x, 1, &c) ||
        !check_param(ctx, op, "beta", beta, x, 1, &c) ||
        !check_param(ctx, op, "running_mean", running_mean, x, 1, &c) ||
        !check_param(ctx, op, "running_var", running_var, x, 1, &c))
        return NULL;
    if (!running_mean != !running_var) {
        genlab_errorf(ctx, GL_ERR_INVALID,
                      "%s: running_mean and running_var must be given together", op);
        return NULL;
    }
    if (!training && !running_mean) {
        genlab_errorf(ctx, GL_ERR_INVALID,
                      "%s: eval mode needs running_mean and running_var", op);
        return NULL;
    }
    if (training && !(momentum >= 0.0f && momentum <= 1.0f)) {
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: momentum = %g is outside [0, 1]", op,
                      (double)momentum);
        return NULL;
    }
    if (!training) {
        /* y = x * s + (beta - mean * s), s = gamma / sqrt(var + eps): two
         * passes over x, every factor a (C) tensor */
        genlab_tensor *g = per_channel(ctx, gamma, x->ndim);
        genlab_tensor *b = per_channel(ctx, beta, x->ndim);
        genlab_tensor *rv = per_channel(ctx, running_var, x->ndim);
        genlab_tensor *s = genlab_pow(ctx, genlab_affine(ctx, rv, 1.0f, eps), -0.5f);
        if (g)
            s = genlab_mul(ctx, s, g);
        genlab_tensor *shift = genlab_mul(ctx, per_channel(ctx, running_mean, x->ndim), s);
        shift = b ? genlab_sub(ctx, b, shift) : genlab_scale(ctx, shift, -1.0f);
        return scale_shift(ctx, x, s, shift);
    }
    /* statistics over every axis but the channel one */
    int64_t per = 1;
    for (int i = 0; i < x->ndim; i++)
        if (i != 1)
            per *= x->shape[i];
    if (per <= 1) {
        char sx[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE,
                      "%s: expected more than 1 value per channel when training, got x %s", op,
                      genlab_tensor_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    const float *mean, *var;
    genlab_tensor *y = batch_norm_train(ctx, x, gamma, beta, eps, &mean, &var);
    if (y && running_mean) {
        /* PyTorch keeps the unbiased variance n/(n-1) var in the running average */
        update_running(ctx, running_mean, mean, momentum, 1.0f);
        update_running(ctx, running_var, var, momentum, (float)((double)per / (double)(per - 1)));
    }
    return y;
}

/* ---- group_norm ---- */

static void group_norm_backward(genlab_ctx *ctx, gl_node *node, genlab_tensor *gy,
                                genlab_tensor **gx)
{
    const genlab_norm_desc d = desc_of(node);
    if (ctx->grad_enabled) {
        const norm_view v = group_view(&d);
        norm_backward_composed(ctx, node, gy, &v, d.eps, (genlab_act)d.act, gx);
        return;
    }
    genlab_tensor *x = node->in[0], *gamma = node->in[1], *beta = node->in[2];
    genlab_tensor *stats = node->saved[0];
    genlab_tensor *work = gl_new(ctx, GL_F32, 1, (const int64_t[]){2 * d.n * d.c});
    genlab_tensor *g[3];
    if (!work || !fused_grads(ctx, node, g))
        return;
    ctx->be->group_norm_backward(ctx->be_state, &d, gl_f32(x), gamma ? gl_f32(gamma) : NULL,
                                 beta ? gl_f32(beta) : NULL, gl_f32(stats),
                                 gl_f32(stats) + d.n * d.groups, gl_f32(gy), gl_f32(g[0]),
                                 g[1] ? gl_f32(g[1]) : NULL, g[2] ? gl_f32(g[2]) : NULL,
                                 gl_f32(work));
    for (int i = 0; i < 3; i++)
        gx[i] = g[i];
}

static const gl_op op_group_norm = {"group_norm", group_norm_backward};

genlab_tensor *genlab_group_norm_act(genlab_ctx *ctx, genlab_tensor *x, int groups,
                                     genlab_tensor *gamma, genlab_tensor *beta, float eps,
                                     genlab_act act)
{
    static const char op[] = "group_norm";
    if (!x || ctx->status != GL_OK || !check_x_eps(ctx, op, x, 2, "(N, C, ...)", eps))
        return NULL;
    const int64_t c = x->shape[1];
    if (groups <= 0 || c % groups != 0) {
        char sx[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: groups = %d must be positive and divide the "
                      "%lld channels of x %s", op, groups, (long long)c,
                      genlab_tensor_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    if (act != GL_ACT_NONE && act != GL_ACT_SILU) {
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: act = %d is not GL_ACT_NONE or GL_ACT_SILU", op,
                      (int)act);
        return NULL;
    }
    if (!check_param(ctx, op, "gamma", gamma, x, 1, &c) ||
        !check_param(ctx, op, "beta", beta, x, 1, &c))
        return NULL;
    const genlab_norm_desc d = norm_desc_of(x, groups, eps, act);
    /* an empty x has no (n, group) block for the kernels to write the
     * parameters' (zero) gradients from */
    if (x->numel == 0 || !GL_BACKEND_GET(ctx->be, group_norm) ||
        !GL_BACKEND_GET(ctx->be, group_norm_backward)) {
        const norm_view v = group_view(&d);
        return norm_composed(ctx, x, gamma, beta, &v, eps, act, NULL, NULL);
    }
    genlab_tensor *y = gl_new_like(ctx, x);
    genlab_tensor *stats = gl_new(ctx, GL_F32, 2, (const int64_t[]){2, d.n * groups});
    if (!y || !stats)
        return NULL;
    ctx->be->group_norm(ctx->be_state, &d, gl_f32(x), gamma ? gl_f32(gamma) : NULL,
                        beta ? gl_f32(beta) : NULL, gl_f32(y), gl_f32(stats),
                        gl_f32(stats) + d.n * groups);
    return record_fused(ctx, &op_group_norm, y, x, gamma, beta, stats, &d);
}

genlab_tensor *genlab_group_norm(genlab_ctx *ctx, genlab_tensor *x, int groups,
                                 genlab_tensor *gamma, genlab_tensor *beta, float eps)
{
    return genlab_group_norm_act(ctx, x, groups, gamma, beta, eps, GL_ACT_NONE);
}

/* ---- layer_norm ---- */

genlab_tensor *genlab_layer_norm(genlab_ctx *ctx, genlab_tensor *x, int n_axes,
                                 genlab_tensor *gamma, genlab_tensor *beta, float eps)
{
    static const char op[] = "layer_norm";
    if (!x || ctx->status != GL_OK || !check_x_eps(ctx, op, x, 1, "(..., features)", eps))
        return NULL;
    if (n_axes < 1 || n_axes > x->ndim) {
        char sx[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: n_axes = %d must be in [1, %d] for x %s", op,
                      n_axes, x->ndim, genlab_tensor_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    const int first = x->ndim - n_axes;
    const int64_t *trailing = x->shape + first;
    if (!check_param(ctx, op, "gamma", gamma, x, n_axes, trailing) ||
        !check_param(ctx, op, "beta", beta, x, n_axes, trailing))
        return NULL;
    int axes[GL_MAX_DIMS];
    for (int i = 0; i < n_axes; i++)
        axes[i] = first + i;
    genlab_tensor *d;
    genlab_tensor *s = centre(ctx, x, n_axes, axes, eps, &d, NULL, NULL);
    /* s varies along the leading axes and gamma along the trailing ones, so
     * they cannot be folded into one factor */
    genlab_tensor *y = genlab_mul(ctx, d, s);
    return gamma ? scale_shift(ctx, y, gamma, beta) : beta ? genlab_add(ctx, y, beta) : y;
}
