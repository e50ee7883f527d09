/* SPDX-License-Identifier: MIT
 *
 * cpu_resample.c — the CPU backend's pooling and resampling kernels: max
 * pooling with its argmax, the gather / scatter_add pair that max pooling's
 * gradients use, nearest upsampling by an integer factor and its adjoint
 * (block sums), and bilinear resampling (PyTorch's F.interpolate, mode
 * 'bilinear', both align_corners settings) with its exact transpose.
 *
 * Not here: shape checks and autograd (ops_resample.c); average pooling,
 * which ops_resample.c builds from nearest_adjoint and the shape ops.
 *
 * Every kernel works plane by plane (one plane = one (n, c) image) and is
 * parallelised over planes only. Inside a plane the order of every sum is
 * fixed, so the scatters (scatter_add, bilinear_adjoint) give the same bits
 * for any thread count without atomics.
 *
 * Sections: max pooling, gather and scatter, nearest, bilinear.
 */
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "genlab/backend_elements.h"

/* Below this much work (output elements over all planes) a kernel runs on
 * one thread: forking costs more than it saves. */
#define GL_RS_PAR_MIN 16384
#define GL_RS_PAR(d, per_plane) ((d)->planes > 1 && (d)->planes * (per_plane) > GL_RS_PAR_MIN)

static int threads_of(void *state) { return ((gl_cpu_state *)state)->threads; }

/* ---- max pooling ---- */

/* each output by genlab_max_window (backend_elements.h: padding, ties, NaN) */
void gl_cpu_max_pool(void *state, const genlab_pool_desc *d, const float *x, float *y,
                     int32_t *idx)
{
    const int64_t h = d->h, w = d->w, ho = d->ho, wo = d->wo;
    const int nt = threads_of(state);
#pragma omp parallel for num_threads(nt) if (GL_RS_PAR(d, ho * wo * d->k * d->k)) schedule(static)
    for (int64_t p = 0; p < d->planes; p++) {
        const float *xp = x + p * h * w;
        float *yp = y + p * ho * wo;
        int32_t *ip = idx + p * ho * wo;
        for (int64_t oh = 0; oh < ho; oh++)
            for (int64_t ow = 0; ow < wo; ow++) {
                int64_t at;
                yp[oh * wo + ow] = genlab_max_window(xp, d, oh, ow, &at);
                ip[oh * wo + ow] = (int32_t)at;
            }
    }
}

/* ---- gather and scatter ----
 * Indices are flat in the (h, w) plane; the indexed side has (ho, wo) planes. */

void gl_cpu_gather(void *state, const genlab_pool_desc *d, const float *x, const int32_t *idx,
                   float *y)
{
    const int64_t ni = d->h * d->w, no = d->ho * d->wo;
    const int nt = threads_of(state);
#pragma omp parallel for num_threads(nt) if (GL_RS_PAR(d, no)) schedule(static)
    for (int64_t p = 0; p < d->planes; p++)
        for (int64_t o = 0; o < no; o++)
            y[p * no + o] = x[p * ni + idx[p * no + o]];
}

void gl_cpu_scatter_add(void *state, const genlab_pool_desc *d, const float *x,
                        const int32_t *idx, float *y)
{
    const int64_t ni = d->h * d->w, no = d->ho * d->wo;
    const int nt = threads_of(state);
    /* overlapping windows hit one target several times: planes only, so the
     * additions into each target happen in a fixed order */
#pragma omp parallel for num_threads(nt) if (GL_RS_PAR(d, no)) schedule(static)
    for (int64_t p = 0; p < d->planes; p++)
        for (int64_t o = 0; o < no; o++)
            y[p * ni + idx[p * no + o]] += x[p * no + o];
}

/* ---- nearest (integer factors ho / h and wo / w) ---- */

void gl_cpu_upsample_nearest(void *state, const genlab_pool_desc *d, const float *x, float *y)
{
    const int64_t h = d->h, w = d->w, ho = d->ho, wo = d->wo, sh = ho / h, sw = wo / w;
    const int nt = threads_of(state);
#pragma omp parallel for num_threads(nt) if (GL_RS_PAR(d, ho * wo)) schedule(static)
    for (int64_t p = 0; p < d->planes; p++)
        for (int64_t oh = 0; oh < ho; oh++) {
            const float *row = x + (p * h + oh / sh) * w;
            float *out = y + (p * ho + oh) * wo;
            for (int64_t ow = 0; ow < wo; ow++)
                out[ow] = row[ow / sw];
        }
}

/* x has the (ho, wo) planes, y the (h, w) ones: y = the sum of each block */
void gl_cpu_nearest_adjoint(void *state, const genlab_pool_desc *d, const float *x, float *y)
{
    const int64_t h = d->h, w = d->w, ho = d->ho, wo = d->wo, sh = ho / h, sw = wo / w;
    const int nt = threads_of(state);
#pragma omp parallel for num_threads(nt) if (GL_RS_PAR(d, ho * wo)) schedule(static)
    for (int64_t p = 0; p < d->planes; p++)
        for (int64_t i = 0; i < h; i++)
            for (int64_t j = 0; j < w; j++) {
                const float *blk = x + (p * ho + i * sh) * wo + j * sw;
                float acc = 0.0f;
                for (int64_t a = 0; a < sh; a++)
                    for (int64_t b = 0; b < sw; b++)
                        acc += blk[a * wo + b];
                y[(p * h + i) * w + j] = acc;
            }
}

/* ---- bilinear ---- */

/* One output coordinate's two input taps and weights along one axis. */
typedef struct lin_tap {
    int64_t i0, i1;
    float   l0, l1;
} lin_tap;

/* PyTorch's area_pixel_compute_scale for a size without scale factor,
 * computed in float as PyTorch does for float tensors. */
static float lin_ratio(int64_t in, int64_t out, int align_corners)
{
    if (align_corners)
        return out > 1 ? (float)(in - 1) / (float)(out - 1) : 0.0f;
    return (float)in / (float)out;
}

/* PyTorch's compute_source_index_and_lambda: a source coordinate (clamped at
 * 0 for half-pixel centres), its floor and the next pixel (the same one at
 * the last pixel), and the interpolation weights. Equal sizes copy. */
static lin_tap lin_tap_at(float ratio, int64_t o, int64_t in, int64_t out, int align_corners)
{
    lin_tap t = {o, o, 1.0f, 0.0f};
    if (in == out)
        return t;
    float src = align_corners ? ratio * (float)o
                              : fmaxf(ratio * ((float)o + 0.5f) - 0.5f, 0.0f);
    t.i0 = (int64_t)src;
    t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
    t.l1 = fminf(fmaxf(src - (float)t.i0, 0.0f), 1.0f);
    t.l0 = 1.0f - t.l1;
    return t;
}

void gl_cpu_bilinear(void *state, const genlab_pool_desc *d, const float *x, float *y)
{
    const int64_t h = d->h, w = d->w, ho = d->ho, wo = d->wo;
    const int ac = d->align_corners;
    const float rh = lin_ratio(h, ho, ac), rw = lin_ratio(w, wo, ac);
    const int nt = threads_of(state);
#pragma omp parallel for num_threads(nt) if (GL_RS_PAR(d, ho * wo)) schedule(static)
    for (int64_t p = 0; p < d->planes; p++)
        for (int64_t oh = 0; oh < ho; oh++) {
            const lin_tap th = lin_tap_at(rh, oh, h, ho, ac);
            const float *r0 = x + (p * h + th.i0) * w, *r1 = x + (p * h + th.i1) * w;
            float *out = y + (p * ho + oh) * wo;
            for (int64_t ow = 0; ow < wo; ow++) {
                const lin_tap tw = lin_tap_at(rw, ow, w, wo, ac);
                /* PyTorch's order: interpolate along w in each row, then along h */
                out[ow] = (r0[tw.i0] * tw.l0 + r0[tw.i1] * tw.l1) * th.l0 +
                          (r1[tw.i0] * tw.l0 + r1[tw.i1] * tw.l1) * th.l1;
            }
        }
}

/* x has the (ho, wo) planes, y the (h, w) ones: each output gradient goes
 * back to its four taps with the forward weights. */
void gl_cpu_bilinear_adjoint(void *state, const genlab_pool_desc *d, const float *x, float *y)
{
    const int64_t h = d->h, w = d->w, ho = d->ho, wo = d->wo;
    const int ac = d->align_corners;
    const float rh = lin_ratio(h, ho, ac), rw = lin_ratio(w, wo, ac);
    const int nt = threads_of(state);
#pragma omp parallel for num_threads(nt) if (GL_RS_PAR(d, ho * wo)) schedule(static)
    for (int64_t p = 0; p < d->planes; p++) {
        float *yp = y + p * h * w;
        memset(yp, 0, (size_t)(h * w) * sizeof *yp);
        for (int64_t oh = 0; oh < ho; oh++) {
            const lin_tap th = lin_tap_at(rh, oh, h, ho, ac);
            float *r0 = yp + th.i0 * w, *r1 = yp + th.i1 * w;
            const float *g = x + (p * ho + oh) * wo;
            for (int64_t ow = 0; ow < wo; ow++) {
                const lin_tap tw = lin_tap_at(rw, ow, w, wo, ac);
                const float a = g[ow] * th.l0, b = g[ow] * th.l1;
                r0[tw.i0] += a * tw.l0;
                r0[tw.i1] += a * tw.l1;
                r1[tw.i0] += b * tw.l0;
                r1[tw.i1] += b * tw.l1;
            }
        }
    }
}
