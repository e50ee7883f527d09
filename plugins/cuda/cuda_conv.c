/* SPDX-License-Identifier: MIT
 *
 * cuda_conv.c — the CUDA backend's convolutions through cuDNN: forward,
 * backward-data and backward-filter on NCHW / OIHW float tensors, with
 * groups, stride, padding and dilation.
 *
 * A plan (descriptors, algorithm, workspace size) is made once per geometry
 * and pass and cached on the state. The algorithm is measured
 * (cudnnFind*AlgorithmEx over all the pass's algorithms, on the call's own
 * buffers prefetched to the device, with the workspace of the caching
 * allocator; a warm-up Find, then the fastest of two measurements each,
 * since one measurement of a cold algorithm can be far off) and recorded
 * for gl_cuda_conv_notes, which bench_gan prints — except in determinism mode
 * (GENLAB_CUDA_DETERMINISTIC=1), where cuDNN's heuristic ranking (the same
 * on every run) is filtered for deterministic algorithms, so that two runs
 * pick the same algorithms and give the same bits.
 *
 * Precision (the state's, set_precision; part of a plan's key, so each
 * precision has its own descriptors and measured algorithm): fp32 computes
 * with CUDNN_FMA_MATH (no tensor cores: results comparable with the CPU),
 * tf32 with CUDNN_DEFAULT_MATH (TF32 tensor cores where the device has
 * them). bf16 and f16 convert the pass's two operands into 16-bit scratch
 * from the caching allocator (cuda_half.cu), run cuDNN on
 * CUDNN_DATA_BFLOAT16 / CUDNN_DATA_HALF descriptors with float32 compute
 * (cuDNN's "pseudo" configurations) on tensor cores, and convert the
 * 16-bit result back into the float32 output. Every pass overwrites its
 * output (the engine accumulates gradients itself), so nothing is added
 * in 16 bits.
 *
 * Not here: shape checks (libgenlab/ops_conv.c validated the descriptor).
 *
 * Sections: plans, algorithm choice, notes, the three passes.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_impl.h"

/* The most workspace an algorithm may use. */
#define GL_CUDA_CONV_WS_MAX ((size_t)256 << 20)
/* Room for every algorithm of a pass (cuDNN 9 has 8, 6 and 7). */
#define GL_CUDA_CONV_ALGOS 16

/* ---- plans ---- */

typedef enum conv_pass { PASS_FORWARD, PASS_DATA, PASS_FILTER } conv_pass;

typedef struct gl_cuda_conv_plan {
    genlab_conv_desc d;
    conv_pass        pass;
    genlab_precision prec;
    cudnnTensorDescriptor_t      x, y;
    cudnnFilterDescriptor_t      w;
    cudnnConvolutionDescriptor_t conv;
    int              algo;        /* of the pass's enum */
    size_t           ws;          /* workspace bytes */
    bool             chosen;
    bool             measured;    /* chosen by Find (else by the heuristic) */
    float            ms[GL_CUDA_CONV_ALGOS];      /* each algorithm's fastest measured time
                                   * (ms; -1: not usable or not measured) */
} gl_cuda_conv_plan;

static void plan_free(gl_cuda_conv_plan *p)
{
    if (p->x)
        cudnnDestroyTensorDescriptor(p->x);
    if (p->y)
        cudnnDestroyTensorDescriptor(p->y);
    if (p->w)
        cudnnDestroyFilterDescriptor(p->w);
    if (p->conv)
        cudnnDestroyConvolutionDescriptor(p->conv);
}

void gl_cuda_conv_release(gl_cuda *st)
{
    for (size_t i = 0; i < st->n_plans; i++)
        plan_free(&st->plans[i]);
    free(st->plans);
    free(st->notes);
    st->notes = NULL;
    st->plans = NULL;
    st->n_plans = st->cap_plans = 0;
}

/* data_type — how a precision's operands are stored for cuDNN */
static cudnnDataType_t data_type(genlab_precision p)
{
    return p == GL_PRECISION_BF16  ? CUDNN_DATA_BFLOAT16
           : p == GL_PRECISION_F16 ? CUDNN_DATA_HALF
                                   : CUDNN_DATA_FLOAT;
}

/* math_type — fp32: FMA only; tf32: TF32 tensor cores allowed; 16-bit
 * operands: tensor cores */
static cudnnMathType_t math_type(genlab_precision p)
{
    return p == GL_PRECISION_FP32   ? CUDNN_FMA_MATH
           : p == GL_PRECISION_TF32 ? CUDNN_DEFAULT_MATH
                                    : CUDNN_TENSOR_OP_MATH;
}

/* elem_bytes — the size of one stored operand element */
static size_t elem_bytes(genlab_precision p) { return gl_cuda_reduced(p) ? 2 : sizeof(float); }

/* plan_describe — the descriptors: x, y and w in the precision's data
 * type, the convolution computing in float32 (CUDNN_DATA_FLOAT) always */
static bool plan_describe(gl_cuda_conv_plan *p)
{
    const genlab_conv_desc *d = &p->d;
    const cudnnDataType_t dt = data_type(p->prec);
    return cudnnCreateTensorDescriptor(&p->x) == CUDNN_STATUS_SUCCESS &&
           cudnnCreateTensorDescriptor(&p->y) == CUDNN_STATUS_SUCCESS &&
           cudnnCreateFilterDescriptor(&p->w) == CUDNN_STATUS_SUCCESS &&
           cudnnCreateConvolutionDescriptor(&p->conv) == CUDNN_STATUS_SUCCESS &&
           cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NCHW, dt, (int)d->n, (int)d->cin,
                                      (int)d->h, (int)d->w) == CUDNN_STATUS_SUCCESS &&
           cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NCHW, dt, (int)d->n, (int)d->cout,
                                      (int)d->ho, (int)d->wo) == CUDNN_STATUS_SUCCESS &&
           cudnnSetFilter4dDescriptor(p->w, dt, CUDNN_TENSOR_NCHW, (int)d->cout,
                                      (int)(d->cin / d->groups), (int)d->kh, (int)d->kw) ==
               CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolution2dDescriptor(p->conv, (int)d->ph, (int)d->pw, (int)d->sh,
                                           (int)d->sw, (int)d->dh, (int)d->dw,
                                           CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT) ==
               CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolutionGroupCount(p->conv, (int)d->groups) == CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolutionMathType(p->conv, math_type(p->prec)) == CUDNN_STATUS_SUCCESS;
}

/* plan_get — the cached plan of (d, pass, the state's precision), or a new
 * one with its descriptors (algorithm not chosen yet); NULL when out of
 * memory */
static gl_cuda_conv_plan *plan_get(gl_cuda *st, const genlab_conv_desc *d, conv_pass pass)
{
    for (size_t i = 0; i < st->n_plans; i++)
        if (st->plans[i].pass == pass && st->plans[i].prec == st->precision &&
            memcmp(&st->plans[i].d, d, sizeof *d) == 0)
            return &st->plans[i];
    if (st->n_plans == st->cap_plans) {
        size_t c = st->cap_plans ? 2 * st->cap_plans : 32;
        gl_cuda_conv_plan *q = realloc(st->plans, c * sizeof *q);
        if (!q)
            return NULL;
        st->plans = q;
        st->cap_plans = c;
    }
    gl_cuda_conv_plan *p = &st->plans[st->n_plans];
    memset(p, 0, sizeof *p);
    p->d = *d;
    p->pass = pass;
    p->prec = st->precision;
    if (!plan_describe(p)) {
        plan_free(p);
        return NULL;
    }
    st->n_plans++;
    return p;
}

/* ---- algorithm choice ---- */

/* Find calls per plan when measuring: the first only warms up (cuDNN and
 * the CUDA runtime load an algorithm's kernels on its first run, so its
 * first time says little), each later one measures every algorithm again;
 * an algorithm's time is its fastest measurement (the least disturbed). */
#define GL_CUDA_CONV_FINDS 3

/* One algorithm of a ranking, whatever the pass. */
typedef struct candidate {
    int    algo;
    float  ms;
    size_t memory;
    bool   usable;   /* succeeded, within the workspace cap, deterministic
                      * when the state asks for it */
} candidate;

#define CANDIDATES(perf, n, st, cand)                                                     \
    for (int i_ = 0; i_ < (n); i_++)                                                      \
    (cand)[i_] = (candidate){                                                             \
        (int)(perf)[i_].algo, (perf)[i_].time, (perf)[i_].memory,                         \
        (perf)[i_].status == CUDNN_STATUS_SUCCESS &&                                      \
            (perf)[i_].memory <= GL_CUDA_CONV_WS_MAX &&                                   \
            (!(st)->deterministic || (perf)[i_].determinism == CUDNN_DETERMINISTIC)}

/* rank — every algorithm of p's pass (requestedAlgoCount: the pass's
 * count, cudnnGet*AlgorithmMaxCount) into cand (OUT: *n), fastest first:
 * measured on a, b, out (out overwritten; stored in p's data type) with
 * the workspace ws when find, else cuDNN's heuristic ranking (the same on
 * every run) */
static bool rank(gl_cuda *st, gl_cuda_conv_plan *p, bool find, const void *a, const void *b,
                 void *out, void *ws, size_t wsb, candidate *cand, int *n)
{
    int max = 0;
    cudnnStatus_t s = CUDNN_STATUS_SUCCESS;
    *n = 0;
    switch (p->pass) {
    case PASS_FORWARD: {
        cudnnConvolutionFwdAlgoPerf_t perf[GL_CUDA_CONV_ALGOS];
        s = cudnnGetConvolutionForwardAlgorithmMaxCount(st->dnn, &max);
        max = max < GL_CUDA_CONV_ALGOS ? max : GL_CUDA_CONV_ALGOS;
        if (s == CUDNN_STATUS_SUCCESS)
            s = find ? cudnnFindConvolutionForwardAlgorithmEx(st->dnn, p->x, a, p->w, b,
                                                              p->conv, p->y, out, max, n, perf,
                                                              ws, wsb)
                     : cudnnGetConvolutionForwardAlgorithm_v7(st->dnn, p->x, p->w, p->conv,
                                                              p->y, max, n, perf);
        if (s == CUDNN_STATUS_SUCCESS)
            CANDIDATES(perf, *n, st, cand);
        break;
    }
    case PASS_DATA: {   /* a = gy, b = w, out = gx */
        cudnnConvolutionBwdDataAlgoPerf_t perf[GL_CUDA_CONV_ALGOS];
        s = cudnnGetConvolutionBackwardDataAlgorithmMaxCount(st->dnn, &max);
        max = max < GL_CUDA_CONV_ALGOS ? max : GL_CUDA_CONV_ALGOS;
        if (s == CUDNN_STATUS_SUCCESS)
            s = find ? cudnnFindConvolutionBackwardDataAlgorithmEx(st->dnn, p->w, b, p->y, a,
                                                                   p->conv, p->x, out, max, n,
                                                                   perf, ws, wsb)
                     : cudnnGetConvolutionBackwardDataAlgorithm_v7(st->dnn, p->w, p->y,
                                                                   p->conv, p->x, max, n,
                                                                   perf);
        if (s == CUDNN_STATUS_SUCCESS)
            CANDIDATES(perf, *n, st, cand);
        break;
    }
    case PASS_FILTER: {   /* a = x, b = gy, out = gw */
        cudnnConvolutionBwdFilterAlgoPerf_t perf[GL_CUDA_CONV_ALGOS];
        s = cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(st->dnn, &max);
        max = max < GL_CUDA_CONV_ALGOS ? max : GL_CUDA_CONV_ALGOS;
        if (s == CUDNN_STATUS_SUCCESS)
            s = find ? cudnnFindConvolutionBackwardFilterAlgorithmEx(
                           st->dnn, p->x, a, p->y, b, p->conv, p->w, out, max, n, perf, ws, wsb)
                     : cudnnGetConvolutionBackwardFilterAlgorithm_v7(st->dnn, p->x, p->y,
                                                                     p->conv, p->w, max, n,
                                                                     perf);
        if (s == CUDNN_STATUS_SUCCESS)
            CANDIDATES(perf, *n, st, cand);
        break;
    }
    }
    return s == CUDNN_STATUS_SUCCESS;
}

/* operand_counts — the elements of a pass's two inputs and its output:
 * forward (x, w) -> y, backward-data (gy, w) -> gx, backward-filter
 * (x, gy) -> gw */
static void operand_counts(const genlab_conv_desc *d, conv_pass pass, int64_t n[3])
{
    const int64_t xn = d->n * d->cin * d->h * d->w, yn = d->n * d->cout * d->ho * d->wo;
    const int64_t wn = d->cout * (d->cin / d->groups) * d->kh * d->kw;
    const int64_t a[3] = {xn, yn, xn}, b[3] = {wn, wn, yn}, o[3] = {yn, xn, wn};
    n[0] = a[pass];
    n[1] = b[pass];
    n[2] = o[pass];
}

/* prefetch_operands — the pass's three buffers to the device, so that the
 * measurements time the algorithms, not page migration */
static void prefetch_operands(gl_cuda *st, const gl_cuda_conv_plan *p, const void *a,
                              const void *b, const void *out)
{
    int64_t n[3];
    operand_counts(&p->d, p->pass, n);
    const size_t eb = elem_bytes(p->prec);
    gl_cuda_prefetch(st, a, (size_t)n[0] * eb);
    gl_cuda_prefetch(st, b, (size_t)n[1] * eb);
    gl_cuda_prefetch(st, out, (size_t)n[2] * eb);
}

/* choose — fill p->algo and p->ws (and p->ms, the measured times): the
 * fastest usable algorithm over GL_CUDA_CONV_FINDS - 1 measuring Find
 * calls, or in determinism mode (or without a workspace) the first usable
 * one of cuDNN's heuristic ranking */
static bool choose(gl_cuda *st, gl_cuda_conv_plan *p, const void *a, const void *b,
                   void *out)
{
    void *ws = st->deterministic ? NULL : gl_cuda_workspace(st, GL_CUDA_CONV_WS_MAX);
    const size_t wsb = ws ? GL_CUDA_CONV_WS_MAX : 0;
    candidate cand[GL_CUDA_CONV_ALGOS];
    size_t memory[GL_CUDA_CONV_ALGOS] = {0};
    int n = 0;
    for (int i = 0; i < GL_CUDA_CONV_ALGOS; i++)
        p->ms[i] = -1.0f;
    if (!ws) {
        if (!rank(st, p, false, a, b, out, NULL, 0, cand, &n))
            return false;
        for (int i = 0; i < n && !p->chosen; i++) {
            if (cand[i].usable) {
                p->algo = cand[i].algo;
                p->ws = cand[i].memory;
                p->chosen = true;
            }
        }
        return p->chosen;
    }
    prefetch_operands(st, p, a, b, out);
    gl_cuda_prefetch(st, ws, wsb);
    gl_cuda_check(st, cudaStreamSynchronize(st->stream));
    for (int round = 0; round < GL_CUDA_CONV_FINDS; round++) {
        if (!rank(st, p, true, a, b, out, ws, wsb, cand, &n))
            return false;
        for (int i = 0; round > 0 && i < n; i++) {
            const int al = cand[i].algo;
            if (!cand[i].usable || al < 0 || al >= GL_CUDA_CONV_ALGOS)
                continue;
            if (p->ms[al] < 0 || cand[i].ms < p->ms[al])
                p->ms[al] = cand[i].ms;
            if (cand[i].memory > memory[al])
                memory[al] = cand[i].memory;
        }
    }
    for (int al = 0; al < GL_CUDA_CONV_ALGOS; al++) {
        if (p->ms[al] >= 0 && (!p->chosen || p->ms[al] < p->ms[p->algo])) {
            p->algo = al;
            p->ws = memory[al];
            p->chosen = true;
        }
    }
    p->measured = p->chosen;
    return p->chosen;
}

/* ---- notes ---- */

static const char *algo_name(conv_pass pass, int algo)
{
    static const char *const fwd[] = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM",
                                      "DIRECT", "FFT", "FFT_TILING", "WINOGRAD",
                                      "WINOGRAD_NONFUSED"};
    static const char *const data[] = {"ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD",
                                       "WINOGRAD_NONFUSED"};
    static const char *const filter[] = {"ALGO_0", "ALGO_1", "FFT", "ALGO_3", "WINOGRAD",
                                         "WINOGRAD_NONFUSED", "FFT_TILING"};
    const char *const *names[3] = {fwd, data, filter};
    const int count[3] = {8, 6, 7};
    return algo >= 0 && algo < count[pass] ? names[pass][algo] : "?";
}

/* text being built: appended to with vsnprintf, grown by doubling */
typedef struct text {
    char  *s;
    size_t len, cap;
    bool   failed;
} text;

static void appendf(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            t->failed = true;
            return;
        }
        if (t->s && t->len + (size_t)k < t->cap) {
            t->len += (size_t)k;
            return;
        }
        size_t c = t->cap ? 2 * t->cap : 1024;
        while (c <= t->len + (size_t)k)
            c *= 2;
        char *q = realloc(t->s, c);
        if (!q) {
            t->failed = true;
            return;
        }
        t->s = q;
        t->cap = c;
    }
}

const char *gl_cuda_conv_notes(gl_cuda *st)
{
    static const char *const pass_name[3] = {"forward", "backward_data", "backward_filter"};
    text t = {0};
    for (size_t i = 0; i < st->n_plans; i++) {
        const gl_cuda_conv_plan *p = &st->plans[i];
        const genlab_conv_desc *d = &p->d;
        appendf(&t,
                "conv %s %s x %" PRId64 "x%" PRId64 "x%" PRId64 "x%" PRId64 " w %" PRId64
                "x%" PRId64 "x%" PRId64 "x%" PRId64 " stride %" PRId64 ",%" PRId64
                " pad %" PRId64 ",%" PRId64 " dil %" PRId64 ",%" PRId64 " groups %" PRId64
                ": %s",
                pass_name[p->pass], genlab_precision_name(p->prec), d->n, d->cin, d->h, d->w,
                d->cout, d->cin / d->groups, d->kh, d->kw, d->sh, d->sw, d->ph, d->pw, d->dh,
                d->dw, d->groups, p->chosen ? algo_name(p->pass, p->algo) : "none");
        if (p->chosen)
            appendf(&t, " workspace %zu B", p->ws);
        if (p->measured) {
            appendf(&t, "; fastest of %d measurements (ms):", GL_CUDA_CONV_FINDS - 1);
            for (int al = 0; al < GL_CUDA_CONV_ALGOS; al++)
                if (p->ms[al] >= 0)
                    appendf(&t, " %s %.4f", algo_name(p->pass, al), p->ms[al]);
        } else if (p->chosen) {
            appendf(&t, "; cuDNN's heuristic ranking (%s)",
                    st->deterministic ? "determinism mode" : "no workspace");
        }
        appendf(&t, "\n");
    }
    free(st->notes);
    st->notes = t.failed ? NULL : t.s;
    if (t.failed)
        free(t.s);
    return st->notes ? st->notes : t.failed ? NULL : "";
}

/* ---- the three passes ---- */

/* call — one pass of plan p on a, b and out stored in its data type:
 * algorithm (first time), workspace, the cuDNN call (alpha 1, beta 0:
 * out overwritten; both floats, the scale type of every configuration
 * here) */
static void call(gl_cuda *st, gl_cuda_conv_plan *p, const void *a, const void *b, void *out)
{
    const float one = 1.0f, zero = 0.0f;
    if (!p->chosen && !choose(st, p, a, b, out)) {
        gl_cuda_check(st, cudaErrorUnknown);
        return;
    }
    void *ws = p->ws ? gl_cuda_workspace(st, p->ws) : NULL;
    if (p->ws && !ws) {
        gl_cuda_check(st, cudaErrorMemoryAllocation);
        return;
    }
    cudnnStatus_t s = CUDNN_STATUS_SUCCESS;
    switch (p->pass) {
    case PASS_FORWARD:
        s = cudnnConvolutionForward(st->dnn, &one, p->x, a, p->w, b, p->conv,
                                    (cudnnConvolutionFwdAlgo_t)p->algo, ws, p->ws, &zero, p->y,
                                    out);
        break;
    case PASS_DATA:
        s = cudnnConvolutionBackwardData(st->dnn, &one, p->w, b, p->y, a, p->conv,
                                         (cudnnConvolutionBwdDataAlgo_t)p->algo, ws, p->ws,
                                         &zero, p->x, out);
        break;
    case PASS_FILTER:
        s = cudnnConvolutionBackwardFilter(st->dnn, &one, p->x, a, p->y, b, p->conv,
                                           (cudnnConvolutionBwdFilterAlgo_t)p->algo, ws, p->ws,
                                           &zero, p->w, out);
        break;
    }
    if (s != CUDNN_STATUS_SUCCESS)
        gl_cuda_check(st, cudaErrorUnknown);
}

/* run — one pass on float32 a, b, out in the state's precision: directly,
 * or for 16-bit operands through 16-bit copies of a and b and a 16-bit
 * result converted into out (scratch from the caching allocator, given
 * back once the calls are queued: the stream orders its next use after
 * them) */
static void run(gl_cuda *st, const genlab_conv_desc *d, conv_pass pass, const float *a,
                const float *b, float *out)
{
    gl_cuda_conv_plan *p = plan_get(st, d, pass);
    if (!p) {
        gl_cuda_check(st, cudaErrorUnknown);
        return;
    }
    if (!gl_cuda_reduced(p->prec)) {
        call(st, p, a, b, out);
        return;
    }
    int64_t n[3];
    operand_counts(d, pass, n);
    void *h[3];
    for (int i = 0; i < 3; i++)
        h[i] = gl_cuda_alloc_get(st, (size_t)(n[i] ? n[i] : 1) * elem_bytes(p->prec));
    if (h[0] && h[1] && h[2]) {
        gl_cuda_to_16(st, p->prec, a, h[0], n[0]);
        gl_cuda_to_16(st, p->prec, b, h[1], n[1]);
        call(st, p, h[0], h[1], h[2]);
        gl_cuda_from_16(st, p->prec, h[2], out, n[2]);
    } else {
        gl_cuda_check(st, cudaErrorMemoryAllocation);
    }
    for (int i = 0; i < 3; i++)
        gl_cuda_alloc_put(st, h[i]);
}

void gl_cuda_conv2d_forward(void *state, const genlab_conv_desc *d, const float *x,
                            const float *w, float *y)
{
    run(state, d, PASS_FORWARD, x, w, y);
}

void gl_cuda_conv2d_backward_data(void *state, const genlab_conv_desc *d, const float *gy,
                                  const float *w, float *gx)
{
    run(state, d, PASS_DATA, gy, w, gx);
}

void gl_cuda_conv2d_backward_weight(void *state, const genlab_conv_desc *d, const float *x,
                                    const float *gy, float *gw)
{
    run(state, d, PASS_FILTER, x, gy, gw);
}
