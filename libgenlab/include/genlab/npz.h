/* SPDX-License-Identifier: MIT
 *
 * npz.h — NumPy .npy arrays inside .npz (zip) archives, the format of
 * pytorch-fid's reference statistics (np.savez_compressed(path, mu=mu,
 * sigma=sigma)), so statistics move between genlab and pytorch-fid in both
 * directions without Python at run time.
 *
 * Reading: zip members stored (method 0) or deflated (method 8, zlib's raw
 * inflate), found through the central directory; CRC-32 checked; each
 * member "NAME.npy" is a .npy v1/v2/v3 header (a Python dict literal with
 * 'descr', 'fortran_order', 'shape') and the array's bytes. dtypes '<f8'
 * and '<f4' (read as float64), C order only. Everything is validated
 * before a value is handed out; the first problem is reported naming the
 * file and the member (GL_ERR_FORMAT), an unreadable file is GL_ERR_IO.
 *
 * Writing: float64 '<f8' arrays, .npy v1.0 headers, members deflated
 * (what np.savez_compressed writes), atomically (temporary file, fsync,
 * rename), so np.load reads the result.
 *
 * Sections: reading, writing.
 */
#ifndef GENLAB_NPZ_H
#define GENLAB_NPZ_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GL_NPZ_MAX_DIMS 4

/* One array: name without ".npy", shape, values in C order. */
typedef struct genlab_npz_array {
    const char *name;
    int         ndim;
    int64_t     shape[GL_NPZ_MAX_DIMS];
    double     *data;
} genlab_npz_array;

/* ---- reading ---- */

typedef struct genlab_npz genlab_npz;

/* genlab_npz_open — read and validate every member of the archive at path.
 * OUT: *out, freed with genlab_npz_close. */
genlab_status genlab_npz_open(genlab_ctx *ctx, const char *path, genlab_npz **out);
/* genlab_npz_parse — the same from memory (copied); name is what messages
 * call it (the fuzz target's entry). */
genlab_status genlab_npz_parse(genlab_ctx *ctx, const void *buf, size_t size, const char *name,
                               genlab_npz **out);
void genlab_npz_close(genlab_npz *z);

/* genlab_npz_get — the array named name, or NULL (no error set). Valid
 * until close. */
const genlab_npz_array *genlab_npz_get(const genlab_npz *z, const char *name);

/* ---- writing ---- */

/* genlab_npz_write — write n arrays to path atomically. GL_ERR_IO naming
 * the path and the system's reason; the target is untouched on failure. */
genlab_status genlab_npz_write(genlab_ctx *ctx, const char *path, const genlab_npz_array *arrays,
                               int n);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_NPZ_H */
