/* SPDX-License-Identifier: MIT
 *
 * cuda_norm.cu — the CUDA backend's fused normalisation kernels. Group
 * norm (backend.h's group_norm and group_norm_backward, for
 * genlab_group_norm_act): statistics, normalise, affine and an optional
 * SiLU in one kernel; the backward's gx, ggamma and gbeta with the SiLU's
 * derivative folded in, in two. Batch norm in training mode (batch_norm
 * and batch_norm_backward, for genlab_batch_norm): two kernels each way.
 *
 * Group norm runs one block per (n, group): its threads take elements t,
 * t + T, ... of the group and meet by a fixed tree (double accumulators),
 * so every sum has one order whatever the device or timing —
 * deterministic, no atomics. gamma's and beta's gradients are
 * per-(n, channel) partials, summed over n in order by a second kernel.
 * Batch norm's channels are long (n s values) and few (64-512), so one
 * block per channel would leave most of a GPU idle: each channel is cut
 * into a number of chunks fixed by the shape alone, one block each, whose
 * fixed-tree sums go to partials; the second kernel's blocks (the same
 * grid) each add their channel's partials in chunk order — the same bits
 * in every block — and write their chunk of y (or gx). The formulas are
 * the CPU's (libgenlab/cpu/cpu_norm.c); CUDA's expf differs from the CPU's
 * vectorised exp by a few ulps, and the summation trees differ, so the two
 * agree to rounding (tests/test_backend_ops.c states the tolerance).
 *
 * Sections: block sums, group norm forward, group norm backward, group
 * norm entry points, batch norm.
 */
#include "cuda_impl.h"

/* ---- block sums ---- */

/* block_sum2 — the block's sums of a and b (every thread gets them): a
 * fixed tree over GL_CUDA_THREADS slots. tree: 2 GL_CUDA_THREADS doubles of
 * shared memory, free again on return. */
__device__ static void block_sum2(double *tree, double *a, double *b)
{
    const int t = threadIdx.x;
    tree[t] = *a;
    tree[GL_CUDA_THREADS + t] = *b;
    __syncthreads();
    for (int h = GL_CUDA_THREADS / 2; h > 0; h /= 2) {
        if (t < h) {
            tree[t] += tree[t + h];
            tree[GL_CUDA_THREADS + t] += tree[GL_CUDA_THREADS + t + h];
        }
        __syncthreads();
    }
    *a = tree[0];
    *b = tree[GL_CUDA_THREADS];
    __syncthreads();
}

__device__ static float sigmoid(float z) { return 1.0f / (1.0f + expf(-z)); }

/* ---- group norm forward ---- */

/* block b = (n, g) of m = cg s contiguous elements from x + b m */
__global__ void k_gn_forward(genlab_norm_desc d, const float *x, const float *gamma,
                             const float *beta, float *y, float *mean, float *rstd)
{
    __shared__ double tree[2 * GL_CUDA_THREADS];
    const int64_t b = blockIdx.x, cg = d.c / d.groups, m = cg * d.s;
    const int64_t c0 = (b % d.groups) * cg;
    const float *xb = x + b * m;
    float *yb = y + b * m;
    /* one pass: sums of x and x^2 in double, as the CPU */
    double sum = 0.0, sq = 0.0;
    for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
        double v = xb[j];
        sum += v;
        sq += v * v;
    }
    block_sum2(tree, &sum, &sq);
    const double mu = sum / (double)m, var = fmax(sq / (double)m - mu * mu, 0.0);
    const float fmu = (float)mu, r = (float)(1.0 / sqrt(var + d.eps));
    if (threadIdx.x == 0) {
        mean[b] = fmu;
        rstd[b] = r;
    }
    for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
        const int64_t c = c0 + j / d.s;
        const float sc = gamma ? r * gamma[c] : r, sh = beta ? beta[c] : 0.0f;
        float z = (xb[j] - fmu) * sc + sh;
        yb[j] = d.act == 1 ? z * sigmoid(z) : z;
    }
}

/* ---- group norm backward ---- */

/* block b = (n, g): per channel, gz = gy act'(z) into gx and the sums of gz
 * and gz xhat (the (n, c) partials); then gx = rstd (gz gamma - A - xhat B)
 * with A, B the group's means of gz gamma and gz gamma xhat */
__global__ void k_gn_backward(genlab_norm_desc d, const float *x, const float *gamma,
                              const float *beta, const float *mean, const float *rstd,
                              const float *gy, float *gx, float *part_b, float *part_g)
{
    __shared__ double tree[2 * GL_CUDA_THREADS];
    const int64_t b = blockIdx.x, cg = d.c / d.groups, m = cg * d.s;
    const int64_t c0 = (b % d.groups) * cg, n = b / d.groups;
    const float mu = mean[b], r = rstd[b];
    double a = 0.0, bsum = 0.0;
    for (int64_t k = 0; k < cg; k++) {
        const int64_t c = c0 + k;
        const float g = gamma ? gamma[c] : 1.0f, sh = beta ? beta[c] : 0.0f;
        const int64_t off = b * m + k * d.s;
        double sb = 0.0, sg = 0.0;
        for (int64_t j = threadIdx.x; j < d.s; j += blockDim.x) {
            float xh = (x[off + j] - mu) * r, gz = gy[off + j];
            if (d.act == 1) {
                float z = xh * g + sh, s = sigmoid(z);
                gz *= s * (1.0f + z * (1.0f - s));
            }
            gx[off + j] = gz;
            sb += gz;
            sg += gz * xh;
        }
        block_sum2(tree, &sb, &sg);
        if (threadIdx.x == 0) {
            part_b[n * d.c + c] = (float)sb;
            part_g[n * d.c + c] = (float)sg;
        }
        a += g * sb;
        bsum += g * sg;
    }
    const float fa = (float)(a / (double)m), fb = (float)(bsum / (double)m);
    /* each thread rewrites only the gx elements it wrote above */
    for (int64_t k = 0; k < cg; k++) {
        const float g = gamma ? gamma[c0 + k] : 1.0f;
        const int64_t off = b * m + k * d.s;
        for (int64_t j = threadIdx.x; j < d.s; j += blockDim.x) {
            float xh = (x[off + j] - mu) * r;
            gx[off + j] = r * (gx[off + j] * g - fa - xh * fb);
        }
    }
}

/* one thread per channel: the partials summed over n in order */
__global__ void k_gn_params(genlab_norm_desc d, const float *part_b, const float *part_g,
                            float *ggamma, float *gbeta)
{
    for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < d.c;
         c += (int64_t)blockDim.x * gridDim.x) {
        double sb = 0.0, sg = 0.0;
        for (int64_t i = 0; i < d.n; i++) {
            sb += part_b[i * d.c + c];
            sg += part_g[i * d.c + c];
        }
        if (gbeta)
            gbeta[c] = (float)sb;
        if (ggamma)
            ggamma[c] = (float)sg;
    }
}

/* ---- group norm entry points ---- */

extern "C" void gl_cuda_group_norm(void *state, const genlab_norm_desc *d, const float *x,
                                   const float *gamma, const float *beta, float *y, float *mean,
                                   float *rstd)
{
    gl_cuda *st = (gl_cuda *)state;
    const int64_t blocks = d->n * d->groups;
    if (blocks <= 0 || d->c * d->s <= 0)
        return;
    k_gn_forward<<<(unsigned)blocks, GL_CUDA_THREADS, 0, st->stream>>>(*d, x, gamma, beta, y,
                                                                       mean, rstd);
    gl_cuda_launched(st);
}

extern "C" void gl_cuda_group_norm_backward(void *state, const genlab_norm_desc *d,
                                            const float *x, const float *gamma,
                                            const float *beta, const float *mean,
                                            const float *rstd, const float *gy, float *gx,
                                            float *ggamma, float *gbeta, float *work)
{
    gl_cuda *st = (gl_cuda *)state;
    const int64_t blocks = d->n * d->groups;
    if (blocks <= 0 || d->c * d->s <= 0)
        return;
    float *part_b = work, *part_g = work + d->n * d->c;
    k_gn_backward<<<(unsigned)blocks, GL_CUDA_THREADS, 0, st->stream>>>(
        *d, x, gamma, beta, mean, rstd, gy, gx, part_b, part_g);
    gl_cuda_launched(st);
    if (!ggamma && !gbeta)
        return;
    k_gn_params<<<gl_cuda_blocks(st, d->c), GL_CUDA_THREADS, 0, st->stream>>>(*d, part_b, part_g,
                                                                             ggamma, gbeta);
    gl_cuda_launched(st);
}

/* ---- batch norm ---- */

/* The chunking of a channel's m = n s values: a chunk has at least
 * GL_BN_CHUNK_MIN of them (8 per thread, so a block's start-up is
 * amortised), and there are chunks enough for about GL_BN_BLOCKS blocks in
 * all (several per SM of any current device). Constants: the chunking,
 * hence the rounding, depends on the shape only. */
#define GL_BN_CHUNK_MIN 2048
#define GL_BN_BLOCKS 1024

static int64_t bn_chunks(const genlab_norm_desc *d)
{
    const int64_t m = d->n * d->s;
    const int64_t by_len = (m + GL_BN_CHUNK_MIN - 1) / GL_BN_CHUNK_MIN;
    const int64_t by_blocks = (GL_BN_BLOCKS + d->c - 1) / d->c;
    const int64_t k = by_len < by_blocks ? by_len : by_blocks;
    return k < 1 ? 1 : k;
}

/* bn_walk — f(offset in x) for this thread's values of chunk blockIdx.y
 * of channel blockIdx.x: the chunk is values [r0, r0 + len) of the
 * channel's m (r0 = blockIdx.y len), value r at row r / s and position
 * r % s; thread t takes r0 + t, r0 + t + T, ..., stepping row and
 * position without a division per value */
template <typename F>
__device__ static void bn_walk(const genlab_norm_desc &d, int64_t len, F f)
{
    const int64_t m = d.n * d.s, T = blockDim.x, dq = T / d.s, dr = T % d.s;
    const int64_t r0 = (int64_t)blockIdx.y * len, r1 = r0 + len < m ? r0 + len : m;
    const int64_t base = (int64_t)blockIdx.x * d.s, cs = d.c * d.s;
    int64_t r = r0 + threadIdx.x;
    if (r >= r1)
        return;
    int64_t i = r / d.s, j = r % d.s;
    for (; r < r1; r += T) {
        f(i * cs + base + j);
        i += dq;
        j += dr;
        if (j >= d.s) {
            j -= d.s;
            i++;
        }
    }
}

/* bn_chunk_sums — the block's chunk's sums, met by the fixed tree: of x
 * and x^2 (gy NULL), else of gy and gy xhat, xhat = (x - mu) r */
__device__ static void bn_chunk_sums(const genlab_norm_desc &d, int64_t len, const float *x,
                                     const float *gy, float mu, float r, double *tree,
                                     double *a, double *b)
{
    double sa = 0.0, sb = 0.0;
    if (gy)
        bn_walk(d, len, [&](int64_t o) {
            float xh = (x[o] - mu) * r;
            sa += gy[o];
            sb += gy[o] * xh;
        });
    else
        bn_walk(d, len, [&](int64_t o) {
            double v = x[o];
            sa += v;
            sb += v * v;
        });
    block_sum2(tree, &sa, &sb);
    *a = sa;
    *b = sb;
}

/* bn_channel_sums — channel blockIdx.x's two sums: its chunks' partials
 * (part: an (a, b) pair per chunk, the channel's chunks in a row) added in
 * chunk order by the block's thread 0 (the same bits in every block of
 * the channel), or with one chunk (part NULL) the block's own sums.
 * tree: as block_sum2's. */
__device__ static void bn_channel_sums(const genlab_norm_desc &d, int64_t len,
                                       const double *part, int64_t chunks, const float *x,
                                       const float *gy, float mu, float r, double *tree,
                                       double *a, double *b)
{
    if (!part) {
        bn_chunk_sums(d, len, x, gy, mu, r, tree, a, b);
        return;
    }
    if (threadIdx.x == 0) {
        const double *p = part + 2 * (int64_t)blockIdx.x * chunks;
        double sa = 0.0, sb = 0.0;
        for (int64_t k = 0; k < chunks; k++) {
            sa += p[2 * k];
            sb += p[2 * k + 1];
        }
        tree[0] = sa;
        tree[1] = sb;
    }
    __syncthreads();
    *a = tree[0];
    *b = tree[1];
}

/* pass 1 (chunks > 1): block (channel, chunk)'s sums into part — of x and
 * x^2 for the forward (gy NULL), of gy and gy xhat for the backward */
__global__ void k_bn_sums(genlab_norm_desc d, int64_t len, const float *x, const float *gy,
                          const float *mean, const float *rstd, double *part)
{
    __shared__ double tree[2 * GL_CUDA_THREADS];
    const int64_t c = blockIdx.x;
    double a, b;
    bn_chunk_sums(d, len, x, gy, gy ? mean[c] : 0.0f, gy ? rstd[c] : 0.0f, tree, &a, &b);
    if (threadIdx.x == 0) {
        double *p = part + 2 * (c * gridDim.y + blockIdx.y);
        p[0] = a;
        p[1] = b;
    }
}

/* forward pass 2: the channel's mean and rstd (as the CPU: one pass,
 * E[x^2] - E[x]^2 in double), written by its first chunk's block, then the
 * block's chunk of y */
__global__ void k_bn_forward(genlab_norm_desc d, int64_t len, const double *part,
                             const float *x, const float *gamma, const float *beta, float *y,
                             float *mean, float *rstd)
{
    __shared__ double tree[2 * GL_CUDA_THREADS];
    const int64_t c = blockIdx.x, m = d.n * d.s;
    double sum, sq;
    bn_channel_sums(d, len, part, gridDim.y, x, NULL, 0.0f, 0.0f, tree, &sum, &sq);
    const double mu = sum / (double)m, var = fmax(sq / (double)m - mu * mu, 0.0);
    const float fmu = (float)mu, r = (float)(1.0 / sqrt(var + d.eps));
    if (blockIdx.y == 0 && threadIdx.x == 0) {
        mean[c] = fmu;
        rstd[c] = r;
    }
    const float sc = gamma ? r * gamma[c] : r, sh = beta ? beta[c] : 0.0f;
    bn_walk(d, len, [&](int64_t o) { y[o] = (x[o] - fmu) * sc + sh; });
}

/* backward pass 2: the channel's sums of gy and gy xhat (gbeta, ggamma,
 * written by its first chunk's block), then the block's chunk of
 * gx = rstd (gy gamma - A - xhat B), A and B the channel's means of
 * gy gamma and gy gamma xhat */
__global__ void k_bn_backward(genlab_norm_desc d, int64_t len, const double *part,
                              const float *x, const float *gamma, const float *mean,
                              const float *rstd, const float *gy, float *gx, float *ggamma,
                              float *gbeta)
{
    __shared__ double tree[2 * GL_CUDA_THREADS];
    const int64_t c = blockIdx.x, m = d.n * d.s;
    const float mu = mean[c], r = rstd[c], g = gamma ? gamma[c] : 1.0f;
    double sb, sg;
    bn_channel_sums(d, len, part, gridDim.y, x, gy, mu, r, tree, &sb, &sg);
    if (blockIdx.y == 0 && threadIdx.x == 0) {
        if (gbeta)
            gbeta[c] = (float)sb;
        if (ggamma)
            ggamma[c] = (float)sg;
    }
    const float fa = (float)(g * sb / (double)m), fb = (float)(g * sg / (double)m);
    bn_walk(d, len, [&](int64_t o) {
        float xh = (x[o] - mu) * r;
        gx[o] = r * (gy[o] * g - fa - xh * fb);
    });
}

/* bn_plan — the grid (channels, chunks), each chunk's length, and the
 * partials of pass 1 (NULL with one chunk; also when there is no memory
 * for them, then one chunk — another rounding, as cuda_strided.cu's
 * reductions do). The caller puts *part back after its launches: stream
 * order keeps it alive for them. */
static dim3 bn_plan(gl_cuda *st, const genlab_norm_desc *d, int64_t *len, double **part)
{
    int64_t chunks = bn_chunks(d);
    *part = chunks > 1 ? (double *)gl_cuda_alloc_get(
                             st, (size_t)(2 * d->c * chunks) * sizeof(double))
                       : NULL;
    if (!*part)
        chunks = 1;
    const int64_t m = d->n * d->s;
    *len = (m + chunks - 1) / chunks;
    return dim3((unsigned)d->c, (unsigned)chunks);
}

extern "C" void gl_cuda_batch_norm(void *state, const genlab_norm_desc *d, const float *x,
                                   const float *gamma, const float *beta, float *y, float *mean,
                                   float *rstd)
{
    gl_cuda *st = (gl_cuda *)state;
    if (d->c <= 0 || d->n * d->s <= 0)
        return;
    int64_t len;
    double *part;
    const dim3 grid = bn_plan(st, d, &len, &part);
    if (part) {
        k_bn_sums<<<grid, GL_CUDA_THREADS, 0, st->stream>>>(*d, len, x, NULL, NULL, NULL, part);
        gl_cuda_launched(st);
    }
    k_bn_forward<<<grid, GL_CUDA_THREADS, 0, st->stream>>>(*d, len, part, x, gamma, beta, y,
                                                           mean, rstd);
    gl_cuda_launched(st);
    gl_cuda_alloc_put(st, part);
}

extern "C" void gl_cuda_batch_norm_backward(void *state, const genlab_norm_desc *d,
                                            const float *x, const float *gamma,
                                            const float *mean, const float *rstd,
                                            const float *gy, float *gx, float *ggamma,
                                            float *gbeta)
{
    gl_cuda *st = (gl_cuda *)state;
    if (d->c <= 0 || d->n * d->s <= 0)
        return;
    int64_t len;
    double *part;
    const dim3 grid = bn_plan(st, d, &len, &part);
    if (part) {
        k_bn_sums<<<grid, GL_CUDA_THREADS, 0, st->stream>>>(*d, len, x, gy, mean, rstd, part);
        gl_cuda_launched(st);
    }
    k_bn_backward<<<grid, GL_CUDA_THREADS, 0, st->stream>>>(*d, len, part, x, gamma, mean, rstd,
                                                            gy, gx, ggamma, gbeta);
    gl_cuda_launched(st);
    gl_cuda_alloc_put(st, part);
}
