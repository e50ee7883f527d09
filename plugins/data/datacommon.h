/* SPDX-License-Identifier: MIT
 *
 * datacommon.h — what the dataset plugins of plugins/data/ (idx, cifar,
 * imagefolder) share: reading a whole file, a byte stream over a buffer
 * that is either raw or gzip-compressed, SHA-256 identities, and the read()
 * that pairs an image set's batch with labels.
 *
 * It is not part of libgenlab: datacommon.c is compiled into each plugin
 * (and included by the fuzz targets), and the plugins' export regex keeps
 * its gl_dc_ symbols private to each .so. Nothing here keeps global state.
 *
 * Every function that can fail records a message on ctx that starts with
 * the component's name (`who`) and names the file, and returns its status.
 *
 * Sections: files, streams, identities, batches, lists.
 */
#ifndef GENLAB_PLUGINS_DATACOMMON_H
#define GENLAB_PLUGINS_DATACOMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>
#include <zlib.h>

#include "genlab/dataset.h"
#include "genlab/genlab.h"

/* ---- files ---- */

/* The largest file (and the largest decompressed stream) a dataset plugin
 * reads into memory: 16 GiB, far above any IDX or CIFAR file, low enough
 * that a corrupt size is refused instead of attempted. */
#define GL_DC_MAX_BYTES ((uint64_t)1 << 34)

/* gl_dc_path — name joined to dir ("dir/name"), or name alone when it is
 * absolute or dir is empty. Returns a malloc'd string (NULL: no memory). */
char *gl_dc_path(const char *dir, const char *name);

/* gl_dc_slurp — the whole regular file at path in *data (malloc'd, freed
 * by the caller) and its size in *size. GL_ERR_IO naming path and the
 * system's reason (missing, unreadable, a directory); GL_ERR_FORMAT for a
 * file over GL_DC_MAX_BYTES; GL_ERR_NOMEM. On failure *data is NULL. */
genlab_status gl_dc_slurp(genlab_ctx *ctx, const char *who, const char *path, uint8_t **data,
                          size_t *size);

/* gl_dc_split — 0 for "train", 1 for "test"; anything else is
 * GL_ERR_INVALID naming the split (returned as -1 after the error). */
int gl_dc_split(genlab_ctx *ctx, const char *who, const char *split);

/* ---- streams ---- */

/* Bytes from a buffer: the buffer itself, or, when it starts with gzip's
 * magic (1f 8b), its decompressed content (several gzip members in a row
 * are one stream, as gzip(1) reads them). Told by content, not by name. */
typedef struct gl_dc_stream {
    const char    *who, *name;      /* for messages: component, file */
    const uint8_t *in;
    size_t         in_size, pos;    /* raw: bytes delivered so far */
    bool           gz;              /* the buffer is gzip-compressed */
    bool           z_live;          /* z was initialised (inflateEnd due) */
    bool           z_done;          /* the last member ended */
    z_stream       z;
    uint64_t       out;             /* bytes delivered so far */
} gl_dc_stream;

/* gl_dc_stream_open — a stream over in[0..size) (not copied: it must
 * outlive the stream). who and name are kept for messages. Always pair
 * with gl_dc_stream_close. GL_ERR_NOMEM. */
genlab_status gl_dc_stream_open(genlab_ctx *ctx, gl_dc_stream *s, const char *who,
                                const char *name, const uint8_t *in, size_t size);

/* gl_dc_stream_close — free s's decompressor. Safe on a zeroed stream. */
void gl_dc_stream_close(gl_dc_stream *s);

/* gl_dc_stream_some — up to n bytes into dst; OUT: *got is n except at the
 * end of the data. GL_ERR_FORMAT for a corrupt or truncated gzip stream
 * (naming the file and zlib's reason) or bytes after the last gzip member
 * that do not start another one. */
genlab_status gl_dc_stream_some(genlab_ctx *ctx, gl_dc_stream *s, void *dst, size_t n,
                                size_t *got);

/* gl_dc_stream_exact — exactly n bytes into dst; fewer is GL_ERR_FORMAT
 * naming the file, `what` was being read, and the sizes. */
genlab_status gl_dc_stream_exact(genlab_ctx *ctx, gl_dc_stream *s, void *dst, size_t n,
                                 const char *what);

/* gl_dc_stream_alloc — exactly n bytes in a new malloc'd *out. Raw data
 * is checked to hold n bytes before anything is allocated; compressed data
 * is decompressed into a buffer that grows as bytes arrive, so a header
 * claiming gigabytes costs memory only for bytes that really exist.
 * Errors as gl_dc_stream_exact; GL_ERR_NOMEM. On failure *out is NULL. */
genlab_status gl_dc_stream_alloc(genlab_ctx *ctx, gl_dc_stream *s, size_t n, const char *what,
                                 uint8_t **out);

/* gl_dc_stream_end — succeed only at the end of the data: a byte left is
 * GL_ERR_FORMAT ("trailing bytes after the <expected> bytes ..."). For
 * gzip, also the end of the last member (its CRC checked). */
genlab_status gl_dc_stream_end(genlab_ctx *ctx, gl_dc_stream *s, const char *expected);

/* ---- identities ---- */

/* gl_dc_sha256_hex — SHA-256 of data[0..size) as 64 lowercase hex digits. */
void gl_dc_sha256_hex(const void *data, size_t size, char hex[2 * SHA256_DIGEST_SIZE + 1]);

/* gl_dc_sha256_finish — ctx's digest as hex (ctx is reset, as nettle does). */
void gl_dc_sha256_finish(struct sha256_ctx *h, char hex[2 * SHA256_DIGEST_SIZE + 1]);

/* A dataset's identity over several whole files: the SHA-256 of the text
 * `sha256sum FILE...` prints for them ("<hex>  <file name>\n" per file,
 * in the order given, names without their directory), so
 *     (cd DIR && sha256sum FILE... | sha256sum)
 * gives the same hex. Written "<component>:sha256:<hex>". */
typedef struct gl_dc_manifest {
    struct sha256_ctx h;
} gl_dc_manifest;

void gl_dc_manifest_init(gl_dc_manifest *m);
/* gl_dc_manifest_add — one file: its path (the name used is the part
 * after the last '/') and the hex SHA-256 of its bytes as stored. */
void gl_dc_manifest_add(gl_dc_manifest *m, const char *path, const char *hex);
/* gl_dc_manifest_identity — "<who>:sha256:<hex>" into out (size >= 128). */
void gl_dc_manifest_identity(gl_dc_manifest *m, const char *who, char *out, size_t size);

/* ---- batches ---- */

/* gl_dc_read — a dataset's read(): x from the image set, y the labels of
 * the same items as an (n,) int32 arena tensor, or NULL when labels is
 * NULL (unlabelled data). Index errors are the image set's. */
genlab_status gl_dc_read(genlab_ctx *ctx, genlab_imageset *set, const int32_t *labels,
                         const int64_t *indices, int64_t n, genlab_batch *out);

/* ---- lists ---- */

/* A comma-separated parameter value split into trimmed items. */
typedef struct gl_dc_list {
    char  *buf;        /* one copy of the text, items point into it */
    char **item;
    int    n;
} gl_dc_list;

/* gl_dc_list_split — text ("a, b,c") into *out. An empty item ("a,,b", a
 * trailing comma) is GL_ERR_INVALID naming the parameter `key`; an empty
 * text gives 0 items. Free with gl_dc_list_free. */
genlab_status gl_dc_list_split(genlab_ctx *ctx, const char *who, const char *key,
                               const char *text, gl_dc_list *out);
void gl_dc_list_free(gl_dc_list *l);

#endif /* GENLAB_PLUGINS_DATACOMMON_H */
