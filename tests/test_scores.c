/* SPDX-License-Identifier: MIT
 *
 * test_scores.c — the score arithmetic of scores.h against the reference
 * tools' own formulas (tests/golden/gen_scores.py: NumPy's mean and cov,
 * pytorch-fid's sqrtm-based FID, torch-fidelity's IS and KID, a brute-force
 * precision/recall), against closed forms, and its error messages.
 *
 * Sections: helpers, statistics, FID, IS, KID, precision/recall, errors,
 * main.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/scores.h"
#include "golden.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define GOLDEN_FILE   GL_TOP_SRCDIR "/tests/golden/scores.bin"
#define GOLDEN_SCRIPT "tests/golden/gen_scores.py"

/* ---- helpers ---- */

static gd_file *golden;   /* opened on first use, freed by main */

static const gd_tensor *rec(const char *name)
{
    if (!golden) {
        char err[512];
        golden = gd_open(GOLDEN_FILE, 1, GOLDEN_SCRIPT, err, sizeof err);
        ck_assert_msg(golden != NULL, "%s", err);
    }
    const gd_tensor *t = gd_get(golden, name);
    ck_assert_msg(t != NULL, "scores.bin: no record \"%s\"; regenerate with %s", name,
                  GOLDEN_SCRIPT);
    return t;
}

/* close_to — |got - want| <= atol + rtol |want|, with both in the message */
static void close_to(const char *what, double got, double want, double rtol, double atol)
{
    ck_assert_msg(fabs(got - want) <= atol + rtol * fabs(want),
                  "%s: got %.12g, want %.12g (diff %.3g, rtol %.3g, atol %.3g)", what, got, want,
                  got - want, rtol, atol);
}

/* expect_err — the call failed with status and a message holding want */
static void expect_err(genlab_ctx *ctx, genlab_status got, genlab_status status, const char *want)
{
    ck_assert_msg(got == status, "status %d (%s), expected %d; message: %s", got,
                  genlab_status_str(got), status, genlab_ctx_errmsg(ctx));
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), want) != NULL, "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), want);
    genlab_ctx_clear_error(ctx);
}

/* Statistics of a feature set, finished into owned buffers. */
typedef struct stats {
    int64_t dim;
    double *mu, *sigma;
    bool    singular;
} stats;

/* stats_of — the statistics of rows (n x dim), added chunk rows per call */
static stats stats_of(genlab_ctx *ctx, const float *rows, int64_t n, int64_t dim, int64_t chunk)
{
    genlab_feature_stats *fs;
    ck_assert_int_eq(genlab_fstats_create(ctx, dim, &fs), GL_OK);
    for (int64_t i = 0; i < n; i += chunk)
        ck_assert_int_eq(genlab_fstats_add(ctx, fs, rows + i * dim, n - i < chunk ? n - i : chunk),
                         GL_OK);
    ck_assert_int_eq(genlab_fstats_count(fs), n);
    stats s = {.dim = dim, .mu = malloc((size_t)dim * sizeof(double)),
               .sigma = malloc((size_t)(dim * dim) * sizeof(double))};
    ck_assert_int_eq(genlab_fstats_finish(ctx, fs, s.mu, s.sigma, &s.singular), GL_OK);
    genlab_fstats_free(fs);
    return s;
}

static stats stats_rec(genlab_ctx *ctx, const char *name)
{
    const gd_tensor *t = rec(name);
    return stats_of(ctx, t->data, t->shape[0], t->shape[1], t->shape[0]);
}

static void stats_free(stats *s)
{
    free(s->mu);
    free(s->sigma);
}

static double fid(genlab_ctx *ctx, const stats *a, const stats *b)
{
    double v = NAN;
    ck_assert_msg(genlab_frechet_distance(ctx, a->dim, a->mu, a->sigma, b->mu, b->sigma, &v) ==
                  GL_OK, "%s", genlab_ctx_errmsg(ctx));
    return v;
}

/* lcg — a small deterministic generator for the suite's own data */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* ---- statistics ---- */

/* rows per genlab_fstats_add call: one call, single rows, odd chunks, and
 * chunks at and past the library's 256-row dsyrk block */
static const int64_t chunks[] = {300, 1, 7, 256, 257};

START_TEST(test_stats_golden)
{
    genlab_ctx *ctx = tu_ctx(1);
    const gd_tensor *x = rec("stats.x"), *mu = rec("stats.mu"), *sigma = rec("stats.sigma");
    const int64_t dim = x->shape[1];
    stats s = stats_of(ctx, x->data, x->shape[0], dim, chunks[_i]);
    ck_assert(!s.singular);
    /* the golden values are NumPy's float64 results rounded once to
     * float32 (relative error <= 2^-24 = 6e-8); genlab's shifted one-pass
     * sums differ from NumPy's two-pass ones by ~1e-13 absolute */
    for (int64_t i = 0; i < dim; i++)
        close_to("mu", s.mu[i], mu->data[i], 1.2e-7, 1e-12);
    for (int64_t i = 0; i < dim * dim; i++)
        close_to("sigma", s.sigma[i], sigma->data[i], 1.2e-7, 1e-12);
    /* the same sums in the same groups whatever the calls: bit-identical */
    stats one = stats_of(ctx, x->data, x->shape[0], dim, x->shape[0]);
    ck_assert(!memcmp(one.sigma, s.sigma, (size_t)(dim * dim) * sizeof(double)));
    ck_assert(!memcmp(one.mu, s.mu, (size_t)dim * sizeof(double)));
    stats_free(&one);
    stats_free(&s);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* finish leaves the statistics as they were: more rows can follow */
START_TEST(test_stats_continue)
{
    genlab_ctx *ctx = tu_ctx(1);
    const gd_tensor *x = rec("stats.x");
    const int64_t n = x->shape[0], dim = x->shape[1];
    genlab_feature_stats *fs;
    ck_assert_int_eq(genlab_fstats_create(ctx, dim, &fs), GL_OK);
    ck_assert_int_eq(genlab_fstats_dim(fs), dim);
    double *mu = malloc((size_t)dim * sizeof(double));
    double *sigma = malloc((size_t)(dim * dim) * sizeof(double));
    bool singular = false;
    ck_assert_int_eq(genlab_fstats_add(ctx, fs, x->data, 20), GL_OK);
    ck_assert_int_eq(genlab_fstats_finish(ctx, fs, mu, sigma, &singular), GL_OK);
    ck_assert(singular);   /* 20 rows of 48 dims */
    ck_assert_int_eq(genlab_fstats_add(ctx, fs, x->data + 20 * dim, n - 20), GL_OK);
    ck_assert_int_eq(genlab_fstats_finish(ctx, fs, mu, sigma, NULL), GL_OK);
    stats all = stats_of(ctx, x->data, n, dim, n);
    ck_assert(!memcmp(all.sigma, sigma, (size_t)(dim * dim) * sizeof(double)));
    ck_assert(!memcmp(all.mu, mu, (size_t)dim * sizeof(double)));
    stats_free(&all);
    free(mu);
    free(sigma);
    genlab_fstats_free(fs);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a constant feature has zero variance: singular with any number of rows */
START_TEST(test_stats_flat_feature)
{
    genlab_ctx *ctx = tu_ctx(1);
    float rows[10 * 2];
    for (int i = 0; i < 10; i++) {
        rows[2 * i] = (float)i;
        rows[2 * i + 1] = 3.0f;
    }
    stats s = stats_of(ctx, rows, 10, 2, 10);
    ck_assert(s.singular);
    /* exact: sums of small integers */
    ck_assert(s.mu[0] == 4.5 && s.mu[1] == 3.0);
    ck_assert(s.sigma[0] == 82.5 / 9.0 && s.sigma[1] == 0.0 && s.sigma[3] == 0.0);
    stats_free(&s);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- FID ---- */

/* Golden FIDs: the two sets' statistics are computed here from the same
 * float32 features. */
static const struct fid_case {
    const char *a, *b, *want;
    bool        singular_a, singular_b;
} fid_cases[] = {
    {"stats.x", "fid.b", "fid.full", false, false},     /* both full rank */
    {"fid.c", "fid.d", "fid.singular", true, true},     /* 30 and 40 rows of 48 dims */
    {"fid.c", "fid.b", "fid.mixed", true, false},       /* the first rank-deficient */
    {"fid.b", "fid.c", "fid.mixed", false, true},       /* the second (FID is symmetric) */
};

START_TEST(test_fid_golden)
{
    const struct fid_case *c = &fid_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    stats a = stats_rec(ctx, c->a), b = stats_rec(ctx, c->b);
    ck_assert_int_eq(a.singular, c->singular_a);
    ck_assert_int_eq(b.singular, c->singular_b);
    /* the bound; the golden value is float32 (6e-8 relative) and
     * gen_scores.py checked sqrtm against an eigenvalue route to 1e-7 */
    close_to(c->want, fid(ctx, &a, &b), rec(c->want)->data[0], 1e-6, 0.0);
    stats_free(&a);
    stats_free(&b);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Closed forms: FID of diagonal covariances is |mu1 - mu2|^2 +
 * sum_i (sqrt(a_i) - sqrt(b_i))^2. */
static const struct diag_case {
    const char *what;
    int         dim;
    double      mu1[4], a[4], mu2[4], b[4];
} diag_cases[] = {
    {"one dim", 1, {0.5}, {4.0}, {-1.0}, {9.0}},
    {"diagonal", 4, {1, 2, 3, 4}, {1, 2, 3, 4}, {0, 0, 0, 0}, {4, 3, 2, 1}},
    {"equal", 3, {1, 1, 1}, {2, 5, 7}, {1, 1, 1}, {2, 5, 7}},
    {"sigma1 zero", 3, {0, 0, 0}, {0, 0, 0}, {1, 2, 2}, {1, 4, 9}},     /* rank 0 */
    {"sigma2 zero", 2, {3, 0}, {2, 8}, {0, 4}, {0, 0}},
    {"both rank 1", 3, {0, 0, 0}, {0, 5, 0}, {0, 0, 0}, {0, 3, 0}},
    {"disjoint ranks", 2, {0, 0}, {5, 0}, {0, 0}, {0, 3}},          /* S1 S2 = 0 */
};

START_TEST(test_fid_closed_form)
{
    const struct diag_case *c = &diag_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    const int n = c->dim;
    double s1[16] = {0}, s2[16] = {0}, want = 0.0, got = NAN;
    for (int i = 0; i < n; i++) {
        s1[i * n + i] = c->a[i];
        s2[i * n + i] = c->b[i];
        want += (c->mu1[i] - c->mu2[i]) * (c->mu1[i] - c->mu2[i]) +
                (sqrt(c->a[i]) - sqrt(c->b[i])) * (sqrt(c->a[i]) - sqrt(c->b[i]));
    }
    ck_assert_int_eq(genlab_frechet_distance(ctx, n, c->mu1, s1, c->mu2, s2, &got), GL_OK);
    /* a few roundings of values <= 10 in float64 */
    close_to(c->what, got, want, 1e-13, 1e-13);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* The rank-deficiency guard: I against B B^T (B n x 2) has the closed form
 *     n + tr(B^T B) - 2 sqrt(tr(B^T B) + 2 sqrt(det(B^T B))),
 * as sqrt(l1) + sqrt(l2) squared is l1 + l2 + 2 sqrt(l1 l2). Either way
 * round, n - 2 of the eigenvalues are round-off around 0 (in dpstrf's
 * factor of B B^T, or in M when B B^T is second); each one's square root
 * would add ~1e-7 if it were not taken as zero. */
START_TEST(test_fid_rank_two)
{
    enum { D = 200 };
    genlab_ctx *ctx = tu_ctx(1);
    double *eye = calloc(D * D, sizeof(double)), *bb = malloc(sizeof(double) * D * D);
    double b[2][D], mu[D] = {0}, a = 0, c = 0, ab = 0;
    uint32_t s = 99;
    for (int i = 0; i < D; i++) {
        b[0][i] = (double)(lcg(&s) % 2001) / 1000.0 - 1.0;
        b[1][i] = (double)(lcg(&s) % 2001) / 1000.0 - 1.0;
        a += b[0][i] * b[0][i];
        c += b[1][i] * b[1][i];
        ab += b[0][i] * b[1][i];
        eye[i * D + i] = 1.0;
    }
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++)
            bb[i * D + j] = b[0][i] * b[0][j] + b[1][i] * b[1][j];
    const double want = D + a + c - 2.0 * sqrt(a + c + 2.0 * sqrt(a * c - ab * ab));
    double got = NAN;
    ck_assert_int_eq(genlab_frechet_distance(ctx, D, mu, _i ? bb : eye, mu, _i ? eye : bb, &got),
                     GL_OK);
    /* float64 round-off of sums of ~200 terms of size ~1 (~1e-13), far
     * below the ~1e-5 the unguarded null directions would add */
    close_to(_i ? "B B^T vs I" : "I vs B B^T", got, want, 0.0, 1e-10);
    free(eye);
    free(bb);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* FID(S, S) is 0 (round-off of either sign), and only the upper
 * triangles are read */
START_TEST(test_fid_same)
{
    genlab_ctx *ctx = tu_ctx(1);
    stats x = stats_rec(ctx, _i ? "fid.c" : "stats.x");
    double tr = 0.0;
    for (int64_t i = 0; i < x.dim; i++) {
        tr += x.sigma[i * x.dim + i];
        for (int64_t j = 0; j < i; j++)
            x.sigma[i * x.dim + j] = NAN;
    }
    /* 2 tr(S) - 2 sum sqrt(eig): a few hundred roundings of tr(S) ~ 30,
     * plus the clipped eigenvalues' share in the singular case */
    close_to("FID(x, x)", fid(ctx, &x, &x), 0.0, 0.0, 1e-8 * tr);
    stats_free(&x);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- IS ---- */

static const struct is_case {
    const char *want;
    int         splits;
} is_cases[] = {
    {"is.s1", 1},
    {"is.s3", 3},       /* 103 rows: 34, 34, 35 */
    {"is.s10", 10},     /* 10 or 11 rows */
};

START_TEST(test_is_golden)
{
    const struct is_case *c = &is_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    const gd_tensor *l = rec("is.logits"), *want = rec(c->want);
    double mean = NAN, std = NAN;
    ck_assert_int_eq(genlab_inception_score(ctx, l->data, l->shape[0], l->shape[1], c->splits,
                                            &mean, &std), GL_OK);
    /* torch's float64 results rounded once to float32 (6e-8); the
     * regrouped KL sum differs by ~1e-15 */
    close_to("mean", mean, want->data[0], 1.2e-7, 1e-12);
    close_to("std", std, want->data[1], 1.2e-7, 1e-12);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Closed forms: equal logits give 1; n_classes classes each predicted with
 * certainty, in equal numbers, give n_classes; logits far apart (exp
 * underflows to 0 in float64) stay finite. */
START_TEST(test_is_closed_form)
{
    genlab_ctx *ctx = tu_ctx(1);
    enum { C = 5, ROWS = 4 * C };
    float flat[ROWS * C], sure[ROWS * C];
    for (int i = 0; i < ROWS * C; i++) {
        flat[i] = 1.5f;
        sure[i] = i % C == (i / C) % C ? 2000.0f : -2000.0f;
    }
    double mean, std;
    ck_assert_int_eq(genlab_inception_score(ctx, flat, ROWS, C, 4, &mean, &std), GL_OK);
    close_to("flat", mean, 1.0, 1e-14, 0.0);   /* exp(0 + round-off) */
    close_to("flat std", std, 0.0, 0.0, 1e-14);
    ck_assert_int_eq(genlab_inception_score(ctx, sure, ROWS, C, 4, &mean, &std), GL_OK);
    close_to("certain", mean, C, 1e-14, 0.0);  /* each split holds every class once */
    close_to("certain std", std, 0.0, 0.0, 1e-13);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- KID ---- */

static int64_t *indices(const char *name, int64_t *m)
{
    const gd_tensor *t = rec(name);
    *m = t->shape[0];
    int64_t *idx = malloc((size_t)*m * sizeof(int64_t));
    for (int64_t i = 0; i < *m; i++)
        idx[i] = (int64_t)t->data[i];
    return idx;
}

START_TEST(test_kid_mmd2_golden)
{
    genlab_ctx *ctx = tu_ctx(1);
    const gd_tensor *x = rec("kid.x"), *y = rec("kid.y");
    int64_t m, m2;
    int64_t *ix = indices("kid.ix", &m), *iy = indices("kid.iy", &m2);
    ck_assert_int_eq(m, m2);
    double v = NAN;
    ck_assert_int_eq(genlab_kid_mmd2(ctx, x->data, ix, y->data, iy, m, x->shape[1], &v), GL_OK);
    /* kernel values ~1.3 from float32 dot products (as torch-fidelity's
     * float32 matmul) carry ~1e-7 relative error; MMD^2 ~0.17 is a
     * difference of their means, so within ~1e-6 of the float64 value;
     * the golden value is float32 (6e-8) */
    close_to("kid.mmd2", v, rec("kid.mmd2")->data[0], 2e-6, 0.0);
    free(ix);
    free(iy);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Over random subsets the mean of the estimates is the whole-set estimate
 * (every pair equally likely): it must be within 4 standard errors. */
START_TEST(test_kid_subsets)
{
    genlab_ctx *ctx = tu_ctx(1);
    const gd_tensor *x = rec("kid.x"), *y = rec("kid.y");
    const int subsets = 400;
    double mean, std, mean2, std2;
    ck_assert_int_eq(genlab_kid(ctx, x->data, x->shape[0], y->data, y->shape[0], x->shape[1],
                                subsets, 20, 7, &mean, &std), GL_OK);
    ck_assert(std > 0.0);
    close_to("KID mean vs the whole-set estimate", mean, rec("kid.full")->data[0], 0.0,
             4.0 * std / sqrt(subsets));
    /* the seed alone decides the draws */
    ck_assert_int_eq(genlab_kid(ctx, x->data, x->shape[0], y->data, y->shape[0], x->shape[1],
                                subsets, 20, 7, &mean2, &std2), GL_OK);
    ck_assert(mean == mean2 && std == std2);
    ck_assert_int_eq(genlab_kid(ctx, x->data, x->shape[0], y->data, y->shape[0], x->shape[1],
                                subsets, 20, 8, &mean2, &std2), GL_OK);
    ck_assert(mean != mean2);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Subsets as large as the sets are the sets, reordered: draws without
 * replacement make every estimate the whole-set one (with replacement,
 * repeated rows would spread them). */
START_TEST(test_kid_whole_sets)
{
    genlab_ctx *ctx = tu_ctx(1);
    const gd_tensor *x = rec("kid.x"), *y = rec("kid.y");
    const int64_t m = 50, dim = x->shape[1];
    int64_t idx[50];
    for (int64_t i = 0; i < m; i++)
        idx[i] = i;
    double whole, mean, std;
    ck_assert_int_eq(genlab_kid_mmd2(ctx, x->data, idx, y->data, idx, m, dim, &whole), GL_OK);
    ck_assert_int_eq(genlab_kid(ctx, x->data, m, y->data, m, dim, 10, m, 3, &mean, &std), GL_OK);
    /* reordered rows change only roundings: of the float64 sums, and of
     * float32 dot products where sgemm's kernels differ between block
     * edges and interiors (~1e-7 relative; seen at 1e-8 without AVX-512);
     * draws with replacement would spread the estimates by ~10% */
    close_to("mean", mean, whole, 1e-6, 0.0);
    close_to("std", std, 0.0, 0.0, 1e-6 * whole);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- precision/recall ---- */

static const struct pr_case {
    const char *want;
    int         k;
} pr_cases[] = {
    {"pr.k3", 3},
    {"pr.k5", 5},
};

START_TEST(test_pr_golden)
{
    const struct pr_case *c = &pr_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    const gd_tensor *r = rec("pr.real"), *f = rec("pr.fake"), *want = rec(c->want);
    double p = NAN, q = NAN;
    ck_assert_int_eq(genlab_precision_recall(ctx, r->data, r->shape[0], f->data, f->shape[0],
                                             r->shape[1], c->k, &p, &q), GL_OK);
    /* fractions of 35 and 40 rows: one row more or less is 0.025; the
     * float32 golden holds them to 6e-8 */
    close_to("precision", p, want->data[0], 1e-6, 0.0);
    close_to("recall", q, want->data[1], 1e-6, 0.0);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* brute_radii — squared k-th nearest-other-row distances, by sorting */
static void brute_radii(const float *x, int n, int dim, int k, double *r2, double *tmp)
{
    for (int i = 0; i < n; i++) {
        int len = 0;
        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            double d = 0.0;
            for (int t = 0; t < dim; t++)
                d += ((double)x[i * dim + t] - x[j * dim + t]) * ((double)x[i * dim + t] - x[j * dim + t]);
            /* insertion into the sorted k smallest so far */
            if (len == k && d >= tmp[k - 1])
                continue;
            int p = len < k ? len++ : k - 1;
            while (p > 0 && tmp[p - 1] > d) {
                tmp[p] = tmp[p - 1];
                p--;
            }
            tmp[p] = d;
        }
        r2[i] = tmp[k - 1];
    }
}

/* Small-integer features: every dot product and distance is exact in
 * float32 and float64, so genlab must match a brute force exactly, ties
 * (and duplicate rows, whose radius can be 0) included; 1100 real rows
 * take three Gram blocks. */
START_TEST(test_pr_lattice)
{
    enum { NR = 1100, NF = 700, DIM = 3 };
    static const int ks[] = {3, 7};
    const int k = ks[_i];
    genlab_ctx *ctx = tu_ctx(1);
    float *real = malloc(sizeof(float) * NR * DIM), *fake = malloc(sizeof(float) * NF * DIM);
    uint32_t s = 12345;
    for (int i = 0; i < NR * DIM; i++)
        real[i] = (float)(lcg(&s) % 10);
    for (int i = 0; i < NF * DIM; i++)
        fake[i] = (float)(lcg(&s) % 8) + 4.0f;
    double *rr = malloc(sizeof(double) * NR), *rf = malloc(sizeof(double) * NF), tmp[8];
    brute_radii(real, NR, DIM, k, rr, tmp);
    brute_radii(fake, NF, DIM, k, rf, tmp);
    int inside = 0, covered = 0;
    for (int f = 0; f < NF; f++) {
        bool in = false;
        for (int i = 0; i < NR && !in; i++) {
            double d = 0.0;
            for (int t = 0; t < DIM; t++)
                d += ((double)fake[f * DIM + t] - real[i * DIM + t]) *
                     ((double)fake[f * DIM + t] - real[i * DIM + t]);
            in = d <= rr[i];
        }
        inside += in;
    }
    for (int i = 0; i < NR; i++) {
        bool in = false;
        for (int f = 0; f < NF && !in; f++) {
            double d = 0.0;
            for (int t = 0; t < DIM; t++)
                d += ((double)fake[f * DIM + t] - real[i * DIM + t]) *
                     ((double)fake[f * DIM + t] - real[i * DIM + t]);
            in = d <= rf[f];
        }
        covered += in;
    }
    double p, q;
    ck_assert_int_eq(genlab_precision_recall(ctx, real, NR, fake, NF, DIM, k, &p, &q), GL_OK);
    ck_assert_msg(p == (double)inside / NF && q == (double)covered / NR,
                  "k %d: precision %g recall %g, brute force %g %g", k, p, q,
                  (double)inside / NF, (double)covered / NR);
    /* the data must not make the check trivial */
    ck_assert(inside > 0 && inside < NF && covered > 0 && covered < NR);
    free(real);
    free(fake);
    free(rr);
    free(rf);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- errors ---- */

/* Inputs of the error cases: 4 rows of 3 values, with a NaN or an infinity
 * planted by the case. */
static float good[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13};

static float *planted(float v, int at)
{
    static float bad[12];
    memcpy(bad, good, sizeof bad);
    bad[at] = v;
    return bad;
}

static genlab_status e_add_nan(genlab_ctx *ctx)
{
    genlab_feature_stats *fs;
    ck_assert_int_eq(genlab_fstats_create(ctx, 3, &fs), GL_OK);
    genlab_status st = genlab_fstats_add(ctx, fs, planted(NAN, 7), 4);
    ck_assert_int_eq(genlab_fstats_count(fs), 0);    /* nothing of the call added */
    genlab_fstats_free(fs);
    return st;
}

static genlab_status e_add_inf(genlab_ctx *ctx)
{
    genlab_feature_stats *fs;
    ck_assert_int_eq(genlab_fstats_create(ctx, 3, &fs), GL_OK);
    ck_assert_int_eq(genlab_fstats_add(ctx, fs, good, 2), GL_OK);
    genlab_status st = genlab_fstats_add(ctx, fs, planted(-INFINITY, 9), 4);
    ck_assert_int_eq(genlab_fstats_count(fs), 2);
    genlab_fstats_free(fs);
    return st;
}

static genlab_status e_finish_one_row(genlab_ctx *ctx)
{
    genlab_feature_stats *fs;
    double mu[3], sigma[9];
    ck_assert_int_eq(genlab_fstats_create(ctx, 3, &fs), GL_OK);
    ck_assert_int_eq(genlab_fstats_add(ctx, fs, good, 1), GL_OK);
    genlab_status st = genlab_fstats_finish(ctx, fs, mu, sigma, NULL);
    genlab_fstats_free(fs);
    return st;
}

static genlab_status e_create_dim0(genlab_ctx *ctx)
{
    genlab_feature_stats *fs = (genlab_feature_stats *)good;
    genlab_status st = genlab_fstats_create(ctx, 0, &fs);
    ck_assert_ptr_null(fs);
    return st;
}

static const double eye2[4] = {1, 0, 0, 1}, zero2[2] = {0, 0};

static genlab_status e_fid_nan_sigma(genlab_ctx *ctx)
{
    const double s[4] = {1, NAN, NAN, 1};
    double v;
    return genlab_frechet_distance(ctx, 2, zero2, eye2, zero2, s, &v);
}

static genlab_status e_fid_inf_mu(genlab_ctx *ctx)
{
    const double mu[2] = {0, INFINITY};
    double v;
    return genlab_frechet_distance(ctx, 2, mu, eye2, zero2, eye2, &v);
}

static genlab_status e_fid_dim0(genlab_ctx *ctx)
{
    double v;
    return genlab_frechet_distance(ctx, 0, zero2, eye2, zero2, eye2, &v);
}

static genlab_status e_is_splits(genlab_ctx *ctx)
{
    double m, s;
    return genlab_inception_score(ctx, good, 4, 3, 5, &m, &s);
}

static genlab_status e_is_zero_splits(genlab_ctx *ctx)
{
    double m, s;
    return genlab_inception_score(ctx, good, 4, 3, 0, &m, &s);
}

static genlab_status e_is_nan(genlab_ctx *ctx)
{
    double m, s;
    return genlab_inception_score(ctx, planted(NAN, 4), 4, 3, 2, &m, &s);
}

static genlab_status e_kid_subset_large(genlab_ctx *ctx)
{
    double m, s;
    return genlab_kid(ctx, good, 4, good, 3, 3, 10, 4, 1, &m, &s);
}

static genlab_status e_kid_subset_one(genlab_ctx *ctx)
{
    double m, s;
    return genlab_kid(ctx, good, 4, good, 4, 3, 10, 1, 1, &m, &s);
}

static genlab_status e_kid_no_subsets(genlab_ctx *ctx)
{
    double m, s;
    return genlab_kid(ctx, good, 4, good, 4, 3, 0, 2, 1, &m, &s);
}

static genlab_status e_kid_nan(genlab_ctx *ctx)
{
    double m, s;
    return genlab_kid(ctx, good, 4, planted(NAN, 0), 4, 3, 10, 2, 1, &m, &s);
}

static genlab_status e_mmd2_negative(genlab_ctx *ctx)
{
    const int64_t a[2] = {0, 1}, b[2] = {1, -1};
    double v;
    return genlab_kid_mmd2(ctx, good, a, good, b, 2, 3, &v);
}

static genlab_status e_mmd2_one(genlab_ctx *ctx)
{
    const int64_t a[1] = {0};
    double v;
    return genlab_kid_mmd2(ctx, good, a, good, a, 1, 3, &v);
}

static genlab_status e_pr_k_large(genlab_ctx *ctx)
{
    double p, r;
    return genlab_precision_recall(ctx, good, 4, good, 3, 3, 3, &p, &r);
}

static genlab_status e_pr_k0(genlab_ctx *ctx)
{
    double p, r;
    return genlab_precision_recall(ctx, good, 4, good, 4, 3, 0, &p, &r);
}

static genlab_status e_pr_nan(genlab_ctx *ctx)
{
    double p, r;
    return genlab_precision_recall(ctx, good, 4, planted(INFINITY, 11), 4, 3, 1, &p, &r);
}

static const struct err_case {
    genlab_status (*f)(genlab_ctx *ctx);
    genlab_status status;
    const char   *want;
} errs[] = {
    {e_add_nan, GL_ERR_NUMERIC, "genlab_fstats_add: rows row 2, column 1 is nan"},
    {e_add_inf, GL_ERR_NUMERIC, "rows row 3, column 0 is -inf"},
    {e_finish_one_row, GL_ERR_INVALID, "1 row of dim 3: a covariance needs at least 2"},
    {e_create_dim0, GL_ERR_INVALID, "genlab_fstats_create: dim 0"},
    {e_fid_nan_sigma, GL_ERR_NUMERIC, "sigma2[0][1] is nan"},
    {e_fid_inf_mu, GL_ERR_NUMERIC, "mu1[1] is inf"},
    {e_fid_dim0, GL_ERR_INVALID, "genlab_frechet_distance"},
    {e_is_splits, GL_ERR_INVALID, "5 splits of 4 rows"},
    {e_is_zero_splits, GL_ERR_INVALID, "0 splits of 4 rows"},
    {e_is_nan, GL_ERR_NUMERIC, "logits row 1, column 1 is nan"},
    {e_kid_subset_large, GL_ERR_INVALID,
     "subset size 4 does not fit the real set (4 rows) and the fake set (3 rows)"},
    {e_kid_subset_one, GL_ERR_INVALID, "subset size 1"},
    {e_kid_no_subsets, GL_ERR_INVALID, "0 subsets"},
    {e_kid_nan, GL_ERR_NUMERIC, "genlab_kid: fake row 0, column 0 is nan"},
    {e_mmd2_negative, GL_ERR_INVALID, "negative row index at 1"},
    {e_mmd2_one, GL_ERR_INVALID, "subsets of 1 rows"},
    {e_pr_k_large, GL_ERR_INVALID, "k = 3 needs 1 <= k < rows of each set (real 4, fake 3)"},
    {e_pr_k0, GL_ERR_INVALID, "k = 0"},
    {e_pr_nan, GL_ERR_NUMERIC, "fake row 3, column 2 is inf"},
};

START_TEST(test_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    expect_err(ctx, errs[_i].f(ctx), errs[_i].status, errs[_i].want);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- main ---- */

static Suite *suite(void)
{
    Suite *s = suite_create("scores");
    TCase *tc = tcase_create("statistics");
    tcase_add_loop_test(tc, test_stats_golden, 0, N(chunks));
    tcase_add_test(tc, test_stats_continue);
    tcase_add_test(tc, test_stats_flat_feature);
    suite_add_tcase(s, tc);
    tc = tcase_create("fid");
    tcase_add_loop_test(tc, test_fid_golden, 0, N(fid_cases));
    tcase_add_loop_test(tc, test_fid_closed_form, 0, N(diag_cases));
    tcase_add_loop_test(tc, test_fid_same, 0, 2);
    tcase_add_loop_test(tc, test_fid_rank_two, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("inception score");
    tcase_add_loop_test(tc, test_is_golden, 0, N(is_cases));
    tcase_add_test(tc, test_is_closed_form);
    suite_add_tcase(s, tc);
    tc = tcase_create("kid");
    tcase_add_test(tc, test_kid_mmd2_golden);
    tcase_add_test(tc, test_kid_subsets);
    tcase_add_test(tc, test_kid_whole_sets);
    suite_add_tcase(s, tc);
    tc = tcase_create("precision/recall");
    tcase_add_loop_test(tc, test_pr_golden, 0, N(pr_cases));
    tcase_add_loop_test(tc, test_pr_lattice, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_errors, 0, N(errs));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc = tu_run(suite());
    gd_free(golden);
    return rc;
}
