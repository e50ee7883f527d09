/* SPDX-License-Identifier: MIT
 *
 * test_optim.c — optimizers, learning-rate schedules, gradient clipping and
 * the parameter EMA, against PyTorch golden values (tests/golden/
 * gen_optim.py) where PyTorch defines the result; plus state save/restore,
 * thread-count independence and error messages.
 *
 * TCases: optimizers, state, schedules, clipping, ema, end_to_end.
 */
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "tu_compare.h"
#include "golden/optim_golden.h"

_Static_assert(OG_VERSION == 1, "tests/golden/optim_golden.h is stale: run "
               "/usr/bin/python3 tests/golden/gen_optim.py");

/* the golden model: two parameters (3, 2) and (4), OG_N floats */
static genlab_params *golden_params(genlab_ctx *ctx)
{
    genlab_params *p = NULL;
    ck_assert_int_eq(genlab_params_create(ctx, &p), GL_OK);
    ck_assert_ptr_nonnull(genlab_params_declare(p, "a", 2, TU_SHAPE(3, 2), genlab_init_constant(0)));
    ck_assert_ptr_nonnull(genlab_params_declare(p, "b", 1, TU_SHAPE(4), genlab_init_constant(0)));
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    ck_assert_int_eq(genlab_params_numel(p), OG_N);
    memcpy(genlab_params_data(p), og_p0, sizeof og_p0);
    return p;
}

static genlab_optim_options case_options(const og_case *c)
{
    genlab_optim_options o = genlab_optim_defaults(c->kind);
    o.lr = c->lr;
    o.momentum = c->momentum;
    o.nesterov = c->nesterov;
    o.beta1 = c->beta1;
    o.beta2 = c->beta2;
    o.eps = c->eps;
    o.weight_decay = c->weight_decay;
    return o;
}

/* ---- optimizers ---- */

/* PyTorch's vectorised kernels fuse a*b+c (FMA) where we round twice; after
 * four steps the largest difference measured is 2.4e-7 on values up to 3
 * (1-2 ulp of the terms summed; relative to a result near 0 after
 * cancellation it is larger, hence the absolute part). 1e-7 absolute plus
 * 1e-6 relative keeps a margin of ~5x, while every wrong formula tried
 * (eps before the bias correction, no bias correction, AdamW decay as L2,
 * no nesterov term, a scaled first momentum step) fails a case by 2x to
 * 10^4x the tolerance. */
#define OPT_ATOL 1e-7
#define OPT_RTOL 1e-6

START_TEST(test_golden_steps)
{
    const og_case *c = &og_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = golden_params(ctx);
    genlab_optim_options o = case_options(c);
    genlab_optim *opt = NULL;
    ck_assert_int_eq(genlab_optim_create(ctx, p, &o, &opt), GL_OK);
    for (int k = 0; k < OG_STEPS; k++) {
        if (k == OG_LR_CHANGE)
            ck_assert_int_eq(genlab_optim_set_lr(ctx, opt, c->lr_late), GL_OK);
        memcpy(genlab_params_grad(p), og_grad[k], sizeof og_grad[k]);
        ck_assert_int_eq(genlab_optim_step(ctx, opt), GL_OK);
        char what[96];
        snprintf(what, sizeof what, "%s, step %d", c->name, k + 1);
        TU_ASSERT_CLOSE(what, genlab_params_data(p), c->params[k], OG_N, OPT_ATOL, OPT_RTOL);
    }
    genlab_optim_state st;
    genlab_optim_get_state(opt, &st);
    ck_assert_int_eq(st.step, OG_STEPS);
    ck_assert_int_eq(st.numel, OG_N);
    ck_assert_int_eq(st.n_buffers, c->n_state);
    for (int i = 0; i < st.n_buffers; i++)
        TU_ASSERT_CLOSE(st.names[i], st.buffers[i], c->state[i], OG_N, OPT_ATOL, OPT_RTOL);
    ck_assert_double_eq(genlab_optim_lr(opt), c->lr_late);
    genlab_optim_destroy(opt);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_defaults)
{
    genlab_optim_options a = genlab_optim_defaults(GL_OPTIM_ADAM);
    ck_assert_double_eq(a.lr, 1e-3);
    ck_assert_double_eq(a.beta1, 0.9);
    ck_assert_double_eq(a.beta2, 0.999);
    ck_assert_double_eq(a.eps, 1e-8);
    ck_assert_double_eq(a.weight_decay, 0);
    ck_assert_double_eq(genlab_optim_defaults(GL_OPTIM_ADAMW).weight_decay, 1e-2);
    genlab_optim_options s = genlab_optim_defaults(GL_OPTIM_SGD);
    ck_assert_double_eq(s.momentum, 0);
    ck_assert(!s.nesterov);
}
END_TEST

/* one hyperparameter set to a bad value on top of the kind's defaults */
typedef enum { F_LR, F_MOMENTUM, F_NESTEROV, F_BETA1, F_BETA2, F_EPS, F_DECAY, F_KIND } opt_field;

typedef struct opt_err {
    const char       *name;
    genlab_optim_kind kind;
    opt_field         field;
    double            value;
    const char       *msg;
} opt_err;

static const opt_err opt_errs[] = {
    /* name               kind            field       value  message                                  */
    {"negative lr",       GL_OPTIM_ADAM,  F_LR,       -1,    "adam: lr = -1 must be finite and >= 0"},
    {"nan lr",            GL_OPTIM_SGD,   F_LR,       NAN,   "sgd: lr = nan"},
    {"beta1 = 1",         GL_OPTIM_ADAM,  F_BETA1,    1,     "adam: beta1 = 1 is outside [0, 1)"},
    {"beta2 < 0",         GL_OPTIM_ADAMW, F_BETA2,    -0.1,  "adamw: beta2 = -0.1 is outside [0, 1)"},
    {"eps = 0",           GL_OPTIM_ADAM,  F_EPS,      0,     "adam: eps = 0 must be finite and > 0"},
    {"negative decay",    GL_OPTIM_ADAMW, F_DECAY,    -1,    "adamw: weight_decay = -1"},
    {"negative momentum", GL_OPTIM_SGD,   F_MOMENTUM, -0.5,  "sgd: momentum = -0.5"},
    {"nesterov, no mom.", GL_OPTIM_SGD,   F_NESTEROV, 1,     "sgd: nesterov needs momentum > 0"},
    {"unknown kind",      GL_OPTIM_SGD,   F_KIND,     7,     "optim: unknown kind 7"},
};

static genlab_optim_options err_options(const opt_err *c)
{
    genlab_optim_options o = genlab_optim_defaults(c->kind);
    switch (c->field) {
    case F_LR:       o.lr = c->value; break;
    case F_MOMENTUM: o.momentum = c->value; break;
    case F_NESTEROV: o.nesterov = c->value != 0; break;
    case F_BETA1:    o.beta1 = c->value; break;
    case F_BETA2:    o.beta2 = c->value; break;
    case F_EPS:      o.eps = c->value; break;
    case F_DECAY:    o.weight_decay = c->value; break;
    case F_KIND:     o.kind = (genlab_optim_kind)c->value; break;
    }
    return o;
}

START_TEST(test_option_errors)
{
    const opt_err *c = &opt_errs[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = golden_params(ctx);
    genlab_optim_options o = err_options(c);
    genlab_optim *opt = (genlab_optim *)p;   /* must be reset to NULL on failure */
    ck_assert_int_eq(genlab_optim_create(ctx, p, &o, &opt), GL_ERR_INVALID);
    ck_assert_ptr_null(opt);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), c->msg), "%s: message '%s' lacks '%s'",
                  c->name, genlab_ctx_errmsg(ctx), c->msg);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* other misuse: unfinalized params, bad set_lr / set_step, stepping after a
 * failed pass (the sticky error) leaves the parameters alone */
START_TEST(test_misuse)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = NULL, *q = golden_params(ctx);
    ck_assert_int_eq(genlab_params_create(ctx, &p), GL_OK);
    ck_assert_ptr_nonnull(genlab_params_declare(p, "w", 1, TU_SHAPE(2), genlab_init_constant(0)));
    genlab_optim_options o = genlab_optim_defaults(GL_OPTIM_ADAM);
    genlab_optim *opt = NULL;
    ck_assert_int_eq(genlab_optim_create(ctx, p, &o, &opt), GL_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "not finalized"));
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_optim_create(ctx, q, &o, &opt), GL_OK);
    ck_assert_int_eq(genlab_optim_set_lr(ctx, opt, -0.5), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "adam: lr = -0.5"));
    ck_assert_double_eq(genlab_optim_lr(opt), 1e-3);   /* unchanged */
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_optim_set_step(ctx, opt, -1), GL_ERR_INVALID);
    genlab_ctx_clear_error(ctx);
    memcpy(genlab_params_grad(q), og_grad[0], sizeof og_grad[0]);
    genlab_errorf(ctx, GL_ERR_SHAPE, "a failed backward");
    ck_assert_int_eq(genlab_optim_step(ctx, opt), GL_ERR_SHAPE);
    ck_assert_mem_eq(genlab_params_data(q), og_p0, sizeof og_p0);
    genlab_optim_state st;
    genlab_optim_get_state(opt, &st);
    ck_assert_int_eq(st.step, 0);
    genlab_optim_destroy(opt);
    genlab_optim_destroy(NULL);
    genlab_params_destroy(p);
    genlab_params_destroy(q);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- state: save/restore and thread-count independence ---- */

/* run `steps` steps from og_p0 with the golden gradients (cycled) */
static void run_steps(genlab_ctx *ctx, genlab_params *p, genlab_optim *opt, int from, int steps)
{
    for (int k = from; k < from + steps; k++) {
        memcpy(genlab_params_grad(p), og_grad[k % OG_STEPS], sizeof og_grad[0]);
        ck_assert_int_eq(genlab_optim_step(ctx, opt), GL_OK);
    }
}

/* a checkpoint is (params, state buffers, step): restoring it into a fresh
 * optimizer continues bit-identically */
START_TEST(test_state_restore)
{
    static const genlab_optim_kind kinds[] = {GL_OPTIM_ADAM, GL_OPTIM_SGD};
    genlab_optim_options o = genlab_optim_defaults(kinds[_i]);
    o.momentum = 0.9;
    o.weight_decay = 0.01;
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *a = golden_params(ctx), *b = golden_params(ctx);
    genlab_optim *oa = NULL, *ob = NULL;
    ck_assert_int_eq(genlab_optim_create(ctx, a, &o, &oa), GL_OK);
    ck_assert_int_eq(genlab_optim_create(ctx, b, &o, &ob), GL_OK);
    run_steps(ctx, a, oa, 0, 3);
    /* "save" a, "load" into b */
    genlab_optim_state sa, sb;
    genlab_optim_get_state(oa, &sa);
    genlab_optim_get_state(ob, &sb);
    ck_assert_int_eq(sa.n_buffers, kinds[_i] == GL_OPTIM_SGD ? 1 : 2);
    ck_assert_str_eq(sa.names[0], kinds[_i] == GL_OPTIM_SGD ? "momentum_buffer" : "exp_avg");
    for (int i = 0; i < sa.n_buffers; i++)
        memcpy(sb.buffers[i], sa.buffers[i], (size_t)sa.numel * sizeof(float));
    memcpy(genlab_params_data(b), genlab_params_data(a), sizeof og_p0);
    ck_assert_int_eq(genlab_optim_set_step(ctx, ob, sa.step), GL_OK);
    run_steps(ctx, a, oa, 3, 2);
    run_steps(ctx, b, ob, 3, 2);
    ck_assert_mem_eq(genlab_params_data(a), genlab_params_data(b), sizeof og_p0);
    genlab_optim_destroy(oa);
    genlab_optim_destroy(ob);
    genlab_params_destroy(a);
    genlab_params_destroy(b);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* SGD without momentum keeps no state */
START_TEST(test_state_empty)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = golden_params(ctx);
    genlab_optim_options o = genlab_optim_defaults(GL_OPTIM_SGD);
    genlab_optim *opt = NULL;
    ck_assert_int_eq(genlab_optim_create(ctx, p, &o, &opt), GL_OK);
    genlab_optim_state st;
    genlab_optim_get_state(opt, &st);
    ck_assert_int_eq(st.n_buffers, 0);
    ck_assert_ptr_null(st.buffers[0]);
    ck_assert_ptr_null(st.names[0]);
    genlab_optim_destroy(opt);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a block big enough for the parallel paths: the same bytes with 1 and 2 threads */
#define BIG_N 300000

static void big_run(int threads, float *params_out, float *norm_out)
{
    genlab_ctx_options co = {.seed = 11, .n_threads = threads};
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&co, &ctx), GL_OK);
    genlab_params *p = NULL;
    ck_assert_int_eq(genlab_params_create(ctx, &p), GL_OK);
    ck_assert_ptr_nonnull(genlab_params_declare(p, "w", 1, TU_SHAPE(BIG_N), genlab_init_normal(0, 1)));
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    genlab_optim_options o = genlab_optim_defaults(GL_OPTIM_ADAMW);
    genlab_optim *opt = NULL;
    genlab_ema *ema = NULL;
    ck_assert_int_eq(genlab_optim_create(ctx, p, &o, &opt), GL_OK);
    ck_assert_int_eq(genlab_ema_create(ctx, p, 0.99, &ema), GL_OK);
    for (int k = 0; k < 3; k++) {
        genlab_tensor *g = genlab_randn(ctx, 1, TU_SHAPE(BIG_N));
        memcpy(genlab_params_grad(p), genlab_tensor_f32(g), BIG_N * sizeof(float));
        ck_assert_int_eq(genlab_clip_grad_norm(ctx, p, 100.0, norm_out + k), GL_OK);
        ck_assert_int_eq(genlab_optim_step(ctx, opt), GL_OK);
        ck_assert_int_eq(genlab_ema_update(ctx, ema), GL_OK);
    }
    memcpy(params_out, genlab_params_data(p), BIG_N * sizeof(float));
    memcpy(params_out + BIG_N, genlab_ema_shadow(ema), BIG_N * sizeof(float));
    genlab_ema_destroy(ema);
    genlab_optim_destroy(opt);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}

START_TEST(test_threads_bit_identical)
{
    static float a[2 * BIG_N], b[2 * BIG_N];
    float na[3], nb[3];
    big_run(1, a, na);
    big_run(2, b, nb);
    ck_assert_mem_eq(na, nb, sizeof na);
    /* sqrt(BIG_N) ~ 548 > 100: the clipping branch ran */
    ck_assert_float_gt(na[0], 100.0f);
    ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
}
END_TEST

/* ---- schedules ---- */

START_TEST(test_schedule_golden)
{
    /* PyTorch's schedulers update lr recursively (a product of per-step
     * factors); the closed form differs by accumulated double rounding,
     * ~1e-16 per step: 1e-12 relative is far above that and far below any
     * formula error. */
    genlab_lr_schedule lin = {GL_LR_LINEAR, 0.1, 0.01, 0, 10};
    genlab_lr_schedule cos = {GL_LR_COSINE, 0.1, 0.001, 0, 10};
    ck_assert_int_eq(genlab_lr_schedule_check(NULL, &lin), GL_OK);
    for (int k = 0; k < OG_SCHED_STEPS; k++) {
        ck_assert_double_eq_tol(genlab_lr_at(&lin, k), og_linear_lr[k], 1e-12 * og_linear_lr[k]);
        ck_assert_double_eq_tol(genlab_lr_at(&cos, k), og_cosine_lr[k], 1e-12 * og_cosine_lr[k]);
    }
}
END_TEST

typedef struct sched_case {
    const char        *name;
    genlab_lr_schedule s;
    int64_t            step;
    double             want;
} sched_case;

static const sched_case sched_cases[] = {
    /* name                    kind           base  final warm total  step  want (closed form) */
    {"cosine warm-up 0",      {GL_LR_COSINE,   0.1,  0.0,  4,   14},   0,   0.025},
    {"cosine warm-up 2",      {GL_LR_COSINE,   0.1,  0.0,  4,   14},   2,   0.075},
    {"cosine warm-up end",    {GL_LR_COSINE,   0.1,  0.0,  4,   14},   4,   0.1},
    {"cosine half-way",       {GL_LR_COSINE,   0.1,  0.0,  4,   14},   9,   0.05},
    {"cosine end",            {GL_LR_COSINE,   0.1,  0.0,  4,   14},  14,   0.0},
    {"cosine after end",      {GL_LR_COSINE,   0.1,  0.0,  4,   14}, 500,   0.0},
    {"cosine to eta_min",     {GL_LR_COSINE,   0.1,  0.02, 0,   10},  10,   0.02},
    {"linear warm-up",        {GL_LR_LINEAR,   1.0,  0.0,  2,    6},   0,   0.5},
    {"linear peak",           {GL_LR_LINEAR,   1.0,  0.0,  2,    6},   2,   1.0},
    {"linear 3/4",            {GL_LR_LINEAR,   1.0,  0.0,  2,    6},   3,   0.75},
    {"linear after end",      {GL_LR_LINEAR,   1.0,  0.0,  2,    6},   9,   0.0},
    {"linear increasing",     {GL_LR_LINEAR,   0.1,  0.3,  0,    4},   2,   0.2},
    {"constant warm-up",      {GL_LR_CONSTANT, 0.3,  0.0,  3,    0},   0,   0.1},
    {"constant",              {GL_LR_CONSTANT, 0.3,  0.0,  3,    0},  99,   0.3},
    {"negative step = 0",     {GL_LR_CONSTANT, 0.3,  0.0,  3,    0},  -5,   0.1},
};

START_TEST(test_schedule_values)
{
    const sched_case *c = &sched_cases[_i];
    /* double arithmetic on a handful of terms: 1e-15 absolute */
    double got = genlab_lr_at(&c->s, c->step);
    ck_assert_msg(fabs(got - c->want) < 1e-15, "%s: lr(%lld) = %.17g, want %.17g", c->name,
                  (long long)c->step, got, c->want);
}
END_TEST

typedef struct sched_err {
    genlab_lr_schedule s;
    const char        *field;
} sched_err;

static const sched_err sched_errs[] = {
    {{GL_LR_COSINE, 0.1, 0.0, 10, 10},  "total_steps is invalid"},
    {{GL_LR_LINEAR, -0.1, 0.0, 0, 10},  "base_lr is invalid"},
    {{GL_LR_LINEAR, 0.1, -1.0, 0, 10},  "final_lr is invalid"},
    {{GL_LR_CONSTANT, 0.1, 0.0, -1, 0}, "warmup_steps is invalid"},
    {{(genlab_lr_kind)9, 0.1, 0.0, 0, 10}, "kind is invalid"},
};

START_TEST(test_schedule_errors)
{
    const sched_err *c = &sched_errs[_i];
    genlab_ctx *ctx = tu_ctx(0);
    ck_assert_int_eq(genlab_lr_schedule_check(ctx, &c->s), GL_ERR_INVALID);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), c->field), "'%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), c->field);
    ck_assert(isnan(genlab_lr_at(&c->s, 3)));
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- clipping ---- */

START_TEST(test_clip_golden)
{
    const og_clip *c = &og_clips[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = golden_params(ctx);
    memcpy(genlab_params_grad(p), og_clip_grad, sizeof og_clip_grad);
    float norm = 0;
    ck_assert_int_eq(genlab_clip_grad_norm(ctx, p, c->max_norm, &norm), GL_OK);
    /* we sum squares in double, PyTorch per tensor in float: ~1 ulp apart */
    ck_assert_float_eq_tol(norm, c->norm, 2e-7f * c->norm);
    /* one float multiply by the same coefficient up to that ulp: 1e-6 relative */
    TU_ASSERT_CLOSE("clipped", genlab_params_grad(p), c->grad, OG_N, 1e-7, 1e-6);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_clip_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = golden_params(ctx);
    float *g = genlab_params_grad(p), before[OG_N], norm = 0;
    const float bad[] = {NAN, INFINITY};
    for (int k = 0; k < 2; k++) {
        memcpy(g, og_clip_grad, sizeof og_clip_grad);
        g[4] = bad[k];
        memcpy(before, g, sizeof before);
        ck_assert_int_eq(genlab_clip_grad_norm(ctx, p, 1.0, &norm), GL_ERR_NUMERIC);
        ck_assert(!isfinite(norm));
        ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "gradients left unchanged"));
        ck_assert_mem_eq(g, before, sizeof before);
        genlab_ctx_clear_error(ctx);
    }
    ck_assert_int_eq(genlab_clip_grad_norm(ctx, p, 0.0, NULL), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "max_norm = 0"));
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- EMA ---- */

START_TEST(test_ema)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = golden_params(ctx), *copy = golden_params(ctx);
    float *w = genlab_params_data(p);
    genlab_ema *e = NULL;
    ck_assert_int_eq(genlab_ema_create(ctx, p, 0.9, &e), GL_OK);
    ck_assert_int_eq(genlab_ema_numel(e), OG_N);
    ck_assert_mem_eq(genlab_ema_shadow(e), og_p0, sizeof og_p0);
    /* two updates with the parameters at og_grad[0] then og_grad[1] */
    double want[OG_N];
    for (int i = 0; i < OG_N; i++)
        want[i] = og_p0[i];
    for (int k = 0; k < 2; k++) {
        memcpy(w, og_grad[k], sizeof og_grad[k]);
        ck_assert_int_eq(genlab_ema_update(ctx, e), GL_OK);
        for (int i = 0; i < OG_N; i++)
            want[i] = 0.9 * want[i] + 0.1 * og_grad[k][i];
    }
    ck_assert_int_eq(genlab_ema_updates(e), 2);
    /* float rounding of two multiply-adds per update, values O(1): 1e-6 */
    for (int i = 0; i < OG_N; i++)
        ck_assert_double_eq_tol(genlab_ema_shadow(e)[i], want[i], 1e-6);
    /* swap in: the live weights are the average; swap back restores */
    float avg[OG_N];
    memcpy(avg, genlab_ema_shadow(e), sizeof avg);
    ck_assert_int_eq(genlab_ema_swap(ctx, e), GL_OK);
    ck_assert(genlab_ema_swapped(e));
    ck_assert_mem_eq(w, avg, sizeof avg);
    ck_assert_int_eq(genlab_ema_update(ctx, e), GL_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "swapped in"));
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_ema_copy_to(ctx, e, copy), GL_OK);   /* swapped: still the average */
    ck_assert_mem_eq(genlab_params_data(copy), avg, sizeof avg);
    ck_assert_int_eq(genlab_ema_swap(ctx, e), GL_OK);
    ck_assert_mem_eq(w, og_grad[1], sizeof og_grad[1]);
    memset(genlab_params_data(copy), 0, sizeof avg);
    ck_assert_int_eq(genlab_ema_copy_to(ctx, e, copy), GL_OK);
    ck_assert_mem_eq(genlab_params_data(copy), avg, sizeof avg);
    genlab_ema_set_updates(e, 10);
    ck_assert_int_eq(genlab_ema_updates(e), 10);
    genlab_ema_destroy(e);
    genlab_ema_destroy(NULL);
    genlab_params_destroy(copy);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_ema_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = golden_params(ctx), *other = NULL;
    genlab_ema *e = NULL;
    ck_assert_int_eq(genlab_ema_create(ctx, p, 1.5, &e), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "decay = 1.5 is outside [0, 1]"));
    ck_assert_ptr_null(e);
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_ema_create(ctx, p, 0.999, &e), GL_OK);
    ck_assert_int_eq(genlab_params_create(ctx, &other), GL_OK);
    ck_assert_ptr_nonnull(genlab_params_declare(other, "w", 1, TU_SHAPE(OG_N), genlab_init_constant(0)));
    ck_assert_int_eq(genlab_params_finalize(ctx, other), GL_OK);
    /* same total size, different layout */
    ck_assert_int_eq(genlab_ema_copy_to(ctx, e, other), GL_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "destination has 1 parameters"));
    genlab_ema_destroy(e);
    genlab_params_destroy(other);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

Suite *optim_suite(void)
{
    Suite *s = suite_create("optim");
    TCase *tc = tcase_create("optimizers");
    tcase_add_loop_test(tc, test_golden_steps, 0, (int)(sizeof og_cases / sizeof og_cases[0]));
    tcase_add_test(tc, test_defaults);
    tcase_add_loop_test(tc, test_option_errors, 0, (int)(sizeof opt_errs / sizeof opt_errs[0]));
    tcase_add_test(tc, test_misuse);
    suite_add_tcase(s, tc);
    tc = tcase_create("state");
    tcase_add_loop_test(tc, test_state_restore, 0, 2);
    tcase_add_test(tc, test_state_empty);
    tcase_add_test(tc, test_threads_bit_identical);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    tc = tcase_create("schedules");
    tcase_add_test(tc, test_schedule_golden);
    tcase_add_loop_test(tc, test_schedule_values, 0, (int)(sizeof sched_cases / sizeof sched_cases[0]));
    tcase_add_loop_test(tc, test_schedule_errors, 0, (int)(sizeof sched_errs / sizeof sched_errs[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("clipping");
    tcase_add_loop_test(tc, test_clip_golden, 0, (int)(sizeof og_clips / sizeof og_clips[0]));
    tcase_add_test(tc, test_clip_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("ema");
    tcase_add_test(tc, test_ema);
    tcase_add_test(tc, test_ema_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("end_to_end");
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(optim_suite());
}
