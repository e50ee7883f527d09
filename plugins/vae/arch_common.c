/* SPDX-License-Identifier: MIT
 *
 * arch_common.c — the pieces the VAE architectures share (arch.h): reading
 * and checking encoder and decoder specs, native specs, and the arch_i
 * callbacks of every VAE arch (a sequential network, genlab_seq).
 *
 * Not here: any particular architecture; the wording of refusals
 * (genlab_arch_refuse, plugin.h).
 *
 * Sections: specs, sequential archs.
 */
#include <stdlib.h>

#include "arch.h"

/* ---- specs ---- */

static bool within(int64_t v, int64_t hi)
{
    return v >= 1 && v <= hi;
}

/* the first checks of every build: a block to build into and a spec this
 * family builds; fills *io */
static genlab_status build_check(genlab_ctx *ctx, const char *arch, const genlab_arch_spec *spec,
                                 const genlab_params *params, vae_io *io)
{
    if (!params)   /* the layers would fail without a word on ctx */
        return genlab_errorf(ctx, GL_ERR_INVALID, "arch %s: no parameter block to build into",
                             arch);
    if (spec->role != GL_ROLE_ENCODER && spec->role != GL_ROLE_DECODER)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec,
                                  "it builds encoders and decoders only");
    if (spec->n_classes > 0)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec, "it is unconditional "
                                  "(the spec asks for %d classes)", (int)spec->n_classes);
    if (spec->timestep)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec,
                                  "it takes no diffusion times");
    bool enc = spec->role == GL_ROLE_ENCODER;
    const int64_t *img = enc ? spec->in_shape : spec->out_shape;
    if (enc && (spec->in_ndim != 3 || spec->out_ndim != 1 || spec->out_shape[0] % 2 != 0))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec, "an encoder maps (C, H, W) "
                                  "to (2 z): a mean and a log-variance for each latent");
    if (!enc && (spec->in_ndim != 1 || spec->out_ndim != 3))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec,
                                  "a decoder maps (z) to (C, H, W)");
    int64_t z = enc ? spec->out_shape[0] / 2 : spec->in_shape[0];
    if (!within(z, VAE_MAX_LATENT) || !within(img[0], VAE_MAX_CHANNELS) ||
        !within(img[1], VAE_MAX_SIDE) || !within(img[2], VAE_MAX_SIDE))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec, "sizes must be positive, the "
                                  "latent at most %d, channels at most %d and sides at most %d",
                                  VAE_MAX_LATENT, VAE_MAX_CHANNELS, VAE_MAX_SIDE);
    *io = (vae_io){.encoder = enc, .z = z, .c = img[0], .h = img[1], .w = img[2]};
    return GL_OK;
}

genlab_status vae_native_spec(const vae_native *n, genlab_arch_role role,
                              genlab_arch_spec *spec)
{
    genlab_arch_spec s = {.role = role};
    if (role == GL_ROLE_ENCODER) {
        s.in_ndim = 3;
        s.in_shape[0] = n->c, s.in_shape[1] = n->h, s.in_shape[2] = n->w;
        s.out_ndim = 1;
        s.out_shape[0] = 2 * n->z;
    } else if (role == GL_ROLE_DECODER) {
        s.in_ndim = 1;
        s.in_shape[0] = n->z;
        s.out_ndim = 3;
        s.out_shape[0] = n->c, s.out_shape[1] = n->h, s.out_shape[2] = n->w;
    } else {
        return GL_ERR_UNSUPPORTED;
    }
    *spec = s;
    return GL_OK;
}

genlab_status vae_refuse_sides(genlab_seq *s, const vae_io *io, int64_t m)
{
    if (io->h % m == 0 && io->w % m == 0)
        return GL_OK;
    return genlab_errorf(s->ctx, GL_ERR_SHAPE, "%s: it takes images with sides that are "
                         "multiples of %lld", s->who, (long long)m);
}

/* ---- sequential archs ---- */

typedef struct vae_net {
    const vae_arch  *arch;
    genlab_arch_spec spec;   /* a copy: the trainer's may not outlive build */
    genlab_seq       s;
} vae_net;

genlab_status vae_arch_build(const vae_arch *a, const genlab_host *host,
                             const genlab_config *cfg, const genlab_arch_spec *spec,
                             genlab_params *params, void **state)
{
    genlab_ctx *ctx = host->ctx;
    vae_io io;
    genlab_status st = build_check(ctx, a->name, spec, params, &io);
    if (st != GL_OK)
        return st;
    vae_net *net = calloc(1, sizeof *net);
    if (!net)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "arch %s: out of memory", a->name);
    net->arch = a;
    net->spec = *spec;
    genlab_seq *s = &net->s;
    char who[sizeof s->who];
    genlab_arch_refusal(who, sizeof who, a->name, spec);
    st = genlab_seq_init(ctx, s, params, who, io.encoder ? io.c : io.z, io.encoder ? io.h : 0,
                         io.encoder ? io.w : 0);
    if (st == GL_OK)
        st = a->describe(s, cfg, &io);
    /* the network must make what the spec asks for */
    if (st == GL_OK && io.encoder && (s->h != 0 || s->c != 2 * io.z))
        st = genlab_arch_refuse(ctx, GL_ERR_SHAPE, a->name, spec, "it makes %lld numbers",
                                (long long)(s->c * (s->h ? s->h * s->w : 1)));
    if (st == GL_OK && !io.encoder && (s->c != io.c || s->h != io.h || s->w != io.w))
        st = genlab_arch_refuse(ctx, GL_ERR_SHAPE, a->name, spec, "it makes (%lld, %lld, %lld) "
                                "images", (long long)s->c, (long long)s->h, (long long)s->w);
    if (st != GL_OK) {
        free(net);
        return st;
    }
    *state = net;
    return GL_OK;
}

void vae_arch_destroy(void *state)
{
    free(state);
}

genlab_tensor *vae_arch_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                genlab_tensor *t, genlab_tensor *y, bool training)
{
    (void)t, (void)y;   /* unconditional: the spec asked for neither */
    vae_net *net = state;
    if (!genlab_arch_input_ok(ctx, net->arch->name, &net->spec, x))
        return NULL;
    return genlab_seq_forward(ctx, &net->s, x, training, net->spec.out_ndim,
                              net->spec.out_shape);
}
