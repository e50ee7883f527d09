/* SPDX-License-Identifier: MIT
 *
 * loss_l1.c — the absolute-error reconstruction loss "vae-l1":
 *
 *   sum over the pixels of |recon - x|, averaged over the batch
 *
 * (loss.reduction: loss_common.h): -log p(x|z) of a Laplace decoder with
 * scale 1, up to a constant; sharper reconstructions than vae-mse, as the
 * median is less pulled by outliers than the mean. Inputs: x and recon, as
 * vae-mse's.
 */
#include <stdlib.h>

#include "loss_common.h"

static const genlab_param_def params[] = {VAE_REDUCTION_PARAM};

static const char *const inputs[] = {"x", "recon", NULL};

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    if (!vae_loss_main(ctx, "vae-l1", args))
        return NULL;
    genlab_tensor *x = genlab_loss_input(ctx, "vae-l1", args, "x");
    genlab_tensor *recon = genlab_loss_input(ctx, "vae-l1", args, "recon");
    return vae_loss_reduce(ctx, state, genlab_l1_loss(ctx, recon, x, GL_REDUCE_NONE));
}

static const genlab_loss_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
    .inputs = inputs, .create = vae_loss_create, .destroy = free, .compute = compute,
};

const genlab_component gl_vae_l1 = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS, .name = "vae-l1",
    .doc = "VAE reconstruction: absolute error summed over pixels (Laplace decoder)",
    GL_PARAMS(params), .iface = &iface,
};
