/* SPDX-License-Identifier: MIT
 *
 * backend_elements.h — the per-element computations every backend must do
 * the same way, as inline functions that compile as C and as CUDA (host and
 * device), so that backends cannot drift apart:
 * - random numbers: Philox-4x32-10 (Salmon et al., "Parallel random
 *   numbers: as easy as 1, 2, 3", SC 2011) and the draw of one element of a
 *   random tensor (genlab_rng_element, what every backend's rng() computes:
 *   element i of a draw uses counter (offset + i, stream) and key seed), so
 *   a seed gives the same noise on every backend;
 * - max pooling: one output's window and its argmax (genlab_max_window),
 *   so every backend routes the gradient to the same input element.
 *
 * Uniforms are exact (integer arithmetic and one exact scaling). Normals
 * use Box-Muller in double; a device's double log and cos may differ from
 * glibc's by an ulp or two, which after rounding to float is at most 1e-6
 * (almost always no difference).
 *
 * Sections: random numbers, max pooling.
 */
#ifndef GENLAB_BACKEND_ELEMENTS_H
#define GENLAB_BACKEND_ELEMENTS_H

#include <math.h>
#include <stdint.h>

#include "genlab/backend.h"

#ifdef __CUDACC__
#define GENLAB_ELEMENT_FN __host__ __device__ static inline
#else
#define GENLAB_ELEMENT_FN static inline
#endif

/* ---- random numbers ---- */

/* genlab_philox_block — ten rounds on counter c (4 words, replaced by the
 * 4 output words) with key (k0, k1) */
GENLAB_ELEMENT_FN void genlab_philox_block(uint32_t c[4], uint32_t k0, uint32_t k1)
{
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
        c[1] = (uint32_t)p1;
        c[3] = (uint32_t)p0;
        c[0] = n0;
        c[2] = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}

/* genlab_rng_element — the value at counter `counter` of stream `stream`
 * under seed: kind 0 uniform in [0, 1), kind 1 standard normal */
GENLAB_ELEMENT_FN float genlab_rng_element(int kind, uint64_t seed, uint64_t stream,
                                          uint64_t counter)
{
    uint32_t r[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), (uint32_t)stream, 0};
    genlab_philox_block(r, (uint32_t)seed, (uint32_t)(seed >> 32));
    if (kind == 0)
        return (float)(r[0] >> 8) * 0x1p-24f;              /* [0, 1) */
    double u1 = ((double)r[0] + 1.0) * 0x1p-32;            /* (0, 1] */
    double u2 = (double)r[1] * 0x1p-32;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* ---- max pooling ---- */

/* genlab_max_window — the largest of output (oh, ow)'s window of d->k x d->k
 * inputs in the plane xp (d->h x d->w). Padding counts as -inf, as in
 * PyTorch: the window is clipped to the plane and its index starts at the
 * clipped corner. The first maximum in row-major order wins; a NaN always
 * wins (so NaNs propagate like PyTorch's).
 * at: OUT, the flat index of the chosen input in the plane. */
GENLAB_ELEMENT_FN float genlab_max_window(const float *xp, const genlab_pool_desc *d, int64_t oh,
                                          int64_t ow, int64_t *at)
{
    const int64_t h = d->h, w = d->w;
    int64_t h0 = oh * d->stride - d->pad, h1 = h0 + d->k < h ? h0 + d->k : h;
    int64_t w0 = ow * d->stride - d->pad, w1 = w0 + d->k < w ? w0 + d->k : w;
    h0 = h0 > 0 ? h0 : 0;
    w0 = w0 > 0 ? w0 : 0;
    float best = -INFINITY;
    *at = h0 * w + w0;
    for (int64_t ih = h0; ih < h1; ih++)
        for (int64_t iw = w0; iw < w1; iw++) {
            float v = xp[ih * w + iw];
            if (v > best || isnan(v)) {
                best = v;
                *at = ih * w + iw;
            }
        }
    return best;
}

#endif /* GENLAB_BACKEND_ELEMENTS_H */
