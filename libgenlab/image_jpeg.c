/* SPDX-License-Identifier: MIT
 *
 * image_jpeg.c — JPEG decoding through libjpeg(-turbo), from a file held
 * in memory into an 8-bit gray or RGB genlab_image.
 *
 * libjpeg reports a fatal error through error_exit, and corrupt data it
 * can decode around (a truncated scan filled with gray, a bad Huffman code)
 * through a warning, emit_message(-1). Both longjmp here: a warning counts
 * as a failure, because a training set must not silently hold damaged
 * images. As in image_png.c, the setjmp sits in a small function whose
 * locals never change after it, and the decoder's state lives in a struct
 * its caller owns and cleans up on either path. libjpeg never prints: its
 * trace messages are dropped, its warnings and errors become the context's
 * message.
 *
 * Not here: PNG (image_png.c), format dispatch (image.c). JPEG writing:
 * genlab writes PNG only.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>

#include <jpeglib.h>

#include "image_impl.h"

typedef struct jpeg_reader {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr         err;
    jmp_buf                       jump;
    char                          msg[JMSG_LENGTH_MAX];
    const uint8_t                *buf;
    size_t                        size;
    genlab_ctx                   *ctx;
    const char                   *name;
    genlab_image                 *out;
} jpeg_reader;

static void on_error(j_common_ptr cinfo)
{
    jpeg_reader *r = cinfo->client_data;
    cinfo->err->format_message(cinfo, r->msg);
    longjmp(r->jump, 1);
}

/* level -1 is a warning about corrupt data; higher levels are traces */
static void on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return;
    cinfo->err->num_warnings++;
    on_error(cinfo);
}

/* too_short — whether the file has fewer bits than the image has 8 x 8
 * blocks. Huffman coding spends at least one bit on every block's DC
 * coefficient, so such a file is truncated or lies about its size: refuse
 * it before libjpeg allocates (a progressive image buffers all its
 * coefficients, 1.5 GB at the pixel limit). Arithmetic coding has no such
 * floor and is not checked. */
static bool too_short(const struct jpeg_decompress_struct *c, size_t size)
{
    if (c->arith_code)
        return false;
    uint64_t blocks = 0;
    for (int i = 0; i < c->num_components; i++)
        blocks += (uint64_t)c->comp_info[i].width_in_blocks * c->comp_info[i].height_in_blocks;
    return blocks > (uint64_t)size * 8;
}

/* read_pixels — header, color space, size, then the scanlines; libjpeg's
 * errors and warnings longjmp out of it to read_guarded. */
static genlab_status read_pixels(jpeg_reader *r)
{
    struct jpeg_decompress_struct *c = &r->cinfo;
    jpeg_create_decompress(c);
    jpeg_mem_src(c, r->buf, (unsigned long)r->size);
    jpeg_read_header(c, TRUE);
    switch (c->jpeg_color_space) {
    case JCS_GRAYSCALE:
        c->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        c->out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        return genlab_errorf(r->ctx, GL_ERR_UNSUPPORTED, "%s: CMYK JPEG is not supported",
                             r->name);
    default:
        return genlab_errorf(r->ctx, GL_ERR_UNSUPPORTED,
                             "%s: JPEG with %d components in an unknown color space is not "
                             "supported", r->name, c->num_components);
    }
    genlab_status st = gl_image_check_size(r->ctx, r->name, c->image_width, c->image_height);
    if (st != GL_OK)
        return st;
    if (too_short(c, r->size))
        return genlab_errorf(r->ctx, GL_ERR_FORMAT,
                             "%s: invalid JPEG: %u x %u pixels cannot fit in %zu bytes (truncated?)",
                             r->name, c->image_width, c->image_height, r->size);
    jpeg_start_decompress(c);
    st = gl_image_alloc_named(r->ctx, r->name, r->out, c->output_width, c->output_height,
                              c->output_components);
    if (st != GL_OK)
        return st;
    size_t stride = (size_t)c->output_width * c->output_components;
    while (c->output_scanline < c->output_height) {
        JSAMPROW row = r->out->data + c->output_scanline * stride;
        /* a memory source never suspends: no progress means a bug, not
         * "come back later" */
        if (jpeg_read_scanlines(c, &row, 1) != 1)
            return genlab_errorf(r->ctx, GL_ERR_FORMAT, "%s: invalid JPEG: decoder stalled at "
                                 "row %u", r->name, c->output_scanline);
    }
    /* reads on to the EOI marker: a cut file fails here */
    jpeg_finish_decompress(c);
    return GL_OK;
}

static genlab_status read_guarded(jpeg_reader *r)
{
    r->cinfo.err = jpeg_std_error(&r->err);
    r->err.error_exit = on_error;
    r->err.emit_message = on_message;
    r->cinfo.client_data = r;
    if (setjmp(r->jump))
        return genlab_errorf(r->ctx, GL_ERR_FORMAT, "%s: invalid JPEG: %s", r->name, r->msg);
    return read_pixels(r);
}

genlab_status gl_jpeg_decode(genlab_ctx *ctx, const uint8_t *buf, size_t size, const char *name,
                             genlab_image *out)
{
    *out = (genlab_image){0};
    /* zeroed: jpeg_destroy_decompress is then safe even if creation failed */
    jpeg_reader r = {.buf = buf, .size = size, .ctx = ctx, .name = name, .out = out};
    genlab_status st = read_guarded(&r);
    jpeg_destroy_decompress(&r.cinfo);
    if (st != GL_OK)
        genlab_image_free(out);
    return st;
}
