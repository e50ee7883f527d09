/* SPDX-License-Identifier: MIT
 *
 * ops_shape.c — ops that move data without arithmetic: reshape, flatten,
 * permute, slice / pad_axis (each other's backward), concat and split.
 */
#include <string.h>

#include "internal.h"

/* ---- reshape ---- */

static void reshape_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_reshape(ctx, gy, n->in[0]->ndim, n->in[0]->shape);
}

static const gl_op op_reshape = {"reshape", reshape_backward};

genlab_tensor *genlab_reshape(genlab_ctx *ctx, genlab_tensor *x, int ndim, const int64_t *shape)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    char a[GL_SHAPE_BUF], b[GL_SHAPE_BUF];
    if (ndim < 0 || ndim > GL_MAX_DIMS) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "reshape: %d dimensions", ndim);
        return NULL;
    }
    int64_t dims[GL_MAX_DIMS], known = 1;
    int infer = -1;
    for (int i = 0; i < ndim; i++) {
        dims[i] = shape[i];
        if (shape[i] == -1 && infer < 0)
            infer = i;
        else if (shape[i] < 0)
            infer = -2;
        else
            known *= shape[i];
    }
    if (infer >= 0 && known > 0 && x->numel % known == 0)
        dims[infer] = x->numel / known;
    else if (infer >= 0)
        known = -1;
    if (infer == -2 || (infer < 0 && known != x->numel) ||
        (infer >= 0 && dims[infer] * known != x->numel)) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "reshape: cannot view %s as %s",
                      genlab_tensor_shape_str(x, a, sizeof a), gl_dims_str(ndim, shape, b, sizeof b));
        return NULL;
    }
    genlab_tensor *y = gl_view(ctx, x, ndim, dims);
    gl_record(ctx, &op_reshape, &y, 1, &x);
    return y;
}

genlab_tensor *genlab_flatten(genlab_ctx *ctx, genlab_tensor *x, int start_axis)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    int s = gl_normalize_axis(start_axis, x->ndim);
    if (s < 0) {
        genlab_errorf(ctx, GL_ERR_INVALID, "flatten: start axis %d for %d dimensions",
                      start_axis, x->ndim);
        return NULL;
    }
    int64_t dims[GL_MAX_DIMS];
    for (int i = 0; i < s; i++)
        dims[i] = x->shape[i];
    dims[s] = -1;
    return genlab_reshape(ctx, x, s + 1, dims);
}

/* ---- permute ---- node->i[0..ndim): perm */

static void permute_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    int inv[GL_MAX_DIMS];
    for (int i = 0; i < n->in[0]->ndim; i++)
        inv[n->i[i]] = i;
    gx[0] = genlab_permute(ctx, gy, inv);
}

static const gl_op op_permute = {"permute", permute_backward};

genlab_tensor *genlab_permute(genlab_ctx *ctx, genlab_tensor *x, const int *perm)
{
    if (!x || ctx->status != GL_OK || !gl_check_f32(ctx, "permute", "x", x))
        return NULL;
    int seen[GL_MAX_DIMS] = {0};
    int64_t shape[GL_MAX_DIMS], xs[GL_MAX_DIMS];
    gl_contig_strides(x->ndim, x->shape, xs);
    genlab_strided s;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < x->ndim; i++) {
        int p = perm[i];
        if (p < 0 || p >= x->ndim || seen[p]++) {
            genlab_errorf(ctx, GL_ERR_INVALID, "permute: not a permutation of %d axes (entry %d = %d)",
                          x->ndim, i, p);
            return NULL;
        }
        shape[i] = x->shape[p];
        s.src_stride[i] = xs[p];
    }
    genlab_tensor *y = gl_new(ctx, GL_F32, x->ndim, shape);
    if (!y)
        return NULL;
    s.ndim = x->ndim;
    memcpy(s.shape, shape, sizeof shape);
    gl_contig_strides(x->ndim, shape, s.dst_stride);
    gl_walk_coalesce(&s);
    ctx->be->copy(ctx->be_state, gl_f32(x), gl_f32(y), &s);
    gl_node *n = gl_record(ctx, &op_permute, &y, 1, &x);
    if (n)
        for (int i = 0; i < x->ndim; i++)
            n->i[i] = perm[i];
    return y;
}

/* ---- slice, pad_axis, concat ---- */

/* copy a block of shape `shape` between src (shape sshape, starting at
 * sstart along axis) and dst (shape dshape, starting at dstart along axis) */
static void copy_block(genlab_ctx *ctx, const genlab_tensor *src, int64_t sstart,
                       genlab_tensor *dst, int64_t dstart, int axis, int64_t len)
{
    genlab_strided s;
    memset(&s, 0, sizeof s);
    s.ndim = src->ndim;
    memcpy(s.shape, src->shape, sizeof s.shape);
    s.shape[axis] = len;
    gl_contig_strides(src->ndim, src->shape, s.src_stride);
    gl_contig_strides(dst->ndim, dst->shape, s.dst_stride);
    const float *sp = gl_f32(src) + sstart * s.src_stride[axis];
    float *dp = gl_f32(dst) + dstart * s.dst_stride[axis];
    gl_walk_coalesce(&s);
    if (len > 0)
        ctx->be->copy(ctx->be_state, sp, dp, &s);
}

/* node->i[0] axis, i[1] start (slice) or before (pad), i[2] len / after */
static void slice_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    int axis = (int)n->i[0];
    int64_t full = n->in[0]->shape[axis];
    gx[0] = genlab_pad_axis(ctx, gy, axis, n->i[1], full - n->i[1] - n->i[2]);
}

static void pad_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    int axis = (int)n->i[0];
    gx[0] = genlab_slice(ctx, gy, axis, n->i[1], n->in[0]->shape[axis]);
}

static const gl_op op_slice = {"slice", slice_backward};
static const gl_op op_pad = {"pad_axis", pad_backward};

genlab_tensor *genlab_slice(genlab_ctx *ctx, genlab_tensor *x, int axis, int64_t start,
                            int64_t len)
{
    if (!x || ctx->status != GL_OK || !gl_check_f32(ctx, "slice", "x", x))
        return NULL;
    int a = gl_normalize_axis(axis, x->ndim);
    if (a < 0 || start < 0 || len < 0 || start + len > x->shape[a]) {
        char b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_INVALID, "slice: [%lld, %lld) on axis %d of %s",
                      (long long)start, (long long)(start + len), axis,
                      genlab_tensor_shape_str(x, b, sizeof b));
        return NULL;
    }
    int64_t shape[GL_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[a] = len;
    genlab_tensor *y = gl_new(ctx, GL_F32, x->ndim, shape);
    if (!y)
        return NULL;
    copy_block(ctx, x, start, y, 0, a, len);
    gl_node *n = gl_record(ctx, &op_slice, &y, 1, &x);
    if (n) {
        n->i[0] = a;
        n->i[1] = start;
        n->i[2] = len;
    }
    return y;
}

genlab_tensor *genlab_pad_axis(genlab_ctx *ctx, genlab_tensor *x, int axis, int64_t before,
                               int64_t after)
{
    if (!x || ctx->status != GL_OK || !gl_check_f32(ctx, "pad_axis", "x", x))
        return NULL;
    int a = gl_normalize_axis(axis, x->ndim);
    if (a < 0 || before < 0 || after < 0) {
        genlab_errorf(ctx, GL_ERR_INVALID, "pad_axis: axis %d, before %lld, after %lld", axis,
                      (long long)before, (long long)after);
        return NULL;
    }
    int64_t shape[GL_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[a] += before + after;
    genlab_tensor *y = genlab_full(ctx, x->ndim, shape, 0.0f);
    if (!y)
        return NULL;
    copy_block(ctx, x, 0, y, before, a, x->shape[a]);
    gl_node *n = gl_record(ctx, &op_pad, &y, 1, &x);
    if (n) {
        n->i[0] = a;
        n->i[1] = before;
        n->i[2] = after;
    }
    return y;
}

/* node->i[0] axis */
static void concat_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    int axis = (int)n->i[0];
    int64_t off = 0;
    for (int k = 0; k < n->n_in; k++) {
        int64_t len = n->in[k]->shape[axis];
        if (gl_needs_grad(ctx, n, k))
            gx[k] = genlab_slice(ctx, gy, axis, off, len);
        off += len;
    }
}

static const gl_op op_concat = {"concat", concat_backward};

genlab_tensor *genlab_concat(genlab_ctx *ctx, int n, genlab_tensor *const *xs, int axis)
{
    if (ctx->status != GL_OK)
        return NULL;
    if (n < 1 || !xs) {
        genlab_errorf(ctx, GL_ERR_INVALID, "concat: no tensors");
        return NULL;
    }
    for (int k = 0; k < n; k++)
        if (!xs[k])
            return NULL;
    const genlab_tensor *x0 = xs[0];
    int a = gl_normalize_axis(axis, x0->ndim);
    if (a < 0) {
        genlab_errorf(ctx, GL_ERR_INVALID, "concat: axis %d for %d dimensions", axis, x0->ndim);
        return NULL;
    }
    int64_t shape[GL_MAX_DIMS];
    memcpy(shape, x0->shape, sizeof shape);
    shape[a] = 0;
    for (int k = 0; k < n; k++) {
        bool ok = xs[k]->ndim == x0->ndim && gl_check_f32(ctx, "concat", "input", xs[k]);
        for (int d = 0; ok && d < x0->ndim; d++)
            ok = d == a || xs[k]->shape[d] == x0->shape[d];
        if (!ok) {
            char s0[GL_SHAPE_BUF], sk[GL_SHAPE_BUF];
            genlab_errorf(ctx, GL_ERR_SHAPE, "concat: input 0 %s and input %d %s differ off axis %d",
                          genlab_tensor_shape_str(x0, s0, sizeof s0), k,
                          genlab_tensor_shape_str(xs[k], sk, sizeof sk), a);
            return NULL;
        }
        shape[a] += xs[k]->shape[a];
    }
    genlab_tensor *y = gl_new(ctx, GL_F32, x0->ndim, shape);
    if (!y)
        return NULL;
    int64_t off = 0;
    for (int k = 0; k < n; k++) {
        copy_block(ctx, xs[k], 0, y, off, a, xs[k]->shape[a]);
        off += xs[k]->shape[a];
    }
    gl_node *node = gl_record(ctx, &op_concat, &y, n, xs);
    if (node)
        node->i[0] = a;
    return y;
}

genlab_status genlab_split(genlab_ctx *ctx, genlab_tensor *x, int axis, int n,
                           const int64_t *sizes, genlab_tensor **outs)
{
    if (!x)
        return ctx->status != GL_OK ? ctx->status
                                    : genlab_errorf(ctx, GL_ERR_INVALID, "split: NULL input");
    int a = gl_normalize_axis(axis, x->ndim);
    int64_t total = 0;
    for (int k = 0; k < n; k++)
        total += sizes[k];
    if (a < 0 || n < 1 || total != x->shape[a]) {
        char b[GL_SHAPE_BUF];
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "split: %d sizes summing to %lld on axis %d of %s", n,
                             (long long)total, axis, genlab_tensor_shape_str(x, b, sizeof b));
    }
    int64_t off = 0;
    for (int k = 0; k < n; k++) {
        outs[k] = genlab_slice(ctx, x, a, off, sizes[k]);
        off += sizes[k];
    }
    return ctx->status;
}
