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
 * Elementwise walks avoid what made them slow: a walk that collapsed to one
 * contiguous axis goes by float4 without index arithmetic, and any walk
 * whose offsets fit 32 bits divides in 32 bits.
 *
 * Sections: walk offsets, binary and copy, reductions.
 */
#include <math.h>

#include "cuda_impl.h"

/* ---- walk offsets ---- */

/* The walk by value (a kernel parameter): shape and strides of each axis,
 * in I = int32_t when every offset fits (32-bit division is several times
 * cheaper than 64-bit), else int64_t. */
template <typename I> struct walk_t {
    int ndim;
    I   shape[GL_MAX_DIMS];
    I   d[GL_MAX_DIMS], a[GL_MAX_DIMS], b[GL_MAX_DIMS];
};

/* walk_of — s as a kernel parameter; two: s has a second source (else its
 * src2 strides are not read) */
template <typename I> static walk_t<I> walk_of(const genlab_strided *s, bool two)
{
    walk_t<I> w;
    w.ndim = s->ndim;
    for (int k = 0; k < GL_MAX_DIMS; k++) {
        w.shape[k] = (I)(k < s->ndim ? s->shape[k] : 1);
        w.d[k] = (I)s->dst_stride[k];
        w.a[k] = (I)s->src_stride[k];
        w.b[k] = (I)(two ? s->src2_stride[k] : 0);
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

/* fits32 — every index and every operand's offset below 2^31 */
static bool fits32(const genlab_strided *s, bool two)
{
    if (walk_numel(s) > INT32_MAX)
        return false;
    const int64_t *strides[3] = {s->dst_stride, s->src_stride, s->src2_stride};
    for (int o = 0; o < (two ? 3 : 2); o++) {
        int64_t span = 0;
        for (int k = 0; k < s->ndim; k++) {
            int64_t st = strides[o][k] < 0 ? -strides[o][k] : strides[o][k];
            if (st > INT32_MAX)
                return false;
            span += (s->shape[k] - 1) * st;
            if (span > INT32_MAX)
                return false;
        }
    }
    return true;
}

/* collapse — s without its extent-1 axes and with each pair of adjacent
 * axes merged where every operand steps over them as over one axis (outer
 * stride = inner stride x inner extent): the same elements in the same
 * order, in as few axes as possible (a contiguous walk becomes one axis) */
static genlab_strided collapse(const genlab_strided *s, bool two)
{
    genlab_strided c = {};
    for (int k = 0; k < s->ndim; k++) {
        if (s->shape[k] == 1)
            continue;
        const int j = c.ndim - 1;
        if (j >= 0 && c.dst_stride[j] == s->dst_stride[k] * s->shape[k] &&
            c.src_stride[j] == s->src_stride[k] * s->shape[k] &&
            (!two || c.src2_stride[j] == s->src2_stride[k] * s->shape[k])) {
            c.shape[j] *= s->shape[k];
        } else {
            c.shape[c.ndim++] = s->shape[k];
        }
        c.dst_stride[c.ndim - 1] = s->dst_stride[k];
        c.src_stride[c.ndim - 1] = s->src_stride[k];
        c.src2_stride[c.ndim - 1] = two ? s->src2_stride[k] : 0;
    }
    if (c.ndim == 0) {   /* one element */
        c.ndim = 1;
        c.shape[0] = 1;
    }
    return c;
}

/* offsets of element i (row-major over shape) in dst and both sources; a
 * one-axis walk needs no division */
template <typename I>
__device__ static void offsets(const walk_t<I> &w, I i, I *od, I *oa, I *ob)
{
    if (w.ndim == 1) {
        *od = i * w.d[0];
        *oa = i * w.a[0];
        *ob = i * w.b[0];
        return;
    }
    I d = 0, a = 0, b = 0;
    for (int k = w.ndim - 1; k >= 0; k--) {
        I j = i % w.shape[k];
        i /= w.shape[k];
        d += j * w.d[k];
        a += j * w.a[k];
        b += j * w.b[k];
    }
    *od = d;
    *oa = a;
    *ob = b;
}

/* ---- binary and copy ----
 * One pair of kernels serves both: copy is the kind KIND_COPY (y = a, the
 * second source unread). A walk that collapsed to one contiguous axis
 * (dst stride 1, each source stride 1 or 0: a scalar) takes k_flat, with
 * float4 loads and stores when aligned; any other walk takes k_walk. */

#define KIND_COPY (-1)

__device__ static float binop(int kind, float x, float z)
{
    switch (kind) {
    case GL_BINARY_ADD: return x + z;
    case GL_BINARY_SUB: return x - z;
    case GL_BINARY_MUL: return x * z;
    default:            return x / z;
    }
}

template <typename I>
__global__ void k_walk(int kind, const float *a, const float *b, float *y, walk_t<I> w,
                       int64_t n)
{
    GL_CUDA_GRID_STRIDE(i, n) {
        I od, oa, ob;
        offsets<I>(w, (I)i, &od, &oa, &ob);
        y[od] = kind == KIND_COPY ? a[oa] : binop(kind, a[oa], b[ob]);
    }
}

/* four consecutive elements of p from float4 group i, or p[0] four times
 * (stride 0) */
__device__ static float4 load4(const float *p, int64_t stride, int64_t i)
{
    if (stride == 0)
        return make_float4(p[0], p[0], p[0], p[0]);
    return reinterpret_cast<const float4 *>(p)[i];
}

/* y[i] = a[i sa] (op) b[i sb], sa and sb 0 or 1; vec: the float4 groups
 * first (y, and each source of stride 1, 16-byte aligned), then the tail */
__global__ void k_flat(int kind, const float *a, int64_t sa, const float *b, int64_t sb,
                       float *y, int64_t n, bool vec)
{
    const int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    int64_t tail = 0;
    if (vec) {
        const int64_t n4 = n / 4;
        for (int64_t i = t; i < n4; i += step) {
            float4 x = load4(a, sa, i);
            if (kind != KIND_COPY) {
                float4 z = load4(b, sb, i);
                x = make_float4(binop(kind, x.x, z.x), binop(kind, x.y, z.y),
                                binop(kind, x.z, z.z), binop(kind, x.w, z.w));
            }
            reinterpret_cast<float4 *>(y)[i] = x;
        }
        tail = 4 * n4;
    }
    for (int64_t i = tail + t; i < n; i += step)
        y[i] = kind == KIND_COPY ? a[i * sa] : binop(kind, a[i * sa], b[i * sb]);
}

static bool aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

/* walk_launch — y = a (kind) b over s, or the copy y = a when b is NULL */
static void walk_launch(gl_cuda *st, int kind, const float *a, const float *b, float *y,
                        const genlab_strided *walk)
{
    const int64_t n = walk_numel(walk);
    if (n <= 0)
        return;
    const bool two = b != NULL;
    const genlab_strided c = collapse(walk, two), *s = &c;
    const int64_t sa = s->ndim == 1 ? s->src_stride[0] : -1;
    const int64_t sb = two ? (s->ndim == 1 ? s->src2_stride[0] : -1) : 0;
    if (s->ndim == 1 && s->dst_stride[0] == 1 && (sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
        const bool vec = aligned16(y) && (sa == 0 || aligned16(a)) && (sb == 0 || aligned16(b));
        k_flat<<<gl_cuda_blocks(st, vec ? (n + 3) / 4 : n), GL_CUDA_THREADS, 0, st->stream>>>(
            kind, a, sa, two ? b : a, sb, y, n, vec);
    } else if (fits32(s, two)) {
        k_walk<int32_t><<<gl_cuda_blocks(st, n), GL_CUDA_THREADS, 0, st->stream>>>(
            kind, a, two ? b : a, y, walk_of<int32_t>(s, two), n);
    } else {
        k_walk<int64_t><<<gl_cuda_blocks(st, n), GL_CUDA_THREADS, 0, st->stream>>>(
            kind, a, two ? b : a, y, walk_of<int64_t>(s, two), n);
    }
    gl_cuda_launched(st);
}

extern "C" void gl_cuda_binary(void *state, genlab_binary_kind kind, const float *a,
                               const float *b, float *y, const genlab_strided *s)
{
    walk_launch((gl_cuda *)state, (int)kind, a, b, y, s);
}

extern "C" void gl_cuda_copy(void *state, const float *src, float *dst, const genlab_strided *s)
{
    walk_launch((gl_cuda *)state, KIND_COPY, src, NULL, dst, s);
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
        k_reduce_thread<<<gl_cuda_blocks(st, p.n_out), GL_CUDA_THREADS, 0, st->stream>>>(src, dst, p,
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
    k_reduce_partials<<<gl_cuda_blocks(st, p.n_out), GL_CUDA_THREADS, 0, st->stream>>>(dst, part, p,
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
