/* SPDX-License-Identifier: MIT
 *
 * loss_bce.c — the original GAN loss, binary cross-entropy on the
 * critic's logits (Goodfellow et al., "Generative Adversarial Nets",
 * NeurIPS 2014), as the `loss` component "bce". With s the sigmoid and
 * D(.) the critic's logit (no sigmoid layer in the network):
 *
 *   D: BCE(D(x), y) + BCE(D(G(z)), 0)
 *        = -E[y log s(D(x)) + (1 - y) log(1 - s(D(x)))] - E[log(1 - s(D(G(z))))]
 *   G: non-saturating (default)  -E[log s(D(G(z)))]      = BCE(D(G(z)), 1)
 *      saturating (the minimax)   E[log(1 - s(D(G(z))))]  = -BCE(D(G(z)), 0)
 *
 * each E a mean over every element of its critic output. This is
 * torch.nn.BCEWithLogitsLoss()(D(x), ones) + (...)(D(G(z)), zeros) as
 * bench/torch_ref.py writes the D step.
 *
 * Parameters (loss.*):
 *   real_label  y, the target for real images in D's loss (default 1);
 *               0.9 is one-sided label smoothing (Salimans et al.,
 *               "Improved Techniques for Training GANs", 2016): only D's
 *               real target moves, G still aims at 1
 *   saturating  G minimises the minimax form log(1 - D(G(z))) instead of
 *               -log D(G(z)); its gradient vanishes where D rejects the
 *               fakes confidently, which is why the paper (sec. 3) trains
 *               G with the non-saturating form (default false)
 * Inputs: d_real, d_fake (critic logits, any shape, usually (N, 1)).
 *
 * To write a new loss, copy this file: parameters, state, compute, the
 * descriptor; then add its component to gan.h and module.c.
 */
#include <stdlib.h>

#include "gan.h"
#include "loss_common.h"

/* ---- parameters and state ---- */

static const genlab_param_def params[] = {
    {.name = "real_label", .type = GL_PARAM_FLOAT, .def = "1", .min = "0", .max = "1",
     .help = "D's target for real images (0.9: one-sided label smoothing)"},
    {.name = "saturating", .type = GL_PARAM_BOOL, .def = "false",
     .help = "G minimises log(1 - D(G(z))) (the minimax form) instead of -log D(G(z))"},
};

static const char *const inputs[] = {"d_real", "d_fake", NULL};

typedef struct bce {
    float real_label;
    bool  saturating;
} bce;

static genlab_status create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    (void)host;
    bce *s = malloc(sizeof *s);
    if (!s)
        return GL_ERR_NOMEM;
    s->real_label = (float)genlab_config_float(cfg, "real_label");
    s->saturating = genlab_config_bool(cfg, "saturating");
    *state = s;
    return GL_OK;
}

/* ---- the loss ---- */

/* BCE(logits, target) with a constant target, mean over all elements */
static genlab_tensor *bce_to(genlab_ctx *ctx, genlab_tensor *logits, float target)
{
    genlab_tensor *t = genlab_scale(ctx, genlab_ones_like(ctx, logits), target);
    return genlab_bce_with_logits(ctx, logits, t, GL_REDUCE_MEAN);
}

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    const bce *s = state;
    switch (args->objective) {
    case GL_OBJ_DISCRIMINATOR: {
        genlab_tensor *d_real = genlab_loss_input(ctx, "bce", args, "d_real");
        genlab_tensor *d_fake = genlab_loss_input(ctx, "bce", args, "d_fake");
        return genlab_add(ctx, bce_to(ctx, d_real, s->real_label), bce_to(ctx, d_fake, 0.0f));
    }
    case GL_OBJ_GENERATOR: {
        genlab_tensor *d_fake = genlab_loss_input(ctx, "bce", args, "d_fake");
        return s->saturating ? genlab_scale(ctx, bce_to(ctx, d_fake, 0.0f), -1.0f)
                             : bce_to(ctx, d_fake, 1.0f);
    }
    default:
        return gl_gan_loss_undefined(ctx, "bce", args->objective);
    }
}

/* ---- the descriptor ---- */

static const genlab_loss_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
    .inputs = inputs, .create = create, .destroy = free, .compute = compute,
};

const genlab_component gl_gan_bce = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS, .name = "bce",
    .doc = "binary cross-entropy GAN loss, non-saturating or minimax G (Goodfellow et al., 2014)",
    GL_PARAMS(params), .iface = &iface,
};
