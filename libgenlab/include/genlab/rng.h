/* SPDX-License-Identifier: MIT
 *
 * rng.h — random tensors from the context's counter-based generator.
 *
 * genlab uses Philox-4x32-10 keyed by (seed, stream) with a 64-bit counter.
 * Each draw takes the next block of counters from the stream, so results do
 * not depend on thread count, batch split or backend scheduling; saving
 * (seed, stream offsets) is enough to resume a run bit-identically.
 */
#ifndef GENLAB_RNG_H
#define GENLAB_RNG_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Streams separate independent uses so one does not shift another's draws. */
typedef enum genlab_rng_stream {
    GL_STREAM_DEFAULT = 0,  /* user draws: latent vectors, noise */
    GL_STREAM_INIT    = 1,  /* parameter initialisation */
    GL_STREAM_DROPOUT = 2,  /* dropout masks */
    GL_STREAM_DATA    = 3,  /* shuffling and augmentation */
    GL_STREAM_EVAL    = 4,  /* fixed evaluation inputs drawn once (a trainer's
                               sample-grid latents): training draws do not move
                               them, nor they the training draws */
    GL_STREAM_COUNT   = 8
} genlab_rng_stream;

/* Arena tensors of the given shape: standard normal, uniform [lo, hi), and
 * Bernoulli(p) as 0/1 floats. */
genlab_tensor *genlab_randn(genlab_ctx *ctx, int ndim, const int64_t *shape);
genlab_tensor *genlab_rand(genlab_ctx *ctx, int ndim, const int64_t *shape, float lo, float hi);
genlab_tensor *genlab_bernoulli(genlab_ctx *ctx, int ndim, const int64_t *shape, float p);

/* genlab_rng_fill — fill a float tensor in place from a chosen stream:
 * kind 0 uniform [lo, hi), kind 1 normal (mean lo, std hi). */
genlab_status genlab_rng_fill(genlab_ctx *ctx, genlab_tensor *t, genlab_rng_stream stream,
                              int kind, float lo, float hi);

/* genlab_rng_state / genlab_rng_restore — the seed and per-stream counters
 * (for checkpoints). offsets has GL_STREAM_COUNT entries. */
void genlab_rng_state(const genlab_ctx *ctx, uint64_t *seed, uint64_t *offsets);
void genlab_rng_restore(genlab_ctx *ctx, uint64_t seed, const uint64_t *offsets);

/* genlab_philox — one Philox-4x32-10 block: 4 32-bit outputs for counter
 * ctr (4 words) and key (2 words). Exposed for tests against known vectors. */
void genlab_philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_RNG_H */
