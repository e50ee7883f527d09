/* SPDX-License-Identifier: MIT
 *
 * test_ops_nn.c — the normalisation ops, the softmax family and the losses:
 * gradient checks (first and second order), forward values against
 * double-precision hand computations, batch-norm running statistics,
 * numerical stability at large inputs, and the error messages.
 *
 * Not here: PyTorch golden-file parity for the normalisations (a separate
 * suite). Each table row is one case; the op's integer argument (groups,
 * axis, n_axes or reduction) sits in the row and reaches the op through the
 * gradient checker's user pointer.
 *
 * Sections: gradient checks, normalisation values, running statistics,
 * softmax and loss values, stability, errors.
 */
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

#define EPS_NORM 1e-5f

/* ---- gradient checks ---- */

typedef struct nn_case {
    const char *name;
    gc_fn       f;
    int         arg;        /* groups, axis, n_axes, reduction, or 1 = with running stats */
    int         n_in;
    int         ndim[3];
    int64_t     shape[3][4];
    float       lo[3], hi[3]; /* input ranges */
    bool        avoid0;     /* keep input 0 away from 0 (l1's kink, target kept near 0) */
} nn_case;

static int arg_of(void *u) { return ((const nn_case *)u)->arg; }
static genlab_tensor *opt_in(genlab_tensor **x, void *u, int i)
{
    return ((const nn_case *)u)->n_in > i ? x[i] : NULL;
}

/* per-channel constants for running statistics (var kept well above 0) */
static genlab_tensor *channel_consts(genlab_ctx *c, int64_t ch, float base, float step)
{
    genlab_tensor *t = genlab_tensor_new(c, GL_F32, 1, (const int64_t[]){ch});
    for (int64_t i = 0; t && i < ch; i++)
        genlab_tensor_f32_mut(t)[i] = base + step * (float)i;
    return t;
}

static genlab_tensor *f_bn_train(genlab_ctx *c, genlab_tensor **x, void *u)
{
    genlab_tensor *rm = NULL, *rv = NULL;
    if (arg_of(u)) {
        /* fresh buffers each call: the in-place update must not disturb the graph */
        rm = channel_consts(c, genlab_tensor_dim(x[0], 1), 0.0f, 0.0f);
        rv = channel_consts(c, genlab_tensor_dim(x[0], 1), 1.0f, 0.0f);
    }
    return genlab_batch_norm(c, x[0], opt_in(x, u, 1), opt_in(x, u, 2), rm, rv, true, 0.1f,
                             EPS_NORM);
}
static genlab_tensor *f_bn_eval(genlab_ctx *c, genlab_tensor **x, void *u)
{
    int64_t ch = genlab_tensor_dim(x[0], 1);
    return genlab_batch_norm(c, x[0], opt_in(x, u, 1), opt_in(x, u, 2),
                             channel_consts(c, ch, -0.2f, 0.15f), channel_consts(c, ch, 0.5f, 0.3f),
                             false, 0.1f, EPS_NORM);
}
static genlab_tensor *f_gn(genlab_ctx *c, genlab_tensor **x, void *u)
{ return genlab_group_norm(c, x[0], arg_of(u), opt_in(x, u, 1), opt_in(x, u, 2), EPS_NORM); }
static genlab_tensor *f_ln(genlab_ctx *c, genlab_tensor **x, void *u)
{ return genlab_layer_norm(c, x[0], arg_of(u), opt_in(x, u, 1), opt_in(x, u, 2), EPS_NORM); }
static genlab_tensor *f_softmax(genlab_ctx *c, genlab_tensor **x, void *u)
{ return genlab_softmax(c, x[0], arg_of(u)); }
static genlab_tensor *f_log_softmax(genlab_ctx *c, genlab_tensor **x, void *u)
{ return genlab_log_softmax(c, x[0], arg_of(u)); }
static genlab_tensor *f_bce(genlab_ctx *c, genlab_tensor **x, void *u)
{ return genlab_bce_with_logits(c, x[0], x[1], (genlab_reduction)arg_of(u)); }
static genlab_tensor *f_mse(genlab_ctx *c, genlab_tensor **x, void *u)
{ return genlab_mse_loss(c, x[0], x[1], (genlab_reduction)arg_of(u)); }
static genlab_tensor *f_l1(genlab_ctx *c, genlab_tensor **x, void *u)
{ return genlab_l1_loss(c, x[0], x[1], (genlab_reduction)arg_of(u)); }
static genlab_tensor *f_ce(genlab_ctx *c, genlab_tensor **x, void *u)
{
    int64_t n = genlab_tensor_dim(x[0], 0), k = genlab_tensor_dim(x[0], 1);
    genlab_tensor *labels = genlab_tensor_new(c, GL_I32, 1, (const int64_t[]){n});
    for (int64_t i = 0; labels && i < n; i++)
        ((int32_t *)genlab_tensor_data(labels))[i] = (int32_t)((3 * i + 1) % k);
    return genlab_cross_entropy(c, x[0], labels, (genlab_reduction)arg_of(u));
}

enum { MEAN = GL_REDUCE_MEAN, SUM = GL_REDUCE_SUM, NONE = GL_REDUCE_NONE };
#define X4 {4, 3, 2, 2}
#define C3 {3}
#define U1 {-1, -1, -1}, {1, 1, 1}
/* gamma kept away from 0 and beta anywhere; the gradient wrt beta is trivial,
 * wrt gamma is not */
#define UG {-1, 0.5f, -1}, {1, 1.5f, 1}

static const nn_case cases[] = {
    /* name                    fn             arg   n  ndims       shapes                     lo, hi  avoid0 */
    {"bn train",               f_bn_train,    0,    1, {4},        {X4},                      U1, false},
    {"bn train affine",        f_bn_train,    0,    3, {4, 1, 1},  {X4, C3, C3},              UG, false},
    {"bn train 2-D affine",    f_bn_train,    0,    3, {2, 1, 1},  {{5, 3}, C3, C3},          UG, false},
    {"bn train gamma only",    f_bn_train,    0,    2, {3, 1},     {{3, 3, 4}, C3},           UG, false},
    {"bn train + running",     f_bn_train,    1,    3, {4, 1, 1},  {X4, C3, C3},              UG, false},
    {"bn eval",                f_bn_eval,     0,    1, {4},        {X4},                      U1, false},
    {"bn eval affine",         f_bn_eval,     0,    3, {4, 1, 1},  {X4, C3, C3},              UG, false},
    {"gn groups 1",            f_gn,          1,    3, {4, 1, 1},  {{2, 4, 3, 2}, {4}, {4}},  UG, false},
    {"gn groups 2",            f_gn,          2,    3, {4, 1, 1},  {{2, 4, 3, 2}, {4}, {4}},  UG, false},
    {"gn groups C",            f_gn,          4,    3, {4, 1, 1},  {{2, 4, 3, 2}, {4}, {4}},  UG, false},
    {"gn groups 2, no affine", f_gn,          2,    1, {3},        {{2, 4, 5}},               U1, false},
    {"ln 1 axis",              f_ln,          1,    3, {3, 1, 1},  {{2, 3, 5}, {5}, {5}},     UG, false},
    {"ln 2 axes",              f_ln,          2,    3, {3, 2, 2},  {{2, 3, 4}, {3, 4}, {3, 4}}, UG, false},
    {"ln 2 axes, no affine",   f_ln,          2,    1, {3},        {{2, 3, 4}},               U1, false},
    {"softmax axis 1",         f_softmax,     1,    1, {3},        {{2, 4, 3}},               {-2}, {2}, false},
    {"softmax axis -1",        f_softmax,     -1,   1, {2},        {{3, 5}},                  {-2}, {2}, false},
    {"log_softmax axis 1",     f_log_softmax, 1,    1, {3},        {{2, 4, 3}},               {-2}, {2}, false},
    {"log_softmax axis -1",    f_log_softmax, -1,   1, {2},        {{3, 5}},                  {-2}, {2}, false},
    /* targets in [0, 1] as probabilities; the gradient wrt them is -x */
    {"bce mean",               f_bce,         MEAN, 2, {2, 2},     {{3, 4}, {3, 4}},          {-3, 0}, {3, 1}, false},
    {"bce sum",                f_bce,         SUM,  2, {2, 2},     {{3, 4}, {3, 4}},          {-3, 0}, {3, 1}, false},
    {"bce none",               f_bce,         NONE, 2, {2, 2},     {{3, 4}, {3, 4}},          {-3, 0}, {3, 1}, false},
    {"mse mean",               f_mse,         MEAN, 2, {3, 3},     {{2, 3, 2}, {2, 3, 2}},    U1, false},
    {"mse sum",                f_mse,         SUM,  2, {3, 3},     {{2, 3, 2}, {2, 3, 2}},    U1, false},
    {"mse none",               f_mse,         NONE, 2, {3, 3},     {{2, 3, 2}, {2, 3, 2}},    U1, false},
    /* x away from 0 by 0.05 and |target| <= 0.01: |x - target| >= 0.04, beyond
     * the 0.01 finite-difference step, with both signs present */
    {"l1 mean",                f_l1,          MEAN, 2, {2, 2},     {{4, 5}, {4, 5}},          {-1, -0.01f}, {1, 0.01f}, true},
    {"l1 sum",                 f_l1,          SUM,  2, {2, 2},     {{4, 5}, {4, 5}},          {-1, -0.01f}, {1, 0.01f}, true},
    {"l1 none",                f_l1,          NONE, 2, {2, 2},     {{4, 5}, {4, 5}},          {-1, -0.01f}, {1, 0.01f}, true},
    {"cross_entropy mean",     f_ce,          MEAN, 1, {2},        {{5, 4}},                  {-2}, {2}, false},
    {"cross_entropy sum",      f_ce,          SUM,  1, {2},        {{5, 4}},                  {-2}, {2}, false},
    {"cross_entropy none",     f_ce,          NONE, 1, {2},        {{5, 4}},                  {-2}, {2}, false},
};

START_TEST(test_gradcheck)
{
    const nn_case *c = &cases[_i];
    genlab_ctx *ctx = tu_ctx(7);
    genlab_tensor *x[3] = {0};
    for (int k = 0; k < c->n_in; k++) {
        x[k] = gc_input(ctx, c->ndim[k], c->shape[k], c->lo[k], c->hi[k],
                        13u * (unsigned)_i + (unsigned)k);
        ck_assert_ptr_nonnull(x[k]);
    }
    if (c->avoid0)
        gc_avoid(x[0], (const float[]){0.0f}, 1, 0.05f);
    /* the checker's default tolerances (atol 2e-3, rtol 2e-2) cover float32
     * central differences with step 1e-2 on O(1) values: truncation error
     * ~eps^2 f''' and rounding ~1e-7 |L| / eps, both below 1e-3 here */
    gc_opts o = {.eps = 1e-2, .second = true};
    char msg[512];
    bool ok = gc_check(ctx, c->f, (void *)c, c->n_in, x, &o, msg, sizeof msg);
    for (int k = 0; k < c->n_in; k++)
        genlab_tensor_free(x[k]);
    genlab_ctx_destroy(ctx);
    ck_assert_msg(ok, "%s: %s", c->name, msg);
}
END_TEST

/* ---- normalisation values ---- */

/* Reference normalisation in double over x viewed as (N, C, S): element
 * (n, c, s) belongs to statistic stat_of() and uses affine entry param_of(). */
typedef enum { NK_BATCH, NK_GROUP, NK_LAYER1, NK_LAYER2 } norm_kind;

typedef struct norm_case {
    const char *name;
    norm_kind   kind;
    int         groups;   /* group_norm */
    bool        affine;
    int64_t     n, c, s;  /* x is (N, C, S) */
} norm_case;

static int64_t stat_of(const norm_case *k, int64_t n, int64_t c, int64_t s)
{
    (void)s;
    switch (k->kind) {
    case NK_BATCH:  return c;
    case NK_GROUP:  return n * k->groups + c / (k->c / k->groups);
    case NK_LAYER1: return n * k->c + c;
    default:        return n;
    }
}

static int64_t param_of(const norm_case *k, int64_t c, int64_t s)
{
    return k->kind == NK_LAYER1 ? s : k->kind == NK_LAYER2 ? c * k->s + s : c;
}

static void ref_norm(const norm_case *k, const float *x, const float *g, const float *b,
                     double *out)
{
    enum { MAXS = 64 };
    double sum[MAXS] = {0}, sq[MAXS] = {0}, cnt[MAXS] = {0};
    for (int pass = 0; pass < 2; pass++)
        for (int64_t n = 0; n < k->n; n++)
            for (int64_t c = 0; c < k->c; c++)
                for (int64_t s = 0; s < k->s; s++) {
                    int64_t i = (n * k->c + c) * k->s + s, j = stat_of(k, n, c, s);
                    if (pass == 0) {
                        sum[j] += x[i];
                        cnt[j] += 1;
                    } else {
                        double d = x[i] - sum[j] / cnt[j];
                        sq[j] += d * d;
                    }
                }
    for (int64_t n = 0; n < k->n; n++)
        for (int64_t c = 0; c < k->c; c++)
            for (int64_t s = 0; s < k->s; s++) {
                int64_t i = (n * k->c + c) * k->s + s, j = stat_of(k, n, c, s);
                int64_t p = param_of(k, c, s);
                double y = (x[i] - sum[j] / cnt[j]) / sqrt(sq[j] / cnt[j] + (double)EPS_NORM);
                out[i] = k->affine ? y * g[p] + b[p] : y;
            }
}

static const norm_case norm_cases[] = {
    /* name                  kind        groups affine  N  C  S */
    {"batch_norm",           NK_BATCH,   0,     false,  4, 3, 5},
    {"batch_norm affine",    NK_BATCH,   0,     true,   3, 2, 1},
    {"group_norm 1",         NK_GROUP,   1,     true,   2, 6, 4},
    {"group_norm 3",         NK_GROUP,   3,     true,   2, 6, 4},
    {"group_norm C",         NK_GROUP,   6,     false,  2, 6, 4},
    {"layer_norm 1 axis",    NK_LAYER1,  0,     true,   2, 3, 7},
    {"layer_norm 2 axes",    NK_LAYER2,  0,     true,   2, 3, 7},
};

START_TEST(test_norm_values)
{
    const norm_case *k = &norm_cases[_i];
    genlab_ctx *ctx = tu_ctx(3);
    const int64_t shape[3] = {k->n, k->c, k->s};
    /* an offset and scale far from (0, 1) so a missing centring or scaling shows */
    genlab_tensor *x = genlab_affine(ctx, genlab_randn(ctx, 3, shape), 3.0f, 5.0f);
    int pn = k->kind == NK_LAYER1 ? 1 : k->kind == NK_LAYER2 ? 2 : 1;
    const int64_t *pshape = k->kind == NK_LAYER1 ? &k->s : k->kind == NK_LAYER2 ? &shape[1] : &k->c;
    genlab_tensor *g = k->affine ? genlab_affine(ctx, genlab_randn(ctx, pn, pshape), 0.5f, 1.0f) : NULL;
    genlab_tensor *b = k->affine ? genlab_randn(ctx, pn, pshape) : NULL;
    genlab_tensor *y = NULL;
    switch (k->kind) {
    case NK_BATCH:  y = genlab_batch_norm(ctx, x, g, b, NULL, NULL, true, 0.1f, EPS_NORM); break;
    case NK_GROUP:  y = genlab_group_norm(ctx, x, k->groups, g, b, EPS_NORM); break;
    case NK_LAYER1: y = genlab_layer_norm(ctx, x, 1, g, b, EPS_NORM); break;
    case NK_LAYER2: y = genlab_layer_norm(ctx, x, 2, g, b, EPS_NORM); break;
    }
    ck_assert_msg(y != NULL, "%s: %s", k->name, genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(genlab_tensor_ndim(y), 3);
    double want[256];
    ck_assert_int_le(genlab_tensor_numel(x), 256);
    ref_norm(k, genlab_tensor_f32(x), g ? genlab_tensor_f32(g) : NULL,
             b ? genlab_tensor_f32(b) : NULL, want);
    /* float32 statistics over <= 20 values of magnitude ~10: relative error
     * ~1e-6 on xhat, times |gamma| <= ~3 */
    for (int64_t i = 0; i < genlab_tensor_numel(y); i++)
        ck_assert_msg(fabs(genlab_tensor_f32(y)[i] - want[i]) < 2e-5, "%s [%lld]: %.7g vs %.7g",
                      k->name, (long long)i, genlab_tensor_f32(y)[i], want[i]);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* eval mode: (x - running_mean) / sqrt(running_var + eps) * gamma + beta, hand-computed */
START_TEST(test_bn_eval_values)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = genlab_tensor_from(ctx, 3, TU_SHAPE(2, 2, 1), (const float[]){1, 2, 3, 4});
    genlab_tensor *rm = genlab_tensor_from(ctx, 1, TU_SHAPE(2), (const float[]){1, -1});
    genlab_tensor *rv = genlab_tensor_from(ctx, 1, TU_SHAPE(2), (const float[]){4, 0.25f});
    genlab_tensor *g = genlab_tensor_from(ctx, 1, TU_SHAPE(2), (const float[]){2, 3});
    genlab_tensor *b = genlab_tensor_from(ctx, 1, TU_SHAPE(2), (const float[]){0.5f, -1});
    genlab_tensor *y = genlab_batch_norm(ctx, x, g, b, rm, rv, false, 0.1f, 0.0f);
    ck_assert_ptr_nonnull(y);
    /* channel 0: (x - 1) / 2 * 2 + 0.5; channel 1: (x + 1) / 0.5 * 3 - 1 */
    const float want[] = {0.5f, 17.0f, 2.5f, 29.0f};
    for (int i = 0; i < 4; i++)
        /* a handful of float32 operations on values <= 30: a few ulp */
        ck_assert_float_eq_tol(genlab_tensor_f32(y)[i], want[i], 1e-5f);
    /* eval mode leaves the running statistics alone */
    ck_assert_float_eq(genlab_tensor_f32(rm)[1], -1.0f);
    ck_assert_float_eq(genlab_tensor_f32(rv)[0], 4.0f);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- running statistics ---- */

START_TEST(test_bn_running)
{
    genlab_ctx *ctx = tu_ctx(5);
    const int64_t shape[3] = {3, 2, 4}; /* 12 values per channel */
    genlab_tensor *rm = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(2));
    genlab_tensor *rv = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(2));
    genlab_tensor *x = genlab_tensor_new_persistent(ctx, GL_F32, 3, shape);
    genlab_tensor_f32_mut(rv)[0] = genlab_tensor_f32_mut(rv)[1] = 1.0f; /* PyTorch's init */
    genlab_tensor_set_requires_grad(x, true);
    const float m = 0.1f;
    double want_m[2] = {0, 0}, want_v[2] = {1, 1};
    for (int step = 0; step < 2; step++) {
        genlab_ctx_step_begin(ctx);
        genlab_tensor *r = genlab_affine(ctx, genlab_randn(ctx, 3, shape), 2.0f, 1.0f + (float)step);
        genlab_tensor_copy_into(ctx, x, r);
        const float *xv = genlab_tensor_f32(x);
        for (int c = 0; c < 2; c++) {
            double s = 0, sq = 0;
            for (int n = 0; n < 3; n++)
                for (int k = 0; k < 4; k++)
                    s += xv[(n * 2 + c) * 4 + k];
            double mean = s / 12;
            for (int n = 0; n < 3; n++)
                for (int k = 0; k < 4; k++)
                    sq += pow(xv[(n * 2 + c) * 4 + k] - mean, 2);
            want_m[c] = (1 - m) * want_m[c] + m * mean;
            want_v[c] = (1 - m) * want_v[c] + m * sq / 11; /* unbiased */
        }
        genlab_tensor *y = genlab_batch_norm(ctx, x, NULL, NULL, rm, rv, true, m, EPS_NORM);
        ck_assert_ptr_nonnull(y);
        /* the update is not on the tape: the buffers stay plain leaves */
        ck_assert(!genlab_tensor_requires_grad(rm) && !genlab_tensor_requires_grad(rv));
        /* and the output is still differentiable wrt x */
        genlab_tensor *gx;
        genlab_tensor *l = genlab_sum_all(ctx, genlab_mul(ctx, y, y));
        ck_assert_int_eq(genlab_grad(ctx, 1, &l, NULL, 1, &x, false, &gx), GL_OK);
    }
    for (int c = 0; c < 2; c++) {
        /* float32 statistics of 12 O(1) values: ~1e-6 relative */
        ck_assert_msg(fabs(genlab_tensor_f32(rm)[c] - want_m[c]) < 1e-5, "mean[%d] %.7g vs %.7g",
                      c, genlab_tensor_f32(rm)[c], want_m[c]);
        ck_assert_msg(fabs(genlab_tensor_f32(rv)[c] - want_v[c]) < 1e-5, "var[%d] %.7g vs %.7g",
                      c, genlab_tensor_f32(rv)[c], want_v[c]);
    }
    genlab_tensor_free(x);
    genlab_tensor_free(rm);
    genlab_tensor_free(rv);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- softmax and loss values ---- */

/* compare n float32 results with double references; tol as stated by the caller */
static void expect_close(const char *what, const genlab_tensor *t, const double *want, int n,
                         double tol)
{
    ck_assert_msg(t != NULL, "%s: NULL", what);
    ck_assert_int_eq(genlab_tensor_numel(t), n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(fabs(genlab_tensor_f32(t)[i] - want[i]) <= tol, "%s [%d]: %.9g vs %.9g",
                      what, i, genlab_tensor_f32(t)[i], want[i]);
}

START_TEST(test_softmax_values)
{
    genlab_ctx *ctx = tu_ctx(1);
    /* rows [1, 2, 3] and [0, 0, -1] */
    genlab_tensor *x = genlab_tensor_from(ctx, 2, TU_SHAPE(2, 3), (const float[]){1, 2, 3, 0, 0, -1});
    double z0 = exp(1) + exp(2) + exp(3), z1 = 2 + exp(-1);
    const double sm[] = {exp(1) / z0, exp(2) / z0, exp(3) / z0, 1 / z1, 1 / z1, exp(-1) / z1};
    double lsm[6];
    for (int i = 0; i < 6; i++)
        lsm[i] = log(sm[i]);
    /* float32 exp/log/div of O(1) values: a few ulp of 1 */
    expect_close("softmax axis -1", genlab_softmax(ctx, x, -1), sm, 6, 1e-6);
    expect_close("log_softmax axis 1", genlab_log_softmax(ctx, x, 1), lsm, 6, 2e-6);
    /* axis 0: column j of [[1, 2, 3], [0, 0, -1]] */
    double col[6];
    const float *xv = genlab_tensor_f32(x);
    for (int j = 0; j < 3; j++) {
        double a = exp(xv[j]), b = exp(xv[3 + j]);
        col[j] = a / (a + b);
        col[3 + j] = b / (a + b);
    }
    expect_close("softmax axis 0", genlab_softmax(ctx, x, 0), col, 6, 1e-6);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_loss_values)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = genlab_tensor_from(ctx, 1, TU_SHAPE(4), (const float[]){1, 2, 3, 4});
    genlab_tensor *t = genlab_tensor_from(ctx, 1, TU_SHAPE(4), (const float[]){0, 2, 5, 1});
    /* differences 1, 0, -2, 3: small integers, exact in float32 */
    expect_close("mse none", genlab_mse_loss(ctx, x, t, GL_REDUCE_NONE), (const double[]){1, 0, 4, 9}, 4, 0);
    expect_close("mse sum", genlab_mse_loss(ctx, x, t, GL_REDUCE_SUM), (const double[]){14}, 1, 0);
    expect_close("mse mean", genlab_mse_loss(ctx, x, t, GL_REDUCE_MEAN), (const double[]){3.5}, 1, 0);
    expect_close("l1 none", genlab_l1_loss(ctx, x, t, GL_REDUCE_NONE), (const double[]){1, 0, 2, 3}, 4, 0);
    expect_close("l1 sum", genlab_l1_loss(ctx, x, t, GL_REDUCE_SUM), (const double[]){6}, 1, 0);
    expect_close("l1 mean", genlab_l1_loss(ctx, x, t, GL_REDUCE_MEAN), (const double[]){1.5}, 1, 0);

    /* bce: -t log s(x) - (1 - t) log(1 - s(x)) at moderate values */
    genlab_tensor *lg = genlab_tensor_from(ctx, 1, TU_SHAPE(3), (const float[]){-1.5f, 0, 2});
    genlab_tensor *tg = genlab_tensor_from(ctx, 1, TU_SHAPE(3), (const float[]){0.25f, 1, 0});
    double bce[3], tot = 0;
    for (int i = 0; i < 3; i++) {
        double xi = genlab_tensor_f32(lg)[i], ti = genlab_tensor_f32(tg)[i];
        double s = 1 / (1 + exp(-xi));
        bce[i] = -ti * log(s) - (1 - ti) * log(1 - s);
        tot += bce[i];
    }
    /* softplus and a product of O(1) values: a few ulp */
    expect_close("bce none", genlab_bce_with_logits(ctx, lg, tg, GL_REDUCE_NONE), bce, 3, 1e-6);
    expect_close("bce sum", genlab_bce_with_logits(ctx, lg, tg, GL_REDUCE_SUM), &tot, 1, 2e-6);
    double avg = tot / 3;
    expect_close("bce mean", genlab_bce_with_logits(ctx, lg, tg, GL_REDUCE_MEAN), &avg, 1, 1e-6);

    /* cross-entropy: logits [[1, 2, 3], [1, 1, 1]], labels [2, 0] */
    genlab_tensor *lo = genlab_tensor_from(ctx, 2, TU_SHAPE(2, 3), (const float[]){1, 2, 3, 1, 1, 1});
    genlab_tensor *lab = genlab_tensor_new(ctx, GL_I32, 1, TU_SHAPE(2));
    ((int32_t *)genlab_tensor_data(lab))[0] = 2;
    const double ce[2] = {log(exp(1) + exp(2) + exp(3)) - 3, log(3)};
    double ce_sum = ce[0] + ce[1], ce_mean = ce_sum / 2;
    genlab_tensor *cn = genlab_cross_entropy(ctx, lo, lab, GL_REDUCE_NONE);
    /* log-sum-exp of O(1) values: a few ulp */
    expect_close("ce none", cn, ce, 2, 1e-6);
    ck_assert_int_eq(genlab_tensor_ndim(cn), 1);
    expect_close("ce sum", genlab_cross_entropy(ctx, lo, lab, GL_REDUCE_SUM), &ce_sum, 1, 2e-6);
    expect_close("ce mean", genlab_cross_entropy(ctx, lo, lab, GL_REDUCE_MEAN), &ce_mean, 1, 1e-6);
    ck_assert_int_eq(genlab_tensor_ndim(genlab_cross_entropy(ctx, lo, lab, GL_REDUCE_MEAN)), 0);
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_OK);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- stability ---- */

START_TEST(test_bce_extreme)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(4));
    memcpy(genlab_tensor_f32_mut(x), (const float[]){100, 100, -100, -100}, 4 * sizeof(float));
    genlab_tensor_set_requires_grad(x, true);
    genlab_tensor *t = genlab_tensor_from(ctx, 1, TU_SHAPE(4), (const float[]){1, 0, 0, 1});
    genlab_tensor *l = genlab_bce_with_logits(ctx, x, t, GL_REDUCE_NONE);
    ck_assert_ptr_nonnull(l);
    /* exact values 0, 100, 0, 100 up to log1p(e^-100) ~ 3.7e-44, below
     * float32's resolution at 100 and at most a denormal near 0 */
    const double want[] = {0, 100, 0, 100};
    expect_close("bce +-100", l, want, 4, 1e-30);
    /* gradient sigmoid(x) - t: 0, 1, 0, -1 up to e^-100 */
    genlab_tensor *g;
    genlab_tensor *s = genlab_sum_all(ctx, l);
    ck_assert_int_eq(genlab_grad(ctx, 1, &s, NULL, 1, &x, false, &g), GL_OK);
    expect_close("bce grad +-100", g, (const double[]){0, 1, 0, -1}, 4, 1e-30);
    genlab_tensor_free(x);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_softmax_large)
{
    genlab_ctx *ctx = tu_ctx(1);
    /* integers around 1e4 are exact in float32 (below 2^24) */
    genlab_tensor *x = genlab_tensor_new_persistent(ctx, GL_F32, 2, TU_SHAPE(2, 3));
    memcpy(genlab_tensor_f32_mut(x), (const float[]){1e4f, 1e4f + 1, 1e4f + 2, -1e4f, 0, 1e4f},
           6 * sizeof(float));
    genlab_tensor_set_requires_grad(x, true);
    genlab_tensor *ls = genlab_log_softmax(ctx, x, 1);
    ck_assert_ptr_nonnull(ls);
    double z = log(1 + exp(1) + exp(2));
    /* the first row equals log_softmax([0, 1, 2]); the second is exactly
     * [-2e4, -1e4, 0] up to e^-1e4. Tolerances: a few ulp of the values */
    const double want[] = {-z, 1 - z, 2 - z, -2e4, -1e4, 0};
    expect_close("log_softmax ~1e4", ls, want, 6, 2e-3);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(fabs(genlab_tensor_f32(ls)[i] - want[i]) < 2e-6, "row 0 [%d]", i);
    genlab_tensor *sm = genlab_softmax(ctx, x, -1);
    const double want_sm[] = {exp(-z), exp(1 - z), exp(2 - z), 0, 0, 1};
    expect_close("softmax ~1e4", sm, want_sm, 6, 1e-6);
    /* gradients stay finite */
    genlab_tensor *g;
    genlab_tensor *l = genlab_sum_all(ctx, genlab_mul(ctx, ls, genlab_tensor_from(ctx, 2, TU_SHAPE(2, 3),
                                      (const float[]){1, -1, 0.5f, 2, 1, -1})));
    ck_assert_int_eq(genlab_grad(ctx, 1, &l, NULL, 1, &x, false, &g), GL_OK);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(isfinite(genlab_tensor_f32(g)[i]), "grad [%d] = %g", i, genlab_tensor_f32(g)[i]);
    /* cross-entropy on the same logits: label 1 in row 1 costs exactly 1e4 */
    genlab_tensor *lab = genlab_tensor_new(ctx, GL_I32, 1, TU_SHAPE(2));
    ((int32_t *)genlab_tensor_data(lab))[0] = 2;
    ((int32_t *)genlab_tensor_data(lab))[1] = 1;
    expect_close("ce ~1e4", genlab_cross_entropy(ctx, x, lab, GL_REDUCE_NONE),
                 (const double[]){z - 2, 1e4}, 2, 2e-3);
    genlab_tensor_free(x);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- errors: each names the op, the argument and the shapes or values ---- */


static genlab_tensor *ones(genlab_ctx *c, int ndim, const int64_t *shape) { return genlab_full(c, ndim, shape, 1.0f); }
static genlab_tensor *labels3(genlab_ctx *c, int32_t a, int32_t b, int32_t d)
{
    genlab_tensor *t = genlab_tensor_new(c, GL_I32, 1, TU_SHAPE(3));
    int32_t *p = genlab_tensor_data(t);
    p[0] = a;
    p[1] = b;
    p[2] = d;
    return t;
}

static genlab_tensor *e_bn_1d(genlab_ctx *c)
{ return genlab_batch_norm(c, ones(c, 1, TU_SHAPE(3)), NULL, NULL, NULL, NULL, true, 0.1f, 1e-5f); }
static genlab_tensor *e_bn_gamma(genlab_ctx *c)
{ return genlab_batch_norm(c, ones(c, 2, TU_SHAPE(2, 3)), ones(c, 1, TU_SHAPE(4)), NULL, NULL, NULL, true, 0.1f, 1e-5f); }
static genlab_tensor *e_bn_running(genlab_ctx *c)
{ return genlab_batch_norm(c, ones(c, 2, TU_SHAPE(2, 3)), NULL, NULL, ones(c, 2, TU_SHAPE(1, 3)), ones(c, 1, TU_SHAPE(3)), true, 0.1f, 1e-5f); }
static genlab_tensor *e_bn_one(genlab_ctx *c)
{ return genlab_batch_norm(c, ones(c, 4, TU_SHAPE(1, 3, 1, 1)), NULL, NULL, NULL, NULL, true, 0.1f, 1e-5f); }
static genlab_tensor *e_bn_eval(genlab_ctx *c)
{ return genlab_batch_norm(c, ones(c, 2, TU_SHAPE(2, 3)), NULL, NULL, NULL, NULL, false, 0.1f, 1e-5f); }
static genlab_tensor *e_bn_pair(genlab_ctx *c)
{ return genlab_batch_norm(c, ones(c, 2, TU_SHAPE(2, 3)), NULL, NULL, ones(c, 1, TU_SHAPE(3)), NULL, true, 0.1f, 1e-5f); }
static genlab_tensor *e_bn_momentum(genlab_ctx *c)
{ return genlab_batch_norm(c, ones(c, 2, TU_SHAPE(2, 3)), NULL, NULL, NULL, NULL, true, 1.5f, 1e-5f); }
static genlab_tensor *e_bn_eps(genlab_ctx *c)
{ return genlab_batch_norm(c, ones(c, 2, TU_SHAPE(2, 3)), NULL, NULL, NULL, NULL, true, 0.1f, -1.0f); }
static genlab_tensor *e_gn_groups(genlab_ctx *c)
{ return genlab_group_norm(c, ones(c, 3, TU_SHAPE(2, 6, 2)), 4, NULL, NULL, 1e-5f); }
static genlab_tensor *e_gn_zero(genlab_ctx *c)
{ return genlab_group_norm(c, ones(c, 3, TU_SHAPE(2, 6, 2)), 0, NULL, NULL, 1e-5f); }
static genlab_tensor *e_gn_beta(genlab_ctx *c)
{ return genlab_group_norm(c, ones(c, 3, TU_SHAPE(2, 6, 2)), 2, NULL, ones(c, 1, TU_SHAPE(2)), 1e-5f); }
static genlab_tensor *e_gn_dtype(genlab_ctx *c)
{ return genlab_group_norm(c, genlab_tensor_new(c, GL_I32, 2, TU_SHAPE(2, 6)), 2, NULL, NULL, 1e-5f); }
static genlab_tensor *e_ln_axes(genlab_ctx *c)
{ return genlab_layer_norm(c, ones(c, 2, TU_SHAPE(2, 3)), 3, NULL, NULL, 1e-5f); }
static genlab_tensor *e_ln_gamma(genlab_ctx *c)
{ return genlab_layer_norm(c, ones(c, 3, TU_SHAPE(2, 4, 3)), 2, ones(c, 2, TU_SHAPE(3, 4)), NULL, 1e-5f); }
static genlab_tensor *e_softmax_axis(genlab_ctx *c)
{ return genlab_softmax(c, ones(c, 2, TU_SHAPE(2, 3)), 2); }
static genlab_tensor *e_log_softmax_dtype(genlab_ctx *c)
{ return genlab_log_softmax(c, genlab_tensor_new(c, GL_I32, 1, TU_SHAPE(3)), 0); }
static genlab_tensor *e_mse_shape(genlab_ctx *c)
{ return genlab_mse_loss(c, ones(c, 2, TU_SHAPE(2, 3)), ones(c, 2, TU_SHAPE(2, 4)), GL_REDUCE_MEAN); }
static genlab_tensor *e_bce_shape(genlab_ctx *c)
{ return genlab_bce_with_logits(c, ones(c, 1, TU_SHAPE(5)), ones(c, 2, TU_SHAPE(5, 1)), GL_REDUCE_SUM); }
static genlab_tensor *e_l1_red(genlab_ctx *c)
{ return genlab_l1_loss(c, ones(c, 1, TU_SHAPE(3)), ones(c, 1, TU_SHAPE(3)), (genlab_reduction)7); }
static genlab_tensor *e_l1_dtype(genlab_ctx *c)
{ return genlab_l1_loss(c, ones(c, 1, TU_SHAPE(3)), genlab_tensor_new(c, GL_I32, 1, TU_SHAPE(3)), GL_REDUCE_MEAN); }
static genlab_tensor *e_ce_high(genlab_ctx *c)
{ return genlab_cross_entropy(c, ones(c, 2, TU_SHAPE(3, 3)), labels3(c, 0, 3, -1), GL_REDUCE_MEAN); }
static genlab_tensor *e_ce_neg(genlab_ctx *c)
{ return genlab_cross_entropy(c, ones(c, 2, TU_SHAPE(3, 3)), labels3(c, 0, 2, -1), GL_REDUCE_MEAN); }
static genlab_tensor *e_ce_dtype(genlab_ctx *c)
{ return genlab_cross_entropy(c, ones(c, 2, TU_SHAPE(3, 3)), ones(c, 1, TU_SHAPE(3)), GL_REDUCE_MEAN); }
static genlab_tensor *e_ce_shape(genlab_ctx *c)
{ return genlab_cross_entropy(c, ones(c, 2, TU_SHAPE(4, 3)), labels3(c, 0, 1, 2), GL_REDUCE_MEAN); }
static genlab_tensor *e_ce_logits(genlab_ctx *c)
{ return genlab_cross_entropy(c, ones(c, 3, TU_SHAPE(3, 3, 1)), labels3(c, 0, 1, 2), GL_REDUCE_MEAN); }
static genlab_tensor *e_sticky(genlab_ctx *c)
{
    /* the first error survives the ops built on the failed result */
    genlab_tensor *bad = genlab_softmax(c, ones(c, 2, TU_SHAPE(2, 3)), -3);
    return genlab_mse_loss(c, genlab_layer_norm(c, bad, 1, NULL, NULL, 1e-5f), ones(c, 2, TU_SHAPE(2, 3)), GL_REDUCE_MEAN);
}

static const tu_err_case errors[] = {
    {"batch_norm: x (3) must have at least 2 dimensions (N, C, ...)",          GL_ERR_SHAPE,   e_bn_1d},
    {"batch_norm: gamma (4) must have shape (3) for x (2, 3)",                 GL_ERR_SHAPE,   e_bn_gamma},
    {"batch_norm: running_mean (1, 3) must have shape (3) for x (2, 3)",       GL_ERR_SHAPE,   e_bn_running},
    {"batch_norm: expected more than 1 value per channel when training, got x (1, 3, 1, 1)",
                                                                               GL_ERR_SHAPE,   e_bn_one},
    {"batch_norm: eval mode needs running_mean and running_var",               GL_ERR_INVALID, e_bn_eval},
    {"batch_norm: running_mean and running_var must be given together",        GL_ERR_INVALID, e_bn_pair},
    {"batch_norm: momentum = 1.5 is outside [0, 1]",                           GL_ERR_INVALID, e_bn_momentum},
    {"batch_norm: eps = -1 must be finite and >= 0",                           GL_ERR_INVALID, e_bn_eps},
    {"group_norm: groups = 4 must be positive and divide the 6 channels of x (2, 6, 2)",
                                                                               GL_ERR_INVALID, e_gn_groups},
    {"group_norm: groups = 0 must be positive",                                GL_ERR_INVALID, e_gn_zero},
    {"group_norm: beta (2) must have shape (6) for x (2, 6, 2)",               GL_ERR_SHAPE,   e_gn_beta},
    {"group_norm: x must be float32",                                          GL_ERR_DTYPE,   e_gn_dtype},
    {"layer_norm: n_axes = 3 must be in [1, 2] for x (2, 3)",                  GL_ERR_INVALID, e_ln_axes},
    {"layer_norm: gamma (3, 4) must have shape (4, 3) for x (2, 4, 3)",        GL_ERR_SHAPE,   e_ln_gamma},
    {"softmax: axis 2 out of range for x (2, 3)",                              GL_ERR_INVALID, e_softmax_axis},
    {"log_softmax: x must be float32",                                         GL_ERR_DTYPE,   e_log_softmax_dtype},
    {"mse_loss: target (2, 4) must have the shape of x (2, 3)",                GL_ERR_SHAPE,   e_mse_shape},
    {"bce_with_logits: target (5, 1) must have the shape of logits (5)",       GL_ERR_SHAPE,   e_bce_shape},
    {"l1_loss: unknown reduction 7",                                           GL_ERR_INVALID, e_l1_red},
    {"l1_loss: target must be float32",                                        GL_ERR_DTYPE,   e_l1_dtype},
    {"cross_entropy: label 3 at index 1 is outside [0, 3)",                    GL_ERR_INVALID, e_ce_high},
    {"cross_entropy: label -1 at index 2 is outside [0, 3)",                   GL_ERR_INVALID, e_ce_neg},
    {"cross_entropy: labels must be int32",                                    GL_ERR_DTYPE,   e_ce_dtype},
    {"cross_entropy: labels (3) must have shape (4) for logits (4, 3)",        GL_ERR_SHAPE,   e_ce_shape},
    {"cross_entropy: logits (3, 3, 1) must be (N, K)",                         GL_ERR_SHAPE,   e_ce_logits},
    {"softmax: axis -3 out of range for x (2, 3)",                             GL_ERR_INVALID, e_sticky},
};

START_TEST(test_errors)
{
    tu_check_error(&errors[_i]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ops_nn");
    TCase *tc = tcase_create("gradcheck");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradcheck, 0, (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("norm");
    tcase_add_loop_test(tc, test_norm_values, 0, (int)(sizeof norm_cases / sizeof norm_cases[0]));
    tcase_add_test(tc, test_bn_eval_values);
    tcase_add_test(tc, test_bn_running);
    suite_add_tcase(s, tc);
    tc = tcase_create("softmax_loss");
    tcase_add_test(tc, test_softmax_values);
    tcase_add_test(tc, test_loss_values);
    tcase_add_test(tc, test_bce_extreme);
    tcase_add_test(tc, test_softmax_large);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof errors / sizeof errors[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
