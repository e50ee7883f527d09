/* SPDX-License-Identifier: MIT
 *
 * checkpoint_dir.c — a run's directory of checkpoints: their names, the
 * newest one, and keeping the last N (checkpoint.h, last section).
 *
 * Only file names are looked at: "step-<digits>.safetensors" is a
 * checkpoint, "<anything>.safetensors.tmp-XXXXXX" the temporary of a write
 * that never finished (atomic_file.h); everything else is left alone. Not
 * here: the file format (checkpoint.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "genlab/checkpoint.h"

#define CKPT_SUFFIX ".safetensors"
#define TMP_MARK    CKPT_SUFFIX GL_ATOMIC_TMP_INFIX

char *genlab_ckpt_name(char *buf, size_t size, const char *dir, int64_t step)
{
    if (step < 0)
        return NULL;
    int n = snprintf(buf, size, "%s/step-%012lld" CKPT_SUFFIX, dir, (long long)step);
    return n >= 0 && (size_t)n < size ? buf : NULL;
}

/* ---- listing a directory ---- */

/* A file of interest: a checkpoint (tmp false, its step) or a temporary. */
typedef struct found {
    bool    tmp;
    int64_t step;
    char   *name;
} found;

typedef struct listing {
    found  *f;        /* checkpoints newest first, then temporaries */
    size_t  n;
    size_t  n_ckpt;
} listing;

/* ckpt_step — the step of a checkpoint's file name, false for other names
 * (a step past INT64_MAX is not one genlab wrote). */
static bool ckpt_step(const char *name, int64_t *step)
{
    if (strncmp(name, "step-", 5))
        return false;
    const char *p = name + 5;
    int64_t v = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
            return false;
    if (strcmp(p, CKPT_SUFFIX))
        return false;
    *step = v;
    return true;
}

/* is_tmp — "<x>.safetensors.tmp-" and mkstemp's six letters or digits. */
static bool is_tmp(const char *name)
{
    size_t n = strlen(name), m = strlen(TMP_MARK);
    if (n < m + 6 || strncmp(name + n - 6 - m, TMP_MARK, m))
        return false;
    for (const char *p = name + n - 6; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return false;
    return true;
}

static void listing_free(listing *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->f[i].name);
    free(l->f);
    *l = (listing){0};
}

static int listing_order(const void *pa, const void *pb)
{
    const found *a = pa, *b = pb;
    if (a->tmp != b->tmp)
        return a->tmp ? 1 : -1;
    if (a->step != b->step)
        return a->step > b->step ? -1 : 1;
    return -strcmp(a->name, b->name);  /* "step-1" and "step-01": any fixed order */
}

/* list_dir — the checkpoints and temporaries of dir, in listing order. */
static genlab_status list_dir(genlab_ctx *ctx, const char *dir, listing *l)
{
    *l = (listing){0};
    DIR *d = opendir(dir);
    if (!d)
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot read the directory: %s", dir,
                             strerror(errno));
    size_t cap = 0;
    bool ok = true;
    struct dirent *de;
    while (ok && (errno = 0, de = readdir(d))) {
        found x = {0};
        x.tmp = is_tmp(de->d_name);
        if (!x.tmp && !ckpt_step(de->d_name, &x.step))
            continue;
        if (l->n == cap) {
            cap = cap ? 2 * cap : 16;
            found *f = realloc(l->f, cap * sizeof *f);
            if (!(ok = f != NULL))
                break;
            l->f = f;
        }
        if ((ok = (x.name = strdup(de->d_name)) != NULL)) {
            l->f[l->n++] = x;
            l->n_ckpt += !x.tmp;
        }
    }
    int e = errno;
    closedir(d);
    genlab_status st = GL_OK;
    if (!ok)
        st = genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory listing the directory", dir);
    else if (e)
        st = genlab_errorf(ctx, GL_ERR_IO, "%s: cannot read the directory: %s", dir, strerror(e));
    if (st != GL_OK)
        listing_free(l);
    else if (l->n > 1)
        qsort(l->f, l->n, sizeof *l->f, listing_order);
    return st;
}

/* ---- the newest, and keeping the last N ---- */

genlab_status genlab_ckpt_latest(genlab_ctx *ctx, const char *dir, char *buf, size_t size,
                                 int64_t *step)
{
    listing l;
    genlab_status st = list_dir(ctx, dir, &l);
    if (st != GL_OK)
        return st;
    if (l.n_ckpt == 0) {
        st = genlab_errorf(ctx, GL_ERR_STATE, "no checkpoint in %s", dir);
    } else {
        int n = snprintf(buf, size, "%s/%s", dir, l.f[0].name);
        if (n < 0 || (size_t)n >= size)
            st = genlab_errorf(ctx, GL_ERR_INVALID,
                               "genlab_ckpt_latest: %s/%s does not fit in %zu bytes", dir,
                               l.f[0].name, size);
        else if (step)
            *step = l.f[0].step;
    }
    listing_free(&l);
    return st;
}

/* remove_file — unlink dir/name; one already gone is not an error. */
static genlab_status remove_file(genlab_ctx *ctx, const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s/%s: out of memory", dir, name);
    snprintf(path, n, "%s/%s", dir, name);
    genlab_status st = GL_OK;
    if (unlink(path) != 0 && errno != ENOENT)
        st = genlab_errorf(ctx, GL_ERR_IO, "%s: cannot remove the file: %s", path,
                           strerror(errno));
    free(path);
    return st;
}

genlab_status genlab_ckpt_prune(genlab_ctx *ctx, const char *dir, int keep)
{
    if (keep < 1)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_ckpt_prune: keep %d (at least 1)", keep);
    listing l;
    genlab_status st = list_dir(ctx, dir, &l);
    if (st != GL_OK)
        return st;
    /* every removal is tried; the first failure is the one reported */
    for (size_t i = 0; i < l.n; i++) {
        if (!l.f[i].tmp && i < (size_t)keep)  /* checkpoints come first, newest first */
            continue;
        genlab_status s = remove_file(ctx, dir, l.f[i].name);
        st = st != GL_OK ? st : s;
    }
    listing_free(&l);
    return st;
}
