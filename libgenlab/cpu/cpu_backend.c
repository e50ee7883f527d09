/* SPDX-License-Identifier: MIT
 *
 * cpu_backend.c — the built-in CPU backend: memory, elementwise and strided
 * kernels, reductions, gemm (OpenBLAS) and the random-number kernel, plus the
 * vtable that gathers these with the conv (cpu_conv.c) and resampling
 * (cpu_resample.c) kernels.
 *
 * Parallelism is OpenMP with a static schedule; every kernel here gives the
 * same bits for any thread count (reductions split work into fixed chunks,
 * never into per-thread ones). The conv kernels' oneDNN weight gradients
 * are the exception: the same bits at a fixed thread count only
 * (cpu_conv_dnnl.c).
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "config.h"
#include "cpu.h"
#include "genlab/backend_elements.h"

/* Below this many elements a kernel runs on one thread: forking costs more. */
#define GL_PAR_MIN 32768

/* ---- state and memory ---- */

static int cpu_probe(void) { return 1; }

static genlab_status cpu_init(int n_threads, void **state)
{
    gl_cpu_state *st = calloc(1, sizeof *st);
    if (!st)
        return GL_ERR_NOMEM;
#ifdef _OPENMP
    st->threads = n_threads > 0 ? n_threads : omp_get_max_threads();
#else
    st->threads = 1;
#endif
    *state = st;
    return GL_OK;
}

static void cpu_release(void *state)
{
    gl_cpu_state *st = state;
    if (!st)
        return;
#ifdef HAVE_DNNL
    gl_cpu_dnnl_release(st);
#endif
    free(st->scratch);
    free(st);
}

static int cpu_threads(void *state) { return ((gl_cpu_state *)state)->threads; }

float *gl_cpu_scratch(gl_cpu_state *st, size_t bytes)
{
    if (bytes > st->scratch_bytes) {
        void *p = NULL;
        if (posix_memalign(&p, 64, bytes) != 0)
            return NULL;
        free(st->scratch);
        st->scratch = p;
        st->scratch_bytes = bytes;
    }
    return st->scratch;
}

static void *cpu_alloc(void *state, size_t bytes)
{
    (void)state;
    void *p = NULL;
    return posix_memalign(&p, 64, bytes ? bytes : 64) == 0 ? p : NULL;
}

static void cpu_free(void *state, void *ptr)
{
    (void)state;
    free(ptr);
}

static void cpu_memcpy(void *state, void *dst, const void *src, size_t bytes)
{
    (void)state;
    memcpy(dst, src, bytes);
}

/* ---- elementwise ---- */

static void cpu_fill(void *state, float *y, int64_t n, float value)
{
    int nt = ((gl_cpu_state *)state)->threads;
#pragma omp parallel for simd num_threads(nt) if (n > GL_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++)
        y[i] = value;
}

static void cpu_axpy(void *state, float *y, const float *x, int64_t n, float alpha)
{
    int nt = ((gl_cpu_state *)state)->threads;
#pragma omp parallel for simd num_threads(nt) if (n > GL_PAR_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++)
        y[i] += alpha * x[i];
}

static inline float softplusf(float x)
{
    return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

#define UNARY_LOOP(expr)                                                                \
    _Pragma("omp parallel for simd num_threads(nt) if (n > GL_PAR_MIN) schedule(static)") \
    for (int64_t i = 0; i < n; i++) {                                                  \
        float v = x[i];                                                                \
        y[i] = (expr);                                                                 \
    }                                                                                  \
    break;

static void cpu_unary(void *state, genlab_unary_kind kind, float alpha, float beta,
                      const float *x, float *y, int64_t n)
{
    int nt = ((gl_cpu_state *)state)->threads;
    switch (kind) {
    case GL_UNARY_AFFINE:     UNARY_LOOP(alpha * v + beta)
    case GL_UNARY_EXP:        UNARY_LOOP(expf(v))
    case GL_UNARY_LOG:        UNARY_LOOP(logf(v))
    case GL_UNARY_SQRT:       UNARY_LOOP(sqrtf(v))
    case GL_UNARY_TANH:       UNARY_LOOP(tanhf(v))
    case GL_UNARY_SIGMOID:    UNARY_LOOP(1.0f / (1.0f + expf(-v)))
    case GL_UNARY_SOFTPLUS:   UNARY_LOOP(softplusf(v))
    case GL_UNARY_ABS:        UNARY_LOOP(fabsf(v))
    case GL_UNARY_SIGN:       UNARY_LOOP((float)((v > 0.0f) - (v < 0.0f)))
    case GL_UNARY_ERF:        UNARY_LOOP(erff(v))
    case GL_UNARY_POW:        UNARY_LOOP(powf(v, alpha))
    case GL_UNARY_LEAKY_RELU: UNARY_LOOP(v > 0.0f ? v : alpha * v)
    case GL_UNARY_LEAKY_MASK: UNARY_LOOP(v > 0.0f ? 1.0f : alpha)
    case GL_UNARY_COUNT:      break;
    }
}

/* ---- strided walks ----
 * The walk's last axis is the inner loop; rows are the product of the
 * others. A row's offsets come from its index by division (once per row). */

static int64_t walk_rows(const genlab_strided *s)
{
    int64_t r = 1;
    for (int k = 0; k < s->ndim - 1; k++)
        r *= s->shape[k];
    return r;
}

static void row_offsets(const genlab_strided *s, int64_t row, int64_t *od, int64_t *o1,
                        int64_t *o2)
{
    int64_t d = 0, a = 0, b = 0;
    for (int k = s->ndim - 2; k >= 0; k--) {
        int64_t i = row % s->shape[k];
        row /= s->shape[k];
        d += i * s->dst_stride[k];
        a += i * s->src_stride[k];
        b += i * s->src2_stride[k];
    }
    *od = d;
    *o1 = a;
    *o2 = b;
}

#define BINARY_ROW(OP)                                                      \
    if (sa == 1 && sb == 1) {                                               \
        _Pragma("omp simd") for (int64_t j = 0; j < len; j++)               \
            yr[j * sy] = ar[j] OP br[j];                                    \
    } else {                                                                \
        for (int64_t j = 0; j < len; j++)                                   \
            yr[j * sy] = ar[j * sa] OP br[j * sb];                          \
    }                                                                       \
    break;

static void binary_row(genlab_binary_kind kind, const float *ar, int64_t sa, const float *br,
                       int64_t sb, float *yr, int64_t sy, int64_t len)
{
    switch (kind) {
    case GL_BINARY_ADD: BINARY_ROW(+)
    case GL_BINARY_SUB: BINARY_ROW(-)
    case GL_BINARY_MUL: BINARY_ROW(*)
    case GL_BINARY_DIV: BINARY_ROW(/)
    case GL_BINARY_COUNT: break;
    }
}

static void cpu_binary(void *state, genlab_binary_kind kind, const float *a, const float *b,
                       float *y, const genlab_strided *s)
{
    int nt = ((gl_cpu_state *)state)->threads;
    if (s->ndim == 0) {
        binary_row(kind, a, 0, b, 0, y, 0, 1);
        return;
    }
    const int last = s->ndim - 1;
    const int64_t len = s->shape[last], rows = walk_rows(s);
    const int64_t sy = s->dst_stride[last], sa = s->src_stride[last], sb = s->src2_stride[last];
    if (rows == 1) {
        /* one long row: split it into fixed blocks */
        const int64_t blk = 16384, nblk = (len + blk - 1) / blk;
#pragma omp parallel for num_threads(nt) if (len > GL_PAR_MIN) schedule(static)
        for (int64_t q = 0; q < nblk; q++) {
            int64_t j0 = q * blk, n = len - j0 < blk ? len - j0 : blk;
            binary_row(kind, a + j0 * sa, sa, b + j0 * sb, sb, y + j0 * sy, sy, n);
        }
        return;
    }
#pragma omp parallel for num_threads(nt) if (rows * len > GL_PAR_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        int64_t od, oa, ob;
        row_offsets(s, r, &od, &oa, &ob);
        binary_row(kind, a + oa, sa, b + ob, sb, y + od, sy, len);
    }
}

static void cpu_copy(void *state, const float *src, float *dst, const genlab_strided *s)
{
    int nt = ((gl_cpu_state *)state)->threads;
    if (s->ndim == 0) {
        dst[0] = src[0];
        return;
    }
    const int last = s->ndim - 1;
    const int64_t len = s->shape[last], rows = walk_rows(s);
    const int64_t sd = s->dst_stride[last], ss = s->src_stride[last];
#pragma omp parallel for num_threads(nt) if (rows * len > GL_PAR_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        int64_t od, os, unused;
        row_offsets(s, r, &od, &os, &unused);
        float *d = dst + od;
        const float *p = src + os;
        if (sd == 1 && ss == 1)
            memcpy(d, p, (size_t)len * sizeof *d);
        else
            for (int64_t j = 0; j < len; j++)
                d[j * sd] = p[j * ss];
    }
}

/* ---- reductions ----
 * Axes whose dst stride is 0 are reduced. Each output element is computed by
 * one thread in a fixed order (double accumulator). When there are few
 * outputs, the outermost reduced axis is split into GL_RED_CHUNKS fixed
 * chunks whose partial results are combined in order. */

#define GL_RED_CHUNKS 32

typedef struct red_plan {
    int     nk, nr;                       /* kept / reduced axes */
    int64_t kshape[GL_MAX_DIMS], ksrc[GL_MAX_DIMS], kdst[GL_MAX_DIMS];
    int64_t rshape[GL_MAX_DIMS], rsrc[GL_MAX_DIMS];
    int64_t n_out;
} red_plan;

static void red_plan_make(const genlab_strided *s, red_plan *p)
{
    memset(p, 0, sizeof *p);
    p->n_out = 1;
    for (int k = 0; k < s->ndim; k++) {
        if (s->dst_stride[k] == 0 && s->shape[k] > 1) {
            p->rshape[p->nr] = s->shape[k];
            p->rsrc[p->nr++] = s->src_stride[k];
        } else {
            p->kshape[p->nk] = s->shape[k];
            p->ksrc[p->nk] = s->src_stride[k];
            p->kdst[p->nk++] = s->dst_stride[k];
            p->n_out *= s->shape[k];
        }
    }
}

/* reduce src over the reduced axes, with the outermost one limited to [r0, r1) */
static double red_span(const red_plan *p, const float *src, int64_t r0, int64_t r1, int is_max)
{
    double acc = is_max ? -INFINITY : 0.0;
    if (p->nr == 0)
        return src[0];
    int64_t idx[GL_MAX_DIMS] = {0};
    idx[0] = r0;
    const int in = p->nr - 1;
    const int64_t len = p->rshape[in], st = p->rsrc[in];
    for (;;) {
        int64_t off = 0;
        for (int k = 0; k < in; k++)
            off += idx[k] * p->rsrc[k];
        const float *q = src + off;
        int64_t j0 = in == 0 ? r0 : 0, j1 = in == 0 ? r1 : len;
        if (is_max) {
            for (int64_t j = j0; j < j1; j++)
                acc = fmax(acc, q[j * st]);
        } else if (st == 1) {
            /* contiguous: vector partial sums (their order is fixed by the
             * vector width, so still the same bits for any thread count) */
#pragma omp simd reduction(+ : acc)
            for (int64_t j = j0; j < j1; j++)
                acc += q[j];
        } else {
            for (int64_t j = j0; j < j1; j++)
                acc += q[j * st];
        }
        if (in == 0)
            break;
        int k = in - 1;
        while (k >= 0) {
            if (++idx[k] < (k == 0 ? r1 : p->rshape[k]))
                break;
            if (k == 0)
                return acc;
            idx[k] = 0;
            k--;
        }
        if (k < 0)
            break;
    }
    return acc;
}

static void out_offsets(const red_plan *p, int64_t o, int64_t *os, int64_t *od)
{
    int64_t a = 0, b = 0;
    for (int k = p->nk - 1; k >= 0; k--) {
        int64_t i = o % p->kshape[k];
        o /= p->kshape[k];
        a += i * p->ksrc[k];
        b += i * p->kdst[k];
    }
    *os = a;
    *od = b;
}

static void reduce(void *state, const float *src, float *dst, const genlab_strided *s,
                   int is_max)
{
    int nt = ((gl_cpu_state *)state)->threads;
    red_plan p;
    red_plan_make(s, &p);
    int64_t total = 1;
    for (int k = 0; k < s->ndim; k++)
        total *= s->shape[k];
    if (p.n_out >= 4 * nt || p.nr == 0) {
#pragma omp parallel for num_threads(nt) if (total > GL_PAR_MIN) schedule(static)
        for (int64_t o = 0; o < p.n_out; o++) {
            int64_t os, od;
            out_offsets(&p, o, &os, &od);
            double v = red_span(&p, src + os, 0, p.nr ? p.rshape[0] : 1, is_max);
            dst[od] = is_max ? fmaxf(dst[od], (float)v) : dst[od] + (float)v;
        }
        return;
    }
    for (int64_t o = 0; o < p.n_out; o++) {
        int64_t os, od;
        out_offsets(&p, o, &os, &od);
        double part[GL_RED_CHUNKS];
        const int64_t n0 = p.rshape[0];
        const int nchunks = n0 < GL_RED_CHUNKS ? (int)n0 : GL_RED_CHUNKS;
#pragma omp parallel for num_threads(nt) if (total > GL_PAR_MIN) schedule(static)
        for (int c = 0; c < nchunks; c++)
            part[c] = red_span(&p, src + os, n0 * c / nchunks, n0 * (c + 1) / nchunks, is_max);
        double v = is_max ? -INFINITY : 0.0;
        for (int c = 0; c < nchunks; c++)
            v = is_max ? fmax(v, part[c]) : v + part[c];
        dst[od] = is_max ? fmaxf(dst[od], (float)v) : dst[od] + (float)v;
    }
}

static void cpu_reduce_sum(void *state, const float *src, float *dst, const genlab_strided *s)
{
    reduce(state, src, dst, s, 0);
}

static void cpu_reduce_max(void *state, const float *src, float *dst, const genlab_strided *s)
{
    reduce(state, src, dst, s, 1);
}

/* ---- gemm ---- */

void gl_cpu_gemm(void *state, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                 const float *a, int64_t lda, int64_t stride_a, const float *b, int64_t ldb,
                 int64_t stride_b, float beta, float *c, int64_t ldc, int64_t stride_c,
                 int64_t batch)
{
    /* OpenBLAS's thread count is global: set it at the call, not when a
     * context is made, or the last context created (a data loader's, with
     * one thread) would decide for every other */
    int threads = ((gl_cpu_state *)state)->threads;
    if (openblas_get_num_threads() != threads)
        openblas_set_num_threads(threads);
    for (int64_t i = 0; i < batch; i++)
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    (blasint)m, (blasint)n, (blasint)k, alpha, a + i * stride_a, (blasint)lda,
                    b + i * stride_b, (blasint)ldb, beta, c + i * stride_c, (blasint)ldc);
}

/* ---- random numbers ---- */

static void cpu_rng(void *state, int kind, uint64_t seed, uint64_t stream, uint64_t offset,
                    float *y, int64_t n)
{
    int nt = ((gl_cpu_state *)state)->threads;
#pragma omp parallel for num_threads(nt) if (n > 4096) schedule(static)
    for (int64_t i = 0; i < n; i++)
        y[i] = genlab_rng_element(kind, seed, stream, offset + (uint64_t)i);
}

/* ---- the table ---- */

static const genlab_backend_i cpu_backend = {
    .abi_version = GL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(genlab_backend_i),
    .name = "cpu",
    .probe = cpu_probe,
    .init = cpu_init,
    .release = cpu_release,
    .threads = cpu_threads,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .to_host = cpu_memcpy,
    .from_host = cpu_memcpy,
    .fill = cpu_fill,
    .axpy = cpu_axpy,
    .unary = cpu_unary,
    .binary = cpu_binary,
    .copy = cpu_copy,
    .reduce_sum = cpu_reduce_sum,
    .reduce_max = cpu_reduce_max,
    .gemm = gl_cpu_gemm,
    .conv2d_forward = gl_cpu_conv2d_forward,
    .conv2d_backward_data = gl_cpu_conv2d_backward_data,
    .conv2d_backward_weight = gl_cpu_conv2d_backward_weight,
    .max_pool = gl_cpu_max_pool,
    .gather = gl_cpu_gather,
    .scatter_add = gl_cpu_scatter_add,
    .upsample_nearest = gl_cpu_upsample_nearest,
    .nearest_adjoint = gl_cpu_nearest_adjoint,
    .bilinear = gl_cpu_bilinear,
    .bilinear_adjoint = gl_cpu_bilinear_adjoint,
    .rng = cpu_rng,
    .group_norm = gl_cpu_group_norm,
    .group_norm_backward = gl_cpu_group_norm_backward,
    .conv2d_forward_bias = gl_cpu_conv2d_forward_bias,
    .batch_norm = gl_cpu_batch_norm,
    .batch_norm_backward = gl_cpu_batch_norm_backward,
};

const genlab_backend_i *genlab_backend_cpu(void) { return &cpu_backend; }
