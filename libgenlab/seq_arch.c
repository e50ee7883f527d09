/* SPDX-License-Identifier: MIT
 *
 * seq_arch.c — arch components between a vector and an image, and the
 * sequential ones among them (seq_arch.h): the specs of the four image
 * roles, the checks every build of such an arch starts with, and the
 * arch_i callbacks of an arch described as a genlab_seq. The GAN and VAE
 * plugins' architectures are built this way.
 *
 * Not here: the layers and sequential networks (nn_seq.c), the words
 * every refusal starts with (plugin_util.c).
 *
 * Sections: specs, sequential archs.
 */
#include <stdlib.h>

#include "genlab/seq_arch.h"

/* ---- specs ---- */

static bool within(int64_t v, int64_t hi)
{
    return v >= 1 && v <= hi;
}

genlab_status genlab_arch_image_spec(genlab_arch_role role, const genlab_arch_sizes *n,
                                     genlab_arch_spec *spec)
{
    genlab_arch_spec s = {.role = role};
    switch (role) {
    case GL_ROLE_GENERATOR:
    case GL_ROLE_DECODER:
        s.in_ndim = 1;
        s.in_shape[0] = n->z;
        s.out_ndim = 3;
        s.out_shape[0] = n->c, s.out_shape[1] = n->h, s.out_shape[2] = n->w;
        break;
    case GL_ROLE_DISCRIMINATOR:
    case GL_ROLE_ENCODER:
        s.in_ndim = 3;
        s.in_shape[0] = n->c, s.in_shape[1] = n->h, s.in_shape[2] = n->w;
        s.out_ndim = 1;
        s.out_shape[0] = role == GL_ROLE_ENCODER ? 2 * n->z : 1;
        break;
    default:
        return GL_ERR_UNSUPPORTED;
    }
    *spec = s;
    return GL_OK;
}

genlab_status genlab_arch_native_spec(const genlab_arch_role roles[2], const genlab_arch_sizes *n,
                                      genlab_arch_role role, genlab_arch_spec *spec)
{
    if (role != roles[0] && role != roles[1])
        return GL_ERR_UNSUPPORTED;
    return genlab_arch_image_spec(role, n, spec);
}

/* the refusal of a spec with the role's ranks or output wrong, or "" */
static const char *shape_refusal(const genlab_arch_spec *spec)
{
    switch (spec->role) {
    case GL_ROLE_GENERATOR:
    case GL_ROLE_DECODER:
        return spec->in_ndim == 1 && spec->out_ndim == 3 ? "" : "maps (z) to (C, H, W)";
    case GL_ROLE_DISCRIMINATOR:
        return spec->in_ndim == 3 && spec->out_ndim == 1 && spec->out_shape[0] == 1
                   ? "" : "maps (C, H, W) to (1)";
    default:   /* the encoder: the only other role of a pair */
        return spec->in_ndim == 3 && spec->out_ndim == 1 && spec->out_shape[0] % 2 == 0
                   ? "" : "maps (C, H, W) to (2 z): a mean and a log-variance for each latent";
    }
}

genlab_status genlab_arch_io_read(genlab_ctx *ctx, const char *arch,
                                  const genlab_arch_role roles[2], const genlab_arch_spec *spec,
                                  const genlab_params *params, genlab_arch_io *io)
{
    if (!params)   /* the layers would fail without a word on ctx */
        return genlab_errorf(ctx, GL_ERR_INVALID, "arch %s: no parameter block to build into",
                             arch);
    if (spec->role != roles[0] && spec->role != roles[1])
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec, "it builds %ss and %ss "
                                  "only", genlab_arch_role_name(roles[0]),
                                  genlab_arch_role_name(roles[1]));
    if (spec->n_classes > 0)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec, "it is unconditional "
                                  "(the spec asks for %d classes)", (int)spec->n_classes);
    if (spec->timestep)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec,
                                  "it takes no diffusion times");
    const char *why = shape_refusal(spec);
    if (why[0]) {
        const char *role = genlab_arch_role_name(spec->role);
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec, "%s %s %s",
                                  role[0] == 'e' ? "an" : "a", role, why);
    }
    bool image_in = spec->in_ndim == 3;
    const int64_t *img = image_in ? spec->in_shape : spec->out_shape;
    int64_t z = !image_in ? spec->in_shape[0]
              : spec->role == GL_ROLE_ENCODER ? spec->out_shape[0] / 2 : 0;
    if ((spec->role != GL_ROLE_DISCRIMINATOR && !within(z, GL_ARCH_MAX_LATENT)) ||
        !within(img[0], GL_ARCH_MAX_CHANNELS) || !within(img[1], GL_ARCH_MAX_SIDE) ||
        !within(img[2], GL_ARCH_MAX_SIDE))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec, "sizes must be positive, the "
                                  "latent at most %d, channels at most %d and sides at most %d",
                                  GL_ARCH_MAX_LATENT, GL_ARCH_MAX_CHANNELS, GL_ARCH_MAX_SIDE);
    *io = (genlab_arch_io){.image_in = image_in, .z = z, .c = img[0], .h = img[1], .w = img[2]};
    return GL_OK;
}

/* ---- sequential archs ---- */

typedef struct seq_net {
    const genlab_seq_arch *arch;
    genlab_arch_spec       spec;   /* a copy: the trainer's may not outlive build */
    genlab_seq             s;
} seq_net;

/* output_refused — refuse (on ctx) a network s whose output is not what
 * spec asks for io; GL_OK when it is */
static genlab_status output_refused(genlab_ctx *ctx, const char *arch,
                                    const genlab_arch_spec *spec, const genlab_arch_io *io,
                                    const genlab_seq *s)
{
    long long c = s->c, h = s->h ? s->h : 1, w = s->h ? s->w : 1;
    if (!io->image_in && (s->c != io->c || s->h != io->h || s->w != io->w))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec, "it makes (%lld, %lld, %lld) "
                                  "images", c, (long long)s->h, (long long)s->w);
    /* a discriminator may end in a (1, 1, 1) map: forward views it as (1) */
    if (spec->role == GL_ROLE_DISCRIMINATOR && c * h * w != 1)
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec, "it scores such an image with "
                                  "(%lld, %lld, %lld) numbers, not one", c, h, w);
    if (spec->role == GL_ROLE_ENCODER && (s->h != 0 || s->c != 2 * io->z))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec, "it makes %lld numbers",
                                  c * h * w);
    return GL_OK;
}

genlab_status genlab_seq_arch_build(const genlab_seq_arch *a, const genlab_host *host,
                                    const genlab_config *cfg, const genlab_arch_spec *spec,
                                    genlab_params *params, void **state)
{
    genlab_ctx *ctx = host->ctx;
    genlab_arch_io io;
    genlab_status st = genlab_arch_io_read(ctx, a->name, a->roles, spec, params, &io);
    if (st != GL_OK)
        return st;
    seq_net *net = calloc(1, sizeof *net);
    if (!net)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "arch %s: out of memory", a->name);
    net->arch = a;
    net->spec = *spec;
    genlab_seq *s = &net->s;
    char who[sizeof s->who];
    genlab_arch_refusal(who, sizeof who, a->name, spec);
    st = genlab_seq_init(ctx, s, params, who, io.image_in ? io.c : io.z,
                         io.image_in ? io.h : 0, io.image_in ? io.w : 0);
    if (st == GL_OK)
        st = a->describe(s, cfg, &io);
    if (st == GL_OK)
        st = output_refused(ctx, a->name, spec, &io, s);
    if (st != GL_OK) {
        free(net);
        return st;
    }
    *state = net;
    return GL_OK;
}

void genlab_seq_arch_destroy(void *state)
{
    free(state);
}

genlab_tensor *genlab_seq_arch_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                       genlab_tensor *t, genlab_tensor *y, bool training)
{
    (void)t, (void)y;   /* unconditional: the spec asked for neither */
    seq_net *net = state;
    if (!genlab_arch_input_ok(ctx, net->arch->name, &net->spec, x))
        return NULL;
    return genlab_seq_forward(ctx, &net->s, x, training, net->spec.out_ndim,
                              net->spec.out_shape);
}
