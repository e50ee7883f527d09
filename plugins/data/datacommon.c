/* SPDX-License-Identifier: MIT
 *
 * datacommon.c — the dataset plugins' shared helpers (datacommon.h): whole
 * files, raw-or-gzip streams over a buffer, SHA-256 identities, labelled
 * batches and comma-separated lists. Compiled into each plugin of
 * plugins/data/; not part of libgenlab.
 *
 * Sections: files, streams, identities, batches, lists.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datacommon.h"

/* ---- files ---- */

char *gl_dc_path(const char *dir, const char *name)
{
    if (name[0] == '/' || dir[0] == '\0')
        return strdup(name);
    size_t nd = strlen(dir), nn = strlen(name);
    bool slash = dir[nd - 1] == '/';
    char *p = malloc(nd + nn + 2);
    if (p)
        snprintf(p, nd + nn + 2, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

genlab_status gl_dc_slurp(genlab_ctx *ctx, const char *who, const char *path, uint8_t **data,
                          size_t *size)
{
    *data = NULL;
    *size = 0;
    /* O_NONBLOCK: opening a FIFO someone named as a dataset must not hang;
     * it is refused below as not a regular file */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot open \"%s\": %s", who, path,
                             strerror(errno));
    struct stat st;
    genlab_status s = GL_OK;
    if (fstat(fd, &st) != 0)
        s = genlab_errorf(ctx, GL_ERR_IO, "%s: cannot stat \"%s\": %s", who, path,
                          strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = genlab_errorf(ctx, GL_ERR_IO, "%s: \"%s\" is not a regular file", who, path);
    else if ((uint64_t)st.st_size > GL_DC_MAX_BYTES || (uint64_t)st.st_size > SIZE_MAX)
        s = genlab_errorf(ctx, GL_ERR_FORMAT, "%s: \"%s\" has %lld bytes (at most %llu)", who,
                          path, (long long)st.st_size, (unsigned long long)GL_DC_MAX_BYTES);
    if (s != GL_OK) {
        close(fd);
        return s;
    }
    size_t n = (size_t)st.st_size, have = 0;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for \"%s\" (%zu bytes)", who,
                             path, n);
    }
    while (have < n) {
        ssize_t r = read(fd, buf + have, n - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            s = genlab_errorf(ctx, GL_ERR_IO, "%s: cannot read \"%s\": %s", who, path,
                              r < 0 ? strerror(errno) : "the file shrank while being read");
            break;
        }
        have += (size_t)r;
    }
    close(fd);
    if (s != GL_OK) {
        free(buf);
        return s;
    }
    *data = buf;
    *size = n;
    return GL_OK;
}

int gl_dc_split(genlab_ctx *ctx, const char *who, const char *split)
{
    if (strcmp(split, "train") == 0)
        return 0;
    if (strcmp(split, "test") == 0)
        return 1;
    genlab_errorf(ctx, GL_ERR_INVALID, "%s: no split \"%s\" (train, test)", who, split);
    return -1;
}

/* ---- streams ---- */

genlab_status gl_dc_stream_open(genlab_ctx *ctx, gl_dc_stream *s, const char *who,
                                const char *name, const uint8_t *in, size_t size)
{
    *s = (gl_dc_stream){.who = who, .name = name, .in = in, .in_size = size};
    s->gz = size >= 2 && in[0] == 0x1f && in[1] == 0x8b;
    if (!s->gz)
        return GL_OK;
    s->z.next_in = (Bytef *)in;   /* zlib's API is not const; it never writes input */
    s->z.avail_in = 0;            /* fed in gz_pull, in pieces of at most UINT_MAX */
    /* 16 + 15: a gzip wrapper around a 32 KiB-window deflate stream */
    if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: \"%s\": cannot start zlib", who, name);
    s->z_live = true;
    return GL_OK;
}

void gl_dc_stream_close(gl_dc_stream *s)
{
    if (s->z_live)
        inflateEnd(&s->z);
    s->z_live = false;
}

/* the compressed bytes zlib has not seen yet, pending input included */
static size_t gz_rest(const gl_dc_stream *s)
{
    return s->in_size - (size_t)(s->z.next_in - s->in);
}

/* gz_pull — decompress up to n bytes into dst, across gzip members */
static genlab_status gz_pull(genlab_ctx *ctx, gl_dc_stream *s, uint8_t *dst, size_t n,
                             size_t *got)
{
    size_t left = n;
    while (left > 0 && !s->z_done) {
        if (s->z.avail_in == 0) {
            size_t rest = gz_rest(s);
            if (rest == 0)
                return genlab_errorf(ctx, GL_ERR_FORMAT,
                                     "%s: \"%s\": truncated gzip stream (it ends after %llu "
                                     "bytes of data)",
                                     s->who, s->name, (unsigned long long)s->out);
            s->z.avail_in = rest > UINT_MAX ? UINT_MAX : (uInt)rest;
        }
        uInt chunk = left > UINT_MAX ? UINT_MAX : (uInt)left;
        s->z.next_out = dst + (n - left);
        s->z.avail_out = chunk;
        int r = inflate(&s->z, Z_NO_FLUSH);
        size_t made = chunk - s->z.avail_out;
        left -= made;
        s->out += made;
        if (r == Z_STREAM_END) {
            size_t rest = gz_rest(s);
            if (rest == 0) {
                s->z_done = true;
            } else if (rest < 2 || s->z.next_in[0] != 0x1f || s->z.next_in[1] != 0x8b) {
                return genlab_errorf(ctx, GL_ERR_FORMAT,
                                     "%s: \"%s\": %zu bytes of trailing garbage after the gzip "
                                     "stream",
                                     s->who, s->name, rest);
            } else if (inflateReset(&s->z) != Z_OK) {   /* another member follows */
                return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: \"%s\": zlib: %s", s->who,
                                     s->name, s->z.msg ? s->z.msg : "reset failed");
            }
        } else if (r == Z_MEM_ERROR) {
            return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: \"%s\": zlib is out of memory", s->who,
                                 s->name);
        } else if (r != Z_OK && !(r == Z_BUF_ERROR && s->z.avail_in == 0)) {
            /* Z_BUF_ERROR with input pending cannot happen with room in
             * the output; with none pending the loop feeds more or reports
             * the truncation */
            return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: \"%s\": corrupt gzip stream: %s",
                                 s->who, s->name, s->z.msg ? s->z.msg : "zlib error");
        }
    }
    *got = n - left;
    return GL_OK;
}

genlab_status gl_dc_stream_some(genlab_ctx *ctx, gl_dc_stream *s, void *dst, size_t n,
                                size_t *got)
{
    *got = 0;
    if (s->gz)
        return gz_pull(ctx, s, dst, n, got);
    size_t k = s->in_size - s->pos < n ? s->in_size - s->pos : n;
    if (k > 0)   /* an empty buffer may be NULL */
        memcpy(dst, s->in + s->pos, k);
    s->pos += k;
    s->out += k;
    *got = k;
    return GL_OK;
}

static genlab_status short_data(genlab_ctx *ctx, const gl_dc_stream *s, size_t missing,
                                const char *what)
{
    return genlab_errorf(ctx, GL_ERR_FORMAT,
                         "%s: \"%s\": truncated: the data ends after %llu bytes, %zu bytes short "
                         "of the %s",
                         s->who, s->name, (unsigned long long)s->out, missing, what);
}

genlab_status gl_dc_stream_exact(genlab_ctx *ctx, gl_dc_stream *s, void *dst, size_t n,
                                 const char *what)
{
    size_t got;
    genlab_status st = gl_dc_stream_some(ctx, s, dst, n, &got);
    if (st == GL_OK && got < n)
        st = short_data(ctx, s, n - got, what);
    return st;
}

genlab_status gl_dc_stream_alloc(genlab_ctx *ctx, gl_dc_stream *s, size_t n, const char *what,
                                 uint8_t **out)
{
    *out = NULL;
    if (!s->gz && s->in_size - s->pos < n)
        return short_data(ctx, s, n - (s->in_size - s->pos), what);
    /* compressed: start at 16 MiB at most and double as data arrives */
    size_t cap = s->gz && n > ((size_t)16 << 20) ? (size_t)16 << 20 : n, have = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    for (;;) {
        if (!buf)
            return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: \"%s\": out of memory for %zu bytes",
                                 s->who, s->name, cap);
        genlab_status st = gl_dc_stream_exact(ctx, s, buf + have, cap - have, what);
        if (st != GL_OK) {
            free(buf);
            return st;
        }
        have = cap;
        if (have == n)
            break;
        cap = n - cap < cap ? n : 2 * cap;
        uint8_t *grown = realloc(buf, cap);
        if (!grown)
            free(buf);
        buf = grown;
    }
    *out = buf;
    return GL_OK;
}

genlab_status gl_dc_stream_end(genlab_ctx *ctx, gl_dc_stream *s, const char *expected)
{
    if (!s->gz) {
        if (s->pos == s->in_size)
            return GL_OK;
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: \"%s\": %zu trailing bytes after the %s",
                             s->who, s->name, s->in_size - s->pos, expected);
    }
    uint8_t extra;
    size_t got;
    genlab_status st = gz_pull(ctx, s, &extra, 1, &got);
    if (st == GL_OK && got > 0)
        st = genlab_errorf(ctx, GL_ERR_FORMAT,
                           "%s: \"%s\": trailing bytes: the decompressed data is longer than "
                           "the %s",
                           s->who, s->name, expected);
    return st;
}

/* ---- identities ---- */

void gl_dc_sha256_finish(struct sha256_ctx *h, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(h, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

void gl_dc_sha256_hex(const void *data, size_t size, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, size, data);
    gl_dc_sha256_finish(&h, hex);
}

void gl_dc_manifest_init(gl_dc_manifest *m) { sha256_init(&m->h); }

void gl_dc_manifest_add(gl_dc_manifest *m, const char *path, const char *hex)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    sha256_update(&m->h, strlen(hex), (const uint8_t *)hex);
    sha256_update(&m->h, 2, (const uint8_t *)"  ");
    sha256_update(&m->h, strlen(name), (const uint8_t *)name);
    sha256_update(&m->h, 1, (const uint8_t *)"\n");
}

void gl_dc_manifest_identity(gl_dc_manifest *m, const char *who, char *out, size_t size)
{
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    gl_dc_sha256_finish(&m->h, hex);
    snprintf(out, size, "%s:sha256:%s", who, hex);
}

/* ---- batches ---- */

genlab_status gl_dc_read(genlab_ctx *ctx, genlab_imageset *set, const int32_t *labels,
                         const int64_t *indices, int64_t n, genlab_batch *out)
{
    *out = (genlab_batch){0};
    genlab_tensor *x = NULL;
    genlab_status st = genlab_imageset_read(ctx, set, indices, n, &x);
    if (st != GL_OK)
        return st;
    genlab_tensor *y = NULL;
    if (labels) {
        /* the indices are in range: the image set checked them */
        y = genlab_tensor_new(ctx, GL_I32, 1, (const int64_t[]){n});
        if (!y)
            return genlab_ctx_status(ctx);
        int32_t *py = genlab_tensor_data(y);
        for (int64_t i = 0; i < n; i++)
            py[i] = labels[indices[i]];
    }
    out->x = x;
    out->y = y;
    return GL_OK;
}

/* ---- lists ---- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

genlab_status gl_dc_list_split(genlab_ctx *ctx, const char *who, const char *key,
                               const char *text, gl_dc_list *out)
{
    *out = (gl_dc_list){0};
    out->buf = strdup(text);
    if (!out->buf)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", who);
    if (*trim(out->buf) == '\0')
        return GL_OK;
    int cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    out->item = malloc((size_t)cap * sizeof *out->item);
    if (!out->item) {
        gl_dc_list_free(out);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", who);
    }
    char *p = out->buf;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *item = trim(p);
        if (*item == '\0') {
            gl_dc_list_free(out);
            return genlab_errorf(ctx, GL_ERR_INVALID,
                                 "%s: %s = \"%s\": an empty item in the comma-separated list",
                                 who, key, text);
        }
        out->item[out->n++] = item;
        if (!comma)
            break;
        p = comma + 1;
    }
    return GL_OK;
}

void gl_dc_list_free(gl_dc_list *l)
{
    free(l->buf);
    free(l->item);
    *l = (gl_dc_list){0};
}
