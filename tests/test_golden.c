/* SPDX-License-Identifier: MIT
 *
 * test_golden.c — parity with PyTorch: forward values and input, weight and
 * bias gradients of linear, conv2d, conv_transpose2d, batch_norm (train,
 * with its running-statistics update, and eval) and group_norm, read from
 * tests/golden/engine.bin (written by tests/golden/gen_engine.py).
 *
 * Each case: build the op from the stored inputs, compare y, then take
 * grad(sum(y * gy)) with respect to every input and compare with PyTorch's.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "golden.h"
#include "testutil.h"

#define ENGINE_GOLDEN GL_TOP_SRCDIR "/tests/golden/engine.bin"
#define ENGINE_GENERATOR "tests/golden/gen_engine.py"

static gd_file *golden;

static void open_golden(void)
{
    char err[512];
    golden = gd_open(ENGINE_GOLDEN, 1, ENGINE_GENERATOR, err, sizeof err);
    ck_assert_msg(golden != NULL, "%s", err);
}

static void close_golden(void)
{
    gd_free(golden);
    golden = NULL;
}

/* the stored tensor prefix.name as an arena tensor (requires_grad set) */
static genlab_tensor *load(genlab_ctx *ctx, const char *prefix, const char *name, bool grad)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", prefix, name);
    const gd_tensor *g = gd_get(golden, key);
    ck_assert_msg(g != NULL, "%s has no tensor %s: regenerate with %s", ENGINE_GOLDEN, key,
                  ENGINE_GENERATOR);
    genlab_tensor *t = genlab_tensor_from(ctx, g->ndim, g->shape, g->data);
    ck_assert_ptr_nonnull(t);
    genlab_tensor_set_requires_grad(t, grad);
    return t;
}

/* max |got - want| <= atol + rtol * max|want|, reporting the worst entry */
static void expect_close(const char *prefix, const char *name, const genlab_tensor *got,
                         double atol, double rtol)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", prefix, name);
    const gd_tensor *want = gd_get(golden, key);
    ck_assert_msg(want != NULL, "no tensor %s in %s", key, ENGINE_GOLDEN);
    ck_assert_msg(got != NULL, "%s: not computed", key);
    ck_assert_int_eq(genlab_tensor_numel(got), want->numel);
    const float *g = genlab_tensor_f32(got);
    double scale = 0, worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < want->numel; i++)
        scale = fmax(scale, fabs(want->data[i]));
    for (int64_t i = 0; i < want->numel; i++) {
        double d = fabs((double)g[i] - want->data[i]);
        if (d > worst) {
            worst = d;
            at = i;
        }
    }
    ck_assert_msg(worst <= atol + rtol * scale, "%s: max diff %.3g at %lld (got %.7g, want %.7g)",
                  key, worst, (long long)at, g[at], want->data[at]);
}

/* compare y and the gradients of sum(y * gy) with respect to inputs */
static void check_case(genlab_ctx *ctx, const char *prefix, genlab_tensor *y, int n,
                       genlab_tensor **in, const char *const *names)
{
    /* float32 against PyTorch float32 with different summation orders:
     * relative error of a few ulps times sqrt(terms); 1e-5 of the largest
     * magnitude leaves an order of magnitude of margin for sums of ~500 terms */
    const double atol = 1e-5, rtol = 1e-5;
    ck_assert_msg(y != NULL, "%s: %s", prefix, genlab_ctx_errmsg(ctx));
    expect_close(prefix, "y", y, atol, rtol);
    genlab_tensor *gy = load(ctx, prefix, "gy", false), *g[4];
    ck_assert_int_eq(genlab_grad(ctx, 1, &y, &gy, n, in, false, g), GL_OK);
    for (int i = 0; i < n; i++) {
        char gname[32];
        snprintf(gname, sizeof gname, "g%s", names[i]);
        expect_close(prefix, gname, g[i], atol, rtol);
    }
}

static const char *const xwb[] = {"x", "w", "b"};

START_TEST(test_linear)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *in[3] = {load(ctx, "linear", "x", true), load(ctx, "linear", "w", true),
                            load(ctx, "linear", "b", true)};
    check_case(ctx, "linear", genlab_linear(ctx, in[0], in[1], in[2]), 3, in, xwb);
    genlab_ctx_destroy(ctx);
}
END_TEST

typedef struct conv_case {
    const char      *prefix;
    bool             transpose;
    genlab_conv_opts opts;
} conv_case;

static const conv_case convs[] = {
    /* prefix     transpose  stride  padding dilation outpad groups */
    {"conv_a",  false, {{2, 2}, {1, 1}, {1, 1}, {0, 0}, 1}},
    {"conv_b",  false, {{1, 1}, {2, 2}, {2, 2}, {0, 0}, 2}},
    {"convt_a", true,  {{2, 2}, {1, 1}, {1, 1}, {0, 0}, 1}},
    {"convt_b", true,  {{2, 2}, {1, 1}, {1, 1}, {1, 1}, 2}},
};

START_TEST(test_conv)
{
    const conv_case *c = &convs[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *in[3] = {load(ctx, c->prefix, "x", true), load(ctx, c->prefix, "w", true),
                            load(ctx, c->prefix, "b", true)};
    genlab_tensor *y = c->transpose ? genlab_conv_transpose2d(ctx, in[0], in[1], in[2], &c->opts)
                                    : genlab_conv2d(ctx, in[0], in[1], in[2], &c->opts);
    check_case(ctx, c->prefix, y, 3, in, xwb);
    genlab_ctx_destroy(ctx);
}
END_TEST

static const char *const xgb[] = {"x", "gamma", "beta"};

START_TEST(test_batch_norm)
{
    genlab_ctx *ctx = tu_ctx(1);
    /* running statistics are persistent state updated in place */
    genlab_tensor *rm = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(3));
    genlab_tensor *rv = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(3));
    genlab_tensor_copy_into(ctx, rm, load(ctx, "bn_train", "running_mean0", false));
    genlab_tensor_copy_into(ctx, rv, load(ctx, "bn_train", "running_var0", false));
    genlab_tensor *in[3] = {load(ctx, "bn_train", "x", true), load(ctx, "bn_train", "gamma", true),
                            load(ctx, "bn_train", "beta", true)};
    genlab_tensor *y = genlab_batch_norm(ctx, in[0], in[1], in[2], rm, rv, true, 0.1f, 1e-5f);
    check_case(ctx, "bn_train", y, 3, in, xgb);
    /* the running stats move by momentum 0.1 toward batch mean / unbiased variance */
    expect_close("bn_train", "running_mean1", rm, 1e-6, 1e-6);
    expect_close("bn_train", "running_var1", rv, 1e-6, 1e-6);

    genlab_tensor *ev[3] = {load(ctx, "bn_eval", "x", true), in[1], in[2]};
    y = genlab_batch_norm(ctx, ev[0], ev[1], ev[2], rm, rv, false, 0.1f, 1e-5f);
    check_case(ctx, "bn_eval", y, 3, ev, xgb);
    /* eval leaves the running stats as the training call left them */
    expect_close("bn_eval", "running_mean", rm, 1e-6, 1e-6);
    expect_close("bn_eval", "running_var", rv, 1e-6, 1e-6);
    genlab_tensor_free(rm);
    genlab_tensor_free(rv);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_group_norm)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *in[3] = {load(ctx, "gn", "x", true), load(ctx, "gn", "gamma", true),
                            load(ctx, "gn", "beta", true)};
    check_case(ctx, "gn", genlab_group_norm(ctx, in[0], 3, in[1], in[2], 1e-5f), 3, in, xgb);
    genlab_ctx_destroy(ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("ops");
    tcase_add_unchecked_fixture(tc, open_golden, close_golden);
    tcase_add_test(tc, test_linear);
    tcase_add_loop_test(tc, test_conv, 0, (int)(sizeof convs / sizeof convs[0]));
    tcase_add_test(tc, test_batch_norm);
    tcase_add_test(tc, test_group_norm);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
