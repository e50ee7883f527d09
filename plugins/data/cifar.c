/* SPDX-License-Identifier: MIT
 *
 * cifar.c — the dataset plugins "cifar10" and "cifar100": the binary
 * versions of CIFAR-10 and CIFAR-100 (Krizhevsky, 2009), files of
 * fixed-size records, raw or gzip-compressed (told by content).
 *
 *   cifar10   record = label (0..9), 1024 red, 1024 green, 1024 blue bytes
 *   cifar100  record = coarse label (0..19), fine label (0..99), then the
 *             same 3072 pixel bytes
 *
 * Each colour plane is 32 x 32, row-major; items decode to interleaved RGB
 * images for the image pipeline of dataset.h. A file must hold whole
 * records, and every label byte must be in range. A class filter keeps the
 * records of the named classes only and numbers them 0..k-1 in the order
 * named. doc/datasets.md documents the parameters.
 *
 * Not here: the Python-pickle versions of the datasets.
 *
 * Sections: class names, parsing (memory only, what fuzz/fuzz_cifar.c
 * drives), the dataset, the descriptors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datacommon.h"

#define CIFAR_SIDE   32
#define CIFAR_PLANE  (CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_PIXELS (3 * CIFAR_PLANE)

/* ---- class names (label order of batches.meta.txt / the meta files) ---- */

static const char *const cifar10_names[] = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
};

static const char *const cifar100_coarse_names[] = {
    "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
    "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
    "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people",
    "reptiles", "small_mammals", "trees", "vehicles_1", "vehicles_2",
};

static const char *const cifar100_fine_names[] = {
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone",
    "television", "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale",
    "willow_tree", "wolf", "woman", "worm",
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A record layout: its label bytes, the range of each, and which one is
 * the item's label with that label's class names. */
typedef struct cifar_layout {
    const char        *who;          /* component name, for messages */
    int                label_bytes;  /* 1 (CIFAR-10) or 2 (CIFAR-100) */
    int                range[2];     /* each label byte must be below this */
    int                use;          /* the label byte that is the item's label */
    const char *const *names;        /* names[range[use]] */
} cifar_layout;

static const cifar_layout cifar10_layout = {"cifar10", 1, {10, 0}, 0, cifar10_names};
static const cifar_layout cifar100_fine = {"cifar100", 2, {20, 100}, 1, cifar100_fine_names};
static const cifar_layout cifar100_coarse = {"cifar100", 2, {20, 100}, 0, cifar100_coarse_names};

/* ---- parsing ---- */

/* The items kept so far, over all files: planar pixels, labels after the
 * class filter. */
typedef struct cifar_items {
    uint8_t *pixels;    /* (n, 3, 32, 32) */
    int32_t *labels;    /* (n) */
    int64_t  n, cap;
} cifar_items;

static void cifar_items_free(cifar_items *it)
{
    free(it->pixels);
    free(it->labels);
    *it = (cifar_items){0};
}

static genlab_status cifar_items_grow(genlab_ctx *ctx, const char *who, cifar_items *it)
{
    int64_t cap = it->cap ? 2 * it->cap : 64;
    uint8_t *p = realloc(it->pixels, (size_t)cap * CIFAR_PIXELS);
    if (p)
        it->pixels = p;
    int32_t *l = p ? realloc(it->labels, (size_t)cap * sizeof *l) : NULL;
    if (!l)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for %lld images", who,
                             (long long)cap);
    it->labels = l;
    it->cap = cap;
    return GL_OK;
}

/* cifar_parse — the records of bytes[0..size) (raw or gzip), a file
 * called name, appended to *it. remap[label] is the item's new label, or
 * -1 to drop the record (NULL: keep every record as labelled). GL_ERR_FORMAT
 * for a size that is not a multiple of the record size (naming both), a
 * label byte out of range (naming the record), a bad gzip stream. */
static genlab_status cifar_parse(genlab_ctx *ctx, const cifar_layout *lay, const char *name,
                                 const uint8_t *bytes, size_t size, const int *remap,
                                 cifar_items *it)
{
    size_t rec = (size_t)lay->label_bytes + CIFAR_PIXELS;
    gl_dc_stream s;
    genlab_status st = gl_dc_stream_open(ctx, &s, lay->who, name, bytes, size);
    uint8_t buf[2 + CIFAR_PIXELS];
    for (int64_t r = 0; st == GL_OK; r++) {
        size_t got;
        st = gl_dc_stream_some(ctx, &s, buf, rec, &got);
        if (st != GL_OK || got == 0)
            break;
        if (got < rec) {
            st = genlab_errorf(ctx, GL_ERR_FORMAT,
                               "%s: \"%s\": %llu bytes, not a multiple of the record size %zu",
                               lay->who, name, (unsigned long long)s.out, rec);
            break;
        }
        for (int b = 0; b < lay->label_bytes && st == GL_OK; b++)
            if (buf[b] >= lay->range[b])
                st = genlab_errorf(ctx, GL_ERR_FORMAT,
                                   "%s: \"%s\": record %lld has %slabel %u (at most %d)",
                                   lay->who, name, (long long)r,
                                   lay->label_bytes == 1 ? "" : b == 0 ? "coarse " : "fine ",
                                   buf[b], lay->range[b] - 1);
        int label = buf[lay->use];
        if (st != GL_OK || (remap && remap[label] < 0))
            continue;
        if (it->n == it->cap && (st = cifar_items_grow(ctx, lay->who, it)) != GL_OK)
            break;
        memcpy(it->pixels + (size_t)it->n * CIFAR_PIXELS, buf + lay->label_bytes, CIFAR_PIXELS);
        it->labels[it->n++] = remap ? remap[label] : label;
    }
    gl_dc_stream_close(&s);
    return st;
}

/* known_names — the valid class names for a message about `bad`: all of
 * them when they fit (contexts keep 512-byte messages), else those with
 * bad's first letter and where to find the rest */
static void known_names(const cifar_layout *lay, const char *bad, char *out, size_t size)
{
    int n_names = lay->range[lay->use];
    size_t all = 0;
    for (int j = 0; j < n_names; j++)
        all += strlen(lay->names[j]) + 2;
    bool some = all + sizeof "known: " > size;
    size_t used = (size_t)snprintf(out, size, "known: ");
    for (int j = 0, k = 0; j < n_names && used < size; j++)
        if (!some || lay->names[j][0] == bad[0])
            used += (size_t)snprintf(out + used, size - used, "%s%s", k++ ? ", " : "",
                                     lay->names[j]);
    if (some && used < size)
        snprintf(out + used, size - used, "%s... %d names in all, listed in doc/datasets.md",
                 used > sizeof "known: " - 1 ? ", " : "", n_names);
}

/* cifar_filter — the class filter `classes` ("cat,dog") as remap[label]:
 * the name's position in the list, -1 for the classes left out.
 * OUT: *k, the number of classes kept (0: no filter, remap untouched).
 * Unknown or repeated names are GL_ERR_INVALID listing the valid names. */
static genlab_status cifar_filter(genlab_ctx *ctx, const cifar_layout *lay, const char *classes,
                                  int remap[100], int *k)
{
    gl_dc_list list;
    genlab_status st = gl_dc_list_split(ctx, lay->who, "classes", classes, &list);
    *k = list.n;
    int n_names = lay->range[lay->use];
    for (int c = 0; c < n_names; c++)
        remap[c] = -1;
    for (int i = 0; st == GL_OK && i < list.n; i++) {
        int c = 0;
        while (c < n_names && strcmp(list.item[i], lay->names[c]) != 0)
            c++;
        if (c < n_names && remap[c] >= 0) {
            st = genlab_errorf(ctx, GL_ERR_INVALID, "%s: classes: \"%s\" is named twice",
                               lay->who, list.item[i]);
        } else if (c == n_names) {
            char known[400];
            known_names(lay, list.item[i], known, sizeof known);
            st = genlab_errorf(ctx, GL_ERR_INVALID, "%s: classes: no class \"%s\" (%s)",
                               lay->who, list.item[i], known);
        } else {
            remap[c] = i;
        }
    }
    gl_dc_list_free(&list);
    return st;
}

/* ---- the dataset ---- */

typedef struct cifar_state {
    cifar_items      items;
    genlab_imageset *set;
    char             name[64];       /* for the image set's messages */
    char             identity[128];
} cifar_state;

static void cifar_close(void *state)
{
    cifar_state *d = state;
    if (!d)
        return;
    genlab_imageset_destroy(d->set);
    cifar_items_free(&d->items);
    free(d);
}

/* planar (3, 32, 32) -> interleaved RGB */
static genlab_status cifar_decode(genlab_ctx *ctx, void *user, int64_t item, genlab_image *out)
{
    const cifar_state *d = user;
    genlab_status st = genlab_image_alloc(ctx, out, CIFAR_SIDE, CIFAR_SIDE, 3);
    if (st != GL_OK)
        return st;
    const uint8_t *src = d->items.pixels + (size_t)item * CIFAR_PIXELS;
    for (int p = 0; p < CIFAR_PLANE; p++)
        for (int c = 0; c < 3; c++)
            out->data[3 * p + c] = src[c * CIFAR_PLANE + p];
    return GL_OK;
}

/* the default batch files of a split */
static const char *default_files(const cifar_layout *lay, int split)
{
    if (lay->label_bytes == 1)
        return split == 0 ? "data_batch_1.bin,data_batch_2.bin,data_batch_3.bin,"
                            "data_batch_4.bin,data_batch_5.bin"
                          : "test_batch.bin";
    return split == 0 ? "train.bin" : "test.bin";
}

/* cifar_load — read, hash and parse every file; the identity */
static genlab_status cifar_load(genlab_ctx *ctx, const genlab_config *cfg,
                                const cifar_layout *lay, int split, cifar_state *d,
                                int32_t *n_classes)
{
    const char *dir = genlab_config_str(cfg, "dir");
    const char *files = genlab_config_str(cfg, "files");
    const char *classes = genlab_config_str(cfg, "classes");
    if (!dir[0] && !files[0])
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "%s: set dir (the directory of the batch files) or files",
                             lay->who);
    int remap[100], k;
    genlab_status st = cifar_filter(ctx, lay, classes, remap, &k);
    if (st != GL_OK)
        return st;
    gl_dc_list list;
    if ((st = gl_dc_list_split(ctx, lay->who, "files", files[0] ? files : default_files(lay, split),
                               &list)) != GL_OK)
        return st;
    gl_dc_manifest m;
    gl_dc_manifest_init(&m);
    for (int i = 0; st == GL_OK && i < list.n; i++) {
        char *path = gl_dc_path(dir, list.item[i]);
        uint8_t *bytes = NULL;
        size_t size = 0;
        char hex[2 * SHA256_DIGEST_SIZE + 1];
        if (!path)
            st = genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", lay->who);
        if (st == GL_OK)
            st = gl_dc_slurp(ctx, lay->who, path, &bytes, &size);
        if (st == GL_OK) {
            gl_dc_sha256_hex(bytes, size, hex);
            gl_dc_manifest_add(&m, path, hex);
            st = cifar_parse(ctx, lay, path, bytes, size, k ? remap : NULL, &d->items);
        }
        free(bytes);
        free(path);
    }
    if (st == GL_OK && d->items.n == 0)
        st = genlab_errorf(ctx, GL_ERR_INVALID, "%s: no records%s%s in %s", lay->who,
                           k ? " of classes " : "", k ? classes : "",
                           files[0] ? files : default_files(lay, split));
    gl_dc_list_free(&list);
    gl_dc_manifest_identity(&m, lay->who, d->identity, sizeof d->identity);
    *n_classes = k ? k : lay->range[lay->use];
    return st;
}

static genlab_status cifar_open(const cifar_layout *lay, const genlab_host *host,
                                const genlab_config *cfg, const char *split,
                                genlab_data_spec *spec, void **state)
{
    genlab_ctx *ctx = host->ctx;
    *state = NULL;
    int which = gl_dc_split(ctx, lay->who, split);
    if (which < 0)
        return genlab_ctx_status(ctx);
    cifar_state *d = calloc(1, sizeof *d);
    if (!d)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", lay->who);
    snprintf(d->name, sizeof d->name, "%s %s", lay->who, split);
    int32_t n_classes = 0;
    genlab_status st = cifar_load(ctx, cfg, lay, which, d, &n_classes);
    if (st == GL_OK) {
        genlab_imageset_source src = {.name = d->name, .n_items = d->items.n,
                                      .decode = cifar_decode, .user = d};
        st = genlab_imageset_create(ctx, cfg, &src, &d->set);
    }
    if (st != GL_OK) {
        cifar_close(d);
        return st;
    }
    genlab_imageset_spec(d->set, spec);
    spec->n_classes = n_classes;
    *state = d;
    return GL_OK;
}

static genlab_status cifar10_open(const genlab_host *host, const genlab_config *cfg,
                                  const char *split, genlab_data_spec *spec, void **state)
{
    return cifar_open(&cifar10_layout, host, cfg, split, spec, state);
}

static genlab_status cifar100_open(const genlab_host *host, const genlab_config *cfg,
                                   const char *split, genlab_data_spec *spec, void **state)
{
    bool coarse = strcmp(genlab_config_str(cfg, "label"), "coarse") == 0;
    return cifar_open(coarse ? &cifar100_coarse : &cifar100_fine, host, cfg, split, spec, state);
}

static genlab_status cifar_read(genlab_ctx *ctx, void *state, const int64_t *indices, int64_t n,
                                genlab_batch *out)
{
    cifar_state *d = state;
    return gl_dc_read(ctx, d->set, d->items.labels, indices, n, out);
}

static const char *cifar_identity(void *state) { return ((const cifar_state *)state)->identity; }

/* ---- the descriptors ---- */

#define CIFAR_FILE_PARAMS(defaults)                                                           \
    {.name = "dir", .type = GL_PARAM_STRING, .def = "",                                      \
     .help = "directory of the batch files (needed unless files are absolute paths)"},       \
    {.name = "files", .type = GL_PARAM_STRING, .def = "",                                    \
     .help = "comma-separated batch files in dir; \"\": " defaults}

static const char *const cifar100_label_choices[] = {"fine", "coarse", NULL};

static const genlab_param_def cifar10_params[] = {
    CIFAR_FILE_PARAMS("data_batch_1.bin .. data_batch_5.bin (train), test_batch.bin (test)"),
    {.name = "classes", .type = GL_PARAM_STRING, .def = "",
     .help = "keep only these comma-separated classes (\"cat,dog\"), labelled 0..k-1 in that "
             "order; \"\": all ten"},
    GL_IMAGE_TRANSFORM_PARAMS,
};

static const genlab_param_def cifar100_params[] = {
    CIFAR_FILE_PARAMS("train.bin (train), test.bin (test)"),
    {.name = "label", .type = GL_PARAM_ENUM, .def = "fine", .choices = cifar100_label_choices,
     .help = "which label byte: fine (100 classes) or coarse (20 superclasses)"},
    {.name = "classes", .type = GL_PARAM_STRING, .def = "",
     .help = "keep only these comma-separated fine (or coarse) classes, labelled 0..k-1 in "
             "that order; \"\": all"},
    GL_IMAGE_TRANSFORM_PARAMS,
};

static const genlab_dataset_i cifar10_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_dataset_i),
    .open = cifar10_open, .close = cifar_close, .read = cifar_read, .identity = cifar_identity,
};

static const genlab_dataset_i cifar100_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_dataset_i),
    .open = cifar100_open, .close = cifar_close, .read = cifar_read, .identity = cifar_identity,
};

static const genlab_component cifar10_component = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_DATASET, .name = "cifar10",
    .doc = "CIFAR-10, binary version (32x32 RGB, 10 classes)",
    GL_PARAMS(cifar10_params), .iface = &cifar10_iface,
};

static const genlab_component cifar100_component = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_DATASET, .name = "cifar100",
    .doc = "CIFAR-100, binary version (32x32 RGB, 100 fine / 20 coarse classes)",
    GL_PARAMS(cifar100_params), .iface = &cifar100_iface,
};

static const genlab_component *const cifar_components[] = {&cifar10_component,
                                                           &cifar100_component, NULL};

static const genlab_module cifar_module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "cifar", .version = "1.0.0", .components = cifar_components,
};

GENLAB_PLUGIN(cifar_module)
