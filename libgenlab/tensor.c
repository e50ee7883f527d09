/* SPDX-License-Identifier: MIT
 *
 * tensor.c — tensor creation, accessors and the shape helpers every op uses.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static size_t dtype_size(genlab_dtype dt)
{
    return dt == GL_U8 ? 1 : 4;
}

/* zero_data — t's data all zero bits. On a backend whose memory is not the
 * host's (gl_sync) a kernel does it, so the memory stays on the device;
 * 0.0f is all zero bits, so fill serves every 4-byte type. */
static void zero_data(genlab_ctx *ctx, genlab_tensor *t, size_t bytes)
{
    if (ctx->be_sync && bytes % sizeof(float) == 0) {
        ctx->be->fill(ctx->be_state, t->data, (int64_t)(bytes / sizeof(float)), 0.0f);
        return;
    }
    gl_sync(ctx);
    memset(t->data, 0, bytes);
}

/* validate a shape; returns numel or -1 (sticky error set) */
static int64_t shape_numel(genlab_ctx *ctx, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > GL_MAX_DIMS) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "tensor: %d dimensions (at most %d)", ndim,
                      GL_MAX_DIMS);
        return -1;
    }
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && n > INT64_MAX / 4 / shape[i])) {
            char buf[GL_SHAPE_BUF];
            genlab_errorf(ctx, GL_ERR_SHAPE, "tensor: invalid shape %s",
                          gl_dims_str(ndim, shape, buf, sizeof buf));
            return -1;
        }
        n *= shape[i];
    }
    return n;
}

static void header_init(genlab_tensor *t, genlab_ctx *ctx, genlab_dtype dtype, int ndim,
                        const int64_t *shape, int64_t numel)
{
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
    t->numel = numel;
    t->ctx = ctx;
}

genlab_tensor *gl_new(genlab_ctx *ctx, genlab_dtype dtype, int ndim, const int64_t *shape)
{
    if (!ctx || ctx->status != GL_OK)
        return NULL;
    int64_t n = shape_numel(ctx, ndim, shape);
    if (n < 0)
        return NULL;
    genlab_tensor *t = gl_arena_alloc(&ctx->meta, sizeof *t);
    void *data = gl_arena_alloc(&ctx->data, (size_t)n * dtype_size(dtype));
    if (!t || !data) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "tensor: out of memory for %lld elements",
                      (long long)n);
        return NULL;
    }
    header_init(t, ctx, dtype, ndim, shape, n);
    t->data = data;
    return t;
}

genlab_tensor *gl_new_like(genlab_ctx *ctx, const genlab_tensor *t)
{
    return gl_new(ctx, t->dtype, t->ndim, t->shape);
}

genlab_tensor *gl_view(genlab_ctx *ctx, genlab_tensor *x, int ndim, const int64_t *shape)
{
    genlab_tensor *t = gl_arena_alloc(&ctx->meta, sizeof *t);
    if (!t) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "tensor: out of memory");
        return NULL;
    }
    header_init(t, ctx, x->dtype, ndim, shape, x->numel);
    t->data = x->data;
    return t;
}

genlab_tensor *genlab_tensor_new(genlab_ctx *ctx, genlab_dtype dtype, int ndim,
                                 const int64_t *shape)
{
    genlab_tensor *t = gl_new(ctx, dtype, ndim, shape);
    if (t)
        zero_data(ctx, t, (size_t)t->numel * dtype_size(dtype));
    return t;
}

genlab_tensor *genlab_tensor_new_persistent(genlab_ctx *ctx, genlab_dtype dtype, int ndim,
                                            const int64_t *shape)
{
    if (!ctx || ctx->status != GL_OK)
        return NULL;
    int64_t n = shape_numel(ctx, ndim, shape);
    if (n < 0)
        return NULL;
    genlab_tensor *t = malloc(sizeof *t);
    size_t bytes = (size_t)n * dtype_size(dtype);
    void *data = ctx->be->alloc(ctx->be_state, bytes ? bytes : 1);
    if (!t || !data) {
        free(t);
        ctx->be->free(ctx->be_state, data);
        genlab_errorf(ctx, GL_ERR_NOMEM, "tensor: out of memory for %lld elements",
                      (long long)n);
        return NULL;
    }
    header_init(t, ctx, dtype, ndim, shape, n);
    t->data = data;
    zero_data(ctx, t, bytes);
    t->persistent = true;
    t->owns_data = true;
    return t;
}

genlab_tensor *gl_tensor_wrap(genlab_ctx *ctx, genlab_dtype dtype, int ndim,
                              const int64_t *shape, void *data)
{
    if (!ctx || ctx->status != GL_OK)
        return NULL;
    int64_t n = shape_numel(ctx, ndim, shape);
    if (n < 0)
        return NULL;
    genlab_tensor *t = malloc(sizeof *t);
    if (!t) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "tensor: out of memory for a tensor header");
        return NULL;
    }
    header_init(t, ctx, dtype, ndim, shape, n);
    t->data = data;
    t->persistent = true;   /* freed with genlab_tensor_free, which leaves data alone */
    return t;
}

void genlab_tensor_free(genlab_tensor *t)
{
    if (!t || !t->persistent)
        return;
    if (t->owns_data)
        t->ctx->be->free(t->ctx->be_state, t->data);
    free(t);
}

genlab_tensor *genlab_tensor_from(genlab_ctx *ctx, int ndim, const int64_t *shape,
                                  const float *data)
{
    genlab_tensor *t = gl_new(ctx, GL_F32, ndim, shape);
    if (t)
        ctx->be->from_host(ctx->be_state, t->data, data, (size_t)t->numel * sizeof(float));
    return t;
}

genlab_tensor *genlab_full(genlab_ctx *ctx, int ndim, const int64_t *shape, float value)
{
    genlab_tensor *t = gl_new(ctx, GL_F32, ndim, shape);
    if (t)
        ctx->be->fill(ctx->be_state, gl_f32(t), t->numel, value);
    return t;
}

genlab_tensor *genlab_tensor_scalar(genlab_ctx *ctx, float value)
{
    return genlab_full(ctx, 0, NULL, value);
}

genlab_tensor *genlab_zeros_like(genlab_ctx *ctx, const genlab_tensor *t)
{
    return t ? genlab_full(ctx, t->ndim, t->shape, 0.0f) : NULL;
}

genlab_tensor *genlab_ones_like(genlab_ctx *ctx, const genlab_tensor *t)
{
    return t ? genlab_full(ctx, t->ndim, t->shape, 1.0f) : NULL;
}

genlab_dtype genlab_tensor_dtype(const genlab_tensor *t) { return t->dtype; }
int genlab_tensor_ndim(const genlab_tensor *t) { return t->ndim; }
int64_t genlab_tensor_numel(const genlab_tensor *t) { return t->numel; }
/* The host accessors wait for the context's queued kernels: what they return
 * is read and written by host code (gl_sync). */
void *genlab_tensor_data(genlab_tensor *t)
{
    gl_sync(t->ctx);
    return t->data;
}

const float *genlab_tensor_f32(const genlab_tensor *t)
{
    gl_sync(t->ctx);
    return (const float *)t->data;
}

float *genlab_tensor_f32_mut(genlab_tensor *t)
{
    gl_sync(t->ctx);
    return (float *)t->data;
}

int64_t genlab_tensor_dim(const genlab_tensor *t, int axis)
{
    int a = gl_normalize_axis(axis, t->ndim);
    return a < 0 ? 0 : t->shape[a];
}

float genlab_tensor_item(const genlab_tensor *t)
{
    if (!t || t->numel != 1 || t->dtype != GL_F32)
        return NAN;
    float v;
    t->ctx->be->to_host(t->ctx->be_state, &v, t->data, sizeof v);
    return v;
}

genlab_status genlab_tensor_copy_into(genlab_ctx *ctx, genlab_tensor *dst,
                                      const genlab_tensor *src)
{
    if (!dst || !src)
        return genlab_errorf(ctx, GL_ERR_INVALID, "copy_into: NULL tensor");
    if (dst->numel != src->numel || dst->dtype != src->dtype) {
        char a[GL_SHAPE_BUF], b[GL_SHAPE_BUF];
        return genlab_errorf(ctx, GL_ERR_SHAPE, "copy_into: dst %s vs src %s",
                             genlab_tensor_shape_str(dst, a, sizeof a),
                             genlab_tensor_shape_str(src, b, sizeof b));
    }
    if (ctx->be_sync && src->dtype == GL_F32 && dst->data != src->data) {
        /* on the device, by a kernel: a one-axis walk */
        genlab_strided w = {.ndim = 1, .shape = {src->numel}, .dst_stride = {1},
                            .src_stride = {1}};
        ctx->be->copy(ctx->be_state, gl_f32(src), gl_f32(dst), &w);
        return GL_OK;
    }
    gl_sync(ctx);
    memmove(dst->data, src->data, (size_t)src->numel * dtype_size(src->dtype));
    return GL_OK;
}

const char *gl_dims_str(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t off = 0;
    off += (size_t)snprintf(buf + off, size - off, "(");
    for (int i = 0; i < ndim && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, i ? ", %lld" : "%lld",
                                (long long)shape[i]);
    if (off < size)
        snprintf(buf + off, size - off, ")");
    return buf;
}

const char *genlab_tensor_shape_str(const genlab_tensor *t, char *buf, size_t size)
{
    if (!t) {
        snprintf(buf, size, "(null)");
        return buf;
    }
    return gl_dims_str(t->ndim, t->shape, buf, size);
}

void genlab_tensor_set_requires_grad(genlab_tensor *t, bool on)
{
    if (t)
        t->requires_grad = on;
}

bool genlab_tensor_requires_grad(const genlab_tensor *t) { return t && t->requires_grad; }

genlab_tensor *genlab_tensor_grad(const genlab_tensor *t) { return t ? t->grad : NULL; }

genlab_status genlab_tensor_set_grad(genlab_ctx *ctx, genlab_tensor *t, genlab_tensor *grad)
{
    if (!t)
        return genlab_errorf(ctx, GL_ERR_INVALID, "set_grad: NULL tensor");
    if (grad && (grad->numel != t->numel || grad->dtype != GL_F32)) {
        char a[GL_SHAPE_BUF], b[GL_SHAPE_BUF];
        return genlab_errorf(ctx, GL_ERR_SHAPE, "set_grad: tensor %s vs grad %s",
                             genlab_tensor_shape_str(t, a, sizeof a),
                             genlab_tensor_shape_str(grad, b, sizeof b));
    }
    t->grad = grad;
    return GL_OK;
}

/* ---- shape helpers ---- */

bool gl_check_f32(genlab_ctx *ctx, const char *op, const char *arg, const genlab_tensor *t)
{
    if (t->dtype == GL_F32)
        return true;
    genlab_errorf(ctx, GL_ERR_DTYPE, "%s: %s must be float32", op, arg);
    return false;
}

bool gl_shape_eq(const genlab_tensor *a, const genlab_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

int gl_normalize_axis(int axis, int ndim)
{
    if (axis < 0)
        axis += ndim;
    return (axis < 0 || axis >= ndim) ? -1 : axis;
}

bool gl_broadcast_shape(int an, const int64_t *as, int bn, const int64_t *bs, int *ondim,
                        int64_t *out)
{
    int n = an > bn ? an : bn;
    for (int i = 0; i < n; i++) {
        int ia = an - n + i, ib = bn - n + i;
        int64_t da = ia >= 0 ? as[ia] : 1, db = ib >= 0 ? bs[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        out[i] = da == 1 ? db : da;
    }
    *ondim = n;
    return true;
}

void gl_contig_strides(int ndim, const int64_t *shape, int64_t *strides)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i];
    }
}

void gl_bcast_strides(int ndim, const int64_t *shape, int sndim, const int64_t *sshape,
                      int64_t *strides)
{
    (void)shape;
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        int si = sndim - ndim + i;
        if (si < 0 || sshape[si] == 1) {
            strides[i] = 0;
        } else {
            strides[i] = s;
        }
        if (si >= 0)
            s *= sshape[si];
    }
}
