/* SPDX-License-Identifier: MIT
 *
 * cuda_rng.cu — the CUDA backend's random numbers: Philox-4x32-10, the
 * counter-based generator of libgenlab/rng.c, so that a seed gives the same
 * noise on the GPU as on the CPU. Element i uses counter (offset + i) and
 * key (seed, stream), exactly as cpu_backend.c's cpu_rng.
 *
 * Uniforms are the CPU's bits (integer arithmetic and one exact scaling).
 * Normals use the same Box-Muller in double; CUDA's double log and cos are
 * within an ulp or two of glibc's, so after rounding to float they agree
 * to 1e-6 (almost always bit for bit).
 */
#include "cuda_impl.h"

/* genlab_philox (libgenlab/rng.c), on the device */
__device__ static void philox(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                              uint32_t k1, uint32_t out[4])
{
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0;
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

__global__ void k_rng(int kind, uint64_t seed, uint64_t stream, uint64_t offset, float *y,
                      int64_t n)
{
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)blockDim.x * gridDim.x) {
        uint64_t c = offset + (uint64_t)i;
        uint32_t r[4];
        philox((uint32_t)c, (uint32_t)(c >> 32), (uint32_t)stream, 0, (uint32_t)seed,
               (uint32_t)(seed >> 32), r);
        if (kind == 0) {
            y[i] = (float)(r[0] >> 8) * 0x1p-24f;
        } else {
            double u1 = ((double)r[0] + 1.0) * 0x1p-32;
            double u2 = (double)r[1] * 0x1p-32;
            y[i] = (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
        }
    }
}

extern "C" void gl_cuda_rng(void *state, int kind, uint64_t seed, uint64_t stream,
                            uint64_t offset, float *y, int64_t n)
{
    gl_cuda *st = (gl_cuda *)state;
    if (n <= 0)
        return;
    int64_t b = (n + GL_CUDA_THREADS - 1) / GL_CUDA_THREADS;
    unsigned nb = (unsigned)(b > GL_CUDA_MAX_BLOCKS ? GL_CUDA_MAX_BLOCKS : b);
    k_rng<<<nb, GL_CUDA_THREADS, 0, st->stream>>>(kind, seed, stream, offset, y, n);
    gl_cuda_launched(st);
}
