/* SPDX-License-Identifier: MIT
 *
 * cuda_rng.cu — the CUDA backend's random numbers: Philox-4x32-10 drawn
 * with genlab/backend_elements.h's genlab_rng_element, the function the CPU backend
 * draws with, so that a seed gives the same noise on the GPU as on the CPU
 * (uniforms bit for bit, normals to 1e-6: philox.h says why).
 */
#include "genlab/backend_elements.h"

#include "cuda_impl.h"

__global__ void k_rng(int kind, uint64_t seed, uint64_t stream, uint64_t offset, float *y,
                      int64_t n)
{
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)blockDim.x * gridDim.x)
        y[i] = genlab_rng_element(kind, seed, stream, offset + (uint64_t)i);
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
