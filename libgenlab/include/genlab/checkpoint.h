/* SPDX-License-Identifier: MIT
 *
 * checkpoint.h — checkpoint files in the safetensors layout, so that other
 * tools (Python's safetensors, or a few lines of struct + json) read them.
 *
 * A file is:
 *
 *     8 bytes    N, the header's length, unsigned little-endian
 *     N bytes    a JSON object (UTF-8), padded with spaces so the data
 *                starts 8-byte aligned:
 *                  { "__metadata__": { "key": "value", ... },
 *                    "name": { "dtype": "F32", "shape": [2, 3],
 *                              "data_offsets": [begin, end] }, ... }
 *     the data   each tensor's bytes, little-endian, row-major, at
 *                [begin, end) counted from the end of the header; the
 *                tensors tile the data exactly (no gap, no overlap, no
 *                byte left over)
 *
 * dtypes: "F32", "I32", "U8", "I64", "U64". Metadata values are strings
 * (the format allows nothing else). The JSON is written and read with
 * jansson; a header with a key twice is refused (jansson would otherwise
 * keep the last one silently), and keys of an entry other than dtype, shape
 * and data_offsets are ignored, as safetensors does.
 *
 * genlab writes the header's entries in the order they were added, and the
 * data in that order too except that 8-byte elements come first, then
 * 4-byte ones, then bytes (safetensors orders by element size the same
 * way): with the 8-byte aligned data start, every tensor's data is then
 * aligned to its element size. Files from other tools may not be: read
 * their values through genlab_ckpt_read, which copies with memcpy.
 *
 * Writing is atomic: a temporary file in the target's directory is written,
 * fsync'd and renamed over the target (and the directory fsync'd), so a
 * crash, a full disk or a kill leaves either the old file or the new one,
 * never a torn one. Reading validates everything before handing out a byte:
 * the header length against the file size, the JSON, each entry's dtype,
 * shape and offsets (inside the data, matching dtype size x shape, not
 * overlapping), and reports the first problem naming the file and the entry.
 *
 * Which tensors a genlab run saves, and under which names, is the run
 * loop's business (run.h); this file only knows the format.
 *
 * Sections: writing, reading, keeping the last N.
 */
#ifndef GENLAB_CHECKPOINT_H
#define GENLAB_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "status.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most dimensions a checkpoint entry may have (genlab's tensors use up to
 * GL_MAX_DIMS; other tools' files may have more). */
#define GL_CKPT_MAX_DIMS 8

/* Longest header accepted (and written): safetensors' own limit. */
#define GL_CKPT_MAX_HEADER 100000000

/* ---- writing ---- */

typedef struct genlab_ckpt_writer genlab_ckpt_writer;

/* genlab_ckpt_writer_create — an empty checkpoint; errors go to ctx.
 * OUT: *out, freed with genlab_ckpt_writer_free. GL_ERR_NOMEM. */
genlab_status genlab_ckpt_writer_create(genlab_ctx *ctx, genlab_ckpt_writer **out);

/* genlab_ckpt_writer_free — free w. NULL is a no-op. */
void genlab_ckpt_writer_free(genlab_ckpt_writer *w);

/* genlab_ckpt_add — add a tensor named name (copied) of dtype ("F32", ...)
 * and shape (ndim in [0, GL_CKPT_MAX_DIMS]; 0 is a scalar). The data is
 * copied now (the state a visitor presents may be a temporary, and a
 * checkpoint must hold the values of the moment it was taken); GL_ERR_NOMEM
 * when there is no memory for the copy.
 * GL_ERR_INVALID for an empty name, "__metadata__", a name already added,
 * a name that is not UTF-8, an unknown dtype, a negative dimension, a size
 * over SIZE_MAX bytes, or NULL data for a non-empty tensor. */
genlab_status genlab_ckpt_add(genlab_ckpt_writer *w, const char *name, const char *dtype,
                              int ndim, const int64_t *shape, const void *data);

/* genlab_ckpt_add_tensor — genlab_ckpt_add for a contiguous host tensor
 * (its dtype and shape). */
genlab_status genlab_ckpt_add_tensor(genlab_ckpt_writer *w, const char *name,
                                     const genlab_tensor *t);

/* genlab_ckpt_set_meta — set metadata key to value (both copied; a key set
 * twice keeps the last value). GL_ERR_INVALID for an empty key or a key or
 * value that is not UTF-8. */
genlab_status genlab_ckpt_set_meta(genlab_ckpt_writer *w, const char *key, const char *value);

/* genlab_ckpt_write — write everything added so far to path, atomically.
 * GL_ERR_IO naming the path and the system's reason (ENOSPC, EACCES, ...);
 * on failure the temporary file is removed and path is untouched.
 * GL_ERR_INVALID when the header would exceed GL_CKPT_MAX_HEADER. */
genlab_status genlab_ckpt_write(genlab_ckpt_writer *w, const char *path);

/* ---- reading ---- */

typedef struct genlab_ckpt genlab_ckpt;

/* One tensor of an open checkpoint. Pointers stay valid until close. The
 * data section starts 8-byte aligned in memory, so data is aligned to its
 * element size when begin is a multiple of it (always so in files genlab
 * or safetensors wrote). */
typedef struct genlab_ckpt_entry {
    const char *name;
    const char *dtype;          /* "F32", "I32", "U8", "I64", "U64" */
    int         ndim;
    int64_t     shape[GL_CKPT_MAX_DIMS];
    const void *data;           /* nbytes bytes, little-endian */
    size_t      nbytes;
} genlab_ckpt_entry;

/* genlab_ckpt_open — read and validate the checkpoint at path.
 * OUT: *out, freed with genlab_ckpt_close. GL_ERR_IO when the file cannot
 * be read; GL_ERR_FORMAT for a malformed or truncated file, naming the
 * file and what is wrong; GL_ERR_NOMEM. */
genlab_status genlab_ckpt_open(genlab_ctx *ctx, const char *path, genlab_ckpt **out);

/* genlab_ckpt_parse — the same from a memory buffer (copied); name is what
 * messages call it. */
genlab_status genlab_ckpt_parse(genlab_ctx *ctx, const void *buf, size_t size, const char *name,
                                genlab_ckpt **out);

/* genlab_ckpt_close — free c. NULL is a no-op. */
void genlab_ckpt_close(genlab_ckpt *c);

/* genlab_ckpt_count / genlab_ckpt_entry_at — the entries, in the header's
 * order (i in [0, count)). entry_at returns false for i out of range. */
size_t genlab_ckpt_count(const genlab_ckpt *c);
bool   genlab_ckpt_entry_at(const genlab_ckpt *c, size_t i, genlab_ckpt_entry *out);

/* genlab_ckpt_find — the entry named name. GL_ERR_FORMAT ("checkpoint F
 * has no tensor \"name\"") when there is none. */
genlab_status genlab_ckpt_find(genlab_ctx *ctx, const genlab_ckpt *c, const char *name,
                               genlab_ckpt_entry *out);

/* genlab_ckpt_read — copy the entry named name into dst, after checking
 * that it has exactly this dtype and shape. A mismatch is GL_ERR_FORMAT
 * naming the file, the entry and both shapes or dtypes ("checkpoint F:
 * \"G.params\" has shape (10) but (12) is expected"). */
genlab_status genlab_ckpt_read(genlab_ctx *ctx, const genlab_ckpt *c, const char *name,
                               const char *dtype, int ndim, const int64_t *shape, void *dst);

/* genlab_ckpt_read_tensor — genlab_ckpt_read into a contiguous host
 * tensor, with its dtype and shape as the expected ones. */
genlab_status genlab_ckpt_read_tensor(genlab_ctx *ctx, const genlab_ckpt *c, const char *name,
                                      genlab_tensor *dst);

/* genlab_ckpt_meta — the metadata value of key, or NULL. */
const char *genlab_ckpt_meta(const genlab_ckpt *c, const char *key);

/* genlab_ckpt_path — the path or name c was opened with. */
const char *genlab_ckpt_path(const genlab_ckpt *c);

/* ---- keeping the last N ---- */

/* Checkpoints of a run are files "step-<12-digit step>.safetensors" in one
 * directory (genlab_ckpt_name builds the name). */

/* genlab_ckpt_name — "<dir>/step-%012lld.safetensors" into buf (size).
 * Returns buf, or NULL when it does not fit or step is negative. */
char *genlab_ckpt_name(char *buf, size_t size, const char *dir, int64_t step);

/* genlab_ckpt_latest — the path of the newest (highest step) checkpoint in
 * dir into buf (size), its step into *step (may be NULL). GL_ERR_IO when
 * dir cannot be read; GL_ERR_STATE ("no checkpoint in dir") when it holds
 * none; GL_ERR_INVALID when the path does not fit in buf. Any
 * "step-<digits>.safetensors" counts (the digits need not be 12); other
 * files, temporary ones included, are ignored. */
genlab_status genlab_ckpt_latest(genlab_ctx *ctx, const char *dir, char *buf, size_t size,
                                 int64_t *step);

/* genlab_ckpt_prune — delete all but the `keep` newest checkpoints in dir
 * (keep >= 1), and any temporary files a crashed write left there
 * ("*.safetensors.tmp-XXXXXX"), so it must not run while another writer
 * writes into dir. GL_ERR_IO naming the directory when it cannot be read or
 * the first file that could not be removed (the others are still tried);
 * GL_ERR_INVALID for keep < 1. */
genlab_status genlab_ckpt_prune(genlab_ctx *ctx, const char *dir, int keep);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_CHECKPOINT_H */
