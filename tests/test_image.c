/* SPDX-License-Identifier: MIT
 *
 * test_image.c — decoding, writing and grids of genlab/image.h.
 *
 * Every input file is made here, in memory, with libpng and libjpeg: PNGs
 * of every color type and bit depth (interlaced or not) whose decoded
 * bytes are predicted from the samples written; JPEGs compared exactly
 * with a plain libjpeg decode and, at quality 100, with their source
 * pixels; then damaged copies (cut, bad CRC, corrupt data, lying headers)
 * that must fail with a status and a message naming the file. Writing:
 * round trips through genlab_png_write and genlab_image_read, and failures
 * that must leave no temporary file. Grids: hand-checked layouts, the
 * value mapping, and tests/golden/grid.bin, torchvision's make_grid and
 * save_image reproduced by tests/golden/gen_grid.py.
 *
 * Sections: helpers, PNG decoding, JPEG decoding, bad files, writing,
 * grids, golden grids.
 */
#include <dirent.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <jpeglib.h>

#include "golden.h"
#include "testutil.h"

/* ---- helpers ---- */

/* A growable byte buffer: encoded files. */
typedef struct membuf {
    uint8_t *data;
    size_t   size, cap;
} membuf;

static void mb_put(membuf *b, const void *p, size_t n)
{
    if (b->size + n > b->cap) {
        b->cap = (b->size + n) * 2;
        ck_assert_ptr_nonnull(b->data = realloc(b->data, b->cap));
    }
    memcpy(b->data + b->size, p, n);
    b->size += n;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* img must be w x h x c and hold want byte for byte */
static void expect_image(const genlab_image *img, int w, int h, int c, const uint8_t *want,
                         const char *what)
{
    ck_assert_msg(img->width == w && img->height == h && img->channels == c,
                  "%s: %d x %d x %d, want %d x %d x %d", what, img->width, img->height,
                  img->channels, w, h, c);
    for (size_t i = 0; i < (size_t)w * h * c; i++)
        ck_assert_msg(img->data[i] == want[i],
                      "%s: byte %zu (x %zu, y %zu, channel %zu) is %d, want %d", what, i,
                      i / c % w, i / c / w, i % c, img->data[i], want[i]);
}

/* the context's error must be status, with a message holding both the
 * file's name and want */
static void expect_error(genlab_ctx *ctx, genlab_status got, genlab_status status,
                         const char *name, const char *want)
{
    const char *msg = genlab_ctx_errmsg(ctx);
    ck_assert_msg(got == status && genlab_ctx_status(ctx) == status,
                  "status %s, want %s (message '%s')", genlab_status_str(got),
                  genlab_status_str(status), msg);
    ck_assert_msg(strstr(msg, name) != NULL, "message '%s' does not name '%s'", msg, name);
    ck_assert_msg(strstr(msg, want) != NULL, "message '%s' lacks '%s'", msg, want);
}

/* ---- PNG decoding ---- */

static void test_png_error(png_structp png, png_const_charp msg)
{
    (void)png;
    ck_abort_msg("the test's PNG encoder failed: %s", msg);
}

static void PNGCBAPI mb_write(png_structp png, png_bytep p, size_t n)
{
    mb_put(png_get_io_ptr(png), p, n);
}

/* One PNG to encode: its header, and its tRNS chunk: for a palette, how
 * many entries have an alpha; for gray or RGB (n_trans 1), a color key. */
typedef struct png_case {
    const char *name;
    int         type, depth, interlace;
    int         n_trans;
} png_case;

static int file_channels(int type)
{
    switch (type) {
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1;
    }
}

/* 13 x 11: odd widths leave partial bytes at depths below 8, and both
 * sides pass 8 so that each of the 7 Adam7 passes has pixels */
enum { PW = 13, PH = 11 };

static png_color palette_color(int i)
{
    return (png_color){(png_byte)(i * 7 + 3), (png_byte)(255 - i * 5), (png_byte)(i * 13 + 100)};
}
static png_byte palette_alpha(int i) { return (png_byte)(i * 37 + 11); }
static int palette_size(int depth) { return depth < 8 ? 1 << depth : 200; }

/* the samples of c, file channels per pixel; 16-bit images start with the
 * values either side of the rounding boundaries 257 k + 128.5 */
static void png_samples(const png_case *c, uint16_t *s, size_t n)
{
    static const uint16_t edges[] = {0, 65535, 128, 129, 385, 386, 65406, 65407, 32767, 32768};
    uint32_t seed = (uint32_t)(c->type * 31 + c->depth);
    uint32_t limit = c->type == PNG_COLOR_TYPE_PALETTE ? (uint32_t)palette_size(c->depth)
                                                       : 1u << c->depth;
    for (size_t i = 0; i < n; i++)
        s[i] = c->depth == 16 && i < sizeof edges / sizeof edges[0] ? edges[i]
                                                                     : (uint16_t)(lcg(&seed) % limit);
}

/* c's image with samples s as a PNG in out; rows packed by hand (MSB
 * first below 8 bits, big-endian at 16) as the format stores them */
static void png_encode(const png_case *c, const uint16_t *s, membuf *out)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, test_png_error, NULL);
    png_infop info = png_create_info_struct(png);
    png_set_write_fn(png, out, mb_write, NULL);
    png_set_IHDR(png, info, PW, PH, c->depth, c->type, c->interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (c->type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        png_byte alpha[256];
        for (int i = 0; i < 256; i++)
            pal[i] = palette_color(i), alpha[i] = palette_alpha(i);
        png_set_PLTE(png, info, pal, palette_size(c->depth));
        if (c->n_trans)
            png_set_tRNS(png, info, alpha, c->n_trans, NULL);
    } else if (c->n_trans) {
        png_color_16 key = {.red = 1, .green = 2, .blue = 3, .gray = 1};
        png_set_tRNS(png, info, NULL, 0, &key);
    }
    int fc = file_channels(c->type);
    size_t rowbytes = ((size_t)PW * fc * c->depth + 7) / 8;
    uint8_t *rows = calloc(PH, rowbytes);
    png_bytep ptrs[PH];
    for (int y = 0; y < PH; y++) {
        ptrs[y] = rows + y * rowbytes;
        for (int i = 0; i < PW * fc; i++) {
            uint16_t v = s[y * PW * fc + i];
            if (c->depth == 16) {
                ptrs[y][2 * i] = (uint8_t)(v >> 8);
                ptrs[y][2 * i + 1] = (uint8_t)v;
            } else {
                int bit = i * c->depth;
                ptrs[y][bit / 8] |= (uint8_t)(v << (8 - c->depth - bit % 8));
            }
        }
    }
    png_write_info(png, info);
    png_write_image(png, ptrs);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
}

/* a file sample as 8 bits: sub-byte gray stretched to 0..255 (libpng's
 * expansion), 16 bits rounded to nearest (png_set_scale_16; no ties:
 * 257 is odd) */
static uint8_t to8(uint16_t v, int depth)
{
    if (depth == 16)
        return (uint8_t)((2u * v + 257) / 514);
    return (uint8_t)(v * 255 / ((1 << depth) - 1));
}

/* what genlab_image_decode must give for c with samples s; returns the
 * channel count */
static int png_expected(const png_case *c, const uint16_t *s, uint8_t *want)
{
    int fc = file_channels(c->type);
    int oc = c->type == PNG_COLOR_TYPE_GRAY ? 1
             : c->type == PNG_COLOR_TYPE_RGB ? 3
             : c->type == PNG_COLOR_TYPE_PALETTE ? (c->n_trans ? 4 : 3)
                                                 : 4;
    for (int p = 0; p < PW * PH; p++) {
        const uint16_t *in = s + p * fc;
        uint8_t *o = want + p * oc;
        if (c->type == PNG_COLOR_TYPE_PALETTE) {
            png_color col = palette_color(in[0]);
            o[0] = col.red, o[1] = col.green, o[2] = col.blue;
            if (oc == 4)
                o[3] = in[0] < c->n_trans ? palette_alpha(in[0]) : 255;
        } else if (c->type == PNG_COLOR_TYPE_GRAY_ALPHA) {
            o[0] = o[1] = o[2] = to8(in[0], c->depth);
            o[3] = to8(in[1], c->depth);
        } else {
            for (int k = 0; k < oc; k++)
                o[k] = to8(in[k], c->depth);
        }
    }
    return oc;
}

#define G  PNG_COLOR_TYPE_GRAY
#define GA PNG_COLOR_TYPE_GRAY_ALPHA
#define RGB PNG_COLOR_TYPE_RGB
#define RGBA PNG_COLOR_TYPE_RGB_ALPHA
#define PAL PNG_COLOR_TYPE_PALETTE
#define ADAM7 PNG_INTERLACE_ADAM7

static const png_case png_cases[] = {
    /* name              type  depth interlace n_trans */
    {"gray1.png",        G,    1,    0,        0},
    {"gray2.png",        G,    2,    0,        0},
    {"gray4.png",        G,    4,    0,        0},
    {"gray8.png",        G,    8,    0,        0},
    {"gray16.png",       G,    16,   0,        0},  /* rounding to 8 bits */
    {"gray4_key.png",    G,    4,    0,        1},  /* a gray color key: still gray */
    {"graya8.png",       GA,   8,    0,        0},  /* -> RGBA */
    {"graya16.png",      GA,   16,   0,        0},
    {"rgb8.png",         RGB,  8,    0,        0},
    {"rgb16.png",        RGB,  16,   0,        0},
    {"rgb8_key.png",     RGB,  8,    0,        1},  /* an RGB color key: still RGB */
    {"rgba8.png",        RGBA, 8,    0,        0},
    {"rgba16.png",       RGBA, 16,   0,        0},
    {"pal1.png",         PAL,  1,    0,        0},  /* -> RGB */
    {"pal2.png",         PAL,  2,    0,        0},
    {"pal4.png",         PAL,  4,    0,        0},
    {"pal8.png",         PAL,  8,    0,        0},
    {"pal1_trns.png",    PAL,  1,    0,        1},  /* -> RGBA, entry 1 opaque */
    {"pal2_trns.png",    PAL,  2,    0,        3},
    {"pal4_trns.png",    PAL,  4,    0,        16}, /* every entry has an alpha */
    {"pal8_trns.png",    PAL,  8,    0,        100},
    {"gray1_i.png",      G,    1,    ADAM7,    0},  /* interlaced from here */
    {"gray16_i.png",     G,    16,   ADAM7,    0},
    {"graya8_i.png",     GA,   8,    ADAM7,    0},
    {"rgb8_i.png",       RGB,  8,    ADAM7,    0},
    {"rgba16_i.png",     RGBA, 16,   ADAM7,    0},
    {"pal4_trns_i.png",  PAL,  4,    ADAM7,    5},
};

START_TEST(test_png_decode)
{
    const png_case *c = &png_cases[_i];
    uint16_t s[PW * PH * 4];
    uint8_t want[PW * PH * 4];
    png_samples(c, s, (size_t)PW * PH * file_channels(c->type));
    int oc = png_expected(c, s, want);
    membuf file = {0};
    png_encode(c, s, &file);
    ck_assert_int_eq(genlab_image_sniff(file.data, file.size), GL_IMAGE_PNG);
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image img;
    genlab_status st = genlab_image_decode(ctx, file.data, file.size, c->name, &img);
    ck_assert_msg(st == GL_OK, "%s: %s", c->name, genlab_ctx_errmsg(ctx));
    expect_image(&img, PW, PH, oc, want, c->name);
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
    free(file.data);
}
END_TEST

/* ---- JPEG decoding ---- */

static void test_jpeg_error(j_common_ptr cinfo)
{
    char msg[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, msg);
    ck_abort_msg("the test's libjpeg call failed: %s", msg);
}

/* One JPEG to encode from a smooth test pattern. */
typedef struct jpeg_case {
    const char   *name;
    int           components;
    J_COLOR_SPACE space;       /* of the input and, but for YCCK, the file */
    int           quality;
    bool          progressive, full_chroma;
    int           restart;     /* restart interval in MCU rows; 0: none */
    int           tol;         /* max |decoded - source|; -1: not compared */
} jpeg_case;

/* 19 x 13: neither side a multiple of the 16-pixel 4:2:0 MCU */
enum { JW = 19, JH = 13 };

/* channels with different slopes, so that chroma varies too */
static uint8_t jpeg_source(int x, int y, int c)
{
    return (uint8_t)(20 + (4 + c) * x + (4 - c) * y + 25 * c);
}

static void jpeg_encode(const jpeg_case *c, membuf *out)
{
    struct jpeg_compress_struct j;
    struct jpeg_error_mgr err;
    j.err = jpeg_std_error(&err);
    err.error_exit = test_jpeg_error;
    jpeg_create_compress(&j);
    unsigned char *buf = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&j, &buf, &size);
    j.image_width = JW;
    j.image_height = JH;
    j.input_components = c->components;
    j.in_color_space = c->space == JCS_YCCK ? JCS_CMYK : c->space;
    jpeg_set_defaults(&j);
    if (c->space == JCS_YCCK)
        jpeg_set_colorspace(&j, JCS_YCCK);
    jpeg_set_quality(&j, c->quality, TRUE);
    if (c->progressive)
        jpeg_simple_progression(&j);
    for (int k = 0; c->full_chroma && k < j.num_components; k++)
        j.comp_info[k].h_samp_factor = j.comp_info[k].v_samp_factor = 1;
    j.restart_in_rows = c->restart;
    jpeg_start_compress(&j, TRUE);
    uint8_t row[JW * 4];
    while (j.next_scanline < JH) {
        for (int x = 0; x < JW; x++)
            for (int k = 0; k < c->components; k++)
                row[x * c->components + k] = jpeg_source(x, (int)j.next_scanline, k);
        JSAMPROW r = row;
        jpeg_write_scanlines(&j, &r, 1);
    }
    jpeg_finish_compress(&j);
    jpeg_destroy_compress(&j);
    *out = (membuf){0};
    mb_put(out, buf, size);
    free(buf);
}

/* the file decoded with libjpeg's defaults, as a program using libjpeg
 * directly would (YCbCr -> RGB); pixels into want, channels returned */
static int jpeg_plain_decode(const membuf *file, uint8_t *want)
{
    struct jpeg_decompress_struct j;
    struct jpeg_error_mgr err;
    j.err = jpeg_std_error(&err);
    err.error_exit = test_jpeg_error;
    jpeg_create_decompress(&j);
    jpeg_mem_src(&j, file->data, file->size);
    jpeg_read_header(&j, TRUE);
    jpeg_start_decompress(&j);
    ck_assert_int_eq(j.output_width, JW);
    ck_assert_int_eq(j.output_height, JH);
    int oc = j.output_components;
    while (j.output_scanline < j.output_height) {
        JSAMPROW r = want + (size_t)j.output_scanline * JW * oc;
        jpeg_read_scanlines(&j, &r, 1);
    }
    jpeg_finish_decompress(&j);
    ck_assert_int_eq(err.num_warnings, 0);
    jpeg_destroy_decompress(&j);
    return oc;
}

static const jpeg_case jpeg_cases[] = {
    /* At quality 100 every quantiser is 1: gray comes back within the
     * integer DCT's rounding, 1 level (0 seen). Color also stores Y, Cb
     * and Cr rounded to 8 bits, each half a level off, which the inverse
     * conversion scales by up to 1.8 (B = Y + 1.772 Cb) on top of the DCT
     * rounding of each: 4 levels bounds it (3 seen at 4:4:4, 2 at 4:2:0,
     * whose interpolation restores the pattern's linear chroma but at the
     * edges). A swapped or missing channel is off by 25 or more.
     * name                      comps space          q    prog   444    rst tol */
    {"gray_q100.jpg",            1,    JCS_GRAYSCALE, 100, false, false, 0,  1},
    {"rgb444_q100.jpg",          3,    JCS_RGB,       100, false, true,  0,  4},
    {"rgb420_q100.jpg",          3,    JCS_RGB,       100, false, false, 0,  4},
    {"rgb420_q100_prog.jpg",     3,    JCS_RGB,       100, true,  false, 0,  4},
    /* lossy settings: only the exact comparison with libjpeg */
    {"gray_q75_prog.jpg",        1,    JCS_GRAYSCALE, 75,  true,  false, 0,  -1},
    {"rgb420_q75_restart.jpg",   3,    JCS_RGB,       75,  false, false, 1,  -1},
};

START_TEST(test_jpeg_decode)
{
    const jpeg_case *c = &jpeg_cases[_i];
    membuf file;
    jpeg_encode(c, &file);
    ck_assert_int_eq(genlab_image_sniff(file.data, file.size), GL_IMAGE_JPEG);
    uint8_t want[JW * JH * 3];
    int oc = jpeg_plain_decode(&file, want);
    ck_assert_int_eq(oc, c->components);
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image img;
    genlab_status st = genlab_image_decode(ctx, file.data, file.size, c->name, &img);
    ck_assert_msg(st == GL_OK, "%s: %s", c->name, genlab_ctx_errmsg(ctx));
    expect_image(&img, JW, JH, oc, want, c->name);
    int maxdiff = 0;
    for (int y = 0; y < JH; y++)
        for (int x = 0; x < JW; x++)
            for (int k = 0; k < oc; k++) {
                int d = abs(img.data[(y * JW + x) * oc + k] - jpeg_source(x, y, k));
                maxdiff = d > maxdiff ? d : maxdiff;
            }
    ck_assert_msg(c->tol < 0 || maxdiff <= c->tol, "%s: max |decoded - source| %d > %d",
                  c->name, maxdiff, c->tol);
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
    free(file.data);
}
END_TEST

/* ---- bad files ---- */

/* The PNG the damaged ones start from: 8-bit gray. */
static void png_reference(membuf *out)
{
    static const png_case gray8 = {"gray8.png", G, 8, 0, 0};
    const png_case *c = &gray8;
    uint16_t s[PW * PH];
    png_samples(c, s, PW * PH);
    *out = (membuf){0};
    png_encode(c, s, out);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* the offset of the first chunk of the given type (its length field) */
static size_t png_chunk(const membuf *b, const char *type)
{
    for (size_t off = 8; off + 12 <= b->size; off += 12 + (size_t)get_be32(b->data + off))
        if (!memcmp(b->data + off + 4, type, 4))
            return off;
    ck_abort_msg("no %s chunk", type);
    return 0;
}

/* recompute the CRC of the chunk at off, after changing its data */
static void png_fix_crc(membuf *b, size_t off)
{
    uint32_t len = get_be32(b->data + off);
    put_be32(b->data + off + 8 + len, (uint32_t)crc32(0, b->data + off + 4, 4 + len));
}

static void png_whole(membuf *b, int arg) { png_reference(b); }

/* arg > 0: keep the first arg bytes; arg < 0: drop the last -arg */
static void png_cut(membuf *b, int arg)
{
    png_reference(b);
    b->size = arg > 0 ? (size_t)arg : b->size - (size_t)-arg;
}

static void png_bad_crc(membuf *b, int arg)
{
    png_reference(b);
    size_t off = png_chunk(b, "IDAT");
    b->data[off + 8 + get_be32(b->data + off)] ^= 1;
}

/* byte arg of the IDAT data (the zlib stream) set to 0x07, CRC fixed:
 * 0 breaks zlib's header check, 2 gives the first deflate block the
 * reserved type 3 */
static void png_bad_zlib(membuf *b, int arg)
{
    png_reference(b);
    size_t off = png_chunk(b, "IDAT");
    b->data[off + 8 + arg] = 0x07;
    png_fix_crc(b, off);
}

static void png_bad_signature(membuf *b, int arg)
{
    png_reference(b);
    b->data[1] = 'X';
}

/* the IHDR claims an arg x arg image (arg < 0: 2^30 x 1); CRC fixed, so
 * only the sizes are wrong */
static void png_huge(membuf *b, int arg)
{
    png_reference(b);
    size_t off = png_chunk(b, "IHDR");
    put_be32(b->data + off + 8, arg > 0 ? (uint32_t)arg : 1u << 30);
    put_be32(b->data + off + 12, arg > 0 ? (uint32_t)arg : 1);
    png_fix_crc(b, off);
}

static void empty_file(membuf *b, int arg) { *b = (membuf){0}; }

static const jpeg_case jpeg_damaged = {"", 3, JCS_RGB, 75, false, false, 0, -1};

/* the offset of the first entropy-coded byte: after the SOS segment */
static size_t jpeg_scan(const membuf *b)
{
    for (size_t i = 2; i + 4 < b->size; i++)
        if (b->data[i] == 0xff && b->data[i + 1] == 0xda)
            return i + 2 + (b->data[i + 2] << 8 | b->data[i + 3]);
    ck_abort_msg("no SOS marker");
    return 0;
}

/* arg > 0: keep the first arg bytes; arg < 0: drop the last -arg;
 * 0: keep half of the scan */
static void jpeg_cut(membuf *b, int arg)
{
    jpeg_encode(&jpeg_damaged, b);
    size_t scan = jpeg_scan(b);
    b->size = arg > 0 ? (size_t)arg : arg < 0 ? b->size - (size_t)-arg
                                              : scan + (b->size - scan) / 2;
}

/* half of the scan, then the EOI marker: a file cut and closed again */
static void jpeg_cut_eoi(membuf *b, int arg)
{
    jpeg_cut(b, 0);
    mb_put(b, "\xff\xd9", 2);
}

/* arg bytes in the middle of the scan inverted */
static void jpeg_flip(membuf *b, int arg)
{
    jpeg_encode(&jpeg_damaged, b);
    size_t scan = jpeg_scan(b), mid = scan + (b->size - scan) / 3;
    for (int i = 0; i < arg; i++)
        b->data[mid + i] ^= 0xff;
}

/* the frame header (SOF0) claims an arg x arg image */
static void jpeg_huge(membuf *b, int arg)
{
    jpeg_encode(&jpeg_damaged, b);
    for (size_t i = 2; i + 9 < b->size; i++)
        if (b->data[i] == 0xff && b->data[i + 1] == 0xc0) {
            uint8_t *hw = b->data + i + 5;   /* after length and precision */
            hw[0] = hw[2] = (uint8_t)(arg >> 8);
            hw[1] = hw[3] = (uint8_t)arg;
            return;
        }
    ck_abort_msg("no SOF0 marker");
}

static void jpeg_garbage(membuf *b, int arg)
{
    *b = (membuf){0};
    mb_put(b, "\xff\xd8\xff" "not a JPEG stream at all", 27);
}

/* arg: the file's color space, CMYK or YCCK */
static void jpeg_cmyk(membuf *b, int arg)
{
    jpeg_case c = {"", 4, (J_COLOR_SPACE)arg, 90, false, false, 0, -1};
    jpeg_encode(&c, b);
}

typedef enum bad_kind {
    BAD_BYTES,          /* make writes the file's bytes */
    BAD_MISSING,        /* no file at all */
    BAD_DIRECTORY,      /* a directory of that name */
    BAD_UNREADABLE      /* make's bytes, then chmod 000 */
} bad_kind;

typedef struct bad_case {
    const char   *file;
    bad_kind      kind;
    void        (*make)(membuf *b, int arg);
    int           arg;
    genlab_status status;
    const char   *want;       /* in the message, besides the file's name */
} bad_case;

static const bad_case bad_cases[] = {
    /* PNG cut at several points: in the signature, in IHDR, in IDAT's
     * header, in the pixels, before IEND, in IEND's CRC */
    {"cut5.png",        BAD_BYTES, png_cut,        5,     GL_ERR_FORMAT, "not a PNG or JPEG file"},
    {"cut20.png",       BAD_BYTES, png_cut,        20,    GL_ERR_FORMAT, "truncated"},
    {"cut37.png",       BAD_BYTES, png_cut,        37,    GL_ERR_FORMAT, "truncated"},
    {"cut90.png",       BAD_BYTES, png_cut,        90,    GL_ERR_FORMAT, "truncated"},
    {"noiend.png",      BAD_BYTES, png_cut,        -12,   GL_ERR_FORMAT, "truncated"},
    {"cutcrc.png",      BAD_BYTES, png_cut,        -1,    GL_ERR_FORMAT, "truncated"},
    {"crc.png",         BAD_BYTES, png_bad_crc,    0,     GL_ERR_FORMAT, "IDAT: CRC error"},
    {"zlibhead.png",    BAD_BYTES, png_bad_zlib,   0,     GL_ERR_FORMAT, "incorrect header check"},
    {"zlibblock.png",   BAD_BYTES, png_bad_zlib,   2,     GL_ERR_FORMAT, "invalid block type"},
    {"signature.png",   BAD_BYTES, png_bad_signature, 0,  GL_ERR_FORMAT, "not a PNG or JPEG file"},
    {"empty.png",       BAD_BYTES, empty_file,     0,     GL_ERR_FORMAT, "empty file"},
    /* lying IHDRs: over the pixel limit; a side over libpng's limit (set
     * to the pixel limit); within the limit but far more pixels than the
     * file's bytes can hold (refused before allocating 256 MiB) */
    {"huge.png",        BAD_BYTES, png_huge,       100000, GL_ERR_INVALID, "100000 x 100000 pixels"},
    {"wide.png",        BAD_BYTES, png_huge,       -1,    GL_ERR_FORMAT,
                                   "Invalid IHDR data (Image width exceeds user limit in IHDR)"},
    {"big.png",         BAD_BYTES, png_huge,       16384, GL_ERR_FORMAT, "cannot fit"},
    /* JPEG cut in the header, in the scan, before EOI */
    {"cut40.jpg",       BAD_BYTES, jpeg_cut,       40,    GL_ERR_FORMAT, "Premature end of JPEG file"},
    {"cutscan.jpg",     BAD_BYTES, jpeg_cut,       0,     GL_ERR_FORMAT, "Premature end of JPEG file"},
    {"cuteoi.jpg",      BAD_BYTES, jpeg_cut_eoi,   0,     GL_ERR_FORMAT, "premature end of data segment"},
    {"noeoi.jpg",       BAD_BYTES, jpeg_cut,       -2,    GL_ERR_FORMAT, "Premature end of JPEG file"},
    {"garbage.jpg",     BAD_BYTES, jpeg_garbage,   0,     GL_ERR_FORMAT, "Unsupported marker type"},
    {"flipped.jpg",     BAD_BYTES, jpeg_flip,      4,     GL_ERR_FORMAT, "Corrupt JPEG data"},
    /* lying frame headers: over the pixel limit; within it, but with
     * fewer bits than 8 x 8 blocks (refused before allocating; libjpeg
     * itself refuses sides over 65500) */
    {"huge.jpg",        BAD_BYTES, jpeg_huge,      60000, GL_ERR_INVALID, "60000 x 60000 pixels"},
    {"big.jpg",         BAD_BYTES, jpeg_huge,      16384, GL_ERR_FORMAT, "cannot fit"},
    {"cmyk.jpg",        BAD_BYTES, jpeg_cmyk,      JCS_CMYK, GL_ERR_UNSUPPORTED, "CMYK"},
    {"ycck.jpg",        BAD_BYTES, jpeg_cmyk,      JCS_YCCK, GL_ERR_UNSUPPORTED, "CMYK"},
    /* files that cannot be read */
    {"missing.png",     BAD_MISSING,    NULL,      0,     GL_ERR_IO, "No such file or directory"},
    {"dir.png",         BAD_DIRECTORY,  NULL,      0,     GL_ERR_IO, "not a regular file"},
    /* skipped as root, whom mode 000 does not stop */
    {"secret.png",      BAD_UNREADABLE, png_whole, 0,     GL_ERR_IO, "Permission denied"},
};

START_TEST(test_bad_file)
{
    const bad_case *c = &bad_cases[_i];
    if (c->kind == BAD_UNREADABLE && geteuid() == 0) {
        fprintf(stderr, "%s: skipped: root reads a file of mode 000\n", c->file);
        return;
    }
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, c->file);
    membuf b = {0};
    if (c->make)
        c->make(&b, c->arg);
    if (c->kind == BAD_BYTES || c->kind == BAD_UNREADABLE)
        tu_write(path, b.size ? (const void *)b.data : "", b.size);
    if (c->kind == BAD_UNREADABLE)
        ck_assert_int_eq(chmod(path, 0), 0);
    if (c->kind == BAD_DIRECTORY)
        ck_assert_int_eq(mkdir(path, 0700), 0);

    genlab_ctx *ctx = tu_ctx(1);
    genlab_image img = {.width = 1, .data = (uint8_t *)path};   /* must be reset */
    expect_error(ctx, genlab_image_read(ctx, path, &img), c->status, path, c->want);
    ck_assert(img.data == NULL && img.width == 0 && img.height == 0 && img.channels == 0);
    /* the same bytes from memory fail alike, named by the name given */
    if (c->kind == BAD_BYTES) {
        genlab_ctx_clear_error(ctx);
        expect_error(ctx, genlab_image_decode(ctx, b.data, b.size, c->file, &img), c->status,
                     c->file, c->want);
        ck_assert_ptr_null(img.data);
    }
    genlab_ctx_destroy(ctx);
    free(b.data);
    tu_rmtree(dir);
}
END_TEST

/* ---- writing ---- */

/* the regular files under dir (recursively); adds to *tmp how many of
 * them are temporaries of atomic_file.c */
static int count_files(const char *dir, int *tmp)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot list %s", dir);
    int n = 0;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        ck_assert_int_eq(lstat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            n += count_files(path, tmp);
        } else {
            n++;
            *tmp += strstr(e->d_name, ".tmp-") != NULL;
        }
    }
    closedir(d);
    return n;
}

/* a w x h x c image of a pattern that differs per seed */
static void pattern(genlab_image *img, int w, int h, int c, int seed)
{
    genlab_ctx *ctx = tu_ctx(1);
    ck_assert_int_eq(genlab_image_alloc(ctx, img, w, h, c), GL_OK);
    uint32_t s = (uint32_t)seed;
    for (size_t i = 0; i < (size_t)w * h * c; i++)
        img->data[i] = (uint8_t)lcg(&s);
    genlab_ctx_destroy(ctx);
}

/* gray, RGB and RGBA written, read back, then overwritten in place */
START_TEST(test_png_roundtrip)
{
    static const int channels[] = {1, 3, 4};
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.png", dir);
    genlab_ctx *ctx = tu_ctx(1);
    for (int k = 0; k < 3; k++) {
        genlab_image img, back;
        pattern(&img, 7 + k, 5, channels[k], k + 1);
        ck_assert_msg(genlab_png_write(ctx, path, &img) == GL_OK, "%s", genlab_ctx_errmsg(ctx));
        ck_assert_msg(genlab_image_read(ctx, path, &back) == GL_OK, "%s", genlab_ctx_errmsg(ctx));
        expect_image(&back, img.width, img.height, img.channels, img.data, "round trip");
        genlab_image_free(&img);
        genlab_image_free(&back);
    }
    int tmp = 0;
    ck_assert_int_eq(count_files(dir, &tmp), 1);
    ck_assert_int_eq(tmp, 0);
    genlab_ctx_destroy(ctx);
    tu_rmtree(dir);
}
END_TEST

static void make_readonly(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/ro", dir);
    ck_assert_int_eq(mkdir(p, 0555), 0);
}

static void make_full_dir(const char *dir)
{
    char p[512];
    snprintf(p, sizeof p, "%s/sub", dir);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/sub/keep", dir);
    tu_write(p, "kept", (size_t)-1);
}

typedef struct write_case {
    const char   *target;       /* under a fresh temporary directory */
    void        (*setup)(const char *dir);
    bool          non_root;     /* root writes into a read-only directory */
    int           channels;
    genlab_status status;
    const char   *want;
    int           files_after;  /* regular files left under the directory */
} write_case;

static const write_case write_cases[] = {
    /* target           setup          non_root ch status          want                files */
    {"missing/out.png", NULL,          false,   3, GL_ERR_IO,      "No such file or directory", 0},
    {"ro/out.png",      make_readonly, true,    3, GL_ERR_IO,      "Permission denied", 0},
    /* the temporary is written, then cannot replace a directory */
    {"sub",             make_full_dir, false,   3, GL_ERR_IO,      "cannot rename", 1},
    {"out.png",         NULL,          false,   2, GL_ERR_INVALID, "2 x 2, 2 channels", 0},
};

START_TEST(test_png_write_fails)
{
    const write_case *c = &write_cases[_i];
    if (c->non_root && geteuid() == 0) {
        fprintf(stderr, "%s: skipped: root writes into a read-only directory\n", c->target);
        return;
    }
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    if (c->setup)
        c->setup(dir);
    snprintf(path, sizeof path, "%s/%s", dir, c->target);
    genlab_image img;
    pattern(&img, 2, 2, 3, 1);
    img.channels = c->channels;   /* may make it invalid */
    genlab_ctx *ctx = tu_ctx(1);
    expect_error(ctx, genlab_png_write(ctx, path, &img), c->status, path, c->want);
    int tmp = 0;
    ck_assert_int_eq(count_files(dir, &tmp), c->files_after);
    ck_assert_int_eq(tmp, 0);
    img.channels = 3;
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
    char ro[512];
    snprintf(ro, sizeof ro, "%s/ro", dir);
    chmod(ro, 0700);   /* if there, so that it can be removed */
    tu_rmtree(dir);
}
END_TEST

/* ---- grids ---- */

/* opt with the value range [0, 255]: integer values show as themselves */
static genlab_grid_options identity_opt(int ncol, int padding, int pad_value)
{
    genlab_grid_options o = genlab_grid_defaults();
    o.ncol = ncol, o.padding = padding, o.pad_value = (uint8_t)pad_value, o.lo = 0, o.hi = 255;
    return o;
}

/* three 1 x 2 gray images in rows of 2 with padding 1 of value 9: the
 * second row's second cell is padding */
START_TEST(test_grid_layout_gray)
{
    genlab_ctx *ctx = tu_ctx(1);
    static const float x[] = {10, 11, 20, 21, 30, 31};
    static const uint8_t want[] = {
        9, 9,  9,  9, 9,  9,  9,
        9, 10, 11, 9, 20, 21, 9,
        9, 9,  9,  9, 9,  9,  9,
        9, 30, 31, 9, 9,  9,  9,
        9, 9,  9,  9, 9,  9,  9,
    };
    genlab_grid_options o = identity_opt(2, 1, 9);
    genlab_image img;
    ck_assert_int_eq(genlab_image_grid(ctx, genlab_tensor_from(ctx, 4, TU_SHAPE(3, 1, 1, 2), x),
                                       &o, &img), GL_OK);
    expect_image(&img, 7, 5, 1, want, "gray grid");
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* two 2 x 1 RGB images (planar in, interleaved out), ncol 0 -> 2
 * columns, padding 1 of value 7 */
START_TEST(test_grid_layout_rgb)
{
    genlab_ctx *ctx = tu_ctx(1);
    static const float x[] = {
        1, 2, 3, 4, 5, 6,        /* image 0: R (top, bottom), G, B */
        11, 12, 13, 14, 15, 16,  /* image 1 */
    };
#define P 7, 7, 7
    static const uint8_t want[] = {
        P, P,         P, P,           P,
        P, 1, 3, 5,   P, 11, 13, 15,  P,
        P, 2, 4, 6,   P, 12, 14, 16,  P,
        P, P,         P, P,           P,
    };
#undef P
    genlab_grid_options o = identity_opt(0, 1, 7);
    genlab_image img;
    ck_assert_int_eq(genlab_image_grid(ctx, genlab_tensor_from(ctx, 4, TU_SHAPE(2, 3, 2, 1), x),
                                       &o, &img), GL_OK);
    expect_image(&img, 5, 4, 3, want, "RGB grid");
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
}
END_TEST

typedef struct value_case {
    float   v, lo, hi;
    uint8_t want;
} value_case;

static const value_case value_cases[] = {
    /* v          lo    hi     want */
    {-1.0f,       -1,   1,     0},     /* the ends of the range */
    {1.0f,        -1,   1,     255},
    {0.0f,        -1,   1,     128},   /* 127.5 rounds up */
    {-0.5f,       -1,   1,     64},    /* 63.75 */
    {-3.0f,       -1,   1,     0},     /* clamped */
    {7.0f,        -1,   1,     255},
    {-INFINITY,   -1,   1,     0},
    {INFINITY,    -1,   1,     255},
    {NAN,         -1,   1,     0},     /* NaN shows as lo */
    {NAN,         0.5f, 4,     0},
    {127.5f,      0,    255,   128},   /* half up */
    {127.4f,      0,    255,   127},
    {0.25f,       0,    1,     64},    /* 63.75 + 0.5 */
    {0.7f,        0.5f, 0.9f,  128},   /* 0.2 / 0.4 = 0.5, to float32 rounding: 127.5 -> 128 */
};

START_TEST(test_grid_values)
{
    const value_case *c = &value_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_grid_options o = genlab_grid_defaults();
    o.padding = 0, o.lo = c->lo, o.hi = c->hi;
    genlab_image img;
    ck_assert_int_eq(genlab_image_grid(ctx, genlab_tensor_from(ctx, 4, TU_SHAPE(1, 1, 1, 1), &c->v),
                                       &o, &img), GL_OK);
    ck_assert_msg(img.width == 1 && img.height == 1 && img.data[0] == c->want,
                  "%g in [%g, %g] shows as %d, want %d", c->v, c->lo, c->hi, img.data[0], c->want);
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
}
END_TEST

typedef struct ncol_case {
    int n, ncol;
    int cols, rows;
} ncol_case;

static const ncol_case ncol_cases[] = {
    /* n   ncol  cols rows */
    {1,    0,    1,   1},    /* ncol 0: ceil(sqrt(n)) */
    {2,    0,    2,   1},
    {4,    0,    2,   2},
    {5,    0,    3,   2},
    {9,    0,    3,   3},
    {10,   0,    4,   3},
    {5,    2,    2,   3},
    {3,    8,    3,   1},    /* more columns than images: n */
};

/* 1 x 1 images, padding 1: a grid of cols x rows cells is 2 cols + 1
 * wide and 2 rows + 1 high, and holds n non-padding pixels */
START_TEST(test_grid_ncol)
{
    const ncol_case *c = &ncol_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_grid_options o = identity_opt(c->ncol, 1, 0);
    genlab_image img;
    ck_assert_int_eq(genlab_image_grid(ctx, genlab_full(ctx, 4, TU_SHAPE(c->n, 1, 1, 1), 200),
                                       &o, &img), GL_OK);
    ck_assert_msg(img.width == 2 * c->cols + 1 && img.height == 2 * c->rows + 1,
                  "n %d ncol %d: %d x %d", c->n, c->ncol, img.width, img.height);
    int shown = 0;
    for (int i = 0; i < img.width * img.height; i++)
        shown += img.data[i] == 200;
    ck_assert_int_eq(shown, c->n);
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* frames (T 3, N 2) of 1 x 1 gray images of value 10 t + i: row i shows
 * sample i from frame 0 to 2 */
START_TEST(test_strips_order)
{
    genlab_ctx *ctx = tu_ctx(1);
    static const float f[] = {0, 1, 10, 11, 20, 21};
    static const uint8_t want[] = {
        5, 5,  5, 5,  5, 5,  5,
        5, 0,  5, 10, 5, 20, 5,
        5, 5,  5, 5,  5, 5,  5,
        5, 1,  5, 11, 5, 21, 5,
        5, 5,  5, 5,  5, 5,  5,
    };
    genlab_grid_options o = identity_opt(1, 1, 5);   /* ncol is ignored */
    genlab_image img;
    ck_assert_int_eq(genlab_image_strips(ctx, genlab_tensor_from(ctx, 5, TU_SHAPE(3, 2, 1, 1, 1), f),
                                         &o, &img), GL_OK);
    expect_image(&img, 7, 5, 1, want, "strips");
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* grids and strips saved as PNGs hold the bytes genlab_image_grid and
 * genlab_image_strips give */
START_TEST(test_save_grid)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/grid.png", dir);
    float v[2 * 3 * 3 * 3 * 4];
    for (int i = 0; i < (int)(sizeof v / sizeof v[0]); i++)
        v[i] = sinf((float)i);
    genlab_tensor *x[2] = {genlab_tensor_from(ctx, 4, TU_SHAPE(6, 3, 3, 4), v),
                           genlab_tensor_from(ctx, 5, TU_SHAPE(2, 3, 3, 3, 4), v)};
    for (int k = 0; k < 2; k++) {
        genlab_image want, back;
        ck_assert_int_eq(k ? genlab_image_strips(ctx, x[k], NULL, &want)
                           : genlab_image_grid(ctx, x[k], NULL, &want), GL_OK);
        ck_assert_msg(genlab_save_grid(ctx, path, x[k], NULL) == GL_OK, "%s",
                      genlab_ctx_errmsg(ctx));
        ck_assert_int_eq(genlab_image_read(ctx, path, &back), GL_OK);
        expect_image(&back, want.width, want.height, want.channels, want.data, "saved grid");
        genlab_image_free(&want);
        genlab_image_free(&back);
    }
    genlab_ctx_destroy(ctx);
    tu_rmtree(dir);
}
END_TEST

static genlab_status e_lo_hi(genlab_ctx *ctx, genlab_image *img)
{
    genlab_grid_options o = genlab_grid_defaults();
    o.lo = 1;
    return genlab_image_grid(ctx, genlab_full(ctx, 4, TU_SHAPE(2, 1, 2, 2), 0), &o, img);
}
static genlab_status e_nan_range(genlab_ctx *ctx, genlab_image *img)
{
    genlab_grid_options o = genlab_grid_defaults();
    o.hi = NAN;
    return genlab_image_grid(ctx, genlab_full(ctx, 4, TU_SHAPE(2, 1, 2, 2), 0), &o, img);
}
static genlab_status e_padding(genlab_ctx *ctx, genlab_image *img)
{
    genlab_grid_options o = genlab_grid_defaults();
    o.padding = -1;
    return genlab_image_grid(ctx, genlab_full(ctx, 4, TU_SHAPE(2, 1, 2, 2), 0), &o, img);
}
static genlab_status e_huge_padding(genlab_ctx *ctx, genlab_image *img)
{
    genlab_grid_options o = genlab_grid_defaults();
    o.padding = INT32_MAX;
    return genlab_image_grid(ctx, genlab_full(ctx, 4, TU_SHAPE(2, 1, 2, 2), 0), &o, img);
}
static genlab_status e_3d(genlab_ctx *ctx, genlab_image *img)
{
    return genlab_image_grid(ctx, genlab_full(ctx, 3, TU_SHAPE(1, 2, 2), 0), NULL, img);
}
static genlab_status e_c2(genlab_ctx *ctx, genlab_image *img)
{
    return genlab_image_grid(ctx, genlab_full(ctx, 4, TU_SHAPE(2, 2, 2, 2), 0), NULL, img);
}
static genlab_status e_u8(genlab_ctx *ctx, genlab_image *img)
{
    return genlab_image_grid(ctx, genlab_tensor_new(ctx, GL_U8, 4, TU_SHAPE(2, 1, 2, 2)), NULL,
                             img);
}
static genlab_status e_strips_4d(genlab_ctx *ctx, genlab_image *img)
{
    return genlab_image_strips(ctx, genlab_full(ctx, 4, TU_SHAPE(2, 1, 2, 2), 0), NULL, img);
}
static genlab_status e_null(genlab_ctx *ctx, genlab_image *img)
{
    return genlab_image_grid(ctx, NULL, NULL, img);
}
/* a NULL x from a failed op keeps that op's error */
static genlab_status e_sticky(genlab_ctx *ctx, genlab_image *img)
{
    return genlab_image_grid(ctx, genlab_full(ctx, 4, TU_SHAPE(2, 1, -2, 2), 0), NULL, img);
}
static genlab_status e_save_missing_dir(genlab_ctx *ctx, genlab_image *img)
{
    *img = (genlab_image){0};   /* genlab_save_grid has no OUT image */
    return genlab_save_grid(ctx, "/nonexistent-genlab-dir/grid.png",
                            genlab_full(ctx, 4, TU_SHAPE(2, 1, 2, 2), 0), NULL);
}

typedef struct grid_error {
    const char   *want;
    genlab_status status;
    genlab_status (*f)(genlab_ctx *ctx, genlab_image *img);   /* img: its OUT image, if any */
} grid_error;

static const grid_error grid_errors[] = {
    {"image_grid: value range lo 1, hi 1 must be finite with lo < hi", GL_ERR_INVALID, e_lo_hi},
    {"image_grid: value range lo -1, hi nan",                         GL_ERR_INVALID, e_nan_range},
    {"image_grid: padding -1 and ncol 0 must not be negative",         GL_ERR_INVALID, e_padding},
    /* 2 cells of 2 + (2^31 - 1) pixels in a row, and padding around */
    {"image_grid: a 6442450945 x 4294967296 grid is over the image size limit",
                                                                       GL_ERR_INVALID, e_huge_padding},
    {"image_grid: x must be (N, C, H, W) with C 1 or 3, got (1, 2, 2)", GL_ERR_SHAPE,  e_3d},
    {"image_grid: x must be (N, C, H, W) with C 1 or 3, got (2, 2, 2, 2)", GL_ERR_SHAPE, e_c2},
    {"image_grid: x must be float32",                                  GL_ERR_DTYPE,   e_u8},
    {"image_strips: x must be (T, N, C, H, W) with C 1 or 3, got (2, 1, 2, 2)",
                                                                       GL_ERR_SHAPE,   e_strips_4d},
    {"image_grid: x is NULL",                                          GL_ERR_INVALID, e_null},
    {"(2, 1, -2, 2)",                                                  GL_ERR_SHAPE,   e_sticky},
    {"/nonexistent-genlab-dir/grid.png: cannot create the file: No such file or directory",
                                                                       GL_ERR_IO, e_save_missing_dir},
};

START_TEST(test_grid_errors)
{
    const grid_error *e = &grid_errors[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image img = {.width = 3};   /* must be reset */
    genlab_status st = e->f(ctx, &img);
    ck_assert_msg(st == e->status && genlab_ctx_status(ctx) == e->status, "status %s, want %s",
                  genlab_status_str(st), genlab_status_str(e->status));
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), e->want) != NULL, "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), e->want);
    ck_assert(img.data == NULL && img.width == 0);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- golden grids ---- */

#define GOLDEN_FILE    GL_TOP_SRCDIR "/tests/golden/grid.bin"
#define GOLDEN_SCRIPT  "tests/golden/gen_grid.py"
#define GOLDEN_VERSION 1

static const char *const golden_cases[] = {"rgb_default", "gray_ncol2", "strips"};

static const gd_tensor *golden(const gd_file *f, const char *cname, const char *what)
{
    char key[64];
    snprintf(key, sizeof key, "%s.%s", cname, what);
    const gd_tensor *t = gd_get(f, key);
    ck_assert_msg(t != NULL, "%s: no %s (rerun %s)", GOLDEN_FILE, key, GOLDEN_SCRIPT);
    return t;
}

/* byte-exact against torchvision's formula: both compute the mapping in
 * the same float32 operations, so not even a rounding may differ */
START_TEST(test_grid_golden)
{
    const char *name = golden_cases[_i];
    char err[512];
    gd_file *f = gd_open(GOLDEN_FILE, GOLDEN_VERSION, GOLDEN_SCRIPT, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    const gd_tensor *x = golden(f, name, "x"), *opt = golden(f, name, "opt"),
                    *png = golden(f, name, "png");
    genlab_grid_options o = {.ncol = (int32_t)opt->data[0], .padding = (int32_t)opt->data[1],
                             .pad_value = (uint8_t)opt->data[2], .lo = opt->data[3],
                             .hi = opt->data[4]};
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *t = genlab_tensor_from(ctx, x->ndim, x->shape, x->data);
    genlab_image img;
    genlab_status st = x->ndim == 5 ? genlab_image_strips(ctx, t, &o, &img)
                                    : genlab_image_grid(ctx, t, &o, &img);
    ck_assert_msg(st == GL_OK, "%s: %s", name, genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(png->ndim, 3);
    uint8_t *want = malloc((size_t)png->numel);
    for (int64_t i = 0; i < png->numel; i++)
        want[i] = (uint8_t)png->data[i];
    expect_image(&img, (int)png->shape[1], (int)png->shape[0], (int)png->shape[2], want, name);
    free(want);
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
    gd_free(f);
}
END_TEST

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *suite(void)
{
    Suite *s = suite_create("image");
    TCase *tc = tcase_create("png");
    tcase_add_loop_test(tc, test_png_decode, 0, N_OF(png_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("jpeg");
    tcase_add_loop_test(tc, test_jpeg_decode, 0, N_OF(jpeg_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_files");
    tcase_add_loop_test(tc, test_bad_file, 0, N_OF(bad_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("write");
    tcase_add_test(tc, test_png_roundtrip);
    tcase_add_loop_test(tc, test_png_write_fails, 0, N_OF(write_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("grid");
    tcase_add_test(tc, test_grid_layout_gray);
    tcase_add_test(tc, test_grid_layout_rgb);
    tcase_add_loop_test(tc, test_grid_values, 0, N_OF(value_cases));
    tcase_add_loop_test(tc, test_grid_ncol, 0, N_OF(ncol_cases));
    tcase_add_test(tc, test_strips_order);
    tcase_add_test(tc, test_save_grid);
    tcase_add_loop_test(tc, test_grid_errors, 0, N_OF(grid_errors));
    tcase_add_loop_test(tc, test_grid_golden, 0, N_OF(golden_cases));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
