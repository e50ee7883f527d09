/* SPDX-License-Identifier: MIT
 *
 * cuda_strided.cu — the CUDA backend's kernels over genlab_strided walks:
 * binary (broadcasting) arithmetic, copy (permute, expand, slice, pad,
 * concat) and the sum / max reductions.
 *
 * Reductions are deterministic: no atomics. Each output is computed by one
 * thread (many outputs) or, when outputs are few and long, in two passes: a
 * fixed number of chunks per output (a function of the shape only), one
 * block each, whose threads take fixed strides of the chunk and combine by
 * a fixed tree; then one thread per output sums its chunks in order. Double
 * accumulators as on the CPU. So a result is the same bits on every run
 * (and device), and within rounding of the CPU's.
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

/* source offset of the r-th reduced element (row-major over the reduced
 * axes); one axis needs no division, and a reduced extent below 2^31 is
 * divided in 32 bits (the 64-bit division is a long instruction sequence) */
__device__ static int64_t red_offset(const red_plan &p, int64_t r)
{
    if (p.nr == 1)
        return r * p.rsrc[0];
    int64_t off = 0;
    if (p.n_red <= INT32_MAX) {
        uint32_t q = (uint32_t)r;
        for (int k = p.nr - 1; k >= 0; k--) {
            off += (int64_t)(q % (uint32_t)p.rshape[k]) * p.rsrc[k];
            q /= (uint32_t)p.rshape[k];
        }
        return off;
    }
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

/* few outputs, long reductions: block (c, o) reduces chunk c of output o
 * (reduced elements [c len, (c + 1) len)); thread t takes elements t, t + T,
 * ... of the chunk and the threads' results meet by a fixed tree. With one
 * chunk the block stores the output; else it writes the partial
 * part[o chunks + c], which k_reduce_partials sums in chunk order. */
__global__ void k_reduce_chunk(const float *src, float *dst, double *part, red_plan p,
                               int64_t chunks, int64_t len, bool is_max)
{
    __shared__ double tree[GL_CUDA_THREADS];
    const int64_t o = blockIdx.y, c = blockIdx.x;
    const int64_t r0 = c * len, r1 = r0 + len < p.n_red ? r0 + len : p.n_red;
    int64_t os, od;
    out_offsets(p, o, &os, &od);
    double acc = is_max ? -INFINITY : 0.0;
    for (int64_t r = r0 + threadIdx.x; r < r1; r += blockDim.x)
        acc = combine(acc, src[os + red_offset(p, r)], is_max);
    tree[threadIdx.x] = acc;
    __syncthreads();
    for (int h = blockDim.x / 2; h > 0; h /= 2) {
        if ((int)threadIdx.x < h)
            tree[threadIdx.x] = combine(tree[threadIdx.x], tree[threadIdx.x + h], is_max);
        __syncthreads();
    }
    if (threadIdx.x != 0)
        return;
    if (part)
        part[o * chunks + c] = tree[0];
    else
        store(dst, od, tree[0], is_max);
}

/* pass 2 of a chunked reduction: one thread per output, chunks in order */
__global__ void k_reduce_partials(float *dst, const double *part, red_plan p, int64_t chunks,
                                  bool is_max)
{
    for (int64_t o = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; o < p.n_out;
         o += (int64_t)blockDim.x * gridDim.x) {
        int64_t os, od;
        out_offsets(p, o, &os, &od);
        double acc = is_max ? -INFINITY : 0.0;
        for (int64_t c = 0; c < chunks; c++)
            acc = combine(acc, part[o * chunks + c], is_max);
        store(dst, od, acc, is_max);
    }
}

/* Below this many reduced elements per output a thread per output is
 * enough; above it, with few outputs, blocks share each output. */
#define GL_RED_BLOCK_MIN 1024
#define GL_RED_FEW_OUTPUTS 4096
/* The chunking of a shared output: a chunk has at least GL_RED_CHUNK_MIN
 * elements (8 per thread: a block's start-up is amortised), and there are
 * chunks enough for about GL_RED_BLOCKS blocks in all (several per SM of
 * any current device, so BatchNorm's 64-512 channel statistics fill the
 * card). Both are constants: the chunking, hence the rounding, depends on
 * the shape only, never on the device or on timing. */
#define GL_RED_CHUNK_MIN 2048
#define GL_RED_BLOCKS 1024

/* chunks_for — how many chunks each of p's outputs is cut into */
static int64_t chunks_for(const red_plan &p)
{
    int64_t by_len = (p.n_red + GL_RED_CHUNK_MIN - 1) / GL_RED_CHUNK_MIN;
    int64_t by_blocks = (GL_RED_BLOCKS + p.n_out - 1) / p.n_out;
    int64_t c = by_len < by_blocks ? by_len : by_blocks;
    return c < 1 ? 1 : c;
}

static void reduce(void *state, const float *src, float *dst, const genlab_strided *s,
                   bool is_max)
{
    gl_cuda *st = (gl_cuda *)state;
    if (walk_numel(s) <= 0)
        return;
    red_plan p = plan_of(s);
    if (p.n_red < GL_RED_BLOCK_MIN || p.n_out > GL_RED_FEW_OUTPUTS) {
        k_reduce_thread<<<blocks_for(p.n_out), GL_CUDA_THREADS, 0, st->stream>>>(src, dst, p,
                                                                                 is_max);
        gl_cuda_launched(st);
        return;
    }
    int64_t chunks = chunks_for(p);
    /* the partials live only between the two launches on this stream, so
     * the block goes back to the cache at once (stream order protects it);
     * without memory for them, one block per output (other rounding) */
    double *part = chunks > 1 ? (double *)gl_cuda_alloc_get(
                                    st, (size_t)(p.n_out * chunks) * sizeof(double))
                              : NULL;
    if (!part)
        chunks = 1;
    const int64_t len = (p.n_red + chunks - 1) / chunks;
    dim3 grid((unsigned)chunks, (unsigned)p.n_out);
    k_reduce_chunk<<<grid, GL_CUDA_THREADS, 0, st->stream>>>(src, dst, part, p, chunks, len,
                                                            is_max);
    gl_cuda_launched(st);
    if (!part)
        return;
    k_reduce_partials<<<blocks_for(p.n_out), GL_CUDA_THREADS, 0, st->stream>>>(dst, part, p,
                                                                              chunks, is_max);
    gl_cuda_launched(st);
    gl_cuda_alloc_put(st, part);
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
