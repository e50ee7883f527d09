/* SPDX-License-Identifier: MIT
 *
 * cpu.h — the CPU backend's internal interface: its state and the kernels
 * each cpu_*.c file contributes to the vtable in cpu_backend.c.
 *
 * The convolution kernels have two implementations: im2col + OpenBLAS
 * (cpu_conv.c, always built) and oneDNN (cpu_conv_dnnl.c, built when
 * configure finds it: HAVE_DNNL). cpu_conv_dispatch.c chooses one per call,
 * by a fixed rule on the pass and the shapes.
 */
#ifndef GENLAB_CPU_H
#define GENLAB_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include "genlab/backend.h"

/* The three convolution kernels, named by what they compute. */
typedef enum gl_conv_pass {
    GL_CONV_FORWARD,           /* y from x and w */
    GL_CONV_BACKWARD_DATA,     /* gx from gy and w (also conv_transpose2d's forward) */
    GL_CONV_BACKWARD_WEIGHT    /* gw from x and gy */
} gl_conv_pass;

/* Implementations of the convolution kernels. */
typedef enum gl_conv_impl {
    GL_CONV_AUTO = 0,          /* the rule of cpu_conv_dispatch.c */
    GL_CONV_IM2COL,            /* cpu_conv.c */
    GL_CONV_DNNL,              /* oneDNN on the NCHW / OIHW tensors themselves */
    GL_CONV_DNNL_BLOCKED,      /* oneDNN on its blocked layouts, reordered in and out */
    GL_CONV_IMPLS
} gl_conv_impl;

struct gl_dnnl;

typedef struct gl_cpu_state {
    int    threads;
    float *scratch;        /* conv workspace (im2col columns), grown on demand */
    size_t scratch_bytes;
    size_t conv_ws_max;    /* cap on the conv workspace in bytes (batch chunking);
                            * 0 = GL_CONV_WS_DEFAULT, and GL_DNNL_WS_DEFAULT
                            * for oneDNN. Tests lower it. */
    int    conv_copy_threads; /* threads of the conv copies; 0 = chosen by
                               * cpu_conv.c. Tests raise it. */
    gl_conv_impl conv_impl;   /* GL_CONV_AUTO, or the implementation every conv
                               * kernel call tries first (tests, bench_conv) */
    int64_t conv_runs[GL_CONV_IMPLS]; /* kernel calls each implementation served */
    struct gl_dnnl *dnnl;     /* oneDNN engine, stream and primitives
                               * (cpu_conv_dnnl.c); NULL until first used */
} gl_cpu_state;

/* Default cap on the conv workspace: bounds memory while keeping GEMMs big. */
#define GL_CONV_WS_DEFAULT ((size_t)64 << 20)
/* Default cap on a oneDNN blocked call's workspace, which holds x and y
 * whole in the blocked layout (it cannot chunk the batch as im2col does):
 * 256 MiB takes a batch of 64 with 128 channels at 32x32 (67 MiB: resnet32's
 * first blocks) or 64 channels at 64x64 (134 MiB: a U-Net's top level). */
#define GL_DNNL_WS_DEFAULT ((size_t)256 << 20)

/* gl_cpu_expf — exp(x) for x <= 0 in a form the compiler vectorises (no
 * libm call, no branch): Cephes' expf, x = k ln 2 + r with |r| <= ln 2 / 2
 * (ln 2 split in two so k ln 2 is exact), a degree-7 polynomial for e^r,
 * and 2^k built in the exponent bits. Within 1.02 ulp of the exact exp for
 * every float in [-87.3, 0] (libm's expf: 0.51; measured over all of them,
 * test_norm_fused samples it); below that it returns 0 where
 * expf gives denormals (of no weight beside the 1 a sigmoid adds). NaN
 * stays NaN. Only x <= 0 is supported (sigmoid's exp(-|z|)). */
static inline float gl_cpu_expf(float x)
{
    const float xc = x < -87.3f ? -87.3f : x;
    /* k = round(x / ln 2) by the 1.5 * 2^23 shifter: plain arithmetic, so
     * the loop stays vectorisable (floorf under a condition is not) */
    const float k = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = xc - k * 0.693359375f;
    r = r - k * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    const int32_t bits = ((int32_t)k + 127) << 23;
    float two_k;
    memcpy(&two_k, &bits, sizeof two_k);
    const float e = p * two_k;
    return x < -87.3f ? 0.0f : e;   /* a NaN x went through as NaN */
}

/* gl_cpu_scratch — a workspace of at least bytes, kept across calls (NULL on OOM). */
float *gl_cpu_scratch(gl_cpu_state *st, size_t bytes);

/* cpu_norm.c: the vtable's fused group and batch norm kernels */
void gl_cpu_group_norm(void *state, const genlab_norm_desc *d, const float *x,
                       const float *gamma, const float *beta, float *y, float *mean,
                       float *rstd);
void gl_cpu_group_norm_backward(void *state, const genlab_norm_desc *d, const float *x,
                                const float *gamma, const float *beta, const float *mean,
                                const float *rstd, const float *gy, float *gx, float *ggamma,
                                float *gbeta, float *work);
void gl_cpu_batch_norm(void *state, const genlab_norm_desc *d, const float *x,
                       const float *gamma, const float *beta, float *y, float *mean,
                       float *rstd);
void gl_cpu_batch_norm_backward(void *state, const genlab_norm_desc *d, const float *x,
                                const float *gamma, const float *mean, const float *rstd,
                                const float *gy, float *gx, float *ggamma, float *gbeta);

/* cpu_conv_dispatch.c: the vtable's conv kernels */
void gl_cpu_conv2d_forward(void *state, const genlab_conv_desc *d, const float *x,
                           const float *w, float *y);
void gl_cpu_conv2d_forward_bias(void *state, const genlab_conv_desc *d, const float *x,
                                const float *w, const float *b, float *y);
void gl_cpu_conv2d_backward_data(void *state, const genlab_conv_desc *d, const float *gy,
                                 const float *w, float *gx);
void gl_cpu_conv2d_backward_weight(void *state, const genlab_conv_desc *d, const float *x,
                                   const float *gy, float *gw);
/* gl_cpu_conv_choose — the implementation that serves (pass, d) first:
 * st->conv_impl when set, else the measured rule (GL_CONV_IM2COL without
 * oneDNN). A oneDNN choice falls back to im2col when oneDNN refuses the call. */
gl_conv_impl gl_cpu_conv_choose(const gl_cpu_state *st, gl_conv_pass pass,
                                const genlab_conv_desc *d);

/* cpu_conv.c: im2col / col2im + OpenBLAS, for every shape */
void gl_cpu_im2col_forward(gl_cpu_state *st, const genlab_conv_desc *d, const float *x,
                           const float *w, float *y);
void gl_cpu_im2col_backward_data(gl_cpu_state *st, const genlab_conv_desc *d,
                                 const float *gy, const float *w, float *gx);
void gl_cpu_im2col_backward_weight(gl_cpu_state *st, const genlab_conv_desc *d,
                                   const float *x, const float *gy, float *gw);

/* cpu_conv_dnnl.c (HAVE_DNNL) */
/* gl_cpu_dnnl_conv — run one conv kernel through oneDNN: pass GL_CONV_FORWARD
 * (a = x, b = w, out = y), GL_CONV_BACKWARD_DATA (a = gy, b = w, out = gx) or
 * GL_CONV_BACKWARD_WEIGHT (a = x, b = gy, out = gw), on the blocked layouts
 * oneDNN prefers (reordered in and out) when blocked, else on the plain ones.
 * bias: (cout) added to y by the kernel (GL_CONV_FORWARD only), or NULL.
 * Returns false when oneDNN cannot run it (a shape it does not support,
 * reorder buffers and scratchpad over the workspace cap, out of memory);
 * out is then unspecified, and the caller computes it another way. */
bool gl_cpu_dnnl_conv(gl_cpu_state *st, gl_conv_pass pass, bool blocked,
                      const genlab_conv_desc *d, const float *a, const float *b,
                      const float *bias, float *out);
/* gl_cpu_dnnl_cached — primitives held in st's cache (at most GL_DNNL_CACHE). */
int gl_cpu_dnnl_cached(const gl_cpu_state *st);
/* gl_cpu_dnnl_release — free st->dnnl (NULL is a no-op). */
void gl_cpu_dnnl_release(gl_cpu_state *st);
/* Primitives kept per backend state: a model has a few conv layers times
 * three passes, times the batch sizes it runs (training, evaluation). */
#define GL_DNNL_CACHE 64

/* cpu_resample.c */
void gl_cpu_max_pool(void *state, const genlab_pool_desc *d, const float *x, float *y,
                     int32_t *idx);
void gl_cpu_gather(void *state, const genlab_pool_desc *d, const float *x, const int32_t *idx,
                   float *y);
void gl_cpu_scatter_add(void *state, const genlab_pool_desc *d, const float *x,
                        const int32_t *idx, float *y);
void gl_cpu_upsample_nearest(void *state, const genlab_pool_desc *d, const float *x, float *y);
void gl_cpu_nearest_adjoint(void *state, const genlab_pool_desc *d, const float *x, float *y);
void gl_cpu_bilinear(void *state, const genlab_pool_desc *d, const float *x, float *y);
void gl_cpu_bilinear_adjoint(void *state, const genlab_pool_desc *d, const float *x, float *y);

/* cpu_backend.c: the gemm, also used by the conv kernels */
void gl_cpu_gemm(void *state, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, int64_t stride_a, const float *b, int64_t ldb,
                 int64_t stride_b, float beta, float *c, int64_t ldc, int64_t stride_c,
                 int64_t batch);

#endif /* GENLAB_CPU_H */
