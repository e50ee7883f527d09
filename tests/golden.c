/* SPDX-License-Identifier: MIT
 *
 * golden.c — see golden.h. The file is read whole, then parsed with a
 * bounds-checked cursor; values are decoded from little-endian bytes, so the
 * reader does not depend on the host's byte order.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"

struct gd_file {
    int        n;
    gd_tensor *t;        /* (n) */
    char      *names;    /* every name, NUL-terminated, back to back */
    float     *data;     /* every tensor's data, back to back */
};

typedef struct cursor {
    const unsigned char *p;
    size_t               left;
} cursor;

static const unsigned char *take(cursor *c, size_t n)
{
    if (n > c->left)
        return NULL;
    const unsigned char *p = c->p;
    c->p += n;
    c->left -= n;
    return p;
}

static bool take_u32(cursor *c, uint32_t *v)
{
    const unsigned char *p = take(c, 4);
    if (p)
        *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return p != NULL;
}

/* the whole file in a malloc'd buffer, or NULL with errno set */
static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        errno = EIO;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* parse one record at c into t, appending its name and data to the pools */
static bool parse_record(cursor *c, gd_tensor *t, char **names, float **data)
{
    uint32_t len, ndim, v;
    const unsigned char *name;
    if (!take_u32(c, &len) || !(name = take(c, len)) || !take_u32(c, &ndim) ||
        ndim > GD_MAX_DIMS)
        return false;
    memcpy(*names, name, len);
    (*names)[len] = '\0';
    t->name = *names;
    *names += len + 1;
    t->ndim = (int)ndim;
    t->numel = 1;
    for (uint32_t i = 0; i < ndim; i++) {
        if (!take_u32(c, &v) || (v && (uint64_t)t->numel * v > c->left / 4))
            return false;
        t->shape[i] = v;
        t->numel *= v;
    }
    const unsigned char *p = take(c, (size_t)t->numel * 4);
    if (!p)
        return false;
    for (int64_t i = 0; i < t->numel; i++, p += 4) {
        uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                        (uint32_t)p[3] << 24;
        memcpy(&(*data)[i], &bits, 4);
    }
    t->data = *data;
    *data += t->numel;
    return true;
}

gd_file *gd_open(const char *path, uint32_t version, const char *generator, char *err,
                 size_t err_size)
{
    size_t size = 0;
    unsigned char *buf = slurp(path, &size);
    gd_file *f = calloc(1, sizeof *f);
    if (!buf || !f) {
        snprintf(err, err_size, "golden: cannot read \"%s\": %s. Regenerate it with %s", path,
                 strerror(errno), generator);
        goto fail;
    }
    cursor c = {buf, size};
    uint32_t got;
    const unsigned char *magic = take(&c, 4);
    if (!magic || memcmp(magic, "GLGD", 4) != 0 || !take_u32(&c, &got)) {
        snprintf(err, err_size, "golden: \"%s\" is not a golden-data file (no GLGD header). "
                 "Regenerate it with %s", path, generator);
        goto fail;
    }
    if (got != version) {
        snprintf(err, err_size, "golden: \"%s\" has version %u, this test reads version %u. "
                 "Regenerate it with %s", path, (unsigned)got, (unsigned)version, generator);
        goto fail;
    }
    /* names and data both fit in the file's size: the pools never grow */
    f->names = malloc(size + 1);
    f->data = malloc(size + sizeof(float));
    char *names = f->names;
    float *data = f->data;
    while (f->names && f->data && c.left > 0) {
        gd_tensor *t = realloc(f->t, (size_t)(f->n + 1) * sizeof *t);
        if (!t)
            break;
        f->t = t;
        if (!parse_record(&c, &f->t[f->n], &names, &data)) {
            snprintf(err, err_size, "golden: \"%s\": record %d is truncated or malformed. "
                     "Regenerate it with %s", path, f->n, generator);
            goto fail;
        }
        f->n++;
    }
    if (c.left > 0 || !f->names || !f->data) {
        snprintf(err, err_size, "golden: \"%s\": out of memory", path);
        goto fail;
    }
    free(buf);
    return f;
fail:
    free(buf);
    gd_free(f);
    return NULL;
}

const gd_tensor *gd_get(const gd_file *f, const char *name)
{
    for (int i = 0; f && i < f->n; i++)
        if (strcmp(f->t[i].name, name) == 0)
            return &f->t[i];
    return NULL;
}

void gd_free(gd_file *f)
{
    if (!f)
        return;
    free(f->t);
    free(f->names);
    free(f->data);
    free(f);
}
