/* SPDX-License-Identifier: MIT
 *
 * test_nn.c — the params object and the layers, without the convolution and
 * normalisation ops (their forwards are in test_nn_ops.c).
 *
 * TCases: params (block layout, gradients, determinism, errors), init
 * (PyTorch default bounds and statistics, overrides, norm layers, DCGAN-64
 * parameter counts), linear (forward values), spectral norm (against
 * PyTorch golden values from tests/golden/gen_nn.py).
 */
#include <math.h>
#include <string.h>

#include "golden/nn_golden.h"
#include "testutil.h"
#include "tu_compare.h"

_Static_assert(NG_VERSION == 1, "tests/golden/nn_golden.h is stale: run "
               "/usr/bin/python3 tests/golden/gen_nn.py");

static void set_values(genlab_tensor *t, const float *v)
{
    memcpy(genlab_tensor_f32_mut(t), v, (size_t)genlab_tensor_numel(t) * sizeof(float));
}

static genlab_params *new_params(genlab_ctx *ctx)
{
    genlab_params *p = NULL;
    ck_assert_int_eq(genlab_params_create(ctx, &p), GL_OK);
    return p;
}

/* ---- params: block layout ---- */

START_TEST(test_block_layout)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = new_params(ctx);
    genlab_tensor *a = genlab_params_declare(p, "a", 2, TU_SHAPE(3, 4), genlab_init_constant(1));
    genlab_tensor *b = genlab_params_declare_buffer(p, "stat", 1, TU_SHAPE(5), genlab_init_constant(7));
    genlab_tensor *c = genlab_params_declare(p, "c", 1, TU_SHAPE(6), genlab_init_uniform(-1, 1));
    genlab_tensor *d = genlab_params_declare(p, "d", 0, NULL, genlab_init_constant(2));
    genlab_tensor *e = genlab_params_declare_buffer(p, "stat2", 3, TU_SHAPE(1, 2, 2), genlab_init_constant(3));
    ck_assert_ptr_nonnull(e);
    /* before finalize: handles exist, no memory */
    ck_assert_ptr_null(genlab_tensor_data(a));
    ck_assert_ptr_null(genlab_params_data(p));
    ck_assert(!genlab_params_finalized(p));
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);

    ck_assert_int_eq(genlab_params_count(p), 3);
    ck_assert_int_eq(genlab_params_numel(p), 12 + 6 + 1);
    ck_assert_int_eq(genlab_params_buffer_count(p), 2);
    ck_assert_int_eq(genlab_params_buffer_numel(p), 5 + 4);
    ck_assert_str_eq(genlab_params_name(p, 1), "c");
    ck_assert_str_eq(genlab_params_buffer_name(p, 1), "stat2");
    ck_assert_ptr_null(genlab_params_name(p, 3));
    ck_assert_ptr_null(genlab_params_tensor(p, -1));
    ck_assert_ptr_eq(genlab_params_find(p, "c"), c);
    ck_assert_ptr_eq(genlab_params_find(p, "stat"), b);
    ck_assert_ptr_null(genlab_params_find(p, "nope"));

    /* parameter i+1 starts where parameter i ends, gradients likewise */
    float *data = genlab_params_data(p), *grad = genlab_params_grad(p);
    int64_t off = 0;
    for (int64_t i = 0; i < genlab_params_count(p); i++) {
        genlab_tensor *t = genlab_params_tensor(p, i);
        ck_assert_ptr_eq(genlab_tensor_data(t), data + off);
        ck_assert(genlab_tensor_requires_grad(t));
        genlab_tensor *g = genlab_tensor_grad(t);
        ck_assert_ptr_nonnull(g);
        ck_assert_ptr_eq(genlab_tensor_data(g), grad + off);
        ck_assert_int_eq(genlab_tensor_numel(g), genlab_tensor_numel(t));
        off += genlab_tensor_numel(t);
    }
    ck_assert_ptr_eq(genlab_tensor_data(b), genlab_params_buffer_data(p));
    ck_assert_ptr_eq(genlab_tensor_data(e), genlab_params_buffer_data(p) + 5);
    ck_assert(!genlab_tensor_requires_grad(b));
    ck_assert_ptr_null(genlab_tensor_grad(b));
    ck_assert_int_eq(genlab_tensor_ndim(d), 0);
    /* constant rules ran, and on the right tensors */
    ck_assert_float_eq(genlab_tensor_f32(a)[11], 1.0f);
    ck_assert_float_eq(genlab_tensor_f32(d)[0], 2.0f);
    ck_assert_float_eq(genlab_tensor_f32(b)[4], 7.0f);
    ck_assert_float_eq(genlab_tensor_f32(e)[0], 3.0f);
    for (int i = 0; i < 19; i++)
        ck_assert_float_eq(grad[i], 0.0f);
    genlab_params_destroy(p);
    genlab_params_destroy(NULL);   /* a no-op */
    genlab_ctx_destroy(ctx);
}
END_TEST

/* backward fills the gradient block through the views; zero_grad clears it */
START_TEST(test_backward_fills_block)
{
    genlab_ctx *ctx = tu_ctx(2);
    genlab_params *p = new_params(ctx);
    genlab_linear_layer l1, l2;
    ck_assert_int_eq(genlab_linear_layer_init(p, &l1, "l1", 3, 4, true), GL_OK);
    ck_assert_int_eq(genlab_linear_layer_init(p, &l2, "l2", 4, 2, false), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    genlab_tensor *x = genlab_randn(ctx, 2, TU_SHAPE(5, 3));
    genlab_tensor *y = genlab_linear_layer_forward(ctx, &l2,
                           genlab_tanh(ctx, genlab_linear_layer_forward(ctx, &l1, x)));
    ck_assert_int_eq(genlab_backward(ctx, genlab_sum_all(ctx, genlab_mul(ctx, y, y))), GL_OK);
    const float *g = genlab_params_grad(p);
    int64_t n = genlab_params_numel(p), nonzero = 0;
    ck_assert_int_eq(n, 3 * 4 + 4 + 4 * 2);
    for (int64_t i = 0; i < n; i++)
        nonzero += g[i] != 0.0f;
    ck_assert_int_eq(nonzero, n);   /* every parameter, bias included, got a gradient */
    genlab_params_zero_grad(p);
    for (int64_t i = 0; i < n; i++)
        ck_assert_float_eq(g[i], 0.0f);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a small model with every kind of init rule and a buffer */
static genlab_params *build_mixed(genlab_ctx *ctx)
{
    genlab_params *p = new_params(ctx);
    genlab_linear_layer l;
    genlab_conv_transpose2d_layer ct;
    genlab_batch_norm2d_layer bn;
    ck_assert_int_eq(genlab_linear_layer_init(p, &l, "fc", 16, 32, true), GL_OK);
    ck_assert_int_eq(genlab_linear_layer_spectral_norm(&l), GL_OK);
    ck_assert_int_eq(genlab_conv_transpose2d_layer_init(p, &ct, "ct", 8, 4, 3, 3, NULL, true), GL_OK);
    ck_assert_int_eq(genlab_batch_norm2d_layer_init(p, &bn, "bn", 4, true), GL_OK);
    ck_assert_int_eq(genlab_params_set_init(p, "bn.weight", genlab_init_normal(1, 0.02f)), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    return p;
}

static bool blocks_equal(genlab_params *a, genlab_params *b)
{
    return genlab_params_numel(a) == genlab_params_numel(b) &&
           genlab_params_buffer_numel(a) == genlab_params_buffer_numel(b) &&
           memcmp(genlab_params_data(a), genlab_params_data(b),
                  (size_t)genlab_params_numel(a) * sizeof(float)) == 0 &&
           memcmp(genlab_params_buffer_data(a), genlab_params_buffer_data(b),
                  (size_t)genlab_params_buffer_numel(a) * sizeof(float)) == 0;
}

/* same seed and architecture: same bytes; another seed: different ones */
START_TEST(test_init_deterministic)
{
    genlab_ctx *c1 = tu_ctx(42), *c2 = tu_ctx(42), *c3 = tu_ctx(43);
    genlab_params *p1 = build_mixed(c1), *p2 = build_mixed(c2), *p3 = build_mixed(c3);
    ck_assert(blocks_equal(p1, p2));
    ck_assert(!blocks_equal(p1, p3));
    /* the init stream is separate: drawing user noise first changes nothing */
    genlab_ctx *c4 = tu_ctx(42);
    ck_assert_ptr_nonnull(genlab_randn(c4, 1, TU_SHAPE(100)));
    genlab_params *p4 = build_mixed(c4);
    ck_assert(blocks_equal(p1, p4));
    genlab_params_destroy(p1);
    genlab_params_destroy(p2);
    genlab_params_destroy(p3);
    genlab_params_destroy(p4);
    genlab_ctx_destroy(c1);
    genlab_ctx_destroy(c2);
    genlab_ctx_destroy(c3);
    genlab_ctx_destroy(c4);
}
END_TEST

/* ---- init: PyTorch default bounds and statistics ---- */

typedef struct stats {
    double mean, std, min, max;
} stats;

static stats stats_of(const genlab_tensor *t)
{
    const float *v = genlab_tensor_f32(t);
    int64_t n = genlab_tensor_numel(t);
    stats s = {0, 0, INFINITY, -INFINITY};
    for (int64_t i = 0; i < n; i++) {
        s.mean += v[i];
        s.min = fmin(s.min, v[i]);
        s.max = fmax(s.max, v[i]);
    }
    s.mean /= (double)n;
    for (int64_t i = 0; i < n; i++)
        s.std += (v[i] - s.mean) * (v[i] - s.mean);
    s.std = sqrt(s.std / (double)(n - 1));
    return s;
}

/* every value in [-b, b) */
static void check_within(const char *what, const genlab_tensor *t, double b)
{
    stats s = stats_of(t);
    ck_assert_msg(s.min >= -b && s.max < b, "%s: range [%g, %g] outside [-%g, %g)", what,
                  s.min, s.max, b, b);
}

/* Check U(-b, b) over n values. Tolerances are 5 standard errors, so a
 * correct sampler fails with probability < 1e-6 for any seed:
 *   mean:  SE = (b / sqrt 3) / sqrt n
 *   std:   relative SE of the sample std of a uniform = 0.447 / sqrt n
 *          ((3/2) sqrt(4/45), from Var(s^2) = (mu4 - sigma^4) / n)
 *   tails: P(max < 0.99 b) = (1 - 0.005)^n, below 1e-100 for n >= 65536. */
static void check_uniform(const char *what, const genlab_tensor *t, double b)
{
    stats s = stats_of(t);
    double n = (double)genlab_tensor_numel(t);
    check_within(what, t, b);
    ck_assert_msg(s.max > 0.99 * b && s.min < -0.99 * b, "%s: range [%g, %g] does not reach "
                  "+-%g (a narrower bound?)", what, s.min, s.max, b);
    ck_assert_msg(fabs(s.mean) < 5 * b / sqrt(3.0) / sqrt(n), "%s: mean %g", what, s.mean);
    double want = b / sqrt(3.0);
    ck_assert_msg(fabs(s.std / want - 1) < 5 * 0.447 / sqrt(n), "%s: std %g, want %g", what,
                  s.std, want);
}

/* N(mean, std): mean SE = std / sqrt n; relative SE of the sample std
 * = 1 / sqrt(2 n); 5 SE as above. */
static void check_normal(const char *what, const genlab_tensor *t, double mean, double std)
{
    stats s = stats_of(t);
    double n = (double)genlab_tensor_numel(t);
    ck_assert_msg(fabs(s.mean - mean) < 5 * std / sqrt(n), "%s: mean %g, want %g", what,
                  s.mean, mean);
    ck_assert_msg(fabs(s.std / std - 1) < 5 / sqrt(2 * n), "%s: std %g, want %g", what,
                  s.std, std);
}

typedef enum { K_LINEAR, K_CONV, K_CONVT } layer_kind;

typedef struct init_case {
    const char *name;
    layer_kind  kind;
    int         cin, cout, k, groups;
    int64_t     fan_in;   /* what PyTorch computes for this weight */
} init_case;

static const init_case init_cases[] = {
    /* name                    kind      cin  cout  k  groups  fan_in             */
    {"Linear(256, 1024)",      K_LINEAR, 256, 1024, 0, 1,      256},
    {"Conv2d(64, 128, 4, g2)", K_CONV,   64,  128,  4, 2,      64 / 2 * 16},
    /* ConvTranspose2d weight is (cin, cout/g, k, k): fan_in from dim 1 = cout/g */
    {"ConvT(128, 64, 4)",      K_CONVT,  128, 64,   4, 1,      64 * 16},
    {"ConvT(128, 64, 4, g2)",  K_CONVT,  128, 64,   4, 2,      64 / 2 * 16},
    {"ConvT(16, 512, 4)",      K_CONVT,  16,  512,  4, 1,      512 * 16},
};

START_TEST(test_init_torch_default)
{
    const init_case *c = &init_cases[_i];
    genlab_ctx *ctx = tu_ctx(5);
    genlab_params *p = new_params(ctx);
    genlab_linear_layer l;
    genlab_conv2d_layer cv;
    genlab_conv_transpose2d_layer ct;
    genlab_conv_opts o = {.groups = c->groups};
    genlab_tensor *w = NULL, *b = NULL;
    if (c->kind == K_LINEAR) {
        ck_assert_int_eq(genlab_linear_layer_init(p, &l, "m", c->cin, c->cout, true), GL_OK);
        w = l.weight, b = l.bias;
    } else if (c->kind == K_CONV) {
        ck_assert_int_eq(genlab_conv2d_layer_init(p, &cv, "m", c->cin, c->cout, c->k, c->k, &o, true), GL_OK);
        w = cv.weight, b = cv.bias;
    } else {
        ck_assert_int_eq(genlab_conv_transpose2d_layer_init(p, &ct, "m", c->cin, c->cout, c->k, c->k, &o, true), GL_OK);
        w = ct.weight, b = ct.bias;
        ck_assert_int_eq(genlab_tensor_dim(w, 0), c->cin);
        ck_assert_int_eq(genlab_tensor_dim(w, 1), c->cout / c->groups);
    }
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    double bound = 1.0 / sqrt((double)c->fan_in);
    check_uniform(c->name, w, bound);
    /* the bias shares the bound; too few values for the statistics */
    check_within(c->name, b, bound);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_fan_in)
{
    ck_assert_int_eq(genlab_init_fan_in(2, TU_SHAPE(10, 7)), 7);
    ck_assert_int_eq(genlab_init_fan_in(4, TU_SHAPE(8, 3, 5, 2)), 30);
    ck_assert_int_eq(genlab_init_fan_in(1, TU_SHAPE(8)), 0);
    genlab_init r = genlab_init_torch_default(64);
    ck_assert_int_eq(r.kind, GL_INIT_UNIFORM);
    ck_assert_float_eq(r.a, -0.125f);
    ck_assert_float_eq(r.b, 0.125f);
    ck_assert_int_eq(genlab_init_torch_default(0).kind, GL_INIT_CONSTANT);
}
END_TEST

/* DCGAN's init by name pattern: conv N(0, 0.02), BN weight N(1, 0.02), bias 0 */
START_TEST(test_init_override)
{
    genlab_ctx *ctx = tu_ctx(9);
    genlab_params *p = new_params(ctx);
    genlab_conv_transpose2d_layer c1;
    genlab_conv2d_layer c2;
    genlab_batch_norm2d_layer bn;
    ck_assert_int_eq(genlab_conv_transpose2d_layer_init(p, &c1, "g.conv1", 100, 512, 4, 4, NULL, false), GL_OK);
    ck_assert_int_eq(genlab_batch_norm2d_layer_init(p, &bn, "g.bn1", 4096, true), GL_OK);
    ck_assert_int_eq(genlab_conv2d_layer_init(p, &c2, "d.conv1", 64, 128, 4, 4, NULL, true), GL_OK);
    ck_assert_int_eq(genlab_params_set_init(p, "*conv*.weight", genlab_init_normal(0, 0.02f)), GL_OK);
    ck_assert_int_eq(genlab_params_set_init(p, "*bn*.weight", genlab_init_normal(1, 0.02f)), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    check_normal("g.conv1.weight", c1.weight, 0.0, 0.02);
    check_normal("d.conv1.weight", c2.weight, 0.0, 0.02);
    check_normal("g.bn1.weight", bn.weight, 1.0, 0.02);
    /* not matched: the conv bias keeps PyTorch's default (only 128 values:
     * too few for the statistics, the bounds must hold), BN bias stays 0 */
    check_within("d.conv1.bias (default)", c2.bias, 1.0 / sqrt(64.0 * 16));
    for (int i = 0; i < 4096; i++)
        ck_assert_float_eq(genlab_tensor_f32(bn.bias)[i], 0.0f);
    /* after finalize the rules are fixed */
    ck_assert_int_eq(genlab_params_set_init(p, "*", genlab_init_constant(0)), GL_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "after genlab_params_finalize"));
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* BatchNorm2d / GroupNorm / LayerNorm: weight 1, bias 0, running stats 0 / 1 */
START_TEST(test_norm_layer_params)
{
    genlab_ctx *ctx = tu_ctx(3);
    genlab_params *p = new_params(ctx);
    genlab_batch_norm2d_layer bn, bn_plain;
    genlab_group_norm_layer gn;
    genlab_layer_norm_layer ln;
    ck_assert_int_eq(genlab_batch_norm2d_layer_init(p, &bn, "bn", 6, true), GL_OK);
    ck_assert_int_eq(genlab_batch_norm2d_layer_init(p, &bn_plain, "bn0", 6, false), GL_OK);
    ck_assert_int_eq(genlab_group_norm_layer_init(p, &gn, "gn", 2, 6, true), GL_OK);
    ck_assert_int_eq(genlab_layer_norm_layer_init(p, &ln, "ln", 2, TU_SHAPE(3, 5), true), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    ck_assert_int_eq(genlab_params_count(p), 2 + 2 + 2);
    ck_assert_int_eq(genlab_params_numel(p), 6 * 2 + 6 * 2 + 15 * 2);
    ck_assert_int_eq(genlab_params_buffer_count(p), 4);
    ck_assert_ptr_null(bn_plain.weight);
    ck_assert_ptr_eq(genlab_params_find(p, "bn0.running_var"), bn_plain.running_var);
    ck_assert_float_eq(bn.momentum, 0.1f);
    ck_assert_float_eq(bn.eps, 1e-5f);
    ck_assert_float_eq(gn.eps, 1e-5f);
    ck_assert_float_eq(ln.eps, 1e-5f);
    ck_assert_int_eq(genlab_tensor_ndim(ln.weight), 2);
    struct { genlab_tensor *t; float v; } want[] = {
        {bn.weight, 1}, {bn.bias, 0}, {bn.running_mean, 0}, {bn.running_var, 1},
        {gn.weight, 1}, {gn.bias, 0}, {ln.weight, 1}, {ln.bias, 0},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        for (int64_t i = 0; i < genlab_tensor_numel(want[k].t); i++)
            ck_assert_float_eq(genlab_tensor_f32(want[k].t)[i], want[k].v);
    ck_assert(genlab_params_training(p));
    genlab_params_set_training(p, false);
    ck_assert(!genlab_params_training(p));
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- init: DCGAN-64 parameter counts (counting only: no forward) ---- */

typedef struct dcgan_layer {
    bool transpose;   /* ConvTranspose2d, else Conv2d */
    int  cin, cout, stride, pad;
    bool bn;          /* followed by BatchNorm2d(cout) */
} dcgan_layer;

/* as /work/shared/bench/torch_ref.py DCGAN64_G / DCGAN64_D (nz 100, ngf = ndf = 64), k 4, no bias */
static const dcgan_layer dcgan64_g[] = {
    {true, 100, 512, 1, 0, true}, {true, 512, 256, 2, 1, true}, {true, 256, 128, 2, 1, true},
    {true, 128, 64, 2, 1, true},  {true, 64, 3, 2, 1, false},
};
static const dcgan_layer dcgan64_d[] = {
    {false, 3, 64, 2, 1, false},    {false, 64, 128, 2, 1, true}, {false, 128, 256, 2, 1, true},
    {false, 256, 512, 2, 1, true},  {false, 512, 1, 1, 0, false},
};

static void build_dcgan(genlab_params *p, const dcgan_layer *layers, int n)
{
    for (int i = 0; i < n; i++) {
        char name[32];
        genlab_conv_opts o = {.stride = {layers[i].stride, layers[i].stride},
                              .padding = {layers[i].pad, layers[i].pad}};
        genlab_conv_transpose2d_layer ct;
        genlab_conv2d_layer cv;
        genlab_batch_norm2d_layer bn;
        snprintf(name, sizeof name, "net.conv%d", i);
        genlab_status st = layers[i].transpose
            ? genlab_conv_transpose2d_layer_init(p, &ct, name, layers[i].cin, layers[i].cout, 4, 4, &o, false)
            : genlab_conv2d_layer_init(p, &cv, name, layers[i].cin, layers[i].cout, 4, 4, &o, false);
        ck_assert_int_eq(st, GL_OK);
        snprintf(name, sizeof name, "net.bn%d", i);
        if (layers[i].bn)
            ck_assert_int_eq(genlab_batch_norm2d_layer_init(p, &bn, name, layers[i].cout, true), GL_OK);
    }
}

START_TEST(test_dcgan64_counts)
{
    genlab_ctx *ctx = tu_ctx(0);
    genlab_params *g = new_params(ctx), *d = new_params(ctx);
    build_dcgan(g, dcgan64_g, 5);
    build_dcgan(d, dcgan64_d, 5);
    ck_assert_int_eq(genlab_params_finalize(ctx, g), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, d), GL_OK);
    /* torch_ref.py: sum(p.numel() for p in DCGAN64_G().parameters()) */
    ck_assert_int_eq(genlab_params_numel(g), 3576704);
    ck_assert_int_eq(genlab_params_count(g), 5 + 4 * 2);
    ck_assert_int_eq(genlab_params_buffer_numel(g), 2 * (512 + 256 + 128 + 64));
    ck_assert_int_eq(genlab_params_numel(d), 2765568);
    ck_assert_int_eq(genlab_params_count(d), 5 + 3 * 2);
    ck_assert_str_eq(genlab_params_name(g, 1), "net.bn0.weight");
    genlab_params_destroy(g);
    genlab_params_destroy(d);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- params and layers: error cases ---- */

typedef genlab_status (*err_fn)(genlab_ctx *ctx, genlab_params *p);

static genlab_status e_dup_name(genlab_ctx *c, genlab_params *p)
{
    genlab_linear_layer a, b;
    genlab_linear_layer_init(p, &a, "fc", 2, 2, true);
    return genlab_linear_layer_init(p, &b, "fc", 2, 2, true);
}
static genlab_status e_dup_buffer(genlab_ctx *c, genlab_params *p)
{
    genlab_params_declare(p, "x", 1, TU_SHAPE(2), genlab_init_constant(0));
    return genlab_params_declare_buffer(p, "x", 1, TU_SHAPE(2), genlab_init_constant(0)) ? GL_OK : genlab_ctx_status(c);
}
static genlab_status e_zero_size(genlab_ctx *c, genlab_params *p)
{
    return genlab_params_declare(p, "z", 2, TU_SHAPE(3, 0), genlab_init_constant(0)) ? GL_OK : genlab_ctx_status(c);
}
static genlab_status e_too_many_dims(genlab_ctx *c, genlab_params *p)
{
    return genlab_params_declare(p, "z", 6, TU_SHAPE(1, 1, 1, 1, 1, 1), genlab_init_constant(0)) ? GL_OK : genlab_ctx_status(c);
}
static genlab_status e_empty_name(genlab_ctx *c, genlab_params *p)
{
    return genlab_params_declare(p, "", 1, TU_SHAPE(1), genlab_init_constant(0)) ? GL_OK : genlab_ctx_status(c);
}
static genlab_status e_bad_rule(genlab_ctx *c, genlab_params *p)
{
    return genlab_params_declare(p, "u", 1, TU_SHAPE(4), genlab_init_uniform(1, -1)) ? GL_OK : genlab_ctx_status(c);
}
static genlab_status e_negative_std(genlab_ctx *c, genlab_params *p)
{
    genlab_params_declare(p, "w", 1, TU_SHAPE(4), genlab_init_constant(0));
    return genlab_params_set_init(p, "w", genlab_init_normal(0, -1));
}
static genlab_status e_no_match(genlab_ctx *c, genlab_params *p)
{
    genlab_linear_layer a;
    genlab_linear_layer_init(p, &a, "fc", 2, 2, true);
    return genlab_params_set_init(p, "*conv*.weight", genlab_init_normal(0, 0.02f));
}
static genlab_status e_after_finalize(genlab_ctx *c, genlab_params *p)
{
    genlab_linear_layer a;
    genlab_params_finalize(c, p);
    return genlab_linear_layer_init(p, &a, "late", 2, 2, true);
}
static genlab_status e_finalize_twice(genlab_ctx *c, genlab_params *p)
{
    genlab_params_finalize(c, p);
    return genlab_params_finalize(c, p);
}
static genlab_status e_linear_zero(genlab_ctx *c, genlab_params *p)
{
    genlab_linear_layer a;
    return genlab_linear_layer_init(p, &a, "fc", 0, 3, true);
}
static genlab_status e_conv_groups(genlab_ctx *c, genlab_params *p)
{
    genlab_conv2d_layer a;
    genlab_conv_opts o = {.groups = 3};
    return genlab_conv2d_layer_init(p, &a, "c", 4, 6, 3, 3, &o, true);
}
static genlab_status e_conv_output_padding(genlab_ctx *c, genlab_params *p)
{
    genlab_conv2d_layer a;
    genlab_conv_opts o = {.output_padding = {1, 0}};
    return genlab_conv2d_layer_init(p, &a, "c", 4, 6, 3, 3, &o, true);
}
static genlab_status e_convt_output_padding(genlab_ctx *c, genlab_params *p)
{
    genlab_conv_transpose2d_layer a;
    genlab_conv_opts o = {.stride = {2, 2}, .output_padding = {2, 0}};
    return genlab_conv_transpose2d_layer_init(p, &a, "ct", 4, 6, 3, 3, &o, true);
}
static genlab_status e_conv_negative_pad(genlab_ctx *c, genlab_params *p)
{
    genlab_conv2d_layer a;
    genlab_conv_opts o = {.padding = {-1, 0}};
    return genlab_conv2d_layer_init(p, &a, "c", 4, 6, 3, 3, &o, true);
}
static genlab_status e_gn_groups(genlab_ctx *c, genlab_params *p)
{
    genlab_group_norm_layer a;
    return genlab_group_norm_layer_init(p, &a, "gn", 4, 6, true);
}
static genlab_status e_ln_shape(genlab_ctx *c, genlab_params *p)
{
    genlab_layer_norm_layer a;
    return genlab_layer_norm_layer_init(p, &a, "ln", 0, TU_SHAPE(1), true);
}
static genlab_status e_forward_early(genlab_ctx *c, genlab_params *p)
{
    genlab_linear_layer a;
    genlab_linear_layer_init(p, &a, "fc", 2, 3, true);
    return genlab_linear_layer_forward(c, &a, genlab_randn(c, 2, TU_SHAPE(4, 2))) ? GL_OK : genlab_ctx_status(c);
}
static genlab_status e_forward_shape(genlab_ctx *c, genlab_params *p)
{
    genlab_linear_layer a;
    genlab_linear_layer_init(p, &a, "fc", 2, 3, true);
    genlab_params_finalize(c, p);
    return genlab_linear_layer_forward(c, &a, genlab_randn(c, 2, TU_SHAPE(4, 5))) ? GL_OK : genlab_ctx_status(c);
}
static genlab_status e_conv_forward_shape(genlab_ctx *c, genlab_params *p)
{
    genlab_conv2d_layer a;
    genlab_conv2d_layer_init(p, &a, "c", 3, 4, 3, 3, NULL, true);
    genlab_params_finalize(c, p);
    return genlab_conv2d_layer_forward(c, &a, genlab_randn(c, 4, TU_SHAPE(1, 2, 5, 5))) ? GL_OK : genlab_ctx_status(c);
}
static genlab_status e_sn_late(genlab_ctx *c, genlab_params *p)
{
    genlab_linear_layer a;
    genlab_linear_layer_init(p, &a, "fc", 2, 3, true);
    genlab_params_finalize(c, p);
    return genlab_linear_layer_spectral_norm(&a);
}
static genlab_status e_sn_foreign(genlab_ctx *c, genlab_params *p)
{
    genlab_spectral_norm sn;
    genlab_tensor *t = genlab_tensor_new_persistent(c, GL_F32, 2, TU_SHAPE(2, 2));
    genlab_status st = genlab_spectral_norm_init(p, &sn, t, 0);
    genlab_tensor_free(t);
    return st;
}
static genlab_status e_sn_dim(genlab_ctx *c, genlab_params *p)
{
    genlab_spectral_norm sn;
    genlab_tensor *w = genlab_params_declare(p, "w", 2, TU_SHAPE(2, 3), genlab_init_constant(1));
    return genlab_spectral_norm_init(p, &sn, w, 2);
}
typedef struct err_case {
    const char   *name;
    err_fn        f;
    genlab_status want;
    const char   *msg;   /* a substring the message must contain */
} err_case;

static const err_case err_cases[] = {
    /* name                  fn                       status              message part */
    {"duplicate layer",      e_dup_name,              GL_ERR_INVALID,     "duplicate name 'fc.weight'"},
    {"buffer named as param",e_dup_buffer,            GL_ERR_INVALID,     "duplicate name 'x'"},
    {"zero-size shape",      e_zero_size,             GL_ERR_SHAPE,       "'z' has shape (3, 0)"},
    {"too many dims",        e_too_many_dims,         GL_ERR_SHAPE,       "6 dimensions"},
    {"empty name",           e_empty_name,            GL_ERR_INVALID,     "name must have 1 to"},
    {"uniform lo > hi",      e_bad_rule,              GL_ERR_INVALID,     "'u': uniform bounds"},
    {"normal std < 0",       e_negative_std,          GL_ERR_INVALID,     "std >= 0"},
    {"pattern matches none", e_no_match,              GL_ERR_INVALID,     "'*conv*.weight' matches no parameter"},
    {"declare after final",  e_after_finalize,        GL_ERR_STATE,       "'late.weight' after genlab_params_finalize"},
    {"finalize twice",       e_finalize_twice,        GL_ERR_STATE,       "already finalized"},
    {"linear in = 0",        e_linear_zero,           GL_ERR_INVALID,     "linear 'fc': in = 0"},
    {"conv groups",          e_conv_groups,           GL_ERR_INVALID,     "groups 3"},
    {"conv output_padding",  e_conv_output_padding,   GL_ERR_INVALID,     "only for conv_transpose2d"},
    {"convT output_padding", e_convt_output_padding,  GL_ERR_INVALID,     "output_padding 2 must be below stride 2"},
    {"conv negative pad",    e_conv_negative_pad,     GL_ERR_INVALID,     "must be >= 0"},
    {"group norm groups",    e_gn_groups,             GL_ERR_INVALID,     "6 channels in 4 groups"},
    {"layer norm shape",     e_ln_shape,              GL_ERR_INVALID,     "got 0 dimensions"},
    {"forward before final", e_forward_early,         GL_ERR_STATE,       "before genlab_params_finalize"},
    {"linear input shape",   e_forward_shape,         GL_ERR_SHAPE,       "linear fc.weight: x (4, 5), want (*, 2)"},
    {"conv input channels",  e_conv_forward_shape,    GL_ERR_SHAPE,       "x (1, 2, 5, 5), want (N, 3, H, W)"},
    {"spectral after final", e_sn_late,               GL_ERR_STATE,       "fc.weight after genlab_params_finalize"},
    {"spectral foreign",     e_sn_foreign,            GL_ERR_INVALID,     "not a parameter of this params"},
    {"spectral dim",         e_sn_dim,                GL_ERR_INVALID,     "with dim 2"},
};

START_TEST(test_errors)
{
    const err_case *c = &err_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = new_params(ctx);
    genlab_status st = c->f(ctx, p);
    ck_assert_msg(st == c->want, "%s: status %d (%s), want %d", c->name, st,
                  genlab_ctx_errmsg(ctx), c->want);
    ck_assert_int_eq(genlab_ctx_status(ctx), c->want);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), c->msg), "%s: message '%s' lacks '%s'",
                  c->name, genlab_ctx_errmsg(ctx), c->msg);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a failed declaration makes finalize fail with the declaration's message */
START_TEST(test_sticky_declaration)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = new_params(ctx);
    genlab_linear_layer a;
    ck_assert_int_eq(genlab_linear_layer_init(p, &a, "fc", -1, 2, true), GL_ERR_INVALID);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "in = -1"));
    ck_assert(!genlab_params_finalized(p));
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_finalize_other_ctx)
{
    genlab_ctx *ctx = tu_ctx(1), *other = tu_ctx(1);
    genlab_params *p = new_params(ctx);
    ck_assert_ptr_nonnull(genlab_params_declare(p, "w", 1, TU_SHAPE(2), genlab_init_constant(0)));
    ck_assert_int_eq(genlab_params_finalize(other, p), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(other), "another context"));
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    genlab_params_destroy(p);
    genlab_ctx_destroy(other);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- linear ---- */

START_TEST(test_linear_values)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = new_params(ctx);
    genlab_linear_layer l;
    ck_assert_int_eq(genlab_linear_layer_init(p, &l, "fc", 3, 2, true), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    set_values(l.weight, (const float[]){1, 2, 3, -1, 0, 2});
    set_values(l.bias, (const float[]){0.5f, -1});
    /* exact small integers: any correct float evaluation gives these values */
    genlab_tensor *x = genlab_tensor_from(ctx, 2, TU_SHAPE(2, 3), (const float[]){1, 0, -1, 2, 1, 1});
    genlab_tensor *y = genlab_linear_layer_forward(ctx, &l, x);
    const float want[] = {-1.5f, -4, 7.5f, -1};
    ck_assert_int_eq(genlab_tensor_dim(y, 1), 2);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(genlab_tensor_f32(y)[i], want[i]);
    /* (*, in): a (2, 1, 3) input gives (2, 1, 2) with the same values */
    genlab_tensor *x3 = genlab_reshape(ctx, x, 3, TU_SHAPE(2, 1, 3));
    genlab_tensor *y3 = genlab_linear_layer_forward(ctx, &l, x3);
    ck_assert_int_eq(genlab_tensor_ndim(y3), 3);
    ck_assert_int_eq(genlab_tensor_dim(y3, 2), 2);
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(genlab_tensor_f32(y3)[i], want[i]);
    /* and a 1-D input */
    genlab_tensor *y1 = genlab_linear_layer_forward(ctx, &l, genlab_tensor_from(ctx, 1, TU_SHAPE(3), (const float[]){1, 0, -1}));
    ck_assert_int_eq(genlab_tensor_ndim(y1), 1);
    ck_assert_float_eq(genlab_tensor_f32(y1)[1], -4.0f);
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_OK);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_conv_shift)
{
    /* genlab_conv2d_layer_forward_shift: conv(x) + (bias + shift[n, c]),
     * against the plain forward plus the shift; a 1x1 conv with small
     * integer weights and values, so every sum is exact in any order */
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = new_params(ctx);
    genlab_conv2d_layer l;
    ck_assert_int_eq(genlab_conv2d_layer_init(p, &l, "c", 2, 3, 1, 1, NULL, true), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    set_values(l.weight, (const float[]){1, 2, -1, 0, 3, 1});
    set_values(l.bias, (const float[]){0.5f, -1, 2});
    genlab_tensor *x = genlab_tensor_from(ctx, 4, TU_SHAPE(2, 2, 1, 2),
                                          (const float[]){1, 2, 3, 4, -1, 0, 2, -2});
    genlab_tensor *sh = genlab_tensor_from(ctx, 2, TU_SHAPE(2, 3),
                                           (const float[]){1, 2, 3, -4, -5, -6});
    genlab_tensor *y = genlab_conv2d_layer_forward_shift(ctx, &l, x, sh);
    genlab_tensor *ref = genlab_conv2d_layer_forward(ctx, &l, x);
    ck_assert_msg(y && ref, "%s", genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(genlab_tensor_numel(y), 12);
    for (int i = 0; i < 12; i++)
        ck_assert_float_eq(genlab_tensor_f32(y)[i],
                           genlab_tensor_f32(ref)[i] + genlab_tensor_f32(sh)[i / 2]);
    /* NULL shift is the plain forward */
    genlab_tensor *y0 = genlab_conv2d_layer_forward_shift(ctx, &l, x, NULL);
    for (int i = 0; i < 12; i++)
        ck_assert_float_eq(genlab_tensor_f32(y0)[i], genlab_tensor_f32(ref)[i]);
    /* a shift of the wrong shape: (N, cin) instead of (N, cout) */
    ck_assert_ptr_null(genlab_conv2d_layer_forward_shift(
        ctx, &l, x, genlab_full(ctx, 2, TU_SHAPE(2, 2), 1.0f)));
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_ERR_SHAPE);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "want (N, 3)"), "%s", genlab_ctx_errmsg(ctx));
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- spectral norm (golden values from PyTorch) ---- */

/* Our matrix products and normalisations sum in another order than
 * PyTorch's; with O(1) values over at most 18 terms the float results agree
 * to a few ulps: 2e-6 absolute plus 1e-5 relative leaves a margin of ~10x. */
#define SN_ATOL 2e-6
#define SN_RTOL 1e-5

START_TEST(test_sn_linear)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = new_params(ctx);
    genlab_linear_layer l;
    ck_assert_int_eq(genlab_linear_layer_init(p, &l, "fc", 3, 4, true), GL_OK);
    ck_assert_int_eq(genlab_linear_layer_spectral_norm(&l), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    ck_assert_ptr_eq(genlab_params_find(p, "fc.weight_u"), l.sn.u);
    ck_assert_int_eq(genlab_tensor_numel(l.sn.u), 4);
    ck_assert_int_eq(genlab_tensor_numel(l.sn.v), 3);
    set_values(l.weight, ng_snlin_w);
    set_values(l.bias, ng_snlin_b);
    set_values(l.sn.u, ng_snlin_u0);
    set_values(l.sn.v, ng_snlin_v0);
    genlab_tensor *x = genlab_tensor_from(ctx, 2, TU_SHAPE(2, 3), ng_snlin_x);
    genlab_tensor *r = genlab_tensor_from(ctx, 2, TU_SHAPE(2, 4), ng_snlin_r);
    genlab_tensor *y = genlab_linear_layer_forward(ctx, &l, x);
    ck_assert_ptr_nonnull(y);
    TU_ASSERT_CLOSE("train y", genlab_tensor_f32(y), ng_snlin_y, 8, SN_ATOL, SN_RTOL);
    TU_ASSERT_CLOSE("u after one iteration", genlab_tensor_f32(l.sn.u), ng_snlin_u1, 4, SN_ATOL, SN_RTOL);
    TU_ASSERT_CLOSE("v after one iteration", genlab_tensor_f32(l.sn.v), ng_snlin_v1, 3, SN_ATOL, SN_RTOL);
    ck_assert_int_eq(genlab_backward(ctx, genlab_sum_all(ctx, genlab_mul(ctx, y, r))), GL_OK);
    /* the gradient flows through sigma: without that term these differ */
    TU_ASSERT_CLOSE("d/dW", genlab_tensor_f32(genlab_tensor_grad(l.weight)), ng_snlin_gw, 12, SN_ATOL, SN_RTOL);
    TU_ASSERT_CLOSE("d/db", genlab_tensor_f32(genlab_tensor_grad(l.bias)), ng_snlin_gb, 4, SN_ATOL, SN_RTOL);
    /* eval: no power iteration, the stored u and v */
    genlab_params_set_training(p, false);
    genlab_tensor *ye = genlab_linear_layer_forward(ctx, &l, x);
    TU_ASSERT_CLOSE("eval y", genlab_tensor_f32(ye), ng_snlin_y_eval, 8, SN_ATOL, SN_RTOL);
    TU_ASSERT_CLOSE("u unchanged in eval", genlab_tensor_f32(l.sn.u), ng_snlin_u1, 4, SN_ATOL, SN_RTOL);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

typedef struct sn_case {
    const char  *name;
    bool         transpose;
    int          cin, cout, k, dim;
    const float *w, *u0, *v0, *r, *wsn, *u1, *v1, *gw;
} sn_case;

static const sn_case sn_cases[] = {
    /* conv weights normalised without running the convolution */
    {"Conv2d(2, 4, 3), dim 0", false, 2, 4, 3, NG_SNCONV_DIM, ng_snconv_w, ng_snconv_u0,
     ng_snconv_v0, ng_snconv_r, ng_snconv_wsn, ng_snconv_u1, ng_snconv_v1, ng_snconv_gw},
    {"ConvTranspose2d(3, 4, 2), dim 1", true, 3, 4, 2, NG_SNCONVT_DIM, ng_snconvt_w,
     ng_snconvt_u0, ng_snconvt_v0, ng_snconvt_r, ng_snconvt_wsn, ng_snconvt_u1,
     ng_snconvt_v1, ng_snconvt_gw},
};

START_TEST(test_sn_conv)
{
    const sn_case *c = &sn_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p = new_params(ctx);
    genlab_conv2d_layer cv;
    genlab_conv_transpose2d_layer ct;
    genlab_spectral_norm *sn;
    if (c->transpose) {
        ck_assert_int_eq(genlab_conv_transpose2d_layer_init(p, &ct, "m", c->cin, c->cout, c->k, c->k, NULL, false), GL_OK);
        ck_assert_int_eq(genlab_conv_transpose2d_layer_spectral_norm(&ct), GL_OK);
        sn = &ct.sn;
    } else {
        ck_assert_int_eq(genlab_conv2d_layer_init(p, &cv, "m", c->cin, c->cout, c->k, c->k, NULL, false), GL_OK);
        ck_assert_int_eq(genlab_conv2d_layer_spectral_norm(&cv), GL_OK);
        sn = &cv.sn;
    }
    ck_assert_int_eq(sn->dim, c->dim);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    int64_t h = c->cout, w = genlab_tensor_numel(sn->weight) / h;
    ck_assert_int_eq(genlab_tensor_numel(sn->u), h);
    ck_assert_int_eq(genlab_tensor_numel(sn->v), w);
    set_values(sn->weight, c->w);
    set_values(sn->u, c->u0);
    set_values(sn->v, c->v0);
    genlab_tensor *wsn = genlab_spectral_norm_weight(ctx, sn, true);
    ck_assert_ptr_nonnull(wsn);
    int64_t n = genlab_tensor_numel(wsn);
    TU_ASSERT_CLOSE(c->name, genlab_tensor_f32(wsn), c->wsn, n, SN_ATOL, SN_RTOL);
    TU_ASSERT_CLOSE("u", genlab_tensor_f32(sn->u), c->u1, h, SN_ATOL, SN_RTOL);
    TU_ASSERT_CLOSE("v", genlab_tensor_f32(sn->v), c->v1, w, SN_ATOL, SN_RTOL);
    genlab_tensor *r = genlab_tensor_from(ctx, genlab_tensor_ndim(wsn),
        (const int64_t[]){genlab_tensor_dim(wsn, 0), genlab_tensor_dim(wsn, 1), c->k, c->k}, c->r);
    ck_assert_int_eq(genlab_backward(ctx, genlab_sum_all(ctx, genlab_mul(ctx, wsn, r))), GL_OK);
    TU_ASSERT_CLOSE("d/dW", genlab_tensor_f32(genlab_tensor_grad(sn->weight)), c->gw, n, SN_ATOL, SN_RTOL);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* u and v start as unit vectors; a forward's graph keeps the u, v it used
 * even when a later training forward updates the buffers before backward
 * (as in a discriminator run on real, then fake, then one backward). */
static void sn_two_forwards(uint64_t seed, bool second, float *grad_out, int64_t n)
{
    genlab_ctx *ctx = tu_ctx(seed);
    genlab_params *p = new_params(ctx);
    genlab_linear_layer l;
    ck_assert_int_eq(genlab_linear_layer_init(p, &l, "fc", 5, 4, false), GL_OK);
    ck_assert_int_eq(genlab_linear_layer_spectral_norm(&l), GL_OK);
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    const float *u = genlab_tensor_f32(l.sn.u), *v = genlab_tensor_f32(l.sn.v);
    double nu = 0, nv = 0;
    for (int i = 0; i < 4; i++)
        nu += (double)u[i] * u[i];
    for (int i = 0; i < 5; i++)
        nv += (double)v[i] * v[i];
    /* float rounding of a 4- or 5-term norm: far below 1e-6 */
    ck_assert_double_eq_tol(nu, 1.0, 1e-6);
    ck_assert_double_eq_tol(nv, 1.0, 1e-6);
    genlab_tensor *x = genlab_randn(ctx, 2, TU_SHAPE(3, 5));
    genlab_tensor *y1 = genlab_linear_layer_forward(ctx, &l, x);
    if (second)
        ck_assert_ptr_nonnull(genlab_linear_layer_forward(ctx, &l, genlab_scale(ctx, x, -2.0f)));
    ck_assert_int_eq(genlab_backward(ctx, genlab_sum_all(ctx, genlab_tanh(ctx, y1))), GL_OK);
    ck_assert_int_eq(genlab_params_numel(p), n);
    memcpy(grad_out, genlab_params_grad(p), (size_t)n * sizeof(float));
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}

START_TEST(test_sn_graph_keeps_its_u)
{
    float a[20], b[20];
    sn_two_forwards(77, false, a, 20);
    sn_two_forwards(77, true, b, 20);
    ck_assert_mem_eq(a, b, sizeof a);
}
END_TEST

Suite *nn_suite(void)
{
    Suite *s = suite_create("nn");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, test_block_layout);
    tcase_add_test(tc, test_backward_fills_block);
    tcase_add_test(tc, test_init_deterministic);
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof err_cases / sizeof err_cases[0]));
    tcase_add_test(tc, test_sticky_declaration);
    tcase_add_test(tc, test_finalize_other_ctx);
    suite_add_tcase(s, tc);
    tc = tcase_create("init");
    tcase_add_loop_test(tc, test_init_torch_default, 0, (int)(sizeof init_cases / sizeof init_cases[0]));
    tcase_add_test(tc, test_fan_in);
    tcase_add_test(tc, test_init_override);
    tcase_add_test(tc, test_norm_layer_params);
    tcase_add_test(tc, test_dcgan64_counts);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    tc = tcase_create("linear");
    tcase_add_test(tc, test_linear_values);
    tcase_add_test(tc, test_conv_shift);
    suite_add_tcase(s, tc);
    tc = tcase_create("spectral_norm");
    tcase_add_test(tc, test_sn_linear);
    tcase_add_loop_test(tc, test_sn_conv, 0, (int)(sizeof sn_cases / sizeof sn_cases[0]));
    tcase_add_test(tc, test_sn_graph_keeps_its_u);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(nn_suite());
}
