/* SPDX-License-Identifier: MIT
 *
 * backend.h — the compute backend interface (a vtable of kernels).
 *
 * Ops (ops.h) check shapes, allocate results and record the tape; the work
 * itself is done by a backend through this table. The CPU backend is built
 * into libgenlab; other backends (CUDA) are plugins that fill the same table
 * and report through probe() whether they can run on this machine.
 *
 * Kernels take raw pointers to backend memory plus sizes, and cannot fail:
 * every argument was validated by the op before the call. Float tensors are
 * contiguous row-major unless a stride array says otherwise.
 *
 * ABI: append-only. New members go at the end under a comment naming the ABI
 * minor version that added them; the host reads a member only if struct_size
 * covers it. Every member is required unless its comment says "(optional)".
 */
#ifndef GENLAB_BACKEND_H
#define GENLAB_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GL_BACKEND_ABI_VERSION 1

/* Elementwise functions y = f(x; alpha, beta). */
typedef enum genlab_unary_kind {
    GL_UNARY_AFFINE = 0,     /* alpha * x + beta */
    GL_UNARY_EXP,
    GL_UNARY_LOG,
    GL_UNARY_SQRT,
    GL_UNARY_TANH,
    GL_UNARY_SIGMOID,
    GL_UNARY_SOFTPLUS,       /* log1p(exp(x)) without overflow */
    GL_UNARY_ABS,
    GL_UNARY_SIGN,           /* -1, 0, 1 */
    GL_UNARY_ERF,
    GL_UNARY_POW,            /* x ^ alpha */
    GL_UNARY_LEAKY_RELU,     /* x > 0 ? x : alpha * x */
    GL_UNARY_LEAKY_MASK,     /* x > 0 ? 1 : alpha   (derivative of leaky relu) */
    GL_UNARY_COUNT
} genlab_unary_kind;

typedef enum genlab_binary_kind {
    GL_BINARY_ADD = 0,
    GL_BINARY_SUB,
    GL_BINARY_MUL,
    GL_BINARY_DIV,
    GL_BINARY_COUNT
} genlab_binary_kind;

/* A strided n-d walk: for every index i of shape, element
 * offset = sum_k i[k] * stride[k] (in elements). A stride of 0 broadcasts. */
typedef struct genlab_strided {
    int     ndim;
    int64_t shape[GL_MAX_DIMS];
    int64_t dst_stride[GL_MAX_DIMS];
    int64_t src_stride[GL_MAX_DIMS];  /* first source */
    int64_t src2_stride[GL_MAX_DIMS]; /* second source (binary kernels) */
} genlab_strided;

/* Convolution geometry (forward direction: x -> y). */
typedef struct genlab_conv_desc {
    int64_t n, cin, h, w;        /* input  (N, Cin, H, W) */
    int64_t cout, ho, wo;        /* output (N, Cout, Ho, Wo) */
    int64_t kh, kw;              /* kernel, weight (Cout, Cin/groups, kh, kw) */
    int64_t sh, sw, ph, pw, dh, dw;
    int64_t groups;
} genlab_conv_desc;

/* Pooling/resampling geometry, per (N*C) plane. */
typedef struct genlab_pool_desc {
    int64_t planes, h, w, ho, wo;
    int64_t k, stride, pad;      /* pools */
    int     align_corners;       /* bilinear */
} genlab_pool_desc;

/* The per-step scalars of one Adam/AdamW step (optim.c computes them in
 * double from the hyper-parameters and the step count, then rounds once). */
typedef struct genlab_adam_scalars {
    float b1, omb1;          /* beta1, 1 - beta1 */
    float b2, omb2;          /* beta2, 1 - beta2 */
    float neg_step;          /* -lr / (1 - beta1^t) */
    float bc2_sqrt;          /* sqrt(1 - beta2^t) */
    float eps;
    float wd;                /* weight decay (Adam: added to the gradient) */
    float decay;             /* 1 - lr * wd (AdamW: applied to the weights) */
    int   has_wd;            /* weight decay != 0 */
    int   decoupled;         /* AdamW */
} genlab_adam_scalars;

/* Normalisation geometry: x (n, c, s) contiguous. Group norm: groups
 * divides c, statistics per (n, group) over its c / groups channels times
 * s; act: a genlab_act (ops.h: 0 none, 1 SiLU) applied to the normalised
 * output. Batch norm reads n, c, s and eps only (statistics per channel). */
typedef struct genlab_norm_desc {
    int64_t n, c, s, groups;
    float   eps;
    int     act;
} genlab_norm_desc;

typedef struct genlab_backend_i {
    uint32_t    abi_version;     /* GL_BACKEND_ABI_VERSION */
    uint32_t    struct_size;     /* sizeof(genlab_backend_i) of the builder */
    const char *name;            /* "cpu", "cuda" */

    /* probe — 0 if unusable on this machine, else a score (higher preferred). */
    int  (*probe)(void);
    /* init — make the backend's state for one context (threads: 0 = default).
     * OUT: *state. release frees it. */
    genlab_status (*init)(int n_threads, void **state);
    void (*release)(void *state);
    int  (*threads)(void *state);

    /* memory: bytes of backend memory, 64-byte aligned; free(NULL) is a no-op.
     * to_host/from_host copy between host and backend memory. */
    void *(*alloc)(void *state, size_t bytes);
    void  (*free)(void *state, void *ptr);
    void  (*to_host)(void *state, void *host, const void *src, size_t bytes);
    void  (*from_host)(void *state, void *dst, const void *host, size_t bytes);

    /* fill — y[0..n) = value.  axpy — y += alpha * x. */
    void (*fill)(void *state, float *y, int64_t n, float value);
    void (*axpy)(void *state, float *y, const float *x, int64_t n, float alpha);
    /* unary — y = f(x) elementwise (y may alias x). */
    void (*unary)(void *state, genlab_unary_kind kind, float alpha, float beta,
                  const float *x, float *y, int64_t n);
    /* binary — y = a (op) b over the strided walk s (dst contiguous). */
    void (*binary)(void *state, genlab_binary_kind kind, const float *a, const float *b,
                   float *y, const genlab_strided *s);
    /* copy — dst[walk] = src[walk] (permute, expand, slice, pad, concat). */
    void (*copy)(void *state, const float *src, float *dst, const genlab_strided *s);
    /* reduce_sum — dst[walk] += src[walk] where dst strides are 0 on reduced
     * axes; dst must be zeroed by the caller. Deterministic for a fixed
     * thread count. reduce_max likewise with max (dst pre-filled with -inf). */
    void (*reduce_sum)(void *state, const float *src, float *dst, const genlab_strided *s);
    void (*reduce_max)(void *state, const float *src, float *dst, const genlab_strided *s);

    /* gemm — batched row-major C[b] = alpha * op(A[b]) op(B[b]) + beta * C[b],
     * with A (M,K) or (K,M) if ta, B (K,N) or (N,K) if tb; batch strides in
     * elements (0 = shared operand). */
    void (*gemm)(void *state, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, int64_t stride_a, const float *b, int64_t ldb,
                 int64_t stride_b, float beta, float *c, int64_t ldc, int64_t stride_c,
                 int64_t batch);

    /* conv2d_forward — y = x (*) w (no bias). conv2d_backward_data — gx = the
     * adjoint applied to gy (overwrites gx). conv2d_backward_weight — gw =
     * d/dw (overwrites gw). */
    void (*conv2d_forward)(void *state, const genlab_conv_desc *d, const float *x,
                           const float *w, float *y);
    void (*conv2d_backward_data)(void *state, const genlab_conv_desc *d, const float *gy,
                                 const float *w, float *gx);
    void (*conv2d_backward_weight)(void *state, const genlab_conv_desc *d, const float *x,
                                   const float *gy, float *gw);

    /* max_pool — y and the flat in-plane argmax index of each output.
     * gather — y[p, o] = x[p, idx[p, o]]; scatter_add — y[p, idx[p, o]] += x[p, o]
     * (y zeroed by the caller). Planes are (N*C). */
    void (*max_pool)(void *state, const genlab_pool_desc *d, const float *x, float *y,
                     int32_t *idx);
    void (*gather)(void *state, const genlab_pool_desc *d, const float *x, const int32_t *idx,
                   float *y);
    void (*scatter_add)(void *state, const genlab_pool_desc *d, const float *x,
                        const int32_t *idx, float *y);
    /* upsample_nearest — (h,w) -> (ho,wo) integer factor; its adjoint
     * nearest_adjoint sums each block (overwrites y). */
    void (*upsample_nearest)(void *state, const genlab_pool_desc *d, const float *x, float *y);
    void (*nearest_adjoint)(void *state, const genlab_pool_desc *d, const float *x, float *y);
    /* bilinear — (h,w) -> (ho,wo); bilinear_adjoint — its transpose
     * (from (ho,wo) back to (h,w), overwrites y). */
    void (*bilinear)(void *state, const genlab_pool_desc *d, const float *x, float *y);
    void (*bilinear_adjoint)(void *state, const genlab_pool_desc *d, const float *x, float *y);

    /* rng — fill y[0..n) from the counter-based generator: element i is
     * genlab_rng_element(kind, seed, stream, offset + i) (genlab/backend_elements.h,
     * written for C and CUDA so that every backend draws the same numbers).
     * kind 0 = uniform [0,1), 1 = standard normal. Identical for any thread
     * count. */
    void (*rng)(void *state, int kind, uint64_t seed, uint64_t stream, uint64_t offset,
                float *y, int64_t n);

    /* ---- ABI additions (same GL_BACKEND_ABI_VERSION; read through
     * GL_BACKEND_GET, which checks struct_size) ---- */

    /* synchronize — (optional) wait until every kernel queued on state has
     * finished, so that host code may read and write backend memory
     * directly. A backend whose memory the host can use at any time (the
     * CPU) leaves it NULL. The core calls it from the host accessors
     * (genlab_tensor_f32, _mut, _data, _item) and before its own host loops. */
    void (*synchronize)(void *state);
    /* adam — (optional) one fused Adam/AdamW step over n contiguous floats
     * (w, m, v updated in place, g read), with the scalars the optimizer
     * computed in double and rounded once, exactly as its host loop uses
     * them (optim.c): decoupled != 0 is AdamW (w *= decay first), else
     * weight decay wd is added to the gradient when has_wd. NULL: the
     * optimizer runs its host loop. */
    void (*adam)(void *state, float *w, const float *g, float *m, float *v, int64_t n,
                 const genlab_adam_scalars *s);
    /* device_name — (optional) the device a state runs on ("NVIDIA H100
     * 80GB HBM3"), stored with runs. Owned by state. NULL: the backend's name. */
    const char *(*device_name)(void *state);
    /* probe_reason — (optional) why probe() returned 0 ("no CUDA driver",
     * "no device", "compute capability 6.1 < 7.0"); static text. */
    const char *(*probe_reason)(void);
    /* memory_peak — (optional) the most bytes of device memory the state has
     * held (in use and cached) since init; for benchmarks. */
    size_t (*memory_peak)(void *state);
    /* notes — (optional) what the state chose for itself, one line per
     * choice (the CUDA backend: each convolution shape's cuDNN algorithm
     * and the times it measured), for benchmark logs. Owned by state, valid
     * until the next call or release. NULL: nothing to tell. */
    const char *(*notes)(void *state);
    /* group_norm — (optional, together with group_norm_backward) the fused
     * forward of genlab_group_norm_act: per (n, group), mean and rstd =
     * (biased var + eps)^-1/2 (OUT: mean, rstd, n * groups floats), then
     * y = act((x - mean) rstd gamma + beta), every element written once.
     * gamma, beta: (c), or NULL for 1 and 0. Each (n, group)'s statistics
     * are one reduction in a fixed order (never split between threads), so
     * the bits do not depend on the thread count. NULL: the op composes
     * public ops instead. */
    void (*group_norm)(void *state, const genlab_norm_desc *d, const float *x,
                       const float *gamma, const float *beta, float *y, float *mean,
                       float *rstd);
    /* group_norm_backward — the fused backward of group_norm, from its x,
     * gamma, beta, mean, rstd and the output gradient gy: gx (overwritten),
     * ggamma and gbeta ((c), overwritten; either NULL when not wanted), the
     * activation's derivative folded in. work: 2 n c floats of scratch (the
     * per-(n, channel) partial sums, combined over n in order). */
    void (*group_norm_backward)(void *state, const genlab_norm_desc *d, const float *x,
                                const float *gamma, const float *beta, const float *mean,
                                const float *rstd, const float *gy, float *gx, float *ggamma,
                                float *gbeta, float *work);
    /* conv2d_forward_bias — (optional) conv2d_forward with y[n, c] += b[c]
     * done by the kernel as it writes y, b (cout). NULL: the op adds the
     * bias in a pass of its own. */
    void (*conv2d_forward_bias)(void *state, const genlab_conv_desc *d, const float *x,
                                const float *w, const float *b, float *y);
    /* ABI addition: batch_norm, batch_norm_backward */
    /* batch_norm — (optional, together with batch_norm_backward) the fused
     * training-mode forward of genlab_batch_norm: per channel, over the n s
     * values of (n, c, s) x, mean and rstd = (biased var + eps)^-1/2 (OUT:
     * mean, rstd, c floats each), then y = (x - mean) rstd gamma + beta,
     * every element written once. Reads d's n, c, s and eps (groups and act
     * are not used). gamma, beta: (c), or NULL for 1 and 0. Each channel's
     * statistics are one reduction in an order fixed by the shape (never
     * split by thread count or timing, no atomics). NULL: the op composes
     * public ops instead. */
    void (*batch_norm)(void *state, const genlab_norm_desc *d, const float *x,
                       const float *gamma, const float *beta, float *y, float *mean,
                       float *rstd);
    /* batch_norm_backward — the fused backward of batch_norm, from its x,
     * gamma (NULL for 1), mean, rstd and the output gradient gy: gx
     * (overwritten), ggamma and gbeta ((c), overwritten; either NULL when
     * not wanted). Sums per channel in a fixed order, as the forward. */
    void (*batch_norm_backward)(void *state, const genlab_norm_desc *d, const float *x,
                                const float *gamma, const float *mean, const float *rstd,
                                const float *gy, float *gx, float *ggamma, float *gbeta);
    /* ABI addition: set_precision */
    /* set_precision — (optional) the compute type of the state's following
     * gemm and conv2d_* calls (context.h: fp32, tf32, bf16, f16). Operands
     * and results stay float32 in memory; a backend converts them for the
     * product as it needs, and accumulates in float32. Returns non-zero when
     * the state computes so from now on, 0 (nothing changed) when it cannot
     * (a device without bfloat16). NULL: the backend computes in fp32 only. */
    int (*set_precision)(void *state, genlab_precision p);
} genlab_backend_i;

/* GL_BACKEND_GET(be, member) — be->member when the backend's struct_size
 * covers it, else NULL (for the ABI additions). */
#define GL_BACKEND_GET(be, member)                                                         \
    ((be)->struct_size >= offsetof(genlab_backend_i, member) + sizeof((be)->member)       \
         ? (be)->member : NULL)

/* genlab_backend_cpu — the built-in CPU backend's table. */
const genlab_backend_i *genlab_backend_cpu(void);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_BACKEND_H */
