/* SPDX-License-Identifier: MIT
 *
 * ops_reduce.c — sums and means over axes, and the broadcast pair
 * expand / sum_to, which are each other's backward.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* ---- expand and sum_to ---- */

/* does shape broadcast to tshape exactly? */
static bool broadcasts_to(genlab_ctx *ctx, const char *op, int ndim, const int64_t *shape,
                          int tndim, const int64_t *tshape)
{
    int nd;
    int64_t out[GL_MAX_DIMS];
    bool ok = ndim <= tndim && gl_broadcast_shape(ndim, shape, tndim, tshape, &nd, out) &&
              nd == tndim;
    for (int i = 0; ok && i < nd; i++)
        ok = out[i] == tshape[i];
    if (!ok) {
        char a[GL_SHAPE_BUF], b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: %s does not broadcast to %s", op,
                      gl_dims_str(ndim, shape, a, sizeof a), gl_dims_str(tndim, tshape, b, sizeof b));
    }
    return ok;
}

static bool same_dims(const genlab_tensor *x, int ndim, const int64_t *shape)
{
    if (x->ndim != ndim)
        return false;
    for (int i = 0; i < ndim; i++)
        if (x->shape[i] != shape[i])
            return false;
    return true;
}

static void expand_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_sum_to(ctx, gy, n->in[0]->ndim, n->in[0]->shape);
}

static void sum_to_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_expand(ctx, gy, n->in[0]->ndim, n->in[0]->shape);
}

static const gl_op op_expand = {"expand", expand_backward};
static const gl_op op_sum_to = {"sum_to", sum_to_backward};

genlab_tensor *genlab_expand(genlab_ctx *ctx, genlab_tensor *x, int ndim, const int64_t *shape)
{
    if (!x || ctx->status != GL_OK || !gl_check_f32(ctx, "expand", "x", x))
        return NULL;
    if (same_dims(x, ndim, shape))
        return x;
    if (!broadcasts_to(ctx, "expand", x->ndim, x->shape, ndim, shape))
        return NULL;
    genlab_tensor *y = gl_new(ctx, GL_F32, ndim, shape);
    if (!y)
        return NULL;
    genlab_strided s;
    gl_walk_bcast(&s, y, x, NULL);
    ctx->be->copy(ctx->be_state, gl_f32(x), gl_f32(y), &s);
    gl_record(ctx, &op_expand, &y, 1, &x);
    return y;
}

genlab_tensor *genlab_sum_to(genlab_ctx *ctx, genlab_tensor *x, int ndim, const int64_t *shape)
{
    if (!x || ctx->status != GL_OK || !gl_check_f32(ctx, "sum_to", "x", x))
        return NULL;
    if (same_dims(x, ndim, shape))
        return x;
    if (!broadcasts_to(ctx, "sum_to", ndim, shape, x->ndim, x->shape))
        return NULL;
    genlab_tensor *y = genlab_full(ctx, ndim, shape, 0.0f);
    if (!y)
        return NULL;
    genlab_strided s;
    gl_walk_reduce(&s, x, ndim, shape);
    ctx->be->reduce_sum(ctx->be_state, gl_f32(x), gl_f32(y), &s);
    gl_record(ctx, &op_sum_to, &y, 1, &x);
    return y;
}

/* ---- sum and mean over axes ---- */

/* the keepdim shape of reducing x over axes; count = elements per output */
static bool reduced_shape(genlab_ctx *ctx, const char *op, const genlab_tensor *x, int n_axes,
                          const int *axes, int64_t *kshape, int64_t *count)
{
    bool red[GL_MAX_DIMS] = {false};
    for (int i = 0; i < n_axes; i++) {
        int a = gl_normalize_axis(axes[i], x->ndim);
        if (a < 0) {
            char b[GL_SHAPE_BUF];
            genlab_errorf(ctx, GL_ERR_INVALID, "%s: axis %d out of range for %s", op, axes[i],
                          genlab_tensor_shape_str(x, b, sizeof b));
            return false;
        }
        red[a] = true;
    }
    *count = 1;
    for (int i = 0; i < x->ndim; i++) {
        bool r = n_axes == 0 || red[i];
        kshape[i] = r ? 1 : x->shape[i];
        if (r)
            *count *= x->shape[i];
    }
    return true;
}

/* node->i[0..ndim): the keepdim shape, to reshape gy before expanding it */
static void sum_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    const genlab_tensor *x = n->in[0];
    genlab_tensor *g = genlab_reshape(ctx, gy, x->ndim, n->i);
    gx[0] = genlab_expand(ctx, g, x->ndim, x->shape);
}

static const gl_op op_sum = {"sum", sum_backward};

genlab_tensor *genlab_sum(genlab_ctx *ctx, genlab_tensor *x, int n_axes, const int *axes,
                          bool keepdim)
{
    if (!x || ctx->status != GL_OK || !gl_check_f32(ctx, "sum", "x", x))
        return NULL;
    int64_t kshape[GL_MAX_DIMS], count;
    if (!reduced_shape(ctx, "sum", x, n_axes, axes, kshape, &count))
        return NULL;
    genlab_tensor *y = genlab_full(ctx, x->ndim, kshape, 0.0f);
    if (!y)
        return NULL;
    genlab_strided s;
    gl_walk_reduce(&s, x, x->ndim, kshape);
    ctx->be->reduce_sum(ctx->be_state, gl_f32(x), gl_f32(y), &s);
    if (!keepdim) {
        /* dropping the reduced axes leaves the contiguous layout unchanged */
        int nd = 0;
        for (int i = 0; i < x->ndim; i++) {
            bool reduced = n_axes == 0;
            for (int j = 0; j < n_axes && !reduced; j++)
                reduced = gl_normalize_axis(axes[j], x->ndim) == i;
            if (!reduced)
                y->shape[nd++] = x->shape[i];
        }
        y->ndim = nd;
    }
    gl_node *n = gl_record(ctx, &op_sum, &y, 1, &x);
    if (n)
        memcpy(n->i, kshape, (size_t)x->ndim * sizeof kshape[0]);
    return y;
}

genlab_tensor *genlab_mean(genlab_ctx *ctx, genlab_tensor *x, int n_axes, const int *axes,
                           bool keepdim)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    int64_t kshape[GL_MAX_DIMS], count;
    if (!reduced_shape(ctx, "mean", x, n_axes, axes, kshape, &count))
        return NULL;
    return genlab_scale(ctx, genlab_sum(ctx, x, n_axes, axes, keepdim),
                        count ? 1.0f / (float)count : NAN);
}

genlab_tensor *genlab_sum_all(genlab_ctx *ctx, genlab_tensor *x)
{
    return genlab_sum(ctx, x, 0, NULL, false);
}

genlab_tensor *genlab_mean_all(genlab_ctx *ctx, genlab_tensor *x)
{
    return genlab_mean(ctx, x, 0, NULL, false);
}

genlab_tensor *gl_reduce_max_keepdim(genlab_ctx *ctx, genlab_tensor *x, int axis)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    int64_t kshape[GL_MAX_DIMS], count;
    if (!reduced_shape(ctx, "max", x, 1, &axis, kshape, &count))
        return NULL;
    genlab_tensor *y = genlab_full(ctx, x->ndim, kshape, -INFINITY);
    if (!y)
        return NULL;
    genlab_strided s;
    gl_walk_reduce(&s, x, x->ndim, kshape);
    ctx->be->reduce_max(ctx->be_state, gl_f32(x), gl_f32(y), &s);
    return y;
}
