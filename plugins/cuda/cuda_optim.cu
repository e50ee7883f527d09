/* SPDX-License-Identifier: MIT
 *
 * cuda_optim.cu — the CUDA backend's fused Adam/AdamW step: one kernel over
 * the contiguous parameter block, reading the gradient and updating the
 * weights and both moment buffers in one pass.
 *
 * The arithmetic is libgenlab/optim.c's host loop operation by operation,
 * each product, sum, quotient and square root rounded on its own
 * (__fmul_rn, __fadd_rn, __fdiv_rn, __fsqrt_rn: no FMA contraction), so a
 * step gives the CPU's bits.
 *
 * Not here: SGD (the optimizer's host loop serves it after a synchronize).
 */
#include "cuda_impl.h"

__global__ void k_adam(float *w, const float *g, float *m, float *v, int64_t n,
                       genlab_adam_scalars s)
{
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)blockDim.x * gridDim.x) {
        float gi = g[i], wi = w[i];
        if (s.has_wd && s.decoupled)
            wi = __fmul_rn(wi, s.decay);
        else if (s.has_wd)
            gi = __fadd_rn(gi, __fmul_rn(s.wd, wi));
        float mi = __fadd_rn(__fmul_rn(m[i], s.b1), __fmul_rn(s.omb1, gi));
        float vi = __fadd_rn(__fmul_rn(v[i], s.b2), __fmul_rn(__fmul_rn(s.omb2, gi), gi));
        float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vi), s.bc2_sqrt), s.eps);
        m[i] = mi;
        v[i] = vi;
        w[i] = __fadd_rn(wi, __fdiv_rn(__fmul_rn(s.neg_step, mi), denom));
    }
}

extern "C" void gl_cuda_adam(void *state, float *w, const float *g, float *m, float *v,
                             int64_t n, const genlab_adam_scalars *s)
{
    gl_cuda *st = (gl_cuda *)state;
    if (n <= 0)
        return;
    int64_t b = (n + GL_CUDA_THREADS - 1) / GL_CUDA_THREADS;
    unsigned nb = (unsigned)(b > GL_CUDA_MAX_BLOCKS ? GL_CUDA_MAX_BLOCKS : b);
    k_adam<<<nb, GL_CUDA_THREADS, 0, st->stream>>>(w, g, m, v, n, *s);
    gl_cuda_launched(st);
}
