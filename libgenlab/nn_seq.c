/* SPDX-License-Identifier: MIT
 *
 * nn_seq.c — sequential networks (nn.h): a chain of Linear, Conv2d and
 * ConvTranspose2d layers, each with an optional BatchNorm, activation and
 * dropout, described layer by layer and run as one forward. The GAN and
 * VAE architectures of the plugins are written with it.
 *
 * Not here: the layers themselves (nn_layers.c), any particular network.
 *
 * Sections: building, running.
 */
#include <stdio.h>
#include <string.h>

#include "genlab/nn.h"

/* ---- building ---- */

genlab_status genlab_seq_init(genlab_ctx *ctx, genlab_seq *s, genlab_params *p, const char *who,
                              int64_t c, int64_t h, int64_t w)
{
    if (!s || !p)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_seq_init: NULL %s",
                             !s ? "network" : "parameter block");
    if (c < 1 || h < 0 || w < 0 || (h == 0) != (w == 0))
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_seq_init: input (%lld, %lld, %lld): "
                             "sizes must be positive (h = w = 0 for features)", (long long)c,
                             (long long)h, (long long)w);
    *s = (genlab_seq){.ctx = ctx, .p = p, .c = c, .h = h, .w = w};
    snprintf(s->who, sizeof s->who, "%s", who ? who : "genlab_seq");
    return GL_OK;
}

/* PyTorch's output side of a conv (transposed conv) of kernel k */
static int64_t out_side(const genlab_seq_def *d, int64_t in)
{
    return d->op == GL_SEQ_DECONV ? (in - 1) * d->stride - 2 * d->pad + d->k + d->out_pad
                                  : (in + 2 * d->pad - d->k) / d->stride + 1;
}

/* the layer itself (without its BatchNorm) into l */
static genlab_status add_op(genlab_seq *s, genlab_seq_layer *l, const genlab_seq_def *d,
                            int64_t flat)
{
    genlab_status st = GL_OK;
    genlab_conv_opts o = {.stride = {d->stride, d->stride}, .padding = {d->pad, d->pad},
                          .output_padding = {d->out_pad, d->out_pad}};
    switch (d->op) {
    case GL_SEQ_LINEAR:
        st = genlab_linear_layer_init(s->p, &l->fc, d->name, (int)flat, (int)d->cout, d->bias);
        if (st == GL_OK && s->sn)
            st = genlab_linear_layer_spectral_norm(&l->fc);
        break;
    case GL_SEQ_CONV:
        st = genlab_conv2d_layer_init(s->p, &l->conv, d->name, (int)s->c, (int)d->cout, d->k,
                                      d->k, &o, d->bias);
        if (st == GL_OK && s->sn)
            st = genlab_conv2d_layer_spectral_norm(&l->conv);
        break;
    case GL_SEQ_DECONV:
        st = genlab_conv_transpose2d_layer_init(s->p, &l->deconv, d->name, (int)s->c,
                                                (int)d->cout, d->k, d->k, &o, d->bias);
        if (st == GL_OK && s->sn)
            st = genlab_conv_transpose2d_layer_spectral_norm(&l->deconv);
        break;
    default:
        st = genlab_errorf(s->ctx, GL_ERR_INVALID, "%s: layer %s: unknown op %d", s->who,
                           d->name ? d->name : "(null)", (int)d->op);
    }
    return st;
}

genlab_status genlab_seq_add(genlab_seq *s, const genlab_seq_def *d)
{
    genlab_status st = genlab_ctx_status(s->ctx);
    if (st != GL_OK)
        return st;
    if (s->n == GL_SEQ_MAX)   /* a bug in a network's description */
        return genlab_errorf(s->ctx, GL_ERR_INVALID, "%s: more than %d layers", s->who,
                             GL_SEQ_MAX);
    genlab_seq_layer *l = &s->l[s->n];
    *l = (genlab_seq_layer){.op = d->op, .act = d->act, .dropout = d->dropout,
                            .slope = d->slope > 0.0f ? d->slope : GL_SEQ_LRELU_SLOPE,
                            .norm_after_act = d->norm_after_act,
                            .in = {s->c, s->h ? s->h : 1, s->h ? s->w : 1}};
    int64_t flat = s->c * (s->h ? s->h * s->w : 1);
    int64_t h = 0, w = 0;
    if (d->op != GL_SEQ_LINEAR) {
        /* a flat input (a latent) enters a conv as (c, 1, 1) */
        h = out_side(d, l->in[1]);
        w = out_side(d, l->in[2]);
        if (h < 1 || w < 1)
            return genlab_errorf(s->ctx, GL_ERR_SHAPE, "%s: the image is too small: %s "
                                 "(kernel %d, stride %d, padding %d) gets a %lldx%lld map",
                                 s->who, d->name, d->k, d->stride, d->pad, (long long)l->in[1],
                                 (long long)l->in[2]);
    }
    st = add_op(s, l, d, flat);
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

genlab_status genlab_seq_view(genlab_seq *s, int64_t c, int64_t h, int64_t w)
{
    if (s->c * (s->h ? s->h * s->w : 1) != c * (h ? h * w : 1))   /* a description's bug */
        return genlab_errorf(s->ctx, GL_ERR_INVALID, "%s: cannot view %lld features as "
                             "(%lld, %lld, %lld)", s->who,
                             (long long)(s->c * (s->h ? s->h * s->w : 1)), (long long)c,
                             (long long)h, (long long)w);
    s->c = c;
    s->h = h;
    s->w = w;
    return GL_OK;
}

/* ---- running ---- */

static genlab_tensor *activate(genlab_ctx *ctx, const genlab_seq_layer *l, genlab_tensor *x)
{
    switch (l->act) {
    case GL_SEQ_RELU:
        return genlab_relu(ctx, x);
    case GL_SEQ_LRELU:
        return genlab_leaky_relu(ctx, x, l->slope);
    case GL_SEQ_TANH:
        return genlab_tanh(ctx, x);
    case GL_SEQ_SIGMOID:
        return genlab_sigmoid(ctx, x);
    case GL_SEQ_NONE:
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

genlab_tensor *genlab_seq_forward(genlab_ctx *ctx, genlab_seq *s, genlab_tensor *x,
                                  bool training, int out_ndim, const int64_t *out_shape)
{
    if (!x)
        return NULL;
    int64_t n = genlab_tensor_dim(x, 0);
    genlab_params_set_training(s->p, training);
    for (int i = 0; i < s->n && x; i++) {
        genlab_seq_layer *l = &s->l[i];
        if (l->op == GL_SEQ_LINEAR) {
            if (genlab_tensor_ndim(x) != 2)
                x = genlab_flatten(ctx, x, 1);
            x = genlab_linear_layer_forward(ctx, &l->fc, x);
        } else {
            if (genlab_tensor_ndim(x) != 4)
                x = genlab_reshape(ctx, x, 4, (const int64_t[]){n, l->in[0], l->in[1], l->in[2]});
            x = l->op == GL_SEQ_CONV ? genlab_conv2d_layer_forward(ctx, &l->conv, x)
                                     : genlab_conv_transpose2d_layer_forward(ctx, &l->deconv, x);
        }
        if (l->has_norm && !l->norm_after_act)
            x = normalize(ctx, &l->bn, x, training);
        x = activate(ctx, l, x);
        if (l->has_norm && l->norm_after_act)
            x = normalize(ctx, &l->bn, x, training);
        if (l->dropout > 0.0f)
            x = genlab_dropout(ctx, x, l->dropout, training);
    }
    if (!x || out_ndim <= 0)
        return x;
    int64_t shape[GL_MAX_DIMS] = {n};
    bool same = genlab_tensor_ndim(x) == 1 + out_ndim;
    for (int i = 0; i < out_ndim && i + 1 < GL_MAX_DIMS; i++) {
        shape[i + 1] = out_shape[i];
        same = same && genlab_tensor_dim(x, i + 1) == out_shape[i];
    }
    return same ? x : genlab_reshape(ctx, x, 1 + out_ndim, shape);
}
