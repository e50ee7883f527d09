/* SPDX-License-Identifier: MIT
 *
 * arch_mlp.c — mlp28, the fully connected GAN of seeds 003/004
 * (torch_ref.py MLP_G/MLP_D), as a sequential network (arch.h) with
 * PyTorch's default initialisation:
 *
 *   G: z -> h -> 2h -> 4h -> C*H*W (h = g_hidden, 256), LeakyReLU(0.2)
 *      between, tanh last, viewed as (C, H, W).
 *   D: C*H*W -> d -> d/2 -> 1 (d = d_hidden, 512), LeakyReLU(0.2) and
 *      dropout after each hidden layer.
 *
 * Any image shape is accepted (the images are flattened); its native one
 * is 1x28x28 with a latent of 100.
 */
#include "arch.h"

static const genlab_param_def mlp28_params[] = {
    {.name = "g_hidden", .type = GL_PARAM_INT, .def = "256", .min = "1", .max = "65536",
     .help = "generator width: its first hidden layer (the next two double)"},
    {.name = "d_hidden", .type = GL_PARAM_INT, .def = "512", .min = "2", .max = "65536",
     .help = "discriminator width: its first hidden layer (the next halves)"},
    {.name = "dropout", .type = GL_PARAM_FLOAT, .def = "0.3", .min = "0", .max = "0.9",
     .help = "discriminator dropout probability after each hidden layer"},
    {.name = "spectral_norm", .type = GL_PARAM_BOOL, .def = "false",
     .help = "spectral normalisation of every weight (SNGAN: on the discriminator)"},
};

static genlab_status mlp28_describe(genlab_seq *s, const genlab_config *cfg,
                                    const genlab_arch_io *io)
{
    s->sn = genlab_config_bool(cfg, "spectral_norm");
    if (!io->image_in) {
        int64_t h = genlab_config_int(cfg, "g_hidden");
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc1", h, .bias = true,
                                            .act = GL_SEQ_LRELU});
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc2", 2 * h, .bias = true,
                                            .act = GL_SEQ_LRELU});
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc3", 4 * h, .bias = true,
                                            .act = GL_SEQ_LRELU});
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc4", io->c * io->h * io->w,
                                            .bias = true, .act = GL_SEQ_TANH});
        if (genlab_ctx_status(s->ctx) == GL_OK)
            genlab_seq_view(s, io->c, io->h, io->w);
        return genlab_ctx_status(s->ctx);
    }
    int64_t d = genlab_config_int(cfg, "d_hidden");
    float p = (float)genlab_config_float(cfg, "dropout");
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc1", d, .bias = true, .act = GL_SEQ_LRELU,
                                        .dropout = p});
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc2", d / 2, .bias = true,
                                        .act = GL_SEQ_LRELU, .dropout = p});
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc3", 1, .bias = true});
    return genlab_ctx_status(s->ctx);
}

static const genlab_seq_arch mlp28_arch = {"mlp28", GAN_ROLES, {100, 1, 28, 28}, mlp28_describe};

GAN_STACK_COMPONENT(mlp28, mlp28_arch,
                    "fully connected GAN for 28x28 (seeds 003/004): 256-512-1024 / 512-256",
                    mlp28_params);
