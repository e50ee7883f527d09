/* SPDX-License-Identifier: MIT
 *
 * image.c — genlab_image's memory (allocation with the size limits every
 * decoder relies on, and freeing), recognising a file's format, and
 * reading a file into memory to hand it to the right decoder.
 *
 * Not here: the decoders themselves (image_png.c, image_jpeg.c), writing
 * (image_png.c) and grids (image_grid.c).
 *
 * Sections: memory, decoding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image_impl.h"

/* The largest file genlab_image_read loads: the stored (uncompressed)
 * PNG of the largest image it accepts, 16-bit RGBA (8 bytes a pixel). */
#define GL_IMAGE_FILE_MAX (GL_IMAGE_MAX_PIXELS * 8)

/* ---- memory ---- */

genlab_status gl_image_check_size(genlab_ctx *ctx, const char *name, int64_t width,
                                  int64_t height)
{
    /* each side is at most the pixel limit, so the product cannot overflow */
    if (width < 1 || height < 1 || width > GL_IMAGE_MAX_PIXELS ||
        height > GL_IMAGE_MAX_PIXELS || width * height > GL_IMAGE_MAX_PIXELS)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "%s: %lld x %lld pixels (at least 1 x 1, at most %lld pixels)", name,
                             (long long)width, (long long)height, (long long)GL_IMAGE_MAX_PIXELS);
    return GL_OK;
}

genlab_status gl_image_alloc_named(genlab_ctx *ctx, const char *name, genlab_image *img,
                                   int64_t width, int64_t height, int32_t channels)
{
    *img = (genlab_image){0};
    if (!gl_image_channels_ok(channels))
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: %d channels (1, 3 or 4)", name, channels);
    genlab_status st = gl_image_check_size(ctx, name, width, height);
    if (st != GL_OK)
        return st;
    img->data = malloc((size_t)width * height * channels);
    if (!img->data)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for %lld x %lld x %d", name,
                             (long long)width, (long long)height, channels);
    img->width = (int32_t)width;
    img->height = (int32_t)height;
    img->channels = channels;
    return GL_OK;
}

genlab_status genlab_image_alloc(genlab_ctx *ctx, genlab_image *img, int32_t width,
                                 int32_t height, int32_t channels)
{
    return gl_image_alloc_named(ctx, "image", img, width, height, channels);
}

void genlab_image_free(genlab_image *img)
{
    if (!img)
        return;
    free(img->data);
    *img = (genlab_image){0};
}

/* ---- decoding ---- */

genlab_image_format genlab_image_sniff(const void *buf, size_t size)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const uint8_t jpeg_soi[3] = {0xff, 0xd8, 0xff};
    if (buf && size >= sizeof png_sig && !memcmp(buf, png_sig, sizeof png_sig))
        return GL_IMAGE_PNG;
    if (buf && size >= sizeof jpeg_soi && !memcmp(buf, jpeg_soi, sizeof jpeg_soi))
        return GL_IMAGE_JPEG;
    return GL_IMAGE_UNKNOWN;
}

genlab_status genlab_image_decode(genlab_ctx *ctx, const void *buf, size_t size,
                                  const char *name, genlab_image *out)
{
    *out = (genlab_image){0};
    if (!name)
        name = "(memory)";
    if (!buf && size > 0)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: NULL buffer of %zu bytes", name, size);
    if (size == 0)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: empty file", name);
    switch (genlab_image_sniff(buf, size)) {
    case GL_IMAGE_PNG:
        return gl_png_decode(ctx, buf, size, name, out);
    case GL_IMAGE_JPEG:
        return gl_jpeg_decode(ctx, buf, size, name, out);
    case GL_IMAGE_UNKNOWN:
        break;
    }
    return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: not a PNG or JPEG file", name);
}

/* read_file — the whole file at path into a new buffer *buf (free it) of
 * *size bytes. A file that is not regular (a directory, a fifo) is refused
 * up front: reading it would fail late or never end. */
static genlab_status read_file(genlab_ctx *ctx, const char *path, uint8_t **buf, size_t *size)
{
    *buf = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    genlab_status st = GL_OK;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        st = genlab_errorf(ctx, GL_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        st = genlab_errorf(ctx, GL_ERR_IO, "%s: not a regular file", path);
    } else if (sb.st_size > GL_IMAGE_FILE_MAX) {
        st = genlab_errorf(ctx, GL_ERR_INVALID,
                           "%s: %lld bytes, larger than any image genlab reads (%lld)", path,
                           (long long)sb.st_size, (long long)GL_IMAGE_FILE_MAX);
    } else if (!(*buf = malloc(sb.st_size > 0 ? (size_t)sb.st_size : 1))) {
        st = genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for %lld bytes", path,
                           (long long)sb.st_size);
    } else {
        *size = fread(*buf, 1, (size_t)sb.st_size, f);
        if (ferror(f))
            st = genlab_errorf(ctx, GL_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
        /* a file that shrank meanwhile is simply shorter: the decoder
         * reports it truncated */
    }
    fclose(f);
    if (st != GL_OK) {
        free(*buf);
        *buf = NULL;
        *size = 0;
    }
    return st;
}

genlab_status genlab_image_read(genlab_ctx *ctx, const char *path, genlab_image *out)
{
    *out = (genlab_image){0};
    uint8_t *buf;
    size_t size;
    genlab_status st = read_file(ctx, path, &buf, &size);
    if (st == GL_OK)
        st = genlab_image_decode(ctx, buf, size, path, out);
    free(buf);
    return st;
}
