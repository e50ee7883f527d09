/* SPDX-License-Identifier: MIT
 *
 * image_impl.h — what the image source files share: what a well-formed
 * image is, the size check every decoder makes before allocating (image.c)
 * and the two decoders the dispatcher calls (image_png.c, image_jpeg.c).
 * Not installed.
 *
 * Not here: the public API (genlab/image.h).
 */
#ifndef GENLAB_IMAGE_IMPL_H
#define GENLAB_IMAGE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genlab/image.h"

/* gl_image_channels_ok — 1, 3 or 4 channels */
static inline bool gl_image_channels_ok(int32_t channels)
{
    return channels == 1 || channels == 3 || channels == 4;
}

/* gl_image_valid — img is an image genlab_image_alloc could have made (not
 * NULL, not freed, a sane size and channel count) */
static inline bool gl_image_valid(const genlab_image *img)
{
    return img && img->data && img->width >= 1 && img->height >= 1 &&
           (int64_t)img->width * img->height <= GL_IMAGE_MAX_PIXELS &&
           gl_image_channels_ok(img->channels);
}

/* gl_image_check_size — GL_ERR_INVALID, with a message starting "name: ",
 * unless width x height is within [1, GL_IMAGE_MAX_PIXELS] (each side at
 * least 1). 64-bit sides so that a file's 32-bit unsigned sizes pass
 * through unchanged. */
genlab_status gl_image_check_size(genlab_ctx *ctx, const char *name, int64_t width,
                                  int64_t height);

/* gl_image_alloc_named — genlab_image_alloc whose messages start with
 * "name: " (a file name, or the op building the image). */
genlab_status gl_image_alloc_named(genlab_ctx *ctx, const char *name, genlab_image *img,
                                   int64_t width, int64_t height, int32_t channels);

/* gl_png_decode / gl_jpeg_decode — genlab_image_decode for one format;
 * size > 0, name not NULL, *out zeroed on entry and left zeroed on
 * failure. */
genlab_status gl_png_decode(genlab_ctx *ctx, const uint8_t *buf, size_t size, const char *name,
                            genlab_image *out);
genlab_status gl_jpeg_decode(genlab_ctx *ctx, const uint8_t *buf, size_t size, const char *name,
                             genlab_image *out);

#endif /* GENLAB_IMAGE_IMPL_H */
