/* SPDX-License-Identifier: MIT
 *
 * loss_bce.c — the Bernoulli reconstruction loss "vae-bce" (Kingma &
 * Welling; seeds 002-004, torch_ref.py VAE28):
 *
 *   sum over the pixels of BCE(sigmoid(logits), x), averaged over the batch
 *
 * (loss.reduction: loss_common.h), computed from the logits — the
 * decoder's output before its sigmoid — as
 * binary_cross_entropy_with_logits does: softplus(l) - l x, finite for any
 * logit, where sigmoid followed by log underflows to log 0 (PyTorch's
 * binary_cross_entropy clamps that log at -100 instead). With pixels in
 * {0, 1} it is -log p(x|z) exactly; with grey levels in [0, 1] it is the
 * usual continuous relaxation, whose minimum is the entropy of x, not 0.
 * Inputs: x (the image in [0, 1]: the trainer refuses this loss with a
 * tanh output) and logits, of one shape.
 */
#include <stdlib.h>

#include "loss_common.h"

static const genlab_param_def params[] = {VAE_REDUCTION_PARAM};

static const char *const inputs[] = {"x", "logits", NULL};

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    if (!vae_loss_main(ctx, "vae-bce", args))
        return NULL;
    genlab_tensor *x = genlab_loss_input(ctx, "vae-bce", args, "x");
    genlab_tensor *logits = genlab_loss_input(ctx, "vae-bce", args, "logits");
    return vae_loss_reduce(ctx, state, genlab_bce_with_logits(ctx, logits, x, GL_REDUCE_NONE));
}

static const genlab_loss_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
    .inputs = inputs, .create = vae_loss_create, .destroy = free, .compute = compute,
};

const genlab_component gl_vae_bce = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS, .name = "vae-bce",
    .doc = "VAE reconstruction: Bernoulli cross-entropy on logits summed over pixels",
    GL_PARAMS(params), .iface = &iface,
};
