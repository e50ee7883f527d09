/* SPDX-License-Identifier: MIT
 *
 * test_auroc.c — genlab_roc_auc (libgenlab/scores_auroc.c), the ROC-AUC of
 * anomaly scores, against tests/golden/auroc.bin (written by
 * tests/golden/gen_auroc.py: sklearn's roc_auc_score re-implemented in
 * NumPy, and the exact Mann-Whitney counts): tied scores within and across
 * the classes, no ties, perfect and inverted separation, all scores tied,
 * two items; the area's symmetry (flipping the labels gives 1 - area,
 * negating the scores too); and the refused inputs with their messages.
 *
 * Sections: golden cases, properties, errors, suite.
 */
#include <math.h>
#include <stdlib.h>

#include "genlab/genlab.h"
#include "golden.h"
#include "testutil.h"

#define GOLDEN           GL_TOP_SRCDIR "/tests/golden/auroc.bin"
#define GOLDEN_GENERATOR "tests/golden/gen_auroc.py"

/* ---- golden cases ---- */

static gd_file *golden;

static void open_golden(void)
{
    char err[512];
    golden = gd_open(GOLDEN, 1, GOLDEN_GENERATOR, err, sizeof err);
    ck_assert_msg(golden != NULL, "%s", err);
}

static void close_golden(void)
{
    gd_free(golden);
    golden = NULL;
}

static const gd_tensor *gold(const char *name, const char *what)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", name, what);
    const gd_tensor *t = gd_get(golden, key);
    ck_assert_msg(t != NULL, "%s: no %s (regenerate with %s)", GOLDEN, key, GOLDEN_GENERATOR);
    return t;
}

/* One case's scores and labels as genlab_roc_auc takes them. */
typedef struct items {
    double *scores;
    bool   *positive;
    int64_t n;
} items;

static items items_of(const char *name)
{
    const gd_tensor *s = gold(name, "scores"), *y = gold(name, "labels");
    ck_assert_int_eq(s->numel, y->numel);
    items it = {malloc((size_t)s->numel * sizeof(double)), malloc((size_t)s->numel), s->numel};
    ck_assert(it.scores && it.positive);
    for (int64_t i = 0; i < it.n; i++) {
        it.scores[i] = s->data[i];
        it.positive[i] = y->data[i] != 0.0f;
    }
    return it;
}

static void items_free(items *it)
{
    free(it->scores);
    free(it->positive);
}

static const char *const cases[] = {"ties", "levels", "continuous", "separated",
                                    "inverted", "all_tied", "tiny"};

/* The area equals twice the Mann-Whitney count over 2 P N exactly (the
 * counts are integers below 2^24, exact in the file; the division is one
 * rounding on both sides), and sklearn's trapezoids within float32's
 * rounding of the stored value (6e-8 relative; 1e-7 absolute for areas up
 * to 1). */
START_TEST(test_golden)
{
    const char *name = cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    items it = items_of(name);
    double auc = -1.0;
    ck_assert_int_eq(genlab_roc_auc(ctx, it.scores, it.positive, it.n, &auc), GL_OK);
    double u2 = gold(name, "u2")->data[0], pn = gold(name, "pn")->data[0];
    ck_assert_msg(auc == u2 / (2.0 * pn), "%s: %.17g, want %.17g", name, auc, u2 / (2.0 * pn));
    ck_assert_double_eq_tol(auc, gold(name, "auc")->data[0], 1e-7);
    items_free(&it);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- properties ---- */

/* Flipping the labels swaps the roles: 1 - area, exactly (u2 and 2 P N -
 * u2 are exact integers); negating the scores too gives the area back. */
START_TEST(test_symmetry)
{
    genlab_ctx *ctx = tu_ctx(1);
    items it = items_of("ties");
    double a, flipped, both;
    ck_assert_int_eq(genlab_roc_auc(ctx, it.scores, it.positive, it.n, &a), GL_OK);
    for (int64_t i = 0; i < it.n; i++)
        it.positive[i] = !it.positive[i];
    ck_assert_int_eq(genlab_roc_auc(ctx, it.scores, it.positive, it.n, &flipped), GL_OK);
    for (int64_t i = 0; i < it.n; i++)
        it.scores[i] = -it.scores[i];
    ck_assert_int_eq(genlab_roc_auc(ctx, it.scores, it.positive, it.n, &both), GL_OK);
    /* 1 - a is one rounding away from the exact complement: 2e-16 */
    ck_assert_double_eq_tol(flipped, 1.0 - a, 1e-15);
    ck_assert(both == a);
    ck_assert(a > 0.6 && a < 0.8);   /* not a trivial case */
    items_free(&it);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- errors ---- */

static const struct err_case {
    double        scores[4];
    bool          positive[4];
    int64_t       n;
    genlab_status status;
    const char   *message;
} errors[] = {
    {{0.1, 0.2, 0.3}, {false, false, false}, 3, GL_ERR_INVALID,
     "roc_auc: all 3 items are negative: the area needs both classes"},
    {{0.1, 0.2}, {true, true}, 2, GL_ERR_INVALID,
     "roc_auc: all 2 items are positive: the area needs both classes"},
    {{0.1, NAN, 0.3}, {true, false, true}, 3, GL_ERR_NUMERIC, "roc_auc: score 1 is nan"},
    {{INFINITY, 0.2}, {true, false}, 2, GL_ERR_NUMERIC, "roc_auc: score 0 is inf"},
    {{0.5}, {true}, 1, GL_ERR_INVALID,
     "roc_auc: 1 scores (needs 2 to 2^26, with scores, labels and an output)"},
};

START_TEST(test_errors)
{
    const struct err_case *k = &errors[_i];
    genlab_ctx *ctx = tu_ctx(1);
    double auc = 42.0;
    ck_assert_int_eq(genlab_roc_auc(ctx, k->scores, k->positive, k->n, &auc), k->status);
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), k->message);
    ck_assert(auc == 42.0);   /* untouched */
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- suite ---- */

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *auroc_suite(void)
{
    Suite *s = suite_create("auroc");
    TCase *tc = tcase_create("golden");
    tcase_add_unchecked_fixture(tc, open_golden, close_golden);
    tcase_add_loop_test(tc, test_golden, 0, N_OF(cases));
    tcase_add_test(tc, test_symmetry);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_errors, 0, N_OF(errors));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(auroc_suite());
}
