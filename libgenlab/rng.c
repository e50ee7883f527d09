/* SPDX-License-Identifier: MIT
 *
 * rng.c — the random tensors drawn from Philox-4x32-10 (genlab/backend_elements.h).
 *
 * Philox (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011) maps a 128-bit counter and a 64-bit key to 128 random bits with
 * ten rounds of multiply-xor. Each stream of a context keeps a 64-bit
 * offset; a draw of n numbers uses counters offset .. offset+n-1 and advances
 * the offset by n.
 */
#include <string.h>

#include "genlab/backend_elements.h"
#include "internal.h"

void genlab_philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    memcpy(out, ctr, 4 * sizeof out[0]);
    genlab_philox_block(out, key[0], key[1]);
}

genlab_status genlab_rng_fill(genlab_ctx *ctx, genlab_tensor *t, genlab_rng_stream stream,
                              int kind, float lo, float hi)
{
    if (!t)
        return ctx->status != GL_OK ? ctx->status
                                    : genlab_errorf(ctx, GL_ERR_INVALID, "rng_fill: NULL tensor");
    if (t->dtype != GL_F32 || (unsigned)stream >= GL_STREAM_COUNT || (kind != 0 && kind != 1))
        return genlab_errorf(ctx, GL_ERR_INVALID, "rng_fill: float tensor, stream < %d and "
                             "kind 0 or 1 needed (got stream %d, kind %d)",
                             GL_STREAM_COUNT, (int)stream, kind);
    float *y = gl_f32(t);
    ctx->be->rng(ctx->be_state, kind, ctx->seed, (uint64_t)stream, ctx->rng_offset[stream], y,
                 t->numel);
    ctx->rng_offset[stream] += (uint64_t)t->numel;
    /* uniform: lo + (hi - lo) u ; normal: mean lo, std hi */
    float a = kind == 0 ? hi - lo : hi, b = lo;
    if (a != 1.0f || b != 0.0f)
        ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, a, b, y, y, t->numel);
    return GL_OK;
}

genlab_tensor *genlab_randn(genlab_ctx *ctx, int ndim, const int64_t *shape)
{
    genlab_tensor *t = gl_new(ctx, GL_F32, ndim, shape);
    return t && genlab_rng_fill(ctx, t, GL_STREAM_DEFAULT, 1, 0.0f, 1.0f) == GL_OK ? t : NULL;
}

genlab_tensor *genlab_rand(genlab_ctx *ctx, int ndim, const int64_t *shape, float lo, float hi)
{
    genlab_tensor *t = gl_new(ctx, GL_F32, ndim, shape);
    return t && genlab_rng_fill(ctx, t, GL_STREAM_DEFAULT, 0, lo, hi) == GL_OK ? t : NULL;
}

genlab_tensor *genlab_bernoulli(genlab_ctx *ctx, int ndim, const int64_t *shape, float p)
{
    if (ctx->status == GL_OK && !(p >= 0.0f && p <= 1.0f)) {
        genlab_errorf(ctx, GL_ERR_INVALID, "bernoulli: p = %g is outside [0, 1]", (double)p);
        return NULL;
    }
    genlab_tensor *t = genlab_rand(ctx, ndim, shape, 0.0f, 1.0f);
    if (!t)
        return NULL;
    /* u < p  <=>  p - u > 0 */
    ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, -1.0f, p, gl_f32(t), gl_f32(t), t->numel);
    ctx->be->unary(ctx->be_state, GL_UNARY_LEAKY_MASK, 0.0f, 0.0f, gl_f32(t), gl_f32(t), t->numel);
    return t;
}

void genlab_rng_state(const genlab_ctx *ctx, uint64_t *seed, uint64_t *offsets)
{
    *seed = ctx->seed;
    memcpy(offsets, ctx->rng_offset, sizeof ctx->rng_offset);
}

void genlab_rng_restore(genlab_ctx *ctx, uint64_t seed, const uint64_t *offsets)
{
    ctx->seed = seed;
    memcpy(ctx->rng_offset, offsets, sizeof ctx->rng_offset);
}
