/* SPDX-License-Identifier: MIT
 *
 * loss_hinge.c — the hinge GAN loss (Lim & Ye, "Geometric GAN", 2017;
 * Miyato et al., "Spectral Normalization for Generative Adversarial
 * Networks", ICLR 2018, eq. 17), as the `loss` component "hinge". With
 * D(.) the critic's raw output:
 *
 *   D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]
 *   G: -E[D(G(z))]
 *
 * each E a mean over every element of its critic output. D stops pushing a
 * sample once it lies beyond the margin (D(x) >= 1, D(G(z)) <= -1); G's
 * loss is the WGAN one, unbounded. SNGAN is this loss with spectral
 * normalisation in the discriminator (seed 001).
 *
 * Parameters: none. Inputs: d_real, d_fake (any shape, usually (N, 1)).
 */
#include "gan.h"
#include "loss_common.h"

/* ---- the loss ---- */

static const char *const inputs[] = {"d_real", "d_fake", NULL};

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    (void)state;   /* stateless: no parameters */
    switch (args->objective) {
    case GL_OBJ_DISCRIMINATOR: {
        genlab_tensor *d_real = genlab_loss_input(ctx, "hinge", args, "d_real");
        genlab_tensor *d_fake = genlab_loss_input(ctx, "hinge", args, "d_fake");
        genlab_tensor *real = genlab_relu(ctx, genlab_affine(ctx, d_real, -1.0f, 1.0f));
        genlab_tensor *fake = genlab_relu(ctx, genlab_affine(ctx, d_fake, 1.0f, 1.0f));
        return genlab_add(ctx, genlab_mean_all(ctx, real), genlab_mean_all(ctx, fake));
    }
    case GL_OBJ_GENERATOR: {
        genlab_tensor *d_fake = genlab_loss_input(ctx, "hinge", args, "d_fake");
        return genlab_scale(ctx, genlab_mean_all(ctx, d_fake), -1.0f);
    }
    default:
        return gl_gan_loss_undefined(ctx, "hinge", args->objective);
    }
}

/* ---- the descriptor ---- */

static const genlab_loss_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
    .inputs = inputs, .compute = compute,
};

const genlab_component gl_gan_hinge = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS, .name = "hinge",
    .doc = "hinge GAN loss of SNGAN (Lim & Ye, 2017; Miyato et al., 2018)",
    .iface = &iface,
};
