/* SPDX-License-Identifier: MIT
 *
 * cpu_conv.c — the CPU convolution kernels: 2-D convolution forward, its
 * adjoint with respect to the input (backward data, also the forward of a
 * transposed convolution) and its gradient with respect to the weight, for
 * any stride, padding, dilation and groups.
 *
 * Method: im2col / col2im plus OpenBLAS sgemm. Several images are laid side
 * by side in one column matrix (Cin*kh*kw, chunk*Ho*Wo) so that layers with
 * tiny feature maps (4x4 in DCGAN) still make one large GEMM; the batch is
 * cut into chunks whose workspace stays under gl_cpu_state.conv_ws_max.
 * Layers with large feature maps instead run one GEMM per image straight on
 * the NCHW tensors (no reordering copies), and 1x1 stride-1 unpadded
 * convolutions then use x itself as the column matrix (no im2col).
 *
 * Threads: the copies (im2col, col2im, NCHW <-> channel-major reordering)
 * run under OpenMP over (image, channel) planes; the GEMMs run outside any
 * parallel region, on OpenBLAS's own threads. Every output element of a copy
 * is written by one thread in a fixed order, so results are the same bits
 * for any thread count, as far as OpenBLAS's own GEMM is (it splits M and N,
 * never K, between threads). The chunking depends only on the shapes and the
 * workspace cap, never on the thread count.
 *
 * Not here: bias (the ops add it), validation (the ops validate), direct or
 * Winograd kernels.
 *
 * Sections: plan, copies, kernels.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "cpu.h"

/* Below this many copied elements a copy runs on one thread. */
#define GL_CONV_PAR_MIN 32768
/* From this output plane size (Ho*Wo) up, one GEMM per image is already
 * wide enough, and it saves reordering the output to and from NCHW. */
#define GL_CONV_PER_IMAGE_P 256

/* ---- plan ---- */

typedef enum conv_pass { CONV_FORWARD, CONV_BACKWARD_DATA, CONV_BACKWARD_WEIGHT } conv_pass;

typedef struct conv_plan {
    int64_t cin_g, cout_g;   /* channels per group */
    int64_t kk;              /* kh * kw */
    int64_t kdim;            /* cin_g * kk: rows of one group's column block */
    int64_t hw, p;           /* input and output plane sizes */
    bool    direct;          /* 1x1, stride 1, no padding, same size: x is its own columns */
    bool    per_image;       /* one GEMM per image on the NCHW tensors */
    int64_t col_elems;       /* workspace per image: columns ... */
    int64_t tmp_elems;       /* ... and the channel-major copy of y or gy */
    int64_t chunk;           /* images per chunk */
} conv_plan;

static void plan_make(const gl_cpu_state *st, const genlab_conv_desc *d, conv_pass pass,
                      conv_plan *p)
{
    p->cin_g = d->cin / d->groups;
    p->cout_g = d->cout / d->groups;
    p->kk = d->kh * d->kw;
    p->kdim = p->cin_g * p->kk;
    p->hw = d->h * d->w;
    p->p = d->ho * d->wo;
    p->direct = d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->ph == 0 &&
                d->pw == 0 && d->ho == d->h && d->wo == d->w;
    /* the weight gradient sums over images: one GEMM over the whole chunk
     * (K = chunk*P) beats accumulating per-image products into gw */
    p->per_image = pass != CONV_BACKWARD_WEIGHT && p->p >= GL_CONV_PER_IMAGE_P;
    p->col_elems = p->direct && p->per_image ? 0 : d->cin * p->kk * p->p;
    p->tmp_elems = p->per_image ? 0 : d->cout * p->p;

    const size_t cap = st->conv_ws_max ? st->conv_ws_max : GL_CONV_WS_DEFAULT;
    const size_t per = (size_t)(p->col_elems + p->tmp_elems) * sizeof(float);
    int64_t chunk = per ? (int64_t)(cap / per) : d->n;
    chunk = chunk < 1 ? 1 : chunk > d->n ? d->n : chunk;
    /* equal chunks: 64 images under a cap of 63 run as 32 + 32, not 63 + 1 */
    int64_t nchunks = chunk ? (d->n + chunk - 1) / chunk : 0;
    p->chunk = nchunks ? (d->n + nchunks - 1) / nchunks : 0;
}

/* The workspace for p->chunk images. If it cannot be allocated, halve the
 * chunk and retry; NULL only when a single image does not fit. */
static float *plan_workspace(gl_cpu_state *st, conv_plan *p)
{
    for (;;) {
        size_t bytes = (size_t)(p->col_elems + p->tmp_elems) * (size_t)p->chunk * sizeof(float);
        float *ws = gl_cpu_scratch(st, bytes ? bytes : sizeof(float));
        if (ws || p->chunk <= 1)
            return ws;
        p->chunk = (p->chunk + 1) / 2;
    }
}

/* Kernels cannot report errors: without a workspace the result is NaN, so
 * that the failure shows (as a non-finite loss) instead of passing silently. */
static void fill_nan(float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = NAN;
}

/* ---- copies ---- */

/* The outputs o in [0, n) whose input position o*s + o0 lies in [0, len):
 * the range [*lo, *hi). */
static void valid_range(int64_t o0, int64_t s, int64_t n, int64_t len, int64_t *lo, int64_t *hi)
{
    int64_t a = o0 < 0 ? (-o0 + s - 1) / s : 0;
    int64_t b = o0 > len - 1 ? 0 : (len - 1 - o0) / s + 1;
    b = b < n ? b : n;
    *lo = a < b ? a : b;
    *hi = b;
}

/* The kk rows of one input plane xp (h, w) in the column matrix, starting at
 * col, rows ld apart: row (ki*kw + kj), column (oh*wo + ow) holds
 * x[oh*sh - ph + ki*dh, ow*sw - pw + kj*dw], or 0 in the padding. */
static void im2col_plane(const genlab_conv_desc *d, const float *xp, float *col, int64_t ld)
{
    const int64_t ho = d->ho, wo = d->wo;
    for (int64_t ki = 0; ki < d->kh; ki++) {
        const int64_t ih0 = ki * d->dh - d->ph;
        int64_t oh_lo, oh_hi;
        valid_range(ih0, d->sh, ho, d->h, &oh_lo, &oh_hi);
        for (int64_t kj = 0; kj < d->kw; kj++) {
            const int64_t iw0 = kj * d->dw - d->pw;
            int64_t ow_lo, ow_hi;
            valid_range(iw0, d->sw, wo, d->w, &ow_lo, &ow_hi);
            float *row = col + (ki * d->kw + kj) * ld;
            memset(row, 0, (size_t)(oh_lo * wo) * sizeof *row);
            for (int64_t oh = oh_lo; oh < oh_hi; oh++) {
                float *out = row + oh * wo;
                const int64_t base = (oh * d->sh + ih0) * d->w + iw0;
                memset(out, 0, (size_t)ow_lo * sizeof *out);
                if (d->sw == 1) {
                    memcpy(out + ow_lo, xp + base + ow_lo, (size_t)(ow_hi - ow_lo) * sizeof *out);
                } else {
                    for (int64_t ow = ow_lo; ow < ow_hi; ow++)
                        out[ow] = xp[base + ow * d->sw];
                }
                memset(out + ow_hi, 0, (size_t)(wo - ow_hi) * sizeof *out);
            }
            memset(row + oh_hi * wo, 0, (size_t)((ho - oh_hi) * wo) * sizeof *row);
        }
    }
}

/* The adjoint of im2col_plane: gp (h, w) = the sum of the kk rows scattered
 * back to their input positions (padding dropped). Overwrites gp. */
static void col2im_plane(const genlab_conv_desc *d, const float *col, int64_t ld, float *gp)
{
    const int64_t wo = d->wo;
    memset(gp, 0, (size_t)(d->h * d->w) * sizeof *gp);
    for (int64_t ki = 0; ki < d->kh; ki++) {
        const int64_t ih0 = ki * d->dh - d->ph;
        int64_t oh_lo, oh_hi;
        valid_range(ih0, d->sh, d->ho, d->h, &oh_lo, &oh_hi);
        for (int64_t kj = 0; kj < d->kw; kj++) {
            const int64_t iw0 = kj * d->dw - d->pw;
            int64_t ow_lo, ow_hi;
            valid_range(iw0, d->sw, wo, d->w, &ow_lo, &ow_hi);
            const float *row = col + (ki * d->kw + kj) * ld;
            for (int64_t oh = oh_lo; oh < oh_hi; oh++) {
                const float *in = row + oh * wo;
                const int64_t base = (oh * d->sh + ih0) * d->w + iw0;
                if (d->sw == 1) {
                    float *g = gp + base;
#pragma omp simd
                    for (int64_t ow = ow_lo; ow < ow_hi; ow++)
                        g[ow] += in[ow];
                } else {
                    for (int64_t ow = ow_lo; ow < ow_hi; ow++)
                        gp[base + ow * d->sw] += in[ow];
                }
            }
        }
    }
}

/* im2col of nb images x (nb, cin, h, w) into col (cin*kk, nb*p). */
static void im2col(const gl_cpu_state *st, const genlab_conv_desc *d, const conv_plan *p,
                   const float *x, int64_t nb, float *col)
{
    const int64_t ld = nb * p->p, tasks = nb * d->cin;
#pragma omp parallel for num_threads(st->threads) schedule(static) \
    if (tasks * p->kk * p->p > GL_CONV_PAR_MIN)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t b = t / d->cin, c = t % d->cin;
        im2col_plane(d, x + t * p->hw, col + c * p->kk * ld + b * p->p, ld);
    }
}

/* col2im of col (cin*kk, nb*p) into gx (nb, cin, h, w), overwriting it. */
static void col2im(const gl_cpu_state *st, const genlab_conv_desc *d, const conv_plan *p,
                   const float *col, int64_t nb, float *gx)
{
    const int64_t ld = nb * p->p, tasks = nb * d->cin;
#pragma omp parallel for num_threads(st->threads) schedule(static) \
    if (tasks * p->kk * p->p > GL_CONV_PAR_MIN)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t b = t / d->cin, c = t % d->cin;
        col2im_plane(d, col + c * p->kk * ld + b * p->p, ld, gx + t * p->hw);
    }
}

/* Reorder nb*c planes of plane elements between image-major (nb, c, plane)
 * and channel-major (c, nb*plane) layouts; from_images says which of src
 * and dst is image-major. */
static void reorder(const gl_cpu_state *st, const float *src, float *dst, int64_t nb, int64_t c,
                    int64_t plane, bool from_images)
{
    const int64_t tasks = nb * c;
#pragma omp parallel for num_threads(st->threads) schedule(static) \
    if (tasks * plane > GL_CONV_PAR_MIN)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t image_off = t * plane, chan_off = (t % c * nb + t / c) * plane;
        memcpy(dst + (from_images ? chan_off : image_off),
               src + (from_images ? image_off : chan_off), (size_t)plane * sizeof *src);
    }
}

/* ---- kernels ---- */

void gl_cpu_conv2d_forward(void *state, const genlab_conv_desc *d, const float *x,
                           const float *w, float *y)
{
    gl_cpu_state *st = state;
    conv_plan p;
    plan_make(st, d, CONV_FORWARD, &p);
    if (d->n == 0)
        return;
    float *ws = plan_workspace(st, &p);
    if (!ws) {
        fill_nan(y, d->n * d->cout * p.p);
        return;
    }
    float *col = ws, *tmp = ws + p.col_elems * p.chunk;
    for (int64_t b0 = 0; b0 < d->n; b0 += p.chunk) {
        const int64_t nb = d->n - b0 < p.chunk ? d->n - b0 : p.chunk, ld = nb * p.p;
        const float *xb = x + b0 * d->cin * p.hw;
        float *yb = y + b0 * d->cout * p.p;
        if (p.col_elems)
            im2col(st, d, &p, xb, nb, col);
        for (int64_t g = 0; g < d->groups; g++) {
            const float *wg = w + g * p.cout_g * p.kdim;
            if (p.per_image && p.direct)       /* B = x itself, image by image */
                gl_cpu_gemm(st, 0, 0, p.cout_g, p.p, p.kdim, 1.0f, wg, p.kdim, 0,
                            xb + g * p.cin_g * p.hw, p.hw, d->cin * p.hw, 0.0f,
                            yb + g * p.cout_g * p.p, p.p, d->cout * p.p, nb);
            else if (p.per_image)              /* B = this image's columns */
                gl_cpu_gemm(st, 0, 0, p.cout_g, p.p, p.kdim, 1.0f, wg, p.kdim, 0,
                            col + g * p.kdim * ld, ld, p.p, 0.0f,
                            yb + g * p.cout_g * p.p, p.p, d->cout * p.p, nb);
            else                               /* one GEMM over the chunk */
                gl_cpu_gemm(st, 0, 0, p.cout_g, ld, p.kdim, 1.0f, wg, p.kdim, 0,
                            col + g * p.kdim * ld, ld, 0, 0.0f, tmp + g * p.cout_g * ld, ld, 0,
                            1);
        }
        if (!p.per_image)
            reorder(st, tmp, yb, nb, d->cout, p.p, false);
    }
}

void gl_cpu_conv2d_backward_data(void *state, const genlab_conv_desc *d, const float *gy,
                                 const float *w, float *gx)
{
    gl_cpu_state *st = state;
    conv_plan p;
    plan_make(st, d, CONV_BACKWARD_DATA, &p);
    if (d->n == 0)
        return;
    float *ws = plan_workspace(st, &p);
    if (!ws) {
        fill_nan(gx, d->n * d->cin * p.hw);
        return;
    }
    float *col = ws, *tmp = ws + p.col_elems * p.chunk;
    for (int64_t b0 = 0; b0 < d->n; b0 += p.chunk) {
        const int64_t nb = d->n - b0 < p.chunk ? d->n - b0 : p.chunk, ld = nb * p.p;
        const float *gyb = gy + b0 * d->cout * p.p;
        float *gxb = gx + b0 * d->cin * p.hw;
        if (!p.per_image)
            reorder(st, gyb, tmp, nb, d->cout, p.p, true);
        for (int64_t g = 0; g < d->groups; g++) {
            const float *wg = w + g * p.cout_g * p.kdim;
            if (p.per_image && p.direct)       /* C = gx itself, image by image */
                gl_cpu_gemm(st, 1, 0, p.kdim, p.p, p.cout_g, 1.0f, wg, p.kdim, 0,
                            gyb + g * p.cout_g * p.p, p.p, d->cout * p.p, 0.0f,
                            gxb + g * p.cin_g * p.hw, p.hw, d->cin * p.hw, nb);
            else if (p.per_image)
                gl_cpu_gemm(st, 1, 0, p.kdim, p.p, p.cout_g, 1.0f, wg, p.kdim, 0,
                            gyb + g * p.cout_g * p.p, p.p, d->cout * p.p, 0.0f,
                            col + g * p.kdim * ld, ld, p.p, nb);
            else
                gl_cpu_gemm(st, 1, 0, p.kdim, ld, p.cout_g, 1.0f, wg, p.kdim, 0,
                            tmp + g * p.cout_g * ld, ld, 0, 0.0f, col + g * p.kdim * ld, ld, 0,
                            1);
        }
        if (p.col_elems)
            col2im(st, d, &p, col, nb, gxb);
    }
}

void gl_cpu_conv2d_backward_weight(void *state, const genlab_conv_desc *d, const float *x,
                                   const float *gy, float *gw)
{
    gl_cpu_state *st = state;
    conv_plan p;
    plan_make(st, d, CONV_BACKWARD_WEIGHT, &p);
    const int64_t nw = d->cout * p.kdim;
    if (d->n == 0) {
        memset(gw, 0, (size_t)nw * sizeof *gw);
        return;
    }
    float *ws = plan_workspace(st, &p);
    if (!ws) {
        fill_nan(gw, nw);
        return;
    }
    float *col = ws, *tmp = ws + p.col_elems * p.chunk;
    for (int64_t b0 = 0; b0 < d->n; b0 += p.chunk) {
        const int64_t nb = d->n - b0 < p.chunk ? d->n - b0 : p.chunk, ld = nb * p.p;
        im2col(st, d, &p, x + b0 * d->cin * p.hw, nb, col);
        reorder(st, gy + b0 * d->cout * p.p, tmp, nb, d->cout, p.p, true);
        /* gw_g (cout_g, kdim) (+)= gy_g (cout_g, ld) col_g^T; chunks add up in order */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 0, 1, p.cout_g, p.kdim, ld, 1.0f, tmp + g * p.cout_g * ld, ld, 0,
                        col + g * p.kdim * ld, ld, 0, b0 == 0 ? 0.0f : 1.0f,
                        gw + g * p.cout_g * p.kdim, p.kdim, 0, 1);
    }
}
