/* SPDX-License-Identifier: MIT
 *
 * loss_wgan_gp.c — the Wasserstein GAN loss with gradient penalty
 * (Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS
 * 2017, Algorithm 1), as the `loss` component "wgan-gp". With D(.) the
 * critic's raw output:
 *
 *   D: E[D(G(z))] - E[D(x)] + lambda E[(||grad_xhat D(xhat)||_2 - 1)^2]
 *      xhat = eps x + (1 - eps) G(z),  eps ~ U(0, 1) per sample
 *   G: -E[D(G(z))]
 *
 * The norm is over all of a sample's elements; E[D(.)] is a mean over
 * every element of the critic output. The penalty differentiates the
 * critic at xhat through the loss args' critic with genlab_grad's
 * create_graph, so D's backward is a gradient of a gradient (the engine's
 * double backward). It is bench/torch_ref.py's critic step:
 * autograd.grad(D(xi).sum(), xi, create_graph=True), gp = ((norm - 1)^2)
 * .mean(), lossD = D(fake).mean() - D(real).mean() + 10 gp.
 *
 * eps is drawn from the context's default stream (genlab_rand), N numbers
 * per D objective. x_fake is used as the trainer gives it: a trainer
 * passes it detached (torch_ref.py makes it under no_grad), or the
 * penalty's gradient reaches G's parameters as well.
 *
 * Parameters (loss.*):
 *   gp_weight  lambda, the penalty's weight (default 10: the paper's, and
 *              torch_ref.py's for seed 000's resnet32); 0 skips the
 *              penalty and its draw (a WGAN critic with no Lipschitz
 *              constraint, for ablations)
 * Inputs: d_real, d_fake (any shape, usually (N, 1)); x_real, x_fake
 * ((N, ...) images of one shape); the critic, for the D objective.
 * Scalars (last_metrics): "gp", the unweighted penalty of the last D
 * objective.
 */
#include <stdlib.h>

#include "gan.h"
#include "loss_common.h"

/* ---- parameters and state ---- */

static const genlab_param_def params[] = {
    {.name = "gp_weight", .type = GL_PARAM_FLOAT, .def = "10", .min = "0",
     .help = "lambda, the weight of the gradient penalty (0: none)"},
};

static const char *const inputs[] = {"d_real", "d_fake", "x_real", "x_fake", NULL};

typedef struct wgan_gp {
    float  gp_weight;
    bool   has_gp;     /* the last compute() made a penalty ... */
    double gp;         /* ... of this value (unweighted), for last_metrics */
} wgan_gp;

static genlab_status create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    (void)host;
    wgan_gp *s = calloc(1, sizeof *s);
    if (!s)
        return GL_ERR_NOMEM;
    s->gp_weight = (float)genlab_config_float(cfg, "gp_weight");
    *state = s;
    return GL_OK;
}

/* ---- the loss ---- */

/* E[(||grad_xhat D(xhat)||_2 - 1)^2] at random interpolates of x_real and
 * x_fake, or NULL (error on ctx) */
static genlab_tensor *penalty(genlab_ctx *ctx, const genlab_loss_args *args,
                              genlab_tensor *x_real, genlab_tensor *x_fake)
{
    if (!x_real || !x_fake)
        return NULL;
    int nd = genlab_tensor_ndim(x_real);
    bool same = nd == genlab_tensor_ndim(x_fake) && nd >= 1;
    for (int i = 0; same && i < nd; i++)
        same = genlab_tensor_dim(x_real, i) == genlab_tensor_dim(x_fake, i);
    if (!same) {
        char a[128], b[128];   /* GL_MAX_DIMS int64 sizes */
        genlab_errorf(ctx, GL_ERR_SHAPE, "loss wgan-gp: x_real %s and x_fake %s must have one "
                      "shape (N, ...)", genlab_tensor_shape_str(x_real, a, sizeof a),
                      genlab_tensor_shape_str(x_fake, b, sizeof b));
        return NULL;
    }
    if (!args->critic) {
        genlab_errorf(ctx, GL_ERR_INVALID, "loss wgan-gp: the gradient penalty needs the "
                      "critic, and the trainer gave none (args->critic is NULL)");
        return NULL;
    }

    /* eps (N, 1, ..., 1): one mixing weight per sample */
    int64_t shape[GL_MAX_DIMS] = {genlab_tensor_dim(x_real, 0)};
    for (int i = 1; i < nd; i++)
        shape[i] = 1;
    genlab_tensor *eps = genlab_rand(ctx, nd, shape, 0.0f, 1.0f);
    genlab_tensor *x_hat = genlab_add(ctx, genlab_mul(ctx, eps, x_real),
                                      genlab_mul(ctx, genlab_affine(ctx, eps, -1.0f, 1.0f), x_fake));
    if (!x_hat)
        return NULL;
    /* x_hat is a leaf when neither image is on the tape: make the critic's
     * ops record with respect to it (torch's xi.requires_grad_()). The
     * penalty is a gradient, so it is taken with recording on even when
     * the caller turned it off (an evaluation): without a tape it would
     * silently be a zero gradient, a penalty of 1. */
    genlab_tensor_set_requires_grad(x_hat, true);
    bool recording = genlab_set_grad_enabled(ctx, true);
    genlab_tensor *d_hat = args->critic(ctx, args->critic_ctx, x_hat), *g = NULL;
    if (d_hat)   /* grad_outputs NULL: ones, the gradient of sum(D(x_hat)) */
        genlab_grad(ctx, 1, &d_hat, NULL, 1, &x_hat, recording, &g);
    genlab_set_grad_enabled(ctx, recording);
    if (genlab_ctx_status(ctx) != GL_OK)
        return NULL;

    /* 1e-12 under the root: where g = 0 (a saturated critic) the norm's
     * derivative is 0, as torch's norm makes it, not 0 * inf; it is below
     * float32's resolution of any squared norm that matters */
    g = genlab_flatten(ctx, g, 1);
    genlab_tensor *sq = genlab_sum(ctx, genlab_mul(ctx, g, g), 1, (const int[]){1}, false);
    genlab_tensor *norm = genlab_sqrt(ctx, genlab_affine(ctx, sq, 1.0f, 1e-12f));
    genlab_tensor *dev = genlab_affine(ctx, norm, 1.0f, -1.0f);
    return genlab_mean_all(ctx, genlab_mul(ctx, dev, dev));
}

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    wgan_gp *s = state;
    s->has_gp = false;
    switch (args->objective) {
    case GL_OBJ_DISCRIMINATOR: {
        genlab_tensor *d_real = genlab_loss_input(ctx, "wgan-gp", args, "d_real");
        genlab_tensor *d_fake = genlab_loss_input(ctx, "wgan-gp", args, "d_fake");
        genlab_tensor *w = genlab_sub(ctx, genlab_mean_all(ctx, d_fake),
                                      genlab_mean_all(ctx, d_real));
        if (s->gp_weight == 0.0f)
            return w;
        genlab_tensor *x_real = genlab_loss_input(ctx, "wgan-gp", args, "x_real");
        genlab_tensor *x_fake = genlab_loss_input(ctx, "wgan-gp", args, "x_fake");
        genlab_tensor *gp = w ? penalty(ctx, args, x_real, x_fake) : NULL;
        if (!gp)
            return NULL;
        s->gp = genlab_tensor_item(gp);
        s->has_gp = true;
        return genlab_add(ctx, w, genlab_scale(ctx, gp, s->gp_weight));
    }
    case GL_OBJ_GENERATOR: {
        genlab_tensor *d_fake = genlab_loss_input(ctx, "wgan-gp", args, "d_fake");
        return genlab_scale(ctx, genlab_mean_all(ctx, d_fake), -1.0f);
    }
    default:
        return gl_gan_loss_undefined(ctx, "wgan-gp", args->objective);
    }
}

static void last_metrics(void *state, genlab_step_metrics *out)
{
    const wgan_gp *s = state;
    if (s->has_gp)
        genlab_step_metric(out, "gp", s->gp);
}

/* ---- the descriptor ---- */

static const genlab_loss_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
    .inputs = inputs, .create = create, .destroy = free, .compute = compute,
    .last_metrics = last_metrics,
};

const genlab_component gl_gan_wgan_gp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS, .name = "wgan-gp",
    .doc = "Wasserstein GAN loss with gradient penalty (Gulrajani et al., 2017)",
    GL_PARAMS(params), .iface = &iface,
};
