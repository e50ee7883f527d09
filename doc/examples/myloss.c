/* SPDX-License-Identifier: MIT
 *
 * myloss.c — a least-squares GAN loss (Mao et al., 2017) as a genlab
 * plugin: the example of doc/plugin-guide.md, built out of tree with
 *
 *     cc -shared -fPIC -o myloss.so myloss.c $(pkg-config --cflags --libs genlab)
 *
 *   D: 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]
 *   G: 1/2 E[(D(G(z)) - c)^2]       with b = c = real_label, a = fake_label
 *
 * Sections: parameters, the loss, the descriptor.
 */
#include <stdlib.h>

#include <genlab/genlab.h>

/* ---- parameters: declared, never parsed here ---- */

static const genlab_param_def params[] = {
    {.name = "real_label", .type = GL_PARAM_FLOAT, .def = "1", .min = "-10", .max = "10",
     .help = "target of the critic for real images (b, and c for the generator)"},
    {.name = "fake_label", .type = GL_PARAM_FLOAT, .def = "0", .min = "-10", .max = "10",
     .help = "target of the critic for generated images (a)"},
};

/* ---- the loss ---- */

typedef struct lsgan {
    float real_label, fake_label;
} lsgan;

/* the tensors compute() reads: a trainer that cannot provide them refuses
 * this loss before the run starts */
static const char *const inputs[] = {"d_real", "d_fake", NULL};

static genlab_status create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    (void)host;
    lsgan *s = malloc(sizeof *s);
    if (!s)
        return GL_ERR_NOMEM;
    /* cfg is this loss's scope: "real_label" reads loss.real_label */
    s->real_label = (float)genlab_config_float(cfg, "real_label");
    s->fake_label = (float)genlab_config_float(cfg, "fake_label");
    *state = s;
    return GL_OK;
}

/* half_mse — 1/2 mean((d - target)^2), on the tape like every op */
static genlab_tensor *half_mse(genlab_ctx *ctx, genlab_tensor *d, float target)
{
    genlab_tensor *e = genlab_affine(ctx, d, 1.0f, -target);
    return genlab_scale(ctx, genlab_mean_all(ctx, genlab_mul(ctx, e, e)), 0.5f);
}

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    const lsgan *s = state;
    genlab_tensor *d_real = genlab_loss_arg(args, "d_real");
    genlab_tensor *d_fake = genlab_loss_arg(args, "d_fake");
    if (!d_fake || (args->objective == GL_OBJ_DISCRIMINATOR && !d_real)) {
        genlab_errorf(ctx, GL_ERR_INVALID, "loss lsgan-half: input %s missing",
                      d_fake ? "d_real" : "d_fake");
        return NULL;
    }
    switch (args->objective) {
    case GL_OBJ_DISCRIMINATOR:
        return genlab_add(ctx, half_mse(ctx, d_real, s->real_label),
                          half_mse(ctx, d_fake, s->fake_label));
    case GL_OBJ_GENERATOR:
        return half_mse(ctx, d_fake, s->real_label);
    default:
        genlab_errorf(ctx, GL_ERR_INVALID, "loss lsgan-half: defined for GAN objectives only");
        return NULL;
    }
}

/* ---- the descriptor: static const data, one exported entry point ---- */

static const genlab_loss_i lsgan_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(genlab_loss_i),
    .inputs = inputs,
    .create = create,
    .destroy = free,
    .compute = compute,
};

static const genlab_component lsgan_component = {
    .abi_version = GL_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS,
    .name = "lsgan-half",
    .doc = "least-squares GAN loss (Mao et al., 2017)",
    GL_PARAMS(params),
    .iface = &lsgan_iface,
};

static const genlab_component *const components[] = {&lsgan_component, NULL};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(genlab_module),
    .name = "myloss",
    .version = "1.0.0",
    .components = components,
};

GENLAB_PLUGIN(module)
