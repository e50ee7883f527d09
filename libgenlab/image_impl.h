/* SPDX-License-Identifier: MIT
 *
 * image_impl.h — what the image source files share: the size check every
 * decoder makes before allocating (image.c) and the two decoders the
 * dispatcher calls (image_png.c, image_jpeg.c). Not installed.
 *
 * Not here: the public API (genlab/image.h).
 */
#ifndef GENLAB_IMAGE_IMPL_H
#define GENLAB_IMAGE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "genlab/image.h"

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
