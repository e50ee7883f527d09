/* SPDX-License-Identifier: MIT
 *
 * test_e2e.c — end-to-end training on the engine, the runs behind
 * `genlab selftest`: an MLP learns XOR; a conv net over-fits one batch;
 * the same seed gives the same bytes.
 */
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

static Suite *suite(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("training");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_xor_learns);
    tcase_add_test(tc, test_convnet_overfits);
    tcase_add_test(tc, test_convnet_deterministic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
