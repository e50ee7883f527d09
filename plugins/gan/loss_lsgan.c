/* SPDX-License-Identifier: MIT
 *
 * loss_lsgan.c — the least-squares GAN loss (Mao et al., "Least Squares
 * Generative Adversarial Networks", ICCV 2017), as the `loss` component
 * "lsgan". With D(.) the critic's raw output:
 *
 *   D: E[(D(x) - b)^2] + E[(D(G(z)) - a)^2]
 *   G: E[(D(G(z)) - c)^2]
 *
 * each E a mean over every element of its critic output. The paper writes
 * a factor 1/2 before each E (its eq. 2); genlab follows PyTorch practice
 * instead, nn.MSELoss()(D(x), b) + nn.MSELoss()(D(G(z)), a) as
 * bench/torch_ref.py's lsgan64 trains, so its losses and curves compare
 * with those of torch scripts. The factor only halves the gradients, which
 * Adam's normalisation all but cancels (with SGD: halve the rate).
 *
 * Parameters (loss.*), the paper's codings:
 *   a  D's target for generated images (default 0)
 *   b  D's target for real images      (default 1)
 *   c  the value G wants D to believe  (default 1)
 * a = 0, b = c = 1 is the 0-1 coding of the paper's experiments; a = -1,
 * b = 1, c = 0 makes the objective the Pearson chi^2 divergence (its
 * sec. 3.2.2). a = b is refused: D would have nothing to tell apart.
 * Inputs: d_real, d_fake (critic outputs, any shape, usually (N, 1)).
 */
#include <stdlib.h>

#include "gan.h"
#include "loss_common.h"

/* ---- parameters and state ---- */

static const genlab_param_def params[] = {
    {.name = "a", .type = GL_PARAM_FLOAT, .def = "0",
     .help = "D's target for generated images"},
    {.name = "b", .type = GL_PARAM_FLOAT, .def = "1", .help = "D's target for real images"},
    {.name = "c", .type = GL_PARAM_FLOAT, .def = "1",
     .help = "G's target: the value G wants D to output for its images"},
};

static const char *const inputs[] = {"d_real", "d_fake", NULL};

typedef struct lsgan {
    float a, b, c;
} lsgan;

static genlab_status create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    double a = genlab_config_float(cfg, "a"), b = genlab_config_float(cfg, "b");
    if (a == b)
        return genlab_errorf(host->ctx, GL_ERR_INVALID,
                             "loss lsgan: loss.a = loss.b = %g: D's targets for generated (a) "
                             "and real (b) images must differ", a);
    lsgan *s = malloc(sizeof *s);
    if (!s)
        return GL_ERR_NOMEM;
    *s = (lsgan){(float)a, (float)b, (float)genlab_config_float(cfg, "c")};
    *state = s;
    return GL_OK;
}

/* ---- the loss ---- */

/* mean((d - target)^2) over all elements, for a constant target */
static genlab_tensor *mse_to(genlab_ctx *ctx, genlab_tensor *d, float target)
{
    genlab_tensor *t = genlab_scale(ctx, genlab_ones_like(ctx, d), target);
    return genlab_mse_loss(ctx, d, t, GL_REDUCE_MEAN);
}

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    const lsgan *s = state;
    switch (args->objective) {
    case GL_OBJ_DISCRIMINATOR: {
        genlab_tensor *d_real = genlab_loss_input(ctx, "lsgan", args, "d_real");
        genlab_tensor *d_fake = genlab_loss_input(ctx, "lsgan", args, "d_fake");
        return genlab_add(ctx, mse_to(ctx, d_real, s->b), mse_to(ctx, d_fake, s->a));
    }
    case GL_OBJ_GENERATOR: {
        genlab_tensor *d_fake = genlab_loss_input(ctx, "lsgan", args, "d_fake");
        return mse_to(ctx, d_fake, s->c);
    }
    default:
        return gl_gan_loss_undefined(ctx, "lsgan", args->objective);
    }
}

/* ---- the descriptor ---- */

static const genlab_loss_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
    .inputs = inputs, .create = create, .destroy = free, .compute = compute,
};

const genlab_component gl_gan_lsgan = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS, .name = "lsgan",
    .doc = "least-squares GAN loss with targets a, b, c (Mao et al., 2017)",
    GL_PARAMS(params), .iface = &iface,
};
