/* SPDX-License-Identifier: MIT
 *
 * image_grid.c — sample grids and strips: planar float images tiled into
 * one 8-bit interleaved image, laid out as torchvision's make_grid does and
 * mapped to bytes as its save_image does, and written as a PNG.
 *
 * One tiler serves both layouts. It places rows x cols cells and asks a
 * cell map which image goes in cell (row, col): image row * row_step +
 * col * col_step of the tensor, or padding when that index is past the
 * last image. A grid of N images in rows of ncol is (ncol, 1); strips of
 * a (T, N, ...) sequence, sample i in row i and frame t in column t, are
 * (1, N).
 *
 * Not here: PNG encoding (image_png.c).
 *
 * Sections: options and values, tiling, grids and strips.
 */
#include <math.h>
#include <string.h>

#include "image_impl.h"

/* ---- options and values ---- */

genlab_grid_options genlab_grid_defaults(void)
{
    return (genlab_grid_options){.ncol = 0, .padding = 2, .pad_value = 0, .lo = -1.0f,
                                 .hi = 1.0f};
}

/* The value mapping, computed in float32 in torchvision's order
 * (make_grid's norm_ip: clamp, subtract lo, divide by hi - lo; save_image:
 * times 255, plus 0.5, clamp, truncate) so that grids match torchvision's
 * byte for byte. */
uint8_t genlab_image_quantize(float v, float lo, float hi)
{
    if (isnan(v))
        return 0;
    v = v < lo ? lo : v > hi ? hi : v;
    float t = (v - lo) / (hi - lo);
    /* two statements: no fused multiply-add, as in torch's two ops */
    float s = t * 255.0f;
    s += 0.5f;
    return (uint8_t)(s < 255.0f ? s : 255.0f);
}

/* ---- tiling ---- */

/* Which image fills cell (row, col): index row * row_step + col * col_step
 * of the tensor's count images (C x H x W each), padding past the last. */
typedef struct cell_map {
    int64_t rows, cols;
    int64_t row_step, col_step, count;
} cell_map;

static genlab_status tile(genlab_ctx *ctx, const char *op, const float *x, int64_t c, int64_t h,
                          int64_t w, const cell_map *cells, const genlab_grid_options *opt,
                          genlab_image *out)
{
    int64_t pad = opt->padding;
    int64_t cell_w = w + pad, cell_h = h + pad;
    /* in double first: a huge padding times many cells overflows int64 */
    double grid_w = (double)cells->cols * cell_w + pad, grid_h = (double)cells->rows * cell_h + pad;
    if (grid_w * grid_h > (double)GL_IMAGE_MAX_PIXELS)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "%s: a %.0f x %.0f grid is over the image size limit (%lld pixels)",
                             op, grid_w, grid_h, (long long)GL_IMAGE_MAX_PIXELS);
    genlab_status st = gl_image_alloc_named(ctx, op, out, (int64_t)grid_w, (int64_t)grid_h,
                                            (int32_t)c);
    if (st != GL_OK)
        return st;
    int64_t width = out->width;
    memset(out->data, opt->pad_value, (size_t)out->width * out->height * c);
    for (int64_t row = 0; row < cells->rows; row++)
        for (int64_t col = 0; col < cells->cols; col++) {
            int64_t k = row * cells->row_step + col * cells->col_step;
            if (k >= cells->count)
                continue;
            const float *img = x + k * c * h * w;
            uint8_t *dst = out->data + ((pad + row * cell_h) * width + pad + col * cell_w) * c;
            for (int64_t y = 0; y < h; y++)
                for (int64_t i = 0; i < w; i++)
                    for (int64_t ch = 0; ch < c; ch++)
                        dst[(y * width + i) * c + ch] =
                            genlab_image_quantize(img[(ch * h + y) * w + i], opt->lo, opt->hi);
        }
    return GL_OK;
}

/* check — x is float32 with ndim dims, the last three (C 1 or 3, H, W)
 * positive, and opt is usable. */
static genlab_status check(genlab_ctx *ctx, const char *op, const genlab_tensor *x, int ndim,
                           const char *layout, const genlab_grid_options *opt)
{
    if (!x) {
        genlab_status st = genlab_ctx_status(ctx);
        return st != GL_OK ? st : genlab_errorf(ctx, GL_ERR_INVALID, "%s: x is NULL", op);
    }
    char shape[64];
    bool ok = genlab_tensor_ndim(x) == ndim;
    for (int d = 0; ok && d < ndim; d++)
        ok = genlab_tensor_dim(x, d) > 0;
    if (!ok || (genlab_tensor_dim(x, -3) != 1 && genlab_tensor_dim(x, -3) != 3))
        return genlab_errorf(ctx, GL_ERR_SHAPE, "%s: x must be %s with C 1 or 3, got %s", op,
                             layout, genlab_tensor_shape_str(x, shape, sizeof shape));
    if (genlab_tensor_dtype(x) != GL_F32)
        return genlab_errorf(ctx, GL_ERR_DTYPE, "%s: x must be float32", op);
    if (!(isfinite(opt->lo) && isfinite(opt->hi) && opt->lo < opt->hi))
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "%s: value range lo %g, hi %g must be finite with lo < hi", op,
                             opt->lo, opt->hi);
    if (opt->padding < 0 || opt->ncol < 0)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "%s: padding %d and ncol %d must not be negative", op, opt->padding,
                             opt->ncol);
    return GL_OK;
}

/* ---- grids and strips ---- */

genlab_status genlab_image_grid(genlab_ctx *ctx, const genlab_tensor *x,
                                const genlab_grid_options *opt, genlab_image *out)
{
    *out = (genlab_image){0};
    genlab_grid_options def = genlab_grid_defaults();
    opt = opt ? opt : &def;
    genlab_status st = check(ctx, "image_grid", x, 4, "(N, C, H, W)", opt);
    if (st != GL_OK)
        return st;
    int64_t n = genlab_tensor_dim(x, 0);
    int64_t ncol = opt->ncol;
    if (ncol == 0) /* ceil(sqrt(n)), exactly */
        while (ncol * ncol < n)
            ncol++;
    ncol = ncol < n ? ncol : n;
    cell_map cells = {.rows = (n + ncol - 1) / ncol, .cols = ncol, .row_step = ncol,
                      .col_step = 1, .count = n};
    return tile(ctx, "image_grid", genlab_tensor_f32(x), genlab_tensor_dim(x, 1),
                genlab_tensor_dim(x, 2), genlab_tensor_dim(x, 3), &cells, opt, out);
}

genlab_status genlab_image_strips(genlab_ctx *ctx, const genlab_tensor *frames,
                                  const genlab_grid_options *opt, genlab_image *out)
{
    *out = (genlab_image){0};
    genlab_grid_options def = genlab_grid_defaults();
    opt = opt ? opt : &def;
    genlab_status st = check(ctx, "image_strips", frames, 5, "(T, N, C, H, W)", opt);
    if (st != GL_OK)
        return st;
    int64_t t = genlab_tensor_dim(frames, 0), n = genlab_tensor_dim(frames, 1);
    cell_map cells = {.rows = n, .cols = t, .row_step = 1, .col_step = n, .count = t * n};
    return tile(ctx, "image_strips", genlab_tensor_f32(frames), genlab_tensor_dim(frames, 2),
                genlab_tensor_dim(frames, 3), genlab_tensor_dim(frames, 4), &cells, opt, out);
}

genlab_status genlab_save_grid(genlab_ctx *ctx, const char *path, const genlab_tensor *x,
                               const genlab_grid_options *opt)
{
    genlab_image img;
    genlab_status st = x && genlab_tensor_ndim(x) == 5 ? genlab_image_strips(ctx, x, opt, &img)
                                                       : genlab_image_grid(ctx, x, opt, &img);
    if (st == GL_OK)
        st = genlab_png_write(ctx, path, &img);
    genlab_image_free(&img);
    return st;
}
