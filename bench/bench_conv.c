/* SPDX-License-Identifier: MIT
 *
 * bench_conv.c — times genlab's convolution layers of DCGAN-32 and DCGAN-64
 * at batch 64 (the shapes of /work/shared/bench/torch_ref.py), and a few
 * 3x3 stride-1 layers of a U-Net, next to raw OpenBLAS sgemm, for
 * comparison with bench/torch_conv.py.
 *
 * For each layer: the forward op, the data gradient, the weight gradient
 * (each as its own op) and a full training pass (forward, then genlab_grad
 * for the input and the weight). GFLOP/s counts 2*MACs per pass and three
 * passes for the full one. "gemm" is sgemm alone on the layer's forward GEMM
 * shape with the whole batch as one matrix (M = Cout, N = batch*Ho*Wo,
 * K = Cin*kh*kw for conv2d; M = Cout*kh*kw, N = batch*H*W, K = Cin for
 * conv_transpose2d), the throughput the kernels would reach if im2col and
 * col2im were free.
 *
 * --conv forces one implementation of the CPU conv kernels (im2col, dnnl:
 * oneDNN on the plain layouts, dnnl-blocked: oneDNN on its blocked layouts
 * with reorders; default auto, the backend's rule); the last column names
 * the implementation that served the forward, data and weight kernels
 * (oneDNN falls back to im2col where it refuses a shape).
 *
 * Not a test (make bench builds it; make check does not run it).
 * Usage: bench/bench_conv [--threads N] [--min-time SECONDS] [--layer NAME]
 *                         [--conv auto|im2col|dnnl|dnnl-blocked]
 * Output: one tab-separated line per layer after a '#' header (column -t
 * aligns it); bench/conv_table.py merges it with torch_conv.py's output.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "genlab/genlab.h"
#include "internal.h"   /* the CPU backend's state, for --conv and the path column */

#include "bench_clock.h"

/* ---- layers ---- */

typedef struct layer {
    const char *name;
    int         transposed;     /* conv_transpose2d */
    int64_t     cin, h, w;      /* input (batch, cin, h, w) */
    int64_t     cout, k, s, p;  /* output channels, square kernel, stride, padding */
} layer;

#define BATCH 64

static const layer layers[] = {
    /* DCGAN32_G: z (100x1x1) -> 1024x2x2 -> 512x4x4 -> 256x8x8 -> 128x16x16 -> 3x32x32 */
    {"g32.1", 1, 100, 1, 1, 1024, 2, 1, 0},
    {"g32.2", 1, 1024, 2, 2, 512, 4, 2, 1},
    {"g32.3", 1, 512, 4, 4, 256, 4, 2, 1},
    {"g32.4", 1, 256, 8, 8, 128, 4, 2, 1},
    {"g32.5", 1, 128, 16, 16, 3, 4, 2, 1},
    /* DCGAN32_D: 5x5 stride-2 convs 3 -> 64 -> 128 -> 256 -> 512 on 32x32 */
    {"d32.1", 0, 3, 32, 32, 64, 5, 2, 2},
    {"d32.2", 0, 64, 16, 16, 128, 5, 2, 2},
    {"d32.3", 0, 128, 8, 8, 256, 5, 2, 2},
    {"d32.4", 0, 256, 4, 4, 512, 5, 2, 2},
    /* DCGAN64_G (ngf 64): 100x1x1 -> 512x4x4 -> 256x8x8 -> 128x16x16 -> 64x32x32 -> 3x64x64 */
    {"g64.1", 1, 100, 1, 1, 512, 4, 1, 0},
    {"g64.2", 1, 512, 4, 4, 256, 4, 2, 1},
    {"g64.3", 1, 256, 8, 8, 128, 4, 2, 1},
    {"g64.4", 1, 128, 16, 16, 64, 4, 2, 1},
    {"g64.5", 1, 64, 32, 32, 3, 4, 2, 1},
    /* DCGAN64_D (ndf 64): 4x4 stride-2 convs 3 -> 64 -> 128 -> 256 -> 512, then 512 -> 1 */
    {"d64.1", 0, 3, 64, 64, 64, 4, 2, 1},
    {"d64.2", 0, 64, 32, 32, 128, 4, 2, 1},
    {"d64.3", 0, 128, 16, 16, 256, 4, 2, 1},
    {"d64.4", 0, 256, 8, 8, 512, 4, 2, 1},
    {"d64.5", 0, 512, 4, 4, 1, 4, 1, 0},
    /* not DCGAN: the 3x3 stride-1 convolutions of a diffusion U-Net at 32x32
     * (in, middle, 1x1 skip projection, out), for the oneDNN rule's other
     * shape classes */
    {"u32.1", 0, 3, 32, 32, 64, 3, 1, 1},
    {"u32.2", 0, 64, 32, 32, 64, 3, 1, 1},
    {"u16.1", 0, 128, 16, 16, 128, 3, 1, 1},
    {"u8.1", 0, 256, 8, 8, 256, 3, 1, 1},
    {"u16.2", 0, 128, 16, 16, 64, 1, 1, 0},
    {"u32.3", 0, 64, 32, 32, 3, 3, 1, 1},
};

/* output spatial size of the layer */
static int64_t out_size(const layer *l, int64_t in)
{
    return l->transposed ? (in - 1) * l->s - 2 * l->p + l->k : (in + 2 * l->p - l->k) / l->s + 1;
}

static double macs(const layer *l)
{
    /* every (input pixel or output pixel) x (kernel tap) x (channel pair) once */
    int64_t small = l->transposed ? l->h * l->w : out_size(l, l->h) * out_size(l, l->w);
    return (double)BATCH * (double)small * (double)(l->cin * l->cout * l->k * l->k);
}

/* ---- timing ---- */

#define MAX_REPS 50

/* the fastest ms of f(arg) over repetitions filling min_time seconds (at
 * least 3, at most MAX_REPS), after one untimed warm-up call. The minimum,
 * not the median: other processes share the machine, and the fastest run is
 * the one they disturbed least. */
static double time_ms(void (*f)(void *), void *arg, double min_time)
{
    double t[MAX_REPS];
    int n = 0;
    f(arg);
    double start = bench_clock_s(CLOCK_MONOTONIC);
    while (n < MAX_REPS && (n < 3 || bench_clock_s(CLOCK_MONOTONIC) - start < min_time)) {
        double t0 = bench_clock_s(CLOCK_MONOTONIC);
        f(arg);
        t[n++] = 1e3 * (bench_clock_s(CLOCK_MONOTONIC) - t0);
    }
    qsort(t, (size_t)n, sizeof t[0], bench_cmp_double);
    return t[0];
}

/* ---- raw sgemm ---- */

typedef struct gemm_job {
    int m, n, k;
    float *a, *b, *c;
} gemm_job;

static void run_gemm(void *arg)
{
    gemm_job *j = arg;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, j->m, j->n, j->k, 1.0f, j->a, j->k,
                j->b, j->n, 0.0f, j->c, j->n);
}

/* GFLOP/s of one (m, n, k) sgemm */
static double gemm_gflops(int m, int n, int k, double min_time)
{
    gemm_job j = {m, n, k, malloc(sizeof(float) * (size_t)m * k),
                  malloc(sizeof(float) * (size_t)k * n), malloc(sizeof(float) * (size_t)m * n)};
    if (!j.a || !j.b || !j.c) {
        fprintf(stderr, "bench_conv: out of memory for a %dx%dx%d gemm\n", m, n, k);
        exit(1);
    }
    for (size_t i = 0; i < (size_t)m * k; i++)
        j.a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)k * n; i++)
        j.b[i] = (float)(i % 5) * 0.1f;
    double ms = time_ms(run_gemm, &j, min_time);
    free(j.a);
    free(j.b);
    free(j.c);
    return 2.0 * m * n * (double)k / (ms * 1e6);
}

/* ---- one layer ---- */

/* the names of gl_conv_impl, as --conv takes them */
static const char *const impl_names[GL_CONV_IMPLS] = {"auto", "im2col", "dnnl", "dnnl-blocked"};

typedef struct job {
    genlab_ctx      *ctx;
    const layer     *l;
    genlab_conv_opts opts;
    genlab_tensor   *x, *w, *gy;   /* persistent */
} job;

static genlab_tensor *forward(job *j, genlab_tensor *x)
{
    return j->l->transposed ? genlab_conv_transpose2d(j->ctx, x, j->w, NULL, &j->opts)
                            : genlab_conv2d(j->ctx, x, j->w, NULL, &j->opts);
}

static void check(job *j, const void *result)
{
    if (!result) {
        fprintf(stderr, "bench_conv: %s: %s\n", j->l->name, genlab_ctx_errmsg(j->ctx));
        exit(1);
    }
}

static void run_forward(void *arg)
{
    job *j = arg;
    genlab_ctx_step_begin(j->ctx);
    genlab_set_grad_enabled(j->ctx, false);
    check(j, forward(j, j->x));
    genlab_set_grad_enabled(j->ctx, true);
}

/* the input gradient alone: the other two ops of the bilinear triple */
static void run_data(void *arg)
{
    job *j = arg;
    const layer *l = j->l;
    genlab_ctx_step_begin(j->ctx);
    genlab_set_grad_enabled(j->ctx, false);
    genlab_conv_opts o = j->opts;
    /* conv2d's input size comes back through output_padding */
    o.output_padding[0] = o.output_padding[1] = (int)((l->h + 2 * l->p - l->k) % l->s);
    check(j, l->transposed ? genlab_conv2d(j->ctx, j->gy, j->w, NULL, &j->opts)
                           : genlab_conv_transpose2d(j->ctx, j->gy, j->w, NULL, &o));
    genlab_set_grad_enabled(j->ctx, true);
}

static void run_weight(void *arg)
{
    job *j = arg;
    const int k = (int)j->l->k;
    genlab_ctx_step_begin(j->ctx);
    genlab_set_grad_enabled(j->ctx, false);
    check(j, j->l->transposed ? genlab_conv2d_weight(j->ctx, j->gy, j->x, k, k, &j->opts)
                              : genlab_conv2d_weight(j->ctx, j->x, j->gy, k, k, &j->opts));
    genlab_set_grad_enabled(j->ctx, true);
}

/* forward, then the input and weight gradients through the tape */
static void run_train(void *arg)
{
    job *j = arg;
    genlab_ctx_step_begin(j->ctx);
    genlab_tensor *y = forward(j, j->x), *g[2];
    genlab_tensor *in[2] = {j->x, j->w};
    check(j, y);
    if (genlab_grad(j->ctx, 1, &y, &j->gy, 2, in, false, g) != GL_OK)
        check(j, NULL);
}

static genlab_tensor *random_tensor(genlab_ctx *ctx, int ndim, const int64_t *shape)
{
    genlab_tensor *t = genlab_tensor_new_persistent(ctx, GL_F32, ndim, shape);
    genlab_tensor *r = genlab_randn(ctx, ndim, shape);
    if (!t || !r || genlab_tensor_copy_into(ctx, t, r) != GL_OK) {
        fprintf(stderr, "bench_conv: %s\n", genlab_ctx_errmsg(ctx));
        exit(1);
    }
    return t;
}

/* the implementation that served the one conv kernel f(arg) calls */
static const char *served_by(genlab_ctx *ctx, void (*f)(void *), void *arg)
{
    gl_cpu_state *st = ctx->be_state;
    int64_t before[GL_CONV_IMPLS];
    memcpy(before, st->conv_runs, sizeof before);
    f(arg);
    for (int i = 0; i < GL_CONV_IMPLS; i++)
        if (st->conv_runs[i] != before[i])
            return impl_names[i];
    return "?";
}

static void bench_layer(genlab_ctx *ctx, const layer *l, double min_time)
{
    job j = {ctx, l, {{(int)l->s, (int)l->s}, {(int)l->p, (int)l->p}, {1, 1}, {0, 0}, 1},
             NULL, NULL, NULL};
    const int64_t ho = out_size(l, l->h), wo = out_size(l, l->w);
    genlab_ctx_step_begin(ctx);
    j.x = random_tensor(ctx, 4, (const int64_t[]){BATCH, l->cin, l->h, l->w});
    j.w = random_tensor(ctx, 4, l->transposed ? (const int64_t[]){l->cin, l->cout, l->k, l->k}
                                              : (const int64_t[]){l->cout, l->cin, l->k, l->k});
    j.gy = random_tensor(ctx, 4, (const int64_t[]){BATCH, l->cout, ho, wo});
    genlab_tensor_set_requires_grad(j.x, true);
    genlab_tensor_set_requires_grad(j.w, true);

    const double t_fwd = time_ms(run_forward, &j, min_time);
    const double t_data = time_ms(run_data, &j, min_time);
    const double t_weight = time_ms(run_weight, &j, min_time);
    const double t_train = time_ms(run_train, &j, min_time);
    const double gflop = 2.0 * macs(l) * 1e-9;
    /* the forward GEMM of the layer, whole batch at once */
    const int64_t small = l->transposed ? l->h * l->w : ho * wo;
    const int gm = (int)(l->transposed ? l->cout * l->k * l->k : l->cout);
    const int gk = (int)(l->transposed ? l->cin : l->cin * l->k * l->k);
    const double g_gemm = gemm_gflops(gm, (int)(BATCH * small), gk, min_time);
    const double g_train = 3.0 * gflop / (t_train * 1e-3);
    printf("%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\t%dx%dx%d\t%.1f\t%.0f\t%s/%s/%s\n",
           l->name, l->transposed ? "convT" : "conv", 3 * gflop, t_fwd, t_data, t_weight, t_train,
           g_train, gm, (int)(BATCH * small), gk, g_gemm, 100.0 * g_train / g_gemm,
           served_by(ctx, run_forward, &j), served_by(ctx, run_data, &j),
           served_by(ctx, run_weight, &j));
    fflush(stdout);
    genlab_tensor_free(j.x);
    genlab_tensor_free(j.w);
    genlab_tensor_free(j.gy);
}

int main(int argc, char **argv)
{
    int threads = 2;
    double min_time = 1.0;
    const char *only = NULL;
    int impl = GL_CONV_AUTO;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc)
            min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--layer") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--conv") && i + 1 < argc) {
            const char *name = argv[++i];
            for (impl = 0; impl < GL_CONV_IMPLS && strcmp(name, impl_names[impl]); impl++)
                ;
        } else
            impl = GL_CONV_IMPLS;
        if (impl == GL_CONV_IMPLS) {
            fprintf(stderr, "usage: %s [--threads N] [--min-time SECONDS] [--layer NAME] "
                            "[--conv auto|im2col|dnnl|dnnl-blocked]\n", argv[0]);
            return 2;
        }
    }
    genlab_ctx_options o = {.seed = 1, .n_threads = threads};
    genlab_ctx *ctx = NULL;
    if (genlab_ctx_create(&o, &ctx) != GL_OK) {
        fprintf(stderr, "bench_conv: cannot create a context\n");
        return 1;
    }
    ((gl_cpu_state *)ctx->be_state)->conv_impl = (gl_conv_impl)impl;
    printf("# genlab conv benchmark: batch %d, %d threads, conv %s, min ms\n", BATCH,
           genlab_ctx_threads(ctx), impl_names[impl]);
    printf("# sgemm 1024x1024x1024: %.1f GFLOP/s\n", gemm_gflops(1024, 1024, 1024, min_time));
    printf("# layer\tkind\tGFLOP(3 passes)\tfwd_ms\tdata_ms\tweight_ms\ttrain_ms\ttrain_GFLOP/s"
           "\tgemm_MxNxK\tgemm_GFLOP/s\t%%_of_gemm\tfwd/data/weight_impl\n");
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        if (!only || !strcmp(only, layers[i].name))
            bench_layer(ctx, &layers[i], min_time);
    genlab_ctx_destroy(ctx);
    return 0;
}
