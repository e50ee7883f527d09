/* SPDX-License-Identifier: MIT
 *
 * test_batch_norm_fused.c — genlab_batch_norm's fused training-mode path
 * (backend.h's batch_norm / batch_norm_backward, CPU kernels in
 * libgenlab/cpu/cpu_norm.c): which path the op takes, the fused op against
 * the composition of public ops it falls back to (forward, running
 * statistics, gradients, Hessian-vector products), finite differences
 * (first and second order, training and eval mode, with and without the
 * affine parameters), bit for bit across thread counts, and its argument
 * errors.
 *
 * The composed path is reached through a context whose backend table is
 * the CPU's cut short before the batch_norm members (struct_size), as a
 * backend plugin built before them looks to the host.
 *
 * Not here: PyTorch goldens (test_golden's bn_train / bn_eval run through
 * the fused kernels now), the CUDA kernels (test_backend_ops compares them
 * with these), the running statistics against a hand computation
 * (test_ops_nn).
 *
 * Sections: fixtures, dispatch, against the composition, gradient checks,
 * thread counts, errors, main.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gradcheck.h"
#include "internal.h"
#include "testutil.h"

#define EPS 1e-5f
#define MOMENTUM 0.1f

/* ---- fixtures ---- */

/* the CPU backend as one without the fused batch norm members */
static genlab_backend_i plain_cpu;

/* a context on the CPU backend, with (fused) or without the members */
static genlab_ctx *make_ctx(uint64_t seed, bool fused)
{
    genlab_ctx *ctx = tu_ctx(seed);
    if (!fused) {
        plain_cpu = *genlab_backend_cpu();
        plain_cpu.struct_size = (uint32_t)offsetof(genlab_backend_i, batch_norm);
        ctx->be = &plain_cpu;
    }
    return ctx;
}

/* a (c) persistent tensor of value v */
static genlab_tensor *channel_buffer(genlab_ctx *ctx, int64_t c, float v)
{
    genlab_tensor *t = genlab_tensor_new_persistent(ctx, GL_F32, 1, &c);
    ck_assert_ptr_nonnull(t);
    for (int64_t i = 0; i < c; i++)
        genlab_tensor_f32_mut(t)[i] = v;
    return t;
}

/* max |got - want| <= tol * max(1, max |want|) */
static void expect_near(const char *what, const genlab_tensor *got, const genlab_tensor *want,
                        double tol)
{
    ck_assert_msg(got && want, "%s: not computed", what);
    const int64_t n = genlab_tensor_numel(want);
    ck_assert_int_eq(genlab_tensor_numel(got), n);
    const float *g = genlab_tensor_f32(got), *w = genlab_tensor_f32(want);
    double scale = 1, worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(w[i]));
    for (int64_t i = 0; i < n; i++)
        if (fabs((double)g[i] - w[i]) > worst) {
            worst = fabs((double)g[i] - w[i]);
            at = i;
        }
    ck_assert_msg(worst <= tol * scale, "%s: max diff %.3g at %lld (got %.9g, want %.9g)", what,
                  worst, (long long)at, n ? g[at] : 0.0f, n ? w[at] : 0.0f);
}

/* the name of the op that made t ("" for a leaf) */
static const char *made_by(const genlab_tensor *t)
{
    return t->node ? t->node->op->name : "";
}

/* ---- dispatch ---- */

START_TEST(test_dispatch)
{
    /* training mode on the CPU: one fused node; without the members, or in
     * eval mode, a composition (its last node a broadcast add or mul) */
    const int64_t shape[4] = {4, 3, 2, 2}, c = 3;
    for (int fused = 0; fused < 2; fused++) {
        genlab_ctx *ctx = make_ctx(1, fused);
        genlab_tensor *x = genlab_randn(ctx, 4, shape);
        genlab_tensor *g = genlab_full(ctx, 1, &c, 1.5f), *b = genlab_full(ctx, 1, &c, 0.5f);
        genlab_tensor *rm = channel_buffer(ctx, c, 0.0f), *rv = channel_buffer(ctx, c, 1.0f);
        genlab_tensor_set_requires_grad(x, true);
        genlab_tensor *y = genlab_batch_norm(ctx, x, g, b, rm, rv, true, MOMENTUM, EPS);
        ck_assert_msg(y != NULL, "%s", genlab_ctx_errmsg(ctx));
        ck_assert_msg((strcmp(made_by(y), "batch_norm") == 0) == fused,
                      "training, fused %d: made by '%s'", fused, made_by(y));
        y = genlab_batch_norm(ctx, x, g, b, rm, rv, false, MOMENTUM, EPS);
        ck_assert_msg(y != NULL && strcmp(made_by(y), "batch_norm") != 0,
                      "eval, fused %d: made by '%s'", fused, y ? made_by(y) : "(NULL)");
        genlab_tensor_free(rm);
        genlab_tensor_free(rv);
        genlab_ctx_destroy(ctx);
    }
}
END_TEST

/* ---- against the composition ---- */

typedef struct comp_case {
    const char *name;
    int         ndim;
    int64_t     shape[4];
    bool        gamma, beta, running;
    float       offset;   /* added to x (scale 2): a large one tests the one-pass variance */
} comp_case;

static const comp_case comp_cases[] = {
    /* name                   ndim shape             gamma  beta   running offset */
    {"DCGAN-like",            4,   {16, 32, 8, 8},   true,  true,  true,   0.5f},
    {"BatchNorm1d (N, C)",    2,   {37, 5, 1, 1},    true,  true,  true,   0.0f},
    {"gamma only, 3-D",       3,   {6, 4, 33, 1},    true,  false, true,   -1.0f},
    {"beta only, no running", 4,   {3, 8, 5, 3},     false, true,  false,  2.0f},
    {"plain, 3 per channel",  4,   {3, 6, 1, 1},     false, false, true,   0.0f},
    {"large mean",            4,   {8, 4, 9, 9},     true,  true,  true,   100.0f},
};

/* What one path computed: y, the running stats after the call, the first
 * order gradients of sum(y gy) and the second order ones of sum(gx v). */
typedef struct bn_result {
    genlab_tensor *y, *rm, *rv, *g[3], *h[3];
} bn_result;

/* run_path — the case on a fused or composed context (same seed, hence
 * the same inputs); the context stays alive for the results */
static genlab_ctx *run_path(const comp_case *c, bool fused, bn_result *r)
{
    genlab_ctx *ctx = make_ctx(17, fused);
    const int64_t ch = c->shape[1];
    genlab_tensor *x = genlab_affine(ctx, genlab_randn(ctx, c->ndim, c->shape), 2.0f, c->offset);
    genlab_tensor *g = genlab_affine(ctx, genlab_randn(ctx, 1, &ch), 0.5f, 1.0f);
    genlab_tensor *b = genlab_randn(ctx, 1, &ch);
    genlab_tensor *gy = genlab_randn(ctx, c->ndim, c->shape);
    genlab_tensor *v = genlab_randn(ctx, c->ndim, c->shape);
    genlab_tensor *in[3] = {x, c->gamma ? g : NULL, c->beta ? b : NULL};
    for (int i = 0; i < 3; i++)
        if (in[i])
            genlab_tensor_set_requires_grad(in[i], true);
    r->rm = c->running ? channel_buffer(ctx, ch, 0.25f) : NULL;
    r->rv = c->running ? channel_buffer(ctx, ch, 2.0f) : NULL;
    r->y = genlab_batch_norm(ctx, x, in[1], in[2], r->rm, r->rv, true, MOMENTUM, EPS);
    ck_assert_msg(r->y != NULL, "%s: %s", c->name, genlab_ctx_errmsg(ctx));
    memset(r->g, 0, sizeof r->g);
    memset(r->h, 0, sizeof r->h);
    for (int i = 0; i < 3; i++)
        if (in[i])
            ck_assert_int_eq(genlab_grad(ctx, 1, &r->y, &gy, 1, &in[i], false, &r->g[i]), GL_OK);
    /* second order: gx recorded (the fused node's backward composes then),
     * differentiated again */
    genlab_tensor *gx;
    ck_assert_int_eq(genlab_grad(ctx, 1, &r->y, &gy, 1, &x, true, &gx), GL_OK);
    genlab_tensor *s = genlab_sum_all(ctx, genlab_mul(ctx, gx, v));
    for (int i = 0; i < 3; i++)
        if (in[i])
            ck_assert_int_eq(genlab_grad(ctx, 1, &s, NULL, 1, &in[i], false, &r->h[i]), GL_OK);
    return ctx;
}

START_TEST(test_vs_composition)
{
    const comp_case *c = &comp_cases[_i];
    bn_result f, p;
    genlab_ctx *cf = run_path(c, true, &f), *cp = run_path(c, false, &p);
    ck_assert_str_eq(made_by(f.y), "batch_norm");
    ck_assert_str_ne(made_by(p.y), "batch_norm");
    char m[128];
    /* y: the same float32 formula (x - mean) rstd gamma + beta from
     * statistics that differ by an ulp or two (double one-pass sums
     * against the composition's float passes): a few 1e-7 of |y| <= ~6
     * here; 2e-6 of max(1, max |y|) leaves a factor 5 */
    snprintf(m, sizeof m, "%s: y", c->name);
    expect_near(m, f.y, p.y, 2e-6);
    if (c->running) {
        /* running stats: 0.9 r + 0.1 stat; the fused variance comes back
         * from rstd^-2 - eps (a few ulps of var + eps), the composition's
         * sums float squares: both within ~1e-6 of max(1, |value|), so 2e-6;
         * the biased variance instead of the unbiased one (a factor
         * (n - 1) / n, 1023/1024 at the largest n here) moves running_var
         * by 1e-4 of it, and a wrong momentum by more */
        snprintf(m, sizeof m, "%s: running_mean", c->name);
        expect_near(m, f.rm, p.rm, 2e-6);
        snprintf(m, sizeof m, "%s: running_var", c->name);
        expect_near(m, f.rv, p.rv, 2e-6);
    }
    /* gradients: the fused kernel's two passes against the composition's
     * tape; gx subtracts two channel means from gy gamma, so it carries
     * more rounding than y, and the Hessian-vector products (the same
     * composed backward on both sides, from statistics an ulp apart)
     * compose ~20 ops: both measure <= 2e-7 of max(1, max |value|) here,
     * 1e-5 leaves a decade and more for other inputs (a gradient that
     * cancels to rounding noise, as with 2 values per channel where gx is
     * 0 in exact arithmetic, is noise times rstd: no such case here) */
    static const char *const what[3] = {"x", "gamma", "beta"};
    for (int i = 0; i < 3; i++) {
        ck_assert((f.g[i] == NULL) == (p.g[i] == NULL));
        if (!f.g[i])
            continue;
        snprintf(m, sizeof m, "%s: d/d %s", c->name, what[i]);
        expect_near(m, f.g[i], p.g[i], 1e-5);
        snprintf(m, sizeof m, "%s: second order d/d %s", c->name, what[i]);
        expect_near(m, f.h[i], p.h[i], 1e-5);
    }
    genlab_tensor *bufs[4] = {f.rm, f.rv, p.rm, p.rv};
    for (int i = 0; i < 4; i++)
        genlab_tensor_free(bufs[i]);
    genlab_ctx_destroy(cf);
    genlab_ctx_destroy(cp);
}
END_TEST

/* ---- gradient checks ---- */

typedef struct gc_case {
    const char *name;
    int         ndim;
    int64_t     shape[4];
    bool        gamma, beta;  /* the inputs after x, in this order */
    bool        training, running;
} gc_case;

static const gc_case gc_cases[] = {
    /* name                       ndim shape          gamma  beta   training running */
    {"train affine, running",     4,   {4, 3, 2, 2},  true,  true,  true,    true},
    {"train plain",               3,   {5, 2, 3, 1},  false, false, true,    false},
    {"train gamma only",          4,   {3, 4, 2, 1},  true,  false, true,    true},
    {"train beta only",           4,   {3, 2, 2, 2},  false, true,  true,    false},
    {"train (N, C), 2 per ch.",   2,   {2, 3, 1, 1},  true,  true,  true,    true},
    {"eval affine",               4,   {3, 3, 2, 2},  true,  true,  false,   true},
    {"eval plain",                3,   {4, 2, 3, 1},  false, false, false,   true},
};

/* per-channel constants (running stats; the variance kept well above 0) */
static genlab_tensor *consts(genlab_ctx *ctx, int64_t c, float base, float step)
{
    genlab_tensor *t = genlab_tensor_new(ctx, GL_F32, 1, &c);
    for (int64_t i = 0; t && i < c; i++)
        genlab_tensor_f32_mut(t)[i] = base + step * (float)i;
    return t;
}

static genlab_tensor *gc_f(genlab_ctx *ctx, genlab_tensor **x, void *user)
{
    const gc_case *c = user;
    genlab_tensor *g = c->gamma ? x[1] : NULL, *b = c->beta ? x[c->gamma ? 2 : 1] : NULL;
    const int64_t ch = c->shape[1];
    /* fresh buffers each call: the in-place update must not move the point
     * the differences are taken at */
    genlab_tensor *rm = c->running ? consts(ctx, ch, -0.2f, 0.15f) : NULL;
    genlab_tensor *rv = c->running ? consts(ctx, ch, 0.5f, 0.3f) : NULL;
    return genlab_batch_norm(ctx, x[0], g, b, rm, rv, c->training, MOMENTUM, EPS);
}

START_TEST(test_gradcheck)
{
    /* the checker's defaults (atol 1e-3, rtol 5e-3) with step 1e-2 on O(1)
     * values, as test_ops_nn's normalisation rows: in training mode the
     * first order runs the fused kernel, the second the composed backward
     * against differences of the fused one */
    const gc_case *c = &gc_cases[_i];
    genlab_ctx *ctx = make_ctx(7, true);
    const int n_in = 1 + c->gamma + c->beta;
    genlab_tensor *x[3] = {NULL, NULL, NULL};
    const int64_t ch = c->shape[1];
    x[0] = gc_input(ctx, c->ndim, c->shape, -2.0f, 2.0f, 37u * (unsigned)_i);
    for (int k = 1; k < n_in; k++)
        x[k] = gc_input(ctx, 1, &ch, 0.5f, 1.5f, 37u * (unsigned)_i + (unsigned)k);
    gc_opts o = {.eps = 1e-2, .second = true};
    char msg[512];
    bool ok = gc_check(ctx, gc_f, (void *)c, n_in, x, &o, msg, sizeof msg);
    for (int k = 0; k < n_in; k++)
        genlab_tensor_free(x[k]);
    genlab_ctx_destroy(ctx);
    ck_assert_msg(ok, "%s: %s", c->name, msg);
}
END_TEST

/* ---- thread counts ---- */

/* y, gx, ggamma, gbeta and the running stats of one fused forward and
 * backward at n threads, copied into out (6 arrays of the sizes below) */
enum { TN = 16, TC = 32, TS = 16 * 16, TX = TN * TC * TS };

static void run_threads(int threads, float *out[6])
{
    genlab_ctx_options o = {.seed = 11, .n_threads = threads};
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    const int64_t shape[4] = {TN, TC, 16, 16}, c = TC;
    genlab_tensor *x = genlab_affine(ctx, genlab_randn(ctx, 4, shape), 2.0f, 1.0f);
    genlab_tensor *g = genlab_randn(ctx, 1, &c), *b = genlab_randn(ctx, 1, &c);
    genlab_tensor *gy = genlab_randn(ctx, 4, shape);
    genlab_tensor *rm = channel_buffer(ctx, c, 0.0f), *rv = channel_buffer(ctx, c, 1.0f);
    genlab_tensor *in[3] = {x, g, b}, *gr[3];
    for (int i = 0; i < 3; i++)
        genlab_tensor_set_requires_grad(in[i], true);
    genlab_tensor *y = genlab_batch_norm(ctx, x, g, b, rm, rv, true, MOMENTUM, EPS);
    ck_assert_int_eq(genlab_grad(ctx, 1, &y, &gy, 3, in, false, gr), GL_OK);
    const genlab_tensor *t[6] = {y, gr[0], gr[1], gr[2], rm, rv};
    for (int k = 0; k < 6; k++)
        memcpy(out[k], genlab_tensor_f32(t[k]), (size_t)genlab_tensor_numel(t[k]) * 4);
    genlab_tensor_free(rm);
    genlab_tensor_free(rv);
    genlab_ctx_destroy(ctx);
}

START_TEST(test_thread_counts)
{
    /* exact: each channel is one thread's, in one order, whatever the
     * count (the shape is above the kernels' single-thread cut-off) */
    static float y[2][TX], gx[2][TX], p[2][4][TC];
    float *ref[6] = {y[0], gx[0], p[0][0], p[0][1], p[0][2], p[0][3]};
    float *got[6] = {y[1], gx[1], p[1][0], p[1][1], p[1][2], p[1][3]};
    static const char *const what[6] = {"y", "gx", "ggamma", "gbeta", "running_mean",
                                        "running_var"};
    static const size_t size[6] = {TX, TX, TC, TC, TC, TC};
    run_threads(1, ref);
    for (int t = 2; t <= 3; t++) {
        run_threads(t, got);
        for (int k = 0; k < 6; k++)
            ck_assert_msg(memcmp(ref[k], got[k], size[k] * sizeof(float)) == 0,
                          "%s differs between 1 and %d threads", what[k], t);
    }
}
END_TEST

/* ---- errors ---- */

/* x (2, 3, 2) of ones in training mode with the given per-channel tensors */
static genlab_tensor *bn_of(genlab_ctx *c, genlab_tensor *gamma, genlab_tensor *beta,
                            genlab_tensor *rm, genlab_tensor *rv)
{
    genlab_tensor *x = genlab_full(c, 3, TU_SHAPE(2, 3, 2), 1.0f);
    return genlab_batch_norm(c, x, gamma, beta, rm, rv, true, MOMENTUM, EPS);
}
static genlab_tensor *ones(genlab_ctx *c, int ndim, const int64_t *shape)
{
    return genlab_full(c, ndim, shape, 1.0f);
}
static genlab_tensor *e_gamma_2d(genlab_ctx *c)
{ return bn_of(c, ones(c, 2, TU_SHAPE(1, 3)), NULL, NULL, NULL); }
static genlab_tensor *e_gamma_c(genlab_ctx *c)
{ return bn_of(c, ones(c, 1, TU_SHAPE(2)), NULL, NULL, NULL); }
static genlab_tensor *e_beta_c(genlab_ctx *c)
{ return bn_of(c, NULL, ones(c, 1, TU_SHAPE(4)), NULL, NULL); }
static genlab_tensor *e_running_c(genlab_ctx *c)
{ return bn_of(c, NULL, NULL, ones(c, 1, TU_SHAPE(3)), ones(c, 1, TU_SHAPE(6))); }
static genlab_tensor *e_gamma_dtype(genlab_ctx *c)
{ return bn_of(c, genlab_tensor_new(c, GL_I32, 1, TU_SHAPE(3)), NULL, NULL, NULL); }

static const tu_err_case err_cases[] = {
    /* message part                            status        fn */
    {"gamma (1, 3) must have shape (3)",       GL_ERR_SHAPE, e_gamma_2d},    /* gamma not 1-D */
    {"gamma (2) must have shape (3)",          GL_ERR_SHAPE, e_gamma_c},     /* C mismatch */
    {"beta (4) must have shape (3)",           GL_ERR_SHAPE, e_beta_c},      /* C mismatch */
    {"running_var (6) must have shape (3)",    GL_ERR_SHAPE, e_running_c},   /* C mismatch */
    {"gamma must be float32",                  GL_ERR_DTYPE, e_gamma_dtype}, /* not float32 */
};

START_TEST(test_errors) { tu_check_error(&err_cases[_i]); }
END_TEST

/* ---- main ---- */

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *suite(void)
{
    Suite *s = suite_create("batch_norm_fused");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_dispatch);
    tcase_add_loop_test(tc, test_vs_composition, 0, N_OF(comp_cases));
    tcase_add_loop_test(tc, test_gradcheck, 0, N_OF(gc_cases));
    tcase_add_test(tc, test_thread_counts);
    tcase_add_loop_test(tc, test_errors, 0, N_OF(err_cases));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
