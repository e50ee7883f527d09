/* SPDX-License-Identifier: MIT
 *
 * arch_dcgan.c — the DCGAN architectures, as sequential networks (nn.h,
 * arch.h), with the DCGAN initialisation (conv weights N(0, 0.02),
 * BatchNorm weights N(1, 0.02)):
 *
 *   dcgan28  28x28 grayscale (seed 004; torch_ref.py DCGAN28_G/D).
 *            G: z -> Linear (no bias) -> BatchNorm1d -> LeakyReLU -> view
 *            (4ngf, H/4, W/4) -> ConvT 5x5 s1 (2ngf) -> ConvT 4x4 s2 (ngf)
 *            -> ConvT 4x4 s2 (C) -> tanh, BN + LeakyReLU between.
 *            D: Conv 5x5 s2 (ndf) -> Conv 5x5 s2 (2ndf), each with bias,
 *            LeakyReLU and dropout -> Linear -> 1.
 *   dcgan32  32x32 (seed 002 exactly; torch_ref.py DCGAN32_G/D).
 *            G: z as (z, 1, 1) -> ConvT 2x2 (16ngf) -> 3 ConvT 4x4 s2
 *            halving the channels -> ConvT 4x4 s2 (C) -> tanh, BN + ReLU
 *            between, no biases. D: Conv 5x5 s2 without bias (ndf, 2ndf,
 *            4ndf, 8ndf), LeakyReLU, then BatchNorm from the second conv
 *            on, and Linear(8ndf * H/16 * W/16) -> 1. The seed's model
 *            summary runs LeakyReLU before each BatchNorm (torch_ref.py
 *            swaps the two; the parameter count is the same).
 *   dcgan64  64x64 (seed 001; torch_ref.py DCGAN64_G/D, the standard
 *            DCGAN). G as dcgan32 from a ConvT 4x4 (8ngf); D: Conv 4x4 s2
 *            (ndf .. 8ndf) with BN (from the second) then LeakyReLU, and a
 *            4x4 valid conv to one number.
 *
 * dcgan32 and dcgan64 are one "pyramid" with different numbers. Sizes are
 * parameters (ngf, ndf; dcgan28's dropout); the latent size and the image
 * come from the trainer's spec. spectral_norm wraps every weight (SNGAN).
 *
 * Sections: parameters, initialisation, dcgan28, pyramids, components.
 */
#include <stdio.h>

#include "arch.h"

/* ---- parameters ---- */

#define NGF_PARAM(def_)                                                                    \
    {.name = "ngf", .type = GL_PARAM_INT, .def = def_, .min = "1", .max = "1024",          \
     .help = "generator width: channels of its last hidden layer (the others double)"}
#define NDF_PARAM(def_)                                                                    \
    {.name = "ndf", .type = GL_PARAM_INT, .def = def_, .min = "1", .max = "1024",          \
     .help = "discriminator width: channels of its first layer (the others double)"}
#define SN_PARAM                                                                           \
    {.name = "spectral_norm", .type = GL_PARAM_BOOL, .def = "false",                      \
     .help = "spectral normalisation of every weight (SNGAN: on the discriminator)"}

static const genlab_param_def dcgan28_params[] = {
    NGF_PARAM("64"),
    NDF_PARAM("64"),
    {.name = "dropout", .type = GL_PARAM_FLOAT, .def = "0.3", .min = "0", .max = "0.9",
     .help = "discriminator dropout probability after each conv"},
    SN_PARAM,
};

static const genlab_param_def pyramid_params[] = {NGF_PARAM("64"), NDF_PARAM("64"), SN_PARAM};

/* ---- initialisation ---- */

/* dcgan_init — the end of every describe here: the DCGAN paper's
 * initialisation (pytorch/examples' weights_init) on the layers s holds
 * (every conv weight N(0, 0.02), every BatchNorm weight N(1, 0.02),
 * biases as they are; Linear layers keep PyTorch's default, as there),
 * once the layers are all added. Returns the context's status. */
static genlab_status dcgan_init(genlab_seq *s)
{
    genlab_status st = genlab_ctx_status(s->ctx);
    if (st == GL_OK)
        st = genlab_params_set_init(s->p, "*conv*.weight", genlab_init_normal(0.0f, 0.02f));
    if (st == GL_OK && s->has_norm)
        st = genlab_params_set_init(s->p, "*bn*.weight", genlab_init_normal(1.0f, 0.02f));
    return st;
}

/* ---- dcgan28 ---- */

static genlab_status dcgan28_describe(genlab_seq *s, const genlab_config *cfg,
                                      const genlab_arch_io *io)
{
    s->sn = genlab_config_bool(cfg, "spectral_norm");
    if (io->image_in) {
        int64_t f = genlab_config_int(cfg, "ndf");
        float p = (float)genlab_config_float(cfg, "dropout");
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_CONV, "conv1", f, 5, 2, 2, true,
                                            .act = GL_SEQ_LRELU, .dropout = p});
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_CONV, "conv2", 2 * f, 5, 2, 2, true,
                                            .act = GL_SEQ_LRELU, .dropout = p});
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc", 1, .bias = true});
        return dcgan_init(s);
    }
    /* two stride-2 layers upsample (H/4, W/4) */
    int64_t f = genlab_config_int(cfg, "ngf"), h0 = io->h / 4, w0 = io->w / 4;
    if (h0 < 1 || w0 < 1)
        return genlab_errorf(s->ctx, GL_ERR_SHAPE, "%s: it makes images with sides that "
                             "are multiples of 4", s->who);
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc", 4 * f * h0 * w0, .norm = "fc_bn",
                                        .act = GL_SEQ_LRELU});
    if (genlab_ctx_status(s->ctx) == GL_OK)
        genlab_seq_view(s, 4 * f, h0, w0);
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_DECONV, "deconv1", 2 * f, 5, 1, 2, false, "bn1",
                                        .act = GL_SEQ_LRELU});
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_DECONV, "deconv2", f, 4, 2, 1, false, "bn2",
                                        .act = GL_SEQ_LRELU});
    genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_DECONV, "deconv3", io->c, 4, 2, 1, false,
                                        .act = GL_SEQ_TANH});
    return dcgan_init(s);
}

/* ---- pyramids ---- */

/* A DCGAN whose generator doubles the side at each of 4 transposed convs
 * after the first (which makes a g_k0 x g_k0 map from the latent), and
 * whose discriminator halves it at each of 4 convs before its head. */
typedef struct pyramid {
    int  g_k0;             /* the first transposed conv's kernel: the side it makes */
    int  g_mult;           /* its channels, in units of ngf */
    int  d_k, d_pad;       /* the discriminator's conv kernels and padding */
    bool d_norm_after_act; /* LeakyReLU before BatchNorm (seed 002) */
    bool d_conv_head;      /* a 4x4 valid conv to one number; else a Linear */
} pyramid;

#define PYRAMID_HIDDEN 4   /* hidden layers in each network */

static genlab_status pyramid_describe(genlab_seq *s, const genlab_config *cfg,
                                      const genlab_arch_io *io, const pyramid *py)
{
    char name[2][16];
    s->sn = genlab_config_bool(cfg, "spectral_norm");
    if (!io->image_in) {
        int64_t f = genlab_config_int(cfg, "ngf") * py->g_mult;
        for (int i = 1; i <= PYRAMID_HIDDEN; i++, f /= 2) {
            snprintf(name[0], sizeof name[0], "deconv%d", i);
            snprintf(name[1], sizeof name[1], "bn%d", i);
            genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_DECONV, name[0], f, i == 1 ? py->g_k0 : 4,
                                                i == 1 ? 1 : 2, i == 1 ? 0 : 1, false, name[1],
                                                .act = GL_SEQ_RELU});
        }
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_DECONV, "deconv5", io->c, 4, 2, 1, false,
                                            .act = GL_SEQ_TANH});
        return dcgan_init(s);
    }
    int64_t f = genlab_config_int(cfg, "ndf");
    for (int i = 1; i <= PYRAMID_HIDDEN; i++, f *= 2) {
        snprintf(name[0], sizeof name[0], "conv%d", i);
        snprintf(name[1], sizeof name[1], "bn%d", i);
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_CONV, name[0], f, py->d_k, 2, py->d_pad, false,
                                            i == 1 ? NULL : name[1], py->d_norm_after_act,
                                            .act = GL_SEQ_LRELU});
    }
    if (py->d_conv_head)
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_CONV, "conv5", 1, 4, 1, 0, .bias = false});
    else
        genlab_seq_add(s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc", 1, .bias = true});
    return dcgan_init(s);
}

static const pyramid dcgan32_pyramid = {.g_k0 = 2, .g_mult = 16, .d_k = 5, .d_pad = 2,
                                        .d_norm_after_act = true};
static const pyramid dcgan64_pyramid = {.g_k0 = 4, .g_mult = 8, .d_k = 4, .d_pad = 1,
                                        .d_conv_head = true};

static genlab_status dcgan32_describe(genlab_seq *s, const genlab_config *cfg,
                                      const genlab_arch_io *io)
{
    return pyramid_describe(s, cfg, io, &dcgan32_pyramid);
}

static genlab_status dcgan64_describe(genlab_seq *s, const genlab_config *cfg,
                                      const genlab_arch_io *io)
{
    return pyramid_describe(s, cfg, io, &dcgan64_pyramid);
}

/* ---- components ---- */

static const genlab_seq_arch dcgan28_arch = {"dcgan28", GAN_ROLES, {100, 1, 28, 28},
                                             dcgan28_describe};
static const genlab_seq_arch dcgan32_arch = {"dcgan32", GAN_ROLES, {100, 3, 32, 32},
                                             dcgan32_describe};
static const genlab_seq_arch dcgan64_arch = {"dcgan64", GAN_ROLES, {100, 3, 64, 64},
                                             dcgan64_describe};

GAN_STACK_COMPONENT(dcgan28, dcgan28_arch,
                    "DCGAN for 28x28 grayscale (seed 004): Linear + 3 ConvT / 2 Conv + dropout",
                    dcgan28_params);
GAN_STACK_COMPONENT(dcgan32, dcgan32_arch,
                    "DCGAN for 32x32 (seed 002): z -> 1024x2x2 -> 3; D 5x5 convs 64..512",
                    pyramid_params);
GAN_STACK_COMPONENT(dcgan64, dcgan64_arch,
                    "the standard 64x64 DCGAN (seed 001), ngf = ndf = 64",
                    pyramid_params);
