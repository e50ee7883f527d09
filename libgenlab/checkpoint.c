/* SPDX-License-Identifier: MIT
 *
 * checkpoint.c — writing and reading checkpoint files in the safetensors
 * layout (see checkpoint.h for the format).
 *
 * The JSON header is built and parsed by jansson, never by hand; this file
 * adds what the format asks beyond JSON: the dtype table, the shape and
 * offset rules, the padding, and the check that the tensors tile the data.
 * Every size read from a file is checked before it is used as a length, an
 * offset or an allocation. Not here: which tensors a run saves (run.c), the
 * directory of a run's checkpoints (checkpoint_dir.c).
 *
 * Sections: dtypes and helpers, writing, reading.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "genlab/checkpoint.h"
#include "internal.h"

/* ---- dtypes and helpers ---- */

static const struct {
    const char  *name;
    size_t       size;
} dtypes[] = {
    {"F32", 4}, {"I32", 4}, {"U8", 1}, {"I64", 8}, {"U64", 8},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])
#define DTYPE_LIST "F32, I32, U8, I64, U64"

/* dtype_find — index of name in dtypes, or -1. */
static int dtype_find(const char *name)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (!strcmp(dtypes[i].name, name))
            return (int)i;
    return -1;
}

/* tensor_dtype — the checkpoint dtype of a genlab tensor dtype. */
static const char *tensor_dtype(genlab_dtype dt)
{
    switch (dt) {
    case GL_F32: return "F32";
    case GL_U8:  return "U8";
    case GL_I32: return "I32";
    }
    return "?";
}

/* tensor_bytes — numel x esize for a shape of non-negative dims, false on
 * overflow of size_t. A zero dimension makes the tensor empty whatever the
 * others are, so it cannot overflow. */
static bool tensor_bytes(int ndim, const int64_t *shape, size_t esize, size_t *out)
{
    size_t n = esize;
    for (int i = 0; i < ndim; i++)
        if (shape[i] == 0) {
            *out = 0;
            return true;
        }
    for (int i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(n, shape[i], &n))
            return false;
    *out = n;
    return true;
}

/* utf8_valid — RFC 3629 UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF), as jansson requires of keys and strings; checked
 * up front so that a jansson failure afterwards can only mean no memory. */
static bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p++;
        int more;
        uint32_t cp, min;
        if (c < 0x80)
            continue;
        else if (c >= 0xc2 && c <= 0xdf)
            more = 1, cp = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            more = 2, cp = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            more = 3, cp = c & 0x07, min = 0x10000;
        else
            return false;
        for (; more > 0; more--, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (*p & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
    }
    return true;
}

/* ---- writing ---- */

/* The header lists the tensors in the order added (w->infos keeps it); the
 * data holds them by falling element size, stable (w->e keeps that order),
 * so that with the 8-byte aligned data start each is aligned to its size. */
typedef struct wentry {
    json_t     *info;     /* {"dtype", "shape"}, borrowed from w->infos */
    void       *data;     /* a copy: visitors hand out temporaries (visit.c) */
    size_t      nbytes, esize;
} wentry;

struct genlab_ckpt_writer {
    genlab_ctx *ctx;
    json_t     *infos;    /* name -> entry object, in the order added */
    json_t     *meta;     /* key -> string */
    wentry     *e;        /* in data order */
    size_t      n, cap;
};

genlab_status genlab_ckpt_writer_create(genlab_ctx *ctx, genlab_ckpt_writer **out)
{
    genlab_ckpt_writer *w = calloc(1, sizeof *w);
    if (w) {
        w->ctx = ctx;
        w->infos = json_object();
        w->meta = json_object();
    }
    if (!w || !w->infos || !w->meta) {
        genlab_ckpt_writer_free(w);
        *out = NULL;
        return genlab_errorf(ctx, GL_ERR_NOMEM, "genlab_ckpt_writer_create: out of memory");
    }
    *out = w;
    return GL_OK;
}

void genlab_ckpt_writer_free(genlab_ckpt_writer *w)
{
    if (!w)
        return;
    json_decref(w->infos);
    json_decref(w->meta);
    for (size_t i = 0; i < w->n; i++)
        free(w->e[i].data);
    free(w->e);
    free(w);
}

genlab_status genlab_ckpt_add(genlab_ckpt_writer *w, const char *name, const char *dtype,
                              int ndim, const int64_t *shape, const void *data)
{
    genlab_ctx *ctx = w->ctx;
    if (!name || !*name || !strcmp(name, "__metadata__") || !utf8_valid(name))
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "genlab_ckpt_add: bad name \"%s\" (need non-empty UTF-8, "
                             "not \"__metadata__\")", name ? name : "(null)");
    if (json_object_get(w->infos, name))
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_add: \"%s\" added twice", name);
    int dt = dtype ? dtype_find(dtype) : -1;
    if (dt < 0)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "genlab_ckpt_add: \"%s\": dtype %s is not one of " DTYPE_LIST, name,
                             dtype ? dtype : "(null)");
    if (ndim < 0 || ndim > GL_CKPT_MAX_DIMS || (ndim > 0 && !shape))
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "genlab_ckpt_add: \"%s\": %d dimensions (0 to %d)", name, ndim,
                             GL_CKPT_MAX_DIMS);
    char sbuf[256];
    size_t nbytes = 0;
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_add: \"%s\": shape %s",
                                 name, gl_dims_str(ndim, shape, sbuf, sizeof sbuf));
    if (!tensor_bytes(ndim, shape, dtypes[dt].size, &nbytes))
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "genlab_ckpt_add: \"%s\": shape %s of %s is too large", name,
                             gl_dims_str(ndim, shape, sbuf, sizeof sbuf), dtypes[dt].name);
    if (nbytes > 0 && !data)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_add: \"%s\": NULL data", name);

    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        wentry *e = realloc(w->e, cap * sizeof *e);
        if (!e)
            goto nomem;
        w->e = e;
        w->cap = cap;
    }
    void *copy = malloc(nbytes ? nbytes : 1);
    if (!copy)
        goto nomem;
    if (nbytes)
        memcpy(copy, data, nbytes);
    json_t *info = json_object(), *dims = json_array();
    bool ok = info && dims && !json_object_set_new(info, "dtype", json_string(dtypes[dt].name));
    for (int i = 0; ok && i < ndim; i++)
        ok = !json_array_append_new(dims, json_integer(shape[i]));
    ok = ok && !json_object_set(info, "shape", dims);
    json_decref(dims);
    /* infos takes the reference; on failure set_new drops it */
    if (!ok || json_object_set_new(w->infos, name, info)) {
        if (!ok)
            json_decref(info);
        free(copy);
        goto nomem;
    }
    size_t at = 0;  /* after every entry of the same or a larger element size */
    while (at < w->n && w->e[at].esize >= dtypes[dt].size)
        at++;
    memmove(&w->e[at + 1], &w->e[at], (w->n - at) * sizeof *w->e);
    w->e[at] = (wentry){.info = info, .data = copy, .nbytes = nbytes, .esize = dtypes[dt].size};
    w->n++;
    return GL_OK;
nomem:
    return genlab_errorf(ctx, GL_ERR_NOMEM, "genlab_ckpt_add: \"%s\": out of memory", name);
}

genlab_status genlab_ckpt_add_tensor(genlab_ckpt_writer *w, const char *name,
                                     const genlab_tensor *t)
{
    if (!t)
        return genlab_errorf(w->ctx, GL_ERR_INVALID, "genlab_ckpt_add_tensor: \"%s\": NULL tensor",
                             name ? name : "(null)");
    gl_sync(t->ctx);   /* the writer reads the data on the host */
    return genlab_ckpt_add(w, name, tensor_dtype(t->dtype), t->ndim, t->shape, t->data);
}

genlab_status genlab_ckpt_set_meta(genlab_ckpt_writer *w, const char *key, const char *value)
{
    if (!key || !*key || !value || !utf8_valid(key) || !utf8_valid(value))
        return genlab_errorf(w->ctx, GL_ERR_INVALID,
                             "genlab_ckpt_set_meta: key \"%s\": need a non-empty UTF-8 key and "
                             "a UTF-8 value", key ? key : "(null)");
    if (json_object_set_new(w->meta, key, json_string(value)))
        return genlab_errorf(w->ctx, GL_ERR_NOMEM, "genlab_ckpt_set_meta: out of memory");
    return GL_OK;
}

/* header_dump — the header's JSON text (free()d by the caller), each
 * entry's data_offsets set from the data order. NULL: no memory. */
static char *header_dump(genlab_ckpt_writer *w)
{
    bool ok = true;
    size_t off = 0;
    for (size_t i = 0; ok && i < w->n; i++) {
        json_t *offs = json_pack("[II]", (json_int_t)off, (json_int_t)(off + w->e[i].nbytes));
        ok = !json_object_set_new(w->e[i].info, "data_offsets", offs);
        off += w->e[i].nbytes;
    }
    json_t *hdr = ok ? json_object() : NULL;
    /* metadata first, as safetensors writes it; absent when there is none */
    ok = hdr && (json_object_size(w->meta) == 0 || !json_object_set(hdr, "__metadata__", w->meta));
    ok = ok && !json_object_update(hdr, w->infos);
    char *s = ok ? json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(hdr);
    return s;
}

genlab_status genlab_ckpt_write(genlab_ckpt_writer *w, const char *path)
{
    genlab_ctx *ctx = w->ctx;
    char *json = header_dump(w);
    if (!json)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for the header", path);
    size_t len = strlen(json), pad = (8 - len % 8) % 8;
    if (len + pad > GL_CKPT_MAX_HEADER) {
        free(json);
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: header of %zu bytes is over the limit of %d",
                             path, len + pad, GL_CKPT_MAX_HEADER);
    }
    unsigned char lenbuf[8];
    for (int i = 0; i < 8; i++)
        lenbuf[i] = (unsigned char)((uint64_t)(len + pad) >> (8 * i));

    gl_atomic_file a;
    genlab_status st = gl_atomic_begin(ctx, &a, path);
    if (st != GL_OK) {
        free(json);
        return st;
    }
    bool ok = fwrite(lenbuf, 1, 8, a.f) == 8 && fwrite(json, 1, len, a.f) == len &&
              fwrite("       ", 1, pad, a.f) == pad;
    free(json);
    for (size_t i = 0; ok && i < w->n; i++)
        ok = w->e[i].nbytes == 0 || fwrite(w->e[i].data, 1, w->e[i].nbytes, a.f) == w->e[i].nbytes;
    if (!ok) {
        int e = errno;
        gl_atomic_abort(&a);
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot write the file: %s", path, strerror(e));
    }
    return gl_atomic_commit(ctx, &a);
}

/* ---- reading ---- */

struct genlab_ckpt {
    char                *path;
    unsigned char       *mem;        /* the file, shifted so that data is 8-byte aligned */
    const unsigned char *data;       /* the data section: data_size bytes */
    size_t               data_size;
    json_t              *root;       /* the header; entry names point into it */
    json_t              *meta;       /* borrowed from root, or NULL */
    genlab_ckpt_entry   *entries;
    size_t               count;
};

/* parse_entry — validate the header entry val named key into *e. */
static genlab_status parse_entry(genlab_ctx *ctx, genlab_ckpt *c, const char *key, json_t *val,
                                 genlab_ckpt_entry *e)
{
    const char *f = c->path;
    if (!json_is_object(val))
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: tensor \"%s\": not a JSON object", f, key);
    json_t *jdt = json_object_get(val, "dtype"), *jshape = json_object_get(val, "shape"),
           *joffs = json_object_get(val, "data_offsets");
    if (!json_is_string(jdt))
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: tensor \"%s\": dtype is missing or not a string",
                             f, key);
    int dt = dtype_find(json_string_value(jdt));
    if (dt < 0)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "%s: tensor \"%s\": dtype \"%s\" is not one of " DTYPE_LIST, f, key,
                             json_string_value(jdt));
    if (!json_is_array(jshape))
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: tensor \"%s\": shape is missing or not an array",
                             f, key);
    if (json_array_size(jshape) > GL_CKPT_MAX_DIMS)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: tensor \"%s\": shape has %zu dimensions (at most %d)",
                             f, key, json_array_size(jshape), GL_CKPT_MAX_DIMS);
    e->ndim = (int)json_array_size(jshape);
    for (int i = 0; i < e->ndim; i++) {
        json_t *d = json_array_get(jshape, (size_t)i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return genlab_errorf(ctx, GL_ERR_FORMAT,
                                 "%s: tensor \"%s\": shape[%d] is not a non-negative integer", f,
                                 key, i);
        e->shape[i] = json_integer_value(d);
    }
    char sbuf[256];
    gl_dims_str(e->ndim, e->shape, sbuf, sizeof sbuf);
    if (!tensor_bytes(e->ndim, e->shape, dtypes[dt].size, &e->nbytes))
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: tensor \"%s\": shape %s of %s is too large",
                             f, key, sbuf, dtypes[dt].name);
    json_t *jb = json_array_get(joffs, 0), *je = json_array_get(joffs, 1);
    if (!json_is_array(joffs) || json_array_size(joffs) != 2 || !json_is_integer(jb) ||
        !json_is_integer(je) || json_integer_value(jb) < 0 || json_integer_value(je) < 0)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "%s: tensor \"%s\": data_offsets is not [begin, end] (two "
                             "non-negative integers)", f, key);
    uint64_t b = (uint64_t)json_integer_value(jb), end = (uint64_t)json_integer_value(je);
    if (end < b || end - b != e->nbytes)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "%s: tensor \"%s\": data_offsets [%llu, %llu] do not match shape %s "
                             "of %s (%zu bytes)", f, key, (unsigned long long)b,
                             (unsigned long long)end, sbuf, dtypes[dt].name, e->nbytes);
    if (end > c->data_size)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "%s: tensor \"%s\": data_offsets [%llu, %llu] run past the %zu bytes "
                             "of data (truncated file?)", f, key, (unsigned long long)b,
                             (unsigned long long)end, c->data_size);
    e->name = key;
    e->dtype = dtypes[dt].name;
    e->data = c->data + b;
    return GL_OK;
}

/* parse_meta — __metadata__ must be an object of strings. */
static genlab_status parse_meta(genlab_ctx *ctx, genlab_ckpt *c, json_t *meta)
{
    if (!json_is_object(meta))
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: __metadata__ is not a JSON object", c->path);
    const char *k;
    json_t *v;
    json_object_foreach(meta, k, v)
        if (!json_is_string(v))
            return genlab_errorf(ctx, GL_ERR_FORMAT,
                                 "%s: __metadata__: the value of \"%s\" is not a string", c->path, k);
    c->meta = meta;
    return GL_OK;
}

/* by_offsets — qsort order of entry pointers: begin, then end, then header
 * order (a total order, so the first problem reported does not depend on
 * qsort). */
static int by_offsets(const void *pa, const void *pb)
{
    const genlab_ckpt_entry *a = *(const genlab_ckpt_entry *const *)pa;
    const genlab_ckpt_entry *b = *(const genlab_ckpt_entry *const *)pb;
    const unsigned char *ae = (const unsigned char *)a->data + a->nbytes;
    const unsigned char *be = (const unsigned char *)b->data + b->nbytes;
    if (a->data != b->data)
        return (const unsigned char *)a->data < (const unsigned char *)b->data ? -1 : 1;
    if (ae != be)
        return ae < be ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* check_tiling — the entries must cover the data exactly: no overlap, no
 * gap, nothing after the last one (safetensors refuses all three). */
static genlab_status check_tiling(genlab_ctx *ctx, genlab_ckpt *c)
{
    if (c->count == 0) {
        if (c->data_size > 0)
            return genlab_errorf(ctx, GL_ERR_FORMAT,
                                 "%s: %zu bytes of data but no tensor", c->path, c->data_size);
        return GL_OK;
    }
    const genlab_ckpt_entry **order = malloc(c->count * sizeof *order);
    if (!order)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", c->path);
    for (size_t i = 0; i < c->count; i++)
        order[i] = &c->entries[i];
    qsort(order, c->count, sizeof *order, by_offsets);
    genlab_status st = GL_OK;
    size_t cursor = 0;
    for (size_t i = 0; i < c->count && st == GL_OK; i++) {
        const genlab_ckpt_entry *e = order[i], *p = i ? order[i - 1] : NULL;
        size_t b = (size_t)((const unsigned char *)e->data - c->data);
        if (b < cursor)
            st = genlab_errorf(ctx, GL_ERR_FORMAT,
                               "%s: tensor \"%s\" at [%zu, %zu] overlaps tensor \"%s\" at [%zu, %zu]",
                               c->path, e->name, b, b + e->nbytes, p->name, cursor - p->nbytes,
                               cursor);
        else if (b > cursor)
            st = genlab_errorf(ctx, GL_ERR_FORMAT,
                               "%s: data bytes [%zu, %zu] belong to no tensor (a gap before "
                               "tensor \"%s\")", c->path, cursor, b, e->name);
        cursor = b + e->nbytes;
    }
    if (st == GL_OK && cursor < c->data_size)
        st = genlab_errorf(ctx, GL_ERR_FORMAT,
                           "%s: data bytes [%zu, %zu] after the last tensor belong to no tensor",
                           c->path, cursor, c->data_size);
    free(order);
    return st;
}

/* parse — validate the file (size bytes at file) into c. */
static genlab_status parse(genlab_ctx *ctx, genlab_ckpt *c, const unsigned char *file, size_t size)
{
    const char *f = c->path;
    if (size < 8)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "%s: truncated: %zu bytes, less than the 8-byte header length", f, size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | file[i];
    if (n > GL_CKPT_MAX_HEADER)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "%s: header length %llu is over the limit of %d bytes", f,
                             (unsigned long long)n, GL_CKPT_MAX_HEADER);
    if (n > size - 8)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "%s: truncated: header says %llu bytes but the file has %zu after the "
                             "length field", f, (unsigned long long)n, size - 8);
    json_error_t err;
    /* duplicate keys: jansson keeps the last by default, hiding a tensor */
    c->root = json_loadb((const char *)file + 8, (size_t)n, JSON_REJECT_DUPLICATES, &err);
    if (!c->root)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: header is not valid JSON: %s (header byte %d)",
                             f, err.text, err.position);
    if (!json_is_object(c->root))
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: header is not a JSON object", f);
    c->data = file + 8 + n;
    c->data_size = size - 8 - (size_t)n;
    size_t cap = json_object_size(c->root);
    c->entries = calloc(cap ? cap : 1, sizeof *c->entries);
    if (!c->entries)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for %zu entries", f, cap);
    const char *key;
    json_t *val;
    json_object_foreach(c->root, key, val) {
        genlab_status st = !strcmp(key, "__metadata__")
                               ? parse_meta(ctx, c, val)
                               : parse_entry(ctx, c, key, val, &c->entries[c->count++]);
        if (st != GL_OK)
            return st;
    }
    return check_tiling(ctx, c);
}

/* finish — make the checkpoint of the size bytes at mem (allocated with 7
 * bytes to spare; taken over), named path. */
static genlab_status finish(genlab_ctx *ctx, const char *path, unsigned char *mem, size_t size,
                            genlab_ckpt **out)
{
    *out = NULL;
    genlab_ckpt *c = calloc(1, sizeof *c);
    char *p = strdup(path);
    if (!c || !p) {
        free(c);
        free(p);
        free(mem);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", path);
    }
    c->path = p;
    c->mem = mem;
    /* the data starts at 8 + header length: move the file so that this is a
     * multiple of 8 in memory (malloc aligns mem), whatever the header
     * length, so tensors with aligned offsets have aligned data */
    size_t shift = 0;
    if (size >= 8)
        shift = (8 - mem[0] % 8) % 8;
    memmove(mem + shift, mem, size);
    genlab_status st = parse(ctx, c, mem + shift, size);
    if (st != GL_OK) {
        genlab_ckpt_close(c);
        return st;
    }
    *out = c;
    return GL_OK;
}

genlab_status genlab_ckpt_parse(genlab_ctx *ctx, const void *buf, size_t size, const char *name,
                                genlab_ckpt **out)
{
    *out = NULL;
    if (!buf && size > 0)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_parse: %s: NULL buffer", name);
    unsigned char *mem = size <= SIZE_MAX - 7 ? malloc(size + 7) : NULL;
    if (!mem)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for %zu bytes", name, size);
    if (size > 0)
        memcpy(mem, buf, size);
    return finish(ctx, name, mem, size, out);
}

genlab_status genlab_ckpt_open(genlab_ctx *ctx, const char *path, genlab_ckpt **out)
{
    *out = NULL;
    unsigned char *mem;
    size_t size;
    /* 7 spare bytes, which finish() takes the buffer to have */
    genlab_status st = gl_file_read(ctx, path, UINT64_MAX, "", 7, &mem, &size);
    return st == GL_OK ? finish(ctx, path, mem, size, out) : st;
}

void genlab_ckpt_close(genlab_ckpt *c)
{
    if (!c)
        return;
    json_decref(c->root);
    free(c->entries);
    free(c->mem);
    free(c->path);
    free(c);
}

size_t genlab_ckpt_count(const genlab_ckpt *c) { return c ? c->count : 0; }

bool genlab_ckpt_entry_at(const genlab_ckpt *c, size_t i, genlab_ckpt_entry *out)
{
    if (!c || i >= c->count)
        return false;
    *out = c->entries[i];
    return true;
}

const char *genlab_ckpt_meta(const genlab_ckpt *c, const char *key)
{
    return c && c->meta ? json_string_value(json_object_get(c->meta, key)) : NULL;
}

const char *genlab_ckpt_path(const genlab_ckpt *c) { return c ? c->path : NULL; }

genlab_status genlab_ckpt_find(genlab_ctx *ctx, const genlab_ckpt *c, const char *name,
                               genlab_ckpt_entry *out)
{
    if (!c || !name)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_find: NULL checkpoint or name");
    for (size_t i = 0; i < c->count; i++)
        if (!strcmp(c->entries[i].name, name)) {
            *out = c->entries[i];
            return GL_OK;
        }
    return genlab_errorf(ctx, GL_ERR_FORMAT, "checkpoint %s has no tensor \"%s\"", c->path, name);
}

genlab_status genlab_ckpt_read(genlab_ctx *ctx, const genlab_ckpt *c, const char *name,
                               const char *dtype, int ndim, const int64_t *shape, void *dst)
{
    if (!dtype || ndim < 0 || ndim > GL_CKPT_MAX_DIMS || (ndim > 0 && !shape))
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_read: \"%s\": bad expected "
                             "dtype or shape (%d dimensions)", name ? name : "(null)", ndim);
    genlab_ckpt_entry e;
    genlab_status st = genlab_ckpt_find(ctx, c, name, &e);
    if (st != GL_OK)
        return st;
    if (strcmp(e.dtype, dtype))
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "checkpoint %s: \"%s\" has dtype %s but %s is expected", c->path,
                             name, e.dtype, dtype);
    bool same = e.ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = e.shape[i] == shape[i];
    if (!same) {
        char have[256], want[256];
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "checkpoint %s: \"%s\" has shape %s but %s is expected", c->path,
                             name, gl_dims_str(e.ndim, e.shape, have, sizeof have),
                             gl_dims_str(ndim, shape, want, sizeof want));
    }
    if (e.nbytes > 0 && !dst)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_read: \"%s\": NULL destination",
                             name);
    if (e.nbytes > 0)
        memcpy(dst, e.data, e.nbytes);
    return GL_OK;
}

genlab_status genlab_ckpt_read_tensor(genlab_ctx *ctx, const genlab_ckpt *c, const char *name,
                                      genlab_tensor *dst)
{
    if (!dst)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_read_tensor: \"%s\": NULL tensor",
                             name ? name : "(null)");
    gl_sync(dst->ctx);   /* written on the host */
    return genlab_ckpt_read(ctx, c, name, tensor_dtype(dst->dtype), dst->ndim, dst->shape,
                            dst->data);
}
