/* SPDX-License-Identifier: MIT
 *
 * cuda_elementwise.cu — the CUDA backend's contiguous elementwise kernels:
 * fill, axpy and the unary functions of backend.h.
 *
 * The formulas are the CPU's (libgenlab/cpu/cpu_backend.c); CUDA's expf,
 * logf, tanhf, erff and powf are within 2 ulp of glibc's, not identical, so
 * these agree with the CPU to a few ulp (tests/test_backend_ops.c states
 * the tolerance). Affine, abs, sign and the leaky pair are exact.
 *
 * Sections: launch helpers, kernels, entry points.
 */
#include "cuda_impl.h"

/* ---- launch helpers ---- */

static unsigned blocks_for(int64_t n)
{
    int64_t b = (n + GL_CUDA_THREADS - 1) / GL_CUDA_THREADS;
    return (unsigned)(b < 1 ? 1 : b > GL_CUDA_MAX_BLOCKS ? GL_CUDA_MAX_BLOCKS : b);
}

#define GRID_STRIDE(i, n)                                                      \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (int64_t)blockDim.x * gridDim.x)

/* ---- kernels ---- */

__global__ void k_fill(float *y, int64_t n, float v)
{
    GRID_STRIDE(i, n) y[i] = v;
}

/* y += alpha * x as the CPU rounds it: a product, then a sum (no FMA) */
__global__ void k_axpy(float *y, const float *x, int64_t n, float alpha)
{
    GRID_STRIDE(i, n) y[i] = __fadd_rn(y[i], __fmul_rn(alpha, x[i]));
}

__device__ static float softplus_d(float x)
{
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

__device__ static float unary_d(int kind, float a, float b, float v)
{
    switch (kind) {
    case GL_UNARY_AFFINE:     return __fadd_rn(__fmul_rn(a, v), b);
    case GL_UNARY_EXP:        return expf(v);
    case GL_UNARY_LOG:        return logf(v);
    case GL_UNARY_SQRT:       return sqrtf(v);
    case GL_UNARY_TANH:       return tanhf(v);
    case GL_UNARY_SIGMOID:    return 1.0f / (1.0f + expf(-v));
    case GL_UNARY_SOFTPLUS:   return softplus_d(v);
    case GL_UNARY_ABS:        return fabsf(v);
    case GL_UNARY_SIGN:       return (float)((v > 0.0f) - (v < 0.0f));
    case GL_UNARY_ERF:        return erff(v);
    case GL_UNARY_POW:        return powf(v, a);
    case GL_UNARY_LEAKY_RELU: return v > 0.0f ? v : a * v;
    case GL_UNARY_LEAKY_MASK: return v > 0.0f ? 1.0f : a;
    default:                  return v;
    }
}

__global__ void k_unary(int kind, float a, float b, const float *x, float *y, int64_t n)
{
    GRID_STRIDE(i, n) y[i] = unary_d(kind, a, b, x[i]);
}

/* ---- entry points ---- */

extern "C" void gl_cuda_fill(void *state, float *y, int64_t n, float value)
{
    gl_cuda *st = (gl_cuda *)state;
    if (n <= 0)
        return;
    k_fill<<<blocks_for(n), GL_CUDA_THREADS, 0, st->stream>>>(y, n, value);
    gl_cuda_launched(st);
}

extern "C" void gl_cuda_axpy(void *state, float *y, const float *x, int64_t n, float alpha)
{
    gl_cuda *st = (gl_cuda *)state;
    if (n <= 0)
        return;
    k_axpy<<<blocks_for(n), GL_CUDA_THREADS, 0, st->stream>>>(y, x, n, alpha);
    gl_cuda_launched(st);
}

extern "C" void gl_cuda_unary(void *state, genlab_unary_kind kind, float alpha, float beta,
                              const float *x, float *y, int64_t n)
{
    gl_cuda *st = (gl_cuda *)state;
    if (n <= 0)
        return;
    k_unary<<<blocks_for(n), GL_CUDA_THREADS, 0, st->stream>>>((int)kind, alpha, beta, x, y, n);
    gl_cuda_launched(st);
}
