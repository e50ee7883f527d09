/* SPDX-License-Identifier: MIT
 *
 * inception_resize.c — how the FID Inception extractor turns images in
 * [-1, 1] of any size into its 299x299 RGB input, exactly as the tool
 * whose numbers a score is compared with does:
 *
 *   pytorch-fid  (pytorch-fid's InceptionV3 with resize_input and
 *                normalize_input) images in [0, 1], F.interpolate to
 *                299x299, mode bilinear, align_corners False — no
 *                antialiasing, also when shrinking — then 2x - 1.
 *                genlab_upsample_bilinear is that interpolation. It is
 *                applied to the [-1, 1] images directly: bilinear
 *                resampling is affine-equivariant (its weights sum to 1),
 *                so resizing 2x - 1 equals 2 resize(x) - 1 up to float
 *                rounding (the golden test bounds the difference).
 *   clean-fid    (clean-fid's mode "clean") the 8-bit image, each channel
 *                resized as a float ("F") image by Pillow, bicubic, to
 *                299x299, clipped to [0, 255], then (x - 128) / 128
 *                (clean-fid's InceptionV3W; pytorch-fid's 2x - 1 is
 *                x / 127.5 - 1: the two tools differ there, and each rule
 *                follows its tool). The 8-bit image is the one genlab
 *                saves for these values (genlab_image_quantize, as
 *                torchvision's save_image), so generated samples are
 *                measured as clean-fid measures the PNGs of them.
 *                genlab_image_resize_f32 is Pillow's float resize.
 *
 * Both read gray images as pytorch-fid and clean-fid read them
 * (PIL's convert("RGB")): the gray plane in all three channels. Each
 * channel is resized on its own, so the gray plane is resized once and
 * repeated.
 *
 * Not here: the network (inception_net.c), checking the images' shape
 * (the caller does).
 *
 * Sections: rules, pytorch-fid, clean-fid, dispatch.
 */
#include <stdlib.h>
#include <string.h>

#include "inception_impl.h"

/* ---- rules ---- */

static const struct {
    const char *name, *label;
} rules[] = {
    [MX_RESIZE_PYTORCH_FID] = {"pytorch-fid", "pytorch-fid-bilinear-299"},
    [MX_RESIZE_CLEAN_FID] = {"clean-fid", "clean-fid-bicubic-299"},
};

genlab_status mx_inception_resize_rule(genlab_ctx *ctx, const char *name, mx_resize_rule *rule,
                                       const char **label)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (name && strcmp(name, rules[i].name) == 0) {
            *rule = (mx_resize_rule)i;
            *label = rules[i].label;
            return GL_OK;
        }
    return genlab_errorf(ctx, GL_ERR_INVALID, "inception: unknown resize \"%s\" (choices: "
                         "pytorch-fid, clean-fid)", name ? name : "(null)");
}

/* ---- pytorch-fid ---- */

static genlab_tensor *pytorch_fid(genlab_ctx *ctx, genlab_tensor *images)
{
    genlab_tensor *y = genlab_upsample_bilinear(ctx, images, MX_INCEPTION_SIDE,
                                                MX_INCEPTION_SIDE, false);
    if (!y || genlab_tensor_dim(y, 1) == 3)
        return y;
    int64_t rgb[4] = {genlab_tensor_dim(y, 0), 3, MX_INCEPTION_SIDE, MX_INCEPTION_SIDE};
    return genlab_expand(ctx, y, 4, rgb);
}

/* ---- clean-fid ---- */

static genlab_tensor *clean_fid(genlab_ctx *ctx, genlab_tensor *images)
{
    const int64_t n = genlab_tensor_dim(images, 0), c = genlab_tensor_dim(images, 1);
    const int64_t h = genlab_tensor_dim(images, 2), w = genlab_tensor_dim(images, 3);
    const int64_t side = MX_INCEPTION_SIDE, plane = side * side;
    if (h > INT32_MAX || w > INT32_MAX) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "inception: clean-fid resize: an image of %lld x %lld "
                      "pixels is too large", (long long)h, (long long)w);
        return NULL;
    }
    genlab_tensor *y = genlab_tensor_new(ctx, GL_F32, 4, (const int64_t[]){n, 3, side, side});
    if (!y)
        return NULL;
    /* the 8-bit values of one input channel, as floats (Pillow's "F" image) */
    float *bytes = malloc((size_t)(h * w) * sizeof *bytes);
    if (!bytes) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "inception: clean-fid resize: out of memory for a "
                      "%lld x %lld image", (long long)h, (long long)w);
        return NULL;
    }
    const float *src = genlab_tensor_f32(images);
    float *dst = genlab_tensor_f32_mut(y);
    for (int64_t i = 0; i < n; i++)
        for (int64_t ch = 0; ch < c; ch++) {
            const float *in = src + (i * c + ch) * h * w;
            for (int64_t p = 0; p < h * w; p++)
                bytes[p] = (float)genlab_image_quantize(in[p], -1.0f, 1.0f);
            float *out = dst + (i * 3 + ch) * plane;
            if (genlab_image_resize_f32(ctx, bytes, (int32_t)w, (int32_t)h, (int32_t)side,
                                        (int32_t)side, GL_RESIZE_BICUBIC, out) != GL_OK) {
                free(bytes);
                return NULL;
            }
            for (int64_t p = 0; p < plane; p++) {
                float v = out[p] < 0.0f ? 0.0f : out[p] > 255.0f ? 255.0f : out[p];
                /* two steps, as clean-fid's x - 128 then / 128 */
                v -= 128.0f;
                out[p] = v / 128.0f;
            }
            if (c == 1) {
                memcpy(out + plane, out, (size_t)plane * sizeof *out);
                memcpy(out + 2 * plane, out, (size_t)plane * sizeof *out);
            }
        }
    free(bytes);
    return y;
}

/* ---- dispatch ---- */

genlab_tensor *mx_inception_preprocess(genlab_ctx *ctx, genlab_tensor *images,
                                       mx_resize_rule rule)
{
    if (!images)
        return NULL;
    return rule == MX_RESIZE_CLEAN_FID ? clean_fid(ctx, images) : pytorch_fid(ctx, images);
}
