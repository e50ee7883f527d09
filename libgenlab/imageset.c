/* SPDX-License-Identifier: MIT
 *
 * imageset.c — the image pipeline every image dataset shares (dataset.h):
 * decode -> channels -> resize -> center crop -> [uint8 cache] -> random
 * flip -> floats, batch by batch.
 *
 * The cache holds the transformed images as the decoder's layout keeps them
 * (interleaved HWC uint8, genlab_image's), one slot of C * H * W bytes per
 * item in one allocation, with a bitmap of the slots filled so far; it is
 * filled lazily, on an item's first read. Interleaved, because a cached
 * slot is then a genlab_image as it is and the flip and the conversion to
 * floats are the ones of image.h. Flips are never cached: they are drawn
 * anew at every read.
 *
 * Not here: the transforms themselves (image_transform.c, image_resize.c),
 * file formats (the dataset plugins' decode callbacks), shuffling (the run
 * loop's batch source).
 *
 * Sections: choices, transforms, create and destroy, reading.
 */
#include <stdlib.h>
#include <string.h>

#include "image_impl.h"
#include "internal.h"

/* ---- choices ---- */

/* indexed by genlab_value_range; genlab_resize_choices is defined with the
 * filters, in image_resize.c */
const char *const genlab_range_choices[] = {"signed", "unit", NULL};

struct genlab_imageset {
    genlab_imageset_source src;     /* src.name is our copy */
    /* the transform keys */
    int32_t              want_channels;  /* 0: as decoded */
    int32_t              size;           /* 0: no resize */
    int32_t              crop;           /* crop x crop; 0: none */
    genlab_resize_filter filter;
    bool                 flip;
    genlab_value_range   range;
    /* the shape every item comes out with */
    int32_t              C, H, W;
    size_t               item_bytes;     /* C * H * W */
    uint8_t             *cache;          /* (n_items, H, W, C), or NULL: streamed */
    uint64_t            *filled;         /* (ceil(n_items / 64),) bitmap of cache slots */
    genlab_image         scratch;        /* a cached item's copy, to flip */
};

/* index of s in a NULL-terminated list, or -1 */
static int choice_index(const char *const *list, const char *s)
{
    for (int i = 0; s && list[i]; i++)
        if (!strcmp(list[i], s))
            return i;
    return -1;
}

/* ---- transforms ---- */

/* replace *img by the result of a transform that wrote into *next */
static genlab_status adopt(genlab_status st, genlab_image *img, genlab_image *next)
{
    if (st == GL_OK) {
        genlab_image_free(img);
        *img = *next;
    }
    return st;
}

/* the short side to `size`, the long one size * long / short rounded down
 * (torchvision's Resize(int)); an integer division equals Python's
 * int(size * long / short), as no quotient of these sizes lies within a
 * double's rounding of an integer */
static void resized_shape(int32_t size, int32_t w, int32_t h, int32_t *rw, int32_t *rh)
{
    int64_t lng = (int64_t)size * (w > h ? w : h) / (w > h ? h : w);
    *rw = w > h ? (int32_t)(lng < INT32_MAX ? lng : INT32_MAX) : size;
    *rh = w > h ? size : (int32_t)(lng < INT32_MAX ? lng : INT32_MAX);
}

/* transform_item — decode item and apply the transforms into *out (a new
 * image; empty on failure). Errors are left without the item's name:
 * load_item adds it. shape_known: the set's shape is known (after create),
 * so a different one is the item's fault (GL_ERR_SHAPE). */
static genlab_status transform_item(genlab_ctx *ctx, const genlab_imageset *s, int64_t item,
                                    bool shape_known, genlab_image *out)
{
    genlab_image img = {0}, next = {0};
    genlab_status st = s->src.decode(ctx, s->src.user, item, &img);
    if (st != GL_OK)
        goto fail;
    if (!gl_image_valid(&img)) {
        st = genlab_errorf(ctx, GL_ERR_INVALID,
                           "the decoder returned a malformed image (%d x %d x %d)", img.width,
                           img.height, img.channels);
        goto fail;
    }
    if (s->want_channels && img.channels != s->want_channels &&
        (st = adopt(genlab_image_convert(ctx, &img, s->want_channels, &next), &img, &next)))
        goto fail;
    if (s->size) {
        int32_t w, h;
        resized_shape(s->size, img.width, img.height, &w, &h);
        if ((w != img.width || h != img.height) &&
            (st = adopt(genlab_image_resize(ctx, &img, w, h, s->filter, &next), &img, &next)))
            goto fail;
    }
    if (s->crop) {
        if (s->crop > img.width || s->crop > img.height) {
            st = genlab_errorf(ctx, shape_known ? GL_ERR_SHAPE : GL_ERR_INVALID,
                               "crop %d x %d is larger than the %simage, %d x %d", s->crop,
                               s->crop, s->size ? "resized " : "", img.width, img.height);
            goto fail;
        }
        if ((s->crop != img.width || s->crop != img.height) &&
            (st = adopt(genlab_image_center_crop(ctx, &img, s->crop, s->crop, &next), &img,
                        &next)))
            goto fail;
    }
    if (shape_known && (img.channels != s->C || img.height != s->H || img.width != s->W)) {
        st = genlab_errorf(ctx, GL_ERR_SHAPE,
                           "its image is %d x %d x %d (H x W x C) where the first item's is "
                           "%d x %d x %d; set size and crop for images of mixed sizes, "
                           "channels for mixed channels",
                           img.height, img.width, img.channels, s->H, s->W, s->C);
        goto fail;
    }
    *out = img;
    return GL_OK;
fail:
    genlab_image_free(&img);
    *out = (genlab_image){0};
    return st;
}

/* load_item — transform_item, with the dataset and the item named in front
 * of any error (the decoder's included). The context must be free of
 * errors: its message is rewritten. */
static genlab_status load_item(genlab_ctx *ctx, const genlab_imageset *s, int64_t item,
                               bool shape_known, genlab_image *out)
{
    genlab_status st = transform_item(ctx, s, item, shape_known, out);
    if (st == GL_OK)
        return GL_OK;
    /* a decoder that failed without a message still gets one */
    char *why = strdup(genlab_ctx_status(ctx) != GL_OK ? genlab_ctx_errmsg(ctx)
                                                       : genlab_status_str(st));
    genlab_ctx_clear_error(ctx);
    genlab_errorf(ctx, st, "dataset %s: item %lld: %s", s->src.name, (long long)item,
                  why ? why : genlab_status_str(st));
    free(why);
    return st;
}

/* ---- create and destroy ---- */

/* read the transform keys of cfg into s; GL_ERR_INVALID when cfg lacks them */
static genlab_status read_keys(genlab_ctx *ctx, const genlab_config *cfg, genlab_imageset *s,
                               int64_t *cache_mb)
{
    genlab_status before = genlab_config_status(cfg);
    s->want_channels = (int32_t)genlab_config_int(cfg, "channels");
    s->size = (int32_t)genlab_config_int(cfg, "size");
    s->crop = (int32_t)genlab_config_int(cfg, "crop");
    s->flip = genlab_config_bool(cfg, "flip");
    *cache_mb = genlab_config_int(cfg, "cache_mb");
    int filter = choice_index(genlab_resize_choices, genlab_config_str(cfg, "resize"));
    int range = choice_index(genlab_range_choices, genlab_config_str(cfg, "range"));
    if (before == GL_OK && genlab_config_status(cfg) != GL_OK)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "dataset %s: its configuration lacks the image transform keys "
                             "(GL_IMAGE_TRANSFORM_PARAMS): %s",
                             s->src.name, genlab_config_errmsg(cfg));
    /* the declared bounds let channels be 2; a table declaring the keys
     * otherwise than GL_IMAGE_TRANSFORM_PARAMS may let anything through */
    if ((s->want_channels != 0 && s->want_channels != 1 && s->want_channels != 3) ||
        s->size < 0 || s->crop < 0 || *cache_mb < 0 || filter < 0 || range < 0)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "dataset %s: channels %d (0, 1 or 3), size %d, crop %d, cache_mb "
                             "%lld, resize \"%s\" or range \"%s\" is not allowed",
                             s->src.name, s->want_channels, s->size, s->crop,
                             (long long)*cache_mb, genlab_config_str(cfg, "resize"),
                             genlab_config_str(cfg, "range"));
    if (s->crop == 0)
        s->crop = s->size;
    s->filter = (genlab_resize_filter)filter;
    s->range = (genlab_value_range)range;
    return GL_OK;
}

/* set up the cache when n_items slots of item_bytes fit in cache_mb MiB */
static genlab_status cache_init(genlab_ctx *ctx, genlab_imageset *s, int64_t cache_mb)
{
    int64_t limit = cache_mb > INT64_MAX >> 20 ? INT64_MAX : cache_mb << 20;
    if (s->src.n_items > limit / (int64_t)s->item_bytes)
        return GL_OK;
    size_t words = ((size_t)s->src.n_items + 63) / 64;
    s->cache = malloc((size_t)s->src.n_items * s->item_bytes);
    s->filled = calloc(words, sizeof *s->filled);
    if (!s->cache || !s->filled)
        return genlab_errorf(ctx, GL_ERR_NOMEM,
                             "dataset %s: out of memory for its %lld MiB image cache; lower "
                             "cache_mb to stream it from disk",
                             s->src.name,
                             (long long)(((int64_t)s->item_bytes * s->src.n_items) >> 20));
    return GL_OK;
}

/* store img as item's cache slot */
static void cache_put(genlab_imageset *s, int64_t item, const genlab_image *img)
{
    memcpy(s->cache + (size_t)item * s->item_bytes, img->data, s->item_bytes);
    s->filled[item / 64] |= (uint64_t)1 << (item % 64);
}

static bool cache_has(const genlab_imageset *s, int64_t item)
{
    return s->filled[item / 64] >> (item % 64) & 1;
}

genlab_status genlab_imageset_create(genlab_ctx *ctx, const genlab_config *cfg,
                                     const genlab_imageset_source *src, genlab_imageset **out)
{
    *out = NULL;
    if (genlab_ctx_status(ctx) != GL_OK)
        return genlab_ctx_status(ctx);
    if (!cfg || !src || !src->name || !src->decode || src->n_items < 1)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "imageset_create: a configuration and a source with a name, a "
                             "decoder and at least one item are needed (n_items %lld)",
                             src ? (long long)src->n_items : 0LL);
    genlab_imageset *s = calloc(1, sizeof *s);
    if (!s || !(s->src.name = strdup(src->name))) {
        free(s);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "imageset_create: out of memory");
    }
    s->src.n_items = src->n_items;
    s->src.decode = src->decode;
    s->src.user = src->user;
    int64_t cache_mb = 0;
    genlab_image first = {0};
    if (read_keys(ctx, cfg, s, &cache_mb) != GL_OK || load_item(ctx, s, 0, false, &first) != GL_OK)
        goto fail;
    s->C = first.channels;
    s->H = first.height;
    s->W = first.width;
    s->item_bytes = (size_t)s->C * s->H * s->W;
    if (cache_init(ctx, s, cache_mb) != GL_OK)
        goto fail;
    if (s->cache)
        cache_put(s, 0, &first);
    genlab_image_free(&first);
    *out = s;
    return GL_OK;
fail:
    genlab_image_free(&first);
    genlab_imageset_destroy(s);
    return genlab_ctx_status(ctx);
}

void genlab_imageset_destroy(genlab_imageset *s)
{
    if (!s)
        return;
    free((char *)s->src.name);
    free(s->cache);
    free(s->filled);
    genlab_image_free(&s->scratch);
    free(s);
}

void genlab_imageset_spec(const genlab_imageset *s, genlab_data_spec *spec)
{
    spec->channels = s->C;
    spec->height = s->H;
    spec->width = s->W;
    spec->n_items = s->src.n_items;
}

bool genlab_imageset_cached(const genlab_imageset *s)
{
    return s->cache != NULL;
}

/* ---- reading ---- */

/* read_one — item's transformed image, flipped when flip is set, as floats
 * at dst (C * H * W). */
static genlab_status read_one(genlab_ctx *ctx, genlab_imageset *s, int64_t item, bool flip,
                              float *dst)
{
    genlab_image img = {0};
    if (!s->cache || !cache_has(s, item)) {
        if (load_item(ctx, s, item, true, &img) != GL_OK)
            return genlab_ctx_status(ctx);
        if (s->cache)
            cache_put(s, item, &img);
    } else {
        /* a view of the slot; a flip works on a copy so the cache stays as
         * it was decoded */
        genlab_image slot = {s->W, s->H, s->C, s->cache + (size_t)item * s->item_bytes};
        if (!flip) {
            genlab_image_to_chw(&slot, s->range, dst);
            return GL_OK;
        }
        if (!s->scratch.data &&
            genlab_image_alloc(ctx, &s->scratch, s->W, s->H, s->C) != GL_OK)
            return genlab_ctx_status(ctx);
        memcpy(s->scratch.data, slot.data, s->item_bytes);
        img = s->scratch;
    }
    if (flip)
        genlab_image_flip_h(&img);
    genlab_image_to_chw(&img, s->range, dst);
    if (img.data != s->scratch.data)
        genlab_image_free(&img);
    return GL_OK;
}

genlab_status genlab_imageset_read(genlab_ctx *ctx, genlab_imageset *s, const int64_t *items,
                                   int64_t n, genlab_tensor **x)
{
    *x = NULL;
    if (genlab_ctx_status(ctx) != GL_OK)
        return genlab_ctx_status(ctx);
    if (!s || !items || n < 1)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "imageset_read: an image set and n >= 1 items are needed (n %lld)",
                             (long long)n);
    for (int64_t i = 0; i < n; i++)
        if (items[i] < 0 || items[i] >= s->src.n_items)
            return genlab_errorf(ctx, GL_ERR_INVALID,
                                 "dataset %s: item %lld (batch entry %lld) is out of range: it "
                                 "has %lld items",
                                 s->src.name, (long long)items[i], (long long)i,
                                 (long long)s->src.n_items);
    genlab_tensor *t = gl_new(ctx, GL_F32, 4, (const int64_t[]){n, s->C, s->H, s->W});
    if (!t)
        return genlab_ctx_status(ctx);
    /* one uniform per item, all drawn before any decoding (a decoder cannot
     * shift them); nothing drawn without flips */
    const float *u = NULL;
    if (s->flip) {
        genlab_tensor *ut = gl_new(ctx, GL_F32, 1, &n);
        if (!ut || genlab_rng_fill(ctx, ut, GL_STREAM_DATA, 0, 0.0f, 1.0f) != GL_OK)
            return genlab_ctx_status(ctx);
        u = gl_f32(ut);
    }
    float *dst = gl_f32(t);
    for (int64_t i = 0; i < n; i++)
        if (read_one(ctx, s, items[i], u && u[i] < 0.5f, dst + (size_t)i * s->item_bytes) !=
            GL_OK)
            return genlab_ctx_status(ctx);
    *x = t;
    return GL_OK;
}
