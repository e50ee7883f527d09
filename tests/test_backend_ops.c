/* SPDX-License-Identifier: MIT
 *
 * test_backend_ops.c — the CUDA backend against the CPU backend (ggml's
 * test-backend-ops is the model): every vtable kernel on random inputs of
 * several shapes, then ops forward and backward through genlab_* on both
 * backends, the fused Adam step, and a small GAN's training run (the same
 * loss curve on both; in determinism mode two GPU runs bit-identical).
 *
 * Not here: the kernels' own correctness against PyTorch (test_ops_*,
 * test_golden check the CPU backend; this suite carries it to the GPU).
 *
 * Skips: built without the CUDA plugin (configure found no toolkit), the
 * program exits 77 (Automake's SKIP) with a message. Built with it on a
 * machine without a usable GPU, it checks what needs no GPU — the plugin
 * loads, "cuda" is refused with the probe's reason, "auto" falls back to the
 * CPU and says why — then exits 77 saying the GPU cases were skipped.
 *
 * Every comparison states its tolerance and why. "exact" kernels compute
 * the CPU's operations in the CPU's order (no FMA contraction on either
 * side), so any difference is a bug. Linear kernels (gemm, conv) are
 * bounded by the classic error bound of a K-term float dot product,
 * |err| <= gamma_K * (|A||B|), gamma_K = K u / (1 - K u), u = 2^-24, with
 * (|A||B|) computed by the CPU on absolute values: both sides err by at most
 * that, so 2 gamma_K bounds their difference (cuDNN's FFT / Winograd
 * algorithms are not elementwise-bounded this way: a floor of 1e-5 of the
 * largest magnitude covers their normwise error).
 *
 * Reduced precision (set_precision: tf32, bf16, f16): the gemm and conv
 * cases again with the GPU computing in each, against the CPU's float32
 * results, the bound widened by the type's rounding of the operands
 * (prec_cases says how much for each).
 *
 * Sections: fixtures, comparisons, kernels (elementwise, strided, gemm, conv,
 * reduced precision, pools, batch norm, rng, adam), ops forward and backward,
 * the GAN run, main.
 */
#include <check.h>
#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/genlab.h"
#include "testutil.h"

#ifdef GL_TEST_CUDA_PLUGIN_DIR   /* the cases exist where the plugin was built */

/* ---- fixtures ---- */

static genlab_registry *reg;
static const genlab_backend_i *cpu, *cu;
static void *cpu_st, *cu_st;

/* a deterministic host stream of floats in [lo, hi) (splitmix64) */
static uint64_t rs = 0x9E3779B97F4A7C15u;
static float frand(float lo, float hi)
{
    uint64_t z = (rs += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return lo + (hi - lo) * (float)(z >> 40) * 0x1p-24f;
}

/* One array on both backends, with a host buffer for reading the GPU's. */
typedef struct pair {
    int64_t n;
    float  *c;     /* CPU backend memory */
    float  *g;     /* CUDA backend memory */
    float  *h;     /* host copy of g after pair_fetch */
} pair;

static pair pair_new(int64_t n)
{
    pair p = {n, cpu->alloc(cpu_st, (size_t)(n ? n : 1) * 4),
              cu->alloc(cu_st, (size_t)(n ? n : 1) * 4), malloc((size_t)(n ? n : 1) * 4)};
    ck_assert(p.c && p.g && p.h);
    return p;
}

/* pair_rand — the same random values on both sides */
static pair pair_rand(int64_t n, float lo, float hi)
{
    pair p = pair_new(n);
    for (int64_t i = 0; i < n; i++)
        p.c[i] = frand(lo, hi);
    cu->from_host(cu_st, p.g, p.c, (size_t)n * 4);
    return p;
}

/* pair_fill — both sides set to value (outputs that kernels add into) */
static pair pair_fill(int64_t n, float value)
{
    pair p = pair_new(n);
    cpu->fill(cpu_st, p.c, n, value);
    cu->fill(cu_st, p.g, n, value);
    return p;
}

static void pair_fetch(pair *p)
{
    cu->synchronize(cu_st);
    cu->to_host(cu_st, p->h, p->g, (size_t)p->n * 4);
}

static void pair_free(pair *p)
{
    cpu->free(cpu_st, p->c);
    cu->free(cu_st, p->g);
    free(p->h);
}

/* ---- comparisons ---- */

/* expect_close — every GPU value within atol + rtol |cpu| (+ bound[i] when
 * bound is given); NaNs must match. what names the case. */
static void expect_close(const char *what, pair *p, double atol, double rtol,
                         const float *bound)
{
    pair_fetch(p);
    int64_t bad = -1;
    double worst = 0;
    for (int64_t i = 0; i < p->n; i++) {
        double a = p->c[i], b = p->h[i];
        if (isnan(a) || isnan(b)) {
            if (isnan(a) != isnan(b) && bad < 0)
                bad = i;
            continue;
        }
        double tol = atol + rtol * fabs(a) + (bound ? bound[i] : 0.0);
        double d = fabs(a - b);
        if (d > tol && bad < 0)
            bad = i;
        if (d > worst)
            worst = d;
    }
    ck_assert_msg(bad < 0, "%s: element %lld: cpu %.9g, cuda %.9g (largest difference %.3g)",
                  what, (long long)bad, bad >= 0 ? p->c[bad] : 0.0, bad >= 0 ? p->h[bad] : 0.0,
                  worst);
}

/* exact on both sides (see the file comment) */
static void expect_exact(const char *what, pair *p) { expect_close(what, p, 0, 0, NULL); }

/* bound_of — per element of the CPU's result on absolute values: the
 * gamma_K bound doubled (both sides err) plus rel of it, and floor of the
 * largest magnitude */
static float *bound_of(const pair *absref, int64_t k, double rel, double floor)
{
    const double u = 0x1p-24, gk = (double)k * u / (1.0 - (double)k * u);
    float *b = calloc((size_t)(absref->n ? absref->n : 1), sizeof *b);
    ck_assert(b != NULL);
    double mx = 0;
    for (int64_t i = 0; i < absref->n; i++)
        mx = fmax(mx, fabs(absref->c[i]));
    for (int64_t i = 0; i < absref->n; i++)
        b[i] = (float)((2.0 * gk + rel) * fabs(absref->c[i]) + floor * mx);
    return b;
}

/* gamma_K bound, doubled, plus the 1e-5 normwise floor */
static float *linear_bound(const pair *absref, int64_t k) { return bound_of(absref, k, 0, 1e-5); }

/* One compute type of the CUDA backend (set_precision) and what bounds its
 * gemm and convolutions against the CPU's float32 ones: u, the relative
 * error of an operand rounded to the type, and whether cuDNN stores the
 * convolution's result in it too. */
typedef struct prec_case {
    genlab_precision p;
    double           u;
    bool             stores;
} prec_case;

/* u: bfloat16 keeps 8 significant bits (2^-8, rounded to nearest); half
 * keeps 11 (2^-11), and so does TF32, but tensor cores may truncate to
 * TF32 (one unit of its last place: 2^-10), and cuBLAS's _FAST_16F may
 * compute in TF32 instead of half, so f16 takes 2^-10 as well. The 16-bit
 * convolutions store their result in 16 bits (cuda_conv.c); TF32 keeps
 * float32 operands and results. */
static const prec_case prec_cases[] = {
    /* precision          u        stores */
    {GL_PRECISION_TF32,   0x1p-10, false},
    {GL_PRECISION_BF16,   0x1p-8,  true},
    {GL_PRECISION_F16,    0x1p-10, true},
};
#define N_PREC ((int)(sizeof prec_cases / sizeof *prec_cases))

/* precision_bound — the linear bound widened for pc's operands: a product
 * of two operands each within relative u is within (2u + u^2) of the exact
 * one, a result stored in the type is rounded once more (u), and the
 * normwise floor of cuDNN's FFT and Winograd algorithms, which transform
 * the rounded operands (a few more roundings, with growth), is 8u of the
 * largest magnitude */
static float *precision_bound(const pair *absref, int64_t k, const prec_case *pc, bool stored)
{
    const double u = pc->u;
    return bound_of(absref, k, 2 * u + u * u + (stored ? u : 0), 8 * u);
}

/* use_precision — set the GPU state's compute type: true, or false when
 * the device lacks it (only bf16 may be refused, before compute capability
 * 8.0: anything else is a failure) */
static bool use_precision(genlab_precision p)
{
    int (*set)(void *, genlab_precision) = GL_BACKEND_GET(cu, set_precision);
    ck_assert_msg(set != NULL, "the cuda backend has no set_precision member");
    if (set(cu_st, p))
        return true;
    ck_assert_msg(p == GL_PRECISION_BF16, "set_precision(%s) refused", genlab_precision_name(p));
    fprintf(stderr, "backend_ops: the device has no bf16 convolutions: bf16 case skipped\n");
    return false;
}

/* the precision cases' teardown (it runs after a failed case too): the
 * state the other cases share back in fp32 */
static void reset_precision(void) { (void)use_precision(GL_PRECISION_FP32); }

/* pair_abs — |p| on the CPU side only (the bound's inputs) */
static pair pair_abs(const pair *p)
{
    pair a = pair_new(p->n);
    for (int64_t i = 0; i < p->n; i++)
        a.c[i] = fabsf(p->c[i]);
    return a;
}

/* ---- kernels: elementwise ---- */

START_TEST(test_fill_axpy)
{
    /* exact: a store, and one product and one sum per element on both */
    const int64_t n = 1000003;   /* odd, over the grid-stride cap */
    pair y = pair_fill(n, 0.25f);
    expect_exact("fill", &y);
    pair x = pair_rand(n, -3, 3);
    cpu->axpy(cpu_st, y.c, x.c, n, -1.7f);
    cu->axpy(cu_st, y.g, x.g, n, -1.7f);
    expect_exact("axpy", &y);
    pair_free(&x);
    pair_free(&y);
}
END_TEST

/* One unary case: kind, input range, alpha/beta, tolerance (relative). */
typedef struct unary_case {
    genlab_unary_kind kind;
    float lo, hi, alpha, beta;
    double rtol;
} unary_case;

/* exact: IEEE-exact operations (affine without FMA, sqrt, abs, sign, the
 * leaky pair). 4e-7 (a few float ulps): CUDA's expf, logf, tanhf, erff,
 * powf and log1pf are within 2 ulp of glibc's, and sigmoid / softplus
 * compose two of them. */
static const unary_case unary_cases[] = {
    /* kind                 lo     hi     alpha  beta   rtol */
    {GL_UNARY_AFFINE,       -5,    5,     1.3f,  -0.7f, 0},
    {GL_UNARY_EXP,          -20,   20,    0,     0,     4e-7},
    {GL_UNARY_LOG,          1e-3f, 100,   0,     0,     4e-7},
    {GL_UNARY_SQRT,         0,     100,   0,     0,     0},
    {GL_UNARY_TANH,         -6,    6,     0,     0,     4e-7},
    {GL_UNARY_SIGMOID,      -30,   30,    0,     0,     4e-7},
    {GL_UNARY_SOFTPLUS,     -30,   30,    0,     0,     4e-7},
    {GL_UNARY_ABS,          -5,    5,     0,     0,     0},
    {GL_UNARY_SIGN,         -1,    1,     0,     0,     0},
    {GL_UNARY_ERF,          -4,    4,     0,     0,     4e-7},
    {GL_UNARY_POW,          0.01f, 10,    2.5f,  0,     4e-7},
    {GL_UNARY_LEAKY_RELU,   -5,    5,     0.2f,  0,     0},
    {GL_UNARY_LEAKY_MASK,   -5,    5,     0.2f,  0,     0},
};

START_TEST(test_unary)
{
    const unary_case *c = &unary_cases[_i];
    const int64_t n = 40961;
    pair x = pair_rand(n, c->lo, c->hi), y = pair_new(n);
    cpu->unary(cpu_st, c->kind, c->alpha, c->beta, x.c, y.c, n);
    cu->unary(cu_st, c->kind, c->alpha, c->beta, x.g, y.g, n);
    char what[64];
    snprintf(what, sizeof what, "unary kind %d", (int)c->kind);
    /* 1e-30: values that underflow to denormals may flush differently */
    expect_close(what, &y, c->rtol ? 1e-30 : 0, c->rtol, NULL);
    pair_free(&x);
    pair_free(&y);
}
END_TEST

/* ---- kernels: strided ---- */

/* contiguous strides of shape into st */
static void contiguous(int nd, const int64_t *shape, int64_t *st)
{
    int64_t s = 1;
    for (int k = nd - 1; k >= 0; k--) {
        st[k] = s;
        s *= shape[k];
    }
}

static int64_t numel(int nd, const int64_t *shape)
{
    int64_t n = 1;
    for (int k = 0; k < nd; k++)
        n *= shape[k];
    return n;
}

/* One broadcasting binary case: a and b shapes (1 = broadcast) of rank 4. */
typedef struct bin_case {
    int64_t a[4], b[4];
} bin_case;

static const bin_case bin_cases[] = {
    /* a               b */
    {{3, 1, 5, 7},   {1, 4, 5, 7}},    /* both broadcast */
    {{2, 3, 17, 19}, {2, 3, 17, 19}},  /* same shape, odd sizes */
    {{1, 1, 1, 1},   {4, 3, 9, 1}},    /* a scalar */
    {{8, 16, 33, 1}, {1, 16, 1, 65}},  /* outer product shape */
};

START_TEST(test_binary)
{
    /* exact: one IEEE operation per element (division included) */
    const bin_case *c = &bin_cases[_i / GL_BINARY_COUNT];
    const genlab_binary_kind kind = (genlab_binary_kind)(_i % GL_BINARY_COUNT);
    genlab_strided s = {.ndim = 4};
    int64_t sa[4], sb[4];
    contiguous(4, c->a, sa);
    contiguous(4, c->b, sb);
    for (int k = 0; k < 4; k++) {
        s.shape[k] = c->a[k] > c->b[k] ? c->a[k] : c->b[k];
        s.src_stride[k] = c->a[k] == 1 ? 0 : sa[k];
        s.src2_stride[k] = c->b[k] == 1 ? 0 : sb[k];
    }
    contiguous(4, s.shape, s.dst_stride);
    pair a = pair_rand(numel(4, c->a), -4, 4), b = pair_rand(numel(4, c->b), 0.5f, 4);
    pair y = pair_new(numel(4, s.shape));
    cpu->binary(cpu_st, kind, a.c, b.c, y.c, &s);
    cu->binary(cu_st, kind, a.g, b.g, y.g, &s);
    char what[64];
    snprintf(what, sizeof what, "binary kind %d case %d", (int)kind, _i / GL_BINARY_COUNT);
    expect_exact(what, &y);
    pair_free(&a);
    pair_free(&b);
    pair_free(&y);
}
END_TEST

START_TEST(test_copy_permute)
{
    /* exact: a copy. x (3, 5, 7, 11) -> y = x.permute(2, 0, 3, 1) */
    const int64_t xs[4] = {3, 5, 7, 11}, perm[4] = {2, 0, 3, 1};
    int64_t xst[4];
    contiguous(4, xs, xst);
    genlab_strided s = {.ndim = 4};
    for (int k = 0; k < 4; k++) {
        s.shape[k] = xs[perm[k]];
        s.src_stride[k] = xst[perm[k]];
    }
    contiguous(4, s.shape, s.dst_stride);
    pair x = pair_rand(numel(4, xs), -1, 1), y = pair_new(x.n);
    cpu->copy(cpu_st, x.c, y.c, &s);
    cu->copy(cu_st, x.g, y.g, &s);
    expect_exact("copy (permute)", &y);
    pair_free(&x);
    pair_free(&y);
}
END_TEST

START_TEST(test_flat_unaligned)
{
    /* exact: one-axis walks and unary maps on views 4-12 bytes off the
     * 16-byte alignment of float4, so the element-by-element path runs;
     * the elements outside the views stay 0 on both sides */
    const int64_t n = 1001, m = n - 4;
    pair a = pair_rand(n, -4, 4), b = pair_rand(n, 0.5f, 4);
    pair y = pair_fill(n, 0.0f), yc = pair_fill(n, 0.0f), yu = pair_fill(n, 0.0f);
    genlab_strided s = {.ndim = 1, .shape = {m}, .dst_stride = {1}, .src_stride = {1},
                        .src2_stride = {1}};
    cpu->binary(cpu_st, GL_BINARY_DIV, a.c + 1, b.c + 2, y.c + 3, &s);
    cu->binary(cu_st, GL_BINARY_DIV, a.g + 1, b.g + 2, y.g + 3, &s);
    expect_exact("binary (unaligned)", &y);
    cpu->copy(cpu_st, a.c + 1, yc.c + 1, &s);
    cu->copy(cu_st, a.g + 1, yc.g + 1, &s);
    expect_exact("copy (unaligned)", &yc);
    cpu->unary(cpu_st, GL_UNARY_AFFINE, 1.3f, -0.7f, a.c + 2, yu.c + 1, m);
    cu->unary(cu_st, GL_UNARY_AFFINE, 1.3f, -0.7f, a.g + 2, yu.g + 1, m);
    expect_exact("unary (unaligned)", &yu);
    pair_free(&a);
    pair_free(&b);
    pair_free(&y);
    pair_free(&yc);
    pair_free(&yu);
}
END_TEST

/* One reduction: a rank-3 shape and the axes reduced (mask bit k). */
typedef struct red_case {
    int64_t shape[3];
    int     mask;
} red_case;

static const red_case red_cases[] = {
    /* shape             mask   path on the GPU */
    {{7, 1000, 3},       2},   /* few outputs, 1000 each: thread per output */
    {{1, 1, 100003},     7},   /* everything: one block, tree */
    {{5000, 3, 9},       6},   /* many outputs */
    {{64, 128, 17},      5},   /* outer and inner axes, 128 outputs of 1088 */
    {{64, 32, 1024},     5},   /* BatchNorm statistics: 32 outputs of 65536, two
                                * passes of 32 chunks, two reduced axes */
};

START_TEST(test_reduce)
{
    const red_case *c = &red_cases[_i / 2];
    const bool is_max = _i % 2;
    genlab_strided s = {.ndim = 3};
    int64_t xst[3], out[3];
    contiguous(3, c->shape, xst);
    for (int k = 0; k < 3; k++) {
        s.shape[k] = c->shape[k];
        s.src_stride[k] = xst[k];
        out[k] = c->mask >> k & 1 ? 1 : c->shape[k];
    }
    int64_t ost[3];
    contiguous(3, out, ost);
    for (int k = 0; k < 3; k++)
        s.dst_stride[k] = c->mask >> k & 1 ? 0 : ost[k];
    pair x = pair_rand(numel(3, c->shape), -2, 2);
    pair y = pair_fill(numel(3, out), is_max ? -INFINITY : 0.0f);
    char what[64];
    snprintf(what, sizeof what, "reduce_%s case %d", is_max ? "max" : "sum", _i / 2);
    if (is_max) {
        /* exact: a maximum does not round */
        cpu->reduce_max(cpu_st, x.c, y.c, &s);
        cu->reduce_max(cu_st, x.g, y.g, &s);
        expect_exact(what, &y);
    } else {
        /* both accumulate in double, in different orders: the double sums
         * differ by ~1e-16 relative, so the rounded floats differ by at most
         * 1 ulp of the sum, plus 1e-6 of sum |x| for cancellation */
        cpu->reduce_sum(cpu_st, x.c, y.c, &s);
        cu->reduce_sum(cu_st, x.g, y.g, &s);
        pair ax = pair_abs(&x), ay = pair_fill(y.n, 0.0f);
        cpu->reduce_sum(cpu_st, ax.c, ay.c, &s);
        float *b = malloc((size_t)y.n * sizeof *b);
        for (int64_t i = 0; i < y.n; i++)
            b[i] = 1e-6f * ay.c[i];
        expect_close(what, &y, 0, FLT_EPSILON, b);
        free(b);
        /* the chunking depends on the shape only: a second run, same bits */
        pair y2 = pair_fill(y.n, 0.0f);
        cu->reduce_sum(cu_st, x.g, y2.g, &s);
        pair_fetch(&y2);
        ck_assert_msg(memcmp(y.h, y2.h, (size_t)y.n * sizeof *y.h) == 0,
                      "%s: two GPU runs differ", what);
        pair_free(&y2);
        pair_free(&ax);
        pair_free(&ay);
    }
    pair_free(&x);
    pair_free(&y);
}
END_TEST

/* ---- kernels: gemm ---- */

typedef struct gemm_case {
    int64_t m, n, k, batch;
    int     ta, tb;
    bool    shared_a, shared_b;   /* batch stride 0 */
    float   alpha, beta;
} gemm_case;

static const gemm_case gemm_cases[] = {
    /* m    n    k    batch ta tb shared_a shared_b alpha beta */
    {1,     1,   1,   1,    0, 0, false,   false,   1.0f, 0.0f},
    {17,    33,  65,  1,    0, 0, false,   false,   1.0f, 0.0f},
    {64,    48,  31,  3,    1, 0, false,   false,   1.0f, 0.5f},
    {5,     7,   300, 4,    0, 1, true,    false,   -2.0f, 0.0f},
    {128,   96,  128, 2,    1, 1, false,   true,    1.0f, 1.0f},
    {256,   1,   513, 1,    0, 1, false,   false,   1.0f, 0.0f},   /* a matrix-vector product */
};

static void run_gemm(const gemm_case *c, const pair *a, const pair *b, pair *y, bool on_gpu,
                     bool abs_cpu)
{
    const int64_t lda = c->ta ? c->m : c->k, ldb = c->tb ? c->k : c->n;
    const int64_t sa = c->shared_a ? 0 : c->m * c->k, sb = c->shared_b ? 0 : c->k * c->n;
    if (on_gpu)
        cu->gemm(cu_st, c->ta, c->tb, c->m, c->n, c->k, c->alpha, a->g, lda, sa, b->g, ldb, sb,
                 c->beta, y->g, c->n, c->m * c->n, c->batch);
    else
        cpu->gemm(cpu_st, c->ta, c->tb, c->m, c->n, c->k, abs_cpu ? fabsf(c->alpha) : c->alpha,
                  a->c, lda, sa, b->c, ldb, sb, abs_cpu ? fabsf(c->beta) : c->beta, y->c, c->n,
                  c->m * c->n, c->batch);
}

/* check_gemm — one gemm case on both backends, the GPU computing in pc's
 * precision (NULL: fp32): within the gamma_K bound (file comment), K =
 * k + 1 with beta's term, widened by precision_bound for pc */
static void check_gemm(const gemm_case *c, const prec_case *pc, const char *what)
{
    pair a = pair_rand((c->shared_a ? 1 : c->batch) * c->m * c->k, -1, 1);
    pair b = pair_rand((c->shared_b ? 1 : c->batch) * c->k * c->n, -1, 1);
    pair y = pair_rand(c->batch * c->m * c->n, -1, 1);
    pair aa = pair_abs(&a), ab = pair_abs(&b), ay = pair_abs(&y);
    run_gemm(c, &a, &b, &y, false, false);
    run_gemm(c, &a, &b, &y, true, false);
    run_gemm(c, &aa, &ab, &ay, false, true);
    float *bound = pc ? precision_bound(&ay, c->k + 1, pc, false) : linear_bound(&ay, c->k + 1);
    expect_close(what, &y, 0, 0, bound);
    free(bound);
    pair_free(&a);
    pair_free(&b);
    pair_free(&y);
    pair_free(&aa);
    pair_free(&ab);
    pair_free(&ay);
}

START_TEST(test_gemm)
{
    char what[64];
    snprintf(what, sizeof what, "gemm case %d", _i);
    check_gemm(&gemm_cases[_i], NULL, what);
}
END_TEST

/* ---- kernels: conv ---- */

typedef struct conv_case {
    int64_t n, cin, h, w, cout, kh, kw, s, p, d, g;
} conv_case;

static const conv_case conv_cases[] = {
    /* n  cin h   w   cout kh kw s  p  d  g */
    {2,   3,  9,  11, 5,   3, 3, 1, 1, 1, 1},   /* odd sizes, same padding */
    {2,   4,  10, 10, 6,   3, 3, 2, 1, 1, 1},   /* stride 2 */
    {1,   6,  13, 9,  6,   3, 3, 1, 2, 2, 3},   /* dilation 2, 3 groups */
    {3,   8,  8,  8,  16,  1, 1, 1, 0, 1, 1},   /* 1x1 */
    {2,   4,  7,  7,  4,   5, 5, 1, 2, 1, 4},   /* depthwise 5x5 */
    {4,   16, 16, 16, 32,  4, 4, 2, 1, 1, 1},   /* dcgan's down-sampling layer */
    {2,   3,  12, 5,  2,   3, 1, 1, 0, 1, 1},   /* non-square kernel */
};

static genlab_conv_desc conv_desc(const conv_case *c)
{
    genlab_conv_desc d = {.n = c->n, .cin = c->cin, .h = c->h, .w = c->w, .cout = c->cout,
                          .kh = c->kh, .kw = c->kw, .sh = c->s, .sw = c->s, .ph = c->p,
                          .pw = c->p, .dh = c->d, .dw = c->d, .groups = c->g};
    d.ho = (c->h + 2 * c->p - c->d * (c->kh - 1) - 1) / c->s + 1;
    d.wo = (c->w + 2 * c->p - c->d * (c->kw - 1) - 1) / c->s + 1;
    return d;
}

/* conv_run — pass (0 forward, 1 backward-data, 2 backward-weight) of d
 * on the CPU's or the GPU's side of the pairs, into out */
static void conv_run(bool gpu, const genlab_conv_desc *d, int pass, const pair *x,
                     const pair *w, const pair *gy, pair *out)
{
    const genlab_backend_i *be = gpu ? cu : cpu;
    void *st = gpu ? cu_st : cpu_st;
#define SIDE(p) (gpu ? (p)->g : (p)->c)
    if (pass == 0)
        be->conv2d_forward(st, d, SIDE(x), SIDE(w), SIDE(out));
    else if (pass == 1)
        be->conv2d_backward_data(st, d, SIDE(gy), SIDE(w), SIDE(out));
    else
        be->conv2d_backward_weight(st, d, SIDE(x), SIDE(gy), SIDE(out));
#undef SIDE
}

/* check_conv — one conv case and pass on both backends, the GPU computing
 * in pc's precision (NULL: fp32): within the gamma_K bound (file comment)
 * with the pass's K — forward sums cin/g * kh * kw terms, backward-data at
 * most cout/g * kh * kw, backward-weight n * ho * wo — widened by
 * precision_bound for pc. With 16-bit operands the GPU's result must also
 * differ from its own fp32 one somewhere (the operands were rounded: a
 * precision set but not used would give fp32's bits). */
static void check_conv(const conv_case *c, int pass, const prec_case *pc, const char *what)
{
    const genlab_conv_desc d = conv_desc(c);
    const int64_t nx = d.n * d.cin * d.h * d.w, nw = d.cout * (d.cin / d.groups) * d.kh * d.kw;
    const int64_t ny = d.n * d.cout * d.ho * d.wo;
    pair x = pair_rand(nx, -1, 1), w = pair_rand(nw, -1, 1), gy = pair_rand(ny, -1, 1);
    pair ax = pair_abs(&x), aw = pair_abs(&w), agy = pair_abs(&gy);
    const int64_t n_out[3] = {ny, nx, nw};
    const int64_t k[3] = {d.cin / d.groups * d.kh * d.kw, d.cout / d.groups * d.kh * d.kw,
                          d.n * d.ho * d.wo};
    pair out = pair_new(n_out[pass]), ref = pair_new(n_out[pass]);
    conv_run(false, &d, pass, &x, &w, &gy, &out);
    conv_run(true, &d, pass, &x, &w, &gy, &out);
    conv_run(false, &d, pass, &ax, &aw, &agy, &ref);
    float *bound = pc ? precision_bound(&ref, k[pass], pc, pc->stores)
                      : linear_bound(&ref, k[pass]);
    expect_close(what, &out, 0, 0, bound);
    free(bound);
    if (pc && pc->stores) {
        pair f32 = pair_new(n_out[pass]);
        ck_assert(use_precision(GL_PRECISION_FP32));
        conv_run(true, &d, pass, &x, &w, &gy, &f32);
        pair_fetch(&f32);
        ck_assert_msg(memcmp(out.h, f32.h, (size_t)out.n * sizeof *out.h) != 0,
                      "%s: the same bits as in fp32", what);
        pair_free(&f32);
    }
    pair *all[] = {&x, &w, &gy, &ax, &aw, &agy, &out, &ref};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        pair_free(all[i]);
}

START_TEST(test_conv)
{
    char what[64];
    snprintf(what, sizeof what, "conv case %d pass %d", _i / 3, _i % 3);
    check_conv(&conv_cases[_i / 3], _i % 3, NULL, what);
}
END_TEST

START_TEST(test_conv_notes)
{
    /* after the conv cases: a note per plan, naming the pass and an
     * algorithm (measured unless GENLAB_CUDA_DETERMINISTIC=1) */
    const char *(*notes)(void *) = GL_BACKEND_GET(cu, notes);
    ck_assert_msg(notes != NULL, "the cuda backend has no notes member");
    const char *t = notes(cu_st);
    ck_assert_msg(t && strstr(t, "conv forward") && strstr(t, "conv backward_data") &&
                      strstr(t, "conv backward_filter") && !strstr(t, ": none"),
                  "conv notes: %s", t ? t : "(NULL)");
    fprintf(stderr, "%s", t);
}
END_TEST

/* ---- kernels: reduced precision ---- */

#define N_GEMM ((int)(sizeof gemm_cases / sizeof *gemm_cases))
#define N_CONV ((int)(sizeof conv_cases / sizeof *conv_cases))

/* every gemm case in each reduced precision (prec_cases' bounds). No
 * check that the bits differ from fp32: for a small or odd shape cuBLAS
 * may take a float32 kernel, which its _FAST_ compute types allow. */
START_TEST(test_gemm_precision)
{
    const prec_case *pc = &prec_cases[_i / N_GEMM];
    if (!use_precision(pc->p))
        return;
    char what[64];
    snprintf(what, sizeof what, "gemm case %d in %s", _i % N_GEMM, genlab_precision_name(pc->p));
    check_gemm(&gemm_cases[_i % N_GEMM], pc, what);
}
END_TEST

/* every conv case and pass in each reduced precision (prec_cases' bounds;
 * 16-bit operands must change the bits) */
START_TEST(test_conv_precision)
{
    const prec_case *pc = &prec_cases[_i / (3 * N_CONV)];
    const int c = _i % (3 * N_CONV) / 3, pass = _i % 3;
    if (!use_precision(pc->p))
        return;
    char what[64];
    snprintf(what, sizeof what, "conv case %d pass %d in %s", c, pass,
             genlab_precision_name(pc->p));
    check_conv(&conv_cases[c], pass, pc, what);
}
END_TEST

/* ---- kernels: pools ---- */

START_TEST(test_max_pool_gather_scatter)
{
    /* exact: comparisons, copies, and sums in the CPU's order (planes of
     * fewer than 4096 outputs take the ordered path in every mode) */
    const genlab_pool_desc d = {.planes = 6, .h = 9, .w = 11, .ho = 5, .wo = 6, .k = 3,
                                .stride = 2, .pad = 1};
    const int64_t nx = d.planes * d.h * d.w, ny = d.planes * d.ho * d.wo;
    pair x = pair_rand(nx, -1, 1), y = pair_new(ny);
    int32_t *ic = cpu->alloc(cpu_st, (size_t)ny * 4), *ig = cu->alloc(cu_st, (size_t)ny * 4);
    int32_t *ih = malloc((size_t)ny * 4);
    cpu->max_pool(cpu_st, &d, x.c, y.c, ic);
    cu->max_pool(cu_st, &d, x.g, y.g, ig);
    expect_exact("max_pool", &y);
    cu->to_host(cu_st, ih, ig, (size_t)ny * 4);
    ck_assert_msg(!memcmp(ih, ic, (size_t)ny * 4), "max_pool: argmax indices differ");
    /* the gradient pair, with the pool's indices as index_desc makes it */
    genlab_pool_desc di = {.planes = d.planes, .h = d.h, .w = d.w, .ho = d.ho, .wo = d.wo};
    pair g = pair_rand(ny, -1, 1), gx = pair_fill(nx, 0.0f), gg = pair_new(ny);
    cpu->scatter_add(cpu_st, &di, g.c, ic, gx.c);
    cu->scatter_add(cu_st, &di, g.g, ig, gx.g);
    expect_exact("scatter_add", &gx);
    cpu->gather(cpu_st, &di, x.c, ic, gg.c);
    cu->gather(cu_st, &di, x.g, ig, gg.g);
    expect_exact("gather", &gg);
    cpu->free(cpu_st, ic);
    cu->free(cu_st, ig);
    free(ih);
    pair *all[] = {&x, &y, &g, &gx, &gg};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        pair_free(all[i]);
}
END_TEST

/* One resampling case: plane sizes in and out, align_corners. */
typedef struct resample_case {
    int64_t planes, h, w, ho, wo;
    int     align_corners;
    bool    nearest;
} resample_case;

static const resample_case resample_cases[] = {
    /* planes h   w   ho  wo  ac  nearest */
    {6,      5,  7,  10, 14, 0,  true},    /* x2 */
    {3,      4,  3,  12, 9,  0,  true},    /* x3 */
    {6,      5,  7,  11, 16, 0,  false},   /* up, half-pixel */
    {6,      5,  7,  11, 16, 1,  false},   /* up, corners */
    {4,      17, 13, 8,  6,  0,  false},   /* down */
};

START_TEST(test_resample)
{
    /* exact: the CPU's operations in its order, products and sums rounded
     * apart on the GPU (__fmul_rn / __fadd_rn), the adjoints' scatters in
     * the CPU's order (small planes) */
    const resample_case *c = &resample_cases[_i];
    const genlab_pool_desc d = {.planes = c->planes, .h = c->h, .w = c->w, .ho = c->ho,
                                .wo = c->wo, .align_corners = c->align_corners};
    const int64_t ni = d.planes * d.h * d.w, no = d.planes * d.ho * d.wo;
    pair x = pair_rand(ni, -1, 1), y = pair_new(no), g = pair_rand(no, -1, 1);
    pair gx = pair_new(ni);
    if (c->nearest) {
        cpu->upsample_nearest(cpu_st, &d, x.c, y.c);
        cu->upsample_nearest(cu_st, &d, x.g, y.g);
        cpu->nearest_adjoint(cpu_st, &d, g.c, gx.c);
        cu->nearest_adjoint(cu_st, &d, g.g, gx.g);
    } else {
        cpu->bilinear(cpu_st, &d, x.c, y.c);
        cu->bilinear(cu_st, &d, x.g, y.g);
        cpu->bilinear_adjoint(cpu_st, &d, g.c, gx.c);
        cu->bilinear_adjoint(cu_st, &d, g.g, gx.g);
    }
    char what[64];
    snprintf(what, sizeof what, "resample case %d forward", _i);
    expect_exact(what, &y);
    snprintf(what, sizeof what, "resample case %d adjoint", _i);
    expect_exact(what, &gx);
    pair *all[] = {&x, &y, &g, &gx};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        pair_free(all[i]);
}
END_TEST

/* ---- kernels: batch norm ---- */

typedef struct bn_case {
    int64_t n, c, s;
    bool    gamma, beta;
} bn_case;

static const bn_case bn_cases[] = {
    /* n     c   s     gamma  beta   path on the GPU */
    {16,     6,  25,   true,  true},    /* 400 per channel: one chunk, one kernel each way */
    {64,     32, 256,  true,  true},    /* DCGAN's 16x16 layer: 8 chunks of 2048 */
    {8,      64, 1024, true,  false},   /* rows longer than a block: 4 chunks */
    {2000,   3,  5,    false, true},    /* short rows, 3 channels: 5 chunks, a block
                                         * step of 51 rows and 1 position */
    {128,    4,  1,    false, false},   /* BatchNorm1d: one position per row */
    {5,      3,  7,    true,  true},    /* odd sizes below a block */
};

/* bn_bound — per element of y (or gx, gy given): k FLT_EPSILON times the
 * magnitudes the result is made of, from the CPU's values: y = (x - mean)
 * sc + sh, sc = rstd gamma; gx = rstd (g gy - fa - xhat fb), fa and fb the
 * channel's g gbeta / m and g ggamma / m. A statistic 1 ulp off moves x -
 * mean by up to ulp(mean), hence |x| + 2 |mean|. */
static float *bn_bound(const bn_case *c, const pair *x, const float *gamma, const float *beta,
                       const pair *mean, const pair *rstd, const pair *gy, const pair *gg,
                       const pair *gb, double k)
{
    const int64_t n = c->n * c->c * c->s, m = c->n * c->s;
    float *b = malloc((size_t)n * sizeof *b);
    for (int64_t i = 0; i < n; i++) {
        const int64_t ch = i / c->s % c->c;
        const double g = gamma ? fabsf(gamma[ch]) : 1.0, r = rstd->c[ch];
        const double dx = fabs(x->c[i]) + 2.0 * fabs(mean->c[ch]);
        if (!gy)
            b[i] = (float)(k * FLT_EPSILON * (dx * r * g + (beta ? fabsf(beta[ch]) : 0.0)));
        else
            b[i] = (float)(k * FLT_EPSILON * r *
                           (g * fabs(gy->c[i]) + g * fabs(gb->c[ch]) / (double)m +
                            dx * r * g * fabs(gg->c[ch]) / (double)m));
    }
    return b;
}

START_TEST(test_batch_norm)
{
    /* mean, rstd, ggamma, gbeta: sums in double in other orders, rounded
     * once: FLT_EPSILON relative (one float ulp), plus 1e-6 of the sum of
     * the terms' magnitudes for the parameters' gradients, whose terms
     * differ by an ulp where rstd does (as the reduce cases). y and gx: 4
     * and 8 FLT_EPSILON of their terms (bn_bound): the statistics' ulp and
     * the GPU's FMA contraction. The backward runs on the CPU's statistics
     * on both sides, so it is compared on its own. Two GPU runs: the same
     * bits (the chunking depends on the shape only). */
    const bn_case *c = &bn_cases[_i];
    const genlab_norm_desc d = {c->n, c->c, c->s, 0, 1e-5f, 0};
    const int64_t nx = c->n * c->c * c->s;
    pair x = pair_rand(nx, -2, 3), gm = pair_rand(c->c, 0.5f, 1.5f), bt = pair_rand(c->c, -1, 1);
    pair gy = pair_rand(nx, -1, 1);
    const float *gc = c->gamma ? gm.c : NULL, *gg = c->gamma ? gm.g : NULL;
    const float *bc = c->beta ? bt.c : NULL, *bg = c->beta ? bt.g : NULL;
    pair y = pair_new(nx), mean = pair_new(c->c), rstd = pair_new(c->c);
    pair gx = pair_new(nx), ggam = pair_new(c->c), gbet = pair_new(c->c);
    cpu->batch_norm(cpu_st, &d, x.c, gc, bc, y.c, mean.c, rstd.c);
    cu->batch_norm(cu_st, &d, x.g, gg, bg, y.g, mean.g, rstd.g);
    char what[96];
    snprintf(what, sizeof what, "batch_norm case %d mean", _i);
    expect_close(what, &mean, 0, FLT_EPSILON, NULL);
    snprintf(what, sizeof what, "batch_norm case %d rstd", _i);
    expect_close(what, &rstd, 0, FLT_EPSILON, NULL);
    float *b = bn_bound(c, &x, gc, bc, &mean, &rstd, NULL, NULL, NULL, 4);
    snprintf(what, sizeof what, "batch_norm case %d y", _i);
    expect_close(what, &y, 0, 0, b);
    free(b);
    /* the backward from the CPU's statistics on both sides */
    cu->from_host(cu_st, mean.g, mean.c, (size_t)c->c * 4);
    cu->from_host(cu_st, rstd.g, rstd.c, (size_t)c->c * 4);
    cpu->batch_norm_backward(cpu_st, &d, x.c, gc, mean.c, rstd.c, gy.c, gx.c, ggam.c, gbet.c);
    cu->batch_norm_backward(cu_st, &d, x.g, gg, mean.g, rstd.g, gy.g, gx.g, ggam.g, gbet.g);
    float *sb = calloc((size_t)c->c, sizeof *sb), *sg = calloc((size_t)c->c, sizeof *sg);
    for (int64_t i = 0; i < nx; i++) {
        const int64_t ch = i / c->s % c->c;
        sb[ch] += 1e-6f * fabsf(gy.c[i]);
        sg[ch] += 1e-6f * fabsf(gy.c[i] * (x.c[i] - mean.c[ch]) * rstd.c[ch]);
    }
    snprintf(what, sizeof what, "batch_norm case %d gbeta", _i);
    expect_close(what, &gbet, 0, FLT_EPSILON, sb);
    snprintf(what, sizeof what, "batch_norm case %d ggamma", _i);
    expect_close(what, &ggam, 0, FLT_EPSILON, sg);
    b = bn_bound(c, &x, gc, bc, &mean, &rstd, &gy, &ggam, &gbet, 8);
    snprintf(what, sizeof what, "batch_norm case %d gx", _i);
    expect_close(what, &gx, 0, 0, b);
    free(b);
    free(sb);
    free(sg);
    /* a second GPU run of both, on the same statistics: the same bits */
    pair y2 = pair_new(nx), m2 = pair_new(c->c), r2 = pair_new(c->c), gx2 = pair_new(nx);
    pair gg2 = pair_new(c->c), gb2 = pair_new(c->c);
    cu->batch_norm(cu_st, &d, x.g, gg, bg, y2.g, m2.g, r2.g);
    cu->batch_norm_backward(cu_st, &d, x.g, gg, mean.g, rstd.g, gy.g, gx2.g, gg2.g, gb2.g);
    pair *first[] = {&y, &gx, &ggam, &gbet}, *second[] = {&y2, &gx2, &gg2, &gb2};
    for (int k = 0; k < 4; k++) {
        pair_fetch(second[k]);
        ck_assert_msg(!memcmp(first[k]->h, second[k]->h, (size_t)first[k]->n * 4),
                      "batch_norm case %d: output %d differs between two GPU runs", _i, k);
    }
    pair *all[] = {&x, &gm, &bt, &gy, &y, &mean, &rstd, &gx, &ggam, &gbet,
                   &y2, &m2, &r2, &gx2, &gg2, &gb2};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        pair_free(all[i]);
}
END_TEST

/* ---- kernels: rng ---- */

START_TEST(test_rng)
{
    /* uniforms: exact (integer arithmetic, one exact scaling). Normals:
     * 1e-6 absolute, the brief's bound: Box-Muller in double on both sides,
     * CUDA's double log / cos within 2 ulp of glibc's, so the rounded floats
     * (|z| < 7) differ by at most one float ulp, 4.8e-7 */
    const int64_t n = 100003;
    const uint64_t offset = 0xFFFFFFFFu - 50;   /* the counter carries into its high word */
    for (int kind = 0; kind < 2; kind++) {
        pair y = pair_new(n);
        cpu->rng(cpu_st, kind, 0x123456789ABCDEFull, 2, offset, y.c, n);
        cu->rng(cu_st, kind, 0x123456789ABCDEFull, 2, offset, y.g, n);
        if (kind == 0)
            expect_exact("rng uniform", &y);
        else
            expect_close("rng normal", &y, 1e-6, 0, NULL);
        pair_free(&y);
    }
}
END_TEST

/* ---- kernels: adam ---- */

START_TEST(test_adam)
{
    /* exact: optim.c's operations, each rounded on its own on the GPU
     * (__fmul_rn, __fadd_rn, __fdiv_rn, __fsqrt_rn), in the same order */
    const int64_t n = 300007;
    for (int variant = 0; variant < 3; variant++) {
        const genlab_adam_scalars s = {
            .b1 = 0.9f, .omb1 = 0.1f, .b2 = 0.999f, .omb2 = 0.001f,
            .neg_step = -2e-4f / 0.19f, .bc2_sqrt = 0.0447f, .eps = 1e-8f,
            .wd = variant ? 0.01f : 0.0f, .decay = 1.0f - 2e-6f,
            .has_wd = variant != 0, .decoupled = variant == 2,
        };
        pair w = pair_rand(n, -1, 1), g = pair_rand(n, -1e-2f, 1e-2f);
        pair m = pair_rand(n, -1e-3f, 1e-3f), v = pair_rand(n, 0, 1e-5f);
        const genlab_backend_i *c = cpu;
        ck_assert_ptr_null(GL_BACKEND_GET(c, adam));   /* the CPU keeps optim.c's loop */
        /* the CPU side: optim.c's loop, through a CPU context's optimizer
         * would need a params object; the loop is restated here from
         * optim.c (adam_step) verbatim */
        for (int64_t i = 0; i < n; i++) {
            float gi = g.c[i], wi = w.c[i];
            if (s.has_wd && s.decoupled)
                wi = wi * s.decay;
            else if (s.has_wd)
                gi = gi + s.wd * wi;
            float mi = m.c[i] * s.b1 + s.omb1 * gi;
            float vi = v.c[i] * s.b2 + s.omb2 * gi * gi;
            float denom = sqrtf(vi) / s.bc2_sqrt + s.eps;
            m.c[i] = mi;
            v.c[i] = vi;
            w.c[i] = wi + s.neg_step * mi / denom;
        }
        cu->adam(cu_st, w.g, g.g, m.g, v.g, n, &s);
        expect_exact("adam w", &w);
        expect_exact("adam m", &m);
        expect_exact("adam v", &v);
        pair *all[] = {&w, &g, &m, &v};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            pair_free(all[i]);
    }
}
END_TEST

/* ---- ops forward and backward ---- */

static genlab_ctx *make_ctx(const char *backend)
{
    genlab_ctx_options o = {.seed = 7, .n_threads = 2, .backend = backend, .registry = reg};
    genlab_ctx *ctx = NULL;
    ck_assert_msg(genlab_ctx_create(&o, &ctx) == GL_OK, "backend %s: %s", backend,
                  genlab_registry_errmsg(reg));
    ck_assert_str_eq(genlab_ctx_backend_name(ctx), backend);
    return ctx;
}

enum { OP_MAX_IN = 4 };

/* One op graph: its inputs' shapes (rank 4, unused trailing dims 1), the
 * value range, and a function building a scalar loss from the inputs. */
typedef struct op_case {
    const char *name;
    int         n_in;
    int64_t     shape[OP_MAX_IN][4];
    genlab_tensor *(*loss)(genlab_ctx *ctx, genlab_tensor **in);
} op_case;

static genlab_tensor *op_conv(genlab_ctx *ctx, genlab_tensor **in)
{
    genlab_conv_opts o = {.stride = {2, 2}, .padding = {1, 1}};
    genlab_tensor *y = genlab_conv2d(ctx, in[0], in[1], in[2], &o);
    return genlab_mean_all(ctx, genlab_mul(ctx, genlab_leaky_relu(ctx, y, 0.2f), in[3]));
}

static genlab_tensor *op_matmul(genlab_ctx *ctx, genlab_tensor **in)
{
    genlab_tensor *y = genlab_matmul(ctx, in[0], in[1], false, true);
    return genlab_sum_all(ctx, genlab_mul(ctx, genlab_tanh(ctx, y), in[2]));
}

static genlab_tensor *op_group_norm(genlab_ctx *ctx, genlab_tensor **in)
{
    genlab_tensor *y = genlab_group_norm(ctx, in[0], 4, in[1], in[2], 1e-5f);
    return genlab_sum_all(ctx, genlab_mul(ctx, y, in[3]));
}

static genlab_tensor *op_group_norm_silu(genlab_ctx *ctx, genlab_tensor **in)
{
    genlab_tensor *y = genlab_group_norm_act(ctx, in[0], 4, in[1], in[2], 1e-5f, GL_ACT_SILU);
    return genlab_sum_all(ctx, genlab_mul(ctx, y, in[3]));
}

static genlab_tensor *op_batch_norm(genlab_ctx *ctx, genlab_tensor **in)
{
    genlab_tensor *y = genlab_batch_norm(ctx, in[0], in[1], in[2], NULL, NULL, true, 0.1f,
                                         1e-5f);
    return genlab_sum_all(ctx, genlab_mul(ctx, y, in[3]));
}

static genlab_tensor *op_batch_norm_plain(genlab_ctx *ctx, genlab_tensor **in)
{
    genlab_tensor *y = genlab_batch_norm(ctx, in[0], NULL, NULL, NULL, NULL, true, 0.1f, 1e-5f);
    return genlab_sum_all(ctx, genlab_mul(ctx, y, in[1]));
}

/* training mode updates running stats from zeros and ones, then eval mode
 * normalises x with them: the loss and x's gradient carry the updated
 * statistics */
static genlab_tensor *op_batch_norm_running(genlab_ctx *ctx, genlab_tensor **in)
{
    const int64_t c = genlab_tensor_dim(in[0], 1);
    genlab_tensor *rm = genlab_full(ctx, 1, &c, 0.0f), *rv = genlab_full(ctx, 1, &c, 1.0f);
    genlab_tensor *t = genlab_batch_norm(ctx, in[0], in[1], in[2], rm, rv, true, 0.1f, 1e-5f);
    genlab_tensor *e = genlab_batch_norm(ctx, in[0], in[1], in[2], rm, rv, false, 0.1f, 1e-5f);
    return genlab_sum_all(ctx, genlab_mul(ctx, genlab_add(ctx, t, e), in[3]));
}

static genlab_tensor *op_losses(genlab_ctx *ctx, genlab_tensor **in)
{
    genlab_tensor *t = genlab_sigmoid(ctx, in[1]);
    genlab_tensor *a = genlab_bce_with_logits(ctx, in[0], t, GL_REDUCE_MEAN);
    genlab_tensor *b = genlab_mse_loss(ctx, in[0], in[1], GL_REDUCE_MEAN);
    genlab_tensor *c = genlab_l1_loss(ctx, in[0], in[1], GL_REDUCE_SUM);
    return genlab_add(ctx, genlab_add(ctx, a, b), c);
}

static const op_case op_cases[] = {
    /* name         n  shapes of the inputs                                          loss */
    {"conv2d",      4, {{4, 3, 17, 15}, {8, 3, 3, 3}, {8, 1, 1, 1}, {4, 8, 9, 8}},    op_conv},
    {"matmul",      3, {{37, 64, 1, 1}, {29, 64, 1, 1}, {37, 29, 1, 1}},              op_matmul},
    {"group_norm",  4, {{3, 8, 9, 7}, {8, 1, 1, 1}, {8, 1, 1, 1}, {3, 8, 9, 7}},      op_group_norm},
    /* odd positions per channel (33 x 31) and groups of 4 channels */
    {"gn + silu",   4, {{5, 16, 33, 31}, {16, 1, 1, 1}, {16, 1, 1, 1}, {5, 16, 33, 31}},
     op_group_norm_silu},
    {"batch_norm",  4, {{16, 6, 5, 5}, {6, 1, 1, 1}, {6, 1, 1, 1}, {16, 6, 5, 5}},    op_batch_norm},
    /* no gamma or beta: the backward kernel gets no parameter gradients */
    {"bn plain",    2, {{32, 8, 6, 6}, {32, 8, 6, 6}},                                op_batch_norm_plain},
    /* 16384 values per channel (8 chunks on the GPU), the running stats
     * carried into an eval-mode pass */
    {"bn running",  4, {{64, 16, 16, 16}, {16, 1, 1, 1}, {16, 1, 1, 1}, {64, 16, 16, 16}},
     op_batch_norm_running},
    {"losses",      2, {{64, 10, 1, 1}, {64, 10, 1, 1}},                              op_losses},
};

/* the rank an input has: 1 for the per-channel vectors (bias, gamma, beta),
 * 2 for matrices, else 4 */
static int op_rank(const int64_t *s)
{
    if (s[1] == 1 && s[2] == 1 && s[3] == 1)
        return 1;
    return s[2] == 1 && s[3] == 1 ? 2 : 4;
}

/* run — the case on one backend with the given host inputs: the loss and
 * each input's gradient (host copies, caller frees) */
static float run_op(const op_case *c, const char *backend, float *const *host, float **grads)
{
    genlab_ctx *ctx = make_ctx(backend);
    genlab_tensor *in[OP_MAX_IN], *gr[OP_MAX_IN];
    for (int i = 0; i < c->n_in; i++) {
        int r = op_rank(c->shape[i]);
        in[i] = genlab_tensor_new_persistent(ctx, GL_F32, r, c->shape[i]);
        gr[i] = genlab_tensor_new_persistent(ctx, GL_F32, r, c->shape[i]);
        memcpy(genlab_tensor_f32_mut(in[i]), host[i],
               (size_t)genlab_tensor_numel(in[i]) * sizeof(float));
        genlab_tensor_set_requires_grad(in[i], true);
        ck_assert_int_eq(genlab_tensor_set_grad(ctx, in[i], gr[i]), GL_OK);
    }
    genlab_ctx_step_begin(ctx);
    genlab_tensor *loss = c->loss(ctx, in);
    ck_assert_msg(loss && genlab_backward(ctx, loss) == GL_OK, "%s on %s: %s", c->name, backend,
                  genlab_ctx_errmsg(ctx));
    float v = genlab_tensor_item(loss);
    for (int i = 0; i < c->n_in; i++) {
        size_t bytes = (size_t)genlab_tensor_numel(gr[i]) * sizeof(float);
        grads[i] = malloc(bytes);
        memcpy(grads[i], genlab_tensor_f32(gr[i]), bytes);
        genlab_tensor_free(in[i]);
        genlab_tensor_free(gr[i]);
    }
    genlab_ctx_destroy(ctx);
    return v;
}

START_TEST(test_ops)
{
    /* 1e-4 of the largest magnitude of each result: a few hundred float
     * terms summed in different orders (cuDNN, cuBLAS, the GPU's reduction
     * trees) and the transcendental functions' ulps, through a backward
     * pass that compounds them over a handful of ops */
    const op_case *c = &op_cases[_i];
    float *host[OP_MAX_IN] = {0}, *g_cpu[OP_MAX_IN] = {0}, *g_gpu[OP_MAX_IN] = {0};
    int64_t n[OP_MAX_IN];
    for (int i = 0; i < c->n_in; i++) {
        n[i] = numel(4, c->shape[i]);
        host[i] = malloc((size_t)n[i] * sizeof(float));
        for (int64_t j = 0; j < n[i]; j++)
            host[i][j] = frand(-1, 1);
    }
    float l_cpu = run_op(c, "cpu", host, g_cpu), l_gpu = run_op(c, "cuda", host, g_gpu);
    ck_assert_msg(fabsf(l_cpu - l_gpu) <= 1e-4f * fmaxf(1.0f, fabsf(l_cpu)),
                  "%s: loss cpu %.9g, cuda %.9g", c->name, l_cpu, l_gpu);
    for (int i = 0; i < c->n_in; i++) {
        float mx = 0;
        for (int64_t j = 0; j < n[i]; j++)
            mx = fmaxf(mx, fabsf(g_cpu[i][j]));
        for (int64_t j = 0; j < n[i]; j++)
            ck_assert_msg(fabsf(g_cpu[i][j] - g_gpu[i][j]) <= 1e-4f * fmaxf(mx, 1e-6f),
                          "%s: d/d input %d [%lld]: cpu %.9g, cuda %.9g", c->name, i,
                          (long long)j, g_cpu[i][j], g_gpu[i][j]);
        free(host[i]);
        free(g_cpu[i]);
        free(g_gpu[i]);
    }
}
END_TEST

/* ---- the GAN run ---- */

enum { GAN_STEPS = 20, GAN_BATCH = 32 };

static genlab_status gan_batch(genlab_ctx *ctx, void *context, genlab_batch *out)
{
    genlab_tensor *real = context;
    out->x = genlab_tensor_new(ctx, GL_F32, 4, (const int64_t[]){GAN_BATCH, 1, 28, 28});
    out->y = NULL;
    return out->x ? genlab_tensor_copy_into(ctx, out->x, real) : genlab_ctx_status(ctx);
}

/* gan_curve — GAN_STEPS steps of dcgan28 (bce, Adam) on backend; out:
 * every step's metrics, n_metrics per step */
static void gan_curve(const char *backend, double *out, int *n_metrics)
{
    const char *args[] = {"train.trainer=gan", "gan.generator=dcgan28",
                          "gan.discriminator=dcgan28", "gan.loss=bce", "train.batch=32"};
    genlab_config *cfg;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_run_declare(cfg), GL_OK);
    genlab_config_set_args(cfg, 5, args);
    ck_assert_msg(genlab_config_resolve(cfg, reg) == GL_OK, "%s", genlab_config_errmsg(cfg));
    genlab_ctx *ctx = make_ctx(backend);
    genlab_host host;
    genlab_host_init(&host, reg, ctx, cfg);
    const genlab_component *c;
    const genlab_config *scope;
    ck_assert_int_eq(genlab_config_component(cfg, "train.trainer", GL_KIND_TRAINER, &c, &scope),
                     GL_OK);
    const genlab_trainer_i *tr = c->iface;
    genlab_data_spec spec = {1, 28, 28, 0, 50000};
    void *state = NULL;
    genlab_tensor *real = genlab_tensor_new_persistent(ctx, GL_F32, 4,
                                                       (const int64_t[]){GAN_BATCH, 1, 28, 28});
    ck_assert_int_eq(genlab_rng_fill(ctx, real, GL_STREAM_DATA, 0, -1.0f, 1.0f), GL_OK);
    ck_assert_msg(tr->create(&host, scope, &spec, &state) == GL_OK, "%s", genlab_ctx_errmsg(ctx));
    genlab_batch_source source = {gan_batch, real};
    for (int i = 0; i < GAN_STEPS; i++) {
        genlab_ctx_step_begin(ctx);
        genlab_step_metrics m = {0};
        ck_assert_msg(tr->step(ctx, state, i, &source, &m) == GL_OK, "%s step %d: %s", backend,
                      i, genlab_ctx_errmsg(ctx));
        *n_metrics = m.n;
        for (int k = 0; k < m.n; k++)
            out[i * GL_STEP_METRICS_MAX + k] = m.value[k];
    }
    tr->destroy(state);
    genlab_tensor_free(real);
    genlab_ctx_destroy(ctx);
    genlab_config_destroy(cfg);
}

START_TEST(test_gan_curves)
{
    /* 2e-2 relative (of max(1, |metric|)): the first step agrees to ~1e-6
     * (summation orders of cuDNN and cuBLAS against oneDNN and OpenBLAS),
     * but Adam divides by sqrt(v), so a gradient near zero whose rounding
     * differs moves its weight by a full lr (2e-4) either way; over 20 steps
     * of two networks feeding each other that reaches ~1e-3 of the losses.
     * The largest difference is printed, for bench/README.md. */
    static double a[GAN_STEPS * GL_STEP_METRICS_MAX], b[GAN_STEPS * GL_STEP_METRICS_MAX];
    int na = 0, nb = 0;
    gan_curve("cpu", a, &na);
    gan_curve("cuda", b, &nb);
    ck_assert_int_eq(na, nb);
    ck_assert_int_gt(na, 0);
    double worst = 0;
    for (int i = 0; i < GAN_STEPS * GL_STEP_METRICS_MAX; i++)
        worst = fmax(worst, fabs(a[i] - b[i]) / fmax(1.0, fabs(a[i])));
    printf("gan curves: largest relative difference %.3g over %d steps\n", worst, GAN_STEPS);
    for (int i = 0; i < GAN_STEPS; i++)
        for (int k = 0; k < na; k++) {
            double x = a[i * GL_STEP_METRICS_MAX + k], y = b[i * GL_STEP_METRICS_MAX + k];
            ck_assert_msg(fabs(x - y) <= 2e-2 * fmax(1.0, fabs(x)),
                          "step %d metric %d: cpu %.9g, cuda %.9g", i, k, x, y);
        }
}
END_TEST

START_TEST(test_gan_deterministic)
{
    /* bit-identical: deterministic algorithms, no atomics, one stream */
    static double a[GAN_STEPS * GL_STEP_METRICS_MAX], b[GAN_STEPS * GL_STEP_METRICS_MAX];
    int na = 0, nb = 0;
    setenv("GENLAB_CUDA_DETERMINISTIC", "1", 1);
    gan_curve("cuda", a, &na);
    gan_curve("cuda", b, &nb);
    unsetenv("GENLAB_CUDA_DETERMINISTIC");
    ck_assert_int_eq(na, nb);
    ck_assert_msg(!memcmp(a, b, sizeof a), "two deterministic GPU runs differ");
}
END_TEST

/* ---- without a GPU ---- */

static char logged[1024];
static void keep_log(void *user, genlab_log_level level, const char *msg)
{
    (void)user;
    (void)level;
    snprintf(logged, sizeof logged, "%s", msg);
}

START_TEST(test_choice)
{
    /* the choice of backend, on any machine with the plugin built */
    genlab_registry_set_logger(reg, keep_log, NULL);
    genlab_ctx *ctx = NULL;
    genlab_ctx_options o = {.backend = "auto", .registry = reg};
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    if (cu->probe() > 0) {
        ck_assert_str_eq(genlab_ctx_backend_name(ctx), "cuda");
        ck_assert_str_ne(genlab_ctx_device_name(ctx), "cuda");   /* the GPU's name */
    } else {
        /* auto falls back, saying why (once) */
        ck_assert_str_eq(genlab_ctx_backend_name(ctx), "cpu");
        ck_assert_msg(strstr(logged, "using cpu, not cuda: ") != NULL, "logged '%s'", logged);
        ck_assert_msg(strstr(logged, cu->probe_reason()) != NULL, "logged '%s'", logged);
        genlab_ctx_destroy(ctx);
        logged[0] = '\0';
        ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
        ck_assert_str_eq(logged, "");
        /* an explicit cuda is an error naming the reason */
        genlab_ctx *bad = NULL;
        genlab_ctx_options e = {.backend = "cuda", .registry = reg};
        ck_assert_int_eq(genlab_ctx_create(&e, &bad), GL_ERR_UNSUPPORTED);
        ck_assert_ptr_null(bad);
        ck_assert_msg(strstr(genlab_registry_errmsg(reg), "cannot run on this machine") != NULL,
                      "message '%s'", genlab_registry_errmsg(reg));
    }
    genlab_ctx_destroy(ctx);
    /* the plugin offers reduced-precision compute (what it computes is
     * checked by the precision cases, on a GPU) */
    ck_assert_msg(GL_BACKEND_GET(cu, set_precision) != NULL,
                  "the cuda backend has no set_precision member");
    /* an unknown name, with or without a registry */
    genlab_ctx_options u = {.backend = "tpu", .registry = reg};
    ck_assert_int_eq(genlab_ctx_create(&u, &ctx), GL_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(genlab_registry_errmsg(reg), "no backend plugin") != NULL, "'%s'",
                  genlab_registry_errmsg(reg));
    genlab_registry_set_logger(reg, NULL, NULL);
}
END_TEST

/* ---- main ---- */

static Suite *suite(bool gpu)
{
    Suite *s = suite_create("backend_ops");
    TCase *t = tcase_create("choice");
    tcase_add_test(t, test_choice);
    suite_add_tcase(s, t);
    if (!gpu)
        return s;
    t = tcase_create("kernels");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_fill_axpy);
    tcase_add_loop_test(t, test_unary, 0, (int)(sizeof unary_cases / sizeof *unary_cases));
    tcase_add_loop_test(t, test_binary, 0,
                        (int)(sizeof bin_cases / sizeof *bin_cases) * GL_BINARY_COUNT);
    tcase_add_test(t, test_copy_permute);
    tcase_add_test(t, test_flat_unaligned);
    tcase_add_loop_test(t, test_reduce, 0, (int)(sizeof red_cases / sizeof *red_cases) * 2);
    tcase_add_loop_test(t, test_gemm, 0, (int)(sizeof gemm_cases / sizeof *gemm_cases));
    tcase_add_loop_test(t, test_conv, 0, (int)(sizeof conv_cases / sizeof *conv_cases) * 3);
    tcase_add_test(t, test_conv_notes);
    tcase_add_test(t, test_max_pool_gather_scatter);
    tcase_add_loop_test(t, test_resample, 0,
                        (int)(sizeof resample_cases / sizeof *resample_cases));
    tcase_add_loop_test(t, test_batch_norm, 0, (int)(sizeof bn_cases / sizeof *bn_cases));
    tcase_add_test(t, test_rng);
    tcase_add_test(t, test_adam);
    suite_add_tcase(s, t);
    t = tcase_create("precision");
    tcase_set_timeout(t, 120);
    tcase_add_checked_fixture(t, NULL, reset_precision);
    tcase_add_loop_test(t, test_gemm_precision, 0, N_PREC * N_GEMM);
    tcase_add_loop_test(t, test_conv_precision, 0, N_PREC * N_CONV * 3);
    suite_add_tcase(s, t);
    t = tcase_create("ops");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, test_ops, 0, (int)(sizeof op_cases / sizeof *op_cases));
    suite_add_tcase(s, t);
    t = tcase_create("gan");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_gan_curves);
    tcase_add_test(t, test_gan_deterministic);
    suite_add_tcase(s, t);
    return s;
}

#endif /* GL_TEST_CUDA_PLUGIN_DIR */

int main(void)
{
#ifndef GL_TEST_CUDA_PLUGIN_DIR
    /* Automake's SKIP: configure found no CUDA toolkit, no plugin to test */
    puts("backend_ops: genlab was configured without CUDA (no plugins/cuda): SKIP");
    return 77;
#else
    /* valgrind cannot run the CUDA libraries (their loading trips its
     * loader checks, then an instruction it does not emulate): SKIP there */
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload")) {
        puts("backend_ops: under valgrind, which cannot run the CUDA libraries: SKIP");
        return 77;
    }
    /* keep the plugin and the CUDA libraries it pulls in mapped until exit
     * (the registry's dlclose would unload them): their static buffers
     * (libstdc++'s exception pools) are then still referenced at exit, so
     * LeakSanitizer and valgrind do not report them as leaks of this test */
    if (!dlopen(GL_TEST_CUDA_PLUGIN_DIR "/cuda.so", RTLD_NOW | RTLD_NODELETE)) {
        fprintf(stderr, "backend_ops: %s\n", dlerror());
        return EXIT_FAILURE;
    }
    if (genlab_registry_create(GL_TEST_CUDA_PLUGIN_DIR ":" GL_TEST_GAN_PLUGIN_DIR, &reg) != GL_OK)
        return EXIT_FAILURE;
    if (genlab_plugin_load_all(reg) != GL_OK) {
        fprintf(stderr, "backend_ops: %s\n", genlab_registry_errmsg(reg));
        genlab_registry_destroy(reg);
        return EXIT_FAILURE;
    }
    const genlab_component *c = genlab_registry_find(reg, GL_KIND_BACKEND, "cuda");
    if (!c) {
        fprintf(stderr, "backend_ops: %s\n", genlab_registry_errmsg(reg));
        genlab_registry_destroy(reg);
        return EXIT_FAILURE;
    }
    cu = ((const genlab_backend_plugin_i *)c->iface)->table();
    cpu = genlab_backend_cpu();
    const bool gpu = cu->probe() > 0;
    if (gpu && (cu->init(0, &cu_st) != GL_OK || cpu->init(2, &cpu_st) != GL_OK)) {
        fprintf(stderr, "backend_ops: the backends' init failed\n");
        genlab_registry_destroy(reg);
        return EXIT_FAILURE;
    }
    SRunner *sr = srunner_create(suite(gpu));
    /* the cases share the kernel states made here (a forked child would
     * inherit a CUDA context it cannot use) */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (gpu) {
        cu->release(cu_st);
        cpu->release(cpu_st);
    }
    char why[256];   /* the plugin's static text goes with the registry */
    snprintf(why, sizeof why, "%s", cu->probe_reason());
    genlab_registry_destroy(reg);
    if (failed)
        return EXIT_FAILURE;
    if (!gpu) {
        /* Automake's SKIP: the plugin loads and steps aside, nothing more
         * can be checked here */
        printf("backend_ops: no usable GPU (%s): the backend choice checks passed, the CUDA "
               "kernel, op and training cases were skipped: SKIP\n", why);
        return 77;
    }
    return EXIT_SUCCESS;
#endif
}
