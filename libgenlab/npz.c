/* SPDX-License-Identifier: MIT
 *
 * npz.c — NumPy .npz archives of float arrays, read and written (npz.h):
 * the zip container (local headers, central directory, end record; members
 * stored or deflated through zlib's raw inflate/deflate, CRC-32 checked)
 * and the .npy member format (magic, version 1/2/3, a Python dict literal
 * header, C-order data).
 *
 * Reading trusts nothing: the end record is found by its signature at the
 * one place where its comment reaches the end of the file; every count,
 * size and offset is checked against the bytes actually there before it is
 * used; a member's declared size is capped (GL_NPZ_MAX_MEMBER, and at the
 * most deflate can expand its compressed bytes) before anything is
 * allocated; inflating must produce exactly the declared bytes. Sizes come
 * from the central directory: numpy's np.savez writes its local headers
 * with a zip64 extra field (force_zip64), which is skipped, while an
 * archive whose directory itself needs zip64 (over 65535 members or 4 GiB)
 * is refused. Not here: encrypted members, other compression methods,
 * dtypes other than little-endian float64/float32, Fortran order — each
 * refused with a message naming the file and the member.
 *
 * Writing: '<f8' arrays, .npy v1.0 headers padded to 64 bytes as numpy
 * pads them, members deflated (np.savez_compressed's layout), a fixed
 * 1980-01-01 timestamp so equal arrays give equal files, written through
 * atomic_file.h.
 *
 * Sections: byte helpers, .npy header parsing, reading, writing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "atomic_file.h"
#include "genlab/npz.h"
#include "internal.h"

/* the largest member (uncompressed) read: a 11585 x 11585 float64 matrix */
#define GL_NPZ_MAX_MEMBER ((uint64_t)1 << 30)
/* deflate expands at most 1032:1 (zlib's technical notes); the slack
 * covers the few bytes of an empty or tiny stream */
#define DEFLATE_MAX_RATIO 1032u
#define DEFLATE_SLACK     1024u

#define SIG_LOCAL   0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END     0x06054b50u
#define LOCAL_SIZE   30
#define CENTRAL_SIZE 46
#define END_SIZE     22

#define NPY_MAGIC     "\x93NUMPY"
#define NPY_MAGIC_LEN 6

/* ---- byte helpers ---- */

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static void wr16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static void wr32(unsigned char *p, uint32_t v)
{
    wr16(p, v);
    wr16(p + 2, v >> 16);
}
static void wr64(unsigned char *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* ---- .npy header parsing ---- */

/* A cursor over the header text, with the context of its messages. */
typedef struct hdr {
    const char *p, *end;
    genlab_ctx *ctx;
    const char *file, *member;
} hdr;

static genlab_status hdr_err(hdr *h, const char *what)
{
    return genlab_errorf(h->ctx, GL_ERR_FORMAT, "%s: member '%s': bad .npy header: %s", h->file,
                         h->member, what);
}

static void hdr_ws(hdr *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static bool hdr_eat(hdr *h, char c)
{
    hdr_ws(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return true;
    }
    return false;
}

/* hdr_string — a quoted string without escapes into out (size bytes). */
static genlab_status hdr_string(hdr *h, char *out, size_t size)
{
    hdr_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return hdr_err(h, "a quoted string expected");
    const char q = *h->p++;
    size_t n = 0;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\' || n + 1 >= size)
            return hdr_err(h, "a string with escapes or over 31 characters");
        out[n++] = *h->p++;
    }
    if (h->p >= h->end)
        return hdr_err(h, "an unterminated string");
    h->p++;
    out[n] = '\0';
    return GL_OK;
}

/* hdr_word — true when the identifier w comes next (and is consumed). */
static bool hdr_word(hdr *h, const char *w)
{
    hdr_ws(h);
    const size_t n = strlen(w);
    if ((size_t)(h->end - h->p) < n || memcmp(h->p, w, n) != 0)
        return false;
    const char *after = h->p + n;
    if (after < h->end && (*after == '_' || (*after >= 'a' && *after <= 'z') ||
                           (*after >= 'A' && *after <= 'Z') || (*after >= '0' && *after <= '9')))
        return false;
    h->p = after;
    return true;
}

/* hdr_shape — a tuple of non-negative integers: (), (n,), (a, b), ... A
 * trailing L (Python 2's long, in old files) is allowed. */
static genlab_status hdr_shape(hdr *h, int *ndim, int64_t *shape)
{
    if (!hdr_eat(h, '('))
        return hdr_err(h, "'shape' is not a tuple");
    *ndim = 0;
    bool comma = true;    /* an element may follow */
    for (;;) {
        hdr_ws(h);
        if (hdr_eat(h, ')'))
            break;
        if (!comma || h->p >= h->end || *h->p < '0' || *h->p > '9')
            return hdr_err(h, "'shape' holds something other than non-negative integers");
        uint64_t v = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            v = v * 10 + (uint64_t)(*h->p++ - '0');
            if (v > (uint64_t)INT64_MAX)
                return hdr_err(h, "a dimension of 'shape' is over 2^63");
        }
        if (h->p < h->end && *h->p == 'L')
            h->p++;
        if (*ndim == GL_NPZ_MAX_DIMS)
            return hdr_err(h, "'shape' has more than 4 dimensions");
        shape[(*ndim)++] = (int64_t)v;
        comma = hdr_eat(h, ',');
    }
    /* (5) is the integer 5 in Python, not a tuple: numpy writes (5,) */
    if (*ndim == 1 && !comma)
        return hdr_err(h, "'shape' is not a tuple (one dimension needs a trailing comma)");
    return GL_OK;
}

/* npy_header — parse the dict of a .npy header: element size 8 or 4. */
static genlab_status npy_header(hdr *h, size_t *esize, int *ndim, int64_t *shape)
{
    enum { DESCR = 1, FORTRAN = 2, SHAPE = 4 };
    int seen = 0;
    genlab_status st;
    if (!hdr_eat(h, '{'))
        return hdr_err(h, "not a dict");
    while (!hdr_eat(h, '}')) {
        char key[32], descr[32], msg[128];
        if ((st = hdr_string(h, key, sizeof key)) != GL_OK)
            return st;
        if (!hdr_eat(h, ':'))
            return hdr_err(h, "':' expected after a key");
        int k = !strcmp(key, "descr") ? DESCR : !strcmp(key, "fortran_order") ? FORTRAN
              : !strcmp(key, "shape") ? SHAPE : 0;
        if (!k || (seen & k)) {
            snprintf(msg, sizeof msg, "%s key '%s'", k ? "repeated" : "unknown", key);
            return hdr_err(h, msg);
        }
        seen |= k;
        if (k == DESCR) {
            if ((st = hdr_string(h, descr, sizeof descr)) != GL_OK)
                return st;
            *esize = !strcmp(descr, "<f8") ? 8 : !strcmp(descr, "<f4") ? 4 : 0;
            if (!*esize)
                return genlab_errorf(h->ctx, GL_ERR_FORMAT, "%s: member '%s': dtype '%s' is not "
                                     "supported (only '<f8' and '<f4': little-endian float64 "
                                     "and float32)", h->file, h->member, descr);
        } else if (k == FORTRAN) {
            if (hdr_word(h, "True"))
                return genlab_errorf(h->ctx, GL_ERR_FORMAT, "%s: member '%s': fortran_order "
                                     "True is not supported (C order only)", h->file,
                                     h->member);
            if (!hdr_word(h, "False"))
                return hdr_err(h, "'fortran_order' is not True or False");
        } else if ((st = hdr_shape(h, ndim, shape)) != GL_OK) {
            return st;
        }
        if (!hdr_eat(h, ',')) {
            hdr_ws(h);
            if (h->p >= h->end || *h->p != '}')
                return hdr_err(h, "',' or '}' expected");
        }
    }
    hdr_ws(h);
    if (h->p != h->end)
        return hdr_err(h, "text after the dict");
    if (seen != (DESCR | FORTRAN | SHAPE))
        return hdr_err(h, !(seen & DESCR) ? "no 'descr'" : !(seen & FORTRAN) ? "no 'fortran_order'"
                                                                         : "no 'shape'");
    return GL_OK;
}

/* npy_parse — the .npy bytes b[0..len) into arr (shape, data converted
 * to float64; arr->name is set by the caller). */
static genlab_status npy_parse(genlab_ctx *ctx, const char *file, const char *member,
                               const unsigned char *b, size_t len, genlab_npz_array *arr)
{
    if (len < 10 || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': not a .npy array (no "
                             "\\x93NUMPY magic)", file, member);
    const unsigned major = b[6], minor = b[7];
    if (major < 1 || major > 3 || minor != 0)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': .npy version %u.%u is not "
                             "supported (1.0, 2.0, 3.0)", file, member, major, minor);
    const size_t start = major == 1 ? 10 : 12;
    if (len < start)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': truncated .npy header", file,
                             member);
    const size_t hlen = major == 1 ? rd16(b + 8) : rd32(b + 8);
    if (hlen > len - start)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': .npy header of %zu bytes "
                             "runs past the member's %zu", file, member, hlen, len);
    hdr h = {(const char *)b + start, (const char *)b + start + hlen, ctx, file, member};
    size_t esize = 0;
    genlab_status st = npy_header(&h, &esize, &arr->ndim, arr->shape);
    if (st != GL_OK)
        return st;

    const size_t have = len - start - hlen;
    uint64_t numel = 1;
    bool big = false;
    for (int i = 0; i < arr->ndim; i++)
        big |= __builtin_mul_overflow(numel, (uint64_t)arr->shape[i], &numel);
    char sbuf[GL_SHAPE_BUF];
    if (big || numel > have / esize)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': shape %s of '<f%zu' is "
                             "larger than the member's %zu bytes of data", file, member,
                             gl_dims_str(arr->ndim, arr->shape, sbuf, sizeof sbuf), esize, have);
    if (numel * esize != have)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': shape %s of '<f%zu' needs "
                             "%llu bytes of data, the member has %zu", file, member,
                             gl_dims_str(arr->ndim, arr->shape, sbuf, sizeof sbuf), esize,
                             (unsigned long long)(numel * esize), have);
    arr->data = malloc((size_t)(numel ? numel : 1) * sizeof(double));
    if (!arr->data)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: member '%s': out of memory for %llu values",
                             file, member, (unsigned long long)numel);
    const unsigned char *d = b + start + hlen;
    for (uint64_t i = 0; i < numel; i++) {
        if (esize == 8) {
            const uint64_t u = rd64(d + 8 * i);
            memcpy(&arr->data[i], &u, sizeof u);
        } else {
            const uint32_t u = rd32(d + 4 * i);
            float f;
            memcpy(&f, &u, sizeof f);
            arr->data[i] = f;
        }
    }
    return GL_OK;
}

/* ---- reading ---- */

struct genlab_npz {
    int               n;
    genlab_npz_array *arrays;    /* names and data owned */
};

void genlab_npz_close(genlab_npz *z)
{
    if (!z)
        return;
    for (int i = 0; i < z->n; i++) {
        free((char *)z->arrays[i].name);
        free(z->arrays[i].data);
    }
    free(z->arrays);
    free(z);
}

const genlab_npz_array *genlab_npz_get(const genlab_npz *z, const char *name)
{
    for (int i = 0; z && name && i < z->n; i++)
        if (!strcmp(z->arrays[i].name, name))
            return &z->arrays[i];
    return NULL;
}

/* A member as the central directory describes it. */
typedef struct zmember {
    uint32_t method, crc;
    uint64_t csize, usize, offset;
    const unsigned char *name;   /* in the archive; nlen bytes, no NUL */
    uint32_t nlen;
} zmember;

/* find_end — the offset of the end record: the last signature whose
 * comment ends exactly at the end of the file; -1 if there is none. */
static int64_t find_end(const unsigned char *b, size_t size)
{
    if (size < END_SIZE)
        return -1;
    const size_t lowest = size - END_SIZE > 0xffff ? size - END_SIZE - 0xffff : 0;
    for (size_t pos = size - END_SIZE + 1; pos-- > lowest;)
        if (rd32(b + pos) == SIG_END && pos + END_SIZE + rd16(b + pos + 20) == size)
            return (int64_t)pos;
    return -1;
}

/* member_bytes — inflate or copy member m of b into a new buffer (*out,
 * m->usize bytes) and check its CRC-32; member names it in messages. */
static genlab_status member_bytes(genlab_ctx *ctx, const char *file, const char *member,
                                  const unsigned char *b, size_t cd_off, const zmember *m,
                                  unsigned char **out)
{
    *out = NULL;
    if (m->offset > cd_off || cd_off - m->offset < LOCAL_SIZE || rd32(b + m->offset) != SIG_LOCAL)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': no local header at offset "
                             "%llu", file, member, (unsigned long long)m->offset);
    const unsigned char *lh = b + m->offset;
    const uint64_t data = m->offset + LOCAL_SIZE + rd16(lh + 26) + rd16(lh + 28);
    if (rd16(lh + 26) != m->nlen || memcmp(lh + LOCAL_SIZE, m->name, m->nlen) != 0 ||
        rd16(lh + 8) != m->method)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': the local header does not "
                             "match the central directory (name or method)", file, member);
    if (data > cd_off || m->csize > cd_off - data)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': %llu bytes of data at offset "
                             "%llu run into the central directory at %zu (truncated?)", file,
                             member, (unsigned long long)m->csize, (unsigned long long)data,
                             cd_off);
    if (m->usize > GL_NPZ_MAX_MEMBER ||
        (m->method == 8 && m->usize > m->csize * DEFLATE_MAX_RATIO + DEFLATE_SLACK) ||
        (m->method == 0 && m->usize != m->csize))
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': declared size %llu bytes "
                             "(%llu stored) is impossible or over the limit of %llu", file,
                             member, (unsigned long long)m->usize, (unsigned long long)m->csize,
                             (unsigned long long)GL_NPZ_MAX_MEMBER);
    unsigned char *u = malloc(m->usize ? (size_t)m->usize : 1);
    if (!u)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: member '%s': out of memory for %llu bytes",
                             file, member, (unsigned long long)m->usize);
    if (m->method == 0) {
        memcpy(u, b + data, (size_t)m->usize);
    } else {
        z_stream zs = {0};
        if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
            free(u);
            return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: member '%s': zlib cannot start", file,
                                 member);
        }
        /* one call: input and output are whole; the sizes fit uInt (<= 1 GiB
         * out, and in within the file already read) */
        zs.next_in = (Bytef *)(b + data);
        zs.avail_in = (uInt)m->csize;
        zs.next_out = u;
        zs.avail_out = (uInt)m->usize;
        int zr = inflate(&zs, Z_FINISH);
        const char *why = zr == Z_STREAM_END && zs.total_out == m->usize ? NULL
                        : zr == Z_STREAM_END ? "inflates to fewer bytes than declared"
                        : zr == Z_DATA_ERROR ? (zs.msg ? zs.msg : "corrupt deflate data")
                        : zs.avail_out == 0 ? "inflates to more bytes than declared"
                                            : "deflate data ends early";
        inflateEnd(&zs);
        if (why) {
            free(u);
            return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': %s (declared %llu "
                                 "bytes)", file, member, why, (unsigned long long)m->usize);
        }
    }
    const uint32_t crc = (uint32_t)crc32(0L, u, (uInt)m->usize);
    if (crc != m->crc) {
        free(u);
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': CRC-32 mismatch (directory "
                             "0x%08x, data 0x%08x)", file, member, (unsigned)m->crc,
                             (unsigned)crc);
    }
    *out = u;
    return GL_OK;
}

/* central_entry — the central directory entry at b + p (within cd_end)
 * into m; *next is the offset after it. */
static genlab_status central_entry(genlab_ctx *ctx, const char *file, const unsigned char *b,
                                   size_t p, size_t cd_end, int index, zmember *m, size_t *next)
{
    if (cd_end - p < CENTRAL_SIZE || rd32(b + p) != SIG_CENTRAL)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: central directory entry %d is missing or "
                             "damaged", file, index);
    const unsigned char *e = b + p;
    const size_t len = (size_t)CENTRAL_SIZE + rd16(e + 28) + rd16(e + 30) + rd16(e + 32);
    if (cd_end - p < len)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: central directory entry %d runs past the "
                             "directory", file, index);
    *m = (zmember){.method = rd16(e + 10), .crc = rd32(e + 16), .csize = rd32(e + 20),
                   .usize = rd32(e + 24), .offset = rd32(e + 42), .name = e + CENTRAL_SIZE,
                   .nlen = rd16(e + 28)};
    *next = p + len;
    return GL_OK;
}

/* member_name — the array name of central entry m ("NAME.npy" without
 * ".npy") as a new string into *out, or an error naming why not. */
static genlab_status member_name(genlab_ctx *ctx, const char *file, const unsigned char *e,
                                 const zmember *m, int index, char **out)
{
    *out = NULL;
    char shown[80];
    size_t k = 0;
    for (uint32_t i = 0; i < m->nlen && k + 1 < sizeof shown; i++)
        shown[k++] = m->name[i] >= 0x20 && m->name[i] < 0x7f ? (char)m->name[i] : '?';
    shown[k] = '\0';
    bool plain = m->nlen > 4 && !memcmp(m->name + m->nlen - 4, ".npy", 4);
    for (uint32_t i = 0; plain && i < m->nlen; i++)
        plain = m->name[i] >= 0x20 && m->name[i] != 0x7f;   /* UTF-8 passes, controls do not */
    if (!plain)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member %d '%s' is not a NAME.npy array",
                             file, index, shown);
    if (rd16(e + 8) & 1)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s' is encrypted", file, shown);
    if (m->method != 0 && m->method != 8)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s': compression method %u is "
                             "not supported (stored or deflated only)", file, shown,
                             (unsigned)m->method);
    if (m->csize == 0xffffffffu || m->usize == 0xffffffffu || m->offset == 0xffffffffu)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s' needs zip64 (over 4 GiB): not "
                             "supported", file, shown);
    if (!(*out = strndup((const char *)m->name, m->nlen - 4)))
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", file);
    return GL_OK;
}

/* parse — the whole archive b[0..size) into a new genlab_npz. */
static genlab_status parse(genlab_ctx *ctx, const char *file, const unsigned char *b, size_t size,
                           genlab_npz **out)
{
    const int64_t end = find_end(b, size);
    if (end < 0)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: not a zip archive, or truncated (no "
                             "end-of-central-directory record in its %zu bytes)", file, size);
    const unsigned char *e = b + end;
    const uint32_t count = rd16(e + 10), cd_size = rd32(e + 12), cd_off = rd32(e + 16);
    if (count == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: a zip64 archive (over 65535 members or "
                             "4 GiB): not supported", file);
    if (rd16(e + 4) != 0 || rd16(e + 6) != 0 || rd16(e + 8) != count)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: a multi-disk zip archive: not supported",
                             file);
    if (cd_off > (uint64_t)end || cd_size > (uint64_t)end - cd_off)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "%s: the central directory (%u bytes at offset "
                             "%u) is not before the end record at %lld (truncated?)", file,
                             (unsigned)cd_size, (unsigned)cd_off, (long long)end);

    genlab_npz *z = calloc(1, sizeof *z);
    if (!z || !(z->arrays = calloc(count ? count : 1, sizeof *z->arrays))) {
        free(z);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory", file);
    }
    genlab_status st = GL_OK;
    size_t p = cd_off;
    const size_t cd_end = (size_t)cd_off + cd_size;
    for (uint32_t i = 0; i < count && st == GL_OK; i++) {
        zmember m = {0};
        char *name = NULL;
        unsigned char *bytes = NULL;
        const unsigned char *entry = b + p;
        if ((st = central_entry(ctx, file, b, p, cd_end, (int)i, &m, &p)) != GL_OK ||
            (st = member_name(ctx, file, entry, &m, (int)i, &name)) != GL_OK)
            break;
        if (genlab_npz_get(z, name)) {
            st = genlab_errorf(ctx, GL_ERR_FORMAT, "%s: member '%s.npy' appears twice", file,
                               name);
            free(name);
            break;
        }
        genlab_npz_array *a = &z->arrays[z->n++];
        a->name = name;
        char member[300];
        snprintf(member, sizeof member, "%s.npy", name);
        if ((st = member_bytes(ctx, file, member, b, cd_off, &m, &bytes)) == GL_OK)
            st = npy_parse(ctx, file, member, bytes, (size_t)m.usize, a);
        free(bytes);
    }
    if (st == GL_OK && p != cd_end)
        st = genlab_errorf(ctx, GL_ERR_FORMAT, "%s: the central directory holds %zu bytes more "
                           "than its %u entries", file, cd_end - p, (unsigned)count);
    if (st != GL_OK) {
        genlab_npz_close(z);
        return st;
    }
    *out = z;
    return GL_OK;
}

genlab_status genlab_npz_parse(genlab_ctx *ctx, const void *buf, size_t size, const char *name,
                               genlab_npz **out)
{
    *out = NULL;
    if (!name)
        name = "(memory)";
    if (!buf && size > 0)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_npz_parse: %s: NULL buffer", name);
    /* every value is copied out of buf, so the caller's bytes are read in place */
    return parse(ctx, name, size ? buf : (const unsigned char *)"", size, out);
}

genlab_status genlab_npz_open(genlab_ctx *ctx, const char *path, genlab_npz **out)
{
    *out = NULL;
    unsigned char *mem;
    size_t size;
    /* a zip without zip64 is under 4 GiB plus the end record's comment */
    genlab_status st = gl_file_read(ctx, path, ((uint64_t)1 << 32) + 0x10000,
                                    "over 4 GiB: a zip64 archive, not supported", 0, &mem, &size);
    if (st != GL_OK)
        return st;
    st = parse(ctx, path, mem, size, out);
    free(mem);
    return st;
}

/* ---- writing ---- */

/* DOS time 00:00:00 and date 1980-01-01: files depend only on the arrays */
#define DOS_TIME 0x0000u
#define DOS_DATE 0x0021u
#define ZIP_VERSION 20u   /* 2.0: deflate */

/* One member ready to write: compressed bytes and what the headers say. */
typedef struct wmember {
    const char    *name;     /* the array's */
    size_t         nlen;     /* of "NAME.npy" */
    unsigned char *data;     /* deflated .npy bytes */
    size_t         csize, usize;
    uint32_t       crc;
    uint64_t       offset;   /* of the local header */
} wmember;

/* check_array — a writable array: name, shape, data. */
static genlab_status check_array(genlab_ctx *ctx, const char *path, const genlab_npz_array *a,
                                 int index, uint64_t *numel)
{
    const char *name = a->name;
    bool ok = name && *name && strlen(name) <= 200;
    for (const char *c = name; ok && *c; c++)
        ok = *c > 0x20 && *c < 0x7f && *c != '/' && *c != '\\';
    if (!ok)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_npz_write: %s: array %d: name \"%s\" "
                             "(need 1 to 200 printable ASCII characters, no space or slash)",
                             path, index, name ? name : "(null)");
    char sbuf[GL_SHAPE_BUF];
    bool bad = a->ndim < 0 || a->ndim > GL_NPZ_MAX_DIMS;
    *numel = 1;
    for (int i = 0; !bad && i < a->ndim; i++)
        bad = a->shape[i] < 0 || __builtin_mul_overflow(*numel, (uint64_t)a->shape[i], numel);
    /* the .npy (header of 128 bytes at most) must fit a zip without zip64 */
    if (bad || *numel > (0xffffffffu - 256) / 8)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_npz_write: %s: array '%s': shape %s "
                             "(need 0 to %d dimensions >= 0, under 4 GiB of float64)", path, name,
                             a->ndim >= 0 && a->ndim <= GL_NPZ_MAX_DIMS
                                 ? gl_dims_str(a->ndim, a->shape, sbuf, sizeof sbuf) : "?",
                             GL_NPZ_MAX_DIMS);
    if (*numel > 0 && !a->data)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_npz_write: %s: array '%s': NULL data",
                             path, name);
    return GL_OK;
}

/* npy_bytes — the .npy v1.0 file of a into a new buffer (*len bytes):
 * the header padded with spaces and a newline to a multiple of 64. */
static unsigned char *npy_bytes(const genlab_npz_array *a, uint64_t numel, size_t *len)
{
    char dict[160];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < a->ndim; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, i ? ", %lld" : "%lld",
                      (long long)a->shape[i]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", a->ndim == 1 ? "," : "");
    const size_t hlen = ((size_t)10 + (size_t)n + 1 + 63) / 64 * 64 - 10;
    *len = 10 + hlen + (size_t)numel * 8;
    unsigned char *b = malloc(*len);
    if (!b)
        return NULL;
    memcpy(b, NPY_MAGIC "\x01\x00", 8);
    wr16(b + 8, (uint32_t)hlen);
    memset(b + 10, ' ', hlen);
    memcpy(b + 10, dict, (size_t)n);
    b[10 + hlen - 1] = '\n';
    for (uint64_t i = 0; i < numel; i++) {
        uint64_t u;
        memcpy(&u, &a->data[i], sizeof u);
        wr64(b + 10 + hlen + 8 * i, u);
    }
    return b;
}

/* deflate_member — compress the .npy of a into m (raw deflate, zlib's
 * default level as np.savez_compressed). */
static genlab_status deflate_member(genlab_ctx *ctx, const char *path, const genlab_npz_array *a,
                                    uint64_t numel, wmember *m)
{
    size_t len;
    unsigned char *raw = npy_bytes(a, numel, &len);
    z_stream zs = {0};
    if (!raw || deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
                             Z_DEFAULT_STRATEGY) != Z_OK) {
        free(raw);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "genlab_npz_write: %s: array '%s': out of "
                             "memory", path, a->name);
    }
    const uLong bound = deflateBound(&zs, (uLong)len);
    m->data = bound <= 0xffffffffu ? malloc(bound) : NULL;
    int zr = Z_MEM_ERROR;
    if (m->data) {
        zs.next_in = raw;
        zs.avail_in = (uInt)len;
        zs.next_out = m->data;
        zs.avail_out = (uInt)bound;
        zr = deflate(&zs, Z_FINISH);
    }
    m->csize = zs.total_out;
    deflateEnd(&zs);
    m->usize = len;
    m->crc = (uint32_t)crc32(0L, raw, (uInt)len);
    free(raw);
    if (zr != Z_STREAM_END)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "genlab_npz_write: %s: array '%s': cannot "
                             "compress %zu bytes", path, a->name, len);
    return GL_OK;
}

/* header — a local (central false) or central directory header of m into
 * h; returns its length before the name. */
static size_t header(const wmember *m, bool central, unsigned char *h)
{
    unsigned char *p = h;
    wr32(p, central ? SIG_CENTRAL : SIG_LOCAL);
    p += 4;
    if (central) {
        wr16(p, 3u << 8 | ZIP_VERSION);   /* made by: Unix, so the mode below counts */
        p += 2;
    }
    wr16(p, ZIP_VERSION);
    wr16(p + 2, 0);            /* flags */
    wr16(p + 4, 8);            /* deflated */
    wr16(p + 6, DOS_TIME);
    wr16(p + 8, DOS_DATE);
    wr32(p + 10, m->crc);
    wr32(p + 14, (uint32_t)m->csize);
    wr32(p + 18, (uint32_t)m->usize);
    wr16(p + 22, (uint32_t)m->nlen);
    wr16(p + 24, 0);           /* extra */
    p += 26;
    if (central) {
        wr16(p, 0);            /* comment */
        wr16(p + 2, 0);        /* disk */
        wr16(p + 4, 0);        /* internal attributes */
        wr32(p + 6, 0100644u << 16);   /* a regular file, rw-r--r-- */
        wr32(p + 10, (uint32_t)m->offset);
        p += 14;
    }
    return (size_t)(p - h);
}

/* write_all — the archive of the n members into f; false on a write error. */
static bool write_all(FILE *f, const wmember *ms, int n, uint64_t cd_off, uint64_t cd_size)
{
    unsigned char h[CENTRAL_SIZE];
    bool ok = true;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; ok && i < n; i++) {
            const size_t hl = header(&ms[i], pass == 1, h);
            ok = fwrite(h, 1, hl, f) == hl && fwrite(ms[i].name, 1, ms[i].nlen - 4, f) ==
                 ms[i].nlen - 4 && fwrite(".npy", 1, 4, f) == 4 &&
                 (pass == 1 || fwrite(ms[i].data, 1, ms[i].csize, f) == ms[i].csize);
        }
    unsigned char e[END_SIZE] = {0};
    wr32(e, SIG_END);
    wr16(e + 8, (uint32_t)n);
    wr16(e + 10, (uint32_t)n);
    wr32(e + 12, (uint32_t)cd_size);
    wr32(e + 16, (uint32_t)cd_off);
    return ok && fwrite(e, 1, END_SIZE, f) == END_SIZE;
}

genlab_status genlab_npz_write(genlab_ctx *ctx, const char *path, const genlab_npz_array *arrays,
                               int n)
{
    if (!path || n < 0 || n > 0xfffe || (n > 0 && !arrays))
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_npz_write: %s: %d arrays (need a "
                             "path, 0 to 65534 arrays, and the array list)",
                             path ? path : "(null path)", n);
    genlab_status st = GL_OK;
    wmember *ms = calloc(n ? (size_t)n : 1, sizeof *ms);
    if (!ms)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "genlab_npz_write: %s: out of memory", path);
    uint64_t off = 0, cd_size = 0;
    for (int i = 0; i < n && st == GL_OK; i++) {
        uint64_t numel = 0;
        if ((st = check_array(ctx, path, &arrays[i], i, &numel)) != GL_OK)
            break;
        for (int j = 0; j < i; j++)
            if (!strcmp(arrays[j].name, arrays[i].name)) {
                st = genlab_errorf(ctx, GL_ERR_INVALID, "genlab_npz_write: %s: two arrays "
                                   "named '%s'", path, arrays[i].name);
                break;
            }
        if (st != GL_OK)
            break;
        wmember *m = &ms[i];
        m->name = arrays[i].name;
        m->nlen = strlen(m->name) + 4;
        m->offset = off;
        if ((st = deflate_member(ctx, path, &arrays[i], numel, m)) != GL_OK)
            break;
        off += LOCAL_SIZE + m->nlen + m->csize;
        cd_size += CENTRAL_SIZE + m->nlen;
        if (off + cd_size + END_SIZE > 0xffffffffu)
            st = genlab_errorf(ctx, GL_ERR_INVALID, "genlab_npz_write: %s: over 4 GiB "
                               "compressed: a zip64 archive would be needed (not supported)",
                               path);
    }
    if (st == GL_OK) {
        gl_atomic_file a;
        if ((st = gl_atomic_begin(ctx, &a, path)) == GL_OK) {
            if (write_all(a.f, ms, n, off, cd_size)) {
                st = gl_atomic_commit(ctx, &a);
            } else {
                int e = errno;
                gl_atomic_abort(&a);
                st = genlab_errorf(ctx, GL_ERR_IO, "%s: cannot write the file: %s", path,
                                   strerror(e));
            }
        }
    }
    for (int i = 0; i < n; i++)
        free(ms[i].data);
    free(ms);
    return st;
}
