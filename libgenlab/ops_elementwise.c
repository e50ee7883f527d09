/* SPDX-License-Identifier: MIT
 *
 * ops_elementwise.c — broadcasting arithmetic, activations and the other
 * elementwise functions, each with a backward written in ops.
 *
 * Sections: binary ops, unary ops (kernel-backed), composed activations,
 * interpolation.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* ---- binary ops ---- */

static genlab_tensor *binary(genlab_ctx *ctx, const gl_op *op, genlab_binary_kind kind,
                             genlab_tensor *a, genlab_tensor *b)
{
    if (!a || !b || ctx->status != GL_OK)
        return NULL;
    if (!gl_check_f32(ctx, op->name, "a", a) || !gl_check_f32(ctx, op->name, "b", b))
        return NULL;
    int nd;
    int64_t shape[GL_MAX_DIMS];
    if (!gl_broadcast_shape(a->ndim, a->shape, b->ndim, b->shape, &nd, shape)) {
        char sa[GL_SHAPE_BUF], sb[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "%s: shapes %s and %s do not broadcast", op->name,
                      genlab_tensor_shape_str(a, sa, sizeof sa),
                      genlab_tensor_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    genlab_tensor *y = gl_new(ctx, GL_F32, nd, shape);
    if (!y)
        return NULL;
    genlab_strided s;
    gl_walk_bcast(&s, y, a, b);
    ctx->be->binary(ctx->be_state, kind, gl_f32(a), gl_f32(b), gl_f32(y), &s);
    genlab_tensor *in[2] = {a, b};
    gl_record(ctx, op, &y, 2, in);
    return y;
}

/* gradient of a broadcast operand: sum gy back to the operand's shape */
static genlab_tensor *to_shape(genlab_ctx *ctx, genlab_tensor *g, const genlab_tensor *like)
{
    return genlab_sum_to(ctx, g, like->ndim, like->shape);
}

static void add_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    if (gl_needs_grad(ctx, n, 0))
        gx[0] = to_shape(ctx, gy, n->in[0]);
    if (gl_needs_grad(ctx, n, 1))
        gx[1] = to_shape(ctx, gy, n->in[1]);
}

static void sub_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    if (gl_needs_grad(ctx, n, 0))
        gx[0] = to_shape(ctx, gy, n->in[0]);
    if (gl_needs_grad(ctx, n, 1))
        gx[1] = to_shape(ctx, genlab_scale(ctx, gy, -1.0f), n->in[1]);
}

static void mul_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    if (gl_needs_grad(ctx, n, 0))
        gx[0] = to_shape(ctx, genlab_mul(ctx, gy, n->in[1]), n->in[0]);
    if (gl_needs_grad(ctx, n, 1))
        gx[1] = to_shape(ctx, genlab_mul(ctx, gy, n->in[0]), n->in[1]);
}

static void div_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    genlab_tensor *a = n->in[0], *b = n->in[1];
    if (gl_needs_grad(ctx, n, 0))
        gx[0] = to_shape(ctx, genlab_div(ctx, gy, b), a);
    if (gl_needs_grad(ctx, n, 1)) {
        /* d(a/b)/db = -a / b^2 */
        genlab_tensor *t = genlab_div(ctx, genlab_mul(ctx, gy, a), genlab_mul(ctx, b, b));
        gx[1] = to_shape(ctx, genlab_scale(ctx, t, -1.0f), b);
    }
}

static const gl_op op_add = {"add", add_backward};
static const gl_op op_sub = {"sub", sub_backward};
static const gl_op op_mul = {"mul", mul_backward};
static const gl_op op_div = {"div", div_backward};

genlab_tensor *genlab_add(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b)
{
    return binary(ctx, &op_add, GL_BINARY_ADD, a, b);
}
genlab_tensor *genlab_sub(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b)
{
    return binary(ctx, &op_sub, GL_BINARY_SUB, a, b);
}
genlab_tensor *genlab_mul(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b)
{
    return binary(ctx, &op_mul, GL_BINARY_MUL, a, b);
}
genlab_tensor *genlab_div(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b)
{
    return binary(ctx, &op_div, GL_BINARY_DIV, a, b);
}

/* ---- unary ops backed by one kernel ----
 * node->f[0], f[1]: the kernel's alpha and beta. */

static genlab_tensor *unary(genlab_ctx *ctx, const gl_op *op, genlab_unary_kind kind,
                            float alpha, float beta, genlab_tensor *x)
{
    if (!x || ctx->status != GL_OK || !gl_check_f32(ctx, op->name, "x", x))
        return NULL;
    genlab_tensor *y = gl_new_like(ctx, x);
    if (!y)
        return NULL;
    ctx->be->unary(ctx->be_state, kind, alpha, beta, gl_f32(x), gl_f32(y), x->numel);
    gl_node *n = gl_record(ctx, op, &y, 1, &x);
    if (n) {
        n->f[0] = alpha;
        n->f[1] = beta;
    }
    return y;
}

genlab_tensor *gl_unary_const(genlab_ctx *ctx, genlab_unary_kind kind, float alpha,
                              genlab_tensor *x)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    genlab_tensor *y = gl_new_like(ctx, x);
    if (y)
        ctx->be->unary(ctx->be_state, kind, alpha, 0.0f, gl_f32(x), gl_f32(y), x->numel);
    return y;
}

static void affine_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_scale(ctx, gy, n->f[0]);
}

static void exp_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_mul(ctx, gy, n->out);
}

static void log_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_div(ctx, gy, n->in[0]);
}

static void sqrt_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_div(ctx, genlab_scale(ctx, gy, 0.5f), n->out);
}

static void tanh_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    /* 1 - y^2 */
    genlab_tensor *y = n->out;
    gx[0] = genlab_mul(ctx, gy, genlab_affine(ctx, genlab_mul(ctx, y, y), -1.0f, 1.0f));
}

static void sigmoid_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    /* y (1 - y) */
    genlab_tensor *y = n->out;
    gx[0] = genlab_mul(ctx, gy, genlab_mul(ctx, y, genlab_affine(ctx, y, -1.0f, 1.0f)));
}

static void softplus_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_mul(ctx, gy, genlab_sigmoid(ctx, n->in[0]));
}

static void abs_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    gx[0] = genlab_mul(ctx, gy, gl_unary_const(ctx, GL_UNARY_SIGN, 0.0f, n->in[0]));
}

static void erf_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    /* 2/sqrt(pi) exp(-x^2) */
    genlab_tensor *x = n->in[0];
    genlab_tensor *e = genlab_exp(ctx, genlab_scale(ctx, genlab_mul(ctx, x, x), -1.0f));
    gx[0] = genlab_mul(ctx, gy, genlab_scale(ctx, e, 1.1283791670955126f));
}

static void pow_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    float p = n->f[0];
    gx[0] = genlab_mul(ctx, gy, genlab_scale(ctx, genlab_pow(ctx, n->in[0], p - 1.0f), p));
}

static void leaky_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gy, genlab_tensor **gx)
{
    /* the mask is piecewise constant: no gradient flows through it */
    gx[0] = genlab_mul(ctx, gy, gl_unary_const(ctx, GL_UNARY_LEAKY_MASK, n->f[0], n->in[0]));
}

static const gl_op op_affine = {"affine", affine_backward};
static const gl_op op_exp = {"exp", exp_backward};
static const gl_op op_log = {"log", log_backward};
static const gl_op op_sqrt = {"sqrt", sqrt_backward};
static const gl_op op_tanh = {"tanh", tanh_backward};
static const gl_op op_sigmoid = {"sigmoid", sigmoid_backward};
static const gl_op op_softplus = {"softplus", softplus_backward};
static const gl_op op_abs = {"abs", abs_backward};
static const gl_op op_erf = {"erf", erf_backward};
static const gl_op op_pow = {"pow", pow_backward};
static const gl_op op_leaky = {"leaky_relu", leaky_backward};

genlab_tensor *genlab_scale(genlab_ctx *ctx, genlab_tensor *x, float s)
{
    return unary(ctx, &op_affine, GL_UNARY_AFFINE, s, 0.0f, x);
}
genlab_tensor *genlab_affine(genlab_ctx *ctx, genlab_tensor *x, float s, float c)
{
    return unary(ctx, &op_affine, GL_UNARY_AFFINE, s, c, x);
}
genlab_tensor *genlab_exp(genlab_ctx *ctx, genlab_tensor *x)
{
    return unary(ctx, &op_exp, GL_UNARY_EXP, 0, 0, x);
}
genlab_tensor *genlab_log(genlab_ctx *ctx, genlab_tensor *x)
{
    return unary(ctx, &op_log, GL_UNARY_LOG, 0, 0, x);
}
genlab_tensor *genlab_sqrt(genlab_ctx *ctx, genlab_tensor *x)
{
    return unary(ctx, &op_sqrt, GL_UNARY_SQRT, 0, 0, x);
}
genlab_tensor *genlab_tanh(genlab_ctx *ctx, genlab_tensor *x)
{
    return unary(ctx, &op_tanh, GL_UNARY_TANH, 0, 0, x);
}
genlab_tensor *genlab_sigmoid(genlab_ctx *ctx, genlab_tensor *x)
{
    return unary(ctx, &op_sigmoid, GL_UNARY_SIGMOID, 0, 0, x);
}
genlab_tensor *genlab_softplus(genlab_ctx *ctx, genlab_tensor *x)
{
    return unary(ctx, &op_softplus, GL_UNARY_SOFTPLUS, 0, 0, x);
}
genlab_tensor *genlab_abs(genlab_ctx *ctx, genlab_tensor *x)
{
    return unary(ctx, &op_abs, GL_UNARY_ABS, 0, 0, x);
}
genlab_tensor *genlab_pow(genlab_ctx *ctx, genlab_tensor *x, float p)
{
    return unary(ctx, &op_pow, GL_UNARY_POW, p, 0, x);
}
genlab_tensor *genlab_leaky_relu(genlab_ctx *ctx, genlab_tensor *x, float slope)
{
    return unary(ctx, &op_leaky, GL_UNARY_LEAKY_RELU, slope, 0, x);
}
genlab_tensor *genlab_relu(genlab_ctx *ctx, genlab_tensor *x)
{
    return unary(ctx, &op_leaky, GL_UNARY_LEAKY_RELU, 0.0f, 0, x);
}

/* ---- composed activations ---- */

genlab_tensor *genlab_silu(genlab_ctx *ctx, genlab_tensor *x)
{
    return genlab_mul(ctx, x, genlab_sigmoid(ctx, x));
}

genlab_tensor *genlab_gelu(genlab_ctx *ctx, genlab_tensor *x)
{
    /* x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2 */
    genlab_tensor *e = unary(ctx, &op_erf, GL_UNARY_ERF, 0, 0,
                             genlab_scale(ctx, x, 0.7071067811865476f));
    return genlab_mul(ctx, x, genlab_affine(ctx, e, 0.5f, 0.5f));
}

genlab_tensor *genlab_dropout(genlab_ctx *ctx, genlab_tensor *x, float p, bool training)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    if (!(p >= 0.0f && p < 1.0f)) {
        genlab_errorf(ctx, GL_ERR_INVALID, "dropout: p = %g is outside [0, 1)", (double)p);
        return NULL;
    }
    if (!training || p == 0.0f)
        return x;
    genlab_tensor *mask = gl_new_like(ctx, x);
    if (!mask)
        return NULL;
    if (genlab_rng_fill(ctx, mask, GL_STREAM_DROPOUT, 0, 0.0f, 1.0f) != GL_OK)
        return NULL;
    /* keep where u >= p: (u - p) > 0 up to the measure-zero u == p */
    ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, 1.0f, -p, gl_f32(mask), gl_f32(mask),
                   mask->numel);
    ctx->be->unary(ctx->be_state, GL_UNARY_LEAKY_MASK, 0.0f, 0.0f, gl_f32(mask), gl_f32(mask),
                   mask->numel);
    ctx->be->unary(ctx->be_state, GL_UNARY_AFFINE, 1.0f / (1.0f - p), 0.0f, gl_f32(mask),
                   gl_f32(mask), mask->numel);
    return genlab_mul(ctx, x, mask);
}

/* ---- interpolation ---- */

genlab_tensor *genlab_lerp_steps(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b,
                                 int64_t steps)
{
    if (!a || !b || ctx->status != GL_OK)
        return NULL;
    if (!gl_check_f32(ctx, "lerp_steps", "a", a) || !gl_check_f32(ctx, "lerp_steps", "b", b))
        return NULL;
    char sa[GL_SHAPE_BUF], sb[GL_SHAPE_BUF];
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof *a->shape)) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "lerp_steps: a %s and b %s differ in shape",
                      genlab_tensor_shape_str(a, sa, sizeof sa),
                      genlab_tensor_shape_str(b, sb, sizeof sb));
        return NULL;
    }
    if (a->ndim + 1 > GL_MAX_DIMS || steps < 2 || steps > (int64_t)1 << 20) {
        genlab_errorf(ctx, GL_ERR_INVALID, "lerp_steps: steps = %lld (needs [2, 2^20]) for a %s "
                      "(at most %d axes)", (long long)steps,
                      genlab_tensor_shape_str(a, sa, sizeof sa), GL_MAX_DIMS - 1);
        return NULL;
    }
    /* the weights as (steps, 1, ..., 1), broadcast over a's axes */
    int64_t shape[GL_MAX_DIMS] = {steps};
    for (int i = 1; i <= a->ndim; i++)
        shape[i] = 1;
    genlab_tensor *w = gl_new(ctx, GL_F32, a->ndim + 1, shape);
    if (!w)
        return NULL;
    gl_sync(ctx);
    for (int64_t t = 0; t < steps; t++)
        gl_f32(w)[t] = (float)((double)t / (double)(steps - 1));
    /* (1 - w) a + w b rather than a + w (b - a): both ends exact */
    return genlab_add(ctx, genlab_mul(ctx, genlab_affine(ctx, w, -1.0f, 1.0f), a),
                      genlab_mul(ctx, w, b));
}
