/* SPDX-License-Identifier: MIT
 *
 * golden.h — a reader for golden-data files: reference tensors written by a
 * PyTorch script under tests/golden/, compared against by the op suites.
 *
 * Format (little-endian): the magic "GLGD", a u32 version, then records to
 * the end of the file, each: u32 name length, the name bytes (no NUL),
 * u32 ndim, ndim u32 dims, then the float32 data in row-major order.
 * The version belongs to the file's generating script: a reader states the
 * version it expects and the script that writes it.
 *
 * Not here: comparisons and tolerances (the suites state their own).
 */
#ifndef GENLAB_TEST_GOLDEN_H
#define GENLAB_TEST_GOLDEN_H

#include <stddef.h>
#include <stdint.h>

#define GD_MAX_DIMS 8

typedef struct gd_tensor {
    const char  *name;
    int          ndim;
    int64_t      shape[GD_MAX_DIMS];
    int64_t      numel;
    const float *data;       /* numel floats, owned by the file */
} gd_tensor;

typedef struct gd_file gd_file;

/* gd_open — read the whole file at path and index its tensors.
 * version: the version expected; generator: the script that writes the file
 * (named in every error so that the reader knows how to regenerate it).
 * err: OUT: on failure, a message naming path, the problem and generator.
 * Returns the file (free with gd_free) or NULL on any error: missing file,
 * wrong magic, wrong version, truncated or malformed records. */
gd_file *gd_open(const char *path, uint32_t version, const char *generator, char *err,
                 size_t err_size);

/* gd_get — the tensor called name, or NULL if the file has none. The
 * returned pointer and its data stay valid until gd_free(f). */
const gd_tensor *gd_get(const gd_file *f, const char *name);

/* gd_free — release f and every tensor it holds; gd_free(NULL) is a no-op. */
void gd_free(gd_file *f);

#endif
