/* SPDX-License-Identifier: MIT
 *
 * imagefolder.c — the dataset plugin "imagefolder": every PNG and JPEG
 * file under a directory, optionally labelled by the first-level
 * sub-folder it lies in (torchvision's ImageFolder layout:
 * dir/<class>/.../<image>). Items are decoded with genlab_image_read and
 * go through the image pipeline of dataset.h.
 *
 * The walk is recursive and deterministic: files ending in .png, .jpg or
 * .jpeg (any case) are sorted by their path bytes (strcmp), classes by
 * name. Names starting with '.' (hidden files and folders) are skipped.
 * Symbolic links are followed, except a link to a folder on the way down
 * to it (a loop: the walk keeps the device and inode of each folder from
 * the root down), which is skipped with a warning in the log. Every
 * endless walk must pass such a link, so none hangs; the files found do
 * not depend on the order readdir returns names in.
 *
 * The identity is a cheap hash instead of a hash of every byte: for each
 * file, its relative path, size and first and last 4 KiB (doc/datasets.md).
 *
 * Not here: other image formats, or labels from a file list.
 *
 * Sections: the walk, classes, identity, the dataset, the descriptor.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datacommon.h"

/* ---- the walk ---- */

typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

/* a growing array of malloc'd strings */
typedef struct strvec {
    char  **s;
    size_t  n, cap;
} strvec;

static void strvec_free(strvec *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->s[i]);
    free(v->s);
    *v = (strvec){0};
}

/* strvec_push — append s (taken over; freed here on failure) */
static bool strvec_push(strvec *v, char *s)
{
    if (s && v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        char **grown = realloc(v->s, cap * sizeof *grown);
        if (!grown) {
            free(s);
            return false;
        }
        v->s = grown;
        v->cap = cap;
    }
    if (!s)
        return false;
    v->s[v->n++] = s;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* strvec_sort — by strcmp (qsort must not see the NULL of an empty vector) */
static void strvec_sort(strvec *v)
{
    if (v->n > 1)
        qsort(v->s, v->n, sizeof *v->s, cmp_str);
}

typedef struct walk {
    genlab_ctx        *ctx;
    const genlab_host *host;
    strvec             files;     /* full paths of the images */
    strvec             classes;   /* names of the first-level folders */
    dir_id            *seen;      /* the directories from the root down to the
                                   * one being walked */
    size_t             n_seen, cap_seen;
} walk;

static bool is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
                   strcasecmp(dot, ".jpeg") == 0);
}

/* enter — push a directory on the walk's path; OUT: *loop is true (and
 * nothing pushed) when it is already on it: a link back to a folder above */
static genlab_status enter(walk *w, const struct stat *st, bool *loop)
{
    *loop = false;
    for (size_t i = 0; i < w->n_seen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino) {
            *loop = true;
            return GL_OK;
        }
    if (w->n_seen == w->cap_seen) {
        size_t cap = w->cap_seen ? 2 * w->cap_seen : 16;
        dir_id *grown = realloc(w->seen, cap * sizeof *grown);
        if (!grown)
            return genlab_errorf(w->ctx, GL_ERR_NOMEM, "imagefolder: out of memory");
        w->seen = grown;
        w->cap_seen = cap;
    }
    w->seen[w->n_seen++] = (dir_id){st->st_dev, st->st_ino};
    return GL_OK;
}

/* walk_dir — the images under the directory path (depth 0: the root) */
static genlab_status walk_dir(walk *w, const char *path, int depth)
{
    DIR *d = opendir(path);
    if (!d)
        return genlab_errorf(w->ctx, GL_ERR_IO, "imagefolder: cannot open directory \"%s\": %s",
                             path, strerror(errno));
    genlab_status st = GL_OK;
    struct dirent *e;
    while (st == GL_OK && (errno = 0, e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *full = gl_dc_path(path, e->d_name);
        struct stat sb;
        if (!full) {
            st = genlab_errorf(w->ctx, GL_ERR_NOMEM, "imagefolder: out of memory");
            break;
        }
        if (stat(full, &sb) != 0) {
            /* a dangling link or a file gone since readdir: only an image
             * name matters (one the user expects to be read) */
            if (is_image_name(e->d_name))
                st = genlab_errorf(w->ctx, GL_ERR_IO, "imagefolder: cannot stat \"%s\": %s",
                                   full, strerror(errno));
            free(full);
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            bool loop;
            st = enter(w, &sb, &loop);
            if (st == GL_OK && loop)
                w->host->log(w->host, GL_LOG_WARN,
                             "imagefolder: skipping \"%s\": a link back to a folder above it "
                             "(a loop)",
                             full);
            if (st == GL_OK && !loop && depth == 0 &&
                !strvec_push(&w->classes, strdup(e->d_name)))
                st = genlab_errorf(w->ctx, GL_ERR_NOMEM, "imagefolder: out of memory");
            if (st == GL_OK && !loop) {
                st = walk_dir(w, full, depth + 1);
                w->n_seen--;
            }
            free(full);
        } else if (S_ISREG(sb.st_mode) && is_image_name(e->d_name)) {
            if (!strvec_push(&w->files, full))
                st = genlab_errorf(w->ctx, GL_ERR_NOMEM, "imagefolder: out of memory");
        } else {
            free(full);
        }
    }
    if (st == GL_OK && errno != 0)
        st = genlab_errorf(w->ctx, GL_ERR_IO, "imagefolder: cannot read directory \"%s\": %s",
                           path, strerror(errno));
    closedir(d);
    return st;
}

/* ---- classes ---- */

/* a first-level folder name (not NUL-terminated) as a bsearch key */
typedef struct name_key {
    const char *s;
    size_t      len;
} name_key;

static int cmp_key(const void *key, const void *elem)
{
    const name_key *k = key;
    const char *name = *(char *const *)elem;
    int r = strncmp(k->s, name, k->len);
    return r != 0 ? r : name[k->len] == '\0' ? 0 : -1;
}

/* assign_labels — labels[i] is the index (in the sorted class names) of
 * the first-level folder file i lies in. Every file must lie in one, and
 * every folder must hold an image. */
static genlab_status assign_labels(genlab_ctx *ctx, const char *dir, size_t root_len,
                                   const strvec *files, const strvec *classes, int32_t *labels)
{
    size_t *count = calloc(classes->n ? classes->n : 1, sizeof *count);
    if (!count)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "imagefolder: out of memory");
    genlab_status st = GL_OK;
    for (size_t i = 0; st == GL_OK && i < files->n; i++) {
        const char *rel = files->s[i] + root_len;
        const char *slash = strchr(rel, '/');
        char *const *c = NULL;
        if (slash && classes->n) {
            name_key k = {rel, (size_t)(slash - rel)};
            c = bsearch(&k, classes->s, classes->n, sizeof *classes->s, cmp_key);
        }
        if (!c)
            st = genlab_errorf(ctx, GL_ERR_INVALID,
                               "imagefolder: \"%s\" is not in a class folder of \"%s\" (with "
                               "labels, every image lies in a sub-folder; or set labels=false)",
                               files->s[i], dir);
        else
            count[labels[i] = (int32_t)(c - classes->s)]++;
    }
    for (size_t c = 0; st == GL_OK && c < classes->n; c++)
        if (count[c] == 0)
            st = genlab_errorf(ctx, GL_ERR_INVALID,
                               "imagefolder: class folder \"%s/%s\" holds no .png/.jpg/.jpeg "
                               "files",
                               dir, classes->s[c]);
    free(count);
    return st;
}

/* ---- identity ---- */

#define ID_PIECE 4096

/* read_at — exactly n bytes at offset off, or false (errno set, or 0 when
 * the file is shorter) */
static bool read_at(int fd, uint8_t *buf, size_t n, off_t off)
{
    while (n > 0) {
        ssize_t r = pread(fd, buf, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return false;
        }
        buf += r;
        n -= (size_t)r;
        off += r;
    }
    return true;
}

/* hash_file — relative path, '\0', size in decimal, '\0', then the first
 * and last 4 KiB (the whole file when it has 8 KiB or less) */
static genlab_status hash_file(genlab_ctx *ctx, struct sha256_ctx *h, const char *path,
                               const char *rel)
{
    uint8_t buf[2 * ID_PIECE];
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    bool ok = fd >= 0 && fstat(fd, &sb) == 0;
    size_t size = ok ? (size_t)sb.st_size : 0, n = size < sizeof buf ? size : sizeof buf;
    if (ok && size <= sizeof buf)
        ok = read_at(fd, buf, n, 0);
    else if (ok)
        ok = read_at(fd, buf, ID_PIECE, 0) &&
             read_at(fd, buf + ID_PIECE, ID_PIECE, (off_t)(size - ID_PIECE));
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (!ok)
        return genlab_errorf(ctx, GL_ERR_IO, "imagefolder: cannot read \"%s\": %s", path,
                             err ? strerror(err) : "the file shrank while being read");
    char num[32];
    int len = snprintf(num, sizeof num, "%zu", size);
    sha256_update(h, strlen(rel) + 1, (const uint8_t *)rel);
    sha256_update(h, (size_t)len + 1, (const uint8_t *)num);
    sha256_update(h, n, buf);
    return GL_OK;
}

/* ---- the dataset ---- */

typedef struct folder_state {
    strvec           files;          /* full paths, sorted */
    int32_t         *labels;         /* (n) or NULL */
    genlab_imageset *set;
    char             identity[128];
} folder_state;

static void folder_close(void *state)
{
    folder_state *d = state;
    if (!d)
        return;
    genlab_imageset_destroy(d->set);
    strvec_free(&d->files);
    free(d->labels);
    free(d);
}

static genlab_status folder_decode(genlab_ctx *ctx, void *user, int64_t item, genlab_image *out)
{
    const folder_state *d = user;
    return genlab_image_read(ctx, d->files.s[item], out);
}

/* folder_scan — the files, labels, classes and identity of dir */
static genlab_status folder_scan(const genlab_host *host, const genlab_config *cfg,
                                 folder_state *d, int32_t *n_classes)
{
    genlab_ctx *ctx = host->ctx;
    const char *dir = genlab_config_str(cfg, "dir");
    const char *labels = genlab_config_str(cfg, "labels");
    int64_t limit = genlab_config_int(cfg, "limit");
    walk w = {.ctx = ctx, .host = host};
    struct stat sb;
    bool loop;
    genlab_status st = GL_OK;
    if (stat(dir, &sb) != 0)
        st = genlab_errorf(ctx, GL_ERR_IO, "imagefolder: dir \"%s\": %s", dir, strerror(errno));
    else if (!S_ISDIR(sb.st_mode))
        st = genlab_errorf(ctx, GL_ERR_IO, "imagefolder: dir \"%s\" is not a directory", dir);
    if (st == GL_OK)
        st = enter(&w, &sb, &loop);
    if (st == GL_OK)
        st = walk_dir(&w, dir, 0);
    if (st == GL_OK && w.files.n == 0)
        st = genlab_errorf(ctx, GL_ERR_INVALID, "imagefolder: no .png/.jpg/.jpeg files in \"%s\"",
                           dir);
    bool labelled = strcmp(labels, "true") == 0 || (strcmp(labels, "auto") == 0 && w.classes.n);
    *n_classes = 0;
    if (st == GL_OK) {
        strvec_sort(&w.files);
        strvec_sort(&w.classes);
        d->files = w.files;
        w.files = (strvec){0};
    }
    /* the files' paths are dir joined with their relative path */
    size_t root_len = st == GL_OK ? strlen(dir) + (dir[strlen(dir) - 1] == '/' ? 0 : 1) : 0;
    if (st == GL_OK && labelled) {
        d->labels = malloc(d->files.n * sizeof *d->labels);
        st = d->labels ? assign_labels(ctx, dir, root_len, &d->files, &w.classes, d->labels)
                       : genlab_errorf(ctx, GL_ERR_NOMEM, "imagefolder: out of memory");
        *n_classes = (int32_t)w.classes.n;
    }
    /* limit: the first files in the sorted order; the classes stay all */
    if (st == GL_OK && limit > 0 && (uint64_t)limit < d->files.n) {
        for (size_t i = (size_t)limit; i < d->files.n; i++)
            free(d->files.s[i]);
        d->files.n = (size_t)limit;
    }
    if (st == GL_OK) {
        struct sha256_ctx h;
        char hex[2 * SHA256_DIGEST_SIZE + 1];
        sha256_init(&h);
        for (size_t i = 0; st == GL_OK && i < d->files.n; i++)
            st = hash_file(ctx, &h, d->files.s[i], d->files.s[i] + root_len);
        gl_dc_sha256_finish(&h, hex);
        snprintf(d->identity, sizeof d->identity, "imagefolder:sampled-sha256:%s", hex);
    }
    strvec_free(&w.files);
    strvec_free(&w.classes);
    free(w.seen);
    return st;
}

static genlab_status folder_open(const genlab_host *host, const genlab_config *cfg,
                                 const char *split, genlab_data_spec *spec, void **state)
{
    genlab_ctx *ctx = host->ctx;
    *state = NULL;
    /* one folder is one split: the split names which folder the user points dir at */
    if (gl_dc_split(ctx, "imagefolder", split) < 0)
        return genlab_ctx_status(ctx);
    folder_state *d = calloc(1, sizeof *d);
    if (!d)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "imagefolder: out of memory");
    int32_t n_classes = 0;
    genlab_status st = folder_scan(host, cfg, d, &n_classes);
    if (st == GL_OK) {
        genlab_imageset_source src = {.name = genlab_config_str(cfg, "dir"),
                                      .n_items = (int64_t)d->files.n, .decode = folder_decode,
                                      .user = d};
        st = genlab_imageset_create(ctx, cfg, &src, &d->set);
    }
    if (st != GL_OK) {
        folder_close(d);
        return st;
    }
    genlab_imageset_spec(d->set, spec);
    spec->n_classes = n_classes;
    *state = d;
    return GL_OK;
}

static genlab_status folder_read(genlab_ctx *ctx, void *state, const int64_t *indices,
                                 int64_t n, genlab_batch *out)
{
    folder_state *d = state;
    return gl_dc_read(ctx, d->set, d->labels, indices, n, out);
}

static const char *folder_identity(void *state)
{
    return ((const folder_state *)state)->identity;
}

/* ---- the descriptor ---- */

static const char *const labels_choices[] = {"auto", "true", "false", NULL};

static const genlab_param_def folder_params[] = {
    {.name = "dir", .type = GL_PARAM_STRING, .def = NULL,
     .help = "the folder; its .png/.jpg/.jpeg files are found recursively"},
    {.name = "limit", .type = GL_PARAM_INT, .def = "0", .min = "0",
     .help = "use only the first this many files in path order; 0: all"},
    {.name = "labels", .type = GL_PARAM_ENUM, .def = "auto", .choices = labels_choices,
     .help = "first-level sub-folders are classes (sorted by name); auto: when there are any"},
    GL_IMAGE_TRANSFORM_PARAMS,
};

static const genlab_dataset_i folder_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_dataset_i),
    .open = folder_open, .close = folder_close, .read = folder_read,
    .identity = folder_identity,
};

static const genlab_component folder_component = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_DATASET, .name = "imagefolder",
    .doc = "PNG and JPEG files under a folder, sub-folders as classes",
    GL_PARAMS(folder_params), .iface = &folder_iface,
};

static const genlab_component *const folder_components[] = {&folder_component, NULL};

static const genlab_module folder_module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "imagefolder", .version = "1.0.0", .components = folder_components,
};

GENLAB_PLUGIN(folder_module)
