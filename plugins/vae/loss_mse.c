/* SPDX-License-Identifier: MIT
 *
 * loss_mse.c — the squared-error reconstruction loss "vae-mse":
 *
 *   sum over the pixels of (recon - x)^2, averaged over the batch
 *
 * (loss.reduction: loss_common.h). It is -log p(x|z) of a Gaussian decoder
 * with variance 1/2, up to a constant, which is what seeds 000 and 001
 * (torch_ref.py VAE64: F.mse_loss(recon, x, reduction="sum")) train with.
 * Inputs: x (the image, in the trainer's pixel range) and recon (the
 * decoder's output after its activation), of one shape.
 *
 * To write a new reconstruction loss, copy this file: parameters, compute,
 * the descriptor; then add its component to vae.h and module.c.
 */
#include <stdlib.h>

#include "loss_common.h"

static const genlab_param_def params[] = {VAE_REDUCTION_PARAM};

static const char *const inputs[] = {"x", "recon", NULL};

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    if (!vae_loss_main(ctx, "vae-mse", args))
        return NULL;
    genlab_tensor *x = genlab_loss_input(ctx, "vae-mse", args, "x");
    genlab_tensor *recon = genlab_loss_input(ctx, "vae-mse", args, "recon");
    return vae_loss_reduce(ctx, state, genlab_mse_loss(ctx, recon, x, GL_REDUCE_NONE));
}

static const genlab_loss_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
    .inputs = inputs, .create = vae_loss_create, .destroy = free, .compute = compute,
};

const genlab_component gl_vae_mse = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS, .name = "vae-mse",
    .doc = "VAE reconstruction: squared error summed over pixels (Gaussian decoder)",
    GL_PARAMS(params), .iface = &iface,
};
