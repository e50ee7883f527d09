/* SPDX-License-Identifier: MIT
 *
 * loader.h — the run loop's data loader: batches in a seeded per-epoch
 * order, read ahead by a prefetch thread, with a position that checkpoints
 * save and resumed runs restore.
 *
 * Order: epoch e is a Fisher-Yates permutation of the items drawn from
 * Philox keyed by the run's seed (see shuffle in loader.c), so it depends
 * on the seed and e only. An epoch is cut into batches of `batch` items; its
 * last, shorter batch is dropped when drop_last is set (the next batch
 * starts the next epoch) and returned short otherwise.
 *
 * Reading: the dataset's read() runs on a context of the loader's own,
 * whose GL_STREAM_DATA serves the dataset's augmentations. Batches are
 * produced strictly in order into a ring of slots, by a thread when
 * prefetch is on or by the caller otherwise; either way batch k is read
 * with the same stream position, so prefetching changes timing only, never
 * values. gl_loader_next copies the oldest produced batch into the
 * caller's arena.
 *
 * Position: after each batch the caller consumes, the loader knows where
 * the next one starts — epoch, offset in the epoch, and the data stream's
 * counters — which is all a resumed run needs to read the very batches the
 * original would have read next (batches prefetched but not consumed are
 * read again).
 *
 * Internal to libgenlab; not installed.
 */
#ifndef GENLAB_LOADER_H
#define GENLAB_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "genlab/genlab.h"

/* Where the next batch starts. */
typedef struct gl_loader_pos {
    int64_t  epoch;                        /* -1: before the first epoch */
    int64_t  offset;                       /* items of the epoch already read */
    uint64_t data_rng[GL_STREAM_COUNT];    /* the loader context's stream counters */
} gl_loader_pos;

typedef struct gl_loader_options {
    const genlab_dataset_i *ds;
    void                   *state;         /* the open dataset */
    const char             *name;          /* the dataset's component name, for messages */
    genlab_data_spec        spec;
    uint64_t                seed;
    int64_t                 batch;
    bool                    drop_last;
    bool                    prefetch;
} gl_loader_options;

typedef struct gl_loader gl_loader;

/* gl_loader_create — a loader at the start (epoch -1) or at *pos (a
 * checkpoint's). Starts the prefetch thread. Errors on ctx: GL_ERR_INVALID
 * when drop_last leaves no batch (fewer items than a batch); GL_ERR_NOMEM;
 * GL_ERR_STATE when the thread cannot be started. */
genlab_status gl_loader_create(genlab_ctx *ctx, const gl_loader_options *opt,
                               const gl_loader_pos *pos, gl_loader **out);

/* gl_loader_destroy — stop the thread and free everything. NULL is a no-op. */
void gl_loader_destroy(gl_loader *l);

/* gl_loader_next — the next batch as arena tensors of ctx. A failed read
 * (the dataset's message, prefixed with the dataset's name) is returned
 * here, for the batch it happened in, and again for every later call. */
genlab_status gl_loader_next(genlab_ctx *ctx, gl_loader *l, genlab_batch *out);

/* gl_loader_position — where the batch after the last one consumed starts. */
void gl_loader_position(const gl_loader *l, gl_loader_pos *out);

#endif /* GENLAB_LOADER_H */
