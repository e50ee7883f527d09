/* SPDX-License-Identifier: MIT
 *
 * cpu_conv.c — the im2col implementation of the CPU convolution kernels:
 * 2-D convolution forward, its adjoint with respect to the input (backward
 * data, also the forward of a transposed convolution) and its gradient with
 * respect to the weight, for any stride, padding, dilation and groups. It
 * serves every shape; cpu_conv_dispatch.c sends some to oneDNN instead
 * (cpu_conv_dnnl.c).
 *
 * Method: im2col / col2im plus OpenBLAS sgemm. All images of a chunk sit
 * side by side in one column matrix (Cin*kh*kw, chunk*Ho*Wo), so that layers
 * with tiny feature maps (4x4 in DCGAN) still make one large GEMM; the batch
 * is cut into chunks whose workspace stays under gl_cpu_state.conv_ws_max.
 * Two shapes need no columns: a 1x1 stride-1 unpadded convolution with large
 * planes runs one GEMM per image straight on x, and a kernel that covers the
 * whole unpadded input (DCGAN's first and last layers) is a fully connected
 * layer, one GEMM over the batch.
 *
 * Threads: the GEMMs run outside any parallel region, on OpenBLAS's threads.
 * The copies (im2col, col2im, NCHW <-> channel-major reordering) are OpenMP
 * loops over rows or planes, each element written by one thread in a fixed
 * order. With a pthreads OpenBLAS they run on one thread: its idle workers
 * spin (sched_yield) for a long time after each GEMM, and libgomp's workers
 * spin after each parallel region, so on a machine with as many cores as
 * threads the two pools steal each other's cores; measured on DCGAN layers
 * (bench/README.md), one-thread copies were faster. With an OpenMP or
 * sequential OpenBLAS there is one pool and the copies use all threads.
 * Nothing here depends on the thread count (the chunking depends only on the
 * shapes and the workspace cap), so results are the same bits for any thread
 * count as far as OpenBLAS's GEMM is: its AVX-512 kernels were on the machine
 * this was written on; other kernels need not be.
 *
 * Not here: bias (the ops add it), validation (the ops validate), the
 * choice of implementation (cpu_conv_dispatch.c), direct or Winograd
 * kernels (oneDNN's, in cpu_conv_dnnl.c).
 *
 * Sections: plan, copies through gather tables, copies by rows, copies
 * (dispatch and reordering), kernels.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cpu.h"

/* Below this many copied elements a copy runs on one thread. */
#define GL_CONV_PAR_MIN 32768
/* Chunks aim at this much workspace, so that the columns are still in cache
 * (2 MiB L2 per core, 32 MiB shared L3 on the machine it was tuned on) when
 * the GEMM reads them; measured on DCGAN layers, 4 MiB beat 64 MiB by up to
 * 15% and 1-2 MiB made the GEMMs too narrow. */
#define GL_CONV_CHUNK_BYTES ((size_t)4 << 20)
/* ... but take at least this many GEMM columns (images x Ho*Wo) per chunk:
 * narrower GEMMs lose more than the cache gains. */
#define GL_CONV_MIN_COLS 256
/* From this output width up, the copies go row by row over the stride
 * phases of the input (see "copies by rows"); below it, through gather
 * tables. Measured per element on DCGAN shapes: at width 32 rows take 40-55%
 * of the gathers' time, at 16 65-75%; at 8 im2col by rows is slower. */
#define GL_CONV_ROWS_MIN_WO 16
/* From this plane size up, a 1x1 convolution's per-image GEMMs (N = H*W)
 * are wide enough to run straight on x, without reordering copies. */
#define GL_CONV_DIRECT_MIN_P 256

/* ---- plan ---- */

typedef enum conv_mode {
    CONV_COLUMNS,   /* im2col / col2im around the GEMMs */
    CONV_DIRECT,    /* 1x1, stride 1, no padding: each image's x is its own columns */
    CONV_DENSE      /* the kernel covers the whole input once (Ho = Wo = 1, no padding):
                     * a fully connected layer, x (N, Cin*H*W) is the transposed columns */
} conv_mode;

typedef struct conv_plan {
    conv_mode mode;
    int64_t   cin_g, cout_g;  /* channels per group */
    int64_t   kk;             /* kh * kw */
    int64_t   kdim;           /* cin_g * kk: rows of one group's column block */
    int64_t   hw, p;          /* input and output plane sizes */
    bool      per_image;      /* CONV_DIRECT: one GEMM per image straight on x, no copies */
    int       threads;        /* threads of the copies */
    bool      rows;           /* copies by rows (wide outputs), else through gather tables */
    int64_t   mh, mw;         /* backward data: most taps reading one input row / column */
    int64_t   tab_elems;      /* workspace: the gather table (int32) or one input plane
                               * per copy thread, once; then ... */
    int64_t   col_elems;      /* ... then per image: columns ... */
    int64_t   tmp_elems;      /* ... and the channel-major copy of y or gy */
    int64_t   chunk;          /* images per chunk */
} conv_plan;

static int64_t axis_sources(int64_t len, int64_t k, int64_t s, int64_t pad, int64_t dil,
                            int64_t n_out, int64_t m, int32_t *src);

static conv_mode mode_of(const genlab_conv_desc *d)
{
    const bool unpadded = d->ph == 0 && d->pw == 0;
    if (unpadded && d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->ho == d->h &&
        d->wo == d->w)
        return CONV_DIRECT;
    /* tap (ki, kj) reads x[ki * dh, kj * dw]: all of x, in order, when dilation
     * is 1 along each axis the kernel spans */
    if (unpadded && d->ho == 1 && d->wo == 1 && d->kh == d->h && d->kw == d->w &&
        (d->dh == 1 || d->kh == 1) && (d->dw == 1 || d->kw == 1))
        return CONV_DENSE;
    return CONV_COLUMNS;
}

static void plan_make(const gl_cpu_state *st, const genlab_conv_desc *d, gl_conv_pass pass,
                      conv_plan *p)
{
    p->mode = mode_of(d);
    p->cin_g = d->cin / d->groups;
    p->cout_g = d->cout / d->groups;
    p->kk = d->kh * d->kw;
    p->kdim = p->cin_g * p->kk;
    p->hw = d->h * d->w;
    p->p = d->ho * d->wo;
    /* the weight gradient sums over images: one GEMM over the whole chunk
     * (K = chunk*P) beats accumulating per-image products into gw */
    p->per_image = p->mode == CONV_DIRECT && pass != GL_CONV_BACKWARD_WEIGHT &&
                   p->p >= GL_CONV_DIRECT_MIN_P;
    /* see the file comment: 1 = OpenBLAS runs its own pthreads */
    p->threads = st->conv_copy_threads        ? st->conv_copy_threads
                 : openblas_get_parallel() == 1 ? 1 : st->threads;
    const bool columns = p->mode != CONV_DENSE && !p->per_image;
    p->col_elems = columns ? d->cin * p->kk * p->p : 0;
    p->tmp_elems = columns ? d->cout * p->p : 0;
    p->rows = d->wo >= GL_CONV_ROWS_MIN_WO;
    p->mh = p->mw = 0;
    p->tab_elems = 0;
    if (columns && p->rows) {
        p->tab_elems = p->threads * ((p->hw + 15) / 16 * 16);
    } else if (columns && pass == GL_CONV_BACKWARD_DATA) {
        p->mh = axis_sources(d->h, d->kh, d->sh, d->ph, d->dh, d->ho, 0, NULL);
        p->mw = axis_sources(d->w, d->kw, d->sw, d->pw, d->dw, d->wo, 0, NULL);
        p->tab_elems = p->mh * p->mw * p->hw + d->h * p->mh + d->w * p->mw;
    } else if (columns) {
        p->tab_elems = p->kk * p->p;
    }
    p->tab_elems = (p->tab_elems + 15) / 16 * 16;   /* columns start 64-byte aligned */

    const size_t cap = st->conv_ws_max ? st->conv_ws_max : GL_CONV_WS_DEFAULT;
    const size_t per = (size_t)(p->col_elems + p->tmp_elems) * sizeof(float);
    int64_t chunk = d->n;
    if (per) {
        const int64_t wide = (GL_CONV_MIN_COLS + p->p - 1) / p->p;
        const int64_t cached = (int64_t)(GL_CONV_CHUNK_BYTES / per);
        chunk = cached > wide ? cached : wide;
        chunk = chunk < (int64_t)(cap / per) ? chunk : (int64_t)(cap / per);
    }
    chunk = chunk < 1 ? 1 : chunk > d->n ? d->n : chunk;
    /* equal chunks: 64 images in chunks of at most 63 run as 32 + 32, not 63 + 1 */
    int64_t nchunks = chunk ? (d->n + chunk - 1) / chunk : 0;
    p->chunk = nchunks ? (d->n + nchunks - 1) / nchunks : 0;
}

/* The workspace for the tables and p->chunk images. If it cannot be
 * allocated, halve the chunk and retry; NULL only when one image does not fit. */
static float *plan_workspace(gl_cpu_state *st, conv_plan *p)
{
    for (;;) {
        size_t bytes = ((size_t)p->tab_elems + (size_t)(p->col_elems + p->tmp_elems) *
                        (size_t)p->chunk) * sizeof(float);
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

/* ---- copies through gather tables ----
 * For narrow outputs, im2col and col2im are gathers through int32 offset
 * tables built once per call: their inner loops then run over whole planes
 * with no bounds tests and vectorise (masked gathers), which matters for the
 * 2x2 to 8x8 planes of DCGAN, where per-row loops would be 2 to 8 elements
 * long. An offset of -1 stands for the zero padding. Offsets fit in int32
 * because the ops reject planes and column blocks of 2^31 elements or more. */

static inline void gather(const float *src, const int32_t *restrict off, int64_t n,
                          float *restrict dst)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = off[i] >= 0 ? src[off[i]] : 0.0f;
}

static inline void gather_add(const float *src, const int32_t *restrict off, int64_t n,
                              float *restrict dst)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] += off[i] >= 0 ? src[off[i]] : 0.0f;
}

/* im2col table (kk, P): for tap (ki, kj) and output (oh, ow), the offset in
 * an input plane of x[oh*sh - ph + ki*dh, ow*sw - pw + kj*dw], or -1. */
static void im2col_table(const genlab_conv_desc *d, int32_t *tab)
{
    for (int64_t ki = 0; ki < d->kh; ki++)
        for (int64_t kj = 0; kj < d->kw; kj++)
            for (int64_t oh = 0; oh < d->ho; oh++) {
                const int64_t ih = oh * d->sh - d->ph + ki * d->dh;
                for (int64_t ow = 0; ow < d->wo; ow++) {
                    const int64_t iw = ow * d->sw - d->pw + kj * d->dw;
                    const bool in = ih >= 0 && ih < d->h && iw >= 0 && iw < d->w;
                    *tab++ = in ? (int32_t)(ih * d->w + iw) : -1;
                }
            }
}

/* The (tap, output) pairs along one axis that read each input position i:
 * o*s - pad + k*dil = i with 0 <= o < n_out. With src NULL, returns the
 * largest count m over positions. Else fills src (len, m): the pairs of
 * position i as k*n_out + o, in tap order, then -1s; returns m. */
static int64_t axis_sources(int64_t len, int64_t k, int64_t s, int64_t pad, int64_t dil,
                            int64_t n_out, int64_t m, int32_t *src)
{
    int64_t most = 0;
    for (int64_t i = 0; i < len; i++) {
        int64_t count = 0;
        for (int64_t ki = 0; ki < k; ki++) {
            const int64_t t = i + pad - ki * dil;
            if (t < 0 || t % s != 0 || t / s >= n_out)
                continue;
            if (src)
                src[i * m + count] = (int32_t)(ki * n_out + t / s);
            count++;
        }
        for (int64_t j = count; src && j < m; j++)
            src[i * m + j] = -1;
        most = count > most ? count : most;
    }
    return most;
}

/* col2im table (mh*mw, hw) for columns ld apart: entry m of input pixel
 * (ih, iw) is the offset, from its channel's and image's first column, of the
 * m-th column element that reads it (taps in order), or -1. Uses the axis
 * tables after it in the workspace. */
static void col2im_table(const genlab_conv_desc *d, const conv_plan *p, int64_t ld,
                         int32_t *tab)
{
    int32_t *sh = tab + p->mh * p->mw * p->hw, *sw = sh + d->h * p->mh;
    axis_sources(d->h, d->kh, d->sh, d->ph, d->dh, d->ho, p->mh, sh);
    axis_sources(d->w, d->kw, d->sw, d->pw, d->dw, d->wo, p->mw, sw);
    for (int64_t a = 0; a < p->mh; a++)
        for (int64_t b = 0; b < p->mw; b++)
            for (int64_t ih = 0; ih < d->h; ih++)
                for (int64_t iw = 0; iw < d->w; iw++) {
                    const int32_t u = sh[ih * p->mh + a], v = sw[iw * p->mw + b];
                    const int64_t tap = u / d->ho * d->kw + v / d->wo;
                    const int64_t pos = u % d->ho * d->wo + v % d->wo;
                    *tab++ = u < 0 || v < 0 ? -1 : (int32_t)(tap * ld + pos);
                }
}

/* im2col of nb images x (nb, cin, h, w) into col (cin*kk, nb*P) through
 * the im2col table; one row (channel, tap) per task, so that each thread
 * writes whole rows in order. */
static void im2col_gather(const genlab_conv_desc *d, const conv_plan *p, const int32_t *tab,
                          const float *x, int64_t nb, float *col)
{
    const int64_t ld = nb * p->p, rows = d->cin * p->kk;
#pragma omp parallel for num_threads(p->threads) schedule(static) \
    if (rows * ld > GL_CONV_PAR_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float *xc = x + r / p->kk * p->hw;
        const int32_t *off = tab + r % p->kk * p->p;
        for (int64_t b = 0; b < nb; b++)
            gather(xc + b * d->cin * p->hw, off, p->p, col + r * ld + b * p->p);
    }
}

/* col2im of col (cin*kk, nb*P) into gx (nb, cin, h, w), overwriting it,
 * through the col2im table for this ld; one (channel, image) plane per task,
 * so each element has one writer, and its terms add up in a fixed order. */
static void col2im_gather(const genlab_conv_desc *d, const conv_plan *p, const int32_t *tab,
                          const float *col, int64_t nb, float *gx)
{
    const int64_t ld = nb * p->p, tasks = nb * d->cin, m = p->mh * p->mw;
#pragma omp parallel for num_threads(p->threads) schedule(static) \
    if (tasks * p->kk * p->p > GL_CONV_PAR_MIN)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t c = t / nb, b = t % nb;
        const float *src = col + c * p->kk * ld + b * p->p;
        float *g = gx + (b * d->cin + c) * p->hw;
        if (m == 0)   /* every tap reads padding only */
            memset(g, 0, (size_t)p->hw * sizeof *g);
        else
            gather(src, tab, p->hw, g);
        for (int64_t j = 1; j < m; j++)
            gather_add(src, tab + j * p->hw, p->hw, g);
    }
}

/* ---- copies by rows ----
 * For wide outputs, rows are copied whole. With stride s, tap (ki, kj)
 * reads input rows oh*sh + ki*dh - ph: all in one "phase" a (rows = a mod
 * sh) of the input, at consecutive phase rows. So the input plane is first
 * split into its sh*sw phase planes (a stride-s deinterleave, one pass), and
 * then every tap's window is a block of consecutive rows and columns of one
 * phase plane, copied (im2col) or added (col2im) row by row with contiguous,
 * vectorisable inner loops. With stride 1 the only phase is the plane. */

/* floor division of a tap's offset t by the stride: phase *a in [0, s) and
 * phase-plane shift *q, t = q*s + a */
static void axis_phase(int64_t t, int64_t s, int64_t *a, int64_t *q)
{
    *q = t >= 0 ? t / s : -((-t + s - 1) / s);
    *a = t - *q * s;
}

/* length of phase a of an axis of len positions */
static int64_t phase_len(int64_t len, int64_t a, int64_t s)
{
    return a < len ? (len - a + s - 1) / s : 0;
}

/* Where tap (ki, kj) reads: phase plane at offset off (wb wide); output
 * (oh, ow) reads its element (oh + qa, ow + qb) when oh is in
 * [oh_lo, oh_hi) and ow in [ow_lo, ow_hi), else padding. */
typedef struct window {
    int64_t off, wb, qa, qb, oh_lo, oh_hi, ow_lo, ow_hi;
} window;

/* the valid outputs [*lo, *hi) of n along an axis, for shift q into a phase of len */
static void window_range(int64_t q, int64_t len, int64_t n, int64_t *lo, int64_t *hi)
{
    int64_t a = q < 0 ? -q : 0, b = len - q < n ? len - q : n;
    *lo = a < n ? a : n;
    *hi = b > *lo ? b : *lo;
}

static window window_of(const genlab_conv_desc *d, int64_t ki, int64_t kj)
{
    window t;
    int64_t a, b;
    axis_phase(ki * d->dh - d->ph, d->sh, &a, &t.qa);
    axis_phase(kj * d->dw - d->pw, d->sw, &b, &t.qb);
    const int64_t ha = phase_len(d->h, a, d->sh);
    t.wb = phase_len(d->w, b, d->sw);
    /* phases are stored one after the other, (a, b) in row-major order */
    t.off = 0;
    for (int64_t i = 0; i < a; i++)
        t.off += phase_len(d->h, i, d->sh) * d->w;
    for (int64_t j = 0; j < b; j++)
        t.off += ha * phase_len(d->w, j, d->sw);
    window_range(t.qa, ha, d->ho, &t.oh_lo, &t.oh_hi);
    window_range(t.qb, t.wb, d->wo, &t.ow_lo, &t.ow_hi);
    return t;
}

/* split (to_phases) a plane (h, w) into its phase planes, or merge them back */
static void phases(const genlab_conv_desc *d, float *plane, float *ph, bool to_phases)
{
    for (int64_t a = 0; a < d->sh; a++)
        for (int64_t b = 0; b < d->sw; b++) {
            const int64_t ha = phase_len(d->h, a, d->sh), wb = phase_len(d->w, b, d->sw);
            for (int64_t i = 0; i < ha; i++, ph += wb) {
                float *r = plane + (i * d->sh + a) * d->w + b;
                if (to_phases)
                    for (int64_t j = 0; j < wb; j++)
                        ph[j] = r[j * d->sw];
                else
                    for (int64_t j = 0; j < wb; j++)
                        r[j * d->sw] = ph[j];
            }
        }
}

/* one tap's P outputs (out) from the phase planes src */
static void window_copy(const genlab_conv_desc *d, const window *t, const float *src,
                        float *out)
{
    const int64_t wo = d->wo;
    memset(out, 0, (size_t)(t->oh_lo * wo) * sizeof *out);
    for (int64_t oh = t->oh_lo; oh < t->oh_hi; oh++) {
        float *o = out + oh * wo;
        const float *r = src + t->off + (oh + t->qa) * t->wb + t->qb;
        for (int64_t ow = 0; ow < t->ow_lo; ow++)
            o[ow] = 0.0f;
        for (int64_t ow = t->ow_lo; ow < t->ow_hi; ow++)
            o[ow] = r[ow];
        for (int64_t ow = t->ow_hi; ow < wo; ow++)
            o[ow] = 0.0f;
    }
    memset(out + t->oh_hi * wo, 0, (size_t)((d->ho - t->oh_hi) * wo) * sizeof *out);
}

/* the adjoint: add one tap's P values (in) into the phase planes dst */
static void window_add(const genlab_conv_desc *d, const window *t, const float *in, float *dst)
{
    for (int64_t oh = t->oh_lo; oh < t->oh_hi; oh++) {
        const float *v = in + oh * d->wo;
        float *r = dst + t->off + (oh + t->qa) * t->wb + t->qb;
        for (int64_t ow = t->ow_lo; ow < t->ow_hi; ow++)
            r[ow] += v[ow];
    }
}

/* this copy thread's phase-plane buffer in the workspace */
static float *thread_buffer(const conv_plan *p, float *bufs)
{
#ifdef _OPENMP
    return bufs + omp_get_thread_num() * ((p->hw + 15) / 16 * 16);
#else
    (void)p;
    return bufs;
#endif
}

/* im2col by rows: one (channel, image) plane per task, which writes that
 * image's segment of the channel's kk rows. */
static void im2col_rows(const genlab_conv_desc *d, const conv_plan *p, float *bufs,
                        const float *x, int64_t nb, float *col)
{
    const int64_t ld = nb * p->p, tasks = nb * d->cin;
    const bool strided = d->sh > 1 || d->sw > 1;
#pragma omp parallel for num_threads(p->threads) schedule(static) \
    if (tasks * p->kk * p->p > GL_CONV_PAR_MIN)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t c = t / nb, b = t % nb;
        const float *src = x + (b * d->cin + c) * p->hw;
        if (strided) {
            float *buf = thread_buffer(p, bufs);
            phases(d, (float *)src, buf, true);   /* only read when splitting */
            src = buf;
        }
        for (int64_t k = 0; k < p->kk; k++) {
            const window w = window_of(d, k / d->kw, k % d->kw);
            window_copy(d, &w, src, col + (c * p->kk + k) * ld + b * p->p);
        }
    }
}

/* col2im by rows: one (channel, image) plane per task; taps add up in order. */
static void col2im_rows(const genlab_conv_desc *d, const conv_plan *p, float *bufs,
                        const float *col, int64_t nb, float *gx)
{
    const int64_t ld = nb * p->p, tasks = nb * d->cin;
    const bool strided = d->sh > 1 || d->sw > 1;
#pragma omp parallel for num_threads(p->threads) schedule(static) \
    if (tasks * p->kk * p->p > GL_CONV_PAR_MIN)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t c = t / nb, b = t % nb;
        float *g = gx + (b * d->cin + c) * p->hw;
        float *acc = strided ? thread_buffer(p, bufs) : g;
        memset(acc, 0, (size_t)p->hw * sizeof *acc);
        for (int64_t k = 0; k < p->kk; k++) {
            const window w = window_of(d, k / d->kw, k % d->kw);
            window_add(d, &w, col + (c * p->kk + k) * ld + b * p->p, acc);
        }
        if (strided)
            phases(d, g, acc, false);
    }
}

/* ---- copies (dispatch and reordering) ---- */

/* the workspace's head: the gather table (int32) or the row buffers */
static void im2col(const genlab_conv_desc *d, const conv_plan *p, float *head, const float *x,
                   int64_t nb, float *col)
{
    if (p->rows)
        im2col_rows(d, p, head, x, nb, col);
    else
        im2col_gather(d, p, (const int32_t *)head, x, nb, col);
}

static void col2im(const genlab_conv_desc *d, const conv_plan *p, float *head,
                   const float *col, int64_t nb, float *gx)
{
    if (p->rows)
        col2im_rows(d, p, head, col, nb, gx);
    else
        col2im_gather(d, p, (const int32_t *)head, col, nb, gx);
}

/* Reorder nb*c output planes (p->p elements) between image-major
 * (nb, c, plane) and channel-major (c, nb*plane) layouts; from_images says
 * which of src and dst is image-major. */
static void reorder(const conv_plan *p, const float *src, float *dst, int64_t nb, int64_t c,
                    bool from_images)
{
    const int64_t tasks = nb * c, plane = p->p;
#pragma omp parallel for num_threads(p->threads) schedule(static) \
    if (tasks * plane > GL_CONV_PAR_MIN)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t image_off = t * plane, chan_off = (t % c * nb + t / c) * plane;
        const float *s = src + (from_images ? image_off : chan_off);
        float *o = dst + (from_images ? chan_off : image_off);
        for (int64_t i = 0; i < plane; i++)   /* planes are short: no memcpy call */
            o[i] = s[i];
    }
}

/* ---- kernels ---- */

void gl_cpu_im2col_forward(gl_cpu_state *st, const genlab_conv_desc *d, const float *x,
                           const float *w, float *y)
{
    conv_plan p;
    plan_make(st, d, GL_CONV_FORWARD, &p);
    if (d->n == 0)
        return;
    if (p.mode == CONV_DENSE) {
        /* y_g (n, cout_g) = x_g (n, kdim) w_g^T, rows cout and cin*hw apart */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 0, 1, d->n, p.cout_g, p.kdim, 1.0f, x + g * p.kdim, d->cin * p.hw,
                        0, w + g * p.cout_g * p.kdim, p.kdim, 0, 0.0f, y + g * p.cout_g,
                        d->cout, 0, 1);
        return;
    }
    if (p.per_image) {
        /* y_b,g (cout_g, P) = w_g x_b,g, batched over images */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 0, 0, p.cout_g, p.p, p.kdim, 1.0f, w + g * p.cout_g * p.kdim,
                        p.kdim, 0, x + g * p.cin_g * p.hw, p.hw, d->cin * p.hw, 0.0f,
                        y + g * p.cout_g * p.p, p.p, d->cout * p.p, d->n);
        return;
    }
    float *ws = plan_workspace(st, &p);
    if (!ws) {
        fill_nan(y, d->n * d->cout * p.p);
        return;
    }
    float *col = ws + p.tab_elems, *tmp = col + p.col_elems * p.chunk;
    if (!p.rows)
        im2col_table(d, (int32_t *)ws);
    for (int64_t b0 = 0; b0 < d->n; b0 += p.chunk) {
        const int64_t nb = d->n - b0 < p.chunk ? d->n - b0 : p.chunk, ld = nb * p.p;
        im2col(d, &p, ws, x + b0 * d->cin * p.hw, nb, col);
        /* tmp_g (cout_g, ld) = w_g (cout_g, kdim) col_g (kdim, ld) */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 0, 0, p.cout_g, ld, p.kdim, 1.0f, w + g * p.cout_g * p.kdim, p.kdim,
                        0, col + g * p.kdim * ld, ld, 0, 0.0f, tmp + g * p.cout_g * ld, ld, 0, 1);
        reorder(&p, tmp, y + b0 * d->cout * p.p, nb, d->cout, false);
    }
}

void gl_cpu_im2col_backward_data(gl_cpu_state *st, const genlab_conv_desc *d, const float *gy,
                                 const float *w, float *gx)
{
    conv_plan p;
    plan_make(st, d, GL_CONV_BACKWARD_DATA, &p);
    if (d->n == 0)
        return;
    if (p.mode == CONV_DENSE) {
        /* gx_g (n, kdim) = gy_g (n, cout_g) w_g */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 0, 0, d->n, p.kdim, p.cout_g, 1.0f, gy + g * p.cout_g, d->cout, 0,
                        w + g * p.cout_g * p.kdim, p.kdim, 0, 0.0f, gx + g * p.kdim,
                        d->cin * p.hw, 0, 1);
        return;
    }
    if (p.per_image) {
        /* gx_b,g (cin_g, P) = w_g^T gy_b,g, batched over images */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 1, 0, p.kdim, p.p, p.cout_g, 1.0f, w + g * p.cout_g * p.kdim,
                        p.kdim, 0, gy + g * p.cout_g * p.p, p.p, d->cout * p.p, 0.0f,
                        gx + g * p.cin_g * p.hw, p.hw, d->cin * p.hw, d->n);
        return;
    }
    float *ws = plan_workspace(st, &p);
    if (!ws) {
        fill_nan(gx, d->n * d->cin * p.hw);
        return;
    }
    float *col = ws + p.tab_elems, *tmp = col + p.col_elems * p.chunk;
    for (int64_t b0 = 0, table_ld = 0; b0 < d->n; b0 += p.chunk) {
        const int64_t nb = d->n - b0 < p.chunk ? d->n - b0 : p.chunk, ld = nb * p.p;
        if (!p.rows && ld != table_ld)   /* the first chunk, and a shorter last one */
            col2im_table(d, &p, table_ld = ld, (int32_t *)ws);
        reorder(&p, gy + b0 * d->cout * p.p, tmp, nb, d->cout, true);
        /* col_g (kdim, ld) = w_g^T (kdim, cout_g) tmp_g (cout_g, ld) */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 1, 0, p.kdim, ld, p.cout_g, 1.0f, w + g * p.cout_g * p.kdim, p.kdim,
                        0, tmp + g * p.cout_g * ld, ld, 0, 0.0f, col + g * p.kdim * ld, ld, 0, 1);
        col2im(d, &p, ws, col, nb, gx + b0 * d->cin * p.hw);
    }
}

void gl_cpu_im2col_backward_weight(gl_cpu_state *st, const genlab_conv_desc *d, const float *x,
                                   const float *gy, float *gw)
{
    conv_plan p;
    plan_make(st, d, GL_CONV_BACKWARD_WEIGHT, &p);
    const int64_t nw = d->cout * p.kdim;
    if (d->n == 0) {
        memset(gw, 0, (size_t)nw * sizeof *gw);
        return;
    }
    if (p.mode == CONV_DENSE) {
        /* gw_g (cout_g, kdim) = gy_g^T (cout_g, n) x_g (n, kdim) */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 1, 0, p.cout_g, p.kdim, d->n, 1.0f, gy + g * p.cout_g, d->cout, 0,
                        x + g * p.kdim, d->cin * p.hw, 0, 0.0f, gw + g * p.cout_g * p.kdim,
                        p.kdim, 0, 1);
        return;
    }
    float *ws = plan_workspace(st, &p);
    if (!ws) {
        fill_nan(gw, nw);
        return;
    }
    float *col = ws + p.tab_elems, *tmp = col + p.col_elems * p.chunk;
    if (!p.rows)
        im2col_table(d, (int32_t *)ws);
    for (int64_t b0 = 0; b0 < d->n; b0 += p.chunk) {
        const int64_t nb = d->n - b0 < p.chunk ? d->n - b0 : p.chunk, ld = nb * p.p;
        im2col(d, &p, ws, x + b0 * d->cin * p.hw, nb, col);
        reorder(&p, gy + b0 * d->cout * p.p, tmp, nb, d->cout, true);
        /* gw_g (cout_g, kdim) (+)= tmp_g (cout_g, ld) col_g^T; chunks add up in order */
        for (int64_t g = 0; g < d->groups; g++)
            gl_cpu_gemm(st, 0, 1, p.cout_g, p.kdim, ld, 1.0f, tmp + g * p.cout_g * ld, ld, 0,
                        col + g * p.kdim * ld, ld, 0, b0 == 0 ? 0.0f : 1.0f,
                        gw + g * p.cout_g * p.kdim, p.kdim, 0, 1);
    }
}
