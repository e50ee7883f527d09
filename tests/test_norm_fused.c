/* SPDX-License-Identifier: MIT
 *
 * test_norm_fused.c — genlab_group_norm_act, the fused group norm (+ SiLU):
 * its forward and both backwards (the fused kernel, and the composition of
 * public ops used while the backward is recorded) against PyTorch
 * (tests/golden/norm_fused.bin, written by tests/golden/gen_norm_fused.py:
 * y, first-order gradients and Hessian-vector products), against the
 * composition of public ops the op replaced, against finite differences
 * (first and second order), bit for bit across thread counts, plus the
 * vectorised exp the SiLU uses and the op's argument errors.
 *
 * Not here: the CUDA kernels (test_backend_ops compares them with these),
 * the UNet that uses the op (test_diffusion_arch).
 *
 * Sections: fixtures, PyTorch goldens, against the composition, gradient
 * checks, thread counts, exp, errors, main.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "golden.h"
#include "gradcheck.h"
#include "testutil.h"

#define NORM_GOLDEN GL_TOP_SRCDIR "/tests/golden/norm_fused.bin"
#define NORM_GENERATOR "tests/golden/gen_norm_fused.py"
#define EPS 1e-5f

/* ---- fixtures ---- */

static gd_file *golden;

static void open_golden(void)
{
    char err[512];
    golden = gd_open(NORM_GOLDEN, 1, NORM_GENERATOR, err, sizeof err);
    ck_assert_msg(golden != NULL, "%s", err);
}

static void close_golden(void)
{
    gd_free(golden);
    golden = NULL;
}

static const gd_tensor *stored(const char *prefix, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", prefix, name);
    const gd_tensor *g = gd_get(golden, key);
    ck_assert_msg(g != NULL, "%s has no tensor %s: regenerate with %s", NORM_GOLDEN, key,
                  NORM_GENERATOR);
    return g;
}

/* the stored tensor prefix.name as an arena tensor */
static genlab_tensor *load(genlab_ctx *ctx, const char *prefix, const char *name, bool grad)
{
    const gd_tensor *g = stored(prefix, name);
    genlab_tensor *t = genlab_tensor_from(ctx, g->ndim, g->shape, g->data);
    ck_assert_ptr_nonnull(t);
    genlab_tensor_set_requires_grad(t, grad);
    return t;
}

/* max |got - want| <= tol * max(1, max |want|) */
static void expect_near(const char *what, const genlab_tensor *got, const float *want,
                        int64_t n, double tol)
{
    ck_assert_msg(got != NULL, "%s: not computed", what);
    ck_assert_int_eq(genlab_tensor_numel(got), n);
    const float *g = genlab_tensor_f32(got);
    double scale = 1, worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(want[i]));
    for (int64_t i = 0; i < n; i++)
        if (fabs((double)g[i] - want[i]) > worst) {
            worst = fabs((double)g[i] - want[i]);
            at = i;
        }
    ck_assert_msg(worst <= tol * scale, "%s: max diff %.3g at %lld (got %.9g, want %.9g)", what,
                  worst, (long long)at, g[at], want[at]);
}

/* ---- PyTorch goldens ---- */

typedef struct golden_case {
    const char *prefix;
    int         groups;
    bool        affine;
    genlab_act  act;
} golden_case;

static const golden_case golden_cases[] = {
    /* prefix         groups affine  act */
    {"silu",          4,     true,   GL_ACT_SILU},
    {"silu_plain",    3,     false,  GL_ACT_SILU},
    {"none",          4,     true,   GL_ACT_NONE},
};

START_TEST(test_golden)
{
    /* float32 against PyTorch's float32 with other summation orders and
     * expf: a few ulps times sqrt(terms) of the largest magnitude; 2e-5
     * leaves a decade of margin for the <= 60-term group sums here. The
     * Hessian-vector products compose ~20 ops: 1e-4. */
    const golden_case *c = &golden_cases[_i];
    static const char *const names[3] = {"x", "gamma", "beta"};
    genlab_ctx *ctx = tu_ctx(1);
    const int n = c->affine ? 3 : 1;
    genlab_tensor *in[3] = {NULL, NULL, NULL};
    for (int i = 0; i < n; i++)
        in[i] = load(ctx, c->prefix, names[i], true);
    genlab_tensor *y = genlab_group_norm_act(ctx, in[0], c->groups, in[1], in[2], EPS, c->act);
    ck_assert_msg(y != NULL, "%s: %s", c->prefix, genlab_ctx_errmsg(ctx));
    const gd_tensor *want = stored(c->prefix, "y");
    expect_near("y", y, want->data, want->numel, 2e-5);
    genlab_tensor *gy = load(ctx, c->prefix, "gy", false), *g[3], *h[3];
    /* first order: the fused backward kernel */
    ck_assert_int_eq(genlab_grad(ctx, 1, &y, &gy, n, in, false, g), GL_OK);
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof key, "g%s", names[i]);
        want = stored(c->prefix, key);
        expect_near(key, g[i], want->data, want->numel, 2e-5);
    }
    /* second order: the backward recorded (composed of public ops), then
     * differentiated: d sum(gx * v) / d inputs */
    ck_assert_int_eq(genlab_grad(ctx, 1, &y, &gy, 1, in, true, g), GL_OK);
    genlab_tensor *v = load(ctx, c->prefix, "v", false);
    genlab_tensor *s = genlab_sum_all(ctx, genlab_mul(ctx, g[0], v));
    ck_assert_int_eq(genlab_grad(ctx, 1, &s, NULL, n, in, false, h), GL_OK);
    for (int i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof key, "h%s", names[i]);
        want = stored(c->prefix, key);
        expect_near(key, h[i], want->data, want->numel, 1e-4);
    }
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- against the composition ---- */

/* the composition of public ops genlab_group_norm was before the fused op
 * (x viewed as (N, G, C/G, S), gamma folded into the scale), then act */
static genlab_tensor *composed(genlab_ctx *ctx, genlab_tensor *x, int groups,
                               genlab_tensor *gamma, genlab_tensor *beta, genlab_act act)
{
    const int nd = genlab_tensor_ndim(x);
    int64_t shape[4];
    for (int i = 0; i < nd; i++)
        shape[i] = genlab_tensor_dim(x, i);
    const int64_t n = shape[0], c = shape[1];
    const int64_t s = genlab_tensor_numel(x) / (n * c), cg = c / groups;
    const int axes[2] = {2, 3};
    genlab_tensor *v = genlab_reshape(ctx, x, 4, TU_SHAPE(n, groups, cg, s));
    genlab_tensor *d = genlab_sub(ctx, v, genlab_mean(ctx, v, 2, axes, true));
    genlab_tensor *var = genlab_mean(ctx, genlab_mul(ctx, d, d), 2, axes, true);
    genlab_tensor *r = genlab_pow(ctx, genlab_affine(ctx, var, 1.0f, EPS), -0.5f);
    if (gamma)
        r = genlab_mul(ctx, r, genlab_reshape(ctx, gamma, 3, TU_SHAPE(groups, cg, 1)));
    genlab_tensor *y = genlab_mul(ctx, d, r);
    if (beta)
        y = genlab_add(ctx, y, genlab_reshape(ctx, beta, 3, TU_SHAPE(groups, cg, 1)));
    y = genlab_reshape(ctx, y, nd, shape);
    return act == GL_ACT_SILU ? genlab_silu(ctx, y) : y;
}

typedef struct comp_case {
    const char *name;
    int64_t     shape[4];
    int         groups;
    bool        gamma, beta;
    genlab_act  act;
} comp_case;

static const comp_case comp_cases[] = {
    /* name                    shape            groups gamma  beta   act */
    {"UNet-like, SiLU",        {4, 32, 8, 8},   8,     true,  true,  GL_ACT_SILU},
    {"one group, SiLU",        {2, 6, 5, 3},    1,     true,  true,  GL_ACT_SILU},
    {"gamma only, SiLU",       {3, 8, 4, 5},    2,     true,  false, GL_ACT_SILU},
    {"beta only, none",        {3, 8, 4, 5},    4,     false, true,  GL_ACT_NONE},
    {"plain, none, 1 pos",     {5, 12, 1, 1},   3,     false, false, GL_ACT_NONE},
    {"large mean, SiLU",       {2, 16, 9, 9},   4,     true,  true,  GL_ACT_SILU},
};

START_TEST(test_vs_composition)
{
    /* both compute the same statistics in float32, the composition in 8
     * passes with its own roundings: a few ulps of the result's scale per
     * pass; 1e-5 of max(1, |value|) is a decade above what they differ by
     * and 1 % of the smallest real error (a wrong mean or eps) */
    const comp_case *c = &comp_cases[_i];
    genlab_ctx *ctx = tu_ctx(5);
    genlab_tensor *x = genlab_randn(ctx, 4, c->shape);
    /* "large mean": values around 100 with spread 1, where a one-pass
     * E[x^2] - E[x]^2 in float would lose the variance */
    x = strstr(c->name, "large") ? genlab_affine(ctx, x, 1.0f, 100.0f)
                                 : genlab_affine(ctx, x, 3.0f, 2.0f);
    const int64_t ch = c->shape[1];
    genlab_tensor *g = c->gamma ? genlab_affine(ctx, genlab_randn(ctx, 1, &ch), 0.5f, 1.0f) : NULL;
    genlab_tensor *b = c->beta ? genlab_randn(ctx, 1, &ch) : NULL;
    genlab_tensor *in[3] = {x, g, b};
    for (int i = 0; i < 3; i++)
        if (in[i])
            genlab_tensor_set_requires_grad(in[i], true);
    genlab_tensor *gy = genlab_randn(ctx, 4, c->shape);
    genlab_tensor *y[2] = {genlab_group_norm_act(ctx, x, c->groups, g, b, EPS, c->act),
                           composed(ctx, x, c->groups, g, b, c->act)};
    ck_assert_msg(y[0] && y[1], "%s: %s", c->name, genlab_ctx_errmsg(ctx));
    expect_near(c->name, y[0], genlab_tensor_f32(y[1]), genlab_tensor_numel(y[1]), 1e-5);
    /* the gradients: the fused kernel against the composition's tape; gx
     * sums gz over a group twice, so it carries more rounding than y */
    genlab_tensor *gr[2][3] = {{NULL}};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 3; i++)
            if (in[i])
                ck_assert_int_eq(genlab_grad(ctx, 1, &y[k], &gy, 1, &in[i], false, &gr[k][i]),
                                 GL_OK);
    static const char *const what[3] = {"gx", "ggamma", "gbeta"};
    for (int i = 0; i < 3; i++)
        if (in[i]) {
            char m[96];
            snprintf(m, sizeof m, "%s: %s", c->name, what[i]);
            expect_near(m, gr[0][i], genlab_tensor_f32(gr[1][i]), genlab_tensor_numel(gr[1][i]),
                        5e-5);
        }
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- gradient checks ---- */

typedef struct gc_case {
    const char *name;
    int         n_in;      /* x, then gamma and beta where given */
    int64_t     shape[4];
    int         groups;
    bool        beta_only; /* the second input is beta, not gamma */
    genlab_act  act;
} gc_case;

static const gc_case gc_cases[] = {
    /* name                   n_in shape           groups beta_only act */
    {"affine, SiLU",          3,   {2, 4, 3, 2},   2,     false,    GL_ACT_SILU},
    {"plain, SiLU",           1,   {2, 6, 5, 1},   3,     false,    GL_ACT_SILU},
    {"gamma only, SiLU",      2,   {2, 4, 3, 1},   4,     false,    GL_ACT_SILU},
    {"beta only, SiLU",       2,   {3, 4, 2, 2},   1,     true,     GL_ACT_SILU},
    {"affine, none",          3,   {2, 4, 3, 2},   2,     false,    GL_ACT_NONE},
};

static genlab_tensor *gc_f(genlab_ctx *ctx, genlab_tensor **x, void *user)
{
    const gc_case *c = user;
    genlab_tensor *g = c->n_in > 1 && !c->beta_only ? x[1] : NULL;
    genlab_tensor *b = c->n_in == 3 ? x[2] : c->beta_only ? x[1] : NULL;
    return genlab_group_norm_act(ctx, x[0], c->groups, g, b, EPS, c->act);
}

START_TEST(test_gradcheck)
{
    /* the checker's defaults (atol 1e-3, rtol 5e-3) with step 1e-2 on O(1)
     * values, as test_ops_nn's normalisation rows: the first order runs the
     * fused kernel, the second the composed backward against differences
     * of the fused one */
    const gc_case *c = &gc_cases[_i];
    genlab_ctx *ctx = tu_ctx(7);
    genlab_tensor *x[3] = {NULL, NULL, NULL};
    const int64_t ch = c->shape[1];
    x[0] = gc_input(ctx, 4, c->shape, -2.0f, 2.0f, 31u * (unsigned)_i);
    for (int k = 1; k < c->n_in; k++)
        x[k] = gc_input(ctx, 1, &ch, 0.5f, 1.5f, 31u * (unsigned)_i + (unsigned)k);
    gc_opts o = {.eps = 1e-2, .second = true};
    char msg[512];
    bool ok = gc_check(ctx, gc_f, (void *)c, c->n_in, x, &o, msg, sizeof msg);
    for (int k = 0; k < c->n_in; k++)
        genlab_tensor_free(x[k]);
    genlab_ctx_destroy(ctx);
    ck_assert_msg(ok, "%s: %s", c->name, msg);
}
END_TEST

/* ---- thread counts ---- */

/* y, gx, ggamma, gbeta of one fused forward and backward at n threads,
 * copied into out (4 arrays of the sizes below) */
enum { TN = 8, TC = 64, TS = 16 * 16, TX = TN * TC * TS };

static void run_threads(int threads, float *out[4])
{
    genlab_ctx_options o = {.seed = 11, .n_threads = threads};
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    const int64_t shape[4] = {TN, TC, 16, 16}, c = TC;
    genlab_tensor *x = genlab_affine(ctx, genlab_randn(ctx, 4, shape), 2.0f, 1.0f);
    genlab_tensor *g = genlab_randn(ctx, 1, &c), *b = genlab_randn(ctx, 1, &c);
    genlab_tensor *gy = genlab_randn(ctx, 4, shape);
    genlab_tensor *in[3] = {x, g, b}, *gr[3];
    for (int i = 0; i < 3; i++)
        genlab_tensor_set_requires_grad(in[i], true);
    genlab_tensor *y = genlab_group_norm_act(ctx, x, 32, g, b, EPS, GL_ACT_SILU);
    ck_assert_int_eq(genlab_grad(ctx, 1, &y, &gy, 3, in, false, gr), GL_OK);
    memcpy(out[0], genlab_tensor_f32(y), TX * sizeof(float));
    memcpy(out[1], genlab_tensor_f32(gr[0]), TX * sizeof(float));
    memcpy(out[2], genlab_tensor_f32(gr[1]), TC * sizeof(float));
    memcpy(out[3], genlab_tensor_f32(gr[2]), TC * sizeof(float));
    genlab_ctx_destroy(ctx);
}

START_TEST(test_thread_counts)
{
    /* exact: each (n, group) is one thread's, in one order, whatever the
     * count (the shape is above the kernels' single-thread cut-off) */
    static float a[2][TX], b[2][TX], ga[2][TC], gb[2][TC];
    float *ref[4] = {a[0], b[0], ga[0], gb[0]}, *got[4] = {a[1], b[1], ga[1], gb[1]};
    static const char *const what[4] = {"y", "gx", "ggamma", "gbeta"};
    static const size_t size[4] = {TX, TX, TC, TC};
    run_threads(1, ref);
    for (int t = 2; t <= 3; t++) {
        run_threads(t, got);
        for (int k = 0; k < 4; k++)
            ck_assert_msg(memcmp(ref[k], got[k], size[k] * sizeof(float)) == 0,
                          "%s differs between 1 and %d threads", what[k], t);
    }
}
END_TEST

/* ---- exp ---- */

START_TEST(test_expf)
{
    /* gl_cpu_expf against exp in double on 2^20 + 1 points evenly spread
     * over [-87.3, 0] (and its ends): 1.5 ulp (the library's build, with
     * FMA, measures 1.02 over every float of the range; this test's build
     * may not contract, which costs up to another rounding); below -87.3
     * it returns 0, NaN stays NaN */
    const int n = 1 << 20;
    double worst = 0;
    float at = 0;
    for (int i = 0; i <= n; i++) {
        float x = -87.3f * (float)i / (float)n;
        double want = exp((double)x);
        double ulp = nextafterf((float)want, INFINITY) - (float)want;
        double err = fabs((double)gl_cpu_expf(x) - want) / ulp;
        if (err > worst) {
            worst = err;
            at = x;
        }
    }
    ck_assert_msg(worst <= 1.5, "gl_cpu_expf: %.3f ulp at %.9g", worst, at);
    ck_assert(gl_cpu_expf(0.0f) == 1.0f);
    ck_assert(gl_cpu_expf(-100.0f) == 0.0f);
    ck_assert(isnan(gl_cpu_expf(NAN)));
}
END_TEST

/* ---- errors ---- */

/* x (2, 6, 2) of ones, groups, gamma, eps, act */
static genlab_tensor *gn_of(genlab_ctx *c, int groups, genlab_tensor *gamma, float eps, int act)
{
    genlab_tensor *x = genlab_full(c, 3, TU_SHAPE(2, 6, 2), 1.0f);
    return genlab_group_norm_act(c, x, groups, gamma, NULL, eps, (genlab_act)act);
}
static genlab_tensor *e_act(genlab_ctx *c) { return gn_of(c, 2, NULL, 1e-5f, 7); }
static genlab_tensor *e_groups(genlab_ctx *c) { return gn_of(c, 4, NULL, 1e-5f, GL_ACT_SILU); }
static genlab_tensor *e_gamma(genlab_ctx *c)
{ return gn_of(c, 2, genlab_full(c, 1, TU_SHAPE(3), 1.0f), 1e-5f, GL_ACT_SILU); }
static genlab_tensor *e_eps(genlab_ctx *c) { return gn_of(c, 2, NULL, -1.0f, GL_ACT_SILU); }
static genlab_tensor *e_ndim(genlab_ctx *c)
{
    genlab_tensor *x = genlab_full(c, 1, TU_SHAPE(6), 1.0f);
    return genlab_group_norm_act(c, x, 2, NULL, NULL, 1e-5f, GL_ACT_NONE);
}

static const tu_err_case err_cases[] = {
    /* message part     status          fn */
    {"act = 7",         GL_ERR_INVALID, e_act},      /* unknown activation */
    {"groups = 4",      GL_ERR_INVALID, e_groups},   /* 4 does not divide 6 */
    {"gamma (3)",       GL_ERR_SHAPE,   e_gamma},    /* gamma not (C) */
    {"eps = -1",        GL_ERR_INVALID, e_eps},      /* negative eps */
    {"at least 2",      GL_ERR_SHAPE,   e_ndim},     /* x without a channel axis */
};

START_TEST(test_errors) { tu_check_error(&err_cases[_i]); }
END_TEST

/* ---- main ---- */

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *suite(void)
{
    Suite *s = suite_create("norm_fused");
    TCase *tc = tcase_create("golden");
    tcase_add_unchecked_fixture(tc, open_golden, close_golden);
    tcase_add_loop_test(tc, test_golden, 0, N_OF(golden_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("ops");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_vs_composition, 0, N_OF(comp_cases));
    tcase_add_loop_test(tc, test_gradcheck, 0, N_OF(gc_cases));
    tcase_add_test(tc, test_thread_counts);
    tcase_add_test(tc, test_expf);
    tcase_add_loop_test(tc, test_errors, 0, N_OF(err_cases));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
