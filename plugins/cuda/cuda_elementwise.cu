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
 * All three are one map kernel over a functor: float4 loads and stores when
 * the pointers are 16-byte aligned (a quarter of the memory instructions),
 * the tail (and unaligned views) element by element, a grid sized to the
 * device (gl_cuda_blocks).
 *
 * Sections: the map kernel, functions, entry points.
 */
#include "cuda_impl.h"

/* ---- the map kernel ---- */

/* k_map — y[i] = f(x[i], y[i]) for i < n; F::reads_x / F::reads_y say
 * which operands f uses (the others are not loaded: x may be NULL). vec:
 * x (when read) and y are 16-byte aligned, so groups of four go as float4. */
template <class F> __global__ void k_map(F f, const float *x, float *y, int64_t n, bool vec)
{
    const int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    int64_t tail = 0;
    if (vec) {
        const int64_t n4 = n / 4;
        const float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        for (int64_t i = t; i < n4; i += step) {
            float4 xv = F::reads_x ? reinterpret_cast<const float4 *>(x)[i] : zero;
            float4 yv = F::reads_y ? reinterpret_cast<float4 *>(y)[i] : zero;
            yv.x = f(xv.x, yv.x);
            yv.y = f(xv.y, yv.y);
            yv.z = f(xv.z, yv.z);
            yv.w = f(xv.w, yv.w);
            reinterpret_cast<float4 *>(y)[i] = yv;
        }
        tail = 4 * n4;
    }
    for (int64_t i = tail + t; i < n; i += step)
        y[i] = f(F::reads_x ? x[i] : 0.0f, F::reads_y ? y[i] : 0.0f);
}

static bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

/* map — launch k_map on the state's stream */
template <class F> static void map(gl_cuda *st, F f, const float *x, float *y, int64_t n)
{
    if (n <= 0)
        return;
    const bool vec = aligned16(y) && (!F::reads_x || aligned16(x));
    k_map<F><<<gl_cuda_blocks(st, vec ? (n + 3) / 4 : n), GL_CUDA_THREADS, 0, st->stream>>>(
        f, x, y, n, vec);
    gl_cuda_launched(st);
}

/* ---- functions ---- */

struct fill_f {
    static const bool reads_x = false, reads_y = false;
    float v;
    __device__ float operator()(float, float) const { return v; }
};

/* y += alpha * x as the CPU rounds it: a product, then a sum (no FMA) */
struct axpy_f {
    static const bool reads_x = true, reads_y = true;
    float alpha;
    __device__ float operator()(float x, float y) const
    {
        return __fadd_rn(y, __fmul_rn(alpha, x));
    }
};

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

struct unary_f {
    static const bool reads_x = true, reads_y = false;
    int kind;
    float a, b;
    __device__ float operator()(float x, float) const { return unary_d(kind, a, b, x); }
};

/* ---- entry points ---- */

extern "C" void gl_cuda_fill(void *state, float *y, int64_t n, float value)
{
    map((gl_cuda *)state, fill_f{value}, NULL, y, n);
}

extern "C" void gl_cuda_axpy(void *state, float *y, const float *x, int64_t n, float alpha)
{
    map((gl_cuda *)state, axpy_f{alpha}, x, y, n);
}

extern "C" void gl_cuda_unary(void *state, genlab_unary_kind kind, float alpha, float beta,
                              const float *x, float *y, int64_t n)
{
    map((gl_cuda *)state, unary_f{(int)kind, alpha, beta}, x, y, n);
}
