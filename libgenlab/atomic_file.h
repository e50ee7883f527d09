/* SPDX-License-Identifier: MIT
 *
 * atomic_file.h — writing a file so that it appears whole or not at all,
 * and reading one whole (gl_file_read, at the end), for the formats that
 * parse a file in memory (checkpoints, .npz).
 *
 * Images, checkpoints and anything else a crash must not leave half
 * written go through this: the bytes go into a temporary file beside the
 * target ("<path>.tmp-XXXXXX", same directory, so the rename cannot cross
 * file systems), which is flushed, fsync'd, closed and renamed over the
 * target, and the directory is fsync'd so the rename itself survives a
 * power cut. Every step's failure (a full disk shows up at write, flush or
 * close) is reported naming the target path, and the temporary is removed.
 *
 * Internal to libgenlab; not installed.
 */
#ifndef GENLAB_ATOMIC_FILE_H
#define GENLAB_ATOMIC_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "genlab/context.h"
#include "genlab/status.h"

/* The suffix of temporary files, for clean-up of those a crash left. */
#define GL_ATOMIC_TMP_INFIX ".tmp-"

typedef struct gl_atomic_file {
    FILE *f;            /* write here between begin and commit */
    char *tmp;          /* the temporary's path */
    char *path;         /* the target */
} gl_atomic_file;

/* gl_atomic_begin — create the temporary for path. GL_ERR_IO naming path
 * (a missing or read-only directory); GL_ERR_NOMEM. On failure *a is
 * zeroed and needs no abort. */
genlab_status gl_atomic_begin(genlab_ctx *ctx, gl_atomic_file *a, const char *path);

/* gl_atomic_commit — flush, fsync, close and rename into place. On any
 * failure the temporary is removed, the target untouched, and GL_ERR_IO
 * names the target and the reason. Either way *a is released. */
genlab_status gl_atomic_commit(genlab_ctx *ctx, gl_atomic_file *a);

/* gl_atomic_abort — give up: close and remove the temporary. Safe on a
 * zeroed or already released *a. */
void gl_atomic_abort(gl_atomic_file *a);

/* gl_file_read — the regular file at path, whole, into a new buffer *mem
 * (malloc'd with pad spare bytes after the data: the caller frees it) and
 * its length into *size. A file that shrinks while it is read is read as
 * far as it goes (its parser finds it truncated). Errors name path:
 * GL_ERR_IO (cannot open, not a regular file, a read error),
 * GL_ERR_FORMAT for a file over max_size bytes (message "path: too_big"),
 * GL_ERR_NOMEM. On failure *mem is NULL. */
genlab_status gl_file_read(genlab_ctx *ctx, const char *path, uint64_t max_size,
                           const char *too_big, size_t pad, unsigned char **mem, size_t *size);

#endif /* GENLAB_ATOMIC_FILE_H */
