/* SPDX-License-Identifier: MIT
 *
 * test_image_transform.c — the image transforms of image.h and the image
 * set of dataset.h: resize, convert, center crop and the Resize + CenterCrop
 * chain against Pillow 9.4 (tests/golden/transform.bin), properties (the
 * identity resize copies, flips undo themselves, the float ranges, convert
 * round trips), argument errors, and the image set over an in-memory
 * decoder that counts its calls: caching, shape rules, flips and their
 * random stream, errors naming the item.
 *
 * Sections: helpers, golden data, properties, errors, image set.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "golden.h"
#include "testutil.h"

/* ---- helpers ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* a, b: the same size and bytes */
static void expect_same_image(const genlab_image *a, const genlab_image *b, const char *what)
{
    ck_assert_msg(a->width == b->width && a->height == b->height && a->channels == b->channels,
                  "%s: %d x %d x %d vs %d x %d x %d", what, a->width, a->height, a->channels,
                  b->width, b->height, b->channels);
    size_t n = (size_t)a->width * a->height * a->channels;
    ck_assert_msg(memcmp(a->data, b->data, n) == 0, "%s: the pixels differ", what);
}

/* a w x h x c image with pixel values from a formula (distinct per
 * item, position and channel, and covering the whole byte range) */
static void synth_image(genlab_ctx *ctx, genlab_image *img, int64_t item, int32_t w, int32_t h,
                        int32_t c)
{
    ck_assert_int_eq(genlab_image_alloc(ctx, img, w, h, c), GL_OK);
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++)
            for (int32_t k = 0; k < c; k++)
                img->data[((size_t)y * w + x) * c + k] =
                    (uint8_t)((item * 31 + x * 7 + y * 13 + k * 50) % 256);
}

/* the float genlab_image_to_chw must give for byte v: the header's formulas
 * in float arithmetic */
static float want_float(uint8_t v, genlab_value_range r)
{
    return r == GL_RANGE_UNIT ? (float)v / 255.0f : (float)v / 127.5f - 1.0f;
}

/* ---- golden data from Pillow (tests/golden/gen_transform.py) ---- */

#define GOLDEN_VERSION 1
#define GOLDEN_SCRIPT "/usr/bin/python3 tests/golden/gen_transform.py"

static gd_file *golden_open(void)
{
    char err[512];
    gd_file *f = gd_open(GL_TOP_SRCDIR "/tests/golden/transform.bin", GOLDEN_VERSION,
                         GOLDEN_SCRIPT, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    return f;
}

static const gd_tensor *golden_get(const gd_file *f, const char *name)
{
    const gd_tensor *t = gd_get(f, name);
    ck_assert_msg(t != NULL, "transform.bin: no record \"%s\"; regenerate with %s", name,
                  GOLDEN_SCRIPT);
    ck_assert_int_eq(t->ndim, 3);
    return t;
}

/* a golden (H, W, C) record as an image */
static void golden_image(genlab_ctx *ctx, const gd_file *f, const char *name, genlab_image *img)
{
    const gd_tensor *t = golden_get(f, name);
    ck_assert_int_eq(genlab_image_alloc(ctx, img, (int32_t)t->shape[1], (int32_t)t->shape[0],
                                        (int32_t)t->shape[2]),
                     GL_OK);
    for (int64_t i = 0; i < t->numel; i++)
        img->data[i] = (uint8_t)t->data[i];
}

/* got must equal the golden record exactly: genlab computes the same
 * integers as Pillow (the same double weights, the same 22-bit fixed-point
 * rounding, integer sums), so any difference is a bug, not rounding. On
 * failure: the max difference and the first differing byte. */
static void expect_golden(const genlab_image *got, const gd_file *f, const char *name)
{
    const gd_tensor *t = golden_get(f, name);
    ck_assert_msg(got->height == t->shape[0] && got->width == t->shape[1] &&
                      got->channels == t->shape[2],
                  "%s: got %d x %d x %d (H x W x C), Pillow (%lld, %lld, %lld)", name, got->height,
                  got->width, got->channels, (long long)t->shape[0], (long long)t->shape[1],
                  (long long)t->shape[2]);
    int maxdiff = 0;
    int64_t first = -1;
    for (int64_t i = 0; i < t->numel; i++) {
        int diff = abs((int)got->data[i] - (int)t->data[i]);
        if (diff > 0 && first < 0)
            first = i;
        maxdiff = diff > maxdiff ? diff : maxdiff;
    }
    ck_assert_msg(first < 0, "%s: max |diff| %d; first at byte %lld: %d vs Pillow %d", name,
                  maxdiff, (long long)first, got->data[first], (int)t->data[first]);
}

/* the sizes of the script's SMALL_SIZES (from 17 x 13) and BIG_SIZES (from
 * 60 x 45), in the same order */
static const int32_t small_sizes[][2] = {
    /* W   H */
    {8, 6},     /* down about 2x */
    {5, 4},     /* down by non-integer ratios */
    {23, 19},   /* up by non-integer ratios */
    {34, 13},   /* up exactly 2x, horizontal pass only */
    {17, 7},    /* vertical pass only */
    {9, 13},    /* horizontal pass only */
    {30, 5},    /* up in W, down in H */
    {1, 1},     /* every pixel into one */
};
static const int32_t big_sizes[][2] = {{16, 16}, {13, 11}, {24, 18}};
static const char *const small_images[] = {"gray", "rgb", "rgba"};

#define RESIZE_PER_FILTER (N(small_images) * N(small_sizes) + N(big_sizes))

/* case i: filter i / RESIZE_PER_FILTER, then every small image and size,
 * then the big image's sizes */
START_TEST(test_golden_resize)
{
    genlab_resize_filter filter = (genlab_resize_filter)(_i / (int)RESIZE_PER_FILTER);
    int j = _i % (int)RESIZE_PER_FILTER;
    const char *img_name;
    const int32_t *size;
    if (j < (int)(N(small_images) * N(small_sizes))) {
        img_name = small_images[j / (int)N(small_sizes)];
        size = small_sizes[j % (int)N(small_sizes)];
    } else {
        img_name = "big";
        size = big_sizes[j - N(small_images) * N(small_sizes)];
    }
    char name[96];
    snprintf(name, sizeof name, "src.%s", img_name);
    gd_file *f = golden_open();
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image in, out;
    golden_image(ctx, f, name, &in);
    ck_assert_int_eq(genlab_image_resize(ctx, &in, size[0], size[1], filter, &out), GL_OK);
    snprintf(name, sizeof name, "resize.%s.%s.%dx%d", genlab_resize_filter_name(filter), img_name,
             size[0], size[1]);
    expect_golden(&out, f, name);
    genlab_image_free(&in);
    genlab_image_free(&out);
    genlab_ctx_destroy(ctx);
    gd_free(f);
}
END_TEST

typedef struct convert_case {
    const char *src;        /* golden input */
    int32_t     channels;   /* converted to */
    const char *want;       /* golden output: Pillow's convert() */
} convert_case;

static const convert_case convert_cases[] = {
    /* src          channels  want */
    {"src.rgb",     1,        "convert.L.rgb"},     /* luma */
    {"src.rgba",    1,        "convert.L.rgba"},    /* luma, alpha ignored */
    {"src.big",     1,        "convert.L.big"},     /* luma of noise: all roundings */
    {"src.gray",    3,        "convert.RGB.gray"},  /* gray copied thrice */
    {"src.rgba",    3,        "convert.RGB.rgba"},  /* alpha dropped */
};

START_TEST(test_golden_convert)
{
    const convert_case *c = &convert_cases[_i];
    gd_file *f = golden_open();
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image in, out;
    golden_image(ctx, f, c->src, &in);
    ck_assert_int_eq(genlab_image_convert(ctx, &in, c->channels, &out), GL_OK);
    expect_golden(&out, f, c->want);
    genlab_image_free(&in);
    genlab_image_free(&out);
    genlab_ctx_destroy(ctx);
    gd_free(f);
}
END_TEST

typedef struct crop_case {
    const char *src;
    int32_t     w, h;
} crop_case;

/* offsets (17 - w) / 2 and (13 - h) / 2 hit both ways Python rounds a half */
static const crop_case crop_cases[] = {
    /* src     w   h       left, top: the halves rounded to even */
    {"gray",   10, 10},    /* 3.5 -> 4, 1.5 -> 2 */
    {"gray",   16, 12},    /* 0.5 -> 0, 0.5 -> 0 */
    {"rgb",    12, 8},     /* 2.5 -> 2, 2.5 -> 2 */
    {"rgb",    17, 13},    /* the whole image */
    {"rgb",    1,  1},     /* 8, 6 */
    {"gray",   14, 11},    /* 1.5 -> 2, 1 */
    {"rgb",    10, 10},
    {"gray",   12, 8},
};

START_TEST(test_golden_crop)
{
    const crop_case *c = &crop_cases[_i];
    char name[64];
    snprintf(name, sizeof name, "src.%s", c->src);
    gd_file *f = golden_open();
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image in, out;
    golden_image(ctx, f, name, &in);
    ck_assert_int_eq(genlab_image_center_crop(ctx, &in, c->w, c->h, &out), GL_OK);
    snprintf(name, sizeof name, "crop.%s.%dx%d", c->src, c->w, c->h);
    expect_golden(&out, f, name);
    genlab_image_free(&in);
    genlab_image_free(&out);
    genlab_ctx_destroy(ctx);
    gd_free(f);
}
END_TEST

/* the reader refuses a wrong version and names the script to rerun */
START_TEST(test_golden_version)
{
    char err[512];
    gd_file *f = gd_open(GL_TOP_SRCDIR "/tests/golden/transform.bin", GOLDEN_VERSION + 1,
                         GOLDEN_SCRIPT, err, sizeof err);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(err, "version") && strstr(err, GOLDEN_SCRIPT), "message: %s", err);
}
END_TEST

/* ---- properties ---- */

/* resizing to the same size copies, whatever the filter and channels (RGBA
 * included: no premultiplied round trip, which would change the colours of
 * translucent pixels) */
START_TEST(test_identity_resize)
{
    genlab_ctx *ctx = tu_ctx(1);
    for (int32_t c = 1; c <= 4; c += c == 1 ? 2 : 1)
        for (int f = GL_RESIZE_AREA; f <= GL_RESIZE_BICUBIC; f++) {
            genlab_image in, out;
            synth_image(ctx, &in, 3, 11, 7, c);
            ck_assert_int_eq(genlab_image_resize(ctx, &in, 11, 7, (genlab_resize_filter)f, &out),
                             GL_OK);
            expect_same_image(&out, &in, genlab_resize_filter_name((genlab_resize_filter)f));
            genlab_image_free(&in);
            genlab_image_free(&out);
        }
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a constant image stays constant through every filter and ratio: the
 * weights of each output pixel sum to one in fixed point */
START_TEST(test_constant_resize)
{
    static const int32_t sizes[][2] = {{1, 1}, {3, 2}, {40, 9}, {7, 31}, {64, 64}};
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image in, out;
    ck_assert_int_eq(genlab_image_alloc(ctx, &in, 23, 17, 3), GL_OK);
    for (uint8_t v = 0;; v += 85) {
        memset(in.data, v, 23 * 17 * 3);
        for (int f = GL_RESIZE_AREA; f <= GL_RESIZE_BICUBIC; f++)
            for (size_t i = 0; i < N(sizes); i++) {
                ck_assert_int_eq(genlab_image_resize(ctx, &in, sizes[i][0], sizes[i][1],
                                                     (genlab_resize_filter)f, &out),
                                 GL_OK);
                for (int64_t b = 0; b < (int64_t)sizes[i][0] * sizes[i][1] * 3; b++)
                    ck_assert_msg(out.data[b] == v, "%s to %d x %d: byte %lld is %d, want %d",
                                  genlab_resize_filter_name((genlab_resize_filter)f), sizes[i][0],
                                  sizes[i][1], (long long)b, out.data[b], v);
                genlab_image_free(&out);
            }
        if (v == 255)
            break;
    }
    genlab_image_free(&in);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a flip mirrors each row; twice is the identity (odd, even and 1 wide) */
START_TEST(test_flip)
{
    static const int32_t widths[] = {1, 2, 7, 8};
    genlab_ctx *ctx = tu_ctx(1);
    for (size_t i = 0; i < N(widths); i++)
        for (int32_t c = 1; c <= 4; c += c == 1 ? 2 : 1) {
            genlab_image a, b;
            int32_t w = widths[i], h = 3;
            synth_image(ctx, &a, 1, w, h, c);
            synth_image(ctx, &b, 1, w, h, c);
            genlab_image_flip_h(&b);
            for (int32_t y = 0; y < h; y++)
                for (int32_t x = 0; x < w; x++)
                    ck_assert_msg(memcmp(b.data + ((size_t)y * w + x) * c,
                                         a.data + ((size_t)y * w + (w - 1 - x)) * c, c) == 0,
                                  "flip %d x %d x %d: pixel (%d, %d)", w, h, c, x, y);
            genlab_image_flip_h(&b);
            expect_same_image(&b, &a, "flip twice");
            genlab_image_free(&a);
            genlab_image_free(&b);
        }
    genlab_image empty = {0};
    genlab_image_flip_h(&empty);   /* a no-op, not a crash */
    genlab_image_flip_h(NULL);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* planar layout and both ranges, with the ends exact */
START_TEST(test_to_chw)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image img;
    ck_assert_int_eq(genlab_image_alloc(ctx, &img, 3, 2, 3), GL_OK);
    static const uint8_t px[18] = {0, 255, 127, 128, 1, 254, 10, 20, 30,
                                   40, 50, 60, 70, 80, 90, 100, 110, 120};
    memcpy(img.data, px, sizeof px);
    float dst[18];
    for (int r = GL_RANGE_SIGNED; r <= GL_RANGE_UNIT; r++) {
        genlab_image_to_chw(&img, (genlab_value_range)r, dst);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 6; i++)
                ck_assert_msg(dst[c * 6 + i] == want_float(px[i * 3 + c], (genlab_value_range)r),
                              "range %d channel %d pixel %d: %.9g", r, c, i, dst[c * 6 + i]);
    }
    genlab_image_to_chw(&img, GL_RANGE_SIGNED, dst);
    ck_assert(dst[0] == -1.0f && dst[6] == 1.0f);     /* 0 and 255: the ends */
    genlab_image_to_chw(&img, GL_RANGE_UNIT, dst);
    ck_assert(dst[0] == 0.0f && dst[6] == 1.0f);
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* gray -> RGB -> gray is the identity (the luma weights sum to exactly
 * 2^16); RGBA -> RGB keeps the colours; same count copies */
START_TEST(test_convert_round_trip)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image gray, rgb, back, rgba, copy;
    ck_assert_int_eq(genlab_image_alloc(ctx, &gray, 16, 16, 1), GL_OK);
    for (int i = 0; i < 256; i++)
        gray.data[i] = (uint8_t)i;
    ck_assert_int_eq(genlab_image_convert(ctx, &gray, 3, &rgb), GL_OK);
    ck_assert_int_eq(genlab_image_convert(ctx, &rgb, 1, &back), GL_OK);
    expect_same_image(&back, &gray, "gray -> RGB -> gray");
    genlab_image_free(&back);
    synth_image(ctx, &rgba, 2, 5, 4, 4);
    ck_assert_int_eq(genlab_image_convert(ctx, &rgba, 3, &back), GL_OK);
    for (int i = 0; i < 20; i++)
        ck_assert(memcmp(back.data + i * 3, rgba.data + i * 4, 3) == 0);
    ck_assert_int_eq(genlab_image_convert(ctx, &rgba, 4, &copy), GL_OK);
    expect_same_image(&copy, &rgba, "RGBA -> RGBA");
    genlab_image_free(&gray);
    genlab_image_free(&rgb);
    genlab_image_free(&back);
    genlab_image_free(&rgba);
    genlab_image_free(&copy);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- errors ---- */

typedef struct image_err_case {
    const char   *want;     /* substring of the message */
    genlab_status status;
    int           op;       /* 0 resize, 1 crop, 2 convert */
    int32_t       a, b;     /* resize/crop: width, height; convert: channels */
    int           filter;
    int32_t       in_channels;   /* of the 6 x 4 input; 0: an empty image */
} image_err_case;

static const image_err_case image_errors[] = {
    /* want                                          status          op a  b  filter ch */
    {"image: 0 x 4 pixels",                          GL_ERR_INVALID, 0, 0, 4, 0,     3},
    {"image: 6 x -1 pixels",                         GL_ERR_INVALID, 0, 6, -1, 1,    3},
    {"image_resize: unknown filter 3",               GL_ERR_INVALID, 0, 3, 3, 3,     3},
    {"image_resize: an empty or malformed image",    GL_ERR_INVALID, 0, 3, 3, 0,     0},
    {"a 7 x 4 window does not fit a 6 x 4 image",    GL_ERR_INVALID, 1, 7, 4, 0,     1},
    {"a 0 x 2 window does not fit a 6 x 4 image",    GL_ERR_INVALID, 1, 0, 2, 0,     1},
    {"image_center_crop: an empty or malformed",     GL_ERR_INVALID, 1, 1, 1, 0,     0},
    {"image_convert: cannot convert 3 channels to 2", GL_ERR_INVALID, 2, 2, 0, 0,    3},
    {"image_convert: cannot convert 1 channels to 4", GL_ERR_INVALID, 2, 4, 0, 0,    1},
    {"image_convert: cannot convert 3 channels to 4", GL_ERR_INVALID, 2, 4, 0, 0,    3},
    {"image_convert: an empty or malformed image",   GL_ERR_INVALID, 2, 3, 0, 0,     0},
};

START_TEST(test_image_errors)
{
    const image_err_case *e = &image_errors[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image in = {0}, out = {.width = 99};
    if (e->in_channels)
        synth_image(ctx, &in, 0, 6, 4, e->in_channels);
    genlab_status st = e->op == 0 ? genlab_image_resize(ctx, &in, e->a, e->b,
                                                        (genlab_resize_filter)e->filter, &out)
                     : e->op == 1 ? genlab_image_center_crop(ctx, &in, e->a, e->b, &out)
                                  : genlab_image_convert(ctx, &in, e->a, &out);
    ck_assert_int_eq(st, e->status);
    ck_assert_int_eq(genlab_ctx_status(ctx), e->status);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), e->want), "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), e->want);
    ck_assert(out.data == NULL && out.width == 0);   /* left empty */
    genlab_image_free(&in);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_filter_names)
{
    ck_assert_str_eq(genlab_resize_filter_name(GL_RESIZE_AREA), "area");
    ck_assert_str_eq(genlab_resize_filter_name(GL_RESIZE_BILINEAR), "bilinear");
    ck_assert_str_eq(genlab_resize_filter_name(GL_RESIZE_BICUBIC), "bicubic");
    ck_assert_str_eq(genlab_resize_filter_name((genlab_resize_filter)3), "?");
    ck_assert_str_eq(genlab_resize_filter_name((genlab_resize_filter)-1), "?");
    for (int i = 0; i < 3; i++)   /* the key's choices are the names, in enum order */
        ck_assert_str_eq(genlab_resize_choices[i],
                         genlab_resize_filter_name((genlab_resize_filter)i));
    ck_assert_ptr_null(genlab_resize_choices[3]);
    ck_assert_str_eq(genlab_range_choices[GL_RANGE_SIGNED], "signed");
    ck_assert_str_eq(genlab_range_choices[GL_RANGE_UNIT], "unit");
    ck_assert_ptr_null(genlab_range_choices[2]);
}
END_TEST

/* ---- image set ---- */

static const genlab_param_def dataset_params[] = {GL_IMAGE_TRANSFORM_PARAMS};

/* a resolved configuration whose "dataset" scope holds the transform keys,
 * set from kv ("key", "value", ..., NULL) */
static genlab_config *make_config(const char *const *kv)
{
    genlab_config *cfg = NULL;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(cfg, "dataset", dataset_params, N(dataset_params)),
                     GL_OK);
    char key[64];
    for (; kv && kv[0]; kv += 2) {
        snprintf(key, sizeof key, "dataset.%s", kv[0]);
        ck_assert_int_eq(genlab_config_set(cfg, key, kv[1], NULL), GL_OK);
    }
    ck_assert_msg(genlab_config_resolve(cfg, NULL) == GL_OK, "%s", genlab_config_errmsg(cfg));
    return cfg;
}

#define KV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The in-memory dataset: item i is synth_image(i) of w x h x c, except
 * item odd_item (odd_w x odd_h); item fail_item fails with GL_ERR_IO.
 * calls[i] counts the decodes of item i. */
#define SYNTH_MAX 64
typedef struct synth {
    int32_t w, h, c;
    int64_t odd_item;
    int32_t odd_w, odd_h;
    int64_t fail_item;
    int64_t calls[SYNTH_MAX];
} synth;

static genlab_status synth_decode(genlab_ctx *ctx, void *user, int64_t item, genlab_image *out)
{
    synth *d = user;
    d->calls[item]++;
    if (item == d->fail_item)
        return genlab_errorf(ctx, GL_ERR_IO, "cannot read synth/%lld.png", (long long)item);
    bool odd = item == d->odd_item;
    synth_image(ctx, out, item, odd ? d->odd_w : d->w, odd ? d->odd_h : d->h, d->c);
    return GL_OK;
}

static synth synth_make(int32_t w, int32_t h, int32_t c)
{
    return (synth){.w = w, .h = h, .c = c, .odd_item = -1, .fail_item = -1};
}

/* an image set of n items of d on a fresh configuration from kv; the
 * configuration is destroyed at once (the set keeps nothing of it) */
static genlab_status make_set(genlab_ctx *ctx, synth *d, int64_t n, const char *const *kv,
                              genlab_imageset **s)
{
    genlab_config *cfg = make_config(kv);
    genlab_imageset_source src = {.name = "synth", .n_items = n, .decode = synth_decode,
                                  .user = d};
    genlab_status st = genlab_imageset_create(ctx, genlab_config_scope(cfg, "dataset"), &src, s);
    genlab_config_destroy(cfg);
    return st;
}

/* read items[0..n) and check every value against synth_image and the
 * range (no resize, no crop, no flip) */
static void expect_read(genlab_ctx *ctx, genlab_imageset *s, const synth *d, const int64_t *items,
                        int64_t n, genlab_value_range r)
{
    genlab_tensor *x = NULL;
    ck_assert_msg(genlab_imageset_read(ctx, s, items, n, &x) == GL_OK, "%s",
                  genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(genlab_tensor_ndim(x), 4);
    ck_assert(genlab_tensor_dim(x, 0) == n && genlab_tensor_dim(x, 1) == d->c &&
              genlab_tensor_dim(x, 2) == d->h && genlab_tensor_dim(x, 3) == d->w);
    const float *p = genlab_tensor_f32(x);
    for (int64_t i = 0; i < n; i++)
        for (int32_t c = 0; c < d->c; c++)
            for (int32_t y = 0; y < d->h; y++)
                for (int32_t xx = 0; xx < d->w; xx++) {
                    uint8_t v = (uint8_t)((items[i] * 31 + xx * 7 + y * 13 + c * 50) % 256);
                    ck_assert_msg(*p++ == want_float(v, r), "item %lld (%d, %d, %d)",
                                  (long long)items[i], c, y, xx);
                }
}

/* cached: each item decoded once, item 0 at create; streamed: every read */
START_TEST(test_set_cache)
{
    static const int64_t batch[] = {0, 1, 2, 1, 0, 3};
    const bool cached = _i == 0;
    genlab_ctx *ctx = tu_ctx(1);
    synth d = synth_make(5, 4, 3);
    genlab_imageset *s = NULL;
    ck_assert_int_eq(make_set(ctx, &d, 4, cached ? KV("range", "unit") : KV("cache_mb", "0"), &s),
                     GL_OK);
    ck_assert_int_eq(genlab_imageset_cached(s), cached);
    ck_assert_int_eq(d.calls[0], 1);
    genlab_value_range r = cached ? GL_RANGE_UNIT : GL_RANGE_SIGNED;
    expect_read(ctx, s, &d, batch, N(batch), r);
    expect_read(ctx, s, &d, batch, N(batch), r);   /* the second time from the cache */
    /* streamed: item 0 twice per batch, plus create's; 1 twice; 2, 3 once */
    static const int64_t streamed[] = {5, 4, 2, 2};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(d.calls[i] == (cached ? 1 : streamed[i]), "item %d decoded %lld times", i,
                      (long long)d.calls[i]);
    genlab_data_spec spec = {.n_classes = 10};
    genlab_imageset_spec(s, &spec);
    ck_assert(spec.channels == 3 && spec.height == 4 && spec.width == 5 && spec.n_items == 4);
    ck_assert_int_eq(spec.n_classes, 10);   /* the caller's */
    genlab_imageset_destroy(s);
    genlab_imageset_destroy(NULL);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* the cache is used exactly when all items fit in cache_mb MiB: 1 MiB holds
 * 16 items of 256 x 256 gray (64 KiB each) but not 17 */
START_TEST(test_set_cache_limit)
{
    genlab_ctx *ctx = tu_ctx(1);
    synth d = synth_make(256, 256, 1);
    for (int64_t n = 16; n <= 17; n++) {
        genlab_imageset *s = NULL;
        ck_assert_int_eq(make_set(ctx, &d, n, KV("cache_mb", "1"), &s), GL_OK);
        ck_assert_int_eq(genlab_imageset_cached(s), n == 16);
        genlab_imageset_destroy(s);
    }
    genlab_ctx_destroy(ctx);
}
END_TEST

/* The shape rules of dataset.h. Items are w x h x c; the set's shape or the
 * error comes from the keys. */
typedef struct shape_case {
    int32_t     w, h, c;        /* the decoded items */
    const char *channels, *size, *crop;
    int32_t     C, H, W;        /* the set's shape; 0: create fails */
    const char *want;           /* the message's substring when it fails */
} shape_case;

static const shape_case shape_cases[] = {
    /*  w   h   c  channels size  crop    C  H   W   want */
    {20, 10, 3, "0", "0",  "0",   3, 10, 20, NULL},            /* as decoded */
    {20, 10, 3, "0", "8",  "0",   3, 8,  8,  NULL},            /* 16 x 8, then 8 x 8 */
    {10, 20, 1, "0", "8",  "0",   1, 8,  8,  NULL},            /* tall: 8 x 16, then 8 x 8 */
    {20, 10, 3, "0", "8",  "6",   3, 6,  6,  NULL},            /* crop under size */
    {20, 10, 3, "0", "0",  "6",   3, 6,  6,  NULL},            /* crop alone */
    {20, 10, 3, "1", "0",  "0",   1, 10, 20, NULL},            /* to gray */
    {20, 10, 1, "3", "0",  "0",   3, 10, 20, NULL},            /* to RGB */
    {20, 10, 4, "3", "8",  "0",   3, 8,  8,  NULL},            /* RGBA to RGB */
    {20, 10, 4, "0", "0",  "0",   4, 10, 20, NULL},            /* RGBA kept */
    {8,  8,  3, "0", "8",  "0",   3, 8,  8,  NULL},            /* already the size */
    {20, 10, 3, "0", "0",  "12",  0, 0,  0,
     "dataset synth: item 0: crop 12 x 12 is larger than the image, 20 x 10"},
    /* torchvision's long side: int(8 * 21 / 10) = 16 (16.8 rounded down) */
    {21, 10, 3, "0", "8",  "9",   0, 0,  0,
     "dataset synth: item 0: crop 9 x 9 is larger than the resized image, 16 x 8"},
    /* int(5 * 3 / 2) = 7 */
    {2,  3,  3, "0", "5",  "6",   0, 0,  0,  "crop 6 x 6 is larger than the resized image, 5 x 7"},
    {20, 10, 3, "2", "0",  "0",   0, 0,  0,  "dataset synth: channels 2 (0, 1 or 3)"},
};

START_TEST(test_set_shape)
{
    const shape_case *c = &shape_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    synth d = synth_make(c->w, c->h, c->c);
    genlab_imageset *s = NULL;
    genlab_status st =
        make_set(ctx, &d, 3, KV("channels", c->channels, "size", c->size, "crop", c->crop), &s);
    if (!c->C) {
        ck_assert_int_eq(st, GL_ERR_INVALID);
        ck_assert_ptr_null(s);
        ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), c->want), "message '%s' lacks '%s'",
                      genlab_ctx_errmsg(ctx), c->want);
        genlab_ctx_destroy(ctx);
        return;
    }
    ck_assert_msg(st == GL_OK, "%s", genlab_ctx_errmsg(ctx));
    genlab_data_spec spec;
    genlab_imageset_spec(s, &spec);
    ck_assert_msg(spec.channels == c->C && spec.height == c->H && spec.width == c->W,
                  "got %d x %d x %d (C x H x W)", spec.channels, spec.height, spec.width);
    genlab_tensor *x = NULL;
    ck_assert_int_eq(genlab_imageset_read(ctx, s, (const int64_t[]){2, 1}, 2, &x), GL_OK);
    ck_assert(genlab_tensor_dim(x, 0) == 2 && genlab_tensor_dim(x, 1) == c->C &&
              genlab_tensor_dim(x, 2) == c->H && genlab_tensor_dim(x, 3) == c->W);
    genlab_imageset_destroy(s);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Resize(S) + CenterCrop(S) through the set against torchvision's chain on
 * Pillow (pipeline.<filter>.big.s<S>): exact, as the resize is, and the
 * floats are the header's formula of those bytes */
static genlab_status golden_decode(genlab_ctx *ctx, void *user, int64_t item, genlab_image *out)
{
    golden_image(ctx, user, "src.big", out);
    return GL_OK;
}

START_TEST(test_set_pipeline)
{
    static const char *const sizes[] = {"16", "20"};
    const char *filter = genlab_resize_choices[_i / 2], *size = sizes[_i % 2];
    gd_file *f = golden_open();
    genlab_ctx *ctx = tu_ctx(1);
    genlab_config *cfg = make_config(KV("size", size, "resize", filter));
    genlab_imageset_source src = {.name = "big", .n_items = 1, .decode = golden_decode,
                                  .user = f};
    genlab_imageset *s = NULL;
    ck_assert_msg(genlab_imageset_create(ctx, genlab_config_scope(cfg, "dataset"), &src, &s) ==
                      GL_OK,
                  "%s", genlab_ctx_errmsg(ctx));
    genlab_tensor *x = NULL;
    ck_assert_int_eq(genlab_imageset_read(ctx, s, (const int64_t[]){0}, 1, &x), GL_OK);
    char name[64];
    snprintf(name, sizeof name, "pipeline.%s.big.s%s", filter, size);
    const gd_tensor *t = golden_get(f, name);
    int64_t H = t->shape[0], W = t->shape[1], C = t->shape[2];
    ck_assert(genlab_tensor_dim(x, 1) == C && genlab_tensor_dim(x, 2) == H &&
              genlab_tensor_dim(x, 3) == W);
    const float *p = genlab_tensor_f32(x);
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 0; i < H * W; i++)
            ck_assert_msg(p[c * H * W + i] ==
                              want_float((uint8_t)t->data[i * C + c], GL_RANGE_SIGNED),
                          "%s: channel %lld pixel %lld: %.9g", name, (long long)c, (long long)i,
                          p[c * H * W + i]);
    genlab_imageset_destroy(s);
    genlab_config_destroy(cfg);
    genlab_ctx_destroy(ctx);
    gd_free(f);
}
END_TEST

/* which of the batch's entries came out mirrored (entries are all one
 * item; 1 x 4 rows of distinct values, so a flip is unmistakable) */
static uint64_t read_flips(genlab_ctx *ctx, genlab_imageset *s, int64_t n)
{
    int64_t items[64] = {0};
    genlab_tensor *x = NULL;
    ck_assert_int_eq(genlab_imageset_read(ctx, s, items, n, &x), GL_OK);
    const float *p = genlab_tensor_f32(x);
    uint64_t mask = 0;
    for (int64_t i = 0; i < n; i++, p += 4) {
        /* item 0 row: 0, 7, 14, 21 */
        bool plain = p[0] == want_float(0, GL_RANGE_SIGNED) && p[3] == want_float(21, GL_RANGE_SIGNED);
        bool flipped = p[0] == want_float(21, GL_RANGE_SIGNED) && p[3] == want_float(0, GL_RANGE_SIGNED);
        ck_assert_msg(plain != flipped, "entry %lld is neither the image nor its mirror",
                      (long long)i);
        mask |= (uint64_t)flipped << i;
    }
    return mask;
}

/* flips: u < 1/2 of the DATA stream, one per item, the same for the same
 * seed and stream position; both orientations occur; the cache keeps the
 * image unflipped; nothing drawn with flip off */
START_TEST(test_set_flip)
{
    const int64_t n = 48;
    const char *cache = _i == 0 ? "4096" : "0";
    synth d = synth_make(4, 1, 1);
    genlab_ctx *ctx = tu_ctx(7), *ref = tu_ctx(7);
    genlab_imageset *s = NULL, *off = NULL;
    ck_assert_int_eq(make_set(ctx, &d, 2, KV("flip", "true", "cache_mb", cache), &s), GL_OK);
    ck_assert_int_eq(make_set(ctx, &d, 2, KV("cache_mb", cache), &off), GL_OK);
    uint64_t seed, before[GL_STREAM_COUNT], after[GL_STREAM_COUNT];
    genlab_rng_state(ctx, &seed, before);
    uint64_t m1 = read_flips(ctx, s, n);
    genlab_rng_state(ctx, &seed, after);
    ck_assert_uint_eq(after[GL_STREAM_DATA], before[GL_STREAM_DATA] + (uint64_t)n);
    /* the flips are u < 1/2 for the stream's next n uniforms */
    genlab_tensor *u = genlab_tensor_new(ref, GL_F32, 1, &n);
    ck_assert_int_eq(genlab_rng_fill(ref, u, GL_STREAM_DATA, 0, 0.0f, 1.0f), GL_OK);
    uint64_t want = 0;
    for (int64_t i = 0; i < n; i++)
        want |= (uint64_t)(genlab_tensor_f32(u)[i] < 0.5f) << i;
    ck_assert_uint_eq(m1, want);
    ck_assert(m1 != 0 && m1 != ((uint64_t)1 << n) - 1);   /* both orientations */
    /* the next batch differs; back at the same position, the same flips */
    uint64_t m2 = read_flips(ctx, s, n);
    ck_assert_uint_ne(m2, m1);
    genlab_rng_restore(ctx, seed, before);
    ck_assert_uint_eq(read_flips(ctx, s, n), m1);
    /* flip off: nothing flipped (the cached image came through unflipped)
     * and nothing drawn */
    genlab_rng_state(ctx, &seed, before);
    ck_assert_uint_eq(read_flips(ctx, off, n), 0);
    genlab_rng_state(ctx, &seed, after);
    ck_assert(memcmp(before, after, sizeof before) == 0);
    genlab_imageset_destroy(s);
    genlab_imageset_destroy(off);
    genlab_ctx_destroy(ctx);
    genlab_ctx_destroy(ref);
}
END_TEST

/* read errors: each names the dataset and the item, and a cached set that
 * failed on one item still reads the others */
typedef struct read_err_case {
    int64_t       odd_item, fail_item;   /* in synth */
    int32_t       odd_w, odd_h;
    const char   *keys[7];               /* key, value pairs, NULL-terminated */
    int64_t       item;                  /* read alone */
    genlab_status status;
    const char   *want;
} read_err_case;

static const read_err_case read_errors[] = {
    /* mixed sizes without size/crop */
    {2, -1, 12, 10, {NULL}, 2, GL_ERR_SHAPE,
     "dataset synth: item 2: its image is 10 x 12 x 3 (H x W x C) where the first item's is "
     "10 x 10 x 3"},
    /* the same item is fine once resized to a common size */
    {2, -1, 12, 10, {"size", "8", NULL}, 2, GL_OK, NULL},
    /* an item smaller than the crop */
    {3, -1, 6, 6, {"crop", "8", NULL}, 3, GL_ERR_SHAPE,
     "dataset synth: item 3: crop 8 x 8 is larger than the image, 6 x 6"},
    /* the decoder's error, with its message */
    {-1, 1, 0, 0, {NULL}, 1, GL_ERR_IO, "dataset synth: item 1: cannot read synth/1.png"},
    {-1, 1, 0, 0, {"cache_mb", "0", NULL}, 1, GL_ERR_IO, "item 1: cannot read synth/1.png"},
    /* out of range */
    {-1, -1, 0, 0, {NULL}, 4, GL_ERR_INVALID,
     "dataset synth: item 4 (batch entry 0) is out of range: it has 4 items"},
    {-1, -1, 0, 0, {NULL}, -1, GL_ERR_INVALID, "dataset synth: item -1 (batch entry 0)"},
};

START_TEST(test_set_read_errors)
{
    const read_err_case *e = &read_errors[_i];
    genlab_ctx *ctx = tu_ctx(1);
    synth d = synth_make(10, 10, 3);
    d.odd_item = e->odd_item;
    d.fail_item = e->fail_item;
    d.odd_w = e->odd_w;
    d.odd_h = e->odd_h;
    genlab_imageset *s = NULL;
    ck_assert_int_eq(make_set(ctx, &d, 4, e->keys, &s), GL_OK);
    genlab_tensor *x = (genlab_tensor *)&d;   /* must be reset to NULL on failure */
    genlab_status st = genlab_imageset_read(ctx, s, &e->item, 1, &x);
    ck_assert_int_eq(st, e->status);
    if (e->status != GL_OK) {
        ck_assert_ptr_null(x);
        ck_assert_int_eq(genlab_ctx_status(ctx), e->status);
        ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), e->want), "message '%s' lacks '%s'",
                      genlab_ctx_errmsg(ctx), e->want);
        /* sticky: the next read returns the same error at once */
        ck_assert_int_eq(genlab_imageset_read(ctx, s, (const int64_t[]){0}, 1, &x), e->status);
        genlab_ctx_clear_error(ctx);
    }
    /* the set goes on reading the other items */
    ck_assert_int_eq(genlab_imageset_read(ctx, s, (const int64_t[]){0}, 1, &x), GL_OK);
    genlab_data_spec spec;
    genlab_imageset_spec(s, &spec);
    ck_assert_int_eq(genlab_tensor_dim(x, 3), spec.width);
    genlab_imageset_destroy(s);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* create errors: the source, the configuration, the first item */
START_TEST(test_set_create_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    synth d = synth_make(10, 10, 3);
    genlab_imageset *s = (genlab_imageset *)&d;
    /* the decoder fails on item 0 */
    d.fail_item = 0;
    ck_assert_int_eq(make_set(ctx, &d, 4, NULL, &s), GL_ERR_IO);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "dataset synth: item 0: cannot read synth/0.png"),
                  "%s", genlab_ctx_errmsg(ctx));
    genlab_ctx_clear_error(ctx);
    /* no items */
    d.fail_item = -1;
    ck_assert_int_eq(make_set(ctx, &d, 0, NULL, &s), GL_ERR_INVALID);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "n_items 0"), "%s", genlab_ctx_errmsg(ctx));
    genlab_ctx_clear_error(ctx);
    /* a scope without the transform keys */
    static const genlab_param_def other[] = {
        {.name = "dir", .type = GL_PARAM_STRING, .def = "", .help = "where"},
    };
    genlab_config *cfg = NULL;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(cfg, "dataset", other, 1), GL_OK);
    ck_assert_int_eq(genlab_config_resolve(cfg, NULL), GL_OK);
    genlab_imageset_source src = {.name = "synth", .n_items = 2, .decode = synth_decode,
                                  .user = &d};
    ck_assert_int_eq(genlab_imageset_create(ctx, genlab_config_scope(cfg, "dataset"), &src, &s),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "lacks the image transform keys"), "%s",
                  genlab_ctx_errmsg(ctx));
    genlab_config_destroy(cfg);
    genlab_ctx_clear_error(ctx);
    /* only the first create got as far as decoding */
    ck_assert_int_eq(d.calls[0], 1);
    genlab_ctx_destroy(ctx);
}
END_TEST

static genlab_status bad_decode(genlab_ctx *ctx, void *user, int64_t item, genlab_image *out)
{
    *out = (genlab_image){.width = 3, .height = 3, .channels = 2};
    return GL_OK;
}

START_TEST(test_set_bad_decoder)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_config *cfg = make_config(NULL);
    genlab_imageset_source src = {.name = "bad", .n_items = 2, .decode = bad_decode};
    genlab_imageset *s = NULL;
    ck_assert_int_eq(genlab_imageset_create(ctx, genlab_config_scope(cfg, "dataset"), &src, &s),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx),
                         "dataset bad: item 0: the decoder returned a malformed image (3 x 3 x 2)"),
                  "%s", genlab_ctx_errmsg(ctx));
    genlab_config_destroy(cfg);
    genlab_ctx_destroy(ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("image_transform");
    TCase *tc = tcase_create("golden");
    tcase_add_loop_test(tc, test_golden_resize, 0, (int)(3 * RESIZE_PER_FILTER));
    tcase_add_loop_test(tc, test_golden_convert, 0, (int)N(convert_cases));
    tcase_add_loop_test(tc, test_golden_crop, 0, (int)N(crop_cases));
    tcase_add_test(tc, test_golden_version);
    suite_add_tcase(s, tc);
    tc = tcase_create("properties");
    tcase_add_test(tc, test_identity_resize);
    tcase_add_test(tc, test_constant_resize);
    tcase_add_test(tc, test_flip);
    tcase_add_test(tc, test_to_chw);
    tcase_add_test(tc, test_convert_round_trip);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_image_errors, 0, (int)N(image_errors));
    tcase_add_test(tc, test_filter_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("imageset");
    tcase_add_loop_test(tc, test_set_cache, 0, 2);
    tcase_add_test(tc, test_set_cache_limit);
    tcase_add_loop_test(tc, test_set_shape, 0, (int)N(shape_cases));
    tcase_add_loop_test(tc, test_set_pipeline, 0, 6);
    tcase_add_loop_test(tc, test_set_flip, 0, 2);
    tcase_add_loop_test(tc, test_set_read_errors, 0, (int)N(read_errors));
    tcase_add_test(tc, test_set_create_errors);
    tcase_add_test(tc, test_set_bad_decoder);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
