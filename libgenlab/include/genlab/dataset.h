/* SPDX-License-Identifier: MIT
 *
 * dataset.h — what image dataset plugins share: the transform parameters
 * every one of them offers, and the image set that applies them, keeps the
 * result as uint8 in memory and turns items into float batches.
 *
 * A dataset plugin (plugin.h, genlab_dataset_i) knows its files and how to
 * decode item i into a genlab_image. Everything after that is here, so
 * `idx`, `cifar10` and `imagefolder` transform, cache and batch alike:
 *
 *     decode(i) -> channels -> resize -> center crop -> [cache, uint8]
 *               -> random flip -> floats in the chosen range -> batch
 *
 * The transform keys (GL_IMAGE_TRANSFORM_PARAMS, in the dataset's scope):
 *   channels  0 (as decoded), 1 or 3: genlab_image_convert
 *   size      0: keep; else resize so the shorter side is `size` pixels and
 *             the longer one size * long / short (rounded down), as
 *             torchvision's Resize(int) does
 *   resize    area | bilinear | bicubic (image.h), default bilinear (as
 *             torchvision's Resize)
 *   crop      center crop to crop x crop; 0: to size x size when size is
 *             set (so Resize(64) + CenterCrop(64) is just size=64), else none
 *   flip      random horizontal flip with probability 1/2
 *   range     signed ([-1, 1], default) | unit ([0, 1])
 *   cache_mb  the most memory the uint8 cache may take, in MiB (default
 *             4096). A set whose transformed images fit is cached: each
 *             item is decoded and transformed once, on first use. One that
 *             does not fit is decoded on every read (streamed from disk).
 *
 * Every item must come out with the same shape; one that does not (a folder
 * of mixed sizes without size/crop) is an error naming the item. Every
 * error about an item, the decoder's included, starts "dataset <name>:
 * item <i>: ".
 *
 * Randomness: when flip is on, reading draws one uniform number u in [0, 1)
 * per item from the context's GL_STREAM_DATA (genlab_rng_fill, n numbers
 * for n items, in batch order, before any item is decoded) and flips the
 * items with u < 1/2, so a batch's flips depend only on the stream's
 * position (which the run loop saves in checkpoints). With flip off nothing
 * is drawn. Flips are applied after the cache: a cached item is flipped
 * anew at each read.
 *
 * Threads: an image set is used by one thread at a time (the run loop's
 * prefetch thread).
 */
#ifndef GENLAB_DATASET_H
#define GENLAB_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "context.h"
#include "image.h"
#include "plugin.h"
#include "status.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The choices of the `resize` and `range` keys (NULL-terminated). */
extern const char *const genlab_resize_choices[];
extern const char *const genlab_range_choices[];

/* GL_IMAGE_TRANSFORM_PARAMS — the transform keys above as parameter
 * definitions, to put in a dataset component's static table:
 *     static const genlab_param_def params[] = {
 *         {.name = "dir", ...},
 *         GL_IMAGE_TRANSFORM_PARAMS
 *     };                                                                   */
#define GL_IMAGE_TRANSFORM_PARAMS                                                              \
    {.name = "channels", .type = GL_PARAM_INT, .def = "0", .min = "0", .max = "3",             \
     .help = "1 (gray) or 3 (RGB) channels; 0: as decoded"},                                   \
    {.name = "size", .type = GL_PARAM_INT, .def = "0", .min = "0", .max = "8192",              \
     .help = "resize so the shorter side has this many pixels; 0: keep"},                      \
    {.name = "resize", .type = GL_PARAM_ENUM, .def = "bilinear",                               \
     .choices = genlab_resize_choices, .help = "resampling filter (as Pillow's)"},             \
    {.name = "crop", .type = GL_PARAM_INT, .def = "0", .min = "0", .max = "8192",              \
     .help = "center crop to crop x crop; 0: size x size when size is set"},                   \
    {.name = "flip", .type = GL_PARAM_BOOL, .def = "false", .flags = GL_PARAM_AUGMENT,         \
     .help = "random horizontal flip (p = 1/2)"},                                              \
    {.name = "range", .type = GL_PARAM_ENUM, .def = "signed", .choices = genlab_range_choices, \
     .help = "pixel values: signed [-1, 1] or unit [0, 1]"},                                   \
    {.name = "cache_mb", .type = GL_PARAM_INT, .def = "4096", .min = "0", .max = "1048576",    \
     .help = "cache decoded images in memory up to this size (MiB); 0: never"}

/* Decode item `item` (in [0, n_items)) into *out (a new image the image
 * set frees). Errors go to ctx, naming the item's file. */
typedef genlab_status (*genlab_imageset_decode_fn)(genlab_ctx *ctx, void *user, int64_t item,
                                                   genlab_image *out);

/* Where an image set's items come from. */
typedef struct genlab_imageset_source {
    const char               *name;     /* for messages: the dataset's file or directory */
    int64_t                   n_items;  /* >= 1 */
    genlab_imageset_decode_fn decode;
    void                     *user;     /* passed to decode */
} genlab_imageset_source;

typedef struct genlab_imageset genlab_imageset;

/* genlab_imageset_create — an image set over src with the transform keys
 * of cfg (the dataset's scope, declared with GL_IMAGE_TRANSFORM_PARAMS).
 * Decodes item 0 to learn the output shape. OUT: *out, freed with
 * genlab_imageset_destroy. When the set is cached, item 0 is kept there.
 * Errors: the decoder's; GL_ERR_INVALID for a crop larger than the
 * (resized) image, naming both sizes, for a configuration without the
 * transform keys or with channels 2, for a decoder that returns a malformed
 * image, or a source without name, decoder or items; GL_ERR_NOMEM when the
 * cache the set qualifies for cannot be allocated (lower cache_mb). */
genlab_status genlab_imageset_create(genlab_ctx *ctx, const genlab_config *cfg,
                                     const genlab_imageset_source *src, genlab_imageset **out);

/* genlab_imageset_destroy — free s and its cache. NULL is a no-op. */
void genlab_imageset_destroy(genlab_imageset *s);

/* genlab_imageset_spec — channels, height, width and n_items of the
 * batches s makes (n_classes is not written: it is the caller's). */
void genlab_imageset_spec(const genlab_imageset *s, genlab_data_spec *spec);

/* genlab_imageset_cached — whether s keeps its images in memory. */
bool genlab_imageset_cached(const genlab_imageset *s);

/* genlab_imageset_read — items[0..n) as an arena tensor (n, C, H, W)
 * float32 in *x (NULL on failure). A context that already holds an error
 * returns it at once. Errors: the decoder's; an item whose transformed
 * shape differs from the set's, or that is smaller than the crop
 * (GL_ERR_SHAPE naming it); an item out of range, n < 1 (GL_ERR_INVALID). */
genlab_status genlab_imageset_read(genlab_ctx *ctx, genlab_imageset *s, const int64_t *items,
                                   int64_t n, genlab_tensor **x);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_DATASET_H */
