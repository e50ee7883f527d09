/* SPDX-License-Identifier: MIT
 *
 * test_ops_resample.c — the pooling and resampling ops: forward values
 * against hand-computed results and naive loops, gradient checks (first and
 * second order, and of the gradients themselves, which walks each adjoint
 * pair both ways), agreement with PyTorch through tests/golden/resample.bin,
 * thread-count independence of the scattering kernels, and error messages.
 *
 * Sections: helpers, gradient checks, forward values, golden data, threads,
 * errors.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "golden.h"
#include "gradcheck.h"
#include "testutil.h"

/* ---- helpers ---- */

/* the values of t must equal want[0..n) within tol (tol 0: exactly) */
static void expect_values(const genlab_tensor *t, const float *want, int64_t n, float tol,
                          const char *what)
{
    ck_assert_msg(t != NULL, "%s: NULL result", what);
    ck_assert_int_eq(genlab_tensor_numel(t), n);
    const float *got = genlab_tensor_f32(t);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(got[i] - want[i]) <= tol, "%s: entry %lld is %.9g, want %.9g", what,
                      (long long)i, got[i], want[i]);
}

/* the gradient of sum(op(x) * gy) at x (vjp), as an arena tensor */
static genlab_tensor *vjp(genlab_ctx *ctx, genlab_tensor *y, genlab_tensor *x, genlab_tensor *gy)
{
    genlab_tensor *g = NULL;
    if (!y || genlab_grad(ctx, 1, &y, &gy, 1, &x, false, &g) != GL_OK)
        return NULL;
    return g;
}

/* ---- gradient checks ---- */

/* one op applied to x[0] */
typedef genlab_tensor *(*op_fn)(genlab_ctx *c, genlab_tensor *x);

static genlab_tensor *o_nearest2(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_nearest(c, x, 2); }
static genlab_tensor *o_nearest3(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_nearest(c, x, 3); }
static genlab_tensor *o_bil_up0(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 7, 9, false); }
static genlab_tensor *o_bil_up1(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 7, 9, true); }
static genlab_tensor *o_bil_dn0(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 3, 2, false); }
static genlab_tensor *o_bil_dn1(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 3, 2, true); }
static genlab_tensor *o_bil_mix(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 9, 3, false); }
static genlab_tensor *o_avg_k2s2(genlab_ctx *c, genlab_tensor *x) { return genlab_avg_pool2d(c, x, 2, 2, 0); }
static genlab_tensor *o_avg_k3s1p1(genlab_ctx *c, genlab_tensor *x) { return genlab_avg_pool2d(c, x, 3, 1, 1); }
static genlab_tensor *o_avg_k3s2p1(genlab_ctx *c, genlab_tensor *x) { return genlab_avg_pool2d(c, x, 3, 2, 1); }
static genlab_tensor *o_avg_k2s1p1(genlab_ctx *c, genlab_tensor *x) { return genlab_avg_pool2d(c, x, 2, 1, 1); }
static genlab_tensor *o_avgx_k3s1p1(genlab_ctx *c, genlab_tensor *x) { return genlab_avg_pool2d_v2(c, x, 3, 1, 1, false); }
static genlab_tensor *o_avgx_k3s2p1(genlab_ctx *c, genlab_tensor *x) { return genlab_avg_pool2d_v2(c, x, 3, 2, 1, false); }
static genlab_tensor *o_max_k2s2(genlab_ctx *c, genlab_tensor *x) { return genlab_max_pool2d(c, x, 2, 2, 0); }
static genlab_tensor *o_max_k3s2p1(genlab_ctx *c, genlab_tensor *x) { return genlab_max_pool2d(c, x, 3, 2, 1); }
static genlab_tensor *o_max_k3s1p1(genlab_ctx *c, genlab_tensor *x) { return genlab_max_pool2d(c, x, 3, 1, 1); }
static genlab_tensor *o_gavg(genlab_ctx *c, genlab_tensor *x) { return genlab_global_avg_pool(c, x); }
static genlab_tensor *o_gsum(genlab_ctx *c, genlab_tensor *x) { return genlab_global_sum_pool(c, x); }

/* op(x)^2: the square makes the second derivative non-zero, so the second
 * order check differentiates the op's backward (its adjoint op) */
static genlab_tensor *f_square(genlab_ctx *c, genlab_tensor **x, void *u)
{
    genlab_tensor *y = ((op_fn)u)(c, x[0]);
    return genlab_mul(c, y, y);
}

/* g^2 for g = d/dx sum(op(x)^2) / 2: a function of the op's backward. Its
 * first order check differentiates the backward, its second order check
 * the backward of the backward (nearest_adjoint -> upsample_nearest ->
 * nearest_adjoint, pool_scatter -> pool_gather -> pool_scatter, ...);
 * the square makes the gradient reaching each of those depend on x, so
 * none of them is skipped. */
static genlab_tensor *f_grad_sq(genlab_ctx *c, genlab_tensor **x, void *u)
{
    genlab_tensor *y = ((op_fn)u)(c, x[0]);
    genlab_tensor *l = genlab_scale(c, genlab_sum_all(c, genlab_mul(c, y, y)), 0.5f);
    genlab_tensor *g = NULL;
    if (!l || genlab_grad(c, 1, &l, NULL, 1, x, true, &g) != GL_OK)
        return NULL;
    return genlab_mul(c, g, g);
}

typedef struct grad_case {
    const char *name;
    gc_fn       f;
    op_fn       op;
    int64_t     shape[4];
    bool        distinct;   /* a permutation of well-separated values (max pooling) */
} grad_case;

static const grad_case grad_cases[] = {
    /* name                    f            op            x shape         distinct */
    {"nearest x2 ^2",          f_square,    o_nearest2,   {2, 2, 3, 4},   false},
    {"nearest x3 ^2",          f_square,    o_nearest3,   {1, 2, 2, 3},   false},
    {"grad nearest x2 ^2",     f_grad_sq,   o_nearest2,   {2, 2, 3, 4},   false},
    {"bilinear up ac0 ^2",     f_square,    o_bil_up0,    {1, 2, 4, 5},   false},
    {"bilinear up ac1 ^2",     f_square,    o_bil_up1,    {1, 2, 4, 5},   false},
    {"bilinear down ac0 ^2",   f_square,    o_bil_dn0,    {1, 2, 5, 7},   false},
    {"bilinear down ac1 ^2",   f_square,    o_bil_dn1,    {1, 2, 5, 7},   false},
    {"bilinear mixed ^2",      f_square,    o_bil_mix,    {1, 2, 4, 5},   false},
    {"grad bilinear up ac0 ^2",f_grad_sq,   o_bil_up0,    {1, 2, 4, 5},   false},
    {"grad bilinear dn ac1 ^2",f_grad_sq,   o_bil_dn1,    {1, 2, 5, 7},   false},
    {"avg k2s2 ^2",            f_square,    o_avg_k2s2,   {2, 2, 4, 6},   false},
    {"avg k2s2 crop ^2",       f_square,    o_avg_k2s2,   {1, 2, 5, 7},   false},
    {"grad avg k2s2 crop ^2",  f_grad_sq,   o_avg_k2s2,   {1, 2, 5, 7},   false},
    {"avg k3s1p1 ^2",          f_square,    o_avg_k3s1p1, {1, 2, 5, 6},   false},
    {"grad avg k3s1p1 ^2",     f_grad_sq,   o_avg_k3s1p1, {1, 2, 5, 6},   false},
    {"avg k3s2p1 ^2",          f_square,    o_avg_k3s2p1, {1, 2, 6, 5},   false},
    {"grad avg k3s2p1 ^2",     f_grad_sq,   o_avg_k3s2p1, {1, 2, 6, 5},   false},
    {"avg k2s1p1 ^2",          f_square,    o_avg_k2s1p1, {1, 2, 4, 5},   false},
    /* count_include_pad false: the division by the count map */
    {"avg excl k3s1p1 ^2",     f_square,    o_avgx_k3s1p1, {1, 2, 5, 6},  false},
    {"grad avg excl k3s1p1 ^2",f_grad_sq,   o_avgx_k3s1p1, {1, 2, 5, 6},  false},
    {"avg excl k3s2p1 ^2",     f_square,    o_avgx_k3s2p1, {1, 2, 6, 5},  false},
    {"max k2s2 ^2",            f_square,    o_max_k2s2,   {1, 2, 4, 6},   true},
    {"max k3s2p1 ^2",          f_square,    o_max_k3s2p1, {1, 2, 5, 6},   true},
    {"max k3s1p1 ^2",          f_square,    o_max_k3s1p1, {1, 2, 5, 6},   true},
    {"grad max k3s1p1 ^2",     f_grad_sq,   o_max_k3s1p1, {1, 2, 5, 6},   true},
    {"grad max k3s2p1 ^2",     f_grad_sq,   o_max_k3s2p1, {1, 2, 5, 6},   true},
    {"global avg ^2",          f_square,    o_gavg,       {2, 3, 3, 4},   false},
    {"global sum ^2",          f_square,    o_gsum,       {2, 3, 3, 4},   false},
    {"grad global avg ^2",     f_grad_sq,   o_gavg,       {2, 3, 3, 4},   false},
};

/* spacing of the distinct inputs: more than twice the finite-difference
 * step, so a perturbed entry never overtakes a neighbour and the argmax
 * stays put; small enough that the values stay O(1). */
#define DISTINCT_GAP 0.03f

/* x = a fixed permutation of (i - n/2) * DISTINCT_GAP, i < n */
static void fill_distinct(genlab_tensor *x)
{
    int64_t n = genlab_tensor_numel(x);
    float *p = genlab_tensor_f32_mut(x);
    for (int64_t i = 0; i < n; i++) {
        int64_t j = (i * 37 + 11) % n;   /* 37 is prime to every n used here */
        p[j] = ((float)i - (float)n / 2) * DISTINCT_GAP;
    }
}

START_TEST(test_gradcheck)
{
    const grad_case *c = &grad_cases[_i];
    genlab_ctx *ctx = tu_ctx(5);
    genlab_tensor *x = gc_input(ctx, 4, c->shape, -1.0f, 1.0f, 100u + (unsigned)_i);
    ck_assert_ptr_nonnull(x);
    if (c->distinct)
        fill_distinct(x);
    /* eps well below DISTINCT_GAP / 2 for the max pools; the ops are
     * piecewise polynomial of low degree, so central differences of a
     * float32 loss at this step agree within the default tolerances */
    gc_opts o = {.eps = 5e-3, .second = true};
    char msg[512];
    bool ok = gc_check(ctx, c->f, (void *)c->op, 1, &x, &o, msg, sizeof msg);
    genlab_tensor_free(x);
    genlab_ctx_destroy(ctx);
    ck_assert_msg(ok, "%s: %s", c->name, msg);
}
END_TEST

/* ---- forward values ---- */

START_TEST(test_max_pool_values)
{
    genlab_ctx *ctx = tu_ctx(1);
    const float v[16] = {1, 5, 2, 0,
                         3, 4, 8, 7,
                         9, 6, 1, 2,
                         0, 2, 3, 3};
    genlab_tensor *x = genlab_tensor_from(ctx, 4, TU_SHAPE(1, 1, 4, 4), v);
    expect_values(genlab_max_pool2d(ctx, x, 2, 2, 0), (const float[]){5, 8, 9, 3}, 4, 0, "k2s2");
    /* k3 s2 p1: windows rows/cols {-1..1} and {1..3}; padding never wins */
    expect_values(genlab_max_pool2d(ctx, x, 3, 2, 1), (const float[]){5, 8, 9, 8}, 4, 0, "k3s2p1");
    /* all-negative input: -inf padding must not leak into the result */
    genlab_tensor *neg = genlab_scale(ctx, x, -1.0f);
    expect_values(genlab_max_pool2d(ctx, neg, 3, 2, 1), (const float[]){-1, 0, 0, -1}, 4, 0,
                  "negative k3s2p1");

    /* ties: the first maximum in row-major order takes the whole gradient */
    genlab_tensor *t = genlab_full(ctx, 4, TU_SHAPE(1, 1, 2, 3), 2.0f);
    genlab_tensor_set_requires_grad(t, true);
    genlab_tensor *y = genlab_max_pool2d(ctx, t, 2, 1, 0);
    expect_values(y, (const float[]){2, 2}, 2, 0, "ties");
    genlab_tensor *g = vjp(ctx, y, t, genlab_tensor_from(ctx, 4, TU_SHAPE(1, 1, 1, 2),
                                                          (const float[]){10, 100}));
    expect_values(g, (const float[]){10, 100, 0, 0, 0, 0}, 6, 0, "tie gradient");
    /* overlapping windows sharing one argmax add up there */
    genlab_tensor *s = genlab_tensor_from(ctx, 4, TU_SHAPE(1, 1, 2, 3),
                                         (const float[]){0, 9, 1, -1, -2, -3});
    genlab_tensor_set_requires_grad(s, true);
    y = genlab_max_pool2d(ctx, s, 2, 1, 0);
    g = vjp(ctx, y, s, genlab_full(ctx, 4, TU_SHAPE(1, 1, 1, 2), 1.0f));
    expect_values(g, (const float[]){0, 2, 0, 0, 0, 0}, 6, 0, "shared argmax");
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_OK);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* average pooling, the obvious way: the sum of each window over k^2
 * (include_pad) or over the number of its entries inside x */
static void naive_avg_pool(const float *x, int64_t planes, int64_t h, int64_t w, int k, int s,
                           int p, bool include_pad, float *y)
{
    int64_t ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1;
    for (int64_t c = 0; c < planes; c++)
        for (int64_t i = 0; i < ho; i++)
            for (int64_t j = 0; j < wo; j++) {
                double acc = 0;
                int count = 0;
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++) {
                        int64_t r = i * s - p + a, q = j * s - p + b;
                        if (r >= 0 && r < h && q >= 0 && q < w) {
                            acc += x[(c * h + r) * w + q];
                            count++;
                        }
                    }
                *y++ = (float)(acc / (include_pad ? k * k : count));
            }
}

typedef struct avg_case {
    int64_t h, w;
    int     k, stride, pad;
    bool    include_pad;
} avg_case;

static const avg_case avg_cases[] = {
    /*  h   w   k  s  p  include_pad */
    {   4,  6,  2, 2, 0, true},    /* the fast path */
    {   5,  7,  2, 2, 0, true},    /* fast path, cropped */
    {   6,  6,  3, 3, 0, true},    /* fast path, k = 3 */
    {   5,  6,  3, 1, 1, true},    /* general: same size */
    {   7,  5,  3, 2, 1, true},    /* general: strided */
    {   4,  5,  2, 1, 1, true},    /* general: even kernel, padded */
    {   9,  8,  4, 3, 2, true},    /* general: stride and pad, ragged end */
    {   4,  4,  2, 2, 1, true},    /* k == stride but padded: general */
    {   5,  6,  3, 1, 1, false},   /* padding not counted: edges over 6, corners over 4 */
    {   7,  5,  3, 2, 1, false},   /* not counted, strided */
    {   9,  8,  4, 3, 2, false},   /* not counted, ragged end: windows of 4 to 16 */
    {   4,  4,  2, 2, 1, false},   /* not counted, k == stride padded */
    {   5,  7,  2, 2, 0, false},   /* no padding: the fast path, as with it counted */
};

START_TEST(test_avg_pool_values)
{
    const avg_case *c = &avg_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = genlab_randn(ctx, 4, TU_SHAPE(2, 3, c->h, c->w));
    genlab_tensor *y = c->include_pad ? genlab_avg_pool2d(ctx, x, c->k, c->stride, c->pad)
                                      : genlab_avg_pool2d_v2(ctx, x, c->k, c->stride, c->pad,
                                                             false);
    ck_assert_ptr_nonnull(y);
    int64_t ho = (c->h + 2 * c->pad - c->k) / c->stride + 1;
    int64_t wo = (c->w + 2 * c->pad - c->k) / c->stride + 1;
    ck_assert_int_eq(genlab_tensor_dim(y, 2), ho);
    ck_assert_int_eq(genlab_tensor_dim(y, 3), wo);
    float want[2 * 3 * 9 * 8];
    naive_avg_pool(genlab_tensor_f32(x), 6, c->h, c->w, c->k, c->stride, c->pad,
                   c->include_pad, want);
    char what[64];
    snprintf(what, sizeof what, "avg h%lld w%lld k%d s%d p%d%s", (long long)c->h,
             (long long)c->w, c->k, c->stride, c->pad, c->include_pad ? "" : " excl");
    /* genlab sums at most 16 N(0,1) terms in float (partial sums below 16,
     * each rounding at most 1e-6) and then divides by k^2 >= 4 (or by a
     * count >= 1: at most 4 padded-out terms, partial sums below 4):
     * under 4e-6 in the worst case (about 3e-8 seen), hence 4e-6; a wrong
     * window, pad or count is off by O(0.1). */
    expect_values(y, want, 6 * ho * wo, 4e-6f, what);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_resample_values)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *q = genlab_tensor_from(ctx, 4, TU_SHAPE(1, 1, 2, 2), (const float[]){0, 1, 2, 3});
    expect_values(genlab_upsample_nearest(ctx, q, 2),
                  (const float[]){0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}, 16, 0,
                  "nearest x2");
    /* align_corners: the corners stay, the middle is the mean of its neighbours */
    expect_values(genlab_upsample_bilinear(ctx, q, 3, 3, true),
                  (const float[]){0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3}, 9, 0, "bilinear 2->3 ac1");
    /* half-pixel centres 2 -> 4: sources -0.25 (clamped), 0.25, 0.75, 1.25 (last pixel) */
    genlab_tensor *r2 = genlab_tensor_from(ctx, 4, TU_SHAPE(1, 1, 1, 2), (const float[]){0, 1});
    expect_values(genlab_upsample_bilinear(ctx, r2, 1, 4, false),
                  (const float[]){0, 0.25f, 0.75f, 1}, 4, 0, "bilinear 2->4 ac0");
    /* down 4 -> 2: sources 0.5, 2.5 (half-pixel) or 0, 3 (corners) */
    genlab_tensor *r4 = genlab_tensor_from(ctx, 4, TU_SHAPE(1, 1, 1, 4), (const float[]){0, 1, 2, 3});
    expect_values(genlab_upsample_bilinear(ctx, r4, 1, 2, false), (const float[]){0.5f, 2.5f}, 2,
                  0, "bilinear 4->2 ac0");
    expect_values(genlab_upsample_bilinear(ctx, r4, 1, 2, true), (const float[]){0, 3}, 2, 0,
                  "bilinear 4->2 ac1");
    /* one output with align_corners: ratio 0, the first pixel */
    expect_values(genlab_upsample_bilinear(ctx, r4, 1, 1, true), (const float[]){0}, 1, 0,
                  "bilinear 4->1 ac1");
    /* the same size is a copy */
    expect_values(genlab_upsample_bilinear(ctx, q, 2, 2, false), (const float[]){0, 1, 2, 3}, 4,
                  0, "bilinear identity");
    genlab_tensor *g = genlab_tensor_from(ctx, 4, TU_SHAPE(1, 2, 1, 2), (const float[]){1, 2, 3, 4});
    expect_values(genlab_global_sum_pool(ctx, g), (const float[]){3, 7}, 2, 0, "global sum");
    genlab_tensor *ga = genlab_global_avg_pool(ctx, g);
    expect_values(ga, (const float[]){1.5f, 3.5f}, 2, 0, "global avg");
    ck_assert_int_eq(genlab_tensor_ndim(ga), 2);
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_OK);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- golden data from PyTorch (tests/golden/gen_resample.py) ---- */

#define GOLDEN_VERSION 1
#define GOLDEN_SCRIPT "/usr/bin/python3 tests/golden/gen_resample.py"

static genlab_tensor *g_bil_up0(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 8, 11, false); }
static genlab_tensor *g_bil_up1(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 8, 11, true); }
static genlab_tensor *g_bil_dn0(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 3, 4, false); }
static genlab_tensor *g_bil_dn1(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 3, 4, true); }
static genlab_tensor *g_bil_mix(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 7, 4, false); }
static genlab_tensor *g_bil_one(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 1, 3, true); }
static genlab_tensor *g_avg_k2s2(genlab_ctx *c, genlab_tensor *x) { return genlab_avg_pool2d(c, x, 2, 2, 0); }

typedef struct golden_case {
    const char *name;   /* record prefix in resample.bin */
    op_fn       op;
} golden_case;

static const golden_case golden_cases[] = {
    /* name                  op: the same call as the script's */
    {"bilinear_up_ac0",      g_bil_up0},
    {"bilinear_up_ac1",      g_bil_up1},
    {"bilinear_down_ac0",    g_bil_dn0},
    {"bilinear_down_ac1",    g_bil_dn1},
    {"bilinear_mixed_ac0",   g_bil_mix},
    {"bilinear_one_ac1",     g_bil_one},
    {"nearest_x2",           o_nearest2},
    {"avg_k3s1p1",           o_avg_k3s1p1},
    {"avg_k2s2",             g_avg_k2s2},
    {"avg_k3s2p1",           o_avg_k3s2p1},
    {"max_k3s2p1",           o_max_k3s2p1},
    {"avg_excl_k3s1p1",      o_avgx_k3s1p1},   /* count_include_pad=False */
    {"avg_excl_k3s2p1",      o_avgx_k3s2p1},
};

/* a golden record as a tensor (copied into the context's arena) */
static genlab_tensor *from_golden(genlab_ctx *ctx, const gd_file *f, const char *case_name,
                                  const char *field)
{
    char name[96];
    snprintf(name, sizeof name, "%s%s%s", case_name, *field ? "." : "", field);
    const gd_tensor *t = gd_get(f, name);
    ck_assert_msg(t != NULL, "resample.bin: no record \"%s\"; regenerate with %s", name,
                  GOLDEN_SCRIPT);
    ck_assert_int_le(t->ndim, GL_MAX_DIMS);
    return genlab_tensor_from(ctx, t->ndim, t->shape, t->data);
}

/* compare got with the golden record; on failure name the max difference
 * and the first entry beyond tol */
static void expect_golden(const genlab_tensor *got, const genlab_tensor *want, float tol,
                          const char *what)
{
    ck_assert_msg(got != NULL, "%s: NULL result", what);
    ck_assert_int_eq(genlab_tensor_ndim(got), genlab_tensor_ndim(want));
    for (int d = 0; d < genlab_tensor_ndim(want); d++)
        ck_assert_int_eq(genlab_tensor_dim(got, d), genlab_tensor_dim(want, d));
    const float *a = genlab_tensor_f32(got), *b = genlab_tensor_f32(want);
    float maxdiff = 0;
    int64_t first = -1;
    for (int64_t i = 0; i < genlab_tensor_numel(want); i++) {
        float diff = fabsf(a[i] - b[i]);
        if (!(diff <= tol) && first < 0)
            first = i;
        maxdiff = diff > maxdiff || isnan(diff) ? diff : maxdiff;
    }
    ck_assert_msg(first < 0, "%s: max |diff| %.3g > %.3g; first at %lld: %.9g vs PyTorch %.9g",
                  what, maxdiff, tol, (long long)first, a[first], b[first]);
}

START_TEST(test_golden)
{
    const golden_case *c = &golden_cases[_i];
    char err[512];
    gd_file *f = gd_open(GL_TOP_SRCDIR "/tests/golden/resample.bin", GOLDEN_VERSION,
                         GOLDEN_SCRIPT, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = from_golden(ctx, f, "x", "");
    genlab_tensor_set_requires_grad(x, true);
    genlab_tensor *y = c->op(ctx, x);
    genlab_tensor *gx = vjp(ctx, y, x, from_golden(ctx, f, c->name, "gy"));
    char what[96];
    /* randn inputs, |x| < 4: PyTorch and genlab round sums of at most 9
     * products in float32 in different orders (and PyTorch divides where
     * genlab multiplies by 1/k^2), so they differ by about an ulp of 4
     * (4.8e-7; 6.4e-7 seen). 2e-6 is a few such ulp; a wrong tap or
     * weight is off by O(0.1). */
    snprintf(what, sizeof what, "%s output", c->name);
    expect_golden(y, from_golden(ctx, f, c->name, "y"), 2e-6f, what);
    snprintf(what, sizeof what, "%s input gradient", c->name);
    expect_golden(gx, from_golden(ctx, f, c->name, "gx"), 2e-6f, what);
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_OK);
    genlab_ctx_destroy(ctx);
    gd_free(f);
}
END_TEST

/* the reader refuses a wrong version and names the script to rerun */
START_TEST(test_golden_version)
{
    char err[512];
    gd_file *f = gd_open(GL_TOP_SRCDIR "/tests/golden/resample.bin", GOLDEN_VERSION + 1,
                         GOLDEN_SCRIPT, err, sizeof err);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(err, "version") && strstr(err, GOLDEN_SCRIPT), "message: %s", err);
    f = gd_open(GL_TOP_SRCDIR "/tests/golden/gen_resample.py", GOLDEN_VERSION, GOLDEN_SCRIPT,
                err, sizeof err);
    ck_assert_ptr_null(f);
    ck_assert_msg(strstr(err, "GLGD") && strstr(err, GOLDEN_SCRIPT), "message: %s", err);
}
END_TEST

/* ---- thread-count independence of the scattering backwards ---- */

typedef struct thread_case {
    const char *name;
    op_fn       op;
} thread_case;

static genlab_tensor *t_bil_dn(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 13, 21, false); }
static genlab_tensor *t_bil_up(genlab_ctx *c, genlab_tensor *x) { return genlab_upsample_bilinear(c, x, 45, 50, true); }

static const thread_case thread_cases[] = {
    /* name                  op (its backward scatters: pool_scatter, bilinear_adjoint) */
    {"max k3s1p1 scatter",   o_max_k3s1p1},
    {"bilinear down adjoint", t_bil_dn},
    {"bilinear up adjoint",  t_bil_up},
};

/* the input gradient with n_threads threads, copied to out */
static void grad_with_threads(const thread_case *c, int n_threads, float *out, int64_t n)
{
    genlab_ctx_options o = {.seed = 9, .n_threads = n_threads};
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    /* 128 planes of 32x32: far above the kernels' one-thread threshold */
    genlab_tensor *x = genlab_randn(ctx, 4, TU_SHAPE(8, 16, 32, 32));
    genlab_tensor_set_requires_grad(x, true);
    genlab_tensor *y = c->op(ctx, x);
    genlab_tensor *gy = genlab_randn(ctx, 4, TU_SHAPE(8, 16, genlab_tensor_dim(y, 2),
                                                      genlab_tensor_dim(y, 3)));
    genlab_tensor *g = vjp(ctx, y, x, gy);
    ck_assert_msg(g != NULL, "%s: %s", c->name, genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(genlab_tensor_numel(g), n);
    memcpy(out, genlab_tensor_f32(g), (size_t)n * sizeof *out);
    genlab_ctx_destroy(ctx);
}

START_TEST(test_threads)
{
    enum { N = 8 * 16 * 32 * 32 };
    static float one[N], two[N];
    grad_with_threads(&thread_cases[_i], 1, one, N);
    grad_with_threads(&thread_cases[_i], 2, two, N);
    ck_assert_msg(memcmp(one, two, sizeof one) == 0, "%s: 1 and 2 threads differ",
                  thread_cases[_i].name);
}
END_TEST

/* ---- errors: each names the op and the shapes or values ---- */


static genlab_tensor *x4(genlab_ctx *c) { return genlab_full(c, 4, TU_SHAPE(1, 1, 4, 4), 1); }
static genlab_tensor *e_ndim(genlab_ctx *c)
{ return genlab_max_pool2d(c, genlab_full(c, 3, TU_SHAPE(2, 3, 4), 1), 2, 2, 0); }
static genlab_tensor *e_empty(genlab_ctx *c)
{ return genlab_global_sum_pool(c, genlab_full(c, 4, TU_SHAPE(1, 0, 2, 2), 1)); }
static genlab_tensor *e_dtype(genlab_ctx *c)
{ return genlab_upsample_bilinear(c, genlab_tensor_new(c, GL_I32, 4, TU_SHAPE(1, 1, 2, 2)), 4, 4, false); }
static genlab_tensor *e_kernel(genlab_ctx *c) { return genlab_max_pool2d(c, x4(c), 0, 1, 0); }
static genlab_tensor *e_stride(genlab_ctx *c) { return genlab_avg_pool2d(c, x4(c), 2, 0, 0); }
static genlab_tensor *e_pad(genlab_ctx *c) { return genlab_avg_pool2d(c, x4(c), 3, 1, 2); }
static genlab_tensor *e_fit(genlab_ctx *c) { return genlab_avg_pool2d(c, x4(c), 5, 1, 0); }
static genlab_tensor *e_pad_excl(genlab_ctx *c) { return genlab_avg_pool2d_v2(c, x4(c), 2, 1, 2, false); }
static genlab_tensor *e_fit_max(genlab_ctx *c)
{ return genlab_max_pool2d(c, genlab_full(c, 4, TU_SHAPE(2, 3, 1, 8), 1), 4, 1, 1); }
static genlab_tensor *e_scale(genlab_ctx *c) { return genlab_upsample_nearest(c, x4(c), 0); }
static genlab_tensor *e_size(genlab_ctx *c) { return genlab_upsample_bilinear(c, x4(c), 0, 4, true); }
static genlab_tensor *e_global(genlab_ctx *c)
{ return genlab_global_avg_pool(c, genlab_full(c, 2, TU_SHAPE(2, 3), 1)); }
static genlab_tensor *e_sticky(genlab_ctx *c)
{
    /* the first error is kept through the later ops */
    genlab_tensor *bad = genlab_upsample_nearest(c, x4(c), -2);
    return genlab_avg_pool2d(c, genlab_max_pool2d(c, bad, 2, 2, 0), 2, 2, 0);
}

static const tu_err_case errors[] = {
    {"max_pool2d: x must be (N, C, H, W) with positive sizes, got (2, 3, 4)", GL_ERR_SHAPE,   e_ndim},
    {"global_sum_pool: x must be (N, C, H, W) with positive sizes, got (1, 0, 2, 2)",
                                                                             GL_ERR_SHAPE,   e_empty},
    {"upsample_bilinear: x must be float32",                                 GL_ERR_DTYPE,   e_dtype},
    {"max_pool2d: kernel 0, stride 1, pad 0",                                GL_ERR_INVALID, e_kernel},
    {"avg_pool2d: kernel 2, stride 0, pad 0",                                GL_ERR_INVALID, e_stride},
    {"avg_pool2d: pad 2 is more than half the kernel size 3",                GL_ERR_INVALID, e_pad},
    {"avg_pool2d: kernel 5 with pad 0 does not fit x (1, 1, 4, 4)",          GL_ERR_SHAPE,   e_fit},
    {"avg_pool2d: pad 2 is more than half the kernel size 2",                GL_ERR_INVALID, e_pad_excl},
    {"max_pool2d: kernel 4 with pad 1 does not fit x (2, 3, 1, 8)",          GL_ERR_SHAPE,   e_fit_max},
    {"upsample_nearest: scale 0 must be >= 1",                               GL_ERR_INVALID, e_scale},
    {"upsample_bilinear: output size (0, 4) for x (1, 1, 4, 4) must be positive",
                                                                             GL_ERR_INVALID, e_size},
    {"global_avg_pool: x must be (N, C, H, W) with positive sizes, got (2, 3)", GL_ERR_SHAPE, e_global},
    {"upsample_nearest: scale -2 must be >= 1",                              GL_ERR_INVALID, e_sticky},
};

START_TEST(test_errors)
{
    tu_check_error(&errors[_i]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ops_resample");
    TCase *tc = tcase_create("gradcheck");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradcheck, 0, (int)(sizeof grad_cases / sizeof grad_cases[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("values");
    tcase_add_test(tc, test_max_pool_values);
    tcase_add_loop_test(tc, test_avg_pool_values, 0, (int)(sizeof avg_cases / sizeof avg_cases[0]));
    tcase_add_test(tc, test_resample_values);
    suite_add_tcase(s, tc);
    tc = tcase_create("golden");
    tcase_add_loop_test(tc, test_golden, 0, (int)(sizeof golden_cases / sizeof golden_cases[0]));
    tcase_add_test(tc, test_golden_version);
    suite_add_tcase(s, tc);
    tc = tcase_create("threads");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_threads, 0, (int)(sizeof thread_cases / sizeof thread_cases[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof errors / sizeof errors[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
