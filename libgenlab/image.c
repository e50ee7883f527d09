/* SPDX-License-Identifier: MIT
 *
 * image.c — genlab_image's memory: allocation with the size limits every
 * decoder relies on, and freeing.
 */
#include <stdlib.h>

#include "genlab/image.h"

genlab_status genlab_image_alloc(genlab_ctx *ctx, genlab_image *img, int32_t width,
                                 int32_t height, int32_t channels)
{
    *img = (genlab_image){0};
    if (channels != 1 && channels != 3 && channels != 4)
        return genlab_errorf(ctx, GL_ERR_INVALID, "image: %d channels (1, 3 or 4)", channels);
    if (width < 1 || height < 1 || (int64_t)width * height > GL_IMAGE_MAX_PIXELS)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "image: %d x %d pixels (at least 1 x 1, at most %lld pixels)", width,
                             height, (long long)GL_IMAGE_MAX_PIXELS);
    img->data = malloc((size_t)width * height * channels);
    if (!img->data)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "image: out of memory for %d x %d x %d", width,
                             height, channels);
    img->width = width;
    img->height = height;
    img->channels = channels;
    return GL_OK;
}

void genlab_image_free(genlab_image *img)
{
    if (!img)
        return;
    free(img->data);
    *img = (genlab_image){0};
}
