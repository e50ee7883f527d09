/* SPDX-License-Identifier: MIT
 *
 * image_png.c — PNG through libpng: decoding a file held in memory into an
 * 8-bit gray, RGB or RGBA genlab_image, and writing an 8-bit PNG
 * atomically (atomic_file.h).
 *
 * libpng reports errors by longjmp to a setjmp point. Each setjmp here sits
 * in a small function of its own whose locals never change after it, and
 * everything the decoder or writer changes lives in a struct owned by its
 * caller, so nothing depends on the value of a non-volatile local after a
 * longjmp; the caller frees that struct's memory on either path. libpng
 * never prints: its errors become the context's message, its warnings
 * (about ancillary chunks, which do not change the pixels) only add to an
 * error's message.
 *
 * Not here: JPEG (image_jpeg.c), format dispatch (image.c).
 *
 * Sections: messages, decoding, writing.
 */
#include <png.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "atomic_file.h"
#include "image_impl.h"

/* ---- messages ---- */

/* libpng's error message for the context's message, with the last
 * warning before it: libpng explains some errors only in a warning (the
 * error "Invalid IHDR data" follows "Image width exceeds user limit"). */
typedef struct png_msg {
    char text[400];
    char warning[200];
} png_msg;

static void PNGCBAPI on_error(png_structp png, png_const_charp msg)
{
    png_msg *m = png_get_error_ptr(png);
    if (m->warning[0])
        snprintf(m->text, sizeof m->text, "%s (%s)", msg, m->warning);
    else
        snprintf(m->text, sizeof m->text, "%s", msg);
    png_longjmp(png, 1);
}

static void PNGCBAPI on_warning(png_structp png, png_const_charp msg)
{
    png_msg *m = png_get_error_ptr(png);
    snprintf(m->warning, sizeof m->warning, "%s", msg);
}

/* ---- decoding ---- */

/* Deflate's densest coding is a 258-byte match in 2 bits, 1032:1. An image
 * whose pixels need more compressed bytes than the file holds is truncated
 * or lies about its size: refuse it before allocating (a 60-byte file must
 * not cost a gigabyte). The slack covers zlib's header and small images. */
#define GL_DEFLATE_MAX_RATIO 1032
#define GL_DEFLATE_SLACK     1024

typedef struct png_reader {
    png_msg        msg;
    const uint8_t *buf;
    size_t         size, pos;
    genlab_ctx    *ctx;
    const char    *name;
    genlab_image  *out;
} png_reader;

static void PNGCBAPI read_fn(png_structp png, png_bytep dst, size_t n)
{
    png_reader *r = png_get_io_ptr(png);
    if (n > r->size - r->pos)
        png_error(png, "unexpected end of file (truncated)");
    memcpy(dst, r->buf + r->pos, n);
    r->pos += n;
}

/* read_pixels — everything after the signature; libpng errors longjmp out
 * of it to read_guarded. */
static genlab_status read_pixels(png_structp png, png_infop info, png_reader *r)
{
    /* no side can exceed the pixel limit; the product is checked below */
    png_set_user_limits(png, (png_uint_32)GL_IMAGE_MAX_PIXELS, (png_uint_32)GL_IMAGE_MAX_PIXELS);
    /* Of the chunks, only IHDR, PLTE, tRNS, IDAT and IEND make the pixels
     * kept here: skip all others unread. Besides sparing the inflating of
     * text and ICC profiles, this keeps libpng from allocating a buffer of
     * an ancillary chunk's stated length, which it does even past its
     * length limit (a "benign" error on read): 2 GB for a 145-byte file
     * (found by fuzz_png). */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, type, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &type, &interlace, NULL, NULL);
    genlab_status st = gl_image_check_size(r->ctx, r->name, w, h);
    if (st != GL_OK)
        return st;
    uint64_t pixel_bytes = (uint64_t)w * h * depth * png_get_channels(png, info) / 8;
    if (pixel_bytes > (uint64_t)r->size * GL_DEFLATE_MAX_RATIO + GL_DEFLATE_SLACK)
        return genlab_errorf(r->ctx, GL_ERR_FORMAT,
                             "%s: invalid PNG: %u x %u pixels cannot fit in %zu bytes (truncated?)",
                             r->name, w, h, r->size);

    /* this also turns a palette's tRNS into alpha (RGBA out); a gray or
     * RGB image's tRNS color key is ignored: it stays 1 or 3 channels */
    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    if (depth == 16)
        png_set_scale_16(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    if (png_get_bit_depth(png, info) != 8 || png_get_rowbytes(png, info) != (size_t)w * channels)
        return genlab_errorf(r->ctx, GL_ERR_UNSUPPORTED,
                             "%s: PNG color type %d, depth %d: unexpected layout after conversion",
                             r->name, type, depth);
    st = gl_image_alloc_named(r->ctx, r->name, r->out, w, h, channels);
    if (st != GL_OK)
        return st;
    /* row by row, as png_read_image does, without its array of row
     * pointers; each pass of an interlaced image fills in its pixels */
    size_t stride = (size_t)w * channels;
    for (int p = 0; p < passes; p++)
        for (png_uint_32 y = 0; y < h; y++)
            png_read_row(png, r->out->data + y * stride, NULL);
    /* the chunks after the pixels, to the IEND: a cut file fails here */
    png_read_end(png, NULL);
    return GL_OK;
}

static genlab_status read_guarded(png_structp png, png_infop info, png_reader *r)
{
    if (setjmp(png_jmpbuf(png)))
        return genlab_errorf(r->ctx, GL_ERR_FORMAT, "%s: invalid PNG: %s", r->name, r->msg.text);
    return read_pixels(png, info, r);
}

genlab_status gl_png_decode(genlab_ctx *ctx, const uint8_t *buf, size_t size, const char *name,
                            genlab_image *out)
{
    *out = (genlab_image){0};
    png_reader r = {.buf = buf, .size = size, .ctx = ctx, .name = name, .out = out};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r.msg, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for the PNG decoder", name);
    }
    png_set_read_fn(png, &r, read_fn);
    genlab_status st = read_guarded(png, info, &r);
    png_destroy_read_struct(&png, &info, NULL);
    if (st != GL_OK)
        genlab_image_free(out);
    return st;
}

/* ---- writing ---- */

/* write_rows — the whole PNG to f; libpng errors (a failed fwrite shows as
 * "Write Error") longjmp out of it to write_guarded. */
static void write_rows(png_structp png, png_infop info, FILE *f, const genlab_image *img)
{
    static const int types[5] = {[1] = PNG_COLOR_TYPE_GRAY, [3] = PNG_COLOR_TYPE_RGB,
                                 [4] = PNG_COLOR_TYPE_RGB_ALPHA};
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 types[img->channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)img->width * img->channels;
    for (int32_t y = 0; y < img->height; y++)
        png_write_row(png, img->data + y * stride);
    png_write_end(png, NULL);
}

static bool write_guarded(png_structp png, png_infop info, FILE *f, const genlab_image *img)
{
    if (setjmp(png_jmpbuf(png)))
        return false;
    write_rows(png, info, f, img);
    return true;
}

genlab_status genlab_png_write(genlab_ctx *ctx, const char *path, const genlab_image *img)
{
    if (!gl_image_valid(img))
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "png_write: %s: not an image (%d x %d, %d channels, %s data)", path,
                             img ? img->width : 0, img ? img->height : 0, img ? img->channels : 0,
                             img && img->data ? "with" : "no");
    gl_atomic_file a;
    genlab_status st = gl_atomic_begin(ctx, &a, path);
    if (st != GL_OK)
        return st;
    png_msg msg = {"", ""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &msg, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        gl_atomic_abort(&a);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for the PNG encoder", path);
    }
    bool ok = write_guarded(png, info, a.f, img);
    png_destroy_write_struct(&png, &info);
    if (!ok) {
        gl_atomic_abort(&a);
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot write the PNG: %s", path, msg.text);
    }
    return gl_atomic_commit(ctx, &a);
}
