/* SPDX-License-Identifier: MIT
 *
 * test_diffusion_math.c — the diffusion plugin's arithmetic
 * (plugins/diffusion/dmath.c, linked in directly) against the values of
 * diffusers' formulas in tests/golden/diffusion.bin (written by
 * tests/golden/gen_diffusion.py): alphas_cumprod of the three noise
 * schedules, the timesteps of the three spacings, single DDPM steps
 * (fixed-small and fixed-large variance, x0 clipping, the three
 * prediction types) and DDIM steps (eta, clipping, prediction types) on
 * fixed inputs; plus the identities between the prediction targets and the
 * refusals of impossible timestep requests.
 *
 * The tables below repeat gen_diffusion.py's case lists, row for row.
 *
 * Sections: fixture, schedules, timesteps, steps, predictions, suite.
 */
#include <math.h>
#include <string.h>

#include "../plugins/diffusion/dmath.h"
#include "golden.h"
#include "testutil.h"
#include "tu_compare.h"

#define GOLDEN GL_TOP_SRCDIR "/tests/golden/diffusion.bin"
#define GENERATOR "tests/golden/gen_diffusion.py"
#define N 40

/* ---- fixture ---- */

static gd_file *g;

static void open_golden(void)
{
    char err[512];
    g = gd_open(GOLDEN, 1, GENERATOR, err, sizeof err);
    ck_assert_msg(g != NULL, "%s", err);
}

static void close_golden(void)
{
    gd_free(g);
    g = NULL;
}

static const gd_tensor *get(const char *name)
{
    const gd_tensor *t = gd_get(g, name);
    ck_assert_msg(t != NULL, "%s: no %s (regenerate with %s)", GOLDEN, name, GENERATOR);
    return t;
}

static diff_schedule_kind sched_of(const char *s)
{
    return !strcmp(s, "linear") ? DIFF_SCHED_LINEAR
           : !strcmp(s, "scaled_linear") ? DIFF_SCHED_SCALED_LINEAR : DIFF_SCHED_COSINE;
}

/* alphas_cumprod of a schedule with diffusers' default betas */
static double *abar_of(const char *kind, int64_t T)
{
    double *a = malloc((size_t)T * sizeof *a);
    ck_assert_ptr_nonnull(a);
    diff_alpha_bar(sched_of(kind), T, 1e-4, 0.02, 0.999, a);
    return a;
}

/* the golden inputs: x_t, m, noise (gen_diffusion.py's inputs()) */
static void inputs(float *x, float *m, float *noise)
{
    for (int i = 0; i < N; i++) {
        x[i] = (float)(1.5 * sin(0.37 * i + 0.5));
        m[i] = (float)(1.3 * cos(0.11 * i));
        noise[i] = (float)sin(0.23 * i + 1);
    }
}

static diff_prediction pred_of(const char *s)
{
    return !strcmp(s, "epsilon") ? DIFF_PRED_EPSILON
           : !strcmp(s, "sample") ? DIFF_PRED_SAMPLE : DIFF_PRED_V;
}

/* ---- schedules ---- */

static const struct sched_case {
    const char *kind;
    int64_t     T;
} scheds[] = {
    {"linear", 1000},         /* DDPM's betas, torch_ref.py's schedule */
    {"scaled_linear", 1000},  /* sqrt-spaced betas */
    {"cosine", 1000},         /* squaredcos_cap_v2 */
    {"cosine", 500},          /* seed 001's 500 steps */
    {"linear", 10},           /* short: linspace's ends */
    {"cosine", 10},           /* short: the cap of 0.999 binds at the end */
};

START_TEST(test_schedule)
{
    const struct sched_case *k = &scheds[_i];
    char name[64];
    snprintf(name, sizeof name, "sched.%s.T%lld", k->kind, (long long)k->T);
    const gd_tensor *want = get(name);
    ck_assert_int_eq(want->numel, k->T);
    double *a = abar_of(k->kind, k->T);
    float got[1000];
    for (int64_t i = 0; i < k->T; i++)
        got[i] = (float)a[i];
    /* both are the float64 formula rounded once to float32: they may
     * differ by the last bit of a product of up to 1000 terms */
    TU_ASSERT_CLOSE(name, got, want->data, k->T, 0.0, 1e-6);
    /* alpha-bar falls strictly from below 1 towards 0 */
    ck_assert(a[0] < 1.0 && a[k->T - 1] > 0.0);
    for (int64_t i = 1; i < k->T; i++)
        ck_assert(a[i] < a[i - 1]);
    free(a);
}
END_TEST

/* ---- timesteps ---- */

static const struct steps_case {
    diff_spacing spacing;
    const char  *name;
    int64_t      T, S, offset;
} steps[] = {
    {DIFF_SPACING_LEADING, "leading", 1000, 1000, 0},   /* DDPM-1000: 999 .. 0 */
    {DIFF_SPACING_LEADING, "leading", 1000, 100, 0},    /* DDIM-100: 990 .. 0 */
    {DIFF_SPACING_LEADING, "leading", 1000, 100, 1},    /* steps_offset 1: 991 .. 1 */
    {DIFF_SPACING_LEADING, "leading", 1000, 30, 0},     /* T // S = 33 */
    {DIFF_SPACING_TRAILING, "trailing", 1000, 100, 0},  /* 999 .. 9 */
    {DIFF_SPACING_TRAILING, "trailing", 1000, 30, 0},   /* fractional ratio, rounded */
    {DIFF_SPACING_TRAILING, "trailing", 500, 7, 0},     /* round half to even */
    {DIFF_SPACING_LINSPACE, "linspace", 1000, 100, 0},  /* 999 .. 0, ratio 10.09 */
    {DIFF_SPACING_LINSPACE, "linspace", 1000, 30, 0},
    {DIFF_SPACING_LINSPACE, "linspace", 10, 10, 0},     /* every step */
    {DIFF_SPACING_LINSPACE, "linspace", 1000, 1, 0},    /* one step: t = 0 */
};

START_TEST(test_timesteps)
{
    const struct steps_case *k = &steps[_i];
    char name[64];
    snprintf(name, sizeof name, "steps.%s.T%lld.S%lld.O%lld", k->name, (long long)k->T,
             (long long)k->S, (long long)k->offset);
    const gd_tensor *want = get(name);
    ck_assert_int_eq(want->numel, k->S);
    int64_t ts[1000];
    ck_assert_int_eq(diff_timesteps(k->spacing, k->T, k->S, k->offset, ts), 0);
    for (int64_t i = 0; i < k->S; i++)
        ck_assert_msg(ts[i] == (int64_t)want->data[i], "%s[%lld] = %lld, want %g", name,
                      (long long)i, (long long)ts[i], (double)want->data[i]);
}
END_TEST

/* requests no spacing can meet */
START_TEST(test_timesteps_refused)
{
    int64_t ts[1001];
    ck_assert_int_eq(diff_timesteps(DIFF_SPACING_LEADING, 1000, 0, 0, ts), -1);     /* no step */
    ck_assert_int_eq(diff_timesteps(DIFF_SPACING_TRAILING, 1000, 1001, 0, ts), -1); /* > T */
    /* an offset that pushes the first timestep to T */
    ck_assert_int_eq(diff_timesteps(DIFF_SPACING_LEADING, 1000, 1000, 1, ts), -1);
    ck_assert_int_eq(diff_timesteps(DIFF_SPACING_LEADING, 1000, 100, 9, ts), 0);   /* 999 */
    ck_assert_int_eq(diff_timesteps(DIFF_SPACING_LEADING, 1000, 100, 10, ts), -1); /* 1000 */
}
END_TEST

/* ---- steps ---- */

static const struct step_case {
    const char *kind;
    int64_t     T, S, t;
    const char *pred;
    double      eta;          /* DDIM */
    int         var;          /* DDPM: diff_variance */
    bool        clip;
} ddpm_cases[] = {
    {"linear", 1000, 1000, 999, "epsilon", 0, DIFF_VAR_FIXED_SMALL, true},  /* the first step */
    {"linear", 1000, 1000, 500, "epsilon", 0, DIFF_VAR_FIXED_SMALL, true},
    {"linear", 1000, 1000, 500, "epsilon", 0, DIFF_VAR_FIXED_LARGE, false},
    {"linear", 1000, 1000, 1, "sample", 0, DIFF_VAR_FIXED_SMALL, true},     /* x0 out of range */
    {"linear", 1000, 1000, 0, "epsilon", 0, DIFF_VAR_FIXED_SMALL, true},    /* last: no noise */
    {"cosine", 1000, 50, 980, "v_prediction", 0, DIFF_VAR_FIXED_SMALL, false}, /* skips 20 */
    {"cosine", 1000, 50, 20, "v_prediction", 0, DIFF_VAR_FIXED_LARGE, true},
    {"scaled_linear", 1000, 100, 250, "sample", 0, DIFF_VAR_FIXED_LARGE, false},
}, ddim_cases[] = {
    {"linear", 1000, 100, 990, "epsilon", 0.0, 0, true},   /* deterministic DDIM-100 */
    {"linear", 1000, 100, 500, "epsilon", 0.0, 0, false},
    {"linear", 1000, 100, 0, "epsilon", 0.0, 0, true},     /* last: abar_prev = 1 */
    {"linear", 1000, 100, 500, "epsilon", 1.0, 0, true},   /* eta 1: DDPM-like noise */
    {"cosine", 1000, 100, 300, "sample", 0.5, 0, false},
    {"cosine", 500, 50, 499, "v_prediction", 0.0, 0, true},
    {"scaled_linear", 1000, 10, 901, "epsilon", 0.3, 0, true},
};

/* the step's input for case k: abar at t and at its previous timestep */
static diff_step_in step_in(const struct step_case *k, const double *a, const float *x,
                            const float *m)
{
    int64_t prev = diff_prev_timestep(k->T, k->S, k->t);
    return (diff_step_in){.pred = pred_of(k->pred), .abar_t = a[k->t],
                          .abar_prev = prev >= 0 ? a[prev] : 1.0, .clip = k->clip,
                          .clip_range = 1.0, .n = N, .x_t = x, .m = m};
}

/* Tolerance of a step: float32 inputs, coefficients in double on both
 * sides, one float32 rounding of x0 on both sides and of the result; a
 * few ulps of values of order 1 (x0 divides by sqrt(abar), up to 150 near
 * t = T, hence the relative part). */
#define STEP_ATOL 2e-6
#define STEP_RTOL 2e-6

START_TEST(test_ddpm_step)
{
    const struct step_case *k = &ddpm_cases[_i];
    float x[N], m[N], noise[N], out[N];
    inputs(x, m, noise);
    double *a = abar_of(k->kind, k->T);
    diff_step_in in = step_in(k, a, x, m);
    in.noise = k->t > 0 ? noise : NULL;   /* diffusers adds none at t = 0 */
    diff_ddpm_step(&in, (diff_variance)k->var, out);
    char name[64];
    snprintf(name, sizeof name, "ddpm.%d.prev", _i);
    TU_ASSERT_CLOSE(name, out, get(name)->data, N, STEP_ATOL, STEP_RTOL);
    snprintf(name, sizeof name, "ddpm.%d.var", _i);
    float var = (float)diff_ddpm_variance((diff_variance)k->var, in.abar_t, in.abar_prev);
    /* one value: the formula's double rounded once on both sides */
    TU_ASSERT_CLOSE(name, &var, get(name)->data, 1, 0.0, 1e-6);
    /* in place gives the same */
    memcpy(noise, x, sizeof x);
    in.x_t = noise;
    in.noise = NULL;
    diff_ddpm_step(&in, (diff_variance)k->var, noise);
    in.x_t = x;
    diff_ddpm_step(&in, (diff_variance)k->var, out);
    ck_assert_mem_eq(noise, out, sizeof out);
    free(a);
}
END_TEST

START_TEST(test_ddim_step)
{
    const struct step_case *k = &ddim_cases[_i];
    float x[N], m[N], noise[N], out[N];
    inputs(x, m, noise);
    double *a = abar_of(k->kind, k->T);
    diff_step_in in = step_in(k, a, x, m);
    in.noise = noise;
    diff_ddim_step(&in, k->eta, out);
    char name[64];
    snprintf(name, sizeof name, "ddim.%d.prev", _i);
    TU_ASSERT_CLOSE(name, out, get(name)->data, N, STEP_ATOL, STEP_RTOL);
    free(a);
}
END_TEST

/* ---- predictions ---- */

/* The target of each prediction type, read back as x0 and eps at x_t =
 * sqrt(abar) x0 + sqrt(1 - abar) eps, gives x0 and eps again. */
START_TEST(test_prediction_roundtrip)
{
    float x0[N], eps[N], xt[N], tgt[N], got_x0[N], got_eps[N], unused[N];
    inputs(x0, eps, unused);
    const double abars[] = {0.9999, 0.5, 4e-5};
    for (int p = DIFF_PRED_EPSILON; p <= DIFF_PRED_V; p++)
        for (int j = 0; j < 3; j++) {
            double ab = abars[j];
            for (int i = 0; i < N; i++)
                xt[i] = (float)(sqrt(ab) * x0[i] + sqrt(1 - ab) * eps[i]);
            diff_target((diff_prediction)p, ab, N, x0, eps, tgt);
            diff_pred_to_x0_eps((diff_prediction)p, ab, N, xt, tgt, got_x0, got_eps);
            /* x_t's float32 rounding, amplified by 1 / sqrt(abar) (158 at
             * abar = 4e-5) for x0 from eps, and by 1 / sqrt(1 - abar) (100
             * at 0.9999) for eps from x0 */
            double tol = 2e-7 * 200;
            TU_ASSERT_CLOSE("x0", got_x0, x0, N, tol, tol);
            TU_ASSERT_CLOSE("eps", got_eps, eps, N, tol, tol);
        }
}
END_TEST

/* ---- suite ---- */

static Suite *suite(void)
{
    Suite *s = suite_create("diffusion_math");
    TCase *tc = tcase_create("golden");
    tcase_add_unchecked_fixture(tc, open_golden, close_golden);
    tcase_add_loop_test(tc, test_schedule, 0, (int)(sizeof scheds / sizeof *scheds));
    tcase_add_loop_test(tc, test_timesteps, 0, (int)(sizeof steps / sizeof *steps));
    tcase_add_loop_test(tc, test_ddpm_step, 0, (int)(sizeof ddpm_cases / sizeof *ddpm_cases));
    tcase_add_loop_test(tc, test_ddim_step, 0, (int)(sizeof ddim_cases / sizeof *ddim_cases));
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("identities");
    tcase_add_test(tp, test_timesteps_refused);
    tcase_add_test(tp, test_prediction_roundtrip);
    suite_add_tcase(s, tp);
    return s;
}

int main(void) { return tu_run(suite()); }
