/* SPDX-License-Identifier: MIT
 *
 * ops_resample.c — pooling and resampling ops on NCHW tensors: max and
 * average pooling, the global pools, nearest and bilinear upsampling.
 *
 * Every backward is written with ops, so each op can be differentiated
 * twice (and further). The linear maps come in adjoint pairs, each pair
 * member being the other's backward:
 *   upsample_nearest  <->  nearest_adjoint  (sum of each block)
 *   upsample_bilinear <->  bilinear_adjoint (its transpose)
 *   pool_gather       <->  pool_scatter     (through saved argmax indices)
 * max_pool2d saves its int32 argmax (node->saved[0]); its output is a gather
 * of x through those indices, so it shares pool_gather's backward.
 * The adjoints and pool_gather / pool_scatter are internal (not in ops.h).
 *
 * Average pooling has no kernel of its own: the backend table is
 * append-only and a new member is not worth it for this. It is built from
 * ops that are already twice differentiable:
 *   - k == stride, pad == 0 (the 2x2 pools of ResNet discriminators): crop
 *     H and W to multiples of k (floor mode), nearest_adjoint, scale 1/k^2.
 *     One pass over x; its backward is one nearest upsampling.
 *   - otherwise: a separable box sum. Per axis: zero pad_axis, the sum of k
 *     shifted slices (the stride-1 window sums), then every stride-th window
 *     by padding to a multiple of stride, reshaping the axis into
 *     (n, stride) and slicing phase 0; finally scale 1/k^2. Zero padding
 *     gives count_include_pad. This costs about 2k copies of the stride-1
 *     map, fine for the small kernels (3x3 blurs) that take this path.
 * Without count_include_pad (genlab_avg_pool2d_v2) the same window sums
 * are divided by a constant map of each window's count of entries inside
 * x (PyTorch divides the sum too), so the backward is the division's.
 *
 * Sections: validation, nearest, bilinear, gather and scatter, max pooling,
 * average pooling, global pools.
 */
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

/* ---- validation ---- */

/* x must be float32 (N, C, H, W) with every size positive */
static bool check_nchw(genlab_ctx *ctx, const char *op, const genlab_tensor *x)
{
    if (!gl_check_f32(ctx, op, "x", x))
        return false;
    bool ok = x->ndim == 4;
    for (int i = 0; ok && i < 4; i++)
        ok = x->shape[i] > 0;
    if (!ok) {
        char b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: x must be (N, C, H, W) with positive sizes, got %s",
                      op, genlab_tensor_shape_str(x, b, sizeof b));
    }
    return ok;
}

/* the plane geometry of an NCHW tensor as the input side of a descriptor */
static genlab_pool_desc plane_desc(const genlab_tensor *x)
{
    genlab_pool_desc d = {0};
    d.planes = x->shape[0] * x->shape[1];
    d.h = x->shape[2];
    d.w = x->shape[3];
    return d;
}

static const int64_t *nchw(int64_t *s, const genlab_tensor *x, int64_t h, int64_t w)
{
    s[0] = x->shape[0];
    s[1] = x->shape[1];
    s[2] = h;
    s[3] = w;
    return s;
}

/* PyTorch's rules for a floor-mode pool: k, stride >= 1, 0 <= pad <= k/2,
 * and at least one window. Fills d's output size and pool fields. */
static bool pool_geometry(genlab_ctx *ctx, const char *op, const genlab_tensor *x, int k,
                          int stride, int pad, genlab_pool_desc *d)
{
    if (!check_nchw(ctx, op, x))
        return false;
    char b[GL_SHAPE_BUF];
    if (k < 1 || stride < 1 || pad < 0) {
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: kernel %d, stride %d, pad %d (need kernel >= 1, "
                      "stride >= 1, pad >= 0)", op, k, stride, pad);
        return false;
    }
    if (pad > k / 2) {
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: pad %d is more than half the kernel size %d",
                      op, pad, k);
        return false;
    }
    *d = plane_desc(x);
    if (d->h + 2 * (int64_t)pad < k || d->w + 2 * (int64_t)pad < k) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: kernel %d with pad %d does not fit x %s", op, k,
                      pad, genlab_tensor_shape_str(x, b, sizeof b));
        return false;
    }
    d->k = k;
    d->stride = stride;
    d->pad = pad;
    d->ho = (d->h + 2 * pad - k) / stride + 1;
    d->wo = (d->w + 2 * pad - k) / stride + 1;
    return true;
}

/* ---- nearest ---- node->i[0]: the scale */

static genlab_tensor *nearest_adjoint(genlab_ctx *ctx, genlab_tensor *g, int scale);

static void upsample_nearest_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy,
                                      genlab_tensor **gx)
{
    gx[0] = nearest_adjoint(ctx, gy, (int)n->i[0]);
}

static void nearest_adjoint_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy,
                                     genlab_tensor **gx)
{
    gx[0] = genlab_upsample_nearest(ctx, gy, (int)n->i[0]);
}

static const gl_op op_upsample_nearest = {"upsample_nearest", upsample_nearest_backward};
static const gl_op op_nearest_adjoint = {"nearest_adjoint", nearest_adjoint_backward};

genlab_tensor *genlab_upsample_nearest(genlab_ctx *ctx, genlab_tensor *x, int scale)
{
    if (!x || ctx->status != GL_OK || !check_nchw(ctx, "upsample_nearest", x))
        return NULL;
    if (scale < 1) {
        genlab_errorf(ctx, GL_ERR_INVALID, "upsample_nearest: scale %d must be >= 1", scale);
        return NULL;
    }
    genlab_pool_desc d = plane_desc(x);
    d.ho = d.h * scale;
    d.wo = d.w * scale;
    int64_t s[4];
    genlab_tensor *y = gl_new(ctx, GL_F32, 4, nchw(s, x, d.ho, d.wo));
    if (!y)
        return NULL;
    ctx->be->upsample_nearest(ctx->be_state, &d, gl_f32(x), gl_f32(y));
    gl_node *n = gl_record(ctx, &op_upsample_nearest, &y, 1, &x);
    if (n)
        n->i[0] = scale;
    return y;
}

/* (N, C, H*scale, W*scale) -> (N, C, H, W): the sum of each scale x scale block */
static genlab_tensor *nearest_adjoint(genlab_ctx *ctx, genlab_tensor *g, int scale)
{
    if (!g || ctx->status != GL_OK || !check_nchw(ctx, "nearest_adjoint", g))
        return NULL;
    if (scale < 1 || g->shape[2] % scale || g->shape[3] % scale) {
        char b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "nearest_adjoint: %s is not a multiple of scale %d",
                      genlab_tensor_shape_str(g, b, sizeof b), scale);
        return NULL;
    }
    genlab_pool_desc d = plane_desc(g);
    d.ho = d.h;
    d.wo = d.w;
    d.h /= scale;
    d.w /= scale;
    int64_t s[4];
    genlab_tensor *y = gl_new(ctx, GL_F32, 4, nchw(s, g, d.h, d.w));
    if (!y)
        return NULL;
    ctx->be->nearest_adjoint(ctx->be_state, &d, gl_f32(g), gl_f32(y));
    gl_node *n = gl_record(ctx, &op_nearest_adjoint, &y, 1, &g);
    if (n)
        n->i[0] = scale;
    return y;
}

/* ---- bilinear ---- node->i[0]: align_corners */

static genlab_tensor *bilinear_adjoint(genlab_ctx *ctx, genlab_tensor *g, int64_t h, int64_t w,
                                       bool align_corners);

static void bilinear_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    const genlab_tensor *x = n->in[0];
    gx[0] = bilinear_adjoint(ctx, gy, x->shape[2], x->shape[3], n->i[0] != 0);
}

static void bilinear_adjoint_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy,
                                      genlab_tensor **gx)
{
    const genlab_tensor *g = n->in[0];
    gx[0] = genlab_upsample_bilinear(ctx, gy, g->shape[2], g->shape[3], n->i[0] != 0);
}

static const gl_op op_bilinear = {"upsample_bilinear", bilinear_backward};
static const gl_op op_bilinear_adjoint = {"bilinear_adjoint", bilinear_adjoint_backward};

genlab_tensor *genlab_upsample_bilinear(genlab_ctx *ctx, genlab_tensor *x, int64_t out_h,
                                        int64_t out_w, bool align_corners)
{
    if (!x || ctx->status != GL_OK || !check_nchw(ctx, "upsample_bilinear", x))
        return NULL;
    if (out_h < 1 || out_w < 1) {
        char b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_INVALID, "upsample_bilinear: output size (%lld, %lld) for x %s "
                      "must be positive", (long long)out_h, (long long)out_w,
                      genlab_tensor_shape_str(x, b, sizeof b));
        return NULL;
    }
    genlab_pool_desc d = plane_desc(x);
    d.ho = out_h;
    d.wo = out_w;
    d.align_corners = align_corners;
    int64_t s[4];
    genlab_tensor *y = gl_new(ctx, GL_F32, 4, nchw(s, x, out_h, out_w));
    if (!y)
        return NULL;
    ctx->be->bilinear(ctx->be_state, &d, gl_f32(x), gl_f32(y));
    gl_node *n = gl_record(ctx, &op_bilinear, &y, 1, &x);
    if (n)
        n->i[0] = align_corners;
    return y;
}

/* g (N, C, Ho, Wo) -> (N, C, h, w): the transpose of resizing (h, w) to (Ho, Wo) */
static genlab_tensor *bilinear_adjoint(genlab_ctx *ctx, genlab_tensor *g, int64_t h, int64_t w,
                                       bool align_corners)
{
    if (!g || ctx->status != GL_OK || !check_nchw(ctx, "bilinear_adjoint", g))
        return NULL;
    genlab_pool_desc d = plane_desc(g);
    d.ho = d.h;
    d.wo = d.w;
    d.h = h;
    d.w = w;
    d.align_corners = align_corners;
    int64_t s[4];
    genlab_tensor *y = gl_new(ctx, GL_F32, 4, nchw(s, g, h, w));
    if (!y)
        return NULL;
    ctx->be->bilinear_adjoint(ctx->be_state, &d, gl_f32(g), gl_f32(y));
    gl_node *n = gl_record(ctx, &op_bilinear_adjoint, &y, 1, &g);
    if (n)
        n->i[0] = align_corners;
    return y;
}

/* ---- gather and scatter through argmax indices ----
 * node->saved[0]: the int32 indices (shape of the gathered side), flat in
 * the (H, W) planes of the scattered side. */

static genlab_tensor *pool_scatter(genlab_ctx *ctx, genlab_tensor *g, genlab_tensor *idx,
                                   int64_t h, int64_t w);

/* backward of pool_gather and of max_pool2d (a gather through its argmax) */
static void gather_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    const genlab_tensor *x = n->in[0];
    gx[0] = pool_scatter(ctx, gy, n->saved[0], x->shape[2], x->shape[3]);
}

/* the gather is the scatter's adjoint */
static genlab_tensor *pool_gather(genlab_ctx *ctx, genlab_tensor *g, genlab_tensor *idx);

static void scatter_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = pool_gather(ctx, gy, n->saved[0]);
}

static const gl_op op_pool_gather = {"pool_gather", gather_backward};
static const gl_op op_pool_scatter = {"pool_scatter", scatter_backward};

/* the descriptor of a gather from g's planes to idx's planes */
static genlab_pool_desc index_desc(const genlab_tensor *idx, int64_t h, int64_t w)
{
    genlab_pool_desc d = plane_desc(idx);
    d.ho = d.h;
    d.wo = d.w;
    d.h = h;
    d.w = w;
    return d;
}

/* g (N, C, H, W) -> y (N, C, Ho, Wo) = g at idx */
static genlab_tensor *pool_gather(genlab_ctx *ctx, genlab_tensor *g, genlab_tensor *idx)
{
    if (!g || !idx || ctx->status != GL_OK || !check_nchw(ctx, "pool_gather", g))
        return NULL;
    genlab_pool_desc d = index_desc(idx, g->shape[2], g->shape[3]);
    genlab_tensor *y = gl_new(ctx, GL_F32, 4, idx->shape);
    if (!y)
        return NULL;
    ctx->be->gather(ctx->be_state, &d, gl_f32(g), (const int32_t *)idx->data, gl_f32(y));
    gl_node *n = gl_record(ctx, &op_pool_gather, &y, 1, &g);
    if (n)
        n->saved[0] = idx;
    return y;
}

/* g (N, C, Ho, Wo) -> y (N, C, h, w): zeros, plus g added at idx */
static genlab_tensor *pool_scatter(genlab_ctx *ctx, genlab_tensor *g, genlab_tensor *idx,
                                   int64_t h, int64_t w)
{
    if (!g || !idx || ctx->status != GL_OK || !check_nchw(ctx, "pool_scatter", g))
        return NULL;
    genlab_pool_desc d = index_desc(idx, h, w);
    int64_t s[4];
    genlab_tensor *y = genlab_full(ctx, 4, nchw(s, g, h, w), 0.0f);
    if (!y)
        return NULL;
    ctx->be->scatter_add(ctx->be_state, &d, gl_f32(g), (const int32_t *)idx->data, gl_f32(y));
    gl_node *n = gl_record(ctx, &op_pool_scatter, &y, 1, &g);
    if (n)
        n->saved[0] = idx;
    return y;
}

/* ---- max pooling ---- */

static const gl_op op_max_pool = {"max_pool2d", gather_backward};

genlab_tensor *genlab_max_pool2d(genlab_ctx *ctx, genlab_tensor *x, int k, int stride, int pad)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    genlab_pool_desc d;
    if (!pool_geometry(ctx, "max_pool2d", x, k, stride, pad, &d))
        return NULL;
    if (d.h * d.w > INT32_MAX) {
        char b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "max_pool2d: planes of x %s are too large for int32 "
                      "indices", genlab_tensor_shape_str(x, b, sizeof b));
        return NULL;
    }
    int64_t s[4];
    nchw(s, x, d.ho, d.wo);
    genlab_tensor *y = gl_new(ctx, GL_F32, 4, s);
    genlab_tensor *idx = gl_new(ctx, GL_I32, 4, s);
    if (!y || !idx)
        return NULL;
    ctx->be->max_pool(ctx->be_state, &d, gl_f32(x), gl_f32(y), (int32_t *)idx->data);
    gl_node *n = gl_record(ctx, &op_max_pool, &y, 1, &x);
    if (n)
        n->saved[0] = idx;
    return y;
}

/* ---- average pooling (see the file comment) ---- */

/* Along axis (2 or 3) of a 4-D x: the zero-padded sums of k consecutive
 * entries, every stride-th window, n_out = the pooled size. */
static genlab_tensor *box_sum_axis(genlab_ctx *ctx, genlab_tensor *x, int axis, int k,
                                   int stride, int pad, int64_t n_out)
{
    if (!x)
        return NULL;
    const int64_t full = x->shape[axis] + 2 * pad - k + 1;   /* stride-1 windows */
    genlab_tensor *xp = pad ? genlab_pad_axis(ctx, x, axis, pad, pad) : x;
    genlab_tensor *acc = genlab_slice(ctx, xp, axis, 0, full);
    for (int i = 1; i < k; i++)
        acc = genlab_add(ctx, acc, genlab_slice(ctx, xp, axis, i, full));
    if (stride == 1)
        return acc;
    if (n_out * stride > full)
        acc = genlab_pad_axis(ctx, acc, axis, 0, n_out * stride - full);
    int64_t split[GL_MAX_DIMS], out[4];
    for (int i = 0, j = 0; i < 4; i++) {
        out[i] = i == axis ? n_out : x->shape[i];
        split[j++] = out[i];
        if (i == axis)
            split[j++] = stride;
    }
    acc = genlab_slice(ctx, genlab_reshape(ctx, acc, 5, split), axis + 1, 0, 1);
    return genlab_reshape(ctx, acc, 4, out);
}

/* (1, 1, Ho, Wo): how many entries of x each window covers, the padding
 * left out (PyTorch's divide_factor without count_include_pad). A constant:
 * no tape node. */
static genlab_tensor *window_counts(genlab_ctx *ctx, const genlab_pool_desc *d)
{
    int64_t s[4] = {1, 1, d->ho, d->wo};
    genlab_tensor *c = gl_new(ctx, GL_F32, 4, s);
    if (!c)
        return NULL;
    /* on the host, then to the backend: a map of Ho x Wo small integers */
    float *host = malloc((size_t)(d->ho * d->wo) * sizeof *host);
    if (!host) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "avg_pool2d: out of memory for a %lld x %lld count map",
                      (long long)d->ho, (long long)d->wo);
        return NULL;
    }
    for (int64_t i = 0; i < d->ho; i++) {
        int64_t h0 = i * d->stride - d->pad, h1 = h0 + d->k;
        int64_t nh = (h1 < d->h ? h1 : d->h) - (h0 > 0 ? h0 : 0);
        for (int64_t j = 0; j < d->wo; j++) {
            int64_t w0 = j * d->stride - d->pad, w1 = w0 + d->k;
            int64_t nw = (w1 < d->w ? w1 : d->w) - (w0 > 0 ? w0 : 0);
            host[i * d->wo + j] = (float)(nh * nw);
        }
    }
    ctx->be->from_host(ctx->be_state, c->data, host, (size_t)(d->ho * d->wo) * sizeof *host);
    free(host);
    return c;
}

genlab_tensor *genlab_avg_pool2d_v2(genlab_ctx *ctx, genlab_tensor *x, int k, int stride,
                                    int pad, bool count_include_pad)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    genlab_pool_desc d;
    if (!pool_geometry(ctx, "avg_pool2d", x, k, stride, pad, &d))
        return NULL;
    genlab_tensor *sum;
    if (k == stride && pad == 0) {
        /* floor mode drops the rows and columns that do not fill a window */
        genlab_tensor *c = x;
        if (d.ho * k != d.h)
            c = genlab_slice(ctx, c, 2, 0, d.ho * k);
        if (d.wo * k != d.w)
            c = genlab_slice(ctx, c, 3, 0, d.wo * k);
        sum = nearest_adjoint(ctx, c, k);
    } else {
        genlab_tensor *rows = box_sum_axis(ctx, x, 2, k, stride, pad, d.ho);
        sum = box_sum_axis(ctx, rows, 3, k, stride, pad, d.wo);
    }
    if (!sum)
        return NULL;
    /* without padding every window is whole: both rules divide by k^2 */
    if (count_include_pad || pad == 0)
        return genlab_scale(ctx, sum, 1.0f / (float)(k * k));
    return genlab_div(ctx, sum, window_counts(ctx, &d));
}

genlab_tensor *genlab_avg_pool2d(genlab_ctx *ctx, genlab_tensor *x, int k, int stride, int pad)
{
    return genlab_avg_pool2d_v2(ctx, x, k, stride, pad, true);
}

/* ---- global pools: (N, C, H, W) -> (N, C) ---- */

static genlab_tensor *global_pool(genlab_ctx *ctx, const char *op, genlab_tensor *x, bool mean)
{
    if (!x || ctx->status != GL_OK || !check_nchw(ctx, op, x))
        return NULL;
    static const int hw[2] = {2, 3};
    return mean ? genlab_mean(ctx, x, 2, hw, false) : genlab_sum(ctx, x, 2, hw, false);
}

genlab_tensor *genlab_global_avg_pool(genlab_ctx *ctx, genlab_tensor *x)
{
    return global_pool(ctx, "global_avg_pool", x, true);
}

genlab_tensor *genlab_global_sum_pool(genlab_ctx *ctx, genlab_tensor *x)
{
    return global_pool(ctx, "global_sum_pool", x, false);
}
