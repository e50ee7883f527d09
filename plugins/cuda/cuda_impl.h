/* SPDX-License-Identifier: MIT
 *
 * cuda_impl.h — the CUDA backend plugin's internal interface: its state (one
 * per context: a device, a stream, cuBLAS and cuDNN handles, the caching
 * allocator, the cached convolution plans) and the kernels each file
 * contributes to the vtable that cuda_backend.c assembles.
 *
 * Not here: the vtable itself (cuda_backend.c) and the plugin descriptor
 * (module.c). Included by the C files and by the .cu files (compiled as C++
 * by nvcc), hence the extern "C" block.
 *
 * Memory is managed (cudaMallocManaged), so that the engine's host code
 * keeps working after a synchronisation (doc/architecture.md, "The CUDA
 * backend"); every kernel runs on the state's one stream, in order.
 *
 * Sections: state, allocator, kernels by file.
 */
#ifndef GENLAB_CUDA_IMPL_H
#define GENLAB_CUDA_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "genlab/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- state ---- */

/* One cached block of the allocator: its size class and pointer. */
typedef struct gl_cuda_block {
    void  *ptr;
    size_t bytes;
} gl_cuda_block;

/* The caching allocator (cuda_alloc.c): blocks freed by the engine are kept
 * in a free list and handed out again for a request of the same size class,
 * so a steady-state training step never calls cudaMallocManaged. */
typedef struct gl_cuda_alloc {
    gl_cuda_block *free_list;     /* cached blocks, not in use */
    size_t         n_free, cap_free;
    gl_cuda_block *live;          /* blocks in use (their size class, for free) */
    size_t         n_live, cap_live;
    size_t         in_use, cached, peak;   /* bytes */
    int            device;
} gl_cuda_alloc;

struct gl_cuda_conv_plan;

typedef struct gl_cuda {
    int            device;
    int            sms;           /* multiprocessors (launch grids) */
    char           name[256];     /* cudaDeviceProp.name */
    cudaStream_t   stream;
    cublasHandle_t blas;
    cudnnHandle_t  dnn;
    gl_cuda_alloc  alloc;
    bool           deterministic; /* GENLAB_CUDA_DETERMINISTIC=1: deterministic
                                   * algorithms only, no atomics */
    int            cc_major;      /* compute capability (bf16 needs 8) */
    genlab_precision precision;   /* set_precision: the compute type of gemm and
                                   * the convolutions (fp32: results comparable
                                   * with the CPU; GENLAB_CUDA_TF32=1 starts
                                   * in tf32) */
    struct gl_cuda_conv_plan *plans;   /* cuda_conv.c's cache, per shape and pass */
    size_t         n_plans, cap_plans;
    char          *notes;         /* gl_cuda_conv_notes' last text */
    void          *ws;            /* the conv workspace, grown on demand */
    size_t         ws_bytes;
    cudaError_t    first_error;   /* the first failed CUDA call (kernels cannot
                                   * report; tests read it) */
} gl_cuda;

/* gl_cuda_reduced — whether p computes on 16-bit operands (bf16, f16). */
static inline bool gl_cuda_reduced(genlab_precision p)
{
    return p == GL_PRECISION_BF16 || p == GL_PRECISION_F16;
}

/* gl_cuda_table — the backend's vtable (module.c registers it). */
const genlab_backend_i *gl_cuda_table(void);

/* gl_cuda_check — remember the first failure of a CUDA runtime call. */
void gl_cuda_check(gl_cuda *st, cudaError_t e);
/* gl_cuda_launched — check the last kernel launch (cudaGetLastError). */
void gl_cuda_launched(gl_cuda *st);

/* ---- allocator (cuda_alloc.c) ---- */

/* gl_cuda_alloc_get — a managed block of at least bytes (NULL when the
 * device has not that much free memory even after releasing the cache).
 * gl_cuda_alloc_put — give it back to the cache (NULL is a no-op).
 * gl_cuda_alloc_release — cudaFree every block (at the end). */
void *gl_cuda_alloc_get(gl_cuda *st, size_t bytes);
void  gl_cuda_alloc_put(gl_cuda *st, void *ptr);
void  gl_cuda_alloc_release(gl_cuda *st);
/* gl_cuda_prefetch — migrate bytes of managed memory at ptr to the device
 * (queued on the state's stream), so that a kernel, or a timing, does not
 * pay for page faults. */
void  gl_cuda_prefetch(gl_cuda *st, const void *ptr, size_t bytes);
/* gl_cuda_workspace — a scratch buffer of at least bytes for the conv
 * kernels, kept across calls (NULL when it cannot grow). */
void *gl_cuda_workspace(gl_cuda *st, size_t bytes);

/* ---- kernels ---- */

/* cuda_elementwise.cu */
void gl_cuda_fill(void *state, float *y, int64_t n, float value);
void gl_cuda_axpy(void *state, float *y, const float *x, int64_t n, float alpha);
void gl_cuda_unary(void *state, genlab_unary_kind kind, float alpha, float beta,
                   const float *x, float *y, int64_t n);

/* cuda_strided.cu */
void gl_cuda_binary(void *state, genlab_binary_kind kind, const float *a, const float *b,
                    float *y, const genlab_strided *s);
void gl_cuda_copy(void *state, const float *src, float *dst, const genlab_strided *s);
void gl_cuda_reduce_sum(void *state, const float *src, float *dst, const genlab_strided *s);
void gl_cuda_reduce_max(void *state, const float *src, float *dst, const genlab_strided *s);

/* cuda_gemm.c */
void gl_cuda_gemm(void *state, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, int64_t stride_a, const float *b, int64_t ldb,
                  int64_t stride_b, float beta, float *c, int64_t ldc, int64_t stride_c,
                  int64_t batch);

/* cuda_conv.c */
void gl_cuda_conv2d_forward(void *state, const genlab_conv_desc *d, const float *x,
                            const float *w, float *y);
void gl_cuda_conv2d_backward_data(void *state, const genlab_conv_desc *d, const float *gy,
                                  const float *w, float *gx);
void gl_cuda_conv2d_backward_weight(void *state, const genlab_conv_desc *d, const float *x,
                                    const float *gy, float *gw);
/* gl_cuda_conv_release — destroy the cached plans' descriptors (and the
 * notes). */
void gl_cuda_conv_release(gl_cuda *st);
/* gl_cuda_conv_notes — one line per plan: the geometry, the pass, the
 * algorithm chosen and every measured candidate's time (the vtable's
 * notes). Owned by st; NULL when out of memory. */
const char *gl_cuda_conv_notes(gl_cuda *st);

/* cuda_pool.cu */
void gl_cuda_max_pool(void *state, const genlab_pool_desc *d, const float *x, float *y,
                      int32_t *idx);
void gl_cuda_gather(void *state, const genlab_pool_desc *d, const float *x, const int32_t *idx,
                    float *y);
void gl_cuda_scatter_add(void *state, const genlab_pool_desc *d, const float *x,
                         const int32_t *idx, float *y);
void gl_cuda_upsample_nearest(void *state, const genlab_pool_desc *d, const float *x, float *y);
void gl_cuda_nearest_adjoint(void *state, const genlab_pool_desc *d, const float *x, float *y);
void gl_cuda_bilinear(void *state, const genlab_pool_desc *d, const float *x, float *y);
void gl_cuda_bilinear_adjoint(void *state, const genlab_pool_desc *d, const float *x, float *y);

/* cuda_rng.cu */
void gl_cuda_rng(void *state, int kind, uint64_t seed, uint64_t stream, uint64_t offset,
                 float *y, int64_t n);

/* cuda_optim.cu */
void gl_cuda_adam(void *state, float *w, const float *g, float *m, float *v, int64_t n,
                  const genlab_adam_scalars *s);

/* cuda_half.cu: y[0..n) = x as p's 16-bit type (bf16 or f16), rounded to
 * nearest even; and back to float32 (exact) */
void gl_cuda_to_16(gl_cuda *st, genlab_precision p, const float *x, void *y, int64_t n);
void gl_cuda_from_16(gl_cuda *st, genlab_precision p, const void *x, float *y, int64_t n);

/* cuda_norm.cu */
void gl_cuda_group_norm(void *state, const genlab_norm_desc *d, const float *x,
                        const float *gamma, const float *beta, float *y, float *mean,
                        float *rstd);
void gl_cuda_group_norm_backward(void *state, const genlab_norm_desc *d, const float *x,
                                 const float *gamma, const float *beta, const float *mean,
                                 const float *rstd, const float *gy, float *gx, float *ggamma,
                                 float *gbeta, float *work);
void gl_cuda_batch_norm(void *state, const genlab_norm_desc *d, const float *x,
                        const float *gamma, const float *beta, float *y, float *mean,
                        float *rstd);
void gl_cuda_batch_norm_backward(void *state, const genlab_norm_desc *d, const float *x,
                                 const float *gamma, const float *mean, const float *rstd,
                                 const float *gy, float *gx, float *ggamma, float *gbeta);

/* Threads per block of the elementwise kernels, and the grid for n items
 * (capped: the kernels loop with a grid stride). */
#define GL_CUDA_THREADS 256
#define GL_CUDA_MAX_BLOCKS 65535
/* Blocks of GL_CUDA_THREADS resident on one SM (2048 threads on compute
 * capability 7.0 to 9.0): a grid-stride kernel needs no more to fill it. */
#define GL_CUDA_BLOCKS_PER_SM 8

/* gl_cuda_blocks — the grid of a grid-stride kernel over n items: one item
 * per thread up to a full device (GL_CUDA_BLOCKS_PER_SM blocks per SM),
 * beyond that the threads loop (fewer, longer-lived blocks). */
static inline unsigned gl_cuda_blocks(const gl_cuda *st, int64_t n)
{
    int64_t b = (n + GL_CUDA_THREADS - 1) / GL_CUDA_THREADS;
    int64_t cap = st->sms > 0 ? (int64_t)st->sms * GL_CUDA_BLOCKS_PER_SM : GL_CUDA_MAX_BLOCKS;
    return (unsigned)(b < 1 ? 1 : b > cap ? cap : b);
}

#ifdef __CUDACC__
/* GL_CUDA_GRID_STRIDE(i, n) — for i over [0, n), this thread's share. */
#define GL_CUDA_GRID_STRIDE(i, n)                                              \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (int64_t)blockDim.x * gridDim.x)
#endif

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_CUDA_IMPL_H */
