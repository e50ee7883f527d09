/* SPDX-License-Identifier: MIT
 *
 * cpu.h — the CPU backend's internal interface: its state and the kernels
 * each cpu_*.c file contributes to the vtable in cpu_backend.c.
 */
#ifndef GENLAB_CPU_H
#define GENLAB_CPU_H

#include "genlab/backend.h"

typedef struct gl_cpu_state {
    int    threads;
    float *scratch;        /* conv workspace (im2col columns), grown on demand */
    size_t scratch_bytes;
    size_t conv_ws_max;    /* cap on the conv workspace in bytes (batch chunking);
                            * 0 = GL_CONV_WS_DEFAULT. Tests lower it. */
    int    conv_copy_threads; /* threads of the conv copies; 0 = chosen by
                               * cpu_conv.c. Tests raise it. */
} gl_cpu_state;

/* Default cap on the conv workspace: bounds memory while keeping GEMMs big. */
#define GL_CONV_WS_DEFAULT ((size_t)64 << 20)

/* gl_cpu_scratch — a workspace of at least bytes, kept across calls (NULL on OOM). */
float *gl_cpu_scratch(gl_cpu_state *st, size_t bytes);

/* cpu_conv.c */
void gl_cpu_conv2d_forward(void *state, const genlab_conv_desc *d, const float *x,
                           const float *w, float *y);
void gl_cpu_conv2d_backward_data(void *state, const genlab_conv_desc *d, const float *gy,
                                 const float *w, float *gx);
void gl_cpu_conv2d_backward_weight(void *state, const genlab_conv_desc *d, const float *x,
                                   const float *gy, float *gw);

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
