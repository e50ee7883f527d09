/* SPDX-License-Identifier: MIT
 *
 * image_resize.c — genlab_image_resize: Pillow's resampling (Pillow 9.4,
 * src/libImaging/Resample.c) reproduced bit for bit on 8-bit images.
 *
 * Pillow resizes in two separable passes, horizontal then vertical, each
 * rounding and clamping to 8 bits. For every output pixel of a pass it
 * precomputes a window of input pixels and their weights: the centre is
 * (i + 0.5) * scale in input coordinates, the filter's support is widened
 * by scale when shrinking (so every input pixel contributes), the weights
 * are normalised to sum to 1 and then turned into fixed-point integers with
 * 22 fractional bits (PRECISION_BITS). The sums are integer too, so the same
 * tables give the same bytes as Pillow's — which is what clean-fid and
 * torchvision's PIL path feed their networks. RGBA is resized with
 * premultiplied alpha, as Pillow's Image.resize does.
 *
 * Float planes (Pillow's mode "F", what clean-fid resizes) share the
 * windows and weights, without the fixed point: double sums of the
 * normalised weights, rounded to float after each pass, as Pillow's 32bpc
 * passes do (genlab_image_resize_f32).
 *
 * Not here: choosing the output size (the dataset pipeline does that in
 * imageset.c), Pillow's reducing_gap shortcut (off by default in
 * Image.resize, and not exact).
 *
 * Sections: filters, weight tables, passes, alpha, float planes, resize.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/dataset.h"
#include "image_impl.h"

/* ---- filters ---- */

/* Pillow's BOX: 1 on (-1/2, 1/2]; the half-open interval makes a centre
 * falling exactly between two pixels take one of them, not both. */
static double box_filter(double x)
{
    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
}

static double triangle_filter(double x)
{
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Keys' cubic convolution with a = -0.5, written as Pillow writes it (the
 * rounding of each weight follows the order of the operations) */
static double cubic_filter(double x)
{
    const double a = -0.5;
    x = fabs(x);
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

typedef struct gl_filter {
    double (*f)(double x);
    double support;     /* f is zero outside [-support, support] */
} gl_filter;

/* indexed by genlab_resize_filter */
static const gl_filter filters[] = {
    {box_filter, 0.5},
    {triangle_filter, 1.0},
    {cubic_filter, 2.0},
};

/* indexed by genlab_resize_filter too: the names are the `resize` key's
 * choices (dataset.h), so they are defined here, next to the filters */
const char *const genlab_resize_choices[] = {"area", "bilinear", "bicubic", NULL};

const char *genlab_resize_filter_name(genlab_resize_filter filter)
{
    return (unsigned)filter < sizeof filters / sizeof filters[0] ? genlab_resize_choices[filter]
                                                                  : "?";
}

/* ---- weight tables ---- */

/* Weights are integers scaled by 2^22: 8 bits of pixel and 2 of headroom
 * for the negative lobes of the cubic leave 22 in an int32 (Pillow's
 * PRECISION_BITS). */
#define PRECISION_BITS 22

/* The windows of one pass: output i reads `count[i]` inputs from
 * `first[i]`, with weights w[i * ksize .. + count[i]) (normalised to sum
 * to 1, zero past count: Pillow's precompute_coeffs) or, for 8-bit
 * images, their fixed-point k (Pillow's normalize_coeffs_8bpc). */
typedef struct gl_taps {
    int32_t  ksize;
    int32_t *first, *count;   /* (n_out,) */
    double  *w;               /* (n_out, ksize) */
    int32_t *k;               /* (n_out, ksize); NULL for float images */
} gl_taps;

static void taps_free(gl_taps *t)
{
    free(t->first);
    free(t->w);
    free(t->k);
    *t = (gl_taps){0};
}

/* taps_build — the windows for resampling n_in pixels to n_out with f, as
 * Pillow's precompute_coeffs computes them (the same double arithmetic,
 * the same float box edge, the same truncations), and with fixed, their
 * fixed-point weights as normalize_coeffs_8bpc rounds them. Returns false
 * when out of memory. */
static bool taps_build(int32_t n_in, int32_t n_out, const gl_filter *f, bool fixed, gl_taps *t)
{
    *t = (gl_taps){0};
    /* Pillow passes the box edge as a float (exact below 2^24 pixels) */
    double scale = (double)(float)n_in / n_out;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = f->support * filterscale;
    /* at most 2 * ceil(support) + 1 inputs per output: n_out * ksize stays
     * under 4 * n_in + 3 * n_out (f->support <= 2), far from size_t's end */
    int32_t ksize = (int32_t)ceil(support) * 2 + 1;
    t->ksize = ksize;
    t->first = malloc(2 * (size_t)n_out * sizeof *t->first);
    t->w = malloc((size_t)n_out * ksize * sizeof *t->w);
    if (fixed)
        t->k = malloc((size_t)n_out * ksize * sizeof *t->k);
    if (!t->first || !t->w || (fixed && !t->k)) {
        taps_free(t);
        return false;
    }
    t->count = t->first + n_out;
    double ss = 1.0 / filterscale;
    for (int32_t i = 0; i < n_out; i++) {
        double center = (i + 0.5) * scale;
        /* (int) truncates towards zero, like Pillow's: the clamp below then
         * takes care of windows starting left of 0 */
        int32_t lo = (int32_t)(center - support + 0.5);
        int32_t hi = (int32_t)(center + support + 0.5);
        if (lo < 0)
            lo = 0;
        if (hi > n_in)
            hi = n_in;
        int32_t n = hi - lo;
        double *w = t->w + (size_t)i * ksize, sum = 0.0;
        for (int32_t j = 0; j < n; j++) {
            w[j] = f->f((j + lo - center + 0.5) * ss);
            sum += w[j];
        }
        for (int32_t j = 0; j < ksize; j++)
            /* Pillow leaves the weights as they are when they sum to 0 */
            w[j] = j >= n ? 0.0 : sum != 0.0 ? w[j] / sum : w[j];
        if (fixed) {
            int32_t *k = t->k + (size_t)i * ksize;
            for (int32_t j = 0; j < ksize; j++)
                k[j] = (int32_t)(w[j] < 0 ? -0.5 + w[j] * (1 << PRECISION_BITS)
                                          : 0.5 + w[j] * (1 << PRECISION_BITS));
        }
        t->first[i] = lo;
        t->count[i] = n;
    }
    return true;
}

/* ---- passes ---- */

/* a fixed-point sum back to a byte: Pillow rounds by starting every sum at
 * one half and clamps after the shift (an arithmetic shift, which is what
 * GCC and Clang do with negative ints) */
#define ROUND_HALF (1 << (PRECISION_BITS - 1))

static inline uint8_t clip8(int32_t acc)
{
    int32_t v = acc >> PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* resample_rows — output row i (row_bytes bytes) is the weighted sum of
 * rows first[i] .. first[i] + count[i] of in. Whole rows at a time, so the
 * inner loops run over contiguous bytes and vectorise. acc: row_bytes
 * int32 of scratch. */
static void resample_rows(const uint8_t *in, size_t row_bytes, uint8_t *out, int32_t n_out,
                          const gl_taps *t, int32_t *restrict acc)
{
    for (int32_t i = 0; i < n_out; i++) {
        const int32_t *k = t->k + (size_t)i * t->ksize;
        const uint8_t *src = in + (size_t)t->first[i] * row_bytes;
        for (size_t b = 0; b < row_bytes; b++)
            acc[b] = ROUND_HALF;
        for (int32_t j = 0; j < t->count[i]; j++) {
            const uint8_t *restrict row = src + (size_t)j * row_bytes;
            int32_t kj = k[j];
            for (size_t b = 0; b < row_bytes; b++)
                acc[b] += row[b] * kj;
        }
        uint8_t *restrict dst = out + (size_t)i * row_bytes;
        for (size_t b = 0; b < row_bytes; b++)
            dst[b] = clip8(acc[b]);
    }
}

/* transpose — the w x h image in (C channels) as the h x w image out:
 * out pixel (y, x) = in pixel (x, y). C is a constant in each caller, so
 * the channel loop unrolls. */
static inline __attribute__((always_inline)) void
transpose_c(const uint8_t *restrict in, int32_t w, int32_t h, uint8_t *restrict out, const int C)
{
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++)
            for (int c = 0; c < C; c++)
                out[((size_t)x * h + y) * C + c] = in[((size_t)y * w + x) * C + c];
}

static void transpose(const uint8_t *in, int32_t w, int32_t h, int C, uint8_t *out)
{
    switch (C) {
    case 1: transpose_c(in, w, h, out, 1); break;
    case 3: transpose_c(in, w, h, out, 3); break;
    default: transpose_c(in, w, h, out, 4); break;
    }
}

/* ---- alpha ---- */

/* RGBA -> Pillow's "RGBa": colour times alpha / 255, rounded (its MULDIV255) */
static void premultiply(uint8_t *px, size_t n)
{
    for (size_t i = 0; i < n; i++, px += 4)
        for (int c = 0; c < 3; c++) {
            uint32_t v = (uint32_t)px[c] * px[3] + 128;
            px[c] = (uint8_t)(((v >> 8) + v) >> 8);
        }
}

/* "RGBa" -> RGBA as Pillow converts back: colour * 255 / alpha truncated and
 * clamped; alpha 0 and 255 leave the colour as it is */
static void unpremultiply(uint8_t *px, size_t n)
{
    for (size_t i = 0; i < n; i++, px += 4) {
        uint32_t a = px[3];
        if (a == 0 || a == 255)
            continue;
        for (int c = 0; c < 3; c++) {
            uint32_t v = 255u * px[c] / a;
            px[c] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
}

/* ---- float planes ---- */

/* The passes of Pillow's ImagingResampleHorizontal_32bpc and
 * ImagingResampleVertical_32bpc for FLOAT32 images: each output is a
 * double sum, from 0.0, of float input times double weight in window
 * order, stored as float. */
static void resample_f32_h(const float *in, int32_t w_in, int32_t rows, float *out, int32_t w_out,
                           const gl_taps *t)
{
    for (int32_t y = 0; y < rows; y++) {
        const float *src = in + (size_t)y * w_in;
        for (int32_t x = 0; x < w_out; x++) {
            const double *k = t->w + (size_t)x * t->ksize;
            const float *p = src + t->first[x];
            double acc = 0.0;
            for (int32_t j = 0; j < t->count[x]; j++)
                acc += p[j] * k[j];
            out[(size_t)y * w_out + x] = (float)acc;
        }
    }
}

/* whole rows at a time, as resample_rows: the same sums in the same order */
static void resample_f32_v(const float *in, int32_t width, float *out, int32_t h_out,
                           const gl_taps *t, double *restrict acc)
{
    for (int32_t i = 0; i < h_out; i++) {
        const double *k = t->w + (size_t)i * t->ksize;
        const float *src = in + (size_t)t->first[i] * width;
        for (int32_t b = 0; b < width; b++)
            acc[b] = 0.0;
        for (int32_t j = 0; j < t->count[i]; j++) {
            const float *restrict row = src + (size_t)j * width;
            double kj = k[j];
            for (int32_t b = 0; b < width; b++)
                acc[b] += row[b] * kj;
        }
        float *restrict dst = out + (size_t)i * width;
        for (int32_t b = 0; b < width; b++)
            dst[b] = (float)acc[b];
    }
}

genlab_status genlab_image_resize_f32(genlab_ctx *ctx, const float *in, int32_t width,
                                      int32_t height, int32_t out_width, int32_t out_height,
                                      genlab_resize_filter filter, float *out)
{
    const char *op = "image_resize_f32";
    if ((unsigned)filter >= sizeof filters / sizeof filters[0])
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: unknown filter %d", op, (int)filter);
    genlab_status st = gl_image_check_size(ctx, op, width, height);
    if (st == GL_OK)
        st = gl_image_check_size(ctx, op, out_width, out_height);
    if (st != GL_OK)
        return st;
    const gl_filter *f = &filters[filter];
    bool need_h = out_width != width, need_v = out_height != height;
    gl_taps th = {0}, tv = {0};
    float *tmp = NULL;
    double *acc = NULL;
    st = GL_ERR_NOMEM;
    if ((need_h && !taps_build(width, out_width, f, false, &th)) ||
        (need_v && !taps_build(height, out_height, f, false, &tv)))
        goto done;
    /* only the rows the vertical pass reads go through the horizontal one */
    int32_t y0 = 0, rows = height;
    if (need_v) {
        y0 = tv.first[0];
        rows = tv.first[out_height - 1] + tv.count[out_height - 1] - y0;
        for (int32_t i = 0; i < out_height; i++)
            tv.first[i] -= y0;
    }
    const float *src = in + (size_t)y0 * width;
    if (need_h) {
        float *dst = out;
        if (need_v && !(dst = tmp = malloc((size_t)out_width * rows * sizeof *tmp)))
            goto done;
        resample_f32_h(src, width, rows, dst, out_width, &th);
        src = dst;
    }
    if (need_v) {
        if (!(acc = malloc((size_t)out_width * sizeof *acc)))
            goto done;
        resample_f32_v(src, out_width, out, out_height, &tv, acc);
    }
    if (!need_h && !need_v)
        memcpy(out, in, (size_t)width * height * sizeof *out);
    st = GL_OK;
done:
    free(tmp);
    free(acc);
    taps_free(&th);
    taps_free(&tv);
    if (st != GL_OK)
        genlab_errorf(ctx, st, "%s: out of memory resizing %d x %d to %d x %d", op, width,
                      height, out_width, out_height);
    return st;
}

/* ---- resize ---- */

/* resample — in to out's size (out allocated): the two passes of Pillow's
 * ImagingResampleInner, each skipped when its axis keeps its size. The
 * horizontal pass runs on the transposed rows, where it is a vertical pass:
 * a window of pixels within a row is a gather the compiler does not
 * vectorise, a window of whole rows is plain streaming (measured with
 * bench_transform, transposes included: 1.1x faster for CelebA to 64 x 64
 * with the box, 1.5x bilinear, 2x bicubic, 2x for 32 x 32 up to 64 x 64);
 * the sums, and so the bytes, are the same. */
static genlab_status resample(genlab_ctx *ctx, const genlab_image *in, genlab_image *out,
                              const gl_filter *f)
{
    const int32_t C = in->channels, W = out->width, H = out->height;
    bool need_h = W != in->width, need_v = H != in->height;
    gl_taps th = {0}, tv = {0};
    uint8_t *tin = NULL, *tout = NULL, *tmp = NULL;
    int32_t *acc = NULL;
    genlab_status st = GL_ERR_NOMEM;
    if ((need_h && !taps_build(in->width, W, f, true, &th)) ||
        (need_v && !taps_build(in->height, H, f, true, &tv)))
        goto done;
    /* only the rows the vertical pass reads go through the horizontal one */
    int32_t y0 = 0, rows = in->height;
    if (need_v) {
        y0 = tv.first[0];
        rows = tv.first[H - 1] + tv.count[H - 1] - y0;
        for (int32_t i = 0; i < H; i++)
            tv.first[i] -= y0;
    }
    size_t acc_n = need_h ? (size_t)rows * C : 0;
    if (need_v && (size_t)W * C > acc_n)
        acc_n = (size_t)W * C;
    if (!(acc = malloc(acc_n * sizeof *acc)))
        goto done;
    const uint8_t *src = in->data + (size_t)y0 * in->width * C;
    if (need_h) {
        uint8_t *dst = out->data;
        if (!(tin = malloc((size_t)in->width * rows * C)) ||
            !(tout = malloc((size_t)W * rows * C)) ||
            (need_v && !(dst = tmp = malloc((size_t)W * rows * C))))
            goto done;
        transpose(src, in->width, rows, C, tin);
        resample_rows(tin, (size_t)rows * C, tout, W, &th, acc);
        transpose(tout, rows, W, C, dst);
        src = dst;
    }
    if (need_v)
        resample_rows(src, (size_t)W * C, out->data, H, &tv, acc);
    st = GL_OK;
done:
    free(acc);
    free(tin);
    free(tout);
    free(tmp);
    taps_free(&th);
    taps_free(&tv);
    if (st != GL_OK)
        genlab_errorf(ctx, st, "image_resize: out of memory resizing %d x %d to %d x %d",
                      in->width, in->height, W, H);
    return st;
}

genlab_status genlab_image_resize(genlab_ctx *ctx, const genlab_image *in, int32_t width,
                                  int32_t height, genlab_resize_filter filter, genlab_image *out)
{
    *out = (genlab_image){0};
    if (!gl_image_valid(in))
        return genlab_errorf(ctx, GL_ERR_INVALID, "image_resize: an empty or malformed image");
    if ((unsigned)filter >= sizeof filters / sizeof filters[0])
        return genlab_errorf(ctx, GL_ERR_INVALID, "image_resize: unknown filter %d", (int)filter);
    if (genlab_image_alloc(ctx, out, width, height, in->channels) != GL_OK)
        return genlab_ctx_status(ctx);
    size_t n = (size_t)width * height;
    if (width == in->width && height == in->height) {
        /* Pillow returns a copy, without the RGBA round trip below */
        memcpy(out->data, in->data, n * in->channels);
        return GL_OK;
    }
    genlab_image pm = *in;
    if (in->channels == 4) {
        size_t bytes = (size_t)in->width * in->height * 4;
        if (!(pm.data = malloc(bytes))) {
            genlab_image_free(out);
            return genlab_errorf(ctx, GL_ERR_NOMEM, "image_resize: out of memory for %d x %d",
                                 in->width, in->height);
        }
        memcpy(pm.data, in->data, bytes);
        premultiply(pm.data, (size_t)in->width * in->height);
    }
    genlab_status st = resample(ctx, &pm, out, &filters[filter]);
    if (in->channels == 4) {
        free(pm.data);
        if (st == GL_OK)
            unpremultiply(out->data, n);
    }
    if (st != GL_OK)
        genlab_image_free(out);
    return st;
}
