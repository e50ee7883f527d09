/* SPDX-License-Identifier: MIT
 *
 * idx.c — the dataset plugin "idx": images and labels in LeCun's IDX
 * format, as MNIST, Fashion-MNIST, KMNIST and EMNIST ship them, raw or
 * gzip-compressed (told by content). Items are 1-channel images; the image
 * pipeline of dataset.h transforms, caches and batches them.
 *
 * An IDX file is a 4-byte magic 00 00 <type> <ndim>, ndim big-endian
 * uint32 dimensions, then the product of the dimensions in elements,
 * row-major. Only unsigned bytes (type 0x08) are read: images are
 * 0x00000803 (count, rows, cols), labels 0x00000801 (count). The data must
 * be exactly as long as the header says; anything after it is refused.
 *
 * Not here: other element types (EMNIST's are all bytes), and files of
 * several splits at once. doc/datasets.md documents the parameters.
 *
 * Sections: parsing (memory only, what fuzz/fuzz_idx.c drives), files,
 * the dataset, the descriptor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datacommon.h"

/* ---- parsing ---- */

#define IDX_TYPE_U8 0x08

/* one IDX file of unsigned bytes, parsed */
typedef struct idx_file {
    int      ndim;
    uint32_t dims[3];          /* (count, rows, cols) or (count) */
    uint8_t *data;             /* (dims...) elements, malloc */
    size_t   size;             /* bytes in data */
} idx_file;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* idx_parse — bytes[0..size) (raw or gzip) as an IDX file of unsigned
 * bytes with ndim dimensions (3: images, 1: labels). name is the file, for
 * messages. OUT: *out (free out->data). GL_ERR_FORMAT for anything else:
 * another magic, a zero or oversized dimension, data shorter or longer than
 * the header says, a corrupt or truncated gzip stream. */
static genlab_status idx_parse(genlab_ctx *ctx, const char *name, const uint8_t *bytes,
                               size_t size, int ndim, idx_file *out)
{
    *out = (idx_file){.ndim = ndim};
    const char *kind = ndim == 3 ? "an image file" : "a label file";
    uint32_t want = (uint32_t)IDX_TYPE_U8 << 8 | (uint32_t)ndim;
    gl_dc_stream s;
    genlab_status st = gl_dc_stream_open(ctx, &s, "idx", name, bytes, size);
    uint8_t head[4 + 4 * 3];
    size_t nhead = 4 + 4 * (size_t)ndim;
    if (st == GL_OK)
        st = gl_dc_stream_exact(ctx, &s, head, nhead, "IDX header");
    if (st == GL_OK && be32(head) != want)
        st = genlab_errorf(ctx, GL_ERR_FORMAT,
                           "idx: \"%s\": magic 0x%08x, expected 0x%08x (unsigned bytes, %d "
                           "dimension%s: %s)",
                           name, be32(head), want, ndim, ndim > 1 ? "s" : "", kind);
    /* every dimension at least 1; an image within the decoders' pixel limit;
     * the whole payload within GL_DC_MAX_BYTES (no overflow: each factor is
     * bounded before it is multiplied) */
    uint64_t total = 1;
    for (int i = 0; st == GL_OK && i < ndim; i++) {
        out->dims[i] = be32(head + 4 + 4 * i);
        if (out->dims[i] == 0)
            st = genlab_errorf(ctx, GL_ERR_FORMAT, "idx: \"%s\": dimension %d is 0", name, i);
        total *= out->dims[i];
        if (st == GL_OK && total > GL_DC_MAX_BYTES)
            st = genlab_errorf(ctx, GL_ERR_FORMAT,
                               "idx: \"%s\": the header announces more than %llu bytes", name,
                               (unsigned long long)GL_DC_MAX_BYTES);
    }
    if (st == GL_OK && ndim == 3 && (uint64_t)out->dims[1] * out->dims[2] > GL_IMAGE_MAX_PIXELS)
        st = genlab_errorf(ctx, GL_ERR_FORMAT, "idx: \"%s\": %u x %u images (at most %lld pixels)",
                           name, out->dims[1], out->dims[2], (long long)GL_IMAGE_MAX_PIXELS);
    if (st == GL_OK && out->dims[0] > INT32_MAX)
        st = genlab_errorf(ctx, GL_ERR_FORMAT, "idx: \"%s\": %u items (at most %d)", name,
                           out->dims[0], INT32_MAX);
    char expected[96];
    snprintf(expected, sizeof expected, "%zu + %llu bytes the header announces", nhead,
             (unsigned long long)total);
    if (st == GL_OK)
        st = gl_dc_stream_alloc(ctx, &s, (size_t)total, expected, &out->data);
    if (st == GL_OK)
        st = gl_dc_stream_end(ctx, &s, expected);
    gl_dc_stream_close(&s);
    if (st != GL_OK) {
        free(out->data);
        *out = (idx_file){0};
        return st;
    }
    out->size = (size_t)total;
    return GL_OK;
}

/* idx_check_labels — every label below classes (when classes > 0).
 * OUT: *n_classes = classes, or the largest label + 1 when classes is 0. */
static genlab_status idx_check_labels(genlab_ctx *ctx, const char *name, const idx_file *labels,
                                      int64_t classes, int32_t *n_classes)
{
    int32_t top = 0;
    for (size_t i = 0; i < labels->size; i++) {
        if (classes > 0 && labels->data[i] >= classes)
            return genlab_errorf(ctx, GL_ERR_FORMAT,
                                 "idx: \"%s\": item %zu has label %u, not below classes = %lld",
                                 name, i, labels->data[i], (long long)classes);
        if (labels->data[i] > top)
            top = labels->data[i];
    }
    *n_classes = classes > 0 ? (int32_t)classes : top + 1;
    return GL_OK;
}

/* ---- files ---- */

/* the default file names of a split; "" in a parameter means these */
static const char *const default_images[2] = {"train-images-idx3-ubyte.gz",
                                              "t10k-images-idx3-ubyte.gz"};
static const char *const default_labels[2] = {"train-labels-idx1-ubyte.gz",
                                              "t10k-labels-idx1-ubyte.gz"};

/* idx_locate — the path of a file: the given name (relative to dir unless
 * absolute), or, when none is given, the default name, falling back to it
 * without ".gz" when only an uncompressed copy exists. OUT: *path (malloc). */
static genlab_status idx_locate(genlab_ctx *ctx, const char *dir, const char *given,
                                const char *def, char **path)
{
    *path = gl_dc_path(dir, given[0] ? given : def);
    if (!*path)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "idx: out of memory");
    if (given[0] || access(*path, F_OK) == 0 || errno != ENOENT)
        return GL_OK;
    char *raw = strdup(*path);
    if (!raw)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "idx: out of memory");
    raw[strlen(raw) - 3] = '\0';   /* the default names end in ".gz" */
    if (access(raw, F_OK) == 0) {
        free(*path);
        *path = raw;
        return GL_OK;
    }
    free(raw);
    return genlab_errorf(ctx, GL_ERR_IO, "idx: no file \"%s\" (nor without .gz)%s", *path,
                         strcmp(dir, "/usr/share/datasets/fashion-mnist") == 0
                             ? "; Debian: apt install dataset-fashion-mnist, or set dir"
                             : "");
}

/* idx_load — read, hash and parse the file at path. OUT: *f, hex */
static genlab_status idx_load(genlab_ctx *ctx, const char *path, int ndim, idx_file *f,
                              char hex[2 * SHA256_DIGEST_SIZE + 1])
{
    uint8_t *bytes;
    size_t size;
    genlab_status st = gl_dc_slurp(ctx, "idx", path, &bytes, &size);
    if (st != GL_OK)
        return st;
    gl_dc_sha256_hex(bytes, size, hex);
    st = idx_parse(ctx, path, bytes, size, ndim, f);
    free(bytes);
    return st;
}

/* ---- the dataset ---- */

typedef struct idx_state {
    char            *images_path, *labels_path;    /* labels_path NULL: unlabelled */
    idx_file         images, labels;
    int32_t         *y;                            /* (n) or NULL */
    genlab_imageset *set;
    char             identity[128];
} idx_state;

static void idx_close(void *state)
{
    idx_state *d = state;
    if (!d)
        return;
    genlab_imageset_destroy(d->set);
    free(d->images.data);
    free(d->labels.data);
    free(d->y);
    free(d->images_path);
    free(d->labels_path);
    free(d);
}

static genlab_status idx_decode(genlab_ctx *ctx, void *user, int64_t item, genlab_image *out)
{
    const idx_state *d = user;
    int32_t rows = (int32_t)d->images.dims[1], cols = (int32_t)d->images.dims[2];
    genlab_status st = genlab_image_alloc(ctx, out, cols, rows, 1);
    if (st == GL_OK)
        memcpy(out->data, d->images.data + (size_t)item * rows * cols, (size_t)rows * cols);
    return st;
}

/* idx_open_files — everything open() does but the image set */
static genlab_status idx_open_files(genlab_ctx *ctx, const genlab_config *cfg, int split,
                                    idx_state *d, int32_t *n_classes)
{
    const char *dir = genlab_config_str(cfg, "dir");
    const char *labels = genlab_config_str(cfg, "labels");
    bool labelled = strcmp(labels, "none") != 0;
    char hex[2][2 * SHA256_DIGEST_SIZE + 1];
    genlab_status st = idx_locate(ctx, dir, genlab_config_str(cfg, "images"),
                                  default_images[split], &d->images_path);
    if (st == GL_OK)
        st = idx_load(ctx, d->images_path, 3, &d->images, hex[0]);
    if (st == GL_OK && labelled)
        st = idx_locate(ctx, dir, labels, default_labels[split], &d->labels_path);
    if (st == GL_OK && labelled)
        st = idx_load(ctx, d->labels_path, 1, &d->labels, hex[1]);
    if (st != GL_OK)
        return st;
    *n_classes = 0;
    if (labelled) {
        if (d->labels.dims[0] != d->images.dims[0])
            return genlab_errorf(ctx, GL_ERR_FORMAT,
                                 "idx: \"%s\" has %u images but \"%s\" has %u labels",
                                 d->images_path, d->images.dims[0], d->labels_path,
                                 d->labels.dims[0]);
        st = idx_check_labels(ctx, d->labels_path, &d->labels,
                              genlab_config_int(cfg, "classes"), n_classes);
        if (st != GL_OK)
            return st;
        d->y = malloc(d->labels.size * sizeof *d->y);
        if (!d->y)
            return genlab_errorf(ctx, GL_ERR_NOMEM, "idx: out of memory for labels");
        for (size_t i = 0; i < d->labels.size; i++)
            d->y[i] = d->labels.data[i];
    }
    gl_dc_manifest m;
    gl_dc_manifest_init(&m);
    gl_dc_manifest_add(&m, d->images_path, hex[0]);
    if (labelled)
        gl_dc_manifest_add(&m, d->labels_path, hex[1]);
    gl_dc_manifest_identity(&m, "idx", d->identity, sizeof d->identity);
    return GL_OK;
}

static genlab_status idx_open(const genlab_host *host, const genlab_config *cfg,
                              const char *split, genlab_data_spec *spec, void **state)
{
    genlab_ctx *ctx = host->ctx;
    *state = NULL;
    int which = gl_dc_split(ctx, "idx", split);
    if (which < 0)
        return genlab_ctx_status(ctx);
    idx_state *d = calloc(1, sizeof *d);
    if (!d)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "idx: out of memory");
    int32_t n_classes = 0;
    genlab_status st = idx_open_files(ctx, cfg, which, d, &n_classes);
    if (st == GL_OK) {
        genlab_imageset_source src = {.name = d->images_path, .n_items = d->images.dims[0],
                                      .decode = idx_decode, .user = d};
        st = genlab_imageset_create(ctx, cfg, &src, &d->set);
    }
    if (st != GL_OK) {
        idx_close(d);
        return st;
    }
    genlab_imageset_spec(d->set, spec);
    spec->n_classes = n_classes;
    *state = d;
    return GL_OK;
}

static genlab_status idx_read(genlab_ctx *ctx, void *state, const int64_t *indices, int64_t n,
                              genlab_batch *out)
{
    idx_state *d = state;
    return gl_dc_read(ctx, d->set, d->y, indices, n, out);
}

static const char *idx_identity(void *state) { return ((const idx_state *)state)->identity; }

/* ---- the descriptor ---- */

static const genlab_param_def idx_params[] = {
    {.name = "dir", .type = GL_PARAM_STRING, .def = "/usr/share/datasets/fashion-mnist",
     .help = "directory of the IDX files (default: Debian's dataset-fashion-mnist)"},
    {.name = "images", .type = GL_PARAM_STRING, .def = "",
     .help = "image file in dir (or absolute); \"\": train-images-idx3-ubyte.gz or "
             "t10k-images-idx3-ubyte.gz by split, without .gz if only that exists"},
    {.name = "labels", .type = GL_PARAM_STRING, .def = "",
     .help = "label file as for images (\"\": train-/t10k-labels-idx1-ubyte[.gz]); "
             "\"none\": unlabelled"},
    {.name = "classes", .type = GL_PARAM_INT, .def = "10", .min = "0", .max = "256",
     .help = "number of classes: labels must be below it; 0: the largest label + 1"},
    GL_IMAGE_TRANSFORM_PARAMS,
};

static const genlab_dataset_i idx_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_dataset_i),
    .open = idx_open, .close = idx_close, .read = idx_read, .identity = idx_identity,
};

static const genlab_component idx_component = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_DATASET, .name = "idx",
    .doc = "IDX image and label files, raw or gzip (MNIST, Fashion-MNIST)",
    GL_PARAMS(idx_params), .iface = &idx_iface,
};

static const genlab_component *const idx_components[] = {&idx_component, NULL};

static const genlab_module idx_module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "idx", .version = "1.0.0", .components = idx_components,
};

GENLAB_PLUGIN(idx_module)
