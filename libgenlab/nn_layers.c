/* SPDX-License-Identifier: MIT
 *
 * nn_layers.c — Linear, Conv2d, ConvTranspose2d, BatchNorm2d, GroupNorm and
 * LayerNorm: each declares its tensors in a params object with PyTorch's
 * default initialisation, checks the input, and calls one op.
 *
 * The layers hold no state of their own beyond pointers; the params object
 * owns the memory and the train/eval mode. Not here: the ops (ops_*.c),
 * spectral normalisation itself (nn_spectral.c).
 *
 * Sections: shared helpers, linear, convolutions, normalisation.
 */
#include <stdio.h>
#include <string.h>

#include "nn_impl.h"

/* ---- shared helpers ---- */

/* "<prefix>.<suffix>", or just suffix for an empty prefix. Over-long names
 * are left for genlab_params_declare to refuse with its message. */
static const char *join(char *buf, size_t size, const char *prefix, const char *suffix)
{
    snprintf(buf, size, "%s%s%s", prefix, prefix[0] ? "." : "", suffix);
    return buf;
}

#define GL_JOIN_BUF (2 * GL_PARAM_NAME_MAX)

/* the common first checks of an init: p, l and name present, p usable */
static genlab_status init_begin(genlab_params *p, const void *l, const char *name,
                                const char *what)
{
    if (!p)
        return GL_ERR_INVALID;
    if (p->ctx->status != GL_OK)
        return p->ctx->status;
    if (!l || !name)
        return genlab_errorf(p->ctx, GL_ERR_INVALID, "%s_init: NULL %s", what,
                             !l ? "layer" : "name");
    return GL_OK;
}

/* declare "<name>.<suffix>" with shape (ndim dims) */
static genlab_tensor *declare(genlab_params *p, bool buffer, const char *name,
                              const char *suffix, int ndim, const int64_t *shape,
                              genlab_init init)
{
    char full[GL_JOIN_BUF];
    join(full, sizeof full, name, suffix);
    return buffer ? genlab_params_declare_buffer(p, full, ndim, shape, init)
                  : genlab_params_declare(p, full, ndim, shape, init);
}

/* a layer may run: x present, same context, its tensors finalized. anchor
 * is any tensor the layer declared (NULL for a layer without tensors). */
static bool forward_ready(genlab_ctx *ctx, const genlab_params *p, const genlab_tensor *anchor,
                          const genlab_tensor *x, const char *what)
{
    if (ctx->status != GL_OK || !x)
        return false;
    if (!p) {
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: layer not initialised", what);
        return false;
    }
    if (p->ctx != ctx) {
        genlab_errorf(ctx, GL_ERR_INVALID, "%s: layer belongs to another context", what);
        return false;
    }
    if (anchor && !anchor->data) {
        genlab_errorf(ctx, GL_ERR_STATE, "%s: used before genlab_params_finalize", what);
        return false;
    }
    return true;
}

/* the name for messages: the weight's parameter name, or the layer kind */
static const char *lname(const genlab_params *p, const genlab_tensor *w, const char *what)
{
    const char *n = gl_params_name_of(p, w);
    return n ? n : what;
}

/* the weight a forward uses: spectrally normalised when enabled */
static genlab_tensor *effective_weight(genlab_ctx *ctx, genlab_params *p,
                                       genlab_tensor *w, genlab_spectral_norm *sn)
{
    return sn->u ? genlab_spectral_norm_weight(ctx, sn, p->training) : w;
}

/* ---- linear ---- */

genlab_status genlab_linear_layer_init(genlab_params *p, genlab_linear_layer *l,
                                       const char *name, int in, int out, bool bias)
{
    genlab_status st = init_begin(p, l, name, "linear");
    if (st != GL_OK)
        return st;
    if (in <= 0 || out <= 0)
        return genlab_errorf(p->ctx, GL_ERR_INVALID, "linear '%s': in = %d and out = %d must "
                             "be > 0", name, in, out);
    memset(l, 0, sizeof *l);
    l->params = p;
    l->in = in;
    l->out = out;
    int64_t wshape[2] = {out, in};
    genlab_init rule = genlab_init_torch_default(genlab_init_fan_in(2, wshape));
    l->weight = declare(p, false, name, "weight", 2, wshape, rule);
    if (bias)
        l->bias = declare(p, false, name, "bias", 1, wshape, rule);
    return p->ctx->status;
}

genlab_status genlab_linear_layer_spectral_norm(genlab_linear_layer *l)
{
    return l ? genlab_spectral_norm_init(l->params, &l->sn, l->weight, 0) : GL_ERR_INVALID;
}

genlab_tensor *genlab_linear_layer_forward(genlab_ctx *ctx, genlab_linear_layer *l,
                                           genlab_tensor *x)
{
    if (!forward_ready(ctx, l ? l->params : NULL, l ? l->weight : NULL, x, "linear"))
        return NULL;
    if (x->ndim < 1 || x->shape[x->ndim - 1] != l->in) {
        char a[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "linear %s: x %s, want (*, %lld)",
                      lname(l->params, l->weight, "linear"),
                      genlab_tensor_shape_str(x, a, sizeof a), (long long)l->in);
        return NULL;
    }
    genlab_tensor *w = effective_weight(ctx, l->params, l->weight, &l->sn);
    if (x->ndim == 2)
        return genlab_linear(ctx, x, w, l->bias);
    /* (*, in) -> (prod *, in) -> (prod *, out) -> (*, out) */
    int64_t shape[GL_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = l->out;
    genlab_tensor *x2 = genlab_reshape(ctx, x, 2, (const int64_t[]){-1, l->in});
    return genlab_reshape(ctx, genlab_linear(ctx, x2, w, l->bias), x->ndim, shape);
}

/* ---- convolutions ---- */

/* Conv2d and ConvTranspose2d differ in the weight layout, the spectral-norm
 * axis, output_padding and the op; everything else is shared. */
typedef struct conv_kind {
    const char *what;
    bool        transpose;
} conv_kind;

static const conv_kind conv_plain = {"conv2d", false};
static const conv_kind conv_transp = {"conv_transpose2d", true};

/* validate and normalise opts (0 means 1 for stride, dilation, groups) */
static genlab_status conv_opts_check(genlab_ctx *ctx, const conv_kind *k, const char *name,
                                     int cin, int cout, int kh, int kw,
                                     const genlab_conv_opts *in, genlab_conv_opts *out)
{
    genlab_conv_opts o = in ? *in : (genlab_conv_opts){0};
    for (int d = 0; d < 2; d++) {
        if (o.stride[d] < 0 || o.dilation[d] < 0 || o.padding[d] < 0 || o.output_padding[d] < 0)
            return genlab_errorf(ctx, GL_ERR_INVALID, "%s '%s': stride, padding, dilation and "
                                 "output_padding must be >= 0", k->what, name);
        o.stride[d] = o.stride[d] ? o.stride[d] : 1;
        o.dilation[d] = o.dilation[d] ? o.dilation[d] : 1;
        if (!k->transpose && o.output_padding[d] != 0)
            return genlab_errorf(ctx, GL_ERR_INVALID, "%s '%s': output_padding is only for "
                                 "conv_transpose2d", k->what, name);
        /* PyTorch: output padding must be smaller than either stride or dilation */
        if (k->transpose && o.output_padding[d] >= o.stride[d] &&
            o.output_padding[d] >= o.dilation[d])
            return genlab_errorf(ctx, GL_ERR_INVALID, "%s '%s': output_padding %d must be "
                                 "below stride %d or dilation %d", k->what, name,
                                 o.output_padding[d], o.stride[d], o.dilation[d]);
    }
    o.groups = o.groups ? o.groups : 1;
    if (cin <= 0 || cout <= 0 || kh <= 0 || kw <= 0 || o.groups < 0 ||
        cin % o.groups || cout % o.groups)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s '%s': cin %d, cout %d, kernel %dx%d, "
                             "groups %d (want positive sizes, channels divisible by groups)",
                             k->what, name, cin, cout, kh, kw, o.groups);
    *out = o;
    return GL_OK;
}

/* the fields Conv2d and ConvTranspose2d layers share, filled by conv_init */
typedef struct conv_fields {
    genlab_tensor   **weight, **bias;
    int64_t          *cin, *cout, *kh, *kw;
    genlab_conv_opts *opts;
} conv_fields;

static genlab_status conv_init(genlab_params *p, const conv_kind *k, const conv_fields *f,
                               const char *name, int cin, int cout, int kh, int kw,
                               const genlab_conv_opts *opts, bool bias)
{
    genlab_status st = conv_opts_check(p->ctx, k, name, cin, cout, kh, kw, opts, f->opts);
    if (st != GL_OK)
        return st;
    *f->cin = cin;
    *f->cout = cout;
    *f->kh = kh;
    *f->kw = kw;
    int64_t g = f->opts->groups;
    int64_t wshape[4] = {k->transpose ? cin : cout, (k->transpose ? cout : cin) / g, kh, kw};
    int64_t bshape[1] = {cout};
    genlab_init rule = genlab_init_torch_default(genlab_init_fan_in(4, wshape));
    *f->weight = declare(p, false, name, "weight", 4, wshape, rule);
    if (bias)
        *f->bias = declare(p, false, name, "bias", 1, bshape, rule);
    return p->ctx->status;
}

static bool conv_input_ok(genlab_ctx *ctx, const genlab_params *p, const genlab_tensor *w,
                          const conv_kind *k, const genlab_tensor *x, int64_t cin)
{
    if (x->ndim == 4 && x->shape[1] == cin)
        return true;
    char a[GL_SHAPE_BUF];
    genlab_errorf(ctx, GL_ERR_SHAPE, "%s %s: x %s, want (N, %lld, H, W)", k->what,
                  lname(p, w, k->what), genlab_tensor_shape_str(x, a, sizeof a),
                  (long long)cin);
    return false;
}

genlab_status genlab_conv2d_layer_init(genlab_params *p, genlab_conv2d_layer *l,
                                       const char *name, int cin, int cout, int kh, int kw,
                                       const genlab_conv_opts *opts, bool bias)
{
    genlab_status st = init_begin(p, l, name, conv_plain.what);
    if (st != GL_OK)
        return st;
    memset(l, 0, sizeof *l);
    l->params = p;
    conv_fields f = {&l->weight, &l->bias, &l->cin, &l->cout, &l->kh, &l->kw, &l->opts};
    return conv_init(p, &conv_plain, &f, name, cin, cout, kh, kw, opts, bias);
}

genlab_status genlab_conv2d_layer_spectral_norm(genlab_conv2d_layer *l)
{
    return l ? genlab_spectral_norm_init(l->params, &l->sn, l->weight, 0) : GL_ERR_INVALID;
}

genlab_tensor *genlab_conv2d_layer_forward(genlab_ctx *ctx, genlab_conv2d_layer *l,
                                           genlab_tensor *x)
{
    if (!forward_ready(ctx, l ? l->params : NULL, l ? l->weight : NULL, x, conv_plain.what) ||
        !conv_input_ok(ctx, l->params, l->weight, &conv_plain, x, l->cin))
        return NULL;
    genlab_tensor *w = effective_weight(ctx, l->params, l->weight, &l->sn);
    return genlab_conv2d(ctx, x, w, l->bias, &l->opts);
}

genlab_tensor *genlab_conv2d_layer_forward_shift(genlab_ctx *ctx, genlab_conv2d_layer *l,
                                                 genlab_tensor *x, genlab_tensor *shift)
{
    if (!shift)
        return genlab_conv2d_layer_forward(ctx, l, x);
    if (!forward_ready(ctx, l ? l->params : NULL, l ? l->weight : NULL, x, conv_plain.what) ||
        !conv_input_ok(ctx, l->params, l->weight, &conv_plain, x, l->cin) ||
        !gl_check_f32(ctx, conv_plain.what, "shift", shift))
        return NULL;
    if (shift->ndim != 2 || shift->shape[0] != x->shape[0] || shift->shape[1] != l->cout) {
        char a[GL_SHAPE_BUF], b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s %s: shift %s for x %s, want (N, %lld)",
                      conv_plain.what, lname(l->params, l->weight, conv_plain.what),
                      genlab_tensor_shape_str(shift, a, sizeof a),
                      genlab_tensor_shape_str(x, b, sizeof b), (long long)l->cout);
        return NULL;
    }
    genlab_tensor *w = effective_weight(ctx, l->params, l->weight, &l->sn);
    const int64_t per_sample[4] = {x->shape[0], l->cout, 1, 1}, shared[4] = {1, l->cout, 1, 1};
    genlab_tensor *s = genlab_reshape(ctx, shift, 4, per_sample);
    if (l->bias)
        s = genlab_add(ctx, s, genlab_reshape(ctx, l->bias, 4, shared));
    return genlab_add(ctx, genlab_conv2d(ctx, x, w, NULL, &l->opts), s);
}

genlab_status genlab_conv_transpose2d_layer_init(genlab_params *p,
                                                 genlab_conv_transpose2d_layer *l,
                                                 const char *name, int cin, int cout, int kh,
                                                 int kw, const genlab_conv_opts *opts,
                                                 bool bias)
{
    genlab_status st = init_begin(p, l, name, conv_transp.what);
    if (st != GL_OK)
        return st;
    memset(l, 0, sizeof *l);
    l->params = p;
    conv_fields f = {&l->weight, &l->bias, &l->cin, &l->cout, &l->kh, &l->kw, &l->opts};
    return conv_init(p, &conv_transp, &f, name, cin, cout, kh, kw, opts, bias);
}

genlab_status genlab_conv_transpose2d_layer_spectral_norm(genlab_conv_transpose2d_layer *l)
{
    /* weight (cin, cout/g, kh, kw): PyTorch normalises over the output axis, 1 */
    return l ? genlab_spectral_norm_init(l->params, &l->sn, l->weight, 1) : GL_ERR_INVALID;
}

genlab_tensor *genlab_conv_transpose2d_layer_forward(genlab_ctx *ctx,
                                                     genlab_conv_transpose2d_layer *l,
                                                     genlab_tensor *x)
{
    if (!forward_ready(ctx, l ? l->params : NULL, l ? l->weight : NULL, x, conv_transp.what) ||
        !conv_input_ok(ctx, l->params, l->weight, &conv_transp, x, l->cin))
        return NULL;
    genlab_tensor *w = effective_weight(ctx, l->params, l->weight, &l->sn);
    return genlab_conv_transpose2d(ctx, x, w, l->bias, &l->opts);
}

/* ---- normalisation ---- */

/* weight 1 and bias 0 of the given shape, when affine */
static void declare_affine(genlab_params *p, const char *name, bool affine, int ndim,
                           const int64_t *shape, genlab_tensor **weight, genlab_tensor **bias)
{
    if (!affine)
        return;
    *weight = declare(p, false, name, "weight", ndim, shape, genlab_init_constant(1.0f));
    *bias = declare(p, false, name, "bias", ndim, shape, genlab_init_constant(0.0f));
}

genlab_status genlab_batch_norm2d_layer_init(genlab_params *p, genlab_batch_norm2d_layer *l,
                                             const char *name, int channels, bool affine)
{
    genlab_status st = init_begin(p, l, name, "batch_norm2d");
    if (st != GL_OK)
        return st;
    if (channels <= 0)
        return genlab_errorf(p->ctx, GL_ERR_INVALID, "batch_norm2d '%s': channels = %d must "
                             "be > 0", name, channels);
    memset(l, 0, sizeof *l);
    l->params = p;
    l->channels = channels;
    l->momentum = 0.1f;
    l->eps = 1e-5f;
    int64_t shape[1] = {channels};
    declare_affine(p, name, affine, 1, shape, &l->weight, &l->bias);
    l->running_mean = declare(p, true, name, "running_mean", 1, shape, genlab_init_constant(0.0f));
    l->running_var = declare(p, true, name, "running_var", 1, shape, genlab_init_constant(1.0f));
    return p->ctx->status;
}

genlab_tensor *genlab_batch_norm2d_layer_forward(genlab_ctx *ctx, genlab_batch_norm2d_layer *l,
                                                 genlab_tensor *x)
{
    if (!forward_ready(ctx, l ? l->params : NULL, l ? l->running_mean : NULL, x, "batch_norm2d"))
        return NULL;
    if (x->ndim != 4 || x->shape[1] != l->channels) {
        char a[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "batch_norm2d %s: x %s, want (N, %lld, H, W)",
                      lname(l->params, l->weight, "batch_norm2d"),
                      genlab_tensor_shape_str(x, a, sizeof a), (long long)l->channels);
        return NULL;
    }
    return genlab_batch_norm(ctx, x, l->weight, l->bias, l->running_mean, l->running_var,
                             l->params->training, l->momentum, l->eps);
}

genlab_status genlab_group_norm_layer_init(genlab_params *p, genlab_group_norm_layer *l,
                                           const char *name, int groups, int channels,
                                           bool affine)
{
    genlab_status st = init_begin(p, l, name, "group_norm");
    if (st != GL_OK)
        return st;
    if (groups <= 0 || channels <= 0 || channels % groups)
        return genlab_errorf(p->ctx, GL_ERR_INVALID, "group_norm '%s': %d channels in %d "
                             "groups (want positive, channels divisible by groups)", name,
                             channels, groups);
    memset(l, 0, sizeof *l);
    l->params = p;
    l->groups = groups;
    l->channels = channels;
    l->eps = 1e-5f;
    int64_t shape[1] = {channels};
    declare_affine(p, name, affine, 1, shape, &l->weight, &l->bias);
    return p->ctx->status;
}

genlab_tensor *genlab_group_norm_layer_forward(genlab_ctx *ctx, genlab_group_norm_layer *l,
                                               genlab_tensor *x)
{
    return genlab_group_norm_layer_forward_act(ctx, l, x, GL_ACT_NONE);
}

genlab_tensor *genlab_group_norm_layer_forward_act(genlab_ctx *ctx, genlab_group_norm_layer *l,
                                                   genlab_tensor *x, genlab_act act)
{
    if (!forward_ready(ctx, l ? l->params : NULL, l ? l->weight : NULL, x, "group_norm"))
        return NULL;
    if (x->ndim < 2 || x->shape[1] != l->channels) {
        char a[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "group_norm %s: x %s, want (N, %lld, ...)",
                      lname(l->params, l->weight, "group_norm"),
                      genlab_tensor_shape_str(x, a, sizeof a), (long long)l->channels);
        return NULL;
    }
    return genlab_group_norm_act(ctx, x, (int)l->groups, l->weight, l->bias, l->eps, act);
}

genlab_status genlab_layer_norm_layer_init(genlab_params *p, genlab_layer_norm_layer *l,
                                           const char *name, int ndim, const int64_t *shape,
                                           bool affine)
{
    genlab_status st = init_begin(p, l, name, "layer_norm");
    if (st != GL_OK)
        return st;
    bool ok = ndim >= 1 && ndim <= GL_MAX_DIMS && shape;
    for (int i = 0; ok && i < ndim; i++)
        ok = shape[i] > 0;
    if (!ok)
        return genlab_errorf(p->ctx, GL_ERR_INVALID, "layer_norm '%s': normalized shape must "
                             "have 1 to %d positive sizes (got %d dimensions)", name,
                             GL_MAX_DIMS, ndim);
    memset(l, 0, sizeof *l);
    l->params = p;
    l->ndim = ndim;
    memcpy(l->shape, shape, (size_t)ndim * sizeof *shape);
    l->eps = 1e-5f;
    declare_affine(p, name, affine, ndim, shape, &l->weight, &l->bias);
    return p->ctx->status;
}

genlab_tensor *genlab_layer_norm_layer_forward(genlab_ctx *ctx, genlab_layer_norm_layer *l,
                                               genlab_tensor *x)
{
    if (!forward_ready(ctx, l ? l->params : NULL, l ? l->weight : NULL, x, "layer_norm"))
        return NULL;
    bool ok = x->ndim >= l->ndim;
    for (int i = 0; ok && i < l->ndim; i++)
        ok = x->shape[x->ndim - l->ndim + i] == l->shape[i];
    if (!ok) {
        char a[GL_SHAPE_BUF], b[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "layer_norm %s: x %s does not end in %s",
                      lname(l->params, l->weight, "layer_norm"),
                      genlab_tensor_shape_str(x, a, sizeof a),
                      gl_dims_str(l->ndim, l->shape, b, sizeof b));
        return NULL;
    }
    return genlab_layer_norm(ctx, x, l->ndim, l->weight, l->bias, l->eps);
}
