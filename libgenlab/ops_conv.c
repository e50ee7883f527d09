/* SPDX-License-Identifier: MIT
 *
 * ops_conv.c — the convolution ops: conv2d, conv_transpose2d and
 * conv2d_weight, with PyTorch's semantics, each differentiable to any order.
 *
 * The three ops are one bilinear map seen from its three sides. For a
 * convolution from a "big" input (N, Cin, H, W) to a "small" output
 * (N, Cout, Ho, Wo) with weight (Cout, Cin/groups, kh, kw):
 *   conv2d(x, w)            big x        -> small y   (kernel: forward)
 *   conv_transpose2d(x, w)  small x      -> big y     (kernel: backward data)
 *   conv2d_weight(x, gy)    big x, small -> weight    (kernel: backward weight)
 * so each op's backward is made of the other two and is recorded on the tape
 * like any op. Sizes are related by
 *   H = (Ho - 1) * stride - 2 * padding + dilation * (kh - 1) + 1 + r,
 *   0 <= r < max(stride, dilation)
 * (r is conv_transpose2d's output_padding; conv2d picks the largest Ho, so its
 * r < stride; conv2d_weight reads r from the sizes of x and gy and ignores
 * opts->output_padding). The internal ops take both sizes explicitly, because a
 * backward must reproduce its input's size: when r >= stride (allowed by a
 * large dilation) the conv2d in conv_transpose2d's backward keeps only the
 * first Ho rows of the natural output.
 *
 * Bias is added with a broadcasting genlab_add (its gradient is the sum of
 * gy over (N, H, W)). Not here: the kernels (backend), padding modes other
 * than zeros.
 *
 * Sections: geometry and validation, the three recorded ops, public ops.
 */
#include <string.h>

#include "internal.h"

/* ---- geometry and validation ---- */

/* The options of one convolution, normalised (0 means 1 resolved), with
 * the kernel size. Stored in node->i[0..9) in this order. */
typedef struct conv_geom {
    int64_t sh, sw, ph, pw, dh, dw, groups, kh, kw;
} conv_geom;

_Static_assert(sizeof(conv_geom) <= sizeof(((gl_node *)0)->i), "conv_geom must fit node->i");

static void geom_store(gl_node *n, const conv_geom *g)
{
    if (n)
        memcpy(n->i, g, sizeof *g);
}

static conv_geom geom_load(const gl_node *n)
{
    conv_geom g;
    memcpy(&g, n->i, sizeof g);
    return g;
}

static int64_t or_one(int v) { return v == 0 ? 1 : v; }

/* Normalise opts into g (kernel size left to the caller) and check the
 * values; op[2] receives output_padding. */
static bool geom_from_opts(genlab_ctx *ctx, const char *name, const genlab_conv_opts *opts,
                           conv_geom *g, int64_t op[2])
{
    static const genlab_conv_opts defaults;
    const genlab_conv_opts *o = opts ? opts : &defaults;
    memset(g, 0, sizeof *g);
    g->sh = or_one(o->stride[0]);
    g->sw = or_one(o->stride[1]);
    g->ph = o->padding[0];
    g->pw = o->padding[1];
    g->dh = or_one(o->dilation[0]);
    g->dw = or_one(o->dilation[1]);
    g->groups = or_one(o->groups);
    op[0] = o->output_padding[0];
    op[1] = o->output_padding[1];
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->ph < 0 || g->pw < 0 ||
        op[0] < 0 || op[1] < 0 || g->groups < 1) {
        genlab_errorf(ctx, GL_ERR_INVALID,
                      "%s: invalid options stride (%d, %d), padding (%d, %d), dilation (%d, %d), "
                      "output_padding (%d, %d), groups %d (stride, dilation and groups must be "
                      "positive or 0 for 1; paddings non-negative)",
                      name, o->stride[0], o->stride[1], o->padding[0], o->padding[1],
                      o->dilation[0], o->dilation[1], o->output_padding[0],
                      o->output_padding[1], o->groups);
        return false;
    }
    return true;
}

static bool check_4d(genlab_ctx *ctx, const char *name, const char *arg, const char *want,
                     const genlab_tensor *t)
{
    if (!gl_check_f32(ctx, name, arg, t))
        return false;
    if (t->ndim != 4) {
        char s[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: %s must be %s, got %s", name, arg, want,
                      genlab_tensor_shape_str(t, s, sizeof s));
        return false;
    }
    return true;
}

/* a weight with an empty axis has nothing to convolve with */
static bool check_weight(genlab_ctx *ctx, const char *name, const char *want,
                         const genlab_tensor *w)
{
    if (!check_4d(ctx, name, "w", want, w))
        return false;
    if (w->numel > 0)
        return true;
    char s[GL_SHAPE_BUF];
    genlab_errorf(ctx, GL_ERR_SHAPE, "%s: w %s has an empty axis", name,
                  genlab_tensor_shape_str(w, s, sizeof s));
    return false;
}

/* the channel count of t (axis 1 or 0) must be a positive multiple of groups */
static bool check_groups(genlab_ctx *ctx, const char *name, const char *arg,
                         const genlab_tensor *t, int axis, const char *what, int64_t groups)
{
    if (t->shape[axis] % groups == 0 && t->shape[axis] > 0)
        return true;
    char s[GL_SHAPE_BUF];
    genlab_errorf(ctx, GL_ERR_SHAPE,
                  "%s: groups %lld does not divide the %lld %s channels of %s %s "
                  "(need a positive multiple)",
                  name, (long long)groups, (long long)t->shape[axis], what, arg,
                  genlab_tensor_shape_str(t, s, sizeof s));
    return false;
}

/* x's channels (axis 1) against w's per-group channels (axis 1) times groups */
static bool check_channels(genlab_ctx *ctx, const char *name, const genlab_tensor *x,
                           const genlab_tensor *w, int64_t x_channels, int64_t groups)
{
    if (x_channels == w->shape[1] * groups)
        return true;
    char sx[GL_SHAPE_BUF], sw[GL_SHAPE_BUF];
    genlab_errorf(ctx, GL_ERR_SHAPE,
                  "%s: x %s has %lld channels but w %s with groups %lld expects %lld", name,
                  genlab_tensor_shape_str(x, sx, sizeof sx), (long long)x_channels,
                  genlab_tensor_shape_str(w, sw, sizeof sw), (long long)groups,
                  (long long)(w->shape[1] * groups));
    return false;
}

static bool check_bias(genlab_ctx *ctx, const char *name, const genlab_tensor *b,
                       int64_t channels)
{
    if (!b)
        return true;
    if (!gl_check_f32(ctx, name, "b", b))
        return false;
    if (b->ndim == 1 && b->shape[0] == channels)
        return true;
    char s[GL_SHAPE_BUF];
    genlab_errorf(ctx, GL_ERR_SHAPE, "%s: b %s must be (%lld), one per output channel", name,
                  genlab_tensor_shape_str(b, s, sizeof s), (long long)channels);
    return false;
}

/* dilated kernel extent along one axis */
static int64_t extent(int64_t k, int64_t d) { return d * (k - 1) + 1; }

/* the big size H from the small size Ho and r (see the file comment) */
static int64_t big_size(int64_t ho, int64_t k, int64_t s, int64_t p, int64_t d, int64_t r)
{
    return (ho - 1) * s - 2 * p + extent(k, d) + r;
}

/* The kernels address a plane (H*W) and one channel's columns (kh*kw*Ho*Wo
 * per image) with int32 offsets; larger convolutions are refused (they would
 * need gigabytes per plane anyway). Each size is checked before any product. */
static bool check_sizes(genlab_ctx *ctx, const char *name, int64_t h, int64_t w, int64_t ho,
                        int64_t wo, int64_t kh, int64_t kw)
{
    const int64_t dims[6] = {h, w, ho, wo, kh, kw};
    bool ok = true;
    for (int i = 0; i < 6; i++)
        ok = ok && dims[i] < INT32_MAX;
    ok = ok && h * w < INT32_MAX && kh * kw < INT32_MAX && ho * wo < INT32_MAX &&
         kh * kw * (ho * wo) < INT32_MAX;
    if (!ok)
        genlab_errorf(ctx, GL_ERR_UNSUPPORTED,
                      "%s: input %lldx%lld, output %lldx%lld, kernel %lldx%lld: too large "
                      "(a plane or one channel's im2col columns reach 2^31 elements)",
                      name, (long long)h, (long long)w, (long long)ho, (long long)wo,
                      (long long)kh, (long long)kw);
    return ok;
}

static genlab_conv_desc make_desc(const conv_geom *g, const genlab_tensor *big,
                                  const genlab_tensor *small)
{
    genlab_conv_desc d = {
        .n = big->shape[0], .cin = big->shape[1], .h = big->shape[2], .w = big->shape[3],
        .cout = small->shape[1], .ho = small->shape[2], .wo = small->shape[3],
        .kh = g->kh, .kw = g->kw, .sh = g->sh, .sw = g->sw, .ph = g->ph, .pw = g->pw,
        .dh = g->dh, .dw = g->dw, .groups = g->groups,
    };
    return d;
}

/* ---- the three recorded ops ----
 * Inputs are valid and sizes consistent here (checked by the public ops, or
 * true by construction in a backward); they may be NULL after an error. */

static genlab_tensor *conv_fwd(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                               const conv_geom *g, int64_t ho, int64_t wo);
static genlab_tensor *conv_tr(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                              const conv_geom *g, int64_t h, int64_t wd);
static genlab_tensor *conv_wt(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gy,
                              const conv_geom *g);

/* conv2d: in = {x (big), w}. gx is the transposed conv of gy back to x's
 * size; gw correlates x with gy. */
static void conv_fwd_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    conv_geom g = geom_load(n);
    genlab_tensor *x = n->in[0], *w = n->in[1];
    if (gl_needs_grad(ctx, n, 0))
        gx[0] = conv_tr(ctx, gy, w, &g, x->shape[2], x->shape[3]);
    if (gl_needs_grad(ctx, n, 1))
        gx[1] = conv_wt(ctx, x, gy, &g);
}

/* conv_transpose2d: in = {x (small), w}; gy is big. The roles of conv2d
 * are swapped: gx = conv2d(gy, w) at x's size, gw = conv2d_weight(gy, x). */
static void conv_tr_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    conv_geom g = geom_load(n);
    genlab_tensor *x = n->in[0], *w = n->in[1];
    if (gl_needs_grad(ctx, n, 0))
        gx[0] = conv_fwd(ctx, gy, w, &g, x->shape[2], x->shape[3]);
    if (gl_needs_grad(ctx, n, 1))
        gx[1] = conv_wt(ctx, gy, x, &g);
}

/* conv2d_weight: in = {x (big), gy (small)}; the output gw is bilinear in
 * both, so with ggw its gradient: gx = conv_transpose2d(gy, ggw),
 * ggy = conv2d(x, ggw). */
static void conv_wt_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *ggw, genlab_tensor **gx)
{
    conv_geom g = geom_load(n);
    genlab_tensor *x = n->in[0], *gy = n->in[1];
    if (gl_needs_grad(ctx, n, 0))
        gx[0] = conv_tr(ctx, gy, ggw, &g, x->shape[2], x->shape[3]);
    if (gl_needs_grad(ctx, n, 1))
        gx[1] = conv_fwd(ctx, x, ggw, &g, gy->shape[2], gy->shape[3]);
}

/* conv2d with its bias added by the kernel: in = {x, w, b}; b's gradient
 * sums gy over images and positions */
static void conv_bias_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy,
                               genlab_tensor **gx)
{
    conv_fwd_backward(ctx, n, gy, gx);
    if (gl_needs_grad(ctx, n, 2))
        gx[2] = genlab_sum(ctx, gy, 3, (const int[]){0, 2, 3}, false);
}

static const gl_op op_conv2d = {"conv2d", conv_fwd_backward};
static const gl_op op_conv2d_bias = {"conv2d", conv_bias_backward};
static const gl_op op_conv_transpose2d = {"conv_transpose2d", conv_tr_backward};
static const gl_op op_conv2d_weight = {"conv2d_weight", conv_wt_backward};

static genlab_tensor *add_bias(genlab_ctx *ctx, genlab_tensor *y, genlab_tensor *b);

/* conv2d + b (NULL: none): the bias goes into the backend's kernel where
 * it has conv2d_forward_bias (one pass over y fewer), else it is added */
static genlab_tensor *conv_fwd_bias(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                                    genlab_tensor *b, const conv_geom *g, int64_t ho,
                                    int64_t wo)
{
    if (!x || !w || ctx->status != GL_OK)
        return NULL;
    void (*fused)(void *, const genlab_conv_desc *, const float *, const float *,
                  const float *, float *) = b ? GL_BACKEND_GET(ctx->be, conv2d_forward_bias)
                                              : NULL;
    genlab_tensor *y = gl_new(ctx, GL_F32, 4, (const int64_t[]){x->shape[0], w->shape[0], ho, wo});
    if (!y)
        return NULL;
    genlab_conv_desc d = make_desc(g, x, y);
    if (y->numel > 0 && fused)
        fused(ctx->be_state, &d, gl_f32(x), gl_f32(w), gl_f32(b), gl_f32(y));
    else if (y->numel > 0)
        ctx->be->conv2d_forward(ctx->be_state, &d, gl_f32(x), gl_f32(w), gl_f32(y));
    genlab_tensor *in[3] = {x, w, b};
    geom_store(gl_record(ctx, fused ? &op_conv2d_bias : &op_conv2d, &y, fused ? 3 : 2, in), g);
    return fused ? y : add_bias(ctx, y, b);
}

static genlab_tensor *conv_fwd(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                               const conv_geom *g, int64_t ho, int64_t wo)
{
    return conv_fwd_bias(ctx, x, w, NULL, g, ho, wo);
}

static genlab_tensor *conv_tr(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                              const conv_geom *g, int64_t h, int64_t wd)
{
    if (!x || !w || ctx->status != GL_OK)
        return NULL;
    const int64_t cout = w->shape[1] * g->groups;
    genlab_tensor *y = gl_new(ctx, GL_F32, 4, (const int64_t[]){x->shape[0], cout, h, wd});
    if (!y)
        return NULL;
    genlab_conv_desc d = make_desc(g, y, x);
    if (y->numel > 0)
        ctx->be->conv2d_backward_data(ctx->be_state, &d, gl_f32(x), gl_f32(w), gl_f32(y));
    genlab_tensor *in[2] = {x, w};
    geom_store(gl_record(ctx, &op_conv_transpose2d, &y, 2, in), g);
    return y;
}

static genlab_tensor *conv_wt(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gy,
                              const conv_geom *g)
{
    if (!x || !gy || ctx->status != GL_OK)
        return NULL;
    genlab_tensor *gw = gl_new(ctx, GL_F32, 4,
                               (const int64_t[]){gy->shape[1], x->shape[1] / g->groups, g->kh,
                                                 g->kw});
    if (!gw)
        return NULL;
    genlab_conv_desc d = make_desc(g, x, gy);
    ctx->be->conv2d_backward_weight(ctx->be_state, &d, gl_f32(x), gl_f32(gy), gl_f32(gw));
    genlab_tensor *in[2] = {x, gy};
    geom_store(gl_record(ctx, &op_conv2d_weight, &gw, 2, in), g);
    return gw;
}

/* ---- public ops ---- */

static genlab_tensor *add_bias(genlab_ctx *ctx, genlab_tensor *y, genlab_tensor *b)
{
    if (!b)
        return y;
    return genlab_add(ctx, y, genlab_reshape(ctx, b, 4, (const int64_t[]){1, b->shape[0], 1, 1}));
}

genlab_tensor *genlab_conv2d(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                             genlab_tensor *b, const genlab_conv_opts *opts)
{
    static const char name[] = "conv2d";
    if (!x || !w || ctx->status != GL_OK)
        return NULL;
    conv_geom g;
    int64_t op[2];
    if (!geom_from_opts(ctx, name, opts, &g, op) ||
        !check_4d(ctx, name, "x", "(N, Cin, H, W)", x) ||
        !check_weight(ctx, name, "(Cout, Cin/groups, kh, kw)", w) ||
        !check_groups(ctx, name, "x", x, 1, "input", g.groups) ||
        !check_groups(ctx, name, "w", w, 0, "output", g.groups) ||
        !check_channels(ctx, name, x, w, x->shape[1], g.groups) ||
        !check_bias(ctx, name, b, w->shape[0]))
        return NULL;
    char sx[GL_SHAPE_BUF], sw[GL_SHAPE_BUF];
    if (op[0] || op[1]) {
        genlab_errorf(ctx, GL_ERR_INVALID,
                      "conv2d: output_padding (%lld, %lld) is for conv_transpose2d only",
                      (long long)op[0], (long long)op[1]);
        return NULL;
    }
    g.kh = w->shape[2];
    g.kw = w->shape[3];
    const int64_t eh = extent(g.kh, g.dh), ew = extent(g.kw, g.dw);
    const int64_t hp = x->shape[2] + 2 * g.ph, wp = x->shape[3] + 2 * g.pw;
    if (eh > hp || ew > wp) {
        genlab_errorf(ctx, GL_ERR_SHAPE,
                      "conv2d: kernel %lldx%lld (dilated %lldx%lld) of w %s is bigger than the "
                      "padded input %lldx%lld of x %s",
                      (long long)g.kh, (long long)g.kw, (long long)eh, (long long)ew,
                      genlab_tensor_shape_str(w, sw, sizeof sw), (long long)hp, (long long)wp,
                      genlab_tensor_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    const int64_t ho = (hp - eh) / g.sh + 1, wo = (wp - ew) / g.sw + 1;
    if (!check_sizes(ctx, name, x->shape[2], x->shape[3], ho, wo, g.kh, g.kw))
        return NULL;
    return conv_fwd_bias(ctx, x, w, b, &g, ho, wo);
}

genlab_tensor *genlab_conv_transpose2d(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                                       genlab_tensor *b, const genlab_conv_opts *opts)
{
    static const char name[] = "conv_transpose2d";
    if (!x || !w || ctx->status != GL_OK)
        return NULL;
    conv_geom g;
    int64_t op[2];
    if (!geom_from_opts(ctx, name, opts, &g, op) ||
        !check_4d(ctx, name, "x", "(N, Cin, H, W)", x) ||
        !check_weight(ctx, name, "(Cin, Cout/groups, kh, kw)", w))
        return NULL;
    char sx[GL_SHAPE_BUF], sw[GL_SHAPE_BUF];
    if (x->shape[1] != w->shape[0]) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: x %s has %lld channels but w %s expects %lld",
                      name, genlab_tensor_shape_str(x, sx, sizeof sx), (long long)x->shape[1],
                      genlab_tensor_shape_str(w, sw, sizeof sw), (long long)w->shape[0]);
        return NULL;
    }
    if (!check_groups(ctx, name, "x", x, 1, "input", g.groups) ||
        !check_bias(ctx, name, b, w->shape[1] * g.groups))
        return NULL;
    g.kh = w->shape[2];
    g.kw = w->shape[3];
    if ((op[0] >= g.sh && op[0] >= g.dh) || (op[1] >= g.sw && op[1] >= g.dw)) {
        genlab_errorf(ctx, GL_ERR_INVALID,
                      "%s: output_padding (%lld, %lld) must be smaller than either stride "
                      "(%lld, %lld) or dilation (%lld, %lld)",
                      name, (long long)op[0], (long long)op[1], (long long)g.sh,
                      (long long)g.sw, (long long)g.dh, (long long)g.dw);
        return NULL;
    }
    if (!check_sizes(ctx, name, 1, 1, x->shape[2], x->shape[3], g.kh, g.kw))
        return NULL;
    const int64_t h = big_size(x->shape[2], g.kh, g.sh, g.ph, g.dh, op[0]);
    const int64_t wd = big_size(x->shape[3], g.kw, g.sw, g.pw, g.dw, op[1]);
    if (h < 1 || wd < 1) {
        genlab_errorf(ctx, GL_ERR_SHAPE,
                      "%s: output size %lldx%lld is not positive for x %s, w %s, stride "
                      "(%lld, %lld), padding (%lld, %lld), dilation (%lld, %lld)",
                      name, (long long)h, (long long)wd, genlab_tensor_shape_str(x, sx, sizeof sx),
                      genlab_tensor_shape_str(w, sw, sizeof sw), (long long)g.sh,
                      (long long)g.sw, (long long)g.ph, (long long)g.pw, (long long)g.dh,
                      (long long)g.dw);
        return NULL;
    }
    if (!check_sizes(ctx, name, h, wd, x->shape[2], x->shape[3], g.kh, g.kw))
        return NULL;
    return add_bias(ctx, conv_tr(ctx, x, w, &g, h, wd), b);
}

genlab_tensor *genlab_conv2d_weight(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gy,
                                    int kh, int kw, const genlab_conv_opts *opts)
{
    static const char name[] = "conv2d_weight";
    if (!x || !gy || ctx->status != GL_OK)
        return NULL;
    conv_geom g;
    int64_t op[2];
    if (!geom_from_opts(ctx, name, opts, &g, op) ||
        !check_4d(ctx, name, "x", "(N, Cin, H, W)", x) ||
        !check_4d(ctx, name, "gy", "(N, Cout, Ho, Wo)", gy) ||
        !check_groups(ctx, name, "x", x, 1, "input", g.groups) ||
        !check_groups(ctx, name, "gy", gy, 1, "output", g.groups))
        return NULL;
    g.kh = kh;
    g.kw = kw;
    if (!check_sizes(ctx, name, x->shape[2], x->shape[3], gy->shape[2], gy->shape[3], kh, kw))
        return NULL;
    char sx[GL_SHAPE_BUF], sg[GL_SHAPE_BUF];
    /* r of the file comment, per axis: the sizes must be a conv2d / conv_transpose2d pair */
    const int64_t rh = x->shape[2] - big_size(gy->shape[2], kh, g.sh, g.ph, g.dh, 0);
    const int64_t rw = x->shape[3] - big_size(gy->shape[3], kw, g.sw, g.pw, g.dw, 0);
    const int64_t mh = g.sh > g.dh ? g.sh : g.dh, mw = g.sw > g.dw ? g.sw : g.dw;
    if (kh < 1 || kw < 1 || x->shape[0] != gy->shape[0] || gy->shape[2] < 1 ||
        gy->shape[3] < 1 || rh < 0 || rh >= mh || rw < 0 || rw >= mw) {
        genlab_errorf(ctx, GL_ERR_SHAPE,
                      "%s: gy %s is not the conv2d output of x %s for kernel %dx%d, stride "
                      "(%lld, %lld), padding (%lld, %lld), dilation (%lld, %lld)",
                      name, genlab_tensor_shape_str(gy, sg, sizeof sg),
                      genlab_tensor_shape_str(x, sx, sizeof sx), kh, kw, (long long)g.sh,
                      (long long)g.sw, (long long)g.ph, (long long)g.pw, (long long)g.dh,
                      (long long)g.dw);
        return NULL;
    }
    return conv_wt(ctx, x, gy, &g);
}
