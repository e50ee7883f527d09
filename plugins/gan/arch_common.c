/* SPDX-License-Identifier: MIT
 *
 * arch_common.c — the pieces the GAN architectures share (arch.h): reading
 * GAN specs, native specs, and the arch_i callbacks of every arch written
 * as a sequential network (genlab_seq: the DCGANs and the MLP).
 *
 * Not here: any particular architecture; the ResNet (arch_resnet.c) uses
 * only the spec helpers. The messages of refusals are libgenlab's
 * (genlab_arch_refuse, genlab_arch_input_ok).
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

genlab_status gan_build_check(genlab_ctx *ctx, const char *arch, const genlab_arch_spec *spec,
                              const genlab_params *params, gan_io *io)
{
    if (!params)   /* the layers would fail without a word on ctx */
        return genlab_errorf(ctx, GL_ERR_INVALID, "arch %s: no parameter block to build into",
                             arch);
    if (spec->role != GL_ROLE_GENERATOR && spec->role != GL_ROLE_DISCRIMINATOR)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec,
                                  "it builds generators and discriminators only");
    if (spec->n_classes > 0)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec, "it is unconditional "
                                  "(the spec asks for %d classes)", (int)spec->n_classes);
    if (spec->timestep)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec,
                                  "it takes no diffusion times");
    bool gen = spec->role == GL_ROLE_GENERATOR;
    const int64_t *img = gen ? spec->out_shape : spec->in_shape;
    if (gen && (spec->in_ndim != 1 || spec->out_ndim != 3))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec,
                                  "a generator maps (z) to (C, H, W)");
    if (!gen && (spec->in_ndim != 3 || spec->out_ndim != 1 || spec->out_shape[0] != 1))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec,
                                  "a discriminator maps (C, H, W) to (1)");
    if ((gen && !within(spec->in_shape[0], GAN_MAX_LATENT)) ||
        !within(img[0], GAN_MAX_CHANNELS) || !within(img[1], GAN_MAX_SIDE) ||
        !within(img[2], GAN_MAX_SIDE))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, arch, spec, "sizes must be positive, the "
                                  "latent at most %d, channels at most %d and sides at most %d",
                                  GAN_MAX_LATENT, GAN_MAX_CHANNELS, GAN_MAX_SIDE);
    *io = (gan_io){.generator = gen, .z = gen ? spec->in_shape[0] : 0,
                   .c = img[0], .h = img[1], .w = img[2]};
    return GL_OK;
}

genlab_status gan_native_spec(const gan_native *n, genlab_arch_role role,
                              genlab_arch_spec *spec)
{
    genlab_arch_spec s = {.role = role};
    if (role == GL_ROLE_GENERATOR) {
        s.in_ndim = 1;
        s.in_shape[0] = n->z;
        s.out_ndim = 3;
        s.out_shape[0] = n->c, s.out_shape[1] = n->h, s.out_shape[2] = n->w;
    } else if (role == GL_ROLE_DISCRIMINATOR) {
        s.in_ndim = 3;
        s.in_shape[0] = n->c, s.in_shape[1] = n->h, s.in_shape[2] = n->w;
        s.out_ndim = 1;
        s.out_shape[0] = 1;
    } else {
        return GL_ERR_UNSUPPORTED;
    }
    *spec = s;
    return GL_OK;
}

/* ---- sequential archs ---- */

typedef struct stack_net {
    const gan_stack_arch *arch;
    genlab_arch_spec      spec;   /* a copy: the trainer's may not outlive build */
    genlab_seq            s;
} stack_net;

/* the DCGAN paper's initialisation (pytorch/examples' weights_init): every
 * conv weight N(0, 0.02), every BatchNorm weight N(1, 0.02), biases as they
 * are. Linear layers keep PyTorch's default, as there. */
static genlab_status dcgan_init(genlab_seq *s)
{
    genlab_status st = genlab_params_set_init(s->p, "*conv*.weight",
                                              genlab_init_normal(0.0f, 0.02f));
    if (st == GL_OK && s->has_norm)
        st = genlab_params_set_init(s->p, "*bn*.weight", genlab_init_normal(1.0f, 0.02f));
    return st;
}

genlab_status gan_stack_build(const gan_stack_arch *a, const genlab_host *host,
                              const genlab_config *cfg, const genlab_arch_spec *spec,
                              genlab_params *params, void **state)
{
    genlab_ctx *ctx = host->ctx;
    gan_io io;
    genlab_status st = gan_build_check(ctx, a->name, spec, params, &io);
    if (st != GL_OK)
        return st;
    stack_net *net = calloc(1, sizeof *net);
    if (!net)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "arch %s: out of memory", a->name);
    net->arch = a;
    net->spec = *spec;
    genlab_seq *s = &net->s;
    char who[sizeof s->who];
    genlab_arch_refusal(who, sizeof who, a->name, spec);
    st = genlab_seq_init(ctx, s, params, who, io.generator ? io.z : io.c,
                         io.generator ? 0 : io.h, io.generator ? 0 : io.w);
    s->sn = genlab_config_bool(cfg, "spectral_norm");
    if (st == GL_OK)
        st = a->describe(s, cfg, &io);
    /* the network must make what the spec asks for */
    int64_t want = io.generator ? io.c * io.h * io.w : 1;
    if (st == GL_OK && (io.generator ? s->c != io.c || s->h != io.h || s->w != io.w
                                     : s->c * (s->h ? s->h * s->w : 1) != want)) {
        if (io.generator)
            st = genlab_arch_refuse(ctx, GL_ERR_SHAPE, a->name, spec, "it makes (%lld, %lld, "
                                    "%lld) images", (long long)s->c, (long long)s->h,
                                    (long long)s->w);
        else
            st = genlab_arch_refuse(ctx, GL_ERR_SHAPE, a->name, spec, "it scores such an image "
                                    "with (%lld, %lld, %lld) numbers, not one", (long long)s->c,
                                    (long long)(s->h ? s->h : 1), (long long)(s->h ? s->w : 1));
    }
    if (st == GL_OK && a->dcgan_init)
        st = dcgan_init(s);
    if (st != GL_OK) {
        free(net);
        return st;
    }
    *state = net;
    return GL_OK;
}

void gan_stack_destroy(void *state)
{
    free(state);
}

genlab_tensor *gan_stack_arch_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                      genlab_tensor *t, genlab_tensor *y, bool training)
{
    (void)t, (void)y;   /* unconditional: the spec asked for neither */
    stack_net *net = state;
    if (!genlab_arch_input_ok(ctx, net->arch->name, &net->spec, x))
        return NULL;
    return genlab_seq_forward(ctx, &net->s, x, training, net->spec.out_ndim,
                              net->spec.out_shape);
}
