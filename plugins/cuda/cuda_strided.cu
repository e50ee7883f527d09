/* SPDX-License-Identifier: MIT
 *
 * cuda_strided.cu — the CUDA backend's kernels over genlab_strided walks:
 * binary (broadcasting) arithmetic, copy (permute, expand, slice, pad,
 * concat) and the sum / max reductions.
 *
 * Reductions are deterministic: no atomics. Each output is computed by one
 * thread (many outputs) or one block (few outputs) in a fixed order, with a
 * double accumulator as on the CPU; a block's threads take fixed strides of
 * the reduced elements and combine their partial sums by a fixed tree. So a
 * result is the same bits on every run, and within rounding of the CPU's.
 *
 * Sections: walk offsets, binary and copy, reductions.
 */
#include <math.h>

#include "cuda_impl.h"

/* ---- walk offsets ---- */

/* The walk by value (a kernel parameter): shape and strides of each axis. */
struct walk {
    int     ndim;
    int64_t shape[GL_MAX_DIMS];
    int64_t d[GL_MAX_DIMS], a[GL_MAX_DIMS], b[GL_MAX_DIMS];
};

static walk walk_of(const genlab_strided *s)
{
    walk w;
    w.ndim = s->ndim;
    for (int k = 0; k < GL_MAX_DIMS; k++) {
        w.shape[k] = k < s->ndim ? s->shape[k] : 1;
        w.d[k] = s->dst_stride[k];
        w.a[k] = s->src_stride[k];
        w.b[k] = s->src2_stride[k];
    }
    return w;
}

static int64_t walk_numel(const genlab_strided *s)
{
    int64_t n = 1;
    for (int k = 0; k < s->ndim; k++)
        n *= s->shape[k];
    return n;
}

/* offsets of element i (row-major over shape) in dst and both sources; a
 * one-axis walk (what the ops' coalescing leaves of contiguous operands)
 * needs no division */
__device__ static void offsets(const walk &w, int64_t i, int64_t *od, int64_t *oa, int64_t *ob)
{
    if (w.ndim == 1) {
        *od = i * w.d[0];
        *oa = i * w.a[0];
        *ob = i * w.b[0];
        return;
    }
    int64_t d = 0, a = 0, b = 0;
    for (int k = w.ndim - 1; k >= 0; k--) {
        int64_t j = i % w.shape[k];
        i /= w.shape[k];
        d += j * w.d[k];
        a += j * w.a[k];
        b += j * w.b[k];
    }
    *od = d;
    *oa = a;
    *ob = b;
}

static unsigned blocks_for(int64_t n)
{
    int64_t b = (n + GL_CUDA_THREADS - 1) / GL_CUDA_THREADS;
    return (unsigned)(b < 1 ? 1 : b > GL_CUDA_MAX_BLOCKS ? GL_CUDA_MAX_BLOCKS : b);
}

/* ---- binary and copy ---- */

__global__ void k_binary(int kind, const float *a, const float *b, float *y, walk w, int64_t n)
{
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)blockDim.x * gridDim.x) {
        int64_t od, oa, ob;
        offsets(w, i, &od, &oa, &ob);
        float x = a[oa], z = b[ob], r;
        switch (kind) {
        case GL_BINARY_ADD: r = x + z; break;
        case GL_BINARY_SUB: r = x - z; break;
        case GL_BINARY_MUL: r = x * z; break;
        default:            r = x / z; break;
        }
        y[od] = r;
    }
}

__global__ void k_copy(const float *src, float *dst, walk w, int64_t n)
{
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)blockDim.x * gridDim.x) {
        int64_t od, os, unused;
        offsets(w, i, &od, &os, &unused);
        dst[od] = src[os];
    }
}

extern "C" void gl_cuda_binary(void *state, genlab_binary_kind kind, const float *a,
                               const float *b, float *y, const genlab_strided *s)
{
    gl_cuda *st = (gl_cuda *)state;
    const int64_t n = walk_numel(s);
    if (n <= 0)
        return;
    k_binary<<<blocks_for(n), GL_CUDA_THREADS, 0, st->stream>>>((int)kind, a, b, y, walk_of(s),
                                                                   n);
    gl_cuda_launched(st);
}

extern "C" void gl_cuda_copy(void *state, const float *src, float *dst, const genlab_strided *s)
{
    gl_cuda *st = (gl_cuda *)state;
    const int64_t n = walk_numel(s);
    if (n <= 0)
        return;
    k_copy<<<blocks_for(n), GL_CUDA_THREADS, 0, st->stream>>>(src, dst, walk_of(s), n);
    gl_cuda_launched(st);
}

/* ---- reductions ----
 * The plan splits the walk into kept axes (the outputs) and reduced axes
 * (dst stride 0, extent > 1), as the CPU's red_plan does. */

struct red_plan {
    int     nk, nr;
    int64_t kshape[GL_MAX_DIMS], ksrc[GL_MAX_DIMS], kdst[GL_MAX_DIMS];
    int64_t rshape[GL_MAX_DIMS], rsrc[GL_MAX_DIMS];
    int64_t n_out, n_red;
};

static red_plan plan_of(const genlab_strided *s)
{
    red_plan p = {};
    p.n_out = 1;
    p.n_red = 1;
    for (int k = 0; k < s->ndim; k++) {
        if (s->dst_stride[k] == 0 && s->shape[k] > 1) {
            p.rshape[p.nr] = s->shape[k];
            p.rsrc[p.nr++] = s->src_stride[k];
            p.n_red *= s->shape[k];
        } else {
            p.kshape[p.nk] = s->shape[k];
            p.ksrc[p.nk] = s->src_stride[k];
            p.kdst[p.nk++] = s->dst_stride[k];
            p.n_out *= s->shape[k];
        }
    }
    return p;
}

__device__ static void out_offsets(const red_plan &p, int64_t o, int64_t *os, int64_t *od)
{
    int64_t a = 0, b = 0;
    for (int k = p.nk - 1; k >= 0; k--) {
        int64_t i = o % p.kshape[k];
        o /= p.kshape[k];
        a += i * p.ksrc[k];
        b += i * p.kdst[k];
    }
    *os = a;
    *od = b;
}

/* source offset of the r-th reduced element (row-major over the reduced axes) */
__device__ static int64_t red_offset(const red_plan &p, int64_t r)
{
    int64_t off = 0;
    for (int k = p.nr - 1; k >= 0; k--) {
        off += (r % p.rshape[k]) * p.rsrc[k];
        r /= p.rshape[k];
    }
    return off;
}

__device__ static double combine(double acc, double v, bool is_max)
{
    return is_max ? fmax(acc, v) : acc + v;
}

__device__ static void store(float *dst, int64_t od, double v, bool is_max)
{
    dst[od] = is_max ? fmaxf(dst[od], (float)v) : dst[od] + (float)v;
}

/* many outputs: one thread each, the reduced elements in row-major order */
__global__ void k_reduce_thread(const float *src, float *dst, red_plan p, bool is_max)
{
    for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < p.n_out;
         o += (int64_t)blockDim.x * gridDim.x) {
        int64_t os, od;
        out_offsets(p, o, &os, &od);
        double acc = is_max ? -INFINITY : 0.0;
        for (int64_t r = 0; r < p.n_red; r++)
            acc = combine(acc, src[os + red_offset(p, r)], is_max);
        store(dst, od, acc, is_max);
    }
}

/* few outputs: one block each; thread t takes elements t, t + T, ...; the
 * partial results meet by a fixed tree */
__global__ void k_reduce_block(const float *src, float *dst, red_plan p, bool is_max)
{
    __shared__ double part[GL_CUDA_THREADS];
    for (int64_t o = blockIdx.x; o < p.n_out; o += gridDim.x) {
        int64_t os, od;
        out_offsets(p, o, &os, &od);
        double acc = is_max ? -INFINITY : 0.0;
        for (int64_t r = threadIdx.x; r < p.n_red; r += blockDim.x)
            acc = combine(acc, src[os + red_offset(p, r)], is_max);
        part[threadIdx.x] = acc;
        __syncthreads();
        for (int h = blockDim.x / 2; h > 0; h /= 2) {
            if ((int)threadIdx.x < h)
                part[threadIdx.x] = combine(part[threadIdx.x], part[threadIdx.x + h], is_max);
            __syncthreads();
        }
        if (threadIdx.x == 0)
            store(dst, od, part[0], is_max);
        __syncthreads();
    }
}

/* Below this many reduced elements per output a thread per output is
 * enough; above it, with few outputs, a block each keeps the device busy. */
#define GL_RED_BLOCK_MIN 1024
#define GL_RED_FEW_OUTPUTS 4096

static void reduce(void *state, const float *src, float *dst, const genlab_strided *s,
                   bool is_max)
{
    gl_cuda *st = (gl_cuda *)state;
    if (walk_numel(s) <= 0)
        return;
    red_plan p = plan_of(s);
    if (p.n_red >= GL_RED_BLOCK_MIN && p.n_out <= GL_RED_FEW_OUTPUTS) {
        unsigned nb = (unsigned)(p.n_out < GL_CUDA_MAX_BLOCKS ? p.n_out : GL_CUDA_MAX_BLOCKS);
        k_reduce_block<<<nb, GL_CUDA_THREADS, 0, st->stream>>>(src, dst, p, is_max);
    } else {
        k_reduce_thread<<<blocks_for(p.n_out), GL_CUDA_THREADS, 0, st->stream>>>(src, dst, p,
                                                                                 is_max);
    }
    gl_cuda_launched(st);
}

extern "C" void gl_cuda_reduce_sum(void *state, const float *src, float *dst,
                                   const genlab_strided *s)
{
    reduce(state, src, dst, s, false);
}

extern "C" void gl_cuda_reduce_max(void *state, const float *src, float *dst,
                                   const genlab_strided *s)
{
    reduce(state, src, dst, s, true);
}
