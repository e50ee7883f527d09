/* SPDX-License-Identifier: MIT
 *
 * test_ops_basic.c — gradient checks (first and second order) for the
 * elementwise, reduction, shape and matmul ops, and their error messages.
 *
 * Each row of `cases` is one op applied to inputs of given shapes; inputs
 * are uniform in [lo, hi) and kept away from the op's kinks.
 */
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "testutil.h"

typedef struct op_case {
    const char *name;
    gc_fn       f;
    int         n_in;
    int         ndim[3];
    int64_t     shape[3][4];
    float       lo, hi;     /* input range */
    bool        second;     /* check second order too */
    bool        kink0;      /* keep inputs away from 0 */
} op_case;

static genlab_tensor *f_add(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_add(c, x[0], x[1]); }
static genlab_tensor *f_sub(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_sub(c, x[0], x[1]); }
static genlab_tensor *f_mul(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_mul(c, x[0], x[1]); }
static genlab_tensor *f_div(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_div(c, x[0], x[1]); }
static genlab_tensor *f_scale(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_scale(c, x[0], -1.5f); }
static genlab_tensor *f_affine(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_affine(c, x[0], 2.0f, 0.5f); }
static genlab_tensor *f_relu(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_relu(c, x[0]); }
static genlab_tensor *f_lrelu(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_leaky_relu(c, x[0], 0.2f); }
static genlab_tensor *f_silu(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_silu(c, x[0]); }
static genlab_tensor *f_gelu(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_gelu(c, x[0]); }
static genlab_tensor *f_tanh(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_tanh(c, x[0]); }
static genlab_tensor *f_sigmoid(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_sigmoid(c, x[0]); }
static genlab_tensor *f_softplus(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_softplus(c, x[0]); }
static genlab_tensor *f_exp(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_exp(c, x[0]); }
static genlab_tensor *f_log(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_log(c, x[0]); }
static genlab_tensor *f_sqrt(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_sqrt(c, x[0]); }
static genlab_tensor *f_abs(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_abs(c, x[0]); }
static genlab_tensor *f_pow(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_pow(c, x[0], 2.5f); }
static genlab_tensor *f_dropout(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_dropout(c, x[0], 0.3f, true); }
static genlab_tensor *f_sum_axes(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_sum(c, x[0], 2, (const int[]){0, 2}, false); }
static genlab_tensor *f_sum_keep(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_sum(c, x[0], 1, (const int[]){-1}, true); }
static genlab_tensor *f_mean(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_mean(c, x[0], 1, (const int[]){1}, false); }
static genlab_tensor *f_mean_all(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_mean_all(c, x[0]); }
static genlab_tensor *f_sum_to(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_sum_to(c, x[0], 3, TU_SHAPE(1, 3, 1)); }
static genlab_tensor *f_expand(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_expand(c, x[0], 3, TU_SHAPE(2, 3, 4)); }
static genlab_tensor *f_reshape(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_reshape(c, x[0], 2, TU_SHAPE(-1, 6)); }
static genlab_tensor *f_flatten(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_flatten(c, x[0], 1); }
static genlab_tensor *f_permute(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_permute(c, x[0], (const int[]){2, 0, 1}); }
static genlab_tensor *f_slice(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_slice(c, x[0], 1, 1, 2); }
static genlab_tensor *f_pad(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_pad_axis(c, x[0], -1, 2, 1); }
static genlab_tensor *f_concat(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_concat(c, 2, x, 1); }
static genlab_tensor *f_split(genlab_ctx *c, genlab_tensor **x, void *u)
{
    (void)u;
    genlab_tensor *p[2];
    if (genlab_split(c, x[0], 1, 2, TU_SHAPE(1, 3), p) != GL_OK)
        return NULL;
    /* weight the parts differently so a swapped gradient would show */
    return genlab_add(c, genlab_sum_all(c, genlab_scale(c, p[0], 2.0f)), genlab_sum_all(c, genlab_mul(c, p[1], p[1])));
}
static genlab_tensor *f_mm(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_matmul(c, x[0], x[1], false, false); }
static genlab_tensor *f_mm_ta(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_matmul(c, x[0], x[1], true, false); }
static genlab_tensor *f_mm_tb(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_matmul(c, x[0], x[1], false, true); }
static genlab_tensor *f_mm_tt(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_matmul(c, x[0], x[1], true, true); }
static genlab_tensor *f_linear(genlab_ctx *c, genlab_tensor **x, void *u) { (void)u; return genlab_linear(c, x[0], x[1], x[2]); }
/* products of ops so that second derivatives are not trivially zero */
static genlab_tensor *f_linear_tanh(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_tanh(c, genlab_linear(c, x[0], x[1], x[2])); }
static genlab_tensor *f_sqrt_norm(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; return genlab_sqrt(c, genlab_sum(c, genlab_mul(c, x[0], x[0]), 1, (const int[]){1}, false)); }
static genlab_tensor *f_relu_sq(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; genlab_tensor *r = genlab_relu(c, x[0]); return genlab_mul(c, r, r); }
static genlab_tensor *f_lrelu_sq(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; genlab_tensor *r = genlab_leaky_relu(c, x[0], 0.2f); return genlab_mul(c, r, x[0]); }
static genlab_tensor *f_mean_sq(genlab_ctx *c, genlab_tensor **x, void *u)
{ (void)u; genlab_tensor *m = genlab_mean(c, x[0], 1, (const int[]){0}, true); return genlab_mul(c, m, x[0]); }

#define S1(a) {a}
static const op_case cases[] = {
    /* name         fn          n  ndims      shapes                               lo    hi   2nd   kink */
    {"add bcast",   f_add,      2, {3, 2},    {{2, 3, 4}, {3, 1}},                  -1,   1,   true, false},
    {"sub bcast",   f_sub,      2, {2, 1},    {{3, 4}, {4}},                        -1,   1,   true, false},
    {"mul bcast",   f_mul,      2, {3, 3},    {{2, 1, 4}, {1, 3, 4}},               -1,   1,   true, false},
    {"div",         f_div,      2, {2, 2},    {{3, 4}, {3, 1}},                      0.5, 2,   true, false},
    {"scale",       f_scale,    1, {2},       {{3, 4}},                             -1,   1,   true, false},
    {"affine",      f_affine,   1, {2},       {{3, 4}},                             -1,   1,   true, false},
    {"relu",        f_relu,     1, {2},       {{4, 5}},                             -1,   1,   true, true},
    {"relu^2",      f_relu_sq,  1, {2},       {{4, 5}},                             -1,   1,   true, true},
    {"leaky_relu",  f_lrelu,    1, {2},       {{4, 5}},                             -1,   1,   true, true},
    {"leaky*x",     f_lrelu_sq, 1, {2},       {{4, 5}},                             -1,   1,   true, true},
    {"silu",        f_silu,     1, {2},       {{4, 5}},                             -3,   3,   true, false},
    {"gelu",        f_gelu,     1, {2},       {{4, 5}},                             -3,   3,   true, false},
    {"tanh",        f_tanh,     1, {2},       {{4, 5}},                             -2,   2,   true, false},
    {"sigmoid",     f_sigmoid,  1, {2},       {{4, 5}},                             -3,   3,   true, false},
    {"softplus",    f_softplus, 1, {2},       {{4, 5}},                             -4,   4,   true, false},
    {"exp",         f_exp,      1, {2},       {{4, 5}},                             -2,   1,   true, false},
    {"log",         f_log,      1, {2},       {{4, 5}},                              0.5, 3,   true, false},
    {"sqrt",        f_sqrt,     1, {2},       {{4, 5}},                              0.5, 3,   true, false},
    {"abs",         f_abs,      1, {2},       {{4, 5}},                             -1,   1,   true, true},
    {"pow",         f_pow,      1, {2},       {{4, 5}},                              0.5, 2,   true, false},
    {"dropout",     f_dropout,  1, {2},       {{8, 8}},                             -1,   1,   true, false},
    {"sum axes",    f_sum_axes, 1, {3},       {{2, 3, 4}},                          -1,   1,   true, false},
    {"sum keepdim", f_sum_keep, 1, {3},       {{2, 3, 4}},                          -1,   1,   true, false},
    {"mean",        f_mean,     1, {3},       {{2, 3, 4}},                          -1,   1,   true, false},
    {"mean*x",      f_mean_sq,  1, {2},       {{3, 4}},                             -1,   1,   true, false},
    {"mean_all",    f_mean_all, 1, {3},       {{2, 3, 4}},                          -1,   1,   true, false},
    {"sum_to",      f_sum_to,   1, {3},       {{2, 3, 4}},                          -1,   1,   true, false},
    {"expand",      f_expand,   1, {3},       {{1, 3, 1}},                          -1,   1,   true, false},
    {"reshape",     f_reshape,  1, {3},       {{2, 3, 4}},                          -1,   1,   true, false},
    {"flatten",     f_flatten,  1, {4},       {{2, 3, 2, 2}},                       -1,   1,   true, false},
    {"permute",     f_permute,  1, {3},       {{2, 3, 4}},                          -1,   1,   true, false},
    {"slice",       f_slice,    1, {3},       {{2, 4, 3}},                          -1,   1,   true, false},
    {"pad_axis",    f_pad,      1, {3},       {{2, 4, 3}},                          -1,   1,   true, false},
    {"concat",      f_concat,   2, {3, 3},    {{2, 1, 3}, {2, 3, 3}},               -1,   1,   true, false},
    {"split",       f_split,    1, {3},       {{2, 4, 3}},                          -1,   1,   true, false},
    {"matmul",      f_mm,       2, {2, 2},    {{3, 4}, {4, 5}},                     -1,   1,   true, false},
    {"matmul a^T",  f_mm_ta,    2, {2, 2},    {{4, 3}, {4, 5}},                     -1,   1,   true, false},
    {"matmul b^T",  f_mm_tb,    2, {3, 3},    {{2, 3, 4}, {2, 5, 4}},               -1,   1,   true, false},
    {"matmul a^T b^T", f_mm_tt, 2, {3, 3},    {{2, 4, 3}, {2, 5, 4}},               -1,   1,   true, false},
    {"linear",      f_linear,   3, {2, 2, 1}, {{3, 4}, {5, 4}, {5}},                -1,   1,   true, false},
    {"tanh(linear)",f_linear_tanh,3,{2, 2, 1},{{3, 4}, {5, 4}, {5}},                -1,   1,   true, false},
    {"sqrt(sum x^2)",f_sqrt_norm,1,{2},       {{3, 4}},                              0.3, 1,   true, false},
};

START_TEST(test_gradcheck)
{
    const op_case *c = &cases[_i];
    genlab_ctx *ctx = tu_ctx(7);
    genlab_tensor *x[3] = {0};
    for (int k = 0; k < c->n_in; k++) {
        x[k] = gc_input(ctx, c->ndim[k], c->shape[k], c->lo, c->hi, 11u * (unsigned)_i + (unsigned)k);
        ck_assert_ptr_nonnull(x[k]);
        if (c->kink0)
            gc_avoid(x[k], (const float[]){0.0f}, 1, 0.05f);
    }
    /* eps below the kink margin so a difference never straddles a kink */
    gc_opts o = {.eps = 1e-2, .second = c->second};
    char msg[512];
    bool ok = gc_check(ctx, c->f, NULL, c->n_in, x, &o, msg, sizeof msg);
    for (int k = 0; k < c->n_in; k++)
        genlab_tensor_free(x[k]);
    genlab_ctx_destroy(ctx);
    ck_assert_msg(ok, "%s: %s", c->name, msg);
}
END_TEST

/* ---- forward values ---- */

START_TEST(test_values)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *a = genlab_tensor_from(ctx, 2, TU_SHAPE(2, 3), (const float[]){1, 2, 3, 4, 5, 6});
    genlab_tensor *b = genlab_tensor_from(ctx, 1, TU_SHAPE(3), (const float[]){10, 20, 30});
    genlab_tensor *s = genlab_add(ctx, a, b);
    const float want_s[] = {11, 22, 33, 14, 25, 36};
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(genlab_tensor_f32(s)[i], want_s[i]);
    genlab_tensor *m = genlab_matmul(ctx, a, a, false, true);   /* a a^T */
    const float want_m[] = {14, 32, 32, 77};
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(genlab_tensor_f32(m)[i], want_m[i]);
    genlab_tensor *p = genlab_permute(ctx, a, (const int[]){1, 0});
    const float want_p[] = {1, 4, 2, 5, 3, 6};
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq(genlab_tensor_f32(p)[i], want_p[i]);
    genlab_tensor *r = genlab_sum(ctx, a, 1, (const int[]){0}, false);
    ck_assert_int_eq(genlab_tensor_ndim(r), 1);
    ck_assert_float_eq(genlab_tensor_f32(r)[2], 9.0f);
    ck_assert_float_eq(genlab_tensor_item(genlab_mean_all(ctx, a)), 3.5f);
    genlab_tensor *sp = genlab_softplus(ctx, genlab_tensor_from(ctx, 1, TU_SHAPE(3), (const float[]){-100, 0, 100}));
    ck_assert_float_eq_tol(genlab_tensor_f32(sp)[0], 0.0f, 1e-30f);
    ck_assert_float_eq_tol(genlab_tensor_f32(sp)[1], logf(2.0f), 1e-7f);
    ck_assert_float_eq(genlab_tensor_f32(sp)[2], 100.0f);
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_OK);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a large reduction gives the same bits whatever the thread count */
START_TEST(test_reduce_threads)
{
    float out[2];
    for (int t = 1; t <= 2; t++) {
        genlab_ctx_options o = {.seed = 3, .n_threads = t};
        genlab_ctx *ctx = NULL;
        ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
        genlab_tensor *x = genlab_randn(ctx, 2, TU_SHAPE(300, 1000));
        out[t - 1] = genlab_tensor_item(genlab_sum_all(ctx, x));
        genlab_ctx_destroy(ctx);
    }
    ck_assert_msg(memcmp(&out[0], &out[1], sizeof out[0]) == 0, "%.9g vs %.9g", out[0], out[1]);
}
END_TEST

/* ---- errors: each names the op and the shapes ---- */


static genlab_tensor *e_bcast(genlab_ctx *c)
{ return genlab_add(c, genlab_full(c, 2, TU_SHAPE(2, 3), 1), genlab_full(c, 2, TU_SHAPE(4, 3), 1)); }
static genlab_tensor *e_matmul(genlab_ctx *c)
{ return genlab_matmul(c, genlab_full(c, 2, TU_SHAPE(2, 3), 1), genlab_full(c, 2, TU_SHAPE(4, 3), 1), false, false); }
static genlab_tensor *e_reshape(genlab_ctx *c)
{ return genlab_reshape(c, genlab_full(c, 2, TU_SHAPE(2, 3), 1), 2, TU_SHAPE(4, -1)); }
static genlab_tensor *e_axis(genlab_ctx *c)
{ return genlab_sum(c, genlab_full(c, 2, TU_SHAPE(2, 3), 1), 1, (const int[]){2}, false); }
static genlab_tensor *e_permute(genlab_ctx *c)
{ return genlab_permute(c, genlab_full(c, 2, TU_SHAPE(2, 3), 1), (const int[]){0, 0}); }
static genlab_tensor *e_dtype(genlab_ctx *c)
{ return genlab_exp(c, genlab_tensor_new(c, GL_I32, 1, TU_SHAPE(3))); }
static genlab_tensor *e_dropout(genlab_ctx *c)
{ return genlab_dropout(c, genlab_full(c, 1, TU_SHAPE(3), 1), 1.0f, true); }
static genlab_tensor *e_linear(genlab_ctx *c)
{ return genlab_linear(c, genlab_full(c, 2, TU_SHAPE(2, 3), 1), genlab_full(c, 2, TU_SHAPE(4, 5), 1), NULL); }
static genlab_tensor *e_sticky(genlab_ctx *c)
{
    /* the first error is kept through a chain of later ops */
    genlab_tensor *bad = genlab_slice(c, genlab_full(c, 1, TU_SHAPE(3), 1), 0, 2, 5);
    return genlab_exp(c, genlab_add(c, bad, genlab_full(c, 1, TU_SHAPE(3), 1)));
}

static const tu_err_case errors[] = {
    {"add: shapes (2, 3) and (4, 3) do not broadcast", GL_ERR_SHAPE,   e_bcast},
    {"matmul: a (2, 3) and b (4, 3) do not multiply",  GL_ERR_SHAPE,   e_matmul},
    {"reshape: cannot view (2, 3) as (4, -1)",         GL_ERR_SHAPE,   e_reshape},
    {"sum: axis 2 out of range for (2, 3)",            GL_ERR_INVALID, e_axis},
    {"permute: not a permutation",                     GL_ERR_INVALID, e_permute},
    {"exp: x must be float32",                         GL_ERR_DTYPE,   e_dtype},
    {"dropout: p = 1 is outside [0, 1)",               GL_ERR_INVALID, e_dropout},
    {"linear: x (2, 3), w (4, 5)",                     GL_ERR_SHAPE,   e_linear},
    {"slice: [2, 7) on axis 0 of (3)",                 GL_ERR_INVALID, e_sticky},
};

START_TEST(test_errors)
{
    tu_check_error(&errors[_i]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ops_basic");
    TCase *tc = tcase_create("gradcheck");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_gradcheck, 0, (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("values");
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_reduce_threads);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof errors / sizeof errors[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
