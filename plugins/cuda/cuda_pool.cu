/* SPDX-License-Identifier: MIT
 *
 * cuda_pool.cu — the CUDA backend's pooling and resampling kernels: max
 * pooling with its argmax, gather / scatter_add, nearest upsampling and its
 * block-sum adjoint, bilinear resampling (PyTorch's rules, as
 * libgenlab/cpu/cpu_resample.c) and its transpose.
 *
 * Every kernel computes what the CPU's does, in the same order within each
 * output, with products and sums rounded separately (__fmul_rn, __fadd_rn:
 * no FMA contraction), so results are the CPU's bits. The two scatters
 * (scatter_add, bilinear_adjoint) add into shared targets: in determinism
 * mode (GENLAB_CUDA_DETERMINISTIC=1), and for small planes, one thread walks
 * each plane in the CPU's order (the CPU's bits); otherwise large planes use
 * atomics (one thread per source element, order unfixed).
 *
 * Sections: helpers, max pooling, gather and scatter, nearest, bilinear.
 */
#include <math.h>

#include "genlab/backend_elements.h"

#include "cuda_impl.h"

/* ---- helpers ---- */

#define LAUNCH(st, n, kernel, ...)                                                      \
    do {                                                                                \
        if ((n) > 0) {                                                                  \
            kernel<<<gl_cuda_blocks(st, n), GL_CUDA_THREADS, 0, (st)->stream>>>(__VA_ARGS__);    \
            gl_cuda_launched(st);                                                       \
        }                                                                               \
    } while (0)

/* Planes per thread walk are few (N*C); below this many source elements
 * per plane the ordered walk costs less than it saves. */
#define GL_POOL_ATOMIC_MIN 4096

/* ---- max pooling ---- */

__global__ void k_max_pool(genlab_pool_desc d, const float *x, float *y, int32_t *idx)
{
    const int64_t h = d.h, w = d.w, ho = d.ho, wo = d.wo;
    GL_CUDA_GRID_STRIDE(i, d.planes * ho * wo) {
        int64_t p = i / (ho * wo), at;
        y[i] = genlab_max_window(x + p * h * w, &d, i / wo % ho, i % wo, &at);
        idx[i] = (int32_t)at;
    }
}

extern "C" void gl_cuda_max_pool(void *state, const genlab_pool_desc *d, const float *x,
                                 float *y, int32_t *idx)
{
    gl_cuda *st = (gl_cuda *)state;
    LAUNCH(st, d->planes * d->ho * d->wo, k_max_pool, *d, x, y, idx);
}

/* ---- gather and scatter ---- */

__global__ void k_gather(genlab_pool_desc d, const float *x, const int32_t *idx, float *y)
{
    const int64_t ni = d.h * d.w, no = d.ho * d.wo;
    GL_CUDA_GRID_STRIDE(i, d.planes * no) y[i] = x[i / no * ni + idx[i]];
}

/* one thread per plane, the CPU's order */
__global__ void k_scatter_plane(genlab_pool_desc d, const float *x, const int32_t *idx,
                                float *y)
{
    const int64_t ni = d.h * d.w, no = d.ho * d.wo;
    GL_CUDA_GRID_STRIDE(p, d.planes)
    for (int64_t o = 0; o < no; o++)
        y[p * ni + idx[p * no + o]] += x[p * no + o];
}

__global__ void k_scatter_atomic(genlab_pool_desc d, const float *x, const int32_t *idx, float *y)
{
    const int64_t ni = d.h * d.w, no = d.ho * d.wo;
    GL_CUDA_GRID_STRIDE(i, d.planes * no) atomicAdd(&y[i / no * ni + idx[i]], x[i]);
}

extern "C" void gl_cuda_gather(void *state, const genlab_pool_desc *d, const float *x,
                               const int32_t *idx, float *y)
{
    gl_cuda *st = (gl_cuda *)state;
    LAUNCH(st, d->planes * d->ho * d->wo, k_gather, *d, x, idx, y);
}

extern "C" void gl_cuda_scatter_add(void *state, const genlab_pool_desc *d, const float *x,
                                    const int32_t *idx, float *y)
{
    gl_cuda *st = (gl_cuda *)state;
    if (!st->deterministic && d->ho * d->wo >= GL_POOL_ATOMIC_MIN)
        LAUNCH(st, d->planes * d->ho * d->wo, k_scatter_atomic, *d, x, idx, y);
    else
        LAUNCH(st, d->planes, k_scatter_plane, *d, x, idx, y);
}

/* ---- nearest (integer factors) ---- */

__global__ void k_upsample_nearest(genlab_pool_desc d, const float *x, float *y)
{
    const int64_t h = d.h, w = d.w, ho = d.ho, wo = d.wo, sh = ho / h, sw = wo / w;
    GL_CUDA_GRID_STRIDE(i, d.planes * ho * wo) {
        int64_t p = i / (ho * wo), oh = i / wo % ho, ow = i % wo;
        y[i] = x[(p * h + oh / sh) * w + ow / sw];
    }
}

/* y (h, w planes) = the sum of each (sh, sw) block of x, in the CPU's order */
__global__ void k_nearest_adjoint(genlab_pool_desc d, const float *x, float *y)
{
    const int64_t h = d.h, w = d.w, ho = d.ho, wo = d.wo, sh = ho / h, sw = wo / w;
    GL_CUDA_GRID_STRIDE(i, d.planes * h * w) {
        int64_t p = i / (h * w), r = i / w % h, c = i % w;
        const float *blk = x + (p * ho + r * sh) * wo + c * sw;
        float acc = 0.0f;
        for (int64_t a = 0; a < sh; a++)
            for (int64_t b = 0; b < sw; b++)
                acc += blk[a * wo + b];
        y[i] = acc;
    }
}

extern "C" void gl_cuda_upsample_nearest(void *state, const genlab_pool_desc *d, const float *x,
                                         float *y)
{
    gl_cuda *st = (gl_cuda *)state;
    LAUNCH(st, d->planes * d->ho * d->wo, k_upsample_nearest, *d, x, y);
}

extern "C" void gl_cuda_nearest_adjoint(void *state, const genlab_pool_desc *d, const float *x,
                                        float *y)
{
    gl_cuda *st = (gl_cuda *)state;
    LAUNCH(st, d->planes * d->h * d->w, k_nearest_adjoint, *d, x, y);
}

/* ---- bilinear ---- */

struct lin_tap {
    int64_t i0, i1;
    float   l0, l1;
};

static float lin_ratio(int64_t in, int64_t out, int align_corners)
{
    if (align_corners)
        return out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
    return (float)in / (float)out;
}

/* cpu_resample.c's lin_tap_at, rounding each operation as the CPU does */
__device__ static lin_tap lin_tap_at(float ratio, int64_t o, int64_t in, int64_t out,
                                     int align_corners)
{
    lin_tap t = {o, o, 1.0f, 0.0f};
    if (in == out)
        return t;
    float src = align_corners
                    ? __fmul_rn(ratio, (float)o)
                    : fmaxf(__fadd_rn(__fmul_rn(ratio, __fadd_rn((float)o, 0.5f)), -0.5f), 0.0f);
    t.i0 = (int64_t)src;
    t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
    t.l1 = fminf(fmaxf(__fadd_rn(src, -(float)t.i0), 0.0f), 1.0f);
    t.l0 = __fadd_rn(1.0f, -t.l1);
    return t;
}

__global__ void k_bilinear(genlab_pool_desc d, float rh, float rw, const float *x, float *y)
{
    const int64_t h = d.h, w = d.w, ho = d.ho, wo = d.wo;
    const int ac = d.align_corners;
    GL_CUDA_GRID_STRIDE(i, d.planes * ho * wo) {
        int64_t p = i / (ho * wo), oh = i / wo % ho, ow = i % wo;
        const lin_tap th = lin_tap_at(rh, oh, h, ho, ac), tw = lin_tap_at(rw, ow, w, wo, ac);
        const float *r0 = x + (p * h + th.i0) * w, *r1 = x + (p * h + th.i1) * w;
        float top = __fadd_rn(__fmul_rn(r0[tw.i0], tw.l0), __fmul_rn(r0[tw.i1], tw.l1));
        float bot = __fadd_rn(__fmul_rn(r1[tw.i0], tw.l0), __fmul_rn(r1[tw.i1], tw.l1));
        y[i] = __fadd_rn(__fmul_rn(top, th.l0), __fmul_rn(bot, th.l1));
    }
}

/* the four taps of output (oh, ow) of plane p receive g * weights */
__device__ static void bilinear_back(float *yp, int64_t w, const lin_tap &th, const lin_tap &tw,
                                     float g, bool atomic)
{
    const float a = __fmul_rn(g, th.l0), b = __fmul_rn(g, th.l1);
    float *r0 = yp + th.i0 * w, *r1 = yp + th.i1 * w;
    if (atomic) {
        atomicAdd(&r0[tw.i0], __fmul_rn(a, tw.l0));
        atomicAdd(&r0[tw.i1], __fmul_rn(a, tw.l1));
        atomicAdd(&r1[tw.i0], __fmul_rn(b, tw.l0));
        atomicAdd(&r1[tw.i1], __fmul_rn(b, tw.l1));
    } else {
        r0[tw.i0] = __fadd_rn(r0[tw.i0], __fmul_rn(a, tw.l0));
        r0[tw.i1] = __fadd_rn(r0[tw.i1], __fmul_rn(a, tw.l1));
        r1[tw.i0] = __fadd_rn(r1[tw.i0], __fmul_rn(b, tw.l0));
        r1[tw.i1] = __fadd_rn(r1[tw.i1], __fmul_rn(b, tw.l1));
    }
}

/* x has the (ho, wo) planes, y the (h, w) ones (zeroed by the launcher) */
__global__ void k_bilinear_adjoint_plane(genlab_pool_desc d, float rh, float rw, const float *x,
                                         float *y)
{
    const int64_t h = d.h, w = d.w, ho = d.ho, wo = d.wo;
    const int ac = d.align_corners;
    GL_CUDA_GRID_STRIDE(p, d.planes)
    for (int64_t oh = 0; oh < ho; oh++) {
        const lin_tap th = lin_tap_at(rh, oh, h, ho, ac);
        for (int64_t ow = 0; ow < wo; ow++)
            bilinear_back(y + p * h * w, w, th, lin_tap_at(rw, ow, w, wo, ac),
                          x[(p * ho + oh) * wo + ow], false);
    }
}

__global__ void k_bilinear_adjoint_atomic(genlab_pool_desc d, float rh, float rw, const float *x,
                                          float *y)
{
    const int64_t h = d.h, w = d.w, ho = d.ho, wo = d.wo;
    const int ac = d.align_corners;
    GL_CUDA_GRID_STRIDE(i, d.planes * ho * wo) {
        int64_t p = i / (ho * wo), oh = i / wo % ho, ow = i % wo;
        bilinear_back(y + p * h * w, w, lin_tap_at(rh, oh, h, ho, ac),
                      lin_tap_at(rw, ow, w, wo, ac), x[i], true);
    }
}

extern "C" void gl_cuda_bilinear(void *state, const genlab_pool_desc *d, const float *x,
                                 float *y)
{
    gl_cuda *st = (gl_cuda *)state;
    const float rh = lin_ratio(d->h, d->ho, d->align_corners);
    const float rw = lin_ratio(d->w, d->wo, d->align_corners);
    LAUNCH(st, d->planes * d->ho * d->wo, k_bilinear, *d, rh, rw, x, y);
}

extern "C" void gl_cuda_bilinear_adjoint(void *state, const genlab_pool_desc *d, const float *x,
                                         float *y)
{
    gl_cuda *st = (gl_cuda *)state;
    const float rh = lin_ratio(d->h, d->ho, d->align_corners);
    const float rw = lin_ratio(d->w, d->wo, d->align_corners);
    gl_cuda_fill(state, y, d->planes * d->h * d->w, 0.0f);
    if (!st->deterministic && d->ho * d->wo >= GL_POOL_ATOMIC_MIN)
        LAUNCH(st, d->planes * d->ho * d->wo, k_bilinear_adjoint_atomic, *d, rh, rw, x, y);
    else
        LAUNCH(st, d->planes, k_bilinear_adjoint_plane, *d, rh, rw, x, y);
}
