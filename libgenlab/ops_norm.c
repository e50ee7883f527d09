/* SPDX-License-Identifier: MIT
 *
 * ops_norm.c — batch, group and layer normalisation.
 *
 * Each is composed from public ops (mean, sub, mul, pow, reshape...) rather
 * than a fused kernel, so that its backward is the tape's own and can be
 * differentiated again (gradient penalties through normalised critics).
 * The price is a few passes over x: mean, x - mean, mean of its square, and
 * the scale/shift, with gamma folded into the per-statistic scale where the
 * shapes allow it. Statistics use the biased variance, as PyTorch does; only
 * batch_norm's running variance is unbiased.
 *
 * Not here: the running-stat buffers' ownership (the caller's, typically a
 * batch-norm module's persistent tensors).
 *
 * Sections: shared helpers, batch_norm, group_norm, layer_norm.
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

/* ---- batch_norm ---- */

/* run = (1 - m) run + m * k * stat, in place on the raw data: running
 * statistics are buffers, not part of the differentiated computation */
static void update_running(genlab_ctx *ctx, genlab_tensor *run, const genlab_tensor *stat,
                           float m, float k)
{
    ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, 1.0f - m, 0.0f, gl_f32(run), gl_f32(run),
                   run->numel);
    ctx->be->axpy(ctx->be_state, gl_f32(run), gl_f32(stat), run->numel, m * k);
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
    genlab_tensor *g = per_channel(ctx, gamma, x->ndim);
    genlab_tensor *b = per_channel(ctx, beta, x->ndim);
    if (!training) {
        /* y = x * s + (beta - mean * s), s = gamma / sqrt(var + eps): two
         * passes over x, every factor a (C) tensor */
        genlab_tensor *rv = per_channel(ctx, running_var, x->ndim);
        genlab_tensor *s = genlab_pow(ctx, genlab_affine(ctx, rv, 1.0f, eps), -0.5f);
        if (g)
            s = genlab_mul(ctx, s, g);
        genlab_tensor *shift = genlab_mul(ctx, per_channel(ctx, running_mean, x->ndim), s);
        shift = b ? genlab_sub(ctx, b, shift) : genlab_scale(ctx, shift, -1.0f);
        return scale_shift(ctx, x, s, shift);
    }
    /* statistics over every axis but the channel one */
    int axes[GL_MAX_DIMS], n_axes = 0;
    int64_t per = 1;
    for (int i = 0; i < x->ndim; i++)
        if (i != 1) {
            axes[n_axes++] = i;
            per *= x->shape[i];
        }
    if (per <= 1) {
        char sx[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE,
                      "%s: expected more than 1 value per channel when training, got x %s", op,
                      genlab_tensor_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    genlab_tensor *d, *mean, *var;
    genlab_tensor *s = centre(ctx, x, n_axes, axes, eps, &d, &mean, &var);
    genlab_tensor *y = scale_shift(ctx, d, g ? genlab_mul(ctx, s, g) : s, b);
    if (y && running_mean) {
        /* PyTorch keeps the unbiased variance n/(n-1) var in the running average */
        update_running(ctx, running_mean, mean, momentum, 1.0f);
        update_running(ctx, running_var, var, momentum, (float)((double)per / (double)(per - 1)));
    }
    return y;
}

/* ---- group_norm ---- */

genlab_tensor *genlab_group_norm(genlab_ctx *ctx, genlab_tensor *x, int groups,
                                 genlab_tensor *gamma, genlab_tensor *beta, float eps)
{
    static const char op[] = "group_norm";
    if (!x || ctx->status != GL_OK || !check_x_eps(ctx, op, x, 2, "(N, C, ...)", eps))
        return NULL;
    const int64_t n = x->shape[0], c = x->shape[1];
    if (groups <= 0 || c % groups != 0) {
        char sx[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: groups = %d must be positive and divide the "
                      "%lld channels of x %s", op, groups, (long long)c,
                      genlab_tensor_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    if (!check_param(ctx, op, "gamma", gamma, x, 1, &c) ||
        !check_param(ctx, op, "beta", beta, x, 1, &c))
        return NULL;
    int64_t spatial = 1;
    for (int i = 2; i < x->ndim; i++)
        spatial *= x->shape[i];
    /* view as (N, G, C/G, S): statistics per (n, g), gamma/beta as (G, C/G, 1)
     * so that gamma folds into the (N, G, C/G, 1) scale */
    const int64_t cg = c / groups;
    genlab_tensor *v = genlab_reshape(ctx, x, 4, (const int64_t[]){n, groups, cg, spatial});
    genlab_tensor *d;
    genlab_tensor *s = centre(ctx, v, 2, (const int[]){2, 3}, eps, &d, NULL, NULL);
    const int64_t pshape[3] = {groups, cg, 1};
    if (gamma)
        s = genlab_mul(ctx, s, genlab_reshape(ctx, gamma, 3, pshape));
    genlab_tensor *b = beta ? genlab_reshape(ctx, beta, 3, pshape) : NULL;
    return genlab_reshape(ctx, scale_shift(ctx, d, s, b), x->ndim, x->shape);
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
