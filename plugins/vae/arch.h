/* SPDX-License-Identifier: MIT
 *
 * arch.h — what the VAE architectures (arch_mlp.c, arch_conv.c) share:
 * reading a VAE arch spec, the spec each was designed for, and the arch_i
 * callbacks of an arch written as a sequential network (genlab_seq, nn.h).
 *
 * Every VAE arch builds both roles:
 *   encoder  (C, H, W) -> (2 z): the mean and the log-variance of q(z|x),
 *            concatenated (one Linear "fc_stats" of 2 z outputs: the two
 *            heads of the reference models, fc_mu and fc_logvar, stacked,
 *            with the same parameters and products);
 *   decoder  (z) -> (C, H, W): the pixels before the output activation.
 * The decoder has no final sigmoid or tanh: the trainer applies it
 * (vae.output), so that the Bernoulli loss can take the logits
 * (binary_cross_entropy_with_logits is exact where sigmoid then log
 * rounds to 0).
 *
 * Not here: the components themselves (one file per family), the layers
 * and sequential networks (nn.h), the messages of a refused spec or input
 * (genlab_arch_refuse, genlab_arch_input_ok: plugin.h).
 *
 * Sections: specs, sequential archs.
 */
#ifndef GENLAB_PLUGIN_VAE_ARCH_H
#define GENLAB_PLUGIN_VAE_ARCH_H

#include "vae.h"

/* ---- specs ---- */

/* The largest image side, channel count and latent size the archs accept:
 * far beyond any use, small enough that every layer size fits an int. */
#define VAE_MAX_SIDE    1024
#define VAE_MAX_CHANNELS  64
#define VAE_MAX_LATENT 65536

/* The sizes one arch was designed for: its reference model's latent size
 * and image shape. */
typedef struct vae_native {
    int64_t z, c, h, w;
} vae_native;

/* What a VAE network maps, read from a spec. */
typedef struct vae_io {
    bool    encoder;     /* image -> (2 z); else z -> image */
    int64_t z;           /* the latent size */
    int64_t c, h, w;     /* the image */
} vae_io;

/* vae_native_spec — the encoder or decoder spec for the sizes in n (OUT:
 * *spec); GL_ERR_UNSUPPORTED for another role. */
genlab_status vae_native_spec(const vae_native *n, genlab_arch_role role,
                              genlab_arch_spec *spec);

/* ---- sequential archs ---- */

/* How a VAE arch describes itself: its name, native sizes, and the
 * function adding its layers for io (reading its sizes from cfg; it may
 * refuse io with an error on s->ctx starting with s->who). The common
 * build first checks the spec (a parameter block; an unconditional
 * encoder (C, H, W) -> (2 z) or decoder (z) -> (C, H, W) without times,
 * within the VAE_MAX_* limits) and afterwards refuses a network that does
 * not make the spec's output. */
typedef struct vae_arch {
    const char *name;
    vae_native  native;
    genlab_status (*describe)(genlab_seq *s, const genlab_config *cfg, const vae_io *io);
} vae_arch;

/* The arch_i callbacks shared by every VAE arch (arch_common.c). */
genlab_status vae_arch_build(const vae_arch *a, const genlab_host *host,
                             const genlab_config *cfg, const genlab_arch_spec *spec,
                             genlab_params *params, void **state);
void           vae_arch_destroy(void *state);
genlab_tensor *vae_arch_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                genlab_tensor *t, genlab_tensor *y, bool training);

/* vae_refuse_sides — the refusal of an image whose sides are not multiples
 * of m (an arch that halves the side log2(m) times and doubles it back):
 * GL_ERR_SHAPE on s->ctx, or GL_OK when both sides are. */
genlab_status vae_refuse_sides(genlab_seq *s, const vae_io *io, int64_t m);

/* VAE_ARCH_COMPONENT(id, name, arch_def, doc_line, param_table) — the arch
 * component gl_vae_<id> (vae.h), called name, for the vae_arch arch_def:
 * build and native_spec bound to it, the shared destroy and forward. */
#define VAE_ARCH_COMPONENT(id, name_, arch_def, doc_line, param_table)                  \
    static genlab_status id##_build(const genlab_host *host, const genlab_config *cfg,   \
                                    const genlab_arch_spec *spec, genlab_params *params, \
                                    void **state)                                        \
    {                                                                                    \
        return vae_arch_build(&(arch_def), host, cfg, spec, params, state);             \
    }                                                                                    \
    static genlab_status id##_native_spec(const genlab_config *cfg, genlab_arch_role role, \
                                          genlab_arch_spec *spec)                        \
    {                                                                                    \
        (void)cfg;                                                                       \
        return vae_native_spec(&(arch_def).native, role, spec);                         \
    }                                                                                    \
    static const genlab_arch_i id##_iface = {                                            \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_arch_i),      \
        .build = id##_build, .destroy = vae_arch_destroy,                                \
        .forward = vae_arch_forward, .native_spec = id##_native_spec,                    \
    };                                                                                   \
    const genlab_component gl_vae_##id = {                                               \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),   \
        .kind = GL_KIND_ARCH, .name = (name_), .doc = (doc_line),                       \
        GL_PARAMS(param_table), .iface = &id##_iface,                                    \
    }

#endif /* GENLAB_PLUGIN_VAE_ARCH_H */
