/* SPDX-License-Identifier: MIT
 *
 * arch_conv.c — the convolutional VAEs, as sequential networks (arch.h),
 * with PyTorch's default initialisation. nf is each one's base width; the
 * latent size and the image come from the trainer's spec. Encoders end in
 * fc_stats (2 z: mean, log-variance), decoders in the pixels before the
 * output activation (the trainer's vae.output).
 *
 *   vae-conv28      28x28 grayscale (seed 004: "two convolutional layers
 *                   and a fully connected layer; a mirrored decoder with a
 *                   fully connected layer and three transposed convs").
 *                   E: Conv 4x4 s2 (nf, 2nf), ReLU -> fc_stats.
 *                   D: Linear -> (2nf, H/4, W/4), ReLU -> ConvT 4x4 s2
 *                   (nf, nf), ReLU -> ConvT 3x3 s1 (C).
 *   vae-conv32      CIFAR-10 (seed 002 exactly: encoder 21,931,264,
 *                   decoder 4,831,447 parameters at nf = 128, hidden =
 *                   3072, z = 512). E: Conv 3x3 s2 p1 (nf, 2nf, 4nf, 8nf),
 *                   ReLU -> Linear (hidden), ReLU -> fc_stats. D: Linear ->
 *                   (8nf, H/16, W/16), ReLU -> ConvT 3x3 s2 p1 op1 (2nf,
 *                   nf, nf/2, C), ReLU between -> ConvT 3x3 s1 p1 (C). The
 *                   seed's summaries list no activation layers (they were
 *                   functional calls): ReLU after every layer but each
 *                   network's last is this file's reading, which the counts
 *                   do not decide.
 *   vae-conv32-mse  seed 000 (latent 128, MSE): E: Conv 4x4 s2 p1 (nf, 2nf,
 *                   4nf), ReLU -> fc_stats. D: Linear -> (4nf, H/8, W/8),
 *                   ReLU -> ConvT 4x4 s2 p1 (2nf, nf, C), ReLU between.
 *   vae-conv64      seed 001 (torch_ref.py VAE64: 6,250,443 parameters at
 *                   nf = 64, z = 100): E: Conv 4x4 s2 p1 (nf; 2nf, 4nf with
 *                   BatchNorm), LeakyReLU 0.2 -> fc_stats. D: Linear ->
 *                   (4nf, H/8, W/8) -> ConvT 4x4 s2 p1 (2nf, nf with
 *                   BatchNorm and ReLU, then C); its reference output is
 *                   tanh (vae.output=tanh).
 *
 * Sections: parameters, the archs, components.
 */
#include "arch.h"

/* ---- parameters ---- */

#define NF_PARAM(def_, min_)                                                               \
    {.name = "nf", .type = GL_PARAM_INT, .def = def_, .min = min_, .max = "4096",          \
     .help = "base width: channels of the encoder's first conv (the others multiply it)"}

static const genlab_param_def conv28_params[] = {NF_PARAM("32", "1")};
static const genlab_param_def conv32_params[] = {
    NF_PARAM("128", "2"),   /* the decoder's third conv has nf / 2 channels */
    {.name = "hidden", .type = GL_PARAM_INT, .def = "3072", .min = "1", .max = "65536",
     .help = "width of the encoder's Linear before fc_stats"},
};
static const genlab_param_def conv32_mse_params[] = {NF_PARAM("32", "1")};
static const genlab_param_def conv64_params[] = {NF_PARAM("64", "1")};

/* ---- the archs ---- */

/* shorthands for the layer descriptions below */
#define CONV(name, cout, k, s, p, norm, act_)                                               \
    genlab_seq_add(seq, &(genlab_seq_def){GL_SEQ_CONV, name, cout, k, s, p, true, norm,     \
                                          .act = act_})
#define DECONV(name, cout, k, s, p, op, norm, act_)                                        \
    genlab_seq_add(seq, &(genlab_seq_def){GL_SEQ_DECONV, name, cout, k, s, p, true, norm,  \
                                          .act = act_, .out_pad = op})
#define LINEAR(name, out, act_) \
    genlab_seq_add(seq, &(genlab_seq_def){GL_SEQ_LINEAR, name, out, .bias = true, .act = act_})

/* refuse_sides — the refusal of an image whose sides are not multiples of
 * m (an arch that halves the side log2(m) times and doubles it back):
 * GL_ERR_SHAPE on seq->ctx, or GL_OK when both sides are */
static genlab_status refuse_sides(genlab_seq *seq, const genlab_arch_io *io, int64_t m)
{
    if (io->h % m == 0 && io->w % m == 0)
        return GL_OK;
    return genlab_errorf(seq->ctx, GL_ERR_SHAPE, "%s: it takes images with sides that are "
                         "multiples of %lld", seq->who, (long long)m);
}

/* the decoder's start: z -> Linear "fc" -> (c0, H/m, W/m) */
static void decoder_start(genlab_seq *seq, const genlab_arch_io *io, int64_t c0, int64_t m,
                          genlab_seq_act act)
{
    LINEAR("fc", c0 * (io->h / m) * (io->w / m), act);
    if (genlab_ctx_status(seq->ctx) == GL_OK)
        genlab_seq_view(seq, c0, io->h / m, io->w / m);
}

static genlab_status conv28_describe(genlab_seq *seq, const genlab_config *cfg, const genlab_arch_io *io)
{
    int64_t nf = genlab_config_int(cfg, "nf");
    if (refuse_sides(seq, io, 4) != GL_OK)
        return genlab_ctx_status(seq->ctx);
    if (io->image_in) {
        CONV("conv1", nf, 4, 2, 1, NULL, GL_SEQ_RELU);
        CONV("conv2", 2 * nf, 4, 2, 1, NULL, GL_SEQ_RELU);
        LINEAR("fc_stats", 2 * io->z, GL_SEQ_NONE);
        return genlab_ctx_status(seq->ctx);
    }
    decoder_start(seq, io, 2 * nf, 4, GL_SEQ_RELU);
    DECONV("deconv1", nf, 4, 2, 1, 0, NULL, GL_SEQ_RELU);
    DECONV("deconv2", nf, 4, 2, 1, 0, NULL, GL_SEQ_RELU);
    DECONV("deconv3", io->c, 3, 1, 1, 0, NULL, GL_SEQ_NONE);
    return genlab_ctx_status(seq->ctx);
}

static genlab_status conv32_describe(genlab_seq *seq, const genlab_config *cfg, const genlab_arch_io *io)
{
    int64_t nf = genlab_config_int(cfg, "nf");
    if (refuse_sides(seq, io, 16) != GL_OK)
        return genlab_ctx_status(seq->ctx);
    if (io->image_in) {
        CONV("conv1", nf, 3, 2, 1, NULL, GL_SEQ_RELU);
        CONV("conv2", 2 * nf, 3, 2, 1, NULL, GL_SEQ_RELU);
        CONV("conv3", 4 * nf, 3, 2, 1, NULL, GL_SEQ_RELU);
        CONV("conv4", 8 * nf, 3, 2, 1, NULL, GL_SEQ_RELU);
        LINEAR("fc", genlab_config_int(cfg, "hidden"), GL_SEQ_RELU);
        LINEAR("fc_stats", 2 * io->z, GL_SEQ_NONE);
        return genlab_ctx_status(seq->ctx);
    }
    decoder_start(seq, io, 8 * nf, 16, GL_SEQ_RELU);
    DECONV("deconv1", 2 * nf, 3, 2, 1, 1, NULL, GL_SEQ_RELU);
    DECONV("deconv2", nf, 3, 2, 1, 1, NULL, GL_SEQ_RELU);
    DECONV("deconv3", nf / 2, 3, 2, 1, 1, NULL, GL_SEQ_RELU);
    DECONV("deconv4", io->c, 3, 2, 1, 1, NULL, GL_SEQ_RELU);
    DECONV("deconv5", io->c, 3, 1, 1, 0, NULL, GL_SEQ_NONE);
    return genlab_ctx_status(seq->ctx);
}

static genlab_status conv32_mse_describe(genlab_seq *seq, const genlab_config *cfg,
                                         const genlab_arch_io *io)
{
    int64_t nf = genlab_config_int(cfg, "nf");
    if (refuse_sides(seq, io, 8) != GL_OK)
        return genlab_ctx_status(seq->ctx);
    if (io->image_in) {
        CONV("conv1", nf, 4, 2, 1, NULL, GL_SEQ_RELU);
        CONV("conv2", 2 * nf, 4, 2, 1, NULL, GL_SEQ_RELU);
        CONV("conv3", 4 * nf, 4, 2, 1, NULL, GL_SEQ_RELU);
        LINEAR("fc_stats", 2 * io->z, GL_SEQ_NONE);
        return genlab_ctx_status(seq->ctx);
    }
    decoder_start(seq, io, 4 * nf, 8, GL_SEQ_RELU);
    DECONV("deconv1", 2 * nf, 4, 2, 1, 0, NULL, GL_SEQ_RELU);
    DECONV("deconv2", nf, 4, 2, 1, 0, NULL, GL_SEQ_RELU);
    DECONV("deconv3", io->c, 4, 2, 1, 0, NULL, GL_SEQ_NONE);
    return genlab_ctx_status(seq->ctx);
}

static genlab_status conv64_describe(genlab_seq *seq, const genlab_config *cfg, const genlab_arch_io *io)
{
    int64_t nf = genlab_config_int(cfg, "nf");
    if (refuse_sides(seq, io, 8) != GL_OK)
        return genlab_ctx_status(seq->ctx);
    if (io->image_in) {
        CONV("conv1", nf, 4, 2, 1, NULL, GL_SEQ_LRELU);
        CONV("conv2", 2 * nf, 4, 2, 1, "bn2", GL_SEQ_LRELU);
        CONV("conv3", 4 * nf, 4, 2, 1, "bn3", GL_SEQ_LRELU);
        LINEAR("fc_stats", 2 * io->z, GL_SEQ_NONE);
        return genlab_ctx_status(seq->ctx);
    }
    decoder_start(seq, io, 4 * nf, 8, GL_SEQ_NONE);
    DECONV("deconv1", 2 * nf, 4, 2, 1, 0, "bn1", GL_SEQ_RELU);
    DECONV("deconv2", nf, 4, 2, 1, 0, "bn2", GL_SEQ_RELU);
    DECONV("deconv3", io->c, 4, 2, 1, 0, NULL, GL_SEQ_NONE);
    return genlab_ctx_status(seq->ctx);
}

/* ---- components ---- */

static const genlab_seq_arch conv28_arch = {"vae-conv28", VAE_ROLES, {20, 1, 28, 28},
                                            conv28_describe};
static const genlab_seq_arch conv32_arch = {"vae-conv32", VAE_ROLES, {512, 3, 32, 32},
                                            conv32_describe};
static const genlab_seq_arch conv32_mse_arch = {"vae-conv32-mse", VAE_ROLES, {128, 3, 32, 32},
                                                conv32_mse_describe};
static const genlab_seq_arch conv64_arch = {"vae-conv64", VAE_ROLES, {100, 3, 64, 64},
                                            conv64_describe};

VAE_ARCH_COMPONENT(conv28, "vae-conv28", conv28_arch,
                   "conv VAE for 28x28 (seed 004): 2 convs + fc / fc + 3 transposed convs",
                   conv28_params);
VAE_ARCH_COMPONENT(conv32, "vae-conv32", conv32_arch,
                   "conv VAE for CIFAR-10 (seed 002): 3x3 convs 128..1024, fc 3072, z 512",
                   conv32_params);
VAE_ARCH_COMPONENT(conv32_mse, "vae-conv32-mse", conv32_mse_arch,
                   "conv VAE for 32x32 (seed 000): 4x4 convs 32..128, z 128, for MSE",
                   conv32_mse_params);
VAE_ARCH_COMPONENT(conv64, "vae-conv64", conv64_arch,
                   "conv VAE for 64x64 (seed 001, torch_ref.py VAE64): BN, LeakyReLU, z 100, "
                   "tanh output",
                   conv64_params);
