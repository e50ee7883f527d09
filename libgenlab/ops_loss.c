/* SPDX-License-Identifier: MIT
 *
 * ops_loss.c — softmax, log-softmax and the loss building blocks
 * (binary cross-entropy on logits, mean squared and absolute error,
 * cross-entropy over classes).
 *
 * All are composed from public ops, so they are differentiable twice. The
 * softmax family subtracts the row maximum as a constant first (softmax is
 * invariant to it, so no gradient is lost) and never exponentiates a
 * positive number. Not here: GAN/VAE objectives, which are plugins built
 * from these.
 *
 * Sections: softmax family, elementwise losses, cross-entropy.
 */
#include "internal.h"

/* ---- softmax family ---- */

/* x - max(x, axis) with the max a constant; *a: OUT: the normalised axis */
static genlab_tensor *shift_by_max(genlab_ctx *ctx, const char *op, genlab_tensor *x, int axis,
                                   int *a)
{
    if (!x || ctx->status != GL_OK || !gl_check_f32(ctx, op, "x", x))
        return NULL;
    *a = gl_normalize_axis(axis, x->ndim);
    if (*a < 0) {
        char sx[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: axis %d out of range for x %s", op, axis,
                      genlab_tensor_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    return genlab_sub(ctx, x, gl_reduce_max_keepdim(ctx, x, *a));
}

genlab_tensor *genlab_softmax(genlab_ctx *ctx, genlab_tensor *x, int axis)
{
    int a = 0;
    genlab_tensor *e = genlab_exp(ctx, shift_by_max(ctx, "softmax", x, axis, &a));
    return genlab_div(ctx, e, genlab_sum(ctx, e, 1, &a, true));
}

genlab_tensor *genlab_log_softmax(genlab_ctx *ctx, genlab_tensor *x, int axis)
{
    int a = 0;
    genlab_tensor *z = shift_by_max(ctx, "log_softmax", x, axis, &a);
    /* the sum is >= 1 (the max term is exp(0)), so its log is finite */
    return genlab_sub(ctx, z, genlab_log(ctx, genlab_sum(ctx, genlab_exp(ctx, z), 1, &a, true)));
}

/* ---- elementwise losses ---- */

static bool check_reduction(genlab_ctx *ctx, const char *op, genlab_reduction red)
{
    if (red == GL_REDUCE_MEAN || red == GL_REDUCE_SUM || red == GL_REDUCE_NONE)
        return true;
    genlab_errorf(ctx, GL_ERR_INVALID, "%s: unknown reduction %d", op, (int)red);
    return false;
}

static genlab_tensor *reduce(genlab_ctx *ctx, genlab_tensor *l, genlab_reduction red)
{
    return red == GL_REDUCE_MEAN ? genlab_mean_all(ctx, l)
         : red == GL_REDUCE_SUM  ? genlab_sum_all(ctx, l)
                                 : l;
}

/* float32 input and target of one shape, and a known reduction */
static bool check_pair(genlab_ctx *ctx, const char *op, const char *xname, genlab_tensor *x,
                       genlab_tensor *target, genlab_reduction red)
{
    if (!x || !target || ctx->status != GL_OK)
        return false;
    if (!gl_check_f32(ctx, op, xname, x) || !gl_check_f32(ctx, op, "target", target) ||
        !check_reduction(ctx, op, red))
        return false;
    if (!gl_shape_eq(x, target)) {
        char sx[GL_SHAPE_BUF], st[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: target %s must have the shape of %s %s", op,
                      genlab_tensor_shape_str(target, st, sizeof st), xname,
                      genlab_tensor_shape_str(x, sx, sizeof sx));
        return false;
    }
    return true;
}

genlab_tensor *genlab_bce_with_logits(genlab_ctx *ctx, genlab_tensor *logits,
                                      genlab_tensor *target, genlab_reduction red)
{
    if (!check_pair(ctx, "bce_with_logits", "logits", logits, target, red))
        return NULL;
    /* -t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)) = softplus(x) - x t,
     * and softplus never overflows: finite for any finite logit */
    genlab_tensor *l = genlab_sub(ctx, genlab_softplus(ctx, logits),
                                  genlab_mul(ctx, logits, target));
    return reduce(ctx, l, red);
}

genlab_tensor *genlab_mse_loss(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *target,
                               genlab_reduction red)
{
    if (!check_pair(ctx, "mse_loss", "x", x, target, red))
        return NULL;
    genlab_tensor *d = genlab_sub(ctx, x, target);
    return reduce(ctx, genlab_mul(ctx, d, d), red);
}

genlab_tensor *genlab_l1_loss(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *target,
                              genlab_reduction red)
{
    if (!check_pair(ctx, "l1_loss", "x", x, target, red))
        return NULL;
    return reduce(ctx, genlab_abs(ctx, genlab_sub(ctx, x, target)), red);
}

/* ---- cross-entropy ---- */

/* one_hot — a constant (N, K) float tensor with 1 at (i, labels[i]); the
 * error names the first label outside [0, K). Host scratch comes from the
 * step's host arena, so a training loop does not malloc here. */
static genlab_tensor *one_hot(genlab_ctx *ctx, const genlab_tensor *labels, int64_t k)
{
    const int64_t n = labels->shape[0];
    int32_t *lab = gl_arena_alloc(&ctx->meta, (size_t)n * sizeof *lab + 1);
    float *host = gl_arena_alloc(&ctx->meta, (size_t)(n * k) * sizeof *host + 1);
    genlab_tensor *y = gl_new(ctx, GL_F32, 2, (const int64_t[]){n, k});
    if (!lab || !host || !y) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "cross_entropy: out of memory for the one-hot mask");
        return NULL;
    }
    ctx->be->to_host(ctx->be_state, lab, labels->data, (size_t)n * sizeof *lab);
    for (int64_t i = 0; i < n * k; i++)
        host[i] = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        if (lab[i] < 0 || lab[i] >= k) {
            genlab_errorf(ctx, GL_ERR_INVALID,
                          "cross_entropy: label %d at index %lld is outside [0, %lld)",
                          (int)lab[i], (long long)i, (long long)k);
            return NULL;
        }
        host[i * k + lab[i]] = 1.0f;
    }
    ctx->be->from_host(ctx->be_state, y->data, host, (size_t)(n * k) * sizeof *host);
    return y;
}

genlab_tensor *genlab_cross_entropy(genlab_ctx *ctx, genlab_tensor *logits,
                                    genlab_tensor *labels, genlab_reduction red)
{
    static const char op[] = "cross_entropy";
    if (!logits || !labels || ctx->status != GL_OK)
        return NULL;
    if (!gl_check_f32(ctx, op, "logits", logits) || !check_reduction(ctx, op, red))
        return NULL;
    char sl[GL_SHAPE_BUF], sy[GL_SHAPE_BUF];
    if (logits->ndim != 2) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: logits %s must be (N, K)", op,
                      genlab_tensor_shape_str(logits, sl, sizeof sl));
        return NULL;
    }
    if (labels->dtype != GL_I32) {
        genlab_errorf(ctx, GL_ERR_DTYPE, "%s: labels must be int32 class indices", op);
        return NULL;
    }
    if (labels->ndim != 1 || labels->shape[0] != logits->shape[0]) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: labels %s must have shape (%lld) for logits %s",
                      op, genlab_tensor_shape_str(labels, sy, sizeof sy),
                      (long long)logits->shape[0], genlab_tensor_shape_str(logits, sl, sizeof sl));
        return NULL;
    }
    genlab_tensor *mask = one_hot(ctx, labels, logits->shape[1]);
    genlab_tensor *logp = genlab_log_softmax(ctx, logits, 1);
    genlab_tensor *picked =
        genlab_sum(ctx, genlab_mul(ctx, mask, logp), 1, (const int[]){1}, false);
    return reduce(ctx, genlab_scale(ctx, picked, -1.0f), red);
}
