/* SPDX-License-Identifier: MIT
 *
 * cuda_norm.cu — the CUDA backend's fused group normalisation kernels
 * (backend.h's group_norm and group_norm_backward, for
 * genlab_group_norm_act): statistics, normalise, affine and an optional
 * SiLU in one kernel; the backward's gx, ggamma and gbeta with the SiLU's
 * derivative folded in, in two.
 *
 * One block per (n, group): its threads take elements t, t + T, ... of the
 * group and meet by a fixed tree (double accumulators), so every sum has
 * one order whatever the device or timing — deterministic, no atomics.
 * gamma's and beta's gradients are per-(n, channel) partials, summed over n
 * in order by a second kernel. The formulas are the CPU's
 * (libgenlab/cpu/cpu_norm.c); CUDA's expf differs from the CPU's
 * vectorised exp by a few ulps, and the summation trees differ, so the two
 * agree to rounding (tests/test_backend_ops.c states the tolerance).
 *
 * Sections: block sums, forward, backward, entry points.
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

/* ---- forward ---- */

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

/* ---- backward ---- */

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

/* ---- entry points ---- */

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
