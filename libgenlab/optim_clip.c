/* SPDX-License-Identifier: MIT
 *
 * optim_clip.c — gradient clipping by the global L2 norm of the gradient
 * block (torch.nn.utils.clip_grad_norm_ with norm_type 2).
 *
 * The sum of squares is accumulated in double over fixed chunks of the
 * block, one chunk per loop iteration, and the chunk sums are added in
 * order: the result is the same for any thread count (no reduction is
 * split by thread). PyTorch sums per tensor in float and then takes the
 * norm of the norms, so the two agree to float rounding, not bit for bit.
 * Not here: per-parameter clipping, other norms.
 */
#include <math.h>

#include "nn_impl.h"

#define GL_CLIP_CHUNK 65536

/* sum of squares of g[0..n), deterministic for any thread count */
static double sum_squares(genlab_ctx *ctx, const float *g, int64_t n, double *part)
{
    const int64_t chunks = (n + GL_CLIP_CHUNK - 1) / GL_CLIP_CHUNK;
    const int nt = ctx->be->threads(ctx->be_state);
#pragma omp parallel for num_threads(nt) schedule(static) if (chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t end = (c + 1) * GL_CLIP_CHUNK < n ? (c + 1) * GL_CLIP_CHUNK : n;
        double s = 0.0;
        for (int64_t i = c * GL_CLIP_CHUNK; i < end; i++)
            s += (double)g[i] * (double)g[i];
        part[c] = s;
    }
    double total = 0.0;
    for (int64_t c = 0; c < chunks; c++)
        total += part[c];
    return total;
}

genlab_status genlab_clip_grad_norm(genlab_ctx *ctx, genlab_params *p, double max_norm,
                                    float *total_norm)
{
    if (!ctx || !p)
        return genlab_errorf(ctx, GL_ERR_INVALID, "clip_grad_norm: NULL argument");
    if (ctx->status != GL_OK)
        return ctx->status;
    if (!(isfinite(max_norm) && max_norm > 0))
        return genlab_errorf(ctx, GL_ERR_INVALID, "clip_grad_norm: max_norm = %g must be "
                             "finite and > 0", max_norm);
    if (!p->finalized)
        return genlab_errorf(ctx, GL_ERR_STATE, "clip_grad_norm: params not finalized");
    const int64_t n = p->param.numel;
    double *part = gl_arena_alloc(&ctx->meta, (size_t)((n + GL_CLIP_CHUNK - 1) / GL_CLIP_CHUNK + 1) *
                                                  sizeof(double));
    if (!part)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "clip_grad_norm: out of memory");
    gl_sync(ctx);
    float norm = (float)sqrt(sum_squares(ctx, p->grad, n, part));
    if (total_norm)
        *total_norm = norm;
    if (!isfinite(norm))
        return genlab_errorf(ctx, GL_ERR_NUMERIC, "clip_grad_norm: the total gradient norm is "
                             "%g (over %lld values); gradients left unchanged", (double)norm,
                             (long long)n);
    /* in float, as torch evaluates max_norm / (total_norm + 1e-6): a Python
     * number divided by a tensor is reciprocal(tensor) * number */
    float coef = (1.0f / (norm + 1e-6f)) * (float)max_norm;
    if (coef < 1.0f)
        ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, coef, 0.0f, p->grad, p->grad, n);
    return GL_OK;
}
