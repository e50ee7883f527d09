/* SPDX-License-Identifier: MIT
 *
 * cuda_half.cu — the CUDA backend's conversions between float32 tensors
 * and the 16-bit operands of reduced-precision convolutions (bf16, f16:
 * backend.h's set_precision, cuda_conv.c): float32 to bfloat16 or IEEE
 * half rounded to nearest even (a float beyond half's 65504 becomes
 * infinity, as __float2half_rn has it: loss scaling then skips the step),
 * and back to float32, which is exact.
 *
 * Not here: matrix products in reduced precision (cuBLAS converts its
 * operands itself: cuda_gemm.c); the scratch the 16-bit copies live in
 * (cuda_conv.c takes it from the caching allocator).
 *
 * Sections: kernels, entry points.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda_impl.h"

/* ---- kernels ---- */

/* the 16-bit type of a precision and its conversions */
struct f16_t {
    typedef __half type;
    __device__ static type to(float v) { return __float2half_rn(v); }
    __device__ static float from(type v) { return __half2float(v); }
};
struct bf16_t {
    typedef __nv_bfloat16 type;
    __device__ static type to(float v) { return __float2bfloat16_rn(v); }
    __device__ static float from(type v) { return __bfloat162float(v); }
};

template <class T> __global__ void k_to16(const float *x, typename T::type *y, int64_t n)
{
    GL_CUDA_GRID_STRIDE(i, n)
    y[i] = T::to(x[i]);
}

template <class T> __global__ void k_from16(const typename T::type *x, float *y, int64_t n)
{
    GL_CUDA_GRID_STRIDE(i, n)
    y[i] = T::from(x[i]);
}

/* ---- entry points ---- */

extern "C" void gl_cuda_to_16(gl_cuda *st, genlab_precision p, const float *x, void *y,
                              int64_t n)
{
    if (n <= 0)
        return;
    if (p == GL_PRECISION_BF16)
        k_to16<bf16_t><<<gl_cuda_blocks(st, n), GL_CUDA_THREADS, 0, st->stream>>>(
            x, (__nv_bfloat16 *)y, n);
    else
        k_to16<f16_t><<<gl_cuda_blocks(st, n), GL_CUDA_THREADS, 0, st->stream>>>(
            x, (__half *)y, n);
    gl_cuda_launched(st);
}

extern "C" void gl_cuda_from_16(gl_cuda *st, genlab_precision p, const void *x, float *y,
                                int64_t n)
{
    if (n <= 0)
        return;
    if (p == GL_PRECISION_BF16)
        k_from16<bf16_t><<<gl_cuda_blocks(st, n), GL_CUDA_THREADS, 0, st->stream>>>(
            (const __nv_bfloat16 *)x, y, n);
    else
        k_from16<f16_t><<<gl_cuda_blocks(st, n), GL_CUDA_THREADS, 0, st->stream>>>(
            (const __half *)x, y, n);
    gl_cuda_launched(st);
}
