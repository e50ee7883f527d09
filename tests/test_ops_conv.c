/* SPDX-License-Identifier: MIT
 *
 * test_ops_conv.c — the convolution ops (conv2d, conv_transpose2d,
 * conv2d_weight) and the CPU kernels under them.
 *
 * Built twice. tests/test_ops_conv runs the kernels through im2col
 * (cpu_conv.c), forced, whatever the backend's rule would choose;
 * tests/test_ops_conv_dnnl (GL_TEST_DNNL) runs the same value, gradient and
 * thread cases through oneDNN (cpu_conv_dnnl.c) on its plain and its
 * blocked layouts, compares each result with im2col's too, and adds the
 * oneDNN-only groups; built without oneDNN it exits 77 (SKIP).
 *
 * Groups of cases:
 *   values     the three ops (hence the three kernels) against a direct-loop
 *              reference written here, over a table of geometries that
 *              reaches every kernel path: batched GEMMs on columns copied
 *              through gather tables or by rows over stride phases, the
 *              1x1 direct path, the dense path, groups, depthwise, dilation,
 *              truncated outputs, taps that read only padding, and batch
 *              chunking (forced by a small workspace cap, and at default
 *              settings on a layer with megabytes of columns per image);
 *   gradcheck  first- and second-order gradient checks of the three ops;
 *   errors     one row per invalid call, with the message it must give
 *              (im2col suite only: the ops validate, not the kernels);
 *   threads    1 and 2 threads agree within rounding, and a fixed thread
 *              count gives the same bytes on every run;
 *   dnnl       (oneDNN suite) the dispatch rule on the benchmark's shapes, the
 *              fallback to im2col over the workspace cap, the bounded
 *              primitive cache.
 * Not here: speed (bench/bench_conv.c).
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "gradcheck.h"
#include "internal.h"
#include "testutil.h"

/* ---- helpers ---- */

/* The implementations this build of the suite runs every case through. */
#ifdef GL_TEST_DNNL
static const gl_conv_impl impls[] = {GL_CONV_DNNL, GL_CONV_DNNL_BLOCKED};
#else
static const gl_conv_impl impls[] = {GL_CONV_IM2COL};
#endif
#define N_IMPLS ((int)(sizeof impls / sizeof impls[0]))

static gl_cpu_state *cpu_state(genlab_ctx *ctx)
{
    return ctx->be_state;
}

/* an arena tensor uniform in [-1, 1) from a small LCG (independent of the engine) */
static genlab_tensor *rand_tensor(genlab_ctx *ctx, const int64_t *shape, unsigned seed)
{
    int64_t n = shape[0] * shape[1] * shape[2] * shape[3];
    float *buf = malloc((size_t)n * sizeof *buf + 1);
    ck_assert_ptr_nonnull(buf);
    unsigned s = seed * 2654435761u + 7u;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        buf[i] = (float)(s >> 8) * 0x1p-23f - 1.0f;
    }
    genlab_tensor *t = genlab_tensor_from(ctx, 4, shape, buf);
    free(buf);
    ck_assert_ptr_nonnull(t);
    return t;
}

/* ---- values against a direct-loop reference ---- */

typedef struct geom {
    int64_t n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups;
} geom;

/* The reference: for gy of size (ho, wo) (at most the natural conv2d size),
 * visit every (image, out channel, output position, kernel tap) term once and
 * accumulate, in double, y = conv2d(x, w) and its adjoints gx (from gy) and
 * gw (from x and gy), with the sum of the terms' magnitudes for the error
 * bound. Arrays are as the ops lay them out (NCHW, weight (cout, cin/g, kh, kw)). */
typedef struct ref_out {
    double *y, *ya, *gx, *gxa, *gw, *gwa;   /* value and sum of |terms| */
} ref_out;

static void reference(const geom *g, int64_t ho, int64_t wo, const float *x, const float *w,
                      const float *gy, ref_out *r)
{
    const int64_t cin_g = g->cin / g->groups, cout_g = g->cout / g->groups;
    for (int64_t b = 0; b < g->n; b++)
        for (int64_t co = 0; co < g->cout; co++)
            for (int64_t oh = 0; oh < ho; oh++)
                for (int64_t ow = 0; ow < wo; ow++) {
                    const int64_t yi = ((b * g->cout + co) * ho + oh) * wo + ow;
                    for (int64_t cg = 0; cg < cin_g; cg++)
                        for (int64_t ki = 0; ki < g->kh; ki++)
                            for (int64_t kj = 0; kj < g->kw; kj++) {
                                const int64_t ih = oh * g->sh - g->ph + ki * g->dh;
                                const int64_t iw = ow * g->sw - g->pw + kj * g->dw;
                                if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
                                    continue;
                                const int64_t ci = co / cout_g * cin_g + cg;
                                const int64_t xi = ((b * g->cin + ci) * g->h + ih) * g->w + iw;
                                const int64_t wi = ((co * cin_g + cg) * g->kh + ki) * g->kw + kj;
                                const double xv = x[xi], wv = w[wi], gv = gy[yi];
                                r->y[yi] += xv * wv;
                                r->ya[yi] += fabs(xv * wv);
                                r->gx[xi] += gv * wv;
                                r->gxa[xi] += fabs(gv * wv);
                                r->gw[wi] += gv * xv;
                                r->gwa[wi] += fabs(gv * xv);
                            }
                }
}

/* got vs want within the worst-case bound of a float sum of n products in
 * any order: |err| <= gamma_{n+1} sum|terms|, gamma_k ~ k u; FLT_EPSILON is
 * 2u, a factor 2 of margin. Any indexing error is far above it. */
static void expect_close(const char *what, const char *name, const genlab_tensor *got,
                         const double *want, const double *abs_sum, int64_t n_terms)
{
    ck_assert_ptr_nonnull(got);
    const float *p = genlab_tensor_f32(got);
    for (int64_t i = 0; i < genlab_tensor_numel(got); i++) {
        double tol = (double)(n_terms + 1) * FLT_EPSILON * abs_sum[i];
        ck_assert_msg(fabs(p[i] - want[i]) <= tol,
                      "%s %s: element %lld is %.9g, reference %.9g (tolerance %.3g)", name, what,
                      (long long)i, (double)p[i], want[i], tol);
    }
}

/* Two implementations' results a and b: each is within the bound above of
 * the exact sum, so they are within twice that of each other. */
static void expect_agree(const char *what, const char *name, const genlab_tensor *a,
                         const genlab_tensor *b, const double *abs_sum, int64_t n_terms)
{
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(genlab_tensor_numel(a), genlab_tensor_numel(b));
    const float *p = genlab_tensor_f32(a), *q = genlab_tensor_f32(b);
    for (int64_t i = 0; i < genlab_tensor_numel(a); i++) {
        double tol = 2.0 * (double)(n_terms + 1) * FLT_EPSILON * abs_sum[i];
        ck_assert_msg(fabs((double)p[i] - q[i]) <= tol,
                      "%s %s: element %lld is %.9g, im2col gives %.9g (tolerance %.3g)", name,
                      what, (long long)i, (double)p[i], (double)q[i], tol);
    }
}

typedef struct value_case {
    const char *name;
    geom        g;
    bool        trunc;    /* gy one row and column short of conv2d's size: r >= stride */
    size_t      ws_max;   /* workspace cap in bytes (0 = default) */
} value_case;

static const value_case values[] = {
    /* name                             n  cin  h   w  cout kh kw sh sw ph pw dh dw grp  trunc ws */
    {"3x3 s1 p1",                      {2,  3,  7,  6,  4, 3, 3, 1, 1, 1, 1, 1, 1, 1}, false, 0},
    {"5x5 s2 p2 (DCGAN-32 D)",         {3,  3,  9,  9,  5, 5, 5, 2, 2, 2, 2, 1, 1, 1}, false, 0},
    {"4x4 s2 p1, odd sizes",           {2,  4,  7,  9,  3, 4, 4, 2, 2, 1, 1, 1, 1, 1}, false, 0},
    {"dilation 2",                     {2,  3,  9,  8,  4, 3, 3, 1, 1, 2, 2, 2, 2, 1}, false, 0},
    {"groups 2, mixed s/p/d, 3x2",     {2,  4, 10,  9,  6, 3, 2, 2, 1, 1, 0, 2, 1, 2}, false, 0},
    {"depthwise",                      {2,  5,  8,  8,  5, 3, 3, 1, 1, 1, 1, 1, 1, 5}, false, 0},
    {"depthwise, multiplier 2",        {2,  3,  6,  6,  6, 3, 3, 2, 2, 1, 1, 1, 1, 3}, false, 0},
    {"1x1, small plane (batched)",     {3,  6,  4,  5,  4, 1, 1, 1, 1, 0, 0, 1, 1, 1}, false, 0},
    {"1x1 direct, per image",          {2,  6, 16, 18,  5, 1, 1, 1, 1, 0, 0, 1, 1, 1}, false, 0},
    {"1x1 direct, per image, groups",  {2,  4, 16, 16,  6, 1, 1, 1, 1, 0, 0, 1, 1, 2}, false, 0},
    {"dense (kernel = input), groups", {3,  4,  3,  2,  6, 3, 2, 1, 1, 0, 0, 1, 1, 2}, false, 0},
    {"all taps in padding (y = 0)",    {2,  1,  1,  1,  1, 1, 1, 4, 4, 2, 2, 1, 1, 1}, false, 0},
    {"1x1 stride 2",                   {2,  4,  8,  8,  3, 1, 1, 2, 2, 0, 0, 1, 1, 1}, false, 0},
    {"1x1 padding 1",                  {2,  3,  5,  4,  2, 1, 1, 1, 1, 1, 1, 1, 1, 1}, false, 0},
    {"3x5 kernel, 20x17 (by rows)",    {2,  3, 20, 17,  4, 3, 5, 1, 1, 1, 2, 1, 1, 1}, false, 0},
    {"4x4 s2 p1, 36x34 (phases)",      {2,  3, 36, 34,  4, 4, 4, 2, 2, 1, 1, 1, 1, 1}, false, 0},
    {"3x3 s3 d2 p2, groups (phases)",  {2,  4, 50, 52,  2, 3, 3, 3, 3, 2, 2, 2, 2, 2}, false, 0},
    {"3x3 s(2,1) p(0,3), 33x18",       {2,  2, 33, 18,  3, 3, 3, 2, 1, 0, 3, 1, 1, 1}, false, 0},
    {"truncated s2 d4 (phases)",       {2,  2, 44, 44,  3, 3, 3, 2, 2, 0, 0, 4, 4, 1}, true,  0},
    {"kernel = input (1x1 output)",    {3,  4,  4,  4,  3, 4, 4, 1, 1, 0, 0, 1, 1, 1}, false, 0},
    {"truncated: s1 d2, r = 1",        {2,  3,  8,  8,  4, 3, 3, 1, 1, 0, 0, 2, 2, 1}, true,  0},
    {"truncated 20x20, groups",        {2,  4, 20, 20,  2, 3, 3, 1, 1, 1, 1, 2, 2, 2}, true,  0},
    {"chunks of 2 of 7 (batched)",     {7,  3,  6,  6,  4, 3, 3, 2, 2, 1, 1, 1, 1, 1}, false, 2500},
    {"chunks of 2 of 5, groups",       {5,  4, 16, 16,  4, 3, 3, 1, 1, 1, 1, 1, 1, 2}, false, 90000},
    {"chunks of 1 (cap < one image)",  {3,  2,  5,  5,  3, 3, 3, 1, 1, 1, 1, 1, 1, 1}, false, 1},
    {"1x1 direct, chunks of 1",        {3,  3, 16, 16,  2, 1, 1, 1, 1, 0, 0, 1, 1, 1}, false, 1},
    /* default settings: 3.7 MB of columns per image, over the 4 MiB chunk target */
    {"default chunking: 1 image each", {5, 64, 40, 40,  2, 3, 3, 1, 1, 1, 1, 1, 1, 1}, false, 0},
};

static int64_t natural(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d)
{
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

/* Whether oneDNN takes an axis of in positions whose windows give out:
 * it wants a bottom (right) padding above -stride, so it refuses a gy more
 * than one window short of the natural size (conv_transpose2d's
 * output_padding reaches that only with a dilation above the stride); the
 * kernel then falls back to im2col. */
static bool dnnl_takes(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d)
{
    return (out - 1) * s + d * (k - 1) + 1 - in - p > -s;
}

#define N_VALUES ((int)(sizeof values / sizeof values[0]))

/* Runs every row through impls[_i / N_VALUES]. The oneDNN suite leaves the
 * workspace cap at its default (a small cap would only send oneDNN calls
 * back to im2col: test_dnnl_cap checks that), checks that oneDNN served the
 * calls, and compares with im2col. */
START_TEST(test_values)
{
    const value_case *c = &values[_i % N_VALUES];
    const gl_conv_impl impl = impls[_i / N_VALUES];
    const geom *g = &c->g;
    genlab_ctx *ctx = tu_ctx(1);
    gl_cpu_state *st = cpu_state(ctx);
    st->conv_impl = impl;
    st->conv_ws_max = impl == GL_CONV_IM2COL ? c->ws_max : 0;
    const int64_t ho_n = natural(g->h, g->kh, g->sh, g->ph, g->dh);
    const int64_t wo_n = natural(g->w, g->kw, g->sw, g->pw, g->dw);
    const int64_t ho = ho_n - c->trunc, wo = wo_n - c->trunc;
    /* the output_padding that makes conv_transpose2d of gy come back to (h, w) */
    const int op_h = (int)(g->h + 2 * g->ph - g->dh * (g->kh - 1) - 1 - (ho - 1) * g->sh);
    const int op_w = (int)(g->w + 2 * g->pw - g->dw * (g->kw - 1) - 1 - (wo - 1) * g->sw);
    const genlab_conv_opts conv = {{(int)g->sh, (int)g->sw}, {(int)g->ph, (int)g->pw},
                                   {(int)g->dh, (int)g->dw}, {0, 0}, (int)g->groups};
    genlab_conv_opts tr = conv;
    tr.output_padding[0] = op_h;
    tr.output_padding[1] = op_w;

    genlab_tensor *x = rand_tensor(ctx, TU_SHAPE(g->n, g->cin, g->h, g->w), 1);
    genlab_tensor *w = rand_tensor(ctx, TU_SHAPE(g->cout, g->cin / g->groups, g->kh, g->kw), 2);
    genlab_tensor *gy = rand_tensor(ctx, TU_SHAPE(g->n, g->cout, ho, wo), 3);
    genlab_tensor *y = genlab_conv2d(ctx, x, w, NULL, &conv);
    genlab_tensor *gx = genlab_conv_transpose2d(ctx, gy, w, NULL, &tr);
    genlab_tensor *gw = genlab_conv2d_weight(ctx, x, gy, (int)g->kh, (int)g->kw, &conv);
    ck_assert_msg(y && gx && gw, "%s: %s", c->name, genlab_ctx_errmsg(ctx));
    const bool gy_taken = dnnl_takes(g->h, ho, g->kh, g->sh, g->ph, g->dh) &&
                          dnnl_takes(g->w, wo, g->kw, g->sw, g->pw, g->dw);
    ck_assert_int_eq(st->conv_runs[impl], impl == GL_CONV_IM2COL || gy_taken ? 3 : 1);
    genlab_tensor *ref[3] = {y, gx, gw};
    if (impl != GL_CONV_IM2COL) {
        st->conv_impl = GL_CONV_IM2COL;
        ref[0] = genlab_conv2d(ctx, x, w, NULL, &conv);
        ref[1] = genlab_conv_transpose2d(ctx, gy, w, NULL, &tr);
        ref[2] = genlab_conv2d_weight(ctx, x, gy, (int)g->kh, (int)g->kw, &conv);
    }
    ck_assert_int_eq(genlab_tensor_dim(y, 2), ho_n);
    ck_assert_int_eq(genlab_tensor_dim(gx, 2), g->h);
    ck_assert_int_eq(genlab_tensor_dim(gx, 3), g->w);

    const int64_t ny = g->n * g->cout * ho_n * wo_n, nx = genlab_tensor_numel(x);
    const int64_t nw = genlab_tensor_numel(w);
    double *buf = calloc((size_t)(2 * (ny + nx + nw)), sizeof *buf);
    ck_assert_ptr_nonnull(buf);
    ref_out r = {buf, buf + ny, buf + 2 * ny, buf + 2 * ny + nx, buf + 2 * (ny + nx),
                 buf + 2 * (ny + nx) + nw};
    reference(g, ho, wo, genlab_tensor_f32(x), genlab_tensor_f32(w), genlab_tensor_f32(gy), &r);
    const int64_t terms_x = g->cout / g->groups * g->kh * g->kw, terms_w = g->n * ho * wo;
    expect_close("conv_transpose2d", c->name, gx, r.gx, r.gxa, terms_x);
    expect_close("conv2d_weight", c->name, gw, r.gw, r.gwa, terms_w);
    expect_agree("conv_transpose2d", c->name, gx, ref[1], r.gxa, terms_x);
    expect_agree("conv2d_weight", c->name, gw, ref[2], r.gwa, terms_w);
    if (c->trunc) {
        /* conv2d itself has the natural size: redo the reference for it */
        memset(buf, 0, (size_t)(2 * (ny + nx + nw)) * sizeof *buf);
        genlab_tensor *gyn = genlab_full(ctx, 4, TU_SHAPE(g->n, g->cout, ho_n, wo_n), 0.0f);
        reference(g, ho_n, wo_n, genlab_tensor_f32(x), genlab_tensor_f32(w),
                  genlab_tensor_f32(gyn), &r);
    }
    const int64_t terms_y = g->cin / g->groups * g->kh * g->kw;
    expect_close("conv2d", c->name, y, r.y, r.ya, terms_y);
    expect_agree("conv2d", c->name, y, ref[0], r.ya, terms_y);
    free(buf);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_bias)
{
    /* conv2d with a bias (the backend's conv2d_forward_bias: oneDNN adds it
     * in its kernel, im2col after its GEMM) against the conv without one
     * plus the bias as a separate op. The kernel may add it to the
     * accumulator before the last rounding instead of after: one rounding
     * apart, 2 ulp of the largest |y| (2^-22) bounds the difference; a
     * missing or misplaced bias is off by O(1). */
    const gl_conv_impl impl = impls[_i];
    genlab_ctx *ctx = tu_ctx(1);
    cpu_state(ctx)->conv_impl = impl;
    const genlab_conv_opts o = {.stride = {1, 1}, .padding = {1, 1}};
    genlab_tensor *x = rand_tensor(ctx, TU_SHAPE(3, 16, 9, 8), 1);
    genlab_tensor *w = rand_tensor(ctx, TU_SHAPE(32, 16, 3, 3), 2);
    genlab_tensor *b = genlab_reshape(ctx, rand_tensor(ctx, TU_SHAPE(32, 1, 1, 1), 3), 1,
                                      TU_SHAPE(32));
    genlab_tensor *y = genlab_conv2d(ctx, x, w, b, &o);
    genlab_tensor *ref = genlab_add(ctx, genlab_conv2d(ctx, x, w, NULL, &o),
                                    genlab_reshape(ctx, b, 4, TU_SHAPE(1, 32, 1, 1)));
    ck_assert_msg(y && ref, "%s", genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(cpu_state(ctx)->conv_runs[impl], 2);
    const float *a = genlab_tensor_f32(y), *r = genlab_tensor_f32(ref);
    double mx = 0;
    for (int64_t i = 0; i < genlab_tensor_numel(y); i++)
        mx = fmax(mx, fabs(r[i]));
    for (int64_t i = 0; i < genlab_tensor_numel(y); i++)
        ck_assert_msg(fabs(a[i] - r[i]) <= 0x1p-22 * mx, "impl %d [%lld]: %.9g vs %.9g",
                      (int)impl, (long long)i, a[i], r[i]);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- gradient checks ---- */

typedef enum conv_kind { K_CONV, K_CONV_T, K_WEIGHT, K_TANH_CONV } conv_kind;

typedef struct grad_case {
    const char      *name;
    conv_kind        kind;
    int              n_in;           /* 2, or 3 with a bias */
    int64_t          shape[3][4];    /* x, w (or gy for K_WEIGHT), b */
    genlab_conv_opts opts;
    int              kh, kw;         /* K_WEIGHT only */
    double           eps;
    bool             dnnl;           /* oneDNN takes the geometry (see dnnl_takes) */
} grad_case;

static genlab_tensor *f_conv(genlab_ctx *ctx, genlab_tensor **x, void *user)
{
    const grad_case *c = user;
    genlab_tensor *b = c->n_in == 3 ? x[2] : NULL;
    switch (c->kind) {
    case K_CONV:      return genlab_conv2d(ctx, x[0], x[1], b, &c->opts);
    case K_CONV_T:    return genlab_conv_transpose2d(ctx, x[0], x[1], b, &c->opts);
    case K_WEIGHT:    return genlab_conv2d_weight(ctx, x[0], x[1], c->kh, c->kw, &c->opts);
    case K_TANH_CONV: return genlab_tanh(ctx, genlab_conv2d(ctx, x[0], x[1], b, &c->opts));
    }
    return NULL;
}

/* The ops are bilinear, so central differences are exact up to rounding for
 * any step: eps 0.05 keeps the rounding of L small against 2 eps. The tanh
 * row is curved and takes the usual 1e-2. */
#define OPTS(sh, sw, ph, pw, dh, dw, oph, opw, grp) {{sh, sw}, {ph, pw}, {dh, dw}, {oph, opw}, grp}
static const grad_case grads[] = {
    /* name                               kind        n  shapes: x, w|gy, b                          opts: s, p, d, output_padding, groups  kh kw eps   dnnl */
    {"conv2d 3x3 p1",                     K_CONV,     2, {{2, 3, 5, 5}, {4, 3, 3, 3}},        OPTS(1, 1, 1, 1, 1, 1, 0, 0, 1), 0, 0, 0.05, true},
    {"conv2d s2 p1 + bias, 6x7",          K_CONV,     3, {{2, 3, 6, 7}, {4, 3, 3, 3}, {4}},   OPTS(2, 2, 1, 1, 1, 1, 0, 0, 1), 0, 0, 0.05, true},
    {"conv2d s2, backward needs r = 1",   K_CONV,     2, {{1, 2, 6, 6}, {3, 2, 3, 3}},        OPTS(2, 2, 0, 0, 1, 1, 0, 0, 1), 0, 0, 0.05, true},
    {"conv2d groups 2, dil 2 + bias",     K_CONV,     3, {{2, 4, 7, 7}, {6, 2, 3, 3}, {6}},   OPTS(1, 1, 1, 1, 2, 2, 0, 0, 2), 0, 0, 0.05, true},
    {"conv2d depthwise",                  K_CONV,     2, {{2, 3, 5, 5}, {3, 1, 3, 3}},        OPTS(1, 1, 1, 1, 1, 1, 0, 0, 3), 0, 0, 0.05, true},
    {"conv2d 1x1",                        K_CONV,     3, {{2, 3, 4, 4}, {2, 3, 1, 1}, {2}},   OPTS(1, 1, 0, 0, 1, 1, 0, 0, 1), 0, 0, 0.05, true},
    {"conv_transpose2d k4 s2 p1 + bias",  K_CONV_T,   3, {{2, 4, 3, 3}, {4, 3, 4, 4}, {3}},   OPTS(2, 2, 1, 1, 1, 1, 0, 0, 1), 0, 0, 0.05, true},
    {"conv_transpose2d s2 p1 op 1",       K_CONV_T,   2, {{2, 3, 3, 3}, {3, 2, 3, 3}},        OPTS(2, 2, 1, 1, 1, 1, 1, 1, 1), 0, 0, 0.05, true},
    {"conv_transpose2d groups 2, op (1,0)",K_CONV_T,  3, {{2, 4, 3, 4}, {4, 3, 3, 3}, {6}},   OPTS(2, 2, 1, 1, 1, 1, 1, 0, 2), 0, 0, 0.05, true},
    {"conv_transpose2d s1 d2 op 1",       K_CONV_T,   2, {{1, 2, 4, 4}, {2, 3, 3, 3}},        OPTS(1, 1, 0, 0, 2, 2, 1, 1, 1), 0, 0, 0.05, false},
    {"conv_transpose2d k2 from 1x1",      K_CONV_T,   2, {{3, 4, 1, 1}, {4, 2, 2, 2}},        OPTS(1, 1, 0, 0, 1, 1, 0, 0, 1), 0, 0, 0.05, true},
    {"conv2d_weight k3 s2 p1",            K_WEIGHT,   2, {{2, 3, 6, 6}, {2, 4, 3, 3}},        OPTS(2, 2, 1, 1, 1, 1, 0, 0, 1), 3, 3, 0.05, true},
    {"conv2d_weight groups 2",            K_WEIGHT,   2, {{2, 4, 5, 5}, {2, 2, 5, 5}},        OPTS(1, 1, 1, 1, 1, 1, 0, 0, 2), 3, 3, 0.05, true},
    {"conv2d_weight r >= stride (d 2)",   K_WEIGHT,   2, {{1, 2, 7, 7}, {1, 3, 3, 3}},        OPTS(1, 1, 0, 0, 2, 2, 0, 0, 1), 3, 3, 0.05, true},
    {"tanh(conv2d s2 + bias)",            K_TANH_CONV,3, {{2, 2, 5, 5}, {3, 2, 3, 3}, {3}},   OPTS(2, 2, 1, 1, 1, 1, 0, 0, 1), 0, 0, 1e-2, true},
};

#define N_GRADS ((int)(sizeof grads / sizeof grads[0]))

START_TEST(test_gradcheck)
{
    const grad_case *c = &grads[_i % N_GRADS];
    const gl_conv_impl impl = impls[_i / N_GRADS];
    genlab_ctx *ctx = tu_ctx(7);
    cpu_state(ctx)->conv_impl = impl;
    genlab_tensor *x[3] = {0};
    for (int k = 0; k < c->n_in; k++) {
        x[k] = gc_input(ctx, k == 2 ? 1 : 4, c->shape[k], -1.0f, 1.0f, 13u * (unsigned)(_i % N_GRADS) + (unsigned)k);
        ck_assert_ptr_nonnull(x[k]);
    }
    gc_opts o = {.eps = c->eps, .second = true};
    char msg[512];
    bool ok = gc_check(ctx, f_conv, (void *)c, c->n_in, x, &o, msg, sizeof msg);
    const int64_t runs = cpu_state(ctx)->conv_runs[impl];
    for (int k = 0; k < c->n_in; k++)
        genlab_tensor_free(x[k]);
    genlab_ctx_destroy(ctx);
    ck_assert_msg(ok, "%s: %s", c->name, msg);
    ck_assert_msg((runs > 0) == (impl == GL_CONV_IM2COL || c->dnnl),
                  "%s: %lld kernel calls ran through implementation %d", c->name, (long long)runs,
                  impl);
}
END_TEST

/* ---- errors: each names the op and the shapes ---- */
#ifndef GL_TEST_DNNL

typedef struct err_case {
    const char   *want;     /* substring of the message */
    genlab_status status;
    int           kind;     /* 0 conv2d, 1 conv_transpose2d, 2 conv2d_weight (w = gy) */
    int           xdim;
    int64_t       x[4], w[4];
    int64_t       b;        /* bias length, 0 = none */
    genlab_conv_opts opts;
} err_case;

static const err_case errors[] = {
    {"conv2d: x (2, 3, 8, 8) has 3 channels but w (4, 2, 3, 3) with groups 1 expects 2",
     GL_ERR_SHAPE, 0, 4, {2, 3, 8, 8}, {4, 2, 3, 3}, 0, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 1)},
    {"conv2d: groups 2 does not divide the 3 input channels of x (2, 3, 8, 8)",
     GL_ERR_SHAPE, 0, 4, {2, 3, 8, 8}, {4, 1, 3, 3}, 0, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 2)},
    {"conv2d: groups 2 does not divide the 3 output channels of w (3, 2, 3, 3)",
     GL_ERR_SHAPE, 0, 4, {2, 4, 8, 8}, {3, 2, 3, 3}, 0, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 2)},
    {"conv2d: kernel 7x7 (dilated 7x7) of w (1, 1, 7, 7) is bigger than the padded input 6x6 of x (1, 1, 4, 4)",
     GL_ERR_SHAPE, 0, 4, {1, 1, 4, 4}, {1, 1, 7, 7}, 0, OPTS(1, 1, 1, 1, 1, 1, 0, 0, 1)},
    {"conv2d: kernel 3x3 (dilated 7x7) of w (1, 1, 3, 3) is bigger than the padded input 5x5",
     GL_ERR_SHAPE, 0, 4, {1, 1, 5, 5}, {1, 1, 3, 3}, 0, OPTS(1, 1, 0, 0, 3, 3, 0, 0, 1)},
    {"conv2d: x must be (N, Cin, H, W), got (3, 8, 8)",
     GL_ERR_SHAPE, 0, 3, {3, 8, 8}, {4, 3, 3, 3}, 0, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 1)},
    {"conv2d: b (5) must be (4), one per output channel",
     GL_ERR_SHAPE, 0, 4, {2, 3, 8, 8}, {4, 3, 3, 3}, 5, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 1)},
    {"conv2d: output_padding (1, 0) is for conv_transpose2d only",
     GL_ERR_INVALID, 0, 4, {2, 3, 8, 8}, {4, 3, 3, 3}, 0, OPTS(2, 2, 0, 0, 1, 1, 1, 0, 1)},
    {"conv2d: invalid options stride (-1, 1)",
     GL_ERR_INVALID, 0, 4, {2, 3, 8, 8}, {4, 3, 3, 3}, 0, OPTS(-1, 1, 0, 0, 1, 1, 0, 0, 1)},
    {"conv2d: invalid options stride (1, 1), padding (0, -2)",
     GL_ERR_INVALID, 0, 4, {2, 3, 8, 8}, {4, 3, 3, 3}, 0, OPTS(1, 1, 0, -2, 1, 1, 0, 0, 1)},
    {"conv2d: w (4, 0, 3, 3) has an empty axis",
     GL_ERR_SHAPE, 0, 4, {2, 3, 8, 8}, {4, 0, 3, 3}, 0, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 1)},
    {"conv_transpose2d: x (2, 3, 4, 4) has 3 channels but w (4, 2, 3, 3) expects 4",
     GL_ERR_SHAPE, 1, 4, {2, 3, 4, 4}, {4, 2, 3, 3}, 0, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 1)},
    {"conv_transpose2d: groups 2 does not divide the 3 input channels of x (2, 3, 4, 4)",
     GL_ERR_SHAPE, 1, 4, {2, 3, 4, 4}, {3, 2, 3, 3}, 0, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 2)},
    {"conv_transpose2d: output_padding (2, 0) must be smaller than either stride (2, 2) or dilation (1, 1)",
     GL_ERR_INVALID, 1, 4, {2, 4, 4, 4}, {4, 2, 3, 3}, 0, OPTS(2, 2, 0, 0, 1, 1, 2, 0, 1)},
    {"conv_transpose2d: output size -3x-3 is not positive for x (1, 2, 1, 1), w (2, 2, 3, 3)",
     GL_ERR_SHAPE, 1, 4, {1, 2, 1, 1}, {2, 2, 3, 3}, 0, OPTS(1, 1, 3, 3, 1, 1, 0, 0, 1)},
    {"conv_transpose2d: b (2) must be (6), one per output channel",
     GL_ERR_SHAPE, 1, 4, {2, 4, 4, 4}, {4, 3, 3, 3}, 2, OPTS(1, 1, 0, 0, 1, 1, 0, 0, 2)},
    {"conv2d_weight: gy (2, 4, 5, 5) is not the conv2d output of x (2, 3, 6, 6) for kernel 3x3",
     GL_ERR_SHAPE, 2, 4, {2, 3, 6, 6}, {2, 4, 5, 5}, 0, OPTS(2, 2, 1, 1, 1, 1, 0, 0, 1)},
    {"conv2d_weight: gy (1, 4, 3, 3) is not the conv2d output of x (2, 3, 6, 6)",
     GL_ERR_SHAPE, 2, 4, {2, 3, 6, 6}, {1, 4, 3, 3}, 0, OPTS(2, 2, 1, 1, 1, 1, 0, 0, 1)},
    {"conv2d_weight: groups 2 does not divide the 3 output channels of gy (2, 3, 3, 3)",
     GL_ERR_SHAPE, 2, 4, {2, 4, 6, 6}, {2, 3, 3, 3}, 0, OPTS(2, 2, 1, 1, 1, 1, 0, 0, 2)},
    {"conv_transpose2d: input 1073741825x1073741825, output 2x2, kernel 1x1: too large",
     GL_ERR_UNSUPPORTED, 1, 4, {1, 1, 2, 2}, {1, 1, 1, 1}, 0,
     OPTS(1 << 30, 1 << 30, 0, 0, 1, 1, 0, 0, 1)},
};

START_TEST(test_errors)
{
    const err_case *e = &errors[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = genlab_full(ctx, e->xdim, e->x, 1.0f);
    genlab_tensor *w = genlab_full(ctx, 4, e->w, 1.0f);
    genlab_tensor *b = e->b ? genlab_full(ctx, 1, &e->b, 0.0f) : NULL;
    genlab_tensor *y = e->kind == 0 ? genlab_conv2d(ctx, x, w, b, &e->opts)
                     : e->kind == 1 ? genlab_conv_transpose2d(ctx, x, w, b, &e->opts)
                                    : genlab_conv2d_weight(ctx, x, w, 3, 3, &e->opts);
    ck_assert_ptr_null(y);
    ck_assert_int_eq(genlab_ctx_status(ctx), e->status);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), e->want) != NULL, "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), e->want);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a float32 check comes first, and a NULL input keeps the earlier error */
START_TEST(test_error_dtype_and_null)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *w = genlab_full(ctx, 4, TU_SHAPE(2, 3, 3, 3), 1.0f);
    genlab_tensor *xi = genlab_tensor_new(ctx, GL_I32, 4, TU_SHAPE(1, 3, 5, 5));
    ck_assert_ptr_null(genlab_conv2d(ctx, xi, w, NULL, NULL));
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_ERR_DTYPE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "conv2d: x must be float32"));
    ck_assert_ptr_null(genlab_conv_transpose2d(ctx, NULL, w, NULL, NULL));
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "conv2d: x must be float32"));
    genlab_ctx_destroy(ctx);
}
END_TEST

#endif /* !GL_TEST_DNNL */

/* ---- threads ----
 * Every element of a copy is written by one thread in a fixed order, and the
 * chunking does not depend on the thread count, so genlab adds nothing
 * thread-dependent. OpenBLAS may: natively (AVX-512 kernels) 1 and 2 threads
 * gave the same bytes, but under valgrind, whose CPU model makes OpenBLAS
 * pick other kernels, results differ in the last bits; oneDNN splits the
 * weight gradient's sum over images by thread. So the outputs are
 * compared within 64 FLT_EPSILON of each element's sum of |terms|: a
 * different blocking of the same sum moves it by a few ulps of the partial
 * sums, while a race (a lost or doubled term) moves it by about 1/n of that
 * sum, n <= 2048 terms here, i.e. 60 times more. The copies are forced
 * onto all threads, and the shapes are big enough for OpenBLAS and oneDNN
 * to use both threads and for the copies to run in parallel.
 * At a fixed thread count a run must give the same bytes every time, in the
 * same context (oneDNN: from its cached primitives) and in a new one. */

typedef struct thread_case {
    const char *name;
    geom        g;
} thread_case;

static const thread_case thread_cases[] = {
    /* name                        n   cin  h   w  cout kh kw sh sw ph pw dh dw grp */
    {"batched 4x4 s2 (8x8 -> 4x4)", {16, 64, 8, 8, 64, 4, 4, 2, 2, 1, 1, 1, 1, 1}},
    {"3x3 on 16x16",                {8, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1}},
    {"1x1 direct (16x16), groups",  {8, 64, 16, 16, 64, 1, 1, 1, 1, 0, 0, 1, 1, 2}},
};

/* conv2d, conv_transpose2d and conv2d_weight outputs on t threads through
 * impl, concatenated; with absolute, the same ops on |x|, |w|, |gy|: each
 * output's sum of |terms|. The ops run twice when twice is set, and must
 * give the same bytes both times. */
static float *run_on_threads(const geom *g, int threads, gl_conv_impl impl, bool absolute,
                             bool twice, int64_t *n_out)
{
    genlab_ctx_options o = {.seed = 5, .n_threads = threads};
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    /* copies on all threads even where cpu_conv.c would keep them on one */
    cpu_state(ctx)->conv_copy_threads = threads;
    cpu_state(ctx)->conv_impl = impl;
    const genlab_conv_opts opts = {{(int)g->sh, (int)g->sw}, {(int)g->ph, (int)g->pw},
                                   {(int)g->dh, (int)g->dw}, {0, 0}, (int)g->groups};
    const int64_t ho = natural(g->h, g->kh, g->sh, g->ph, g->dh);
    const int64_t wo = natural(g->w, g->kw, g->sw, g->pw, g->dw);
    genlab_tensor *x = rand_tensor(ctx, TU_SHAPE(g->n, g->cin, g->h, g->w), 1);
    genlab_tensor *w = rand_tensor(ctx, TU_SHAPE(g->cout, g->cin / g->groups, g->kh, g->kw), 2);
    genlab_tensor *gy = rand_tensor(ctx, TU_SHAPE(g->n, g->cout, ho, wo), 3);
    if (absolute) {
        x = genlab_abs(ctx, x);
        w = genlab_abs(ctx, w);
        gy = genlab_abs(ctx, gy);
    }
    genlab_tensor *outs[2][3];
    for (int r = 0; r < 1 + twice; r++) {
        outs[r][0] = genlab_conv2d(ctx, x, w, NULL, &opts);
        outs[r][1] = genlab_conv_transpose2d(ctx, gy, w, NULL, &opts);
        outs[r][2] = genlab_conv2d_weight(ctx, x, gy, (int)g->kh, (int)g->kw, &opts);
    }
    ck_assert_int_eq(cpu_state(ctx)->conv_runs[impl], 3 * (1 + twice));
    *n_out = 0;
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(outs[0][i] != NULL && outs[twice][i] != NULL, "%s", genlab_ctx_errmsg(ctx));
        const size_t bytes = (size_t)genlab_tensor_numel(outs[0][i]) * sizeof(float);
        ck_assert_msg(memcmp(genlab_tensor_f32(outs[0][i]), genlab_tensor_f32(outs[twice][i]),
                             bytes) == 0, "op %d: a second run gave other bytes", i);
        *n_out += genlab_tensor_numel(outs[0][i]);
    }
    float *all = malloc((size_t)*n_out * sizeof *all), *p = all;
    ck_assert_ptr_nonnull(all);
    for (int i = 0; i < 3; i++) {
        memcpy(p, genlab_tensor_f32(outs[0][i]),
               (size_t)genlab_tensor_numel(outs[0][i]) * sizeof *p);
        p += genlab_tensor_numel(outs[0][i]);
    }
    genlab_ctx_destroy(ctx);
    return all;
}

#define N_THREAD_CASES ((int)(sizeof thread_cases / sizeof thread_cases[0]))

START_TEST(test_threads)
{
    const thread_case *c = &thread_cases[_i % N_THREAD_CASES];
    const gl_conv_impl impl = impls[_i / N_THREAD_CASES];
    int64_t n1, n2, na;
    float *one = run_on_threads(&c->g, 1, impl, false, false, &n1);
    float *two = run_on_threads(&c->g, 2, impl, false, false, &n2);
    float *mag = run_on_threads(&c->g, 1, impl, true, false, &na);
    ck_assert_int_eq(n1, n2);
    ck_assert_int_eq(n1, na);
    int64_t bad = -1;
    for (int64_t i = 0; i < n1 && bad < 0; i++)
        if (!(fabsf(one[i] - two[i]) <= 64 * FLT_EPSILON * mag[i]))
            bad = i;
    float a = bad >= 0 ? one[bad] : 0, b = bad >= 0 ? two[bad] : 0, m = bad >= 0 ? mag[bad] : 0;
    free(one);
    free(two);
    free(mag);
    ck_assert_msg(bad < 0, "%s: element %lld: %.9g (1 thread) vs %.9g (2 threads), sum |terms| %g",
                  c->name, (long long)bad, (double)a, (double)b, (double)m);
}
END_TEST

/* 2 threads, twice in each of two contexts: the same bytes every time */
START_TEST(test_repeat)
{
    const thread_case *c = &thread_cases[_i % N_THREAD_CASES];
    const gl_conv_impl impl = impls[_i / N_THREAD_CASES];
    int64_t n1, n2;
    float *first = run_on_threads(&c->g, 2, impl, false, true, &n1);
    float *second = run_on_threads(&c->g, 2, impl, false, true, &n2);
    ck_assert_int_eq(n1, n2);
    const bool same = memcmp(first, second, (size_t)n1 * sizeof *first) == 0;
    free(first);
    free(second);
    ck_assert_msg(same, "%s: a second context gave other bytes", c->name);
}
END_TEST

#if defined(GL_TEST_DNNL) && defined(HAVE_DNNL)
/* ---- oneDNN: dispatch, workspace cap, primitive cache ---- */

/* The rule of cpu_conv_dispatch.c on the benchmark's shapes: one row per
 * shape class it tells apart, with the implementation each pass gets. */
typedef struct rule_case {
    const char  *name;
    geom         g;          /* the kernel's conv desc: x -> y */
    gl_conv_impl want[3];    /* forward, backward data, backward weight */
} rule_case;

#define IM2COL GL_CONV_IM2COL
#define PLAIN GL_CONV_DNNL
#define BLOCKED GL_CONV_DNNL_BLOCKED
static const rule_case rules[] = {
    /* name                          n  cin  h   w  cout kh kw sh sw ph pw dh dw grp   fwd, data, weight */
    {"d64.2: 64x32 -> 128x16",      {64,  64, 32, 32, 128, 4, 4, 2, 2, 1, 1, 1, 1, 1}, {BLOCKED, BLOCKED, BLOCKED}},
    {"u8.1: 3x3 s1 on 8x8",         {64, 256,  8,  8, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1}, {BLOCKED, BLOCKED, BLOCKED}},
    {"u32.3: 3 output channels",    {64,  64, 32, 32,   3, 3, 3, 1, 1, 1, 1, 1, 1, 1}, {BLOCKED, BLOCKED, BLOCKED}},
    {"d32.1: 3 input channels",     {64,   3, 32, 32,  64, 5, 5, 2, 2, 2, 2, 1, 1, 1}, {BLOCKED, PLAIN, BLOCKED}},
    {"g32.5 (convT): 3 channels",   {64,   3, 32, 32, 128, 4, 4, 2, 2, 1, 1, 1, 1, 1}, {BLOCKED, PLAIN, BLOCKED}},
    {"u16.2: 1x1",                  {64, 128, 16, 16,  64, 1, 1, 1, 1, 0, 0, 1, 1, 1}, {PLAIN, PLAIN, PLAIN}},
    {"d32.4: 2x2 output",           {64, 256,  4,  4, 512, 5, 5, 2, 2, 2, 2, 1, 1, 1}, {IM2COL, IM2COL, IM2COL}},
    {"d64.5: fully connected",      {64, 512,  4,  4,   1, 4, 4, 1, 1, 0, 0, 1, 1, 1}, {IM2COL, IM2COL, IM2COL}},
    {"groups 2 (not measured)",     {64,  64, 16, 16,  64, 3, 3, 1, 1, 1, 1, 1, 1, 2}, {IM2COL, IM2COL, IM2COL}},
    {"dilation 2 (not measured)",   {64,  64, 16, 16,  64, 3, 3, 1, 1, 2, 2, 2, 2, 1}, {IM2COL, IM2COL, IM2COL}},
    {"empty batch",                 { 0,  64, 16, 16,  64, 3, 3, 1, 1, 1, 1, 1, 1, 1}, {IM2COL, IM2COL, IM2COL}},
};
#undef IM2COL
#undef PLAIN
#undef BLOCKED

START_TEST(test_dnnl_rule)
{
    const rule_case *c = &rules[_i];
    const geom *g = &c->g;
    const genlab_conv_desc d = {g->n, g->cin, g->h, g->w, g->cout,
                                natural(g->h, g->kh, g->sh, g->ph, g->dh),
                                natural(g->w, g->kw, g->sw, g->pw, g->dw),
                                g->kh, g->kw, g->sh, g->sw, g->ph, g->pw, g->dh, g->dw, g->groups};
    const gl_cpu_state st = {.threads = 2};
    for (int pass = 0; pass < 3; pass++)
        ck_assert_msg(gl_cpu_conv_choose(&st, (gl_conv_pass)pass, &d) == c->want[pass],
                      "%s: pass %d gets implementation %d, not %d", c->name, pass,
                      gl_cpu_conv_choose(&st, (gl_conv_pass)pass, &d), c->want[pass]);
}
END_TEST

/* reorder buffers and scratchpad over the cap: the call falls back to im2col */
START_TEST(test_dnnl_cap)
{
    genlab_ctx *ctx = tu_ctx(1);
    gl_cpu_state *st = cpu_state(ctx);
    st->conv_impl = GL_CONV_DNNL_BLOCKED;
    genlab_tensor *x = rand_tensor(ctx, TU_SHAPE(2, 16, 8, 8), 1);
    genlab_tensor *w = rand_tensor(ctx, TU_SHAPE(16, 16, 3, 3), 2);
    st->conv_ws_max = 1;
    ck_assert_ptr_nonnull(genlab_conv2d(ctx, x, w, NULL, NULL));
    ck_assert_int_eq(st->conv_runs[GL_CONV_DNNL_BLOCKED], 0);
    ck_assert_int_eq(st->conv_runs[GL_CONV_IM2COL], 1);
    st->conv_ws_max = 0;
    ck_assert_ptr_nonnull(genlab_conv2d(ctx, x, w, NULL, NULL));
    ck_assert_int_eq(st->conv_runs[GL_CONV_DNNL_BLOCKED], 1);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* More shapes than the cache holds: it stays at its bound, and the shape
 * evicted first gives the same bytes when its primitive is made again. */
START_TEST(test_dnnl_cache)
{
    genlab_ctx *ctx = tu_ctx(1);
    gl_cpu_state *st = cpu_state(ctx);
    st->conv_impl = GL_CONV_DNNL;
    genlab_tensor *w = rand_tensor(ctx, TU_SHAPE(3, 2, 3, 3), 2);
    genlab_tensor *x1 = rand_tensor(ctx, TU_SHAPE(1, 2, 5, 5), 1);
    genlab_tensor *first = genlab_conv2d(ctx, x1, w, NULL, NULL);
    for (int64_t n = 2; n <= GL_DNNL_CACHE + 3; n++)
        ck_assert_ptr_nonnull(genlab_conv2d(ctx, rand_tensor(ctx, TU_SHAPE(n, 2, 5, 5), 1), w,
                                            NULL, NULL));
    ck_assert_int_eq(gl_cpu_dnnl_cached(st), GL_DNNL_CACHE);
    genlab_tensor *again = genlab_conv2d(ctx, x1, w, NULL, NULL);
    ck_assert_int_eq(st->conv_runs[GL_CONV_DNNL], GL_DNNL_CACHE + 4);
    ck_assert_int_eq(gl_cpu_dnnl_cached(st), GL_DNNL_CACHE);
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(again);
    ck_assert_mem_eq(genlab_tensor_f32(first), genlab_tensor_f32(again), 27 * sizeof(float));
    genlab_ctx_destroy(ctx);
}
END_TEST
#endif

static Suite *suite(void)
{
#ifdef GL_TEST_DNNL
    Suite *s = suite_create("ops_conv_dnnl");
#else
    Suite *s = suite_create("ops_conv");
#endif
    TCase *tc = tcase_create("values");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_values, 0, N_VALUES * N_IMPLS);
    tcase_add_loop_test(tc, test_bias, 0, N_IMPLS);
    suite_add_tcase(s, tc);
    tc = tcase_create("gradcheck");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_gradcheck, 0, N_GRADS * N_IMPLS);
    suite_add_tcase(s, tc);
#ifndef GL_TEST_DNNL
    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof errors / sizeof errors[0]));
    tcase_add_test(tc, test_error_dtype_and_null);
    suite_add_tcase(s, tc);
#endif
    tc = tcase_create("threads");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_threads, 0, N_THREAD_CASES * N_IMPLS);
    tcase_add_loop_test(tc, test_repeat, 0, N_THREAD_CASES * N_IMPLS);
    suite_add_tcase(s, tc);
#if defined(GL_TEST_DNNL) && defined(HAVE_DNNL)
    tc = tcase_create("dnnl");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_dnnl_rule, 0, (int)(sizeof rules / sizeof rules[0]));
    tcase_add_test(tc, test_dnnl_cap);
    tcase_add_test(tc, test_dnnl_cache);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int main(void)
{
#if defined(GL_TEST_DNNL) && !defined(HAVE_DNNL)
    /* Automake's SKIP: this build has no oneDNN to test */
    puts("ops_conv_dnnl: genlab was configured without oneDNN: SKIP");
    return 77;
#else
    return tu_run(suite());
#endif
}
