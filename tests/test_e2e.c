/* SPDX-License-Identifier: MIT
 *
 * test_e2e.c — end-to-end training on the engine, the runs behind
 * `genlab selftest`: an MLP learns XOR; a conv net over-fits one batch;
 * the same seed gives the same bytes.
 */
#include "gradcheck.h"
#include "selftest.h"
#include "testutil.h"

START_TEST(test_xor_learns)
{
    selftest_result a, b;
    char err[256];
    ck_assert_msg(selftest_xor(2024, 0, 2000, &a, err, sizeof err) == GL_OK, "%s", err);
    ck_assert_msg(a.final_loss < 0.01, "XOR loss %.4f after %d steps", a.final_loss, a.steps);
    ck_assert_int_eq(a.n_params, 2 * 8 + 8 + 8 + 1);
    ck_assert_msg(selftest_xor(2024, 0, 2000, &b, err, sizeof err) == GL_OK, "%s", err);
    ck_assert_int_eq(a.steps, b.steps);
    ck_assert_uint_eq(a.params_hash, b.params_hash);   /* same seed, same bytes */
}
END_TEST

START_TEST(test_convnet_overfits)
{
    selftest_result r;
    char err[256];
    ck_assert_msg(selftest_convnet(7, 0, 150, &r, NULL, NULL, err, sizeof err) == GL_OK, "%s", err);
    /* 4 balanced classes start near ln 4 = 1.386; memorising 32 images
     * drives the loss far below it */
    ck_assert_double_gt(r.first_loss, 1.0);
    ck_assert_msg(r.final_loss < 0.05, "loss %.4f -> %.4f", r.first_loss, r.final_loss);
}
END_TEST

/* same seed and thread count: identical bytes; another seed differs.
 * (Across thread counts the engine's own kernels give the same bits, but
 * OpenBLAS's sgemm may not: its AVX2 kernels split work differently.) */
START_TEST(test_convnet_deterministic)
{
    selftest_result a, b, c;
    char err[256];
    ck_assert_msg(selftest_convnet(11, 2, 20, &a, NULL, NULL, err, sizeof err) == GL_OK, "%s", err);
    ck_assert_msg(selftest_convnet(11, 2, 20, &b, NULL, NULL, err, sizeof err) == GL_OK, "%s", err);
    ck_assert_msg(selftest_convnet(12, 2, 20, &c, NULL, NULL, err, sizeof err) == GL_OK, "%s", err);
    ck_assert_uint_eq(a.params_hash, b.params_hash);
    ck_assert_double_eq(a.final_loss, b.final_loss);
    ck_assert_uint_ne(a.params_hash, c.params_hash);
}
END_TEST

/* WGAN-GP's gradient penalty through a small conv critic, built with the
 * public API only: D(x) = sum(conv(lrelu(conv(x, w1)), w2)) per image,
 * g = dD/dx with create_graph, penalty = mean_i (||g_i|| - 1)^2. Its gradient
 * with respect to the weights (a gradient of a gradient) must match finite
 * differences of the penalty. */
static genlab_tensor *gradient_penalty(genlab_ctx *ctx, genlab_tensor **in, void *user)
{
    (void)user;
    static const genlab_conv_opts pad1 = {.padding = {1, 1}};
    genlab_tensor *x = in[0], *w1 = in[1], *w2 = in[2];
    genlab_tensor *h = genlab_leaky_relu(ctx, genlab_conv2d(ctx, x, w1, NULL, &pad1), 0.2f);
    genlab_tensor *d = genlab_sum_all(ctx, genlab_conv2d(ctx, h, w2, NULL, NULL));
    genlab_tensor *g;
    if (!d || genlab_grad(ctx, 1, &d, NULL, 1, &x, true, &g) != GL_OK)
        return NULL;
    genlab_tensor *norm = genlab_sqrt(ctx, genlab_sum(ctx, genlab_mul(ctx, g, g), 3,
                                                      (const int[]){1, 2, 3}, false));
    genlab_tensor *dev = genlab_affine(ctx, norm, 1.0f, -1.0f);
    return genlab_mean_all(ctx, genlab_mul(ctx, dev, dev));
}

START_TEST(test_wgan_gp_penalty)
{
    genlab_ctx *ctx = tu_ctx(3);
    genlab_tensor *in[3] = {gc_input(ctx, 4, TU_SHAPE(2, 1, 6, 6), -1, 1, 1),
                            gc_input(ctx, 4, TU_SHAPE(3, 1, 3, 3), -1, 1, 2),
                            gc_input(ctx, 4, TU_SHAPE(1, 3, 3, 3), -1, 1, 3)};
    /* the leaky relu's kink sits inside the critic, where the inputs cannot
     * be moved away from it: a small step (2e-3) keeps the pre-activations of
     * these fixed inputs on their side of 0 (a crossing would show as a
     * failure, not hide one) */
    gc_opts o = {.eps = 2e-3};
    char msg[512];
    bool ok = gc_check(ctx, gradient_penalty, NULL, 3, in, &o, msg, sizeof msg);
    for (int i = 0; i < 3; i++)
        genlab_tensor_free(in[i]);
    genlab_ctx_destroy(ctx);
    ck_assert_msg(ok, "gradient penalty: %s", msg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("training");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_xor_learns);
    tcase_add_test(tc, test_convnet_overfits);
    tcase_add_test(tc, test_convnet_deterministic);
    tcase_add_test(tc, test_wgan_gp_penalty);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
