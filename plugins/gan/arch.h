/* SPDX-License-Identifier: MIT
 *
 * arch.h — what the GAN architectures (arch_dcgan.c, arch_mlp.c,
 * arch_resnet.c) share: reading a GAN arch spec, the spec each was
 * designed for, and the arch_i callbacks of the archs written as
 * sequential networks (genlab_seq, nn.h): the DCGANs and the MLP, each
 * described in a few lines.
 *
 * Not here: the components themselves (one file per family), the ResNet
 * blocks (arch_resnet.c), the layers and sequential networks (nn.h), the
 * messages of a refused spec or input (genlab_arch_refuse and
 * genlab_arch_input_ok, plugin.h).
 *
 * Sections: specs, sequential archs.
 */
#ifndef GENLAB_PLUGIN_GAN_ARCH_H
#define GENLAB_PLUGIN_GAN_ARCH_H

#include "gan.h"

/* ---- specs ---- */

/* The largest image side, channel count and latent size the archs accept:
 * far beyond any use, small enough that every layer size fits an int. */
#define GAN_MAX_SIDE    1024
#define GAN_MAX_CHANNELS  64
#define GAN_MAX_LATENT 65536

/* The sizes one arch was designed for: its reference model's latent size
 * and image shape. */
typedef struct gan_native {
    int64_t z, c, h, w;
} gan_native;

/* What a GAN network maps, read from a spec: z (N, z) -> image (N, c, h, w)
 * for a generator, image -> (N, 1) for a discriminator. */
typedef struct gan_io {
    bool    generator;
    int64_t z;           /* latent size; 0 for a discriminator */
    int64_t c, h, w;     /* the image */
} gan_io;

/* gan_build_check — the first checks of every build: a parameter block to
 * build into, and a spec asking for a generator (z) -> (C, H, W) or a
 * discriminator (C, H, W) -> (1), unconditional, without times, with sizes
 * within the GAN_MAX_* limits; fills *io (OUT).
 * Returns GL_OK; GL_ERR_INVALID (no block), or GL_ERR_SHAPE /
 * GL_ERR_UNSUPPORTED with a message on ctx naming arch, the role and the
 * spec's shapes (genlab_arch_refuse). */
genlab_status gan_build_check(genlab_ctx *ctx, const char *arch, const genlab_arch_spec *spec,
                              const genlab_params *params, gan_io *io);

/* gan_native_spec — the generator or discriminator spec for the sizes in
 * n (OUT: *spec); GL_ERR_UNSUPPORTED for another role. The body of every
 * arch's native_spec. */
genlab_status gan_native_spec(const gan_native *n, genlab_arch_role role,
                              genlab_arch_spec *spec);

/* ---- sequential archs ---- */

/* How an arch written as a sequential network describes itself: its name,
 * native sizes, initialisation, and the function adding its layers for io
 * (reading its sizes from cfg; it may refuse io with an error on s->ctx
 * starting with s->who, the refusal of the spec). The common build refuses
 * a network whose last layer does not make the spec's output. */
typedef struct gan_stack_arch {
    const char *name;
    gan_native  native;
    bool        dcgan_init;   /* conv weights N(0, 0.02), BatchNorm weights N(1, 0.02) */
    genlab_status (*describe)(genlab_seq *s, const genlab_config *cfg, const gan_io *io);
} gan_stack_arch;

/* The arch_i callbacks shared by every sequential arch (arch_common.c). */
genlab_status gan_stack_build(const gan_stack_arch *a, const genlab_host *host,
                              const genlab_config *cfg, const genlab_arch_spec *spec,
                              genlab_params *params, void **state);
void           gan_stack_destroy(void *state);
genlab_tensor *gan_stack_arch_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                      genlab_tensor *t, genlab_tensor *y, bool training);

/* GAN_STACK_COMPONENT(id, arch_def, doc_line, param_table) — the arch
 * component gl_gan_<id> (gan.h), named "<id>", for the gan_stack_arch
 * arch_def: build and native_spec bound to it, the shared destroy and
 * forward. */
#define GAN_STACK_COMPONENT(id, arch_def, doc_line, param_table)                        \
    static genlab_status id##_build(const genlab_host *host, const genlab_config *cfg,   \
                                    const genlab_arch_spec *spec, genlab_params *params, \
                                    void **state)                                        \
    {                                                                                    \
        return gan_stack_build(&(arch_def), host, cfg, spec, params, state);            \
    }                                                                                    \
    static genlab_status id##_native_spec(const genlab_config *cfg, genlab_arch_role role, \
                                          genlab_arch_spec *spec)                        \
    {                                                                                    \
        (void)cfg;                                                                       \
        return gan_native_spec(&(arch_def).native, role, spec);                         \
    }                                                                                    \
    static const genlab_arch_i id##_iface = {                                            \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_arch_i),      \
        .build = id##_build, .destroy = gan_stack_destroy,                               \
        .forward = gan_stack_arch_forward, .native_spec = id##_native_spec,              \
    };                                                                                   \
    const genlab_component gl_gan_##id = {                                               \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),   \
        .kind = GL_KIND_ARCH, .name = #id, .doc = (doc_line),                           \
        GL_PARAMS(param_table), .iface = &id##_iface,                                    \
    }

#endif /* GENLAB_PLUGIN_GAN_ARCH_H */
