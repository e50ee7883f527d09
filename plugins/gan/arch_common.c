/* SPDX-License-Identifier: MIT
 *
 * arch_common.c — the pieces the GAN architectures share (arch.h): reading
 * and refusing specs with one form of message, native specs, the forward
 * input check, and the stack — a sequential network described layer by
 * layer — with the arch_i callbacks of every arch built from one (the
 * DCGANs and the MLP).
 *
 * Not here: any particular architecture; the ResNet (arch_resnet.c) uses
 * only the spec helpers.
 *
 * Sections: specs, stacks, stack archs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"

/* ---- specs ---- */

/* "(3, 32, 32)" for ndim sizes; "(?)" for an ndim out of range */
static const char *dims_str(char *buf, size_t size, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > GL_MAX_DIMS) {
        snprintf(buf, size, "(?)");
        return buf;
    }
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "",
                                 (long long)shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, ")");
    return buf;
}

static const char *role_name(genlab_arch_role role)
{
    static const char *const names[] = {
        [GL_ROLE_GENERATOR] = "generator", [GL_ROLE_DISCRIMINATOR] = "discriminator",
        [GL_ROLE_ENCODER] = "encoder", [GL_ROLE_DECODER] = "decoder",
        [GL_ROLE_DENOISER] = "denoiser",
    };
    return (unsigned)role < sizeof names / sizeof names[0] ? names[role] : "unknown role";
}

genlab_status gan_refuse(genlab_ctx *ctx, genlab_status status, const char *arch,
                         const genlab_arch_spec *spec, const char *fmt, ...)
{
    char in[128], out[128], why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    const char *role = role_name(spec->role);
    return genlab_errorf(ctx, status, "arch %s: cannot build %s %s %s -> %s: %s", arch,
                         strchr("aeiou", role[0]) ? "an" : "a", role,
                         dims_str(in, sizeof in, spec->in_ndim, spec->in_shape),
                         dims_str(out, sizeof out, spec->out_ndim, spec->out_shape), why);
}

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
        return gan_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec,
                          "it builds generators and discriminators only");
    if (spec->n_classes > 0)
        return gan_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec, "it is unconditional (the "
                          "spec asks for %d classes)", (int)spec->n_classes);
    if (spec->timestep)
        return gan_refuse(ctx, GL_ERR_UNSUPPORTED, arch, spec, "it takes no diffusion times");
    bool gen = spec->role == GL_ROLE_GENERATOR;
    const int64_t *img = gen ? spec->out_shape : spec->in_shape;
    if (gen && (spec->in_ndim != 1 || spec->out_ndim != 3))
        return gan_refuse(ctx, GL_ERR_SHAPE, arch, spec, "a generator maps (z) to (C, H, W)");
    if (!gen && (spec->in_ndim != 3 || spec->out_ndim != 1 || spec->out_shape[0] != 1))
        return gan_refuse(ctx, GL_ERR_SHAPE, arch, spec,
                          "a discriminator maps (C, H, W) to (1)");
    if ((gen && !within(spec->in_shape[0], GAN_MAX_LATENT)) ||
        !within(img[0], GAN_MAX_CHANNELS) || !within(img[1], GAN_MAX_SIDE) ||
        !within(img[2], GAN_MAX_SIDE))
        return gan_refuse(ctx, GL_ERR_SHAPE, arch, spec, "sizes must be positive, the latent "
                          "at most %d, channels at most %d and sides at most %d",
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

bool gan_input_ok(genlab_ctx *ctx, const char *arch, const genlab_arch_spec *spec,
                  const genlab_tensor *x)
{
    if (!x || genlab_ctx_status(ctx) != GL_OK)
        return false;
    int nd = genlab_tensor_ndim(x);
    bool ok = nd == 1 + spec->in_ndim && genlab_tensor_dim(x, 0) >= 1;
    for (int i = 0; ok && i < spec->in_ndim; i++)
        ok = genlab_tensor_dim(x, i + 1) == spec->in_shape[i];
    if (!ok) {
        char have[128], want[128];
        genlab_errorf(ctx, GL_ERR_SHAPE, "arch %s %s: x %s, want (N, %s", arch,
                      role_name(spec->role), genlab_tensor_shape_str(x, have, sizeof have),
                      dims_str(want, sizeof want, spec->in_ndim, spec->in_shape) + 1);
    }
    return ok;
}

/* ---- stacks ---- */

/* PyTorch's output side of a conv (transpose: of a transposed conv) */
static int64_t out_side(gan_op op, int64_t in, const gan_layer_def *d)
{
    return op == GAN_DECONV ? (in - 1) * d->stride - 2 * d->pad + d->k
                            : (in + 2 * d->pad - d->k) / d->stride + 1;
}

genlab_status gan_stack_add(gan_stack *s, const gan_layer_def *d)
{
    genlab_status st = genlab_ctx_status(s->ctx);
    if (st != GL_OK)
        return st;
    if (s->n == GAN_STACK_MAX)   /* a bug in an arch's description */
        return genlab_errorf(s->ctx, GL_ERR_INVALID, "arch %s: more than %d layers", s->arch,
                             GAN_STACK_MAX);
    gan_layer *l = &s->l[s->n];
    *l = (gan_layer){.op = d->op, .act = d->act, .dropout = d->dropout,
                     .norm_after_act = d->norm_after_act,
                     .in = {s->c, s->h ? s->h : 1, s->h ? s->w : 1}};
    int64_t flat = s->c * (s->h ? s->h * s->w : 1);
    int64_t h = 0, w = 0;
    if (d->op != GAN_LINEAR) {
        /* a flat input (a latent) enters a conv as (c, 1, 1) */
        h = out_side(d->op, l->in[1], d);
        w = out_side(d->op, l->in[2], d);
        if (h < 1 || w < 1)
            return gan_refuse(s->ctx, GL_ERR_SHAPE, s->arch, s->spec, "the image is too small: "
                              "%s (kernel %d, stride %d, padding %d) gets a %lldx%lld map",
                              d->name, d->k, d->stride, d->pad, (long long)l->in[1],
                              (long long)l->in[2]);
    }
    genlab_conv_opts o = {.stride = {d->stride, d->stride}, .padding = {d->pad, d->pad}};
    switch (d->op) {
    case GAN_LINEAR:
        st = genlab_linear_layer_init(s->p, &l->fc, d->name, (int)flat, (int)d->cout, d->bias);
        if (st == GL_OK && s->sn)
            st = genlab_linear_layer_spectral_norm(&l->fc);
        break;
    case GAN_CONV:
        st = genlab_conv2d_layer_init(s->p, &l->conv, d->name, (int)s->c, (int)d->cout, d->k,
                                      d->k, &o, d->bias);
        if (st == GL_OK && s->sn)
            st = genlab_conv2d_layer_spectral_norm(&l->conv);
        break;
    case GAN_DECONV:
        st = genlab_conv_transpose2d_layer_init(s->p, &l->deconv, d->name, (int)s->c,
                                                (int)d->cout, d->k, d->k, &o, d->bias);
        if (st == GL_OK && s->sn)
            st = genlab_conv_transpose2d_layer_spectral_norm(&l->deconv);
        break;
    }
    if (st == GL_OK && d->norm) {
        l->has_norm = s->has_norm = true;
        st = genlab_batch_norm2d_layer_init(s->p, &l->bn, d->norm, (int)d->cout, true);
    }
    if (st != GL_OK)
        return st;
    s->n++;
    s->c = d->cout;
    s->h = h;
    s->w = w;
    return GL_OK;
}

genlab_status gan_stack_view(gan_stack *s, int64_t c, int64_t h, int64_t w)
{
    if (s->c * (s->h ? s->h * s->w : 1) != c * h * w)   /* a bug in an arch's description */
        return genlab_errorf(s->ctx, GL_ERR_INVALID, "arch %s: cannot view %lld features as "
                             "(%lld, %lld, %lld)", s->arch, (long long)s->c, (long long)c,
                             (long long)h, (long long)w);
    s->c = c;
    s->h = h;
    s->w = w;
    return GL_OK;
}

static genlab_tensor *activate(genlab_ctx *ctx, gan_act act, genlab_tensor *x)
{
    switch (act) {
    case GAN_ACT_RELU:
        return genlab_relu(ctx, x);
    case GAN_ACT_LRELU:
        return genlab_leaky_relu(ctx, x, GAN_LRELU_SLOPE);
    case GAN_ACT_TANH:
        return genlab_tanh(ctx, x);
    case GAN_ACT_NONE:
        break;
    }
    return x;
}

/* BatchNorm over the channels of (N, C, H, W) or the features of (N, C)
 * (PyTorch's BatchNorm1d): the op takes both, the layer only the first */
static genlab_tensor *normalize(genlab_ctx *ctx, genlab_batch_norm2d_layer *bn,
                                genlab_tensor *x, bool training)
{
    return genlab_batch_norm(ctx, x, bn->weight, bn->bias, bn->running_mean, bn->running_var,
                             training, bn->momentum, bn->eps);
}

genlab_tensor *gan_stack_forward(genlab_ctx *ctx, gan_stack *s, genlab_tensor *x,
                                 bool training, int out_ndim, const int64_t *out_shape)
{
    if (!x)
        return NULL;
    int64_t n = genlab_tensor_dim(x, 0);
    genlab_params_set_training(s->p, training);
    for (int i = 0; i < s->n && x; i++) {
        gan_layer *l = &s->l[i];
        if (l->op == GAN_LINEAR) {
            if (genlab_tensor_ndim(x) != 2)
                x = genlab_flatten(ctx, x, 1);
            x = genlab_linear_layer_forward(ctx, &l->fc, x);
        } else {
            if (genlab_tensor_ndim(x) != 4)
                x = genlab_reshape(ctx, x, 4, (const int64_t[]){n, l->in[0], l->in[1], l->in[2]});
            x = l->op == GAN_CONV ? genlab_conv2d_layer_forward(ctx, &l->conv, x)
                                  : genlab_conv_transpose2d_layer_forward(ctx, &l->deconv, x);
        }
        if (l->has_norm && !l->norm_after_act)
            x = normalize(ctx, &l->bn, x, training);
        x = activate(ctx, l->act, x);
        if (l->has_norm && l->norm_after_act)
            x = normalize(ctx, &l->bn, x, training);
        if (l->dropout > 0.0f)
            x = genlab_dropout(ctx, x, l->dropout, training);
    }
    int64_t shape[GL_MAX_DIMS] = {n};
    bool same = x && genlab_tensor_ndim(x) == 1 + out_ndim;
    for (int i = 0; i < out_ndim; i++) {
        shape[i + 1] = out_shape[i];
        same = same && genlab_tensor_dim(x, i + 1) == out_shape[i];
    }
    return same ? x : genlab_reshape(ctx, x, 1 + out_ndim, shape);
}

/* ---- stack archs ---- */

typedef struct stack_net {
    const gan_stack_arch *arch;
    genlab_arch_spec      spec;   /* a copy: the trainer's may not outlive build */
    gan_stack             s;
} stack_net;

/* the DCGAN paper's initialisation (pytorch/examples' weights_init): every
 * conv weight N(0, 0.02), every BatchNorm weight N(1, 0.02), biases as they
 * are. Linear layers keep PyTorch's default, as there. */
static genlab_status dcgan_init(gan_stack *s)
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
    gan_stack *s = &net->s;
    *s = (gan_stack){.ctx = ctx, .arch = a->name, .spec = &net->spec, .p = params,
                     .sn = genlab_config_bool(cfg, "spectral_norm"),
                     .c = io.generator ? io.z : io.c, .h = io.generator ? 0 : io.h,
                     .w = io.generator ? 0 : io.w};
    st = a->describe(s, cfg, &io);
    /* the network must make what the spec asks for */
    int64_t want = io.generator ? io.c * io.h * io.w : 1;
    if (st == GL_OK && (io.generator ? s->c != io.c || s->h != io.h || s->w != io.w
                                     : s->c * (s->h ? s->h * s->w : 1) != want)) {
        if (io.generator)
            st = gan_refuse(ctx, GL_ERR_SHAPE, a->name, spec, "it makes (%lld, %lld, %lld) "
                            "images", (long long)s->c, (long long)s->h, (long long)s->w);
        else
            st = gan_refuse(ctx, GL_ERR_SHAPE, a->name, spec, "it scores such an image with "
                            "(%lld, %lld, %lld) numbers, not one", (long long)s->c,
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
    if (!gan_input_ok(ctx, net->arch->name, &net->spec, x))
        return NULL;
    return gan_stack_forward(ctx, &net->s, x, training, net->spec.out_ndim,
                             net->spec.out_shape);
}
