/* SPDX-License-Identifier: MIT
 *
 * cpu_norm.c — the CPU backend's fused group normalisation kernels: the
 * forward (statistics, normalise, affine and an optional SiLU, one write of
 * y) and the backward (gx, ggamma, gbeta with the SiLU's derivative folded
 * in), for genlab_group_norm_act (ops_norm.c).
 *
 * Work is split over (n, group) blocks, each one thread's from start to
 * end: a block's sums run in one fixed order (double accumulators), and
 * gamma's and beta's gradients are per-(n, channel) partials summed over n
 * in order afterwards, so the bits do not depend on the thread count.
 *
 * Not here: the composition used while a backward is itself recorded
 * (ops_norm.c), the CUDA kernels (plugins/cuda/cuda_norm.cu).
 *
 * Sections: SiLU, forward, backward.
 */
#include <math.h>

#include "cpu.h"
#include "genlab/ops.h"

/* Below this many elements a kernel runs on one thread: forking costs more. */
#define GL_NORM_PAR_MIN 32768

/* ---- SiLU ---- */

/* sigmoid via gl_cpu_expf of -|z| (in (0, 1], no overflow): the loop
 * vectorises, unlike one calling libm's expf */
static inline float sigmoidf(float z)
{
    float t = gl_cpu_expf(-fabsf(z));
    float p = 1.0f / (1.0f + t);
    return z >= 0.0f ? p : t * p;
}

/* ---- forward ---- */

/* one (n, g) block of m = channels * s contiguous floats from xb: mean and
 * rstd in one pass (sums of x and x^2 in double: E[x^2] - E[x]^2 cancels
 * only where the mean exceeds the spread by ~10^6, far beyond activations),
 * then y */
static void gn_forward_block(const genlab_norm_desc *d, const float *xb, const float *gamma,
                             const float *beta, float *yb, float *mean, float *rstd)
{
    const int64_t cg = d->c / d->groups, m = cg * d->s;
    double sum = 0.0, sq = 0.0;
#pragma omp simd reduction(+ : sum, sq)
    for (int64_t j = 0; j < m; j++) {
        double v = xb[j];
        sum += v;
        sq += v * v;
    }
    const double mu = sum / (double)m, var = fmax(sq / (double)m - mu * mu, 0.0);
    const float fmu = (float)mu, r = (float)(1.0 / sqrt(var + d->eps));
    *mean = fmu;
    *rstd = r;
    for (int64_t k = 0; k < cg; k++) {
        const float sc = gamma ? r * gamma[k] : r, sh = beta ? beta[k] : 0.0f;
        const float *xc = xb + k * d->s;
        float *yc = yb + k * d->s;
        if (d->act == GL_ACT_SILU) {
#pragma omp simd
            for (int64_t j = 0; j < d->s; j++) {
                float z = (xc[j] - fmu) * sc + sh;
                yc[j] = z * sigmoidf(z);
            }
        } else {
#pragma omp simd
            for (int64_t j = 0; j < d->s; j++)
                yc[j] = (xc[j] - fmu) * sc + sh;
        }
    }
}

void gl_cpu_group_norm(void *state, const genlab_norm_desc *d, const float *x,
                       const float *gamma, const float *beta, float *y, float *mean, float *rstd)
{
    const int nt = ((gl_cpu_state *)state)->threads;
    const int64_t cg = d->c / d->groups, m = cg * d->s, blocks = d->n * d->groups;
#pragma omp parallel for num_threads(nt) if (blocks * m > GL_NORM_PAR_MIN) schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t c0 = (b % d->groups) * cg;
        gn_forward_block(d, x + b * m, gamma ? gamma + c0 : NULL, beta ? beta + c0 : NULL,
                         y + b * m, mean + b, rstd + b);
    }
}

/* ---- backward ---- */

/* one (n, g) block: pass 1 writes gz = gy act'(z) into gx and the
 * per-channel sums of gz and gz xhat (psum_b, psum_g: the block's
 * channels' partials); pass 2 turns gx into the input gradient
 *   gx = rstd (gz gamma - A - xhat B), A = mean(gz gamma), B = mean(gz gamma xhat) */
static void gn_backward_block(const genlab_norm_desc *d, const float *xb, const float *gamma,
                              const float *beta, float mu, float r, const float *gyb, float *gxb,
                              float *psum_b, float *psum_g)
{
    const int64_t cg = d->c / d->groups, m = cg * d->s;
    double a = 0.0, bsum = 0.0;
    for (int64_t k = 0; k < cg; k++) {
        const float g = gamma ? gamma[k] : 1.0f, sh = beta ? beta[k] : 0.0f;
        const float *xc = xb + k * d->s, *gyc = gyb + k * d->s;
        float *gxc = gxb + k * d->s;
        double sb = 0.0, sg = 0.0;
        if (d->act == GL_ACT_SILU) {
#pragma omp simd reduction(+ : sb, sg)
            for (int64_t j = 0; j < d->s; j++) {
                float xh = (xc[j] - mu) * r, z = xh * g + sh, s = sigmoidf(z);
                float gz = gyc[j] * (s * (1.0f + z * (1.0f - s)));
                gxc[j] = gz;
                sb += gz;
                sg += gz * xh;
            }
        } else {
#pragma omp simd reduction(+ : sb, sg)
            for (int64_t j = 0; j < d->s; j++) {
                float xh = (xc[j] - mu) * r, gz = gyc[j];
                gxc[j] = gz;
                sb += gz;
                sg += gz * xh;
            }
        }
        psum_b[k] = (float)sb;
        psum_g[k] = (float)sg;
        a += g * sb;
        bsum += g * sg;
    }
    const float fa = (float)(a / (double)m), fb = (float)(bsum / (double)m);
    for (int64_t k = 0; k < cg; k++) {
        const float g = gamma ? gamma[k] : 1.0f;
        const float *xc = xb + k * d->s;
        float *gxc = gxb + k * d->s;
#pragma omp simd
        for (int64_t j = 0; j < d->s; j++) {
            float xh = (xc[j] - mu) * r;
            gxc[j] = r * (gxc[j] * g - fa - xh * fb);
        }
    }
}

void gl_cpu_group_norm_backward(void *state, const genlab_norm_desc *d, const float *x,
                                const float *gamma, const float *beta, const float *mean,
                                const float *rstd, const float *gy, float *gx, float *ggamma,
                                float *gbeta, float *work)
{
    const int nt = ((gl_cpu_state *)state)->threads;
    const int64_t cg = d->c / d->groups, m = cg * d->s, blocks = d->n * d->groups;
    const int64_t nc = d->n * d->c;
    float *part_b = work, *part_g = work + nc;   /* (n, c) partials */
#pragma omp parallel for num_threads(nt) if (blocks * m > GL_NORM_PAR_MIN) schedule(static)
    for (int64_t b = 0; b < blocks; b++) {
        const int64_t c0 = (b % d->groups) * cg;
        gn_backward_block(d, x + b * m, gamma ? gamma + c0 : NULL, beta ? beta + c0 : NULL,
                          mean[b], rstd[b], gy + b * m, gx + b * m, part_b + b * cg,
                          part_g + b * cg);
    }
    for (int64_t k = 0; k < d->c; k++) {
        double sb = 0.0, sg = 0.0;
        for (int64_t i = 0; i < d->n; i++) {
            sb += part_b[i * d->c + k];
            sg += part_g[i * d->c + k];
        }
        if (gbeta)
            gbeta[k] = (float)sb;
        if (ggamma)
            ggamma[k] = (float)sg;
    }
}
