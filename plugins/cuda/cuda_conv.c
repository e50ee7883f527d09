/* SPDX-License-Identifier: MIT
 *
 * cuda_conv.c — the CUDA backend's convolutions through cuDNN: forward,
 * backward-data and backward-filter on NCHW / OIHW float tensors, with
 * groups, stride, padding and dilation.
 *
 * A plan (descriptors, algorithm, workspace size) is made once per geometry
 * and pass and cached on the state. The algorithm is measured
 * (cudnnFind*AlgorithmEx, on the call's own buffers, with the workspace of
 * the caching allocator) — except in determinism mode
 * (GENLAB_CUDA_DETERMINISTIC=1), where cuDNN's heuristic ranking (the same
 * on every run) is filtered for deterministic algorithms, so that two runs
 * pick the same algorithms and give the same bits. TF32 is off
 * (CUDNN_FMA_MATH) unless GENLAB_CUDA_TF32=1.
 *
 * Not here: shape checks (libgenlab/ops_conv.c validated the descriptor).
 *
 * Sections: plans, algorithm choice, the three passes.
 */
#include <stdlib.h>
#include <string.h>

#include "cuda_impl.h"

/* The most workspace an algorithm may use. */
#define GL_CUDA_CONV_WS_MAX ((size_t)256 << 20)
/* Algorithms asked of cuDNN (more than it has for any pass). */
#define GL_CUDA_CONV_ALGOS 16

/* ---- plans ---- */

typedef enum conv_pass { PASS_FORWARD, PASS_DATA, PASS_FILTER } conv_pass;

typedef struct gl_cuda_conv_plan {
    genlab_conv_desc d;
    conv_pass        pass;
    cudnnTensorDescriptor_t      x, y;
    cudnnFilterDescriptor_t      w;
    cudnnConvolutionDescriptor_t conv;
    int              algo;        /* of the pass's enum */
    size_t           ws;          /* workspace bytes */
    bool             chosen;
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
    st->plans = NULL;
    st->n_plans = st->cap_plans = 0;
}

static bool plan_describe(gl_cuda *st, gl_cuda_conv_plan *p)
{
    const genlab_conv_desc *d = &p->d;
    return cudnnCreateTensorDescriptor(&p->x) == CUDNN_STATUS_SUCCESS &&
           cudnnCreateTensorDescriptor(&p->y) == CUDNN_STATUS_SUCCESS &&
           cudnnCreateFilterDescriptor(&p->w) == CUDNN_STATUS_SUCCESS &&
           cudnnCreateConvolutionDescriptor(&p->conv) == CUDNN_STATUS_SUCCESS &&
           cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, (int)d->n,
                                      (int)d->cin, (int)d->h, (int)d->w) == CUDNN_STATUS_SUCCESS &&
           cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, (int)d->n,
                                      (int)d->cout, (int)d->ho, (int)d->wo) ==
               CUDNN_STATUS_SUCCESS &&
           cudnnSetFilter4dDescriptor(p->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, (int)d->cout,
                                      (int)(d->cin / d->groups), (int)d->kh, (int)d->kw) ==
               CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolution2dDescriptor(p->conv, (int)d->ph, (int)d->pw, (int)d->sh,
                                           (int)d->sw, (int)d->dh, (int)d->dw,
                                           CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT) ==
               CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolutionGroupCount(p->conv, (int)d->groups) == CUDNN_STATUS_SUCCESS &&
           cudnnSetConvolutionMathType(p->conv, st->tf32 ? CUDNN_DEFAULT_MATH
                                                         : CUDNN_FMA_MATH) ==
               CUDNN_STATUS_SUCCESS;
}

/* plan_get — the cached plan of (d, pass), or a new one with its
 * descriptors (algorithm not chosen yet); NULL when out of memory */
static gl_cuda_conv_plan *plan_get(gl_cuda *st, const genlab_conv_desc *d, conv_pass pass)
{
    for (size_t i = 0; i < st->n_plans; i++)
        if (st->plans[i].pass == pass && memcmp(&st->plans[i].d, d, sizeof *d) == 0)
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
    if (!plan_describe(st, p)) {
        plan_free(p);
        return NULL;
    }
    st->n_plans++;
    return p;
}

/* ---- algorithm choice ---- */

/* pick — the first usable result of a ranking (fastest first): succeeded,
 * within the workspace cap, and deterministic when the state asks for it */
#define PICK(perf, n, st, p)                                                            \
    do {                                                                                \
        for (int i_ = 0; i_ < (n); i_++) {                                              \
            if ((perf)[i_].status != CUDNN_STATUS_SUCCESS ||                            \
                (perf)[i_].memory > GL_CUDA_CONV_WS_MAX ||                              \
                ((st)->deterministic && (perf)[i_].determinism != CUDNN_DETERMINISTIC)) \
                continue;                                                               \
            (p)->algo = (int)(perf)[i_].algo;                                           \
            (p)->ws = (perf)[i_].memory;                                                \
            (p)->chosen = true;                                                         \
            break;                                                                      \
        }                                                                               \
    } while (0)

/* choose — fill p->algo and p->ws, measuring on a, b, out (out is
 * overwritten) unless the state is deterministic */
static bool choose(gl_cuda *st, gl_cuda_conv_plan *p, const float *a, const float *b,
                   float *out)
{
    int n = 0;
    void *ws = st->deterministic ? NULL : gl_cuda_workspace(st, GL_CUDA_CONV_WS_MAX);
    const size_t wsb = ws ? GL_CUDA_CONV_WS_MAX : 0;
    const bool find = !st->deterministic && ws;
    cudnnStatus_t s;
    switch (p->pass) {
    case PASS_FORWARD: {
        cudnnConvolutionFwdAlgoPerf_t perf[GL_CUDA_CONV_ALGOS];
        s = find ? cudnnFindConvolutionForwardAlgorithmEx(st->dnn, p->x, a, p->w, b, p->conv,
                                                          p->y, out, GL_CUDA_CONV_ALGOS, &n,
                                                          perf, ws, wsb)
                 : cudnnGetConvolutionForwardAlgorithm_v7(st->dnn, p->x, p->w, p->conv, p->y,
                                                          GL_CUDA_CONV_ALGOS, &n, perf);
        if (s == CUDNN_STATUS_SUCCESS)
            PICK(perf, n, st, p);
        break;
    }
    case PASS_DATA: {   /* a = gy, b = w, out = gx */
        cudnnConvolutionBwdDataAlgoPerf_t perf[GL_CUDA_CONV_ALGOS];
        s = find ? cudnnFindConvolutionBackwardDataAlgorithmEx(st->dnn, p->w, b, p->y, a,
                                                               p->conv, p->x, out,
                                                               GL_CUDA_CONV_ALGOS, &n, perf,
                                                               ws, wsb)
                 : cudnnGetConvolutionBackwardDataAlgorithm_v7(st->dnn, p->w, p->y, p->conv,
                                                               p->x, GL_CUDA_CONV_ALGOS, &n,
                                                               perf);
        if (s == CUDNN_STATUS_SUCCESS)
            PICK(perf, n, st, p);
        break;
    }
    case PASS_FILTER: {   /* a = x, b = gy, out = gw */
        cudnnConvolutionBwdFilterAlgoPerf_t perf[GL_CUDA_CONV_ALGOS];
        s = find ? cudnnFindConvolutionBackwardFilterAlgorithmEx(st->dnn, p->x, a, p->y, b,
                                                                 p->conv, p->w, out,
                                                                 GL_CUDA_CONV_ALGOS, &n, perf,
                                                                 ws, wsb)
                 : cudnnGetConvolutionBackwardFilterAlgorithm_v7(st->dnn, p->x, p->y, p->conv,
                                                                 p->w, GL_CUDA_CONV_ALGOS, &n,
                                                                 perf);
        if (s == CUDNN_STATUS_SUCCESS)
            PICK(perf, n, st, p);
        break;
    }
    }
    return p->chosen;
}

/* ---- the three passes ---- */

/* run — one pass: plan, algorithm (first time), workspace, call */
static void run(gl_cuda *st, const genlab_conv_desc *d, conv_pass pass, const float *a,
                const float *b, float *out)
{
    const float one = 1.0f, zero = 0.0f;
    gl_cuda_conv_plan *p = plan_get(st, d, pass);
    if (!p || (!p->chosen && !choose(st, p, a, b, out))) {
        gl_cuda_check(st, cudaErrorUnknown);
        return;
    }
    void *ws = p->ws ? gl_cuda_workspace(st, p->ws) : NULL;
    if (p->ws && !ws) {
        gl_cuda_check(st, cudaErrorMemoryAllocation);
        return;
    }
    cudnnStatus_t s = CUDNN_STATUS_SUCCESS;
    switch (pass) {
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
