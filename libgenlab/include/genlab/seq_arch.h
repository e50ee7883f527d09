/* SPDX-License-Identifier: MIT
 *
 * seq_arch.h — arch components of image models between a vector and an
 * image, and those among them written as sequential networks (genlab_seq,
 * nn.h): the spec checks, native specs and arch_i callbacks that the GAN
 * and VAE plugins' architectures share, so that each family describes only
 * its layers. The networks map, per plugin.h's roles:
 *
 *   generator, decoder   (z) -> (C, H, W)
 *   discriminator        (C, H, W) -> (1)     one score (plugin.h's k is 1 here)
 *   encoder              (C, H, W) -> (2 z)   a mean and a log-variance per latent
 *
 * A family builds two of these roles (the GAN plugin a generator and a
 * discriminator, the VAE plugin an encoder and a decoder) and names them,
 * in that order, in a role pair: its refusals say "it builds generators
 * and discriminators only".
 *
 * Not here: the layers and genlab_seq (nn.h), how every refusal starts
 * (genlab_arch_refuse, genlab_arch_input_ok: plugin.h), the diffusion
 * denoiser's specs. An arch that is not sequential (the GAN's resnet32)
 * uses the spec helpers alone.
 *
 * Thread-safety: as genlab_seq; the spec helpers are pure.
 *
 * Sections: specs, sequential archs.
 */
#ifndef GENLAB_SEQ_ARCH_H
#define GENLAB_SEQ_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "nn.h"
#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- specs ---- */

/* The largest image side, channel count and latent size these helpers
 * accept: far beyond any use, small enough that every layer size fits an
 * int. */
#define GL_ARCH_MAX_SIDE     1024
#define GL_ARCH_MAX_CHANNELS   64
#define GL_ARCH_MAX_LATENT  65536

/* A latent size and an image shape: the sizes a spec is made of, e.g.
 * those an arch was designed for (its reference model's). */
typedef struct genlab_arch_sizes {
    int64_t z, c, h, w;
} genlab_arch_sizes;

/* What a network between a vector and an image maps, read from a spec. */
typedef struct genlab_arch_io {
    bool    image_in;   /* (C, H, W) -> a vector (discriminator, encoder); else (z) -> image */
    int64_t z;          /* the latent size; 0 for a discriminator */
    int64_t c, h, w;    /* the image */
} genlab_arch_io;

/* genlab_arch_image_spec — the spec of role (generator, discriminator,
 * encoder or decoder: the table above) for the sizes n, unconditional and
 * without times (OUT: *spec). What a trainer asks its networks to build
 * and the body of a native_spec. Returns GL_OK, or GL_ERR_UNSUPPORTED
 * (nothing written, no message) for another role. */
genlab_status genlab_arch_image_spec(genlab_arch_role role, const genlab_arch_sizes *n,
                                     genlab_arch_spec *spec);

/* genlab_arch_native_spec — the body of the native_spec of an arch of the
 * family `roles` designed for the sizes n: genlab_arch_image_spec, and
 * GL_ERR_UNSUPPORTED for a role outside the pair. */
genlab_status genlab_arch_native_spec(const genlab_arch_role roles[2], const genlab_arch_sizes *n,
                                      genlab_arch_role role, genlab_arch_spec *spec);

/* genlab_arch_io_read — the first checks of every build of a family that
 * builds the two roles of `roles`: a parameter block to build into, one of
 * the two roles, no classes and no times, the role's ranks (and an
 * encoder's even output, a discriminator's single one), and sizes within
 * the GL_ARCH_MAX_* limits; fills *io (OUT). arch names the arch in
 * messages. Returns GL_OK; GL_ERR_INVALID (no block: "arch ARCH: no
 * parameter block to build into"), or GL_ERR_UNSUPPORTED / GL_ERR_SHAPE
 * with genlab_arch_refuse's message on ctx, e.g. "...: it builds
 * generators and discriminators only", "...: a decoder maps (z) to
 * (C, H, W)". */
genlab_status genlab_arch_io_read(genlab_ctx *ctx, const char *arch,
                                  const genlab_arch_role roles[2], const genlab_arch_spec *spec,
                                  const genlab_params *params, genlab_arch_io *io);

/* ---- sequential archs ---- */

/* An arch written as a sequential network: its name, the family's role
 * pair, the sizes it was designed for, and the function adding its layers
 * to s for io, reading its own sizes from cfg. describe may refuse io with
 * an error on s->ctx starting with s->who (the spec's refusal) and returns
 * the context's status; it may also set the network's initialisation
 * (genlab_params_set_init) and s->sn before adding layers. */
typedef struct genlab_seq_arch {
    const char        *name;
    genlab_arch_role   roles[2];
    genlab_arch_sizes  native;
    genlab_status    (*describe)(genlab_seq *s, const genlab_config *cfg,
                                 const genlab_arch_io *io);
} genlab_seq_arch;

/* genlab_seq_arch_build — an arch_i build for a: genlab_arch_io_read,
 * then a genlab_seq on params taking the spec's input, described by a,
 * refused (GL_ERR_SHAPE, "...: it makes (C, H, W) images", "...: it makes
 * K numbers", "...: it scores such an image with (C, H, W) numbers, not
 * one") when its output is not the spec's. OUT: *state, freed by
 * genlab_seq_arch_destroy; nothing on failure (the error on host->ctx). */
genlab_status genlab_seq_arch_build(const genlab_seq_arch *a, const genlab_host *host,
                                    const genlab_config *cfg, const genlab_arch_spec *spec,
                                    genlab_params *params, void **state);

/* genlab_seq_arch_destroy — an arch_i destroy: frees a built state (NULL
 * is a no-op); the parameters stay the trainer's. */
void genlab_seq_arch_destroy(void *state);

/* genlab_seq_arch_forward — an arch_i forward: x checked against the spec
 * (genlab_arch_input_ok), the network run on it (genlab_seq_forward) and
 * returned in the spec's output shape. t and y are ignored (the spec asked
 * for neither). */
genlab_tensor *genlab_seq_arch_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                       genlab_tensor *t, genlab_tensor *y, bool training);

/* GL_SEQ_ARCH_COMPONENT(sym, id, name, arch_def, doc_line, param_table) —
 * defines the arch component `sym`, called name, for the genlab_seq_arch
 * arch_def: build and native_spec bound to it (static functions prefixed
 * id), the shared destroy and forward, the parameters param_table (an
 * array of genlab_param_def). */
#define GL_SEQ_ARCH_COMPONENT(sym, id, name_, arch_def, doc_line, param_table)            \
    static genlab_status id##_build(const genlab_host *host, const genlab_config *cfg,    \
                                    const genlab_arch_spec *spec, genlab_params *params,  \
                                    void **state)                                         \
    {                                                                                     \
        return genlab_seq_arch_build(&(arch_def), host, cfg, spec, params, state);        \
    }                                                                                     \
    static genlab_status id##_native_spec(const genlab_config *cfg, genlab_arch_role role, \
                                          genlab_arch_spec *spec)                         \
    {                                                                                     \
        (void)cfg;                                                                        \
        return genlab_arch_native_spec((arch_def).roles, &(arch_def).native, role, spec);  \
    }                                                                                     \
    static const genlab_arch_i id##_iface = {                                             \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_arch_i),       \
        .build = id##_build, .destroy = genlab_seq_arch_destroy,                          \
        .forward = genlab_seq_arch_forward, .native_spec = id##_native_spec,              \
    };                                                                                    \
    const genlab_component sym = {                                                        \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),    \
        .kind = GL_KIND_ARCH, .name = (name_), .doc = (doc_line),                        \
        GL_PARAMS(param_table), .iface = &id##_iface,                                     \
    }

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_SEQ_ARCH_H */
