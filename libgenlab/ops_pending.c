/* SPDX-License-Identifier: MIT
 *
 * ops_pending.c — TEMPORARY stand-ins for the convolution and normalisation
 * ops declared in ops.h, so that the nn layers that call them link on the
 * `nnoptim` branch before the branches implementing them are merged.
 *
 * DELETE THIS FILE (and its line in Makefile.am) when merging the conv and
 * norm branches: their real definitions will clash with these at link time,
 * which is the intended reminder. Each stand-in fails with
 * GL_ERR_UNSUPPORTED and never computes anything.
 */
#include "internal.h"

static genlab_tensor *pending(genlab_ctx *ctx, const char *op)
{
    if (ctx->status == GL_OK)
        genlab_errorf(ctx, GL_ERR_UNSUPPORTED, "%s: not implemented in this build "
                      "(ops_pending.c stand-in)", op);
    return NULL;
}

genlab_tensor *genlab_conv2d(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                             genlab_tensor *b, const genlab_conv_opts *opts)
{
    return pending(ctx, "conv2d");
}

genlab_tensor *genlab_conv_transpose2d(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                                       genlab_tensor *b, const genlab_conv_opts *opts)
{
    return pending(ctx, "conv_transpose2d");
}

genlab_tensor *genlab_batch_norm(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gamma,
                                 genlab_tensor *beta, genlab_tensor *running_mean,
                                 genlab_tensor *running_var, bool training, float momentum,
                                 float eps)
{
    return pending(ctx, "batch_norm");
}

genlab_tensor *genlab_group_norm(genlab_ctx *ctx, genlab_tensor *x, int groups,
                                 genlab_tensor *gamma, genlab_tensor *beta, float eps)
{
    return pending(ctx, "group_norm");
}

genlab_tensor *genlab_layer_norm(genlab_ctx *ctx, genlab_tensor *x, int n_axes,
                                 genlab_tensor *gamma, genlab_tensor *beta, float eps)
{
    return pending(ctx, "layer_norm");
}
