/* SPDX-License-Identifier: MIT
 *
 * arch_mlp.c — vae-mlp28, the fully connected VAE of Kingma & Welling as
 * pytorch/examples writes it (seeds 003/004; torch_ref.py VAE28), with
 * PyTorch's default initialisation:
 *
 *   encoder: C*H*W -> hidden (ReLU) -> 2 z (mean, log-variance)
 *   decoder: z -> hidden (ReLU) -> C*H*W, viewed as (C, H, W)
 *
 * hidden = 400 and z = 20 on 1x28x28 give torch_ref.py's 652,824
 * parameters (encoder 330,040, decoder 322,784). Any image shape is
 * accepted (the images are flattened).
 */
#include "arch.h"

static const genlab_param_def mlp28_params[] = {
    {.name = "hidden", .type = GL_PARAM_INT, .def = "400", .min = "1", .max = "65536",
     .help = "width of the hidden layer of each network"},
};

static genlab_status mlp28_describe(genlab_seq *s, const genlab_config *cfg,
                                    const genlab_arch_io *io)
{
    int64_t hidden = genlab_config_int(cfg, "hidden");
    if (io->image_in) {
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc1", hidden, .bias = true,
                                            .act = GL_SEQ_RELU});
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc_stats", 2 * io->z, .bias = true});
        return genlab_ctx_status(s->ctx);
    }
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc1", hidden, .bias = true,
                                        .act = GL_SEQ_RELU});
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc2", io->c * io->h * io->w,
                                        .bias = true});
    if (genlab_ctx_status(s->ctx) == GL_OK)
        genlab_seq_view(s, io->c, io->h, io->w);
    return genlab_ctx_status(s->ctx);
}

static const genlab_seq_arch mlp28_arch = {"vae-mlp28", VAE_ROLES, {20, 1, 28, 28},
                                           mlp28_describe};

VAE_ARCH_COMPONENT(mlp28, "vae-mlp28", mlp28_arch,
                   "fully connected VAE for 28x28 (seeds 003/004): 784-400-(20, 20) / 20-400-784",
                   mlp28_params);
