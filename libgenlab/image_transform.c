/* SPDX-License-Identifier: MIT
 *
 * image_transform.c — the cheap image transforms of image.h: center crop
 * (torchvision's rounding), horizontal flip, channel conversion (Pillow's
 * formulas) and the conversion of 8-bit pixels to planar floats.
 *
 * Not here: resizing (image_resize.c), the dataset pipeline that chains
 * these (imageset.c).
 *
 * Sections: crop and flip, channels, floats.
 */
#include <stdlib.h>
#include <string.h>

#include "image_impl.h"

/* ---- crop and flip ---- */

/* half of d rounded half to even, as Python's round(d / 2) in torchvision's
 * CenterCrop: round(0.5) = 0, round(1.5) = 2, round(2.5) = 2 */
static int32_t half_round_even(int32_t d)
{
    int32_t h = d / 2;
    return d % 2 && h % 2 ? h + 1 : h;
}

genlab_status genlab_image_center_crop(genlab_ctx *ctx, const genlab_image *in, int32_t width,
                                       int32_t height, genlab_image *out)
{
    *out = (genlab_image){0};
    if (!gl_image_valid(in))
        return genlab_errorf(ctx, GL_ERR_INVALID, "image_center_crop: an empty or malformed image");
    if (width < 1 || height < 1 || width > in->width || height > in->height)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "image_center_crop: a %d x %d window does not fit a %d x %d image",
                             width, height, in->width, in->height);
    if (genlab_image_alloc(ctx, out, width, height, in->channels) != GL_OK)
        return genlab_ctx_status(ctx);
    int32_t left = half_round_even(in->width - width), top = half_round_even(in->height - height);
    size_t C = (size_t)in->channels, row = (size_t)width * C;
    for (int32_t y = 0; y < height; y++)
        memcpy(out->data + y * row, in->data + ((size_t)(top + y) * in->width + left) * C, row);
    return GL_OK;
}

void genlab_image_flip_h(genlab_image *img)
{
    if (!gl_image_valid(img))
        return;
    size_t C = (size_t)img->channels, W = (size_t)img->width;
    for (int32_t y = 0; y < img->height; y++) {
        uint8_t *row = img->data + (size_t)y * W * C;
        for (size_t l = 0, r = W - 1; l < r; l++, r--)
            for (size_t c = 0; c < C; c++) {
                uint8_t t = row[l * C + c];
                row[l * C + c] = row[r * C + c];
                row[r * C + c] = t;
            }
    }
}

/* ---- channels ---- */

genlab_status genlab_image_convert(genlab_ctx *ctx, const genlab_image *in, int32_t channels,
                                   genlab_image *out)
{
    *out = (genlab_image){0};
    if (!gl_image_valid(in))
        return genlab_errorf(ctx, GL_ERR_INVALID, "image_convert: an empty or malformed image");
    /* alpha cannot be made up: gray or RGB -> RGBA is refused */
    if (!gl_image_channels_ok(channels) ||
        (channels == 4 && in->channels != 4))
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "image_convert: cannot convert %d channels to %d (1, 3 or 4; "
                             "RGBA only from RGBA)",
                             in->channels, channels);
    if (genlab_image_alloc(ctx, out, in->width, in->height, channels) != GL_OK)
        return genlab_ctx_status(ctx);
    size_t n = (size_t)in->width * in->height, C = (size_t)in->channels;
    const uint8_t *s = in->data;
    uint8_t *d = out->data;
    if (channels == in->channels) {
        memcpy(d, s, n * C);
    } else if (channels == 1) {
        /* ITU-R 601-2 luma in 16-bit fixed point (Pillow's L24): 19595,
         * 38470 and 7471 are 0.299, 0.587 and 0.114 times 2^16, summing to
         * exactly 2^16, so white stays 255; 0x8000 rounds */
        for (size_t i = 0; i < n; i++, s += C)
            d[i] = (uint8_t)((s[0] * 19595u + s[1] * 38470u + s[2] * 7471u + 0x8000u) >> 16);
    } else if (in->channels == 1) {
        for (size_t i = 0; i < n; i++, d += 3)
            d[0] = d[1] = d[2] = s[i];
    } else {
        /* RGBA -> RGB: alpha dropped */
        for (size_t i = 0; i < n; i++, s += 4, d += 3)
            memcpy(d, s, 3);
    }
    return GL_OK;
}

/* ---- floats ---- */

void genlab_image_to_chw(const genlab_image *img, genlab_value_range range, float *dst)
{
    /* one table per call: each of the 256 values is computed once with the
     * header's formula, then every pixel is a lookup */
    float lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = range == GL_RANGE_UNIT ? (float)v / 255.0f : (float)v / 127.5f - 1.0f;
    size_t C = (size_t)img->channels, hw = (size_t)img->width * img->height;
    for (size_t c = 0; c < C; c++) {
        const uint8_t *s = img->data + c;
        float *d = dst + c * hw;
        for (size_t i = 0; i < hw; i++)
            d[i] = lut[s[i * C]];
    }
}
