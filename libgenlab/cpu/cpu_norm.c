/* SPDX-License-Identifier: MIT
 *
 * cpu_norm.c — the CPU backend's fused normalisation kernels. Group norm:
 * the forward (statistics, normalise, affine and an optional SiLU, one
 * write of y) and the backward (gx, ggamma, gbeta with the SiLU's
 * derivative folded in), for genlab_group_norm_act. Batch norm (training
 * mode): the same forward per channel without the activation, and its
 * backward, for genlab_batch_norm (both ops in ops_norm.c).
 *
 * Group norm's work is split over (n, group) blocks, each one thread's
 * from start to end: a block's sums run in one fixed order (double
 * accumulators), and gamma's and beta's gradients are per-(n, channel)
 * partials summed over n in order afterwards. Batch norm's is split over
 * channels, each one thread's: its sums (over n, then s) are one
 * reduction. So the bits do not depend on the thread count.
 *
 * Not here: the composition used while a backward is itself recorded
 * (ops_norm.c), the CUDA kernels (plugins/cuda/cuda_norm.cu).
 *
 * Sections: SiLU, statistics, group norm forward, group norm backward,
 * batch norm.
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

/* ---- statistics ---- */

/* sum += x[0..m), sq += their squares, in double */
static inline void add_moments(const float *x, int64_t m, double *sum, double *sq)
{
    double s = *sum, q = *sq;
#pragma omp simd reduction(+ : s, q)
    for (int64_t j = 0; j < m; j++) {
        double v = x[j];
        s += v;
        q += v * v;
    }
    *sum = s;
    *sq = q;
}

/* mean and rstd of m values from their sums: one pass, E[x^2] - E[x]^2 in
 * double, which cancels only where the mean exceeds the spread by ~10^6,
 * far beyond activations */
static inline void moments(double sum, double sq, int64_t m, float eps, float *mean,
                           float *rstd)
{
    const double mu = sum / (double)m, var = fmax(sq / (double)m - mu * mu, 0.0);
    *mean = (float)mu;
    *rstd = (float)(1.0 / sqrt(var + eps));
}

/* y[0..m) = (x - mu) sc + sh: the normalise-and-affine write of both
 * forwards (gamma folded into sc) */
static inline void affine_row(const float *x, int64_t m, float mu, float sc, float sh, float *y)
{
#pragma omp simd
    for (int64_t j = 0; j < m; j++)
        y[j] = (x[j] - mu) * sc + sh;
}

/* ---- group norm forward ---- */

/* one (n, g) block of m = channels * s contiguous floats from xb: mean and
 * rstd, then y */
static void gn_forward_block(const genlab_norm_desc *d, const float *xb, const float *gamma,
                             const float *beta, float *yb, float *mean, float *rstd)
{
    const int64_t cg = d->c / d->groups, m = cg * d->s;
    double sum = 0.0, sq = 0.0;
    add_moments(xb, m, &sum, &sq);
    moments(sum, sq, m, d->eps, mean, rstd);
    const float fmu = *mean, r = *rstd;
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
            affine_row(xc, d->s, fmu, sc, sh, yc);
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

/* ---- group norm backward ---- */

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

/* ---- batch norm ---- */

/* channel k's statistics over its n rows of s floats (one reduction, rows
 * in order), then its y = (x - mean) rstd gamma + beta */
static void bn_forward_channel(const genlab_norm_desc *d, int64_t k, const float *x,
                               const float *gamma, const float *beta, float *y, float *mean,
                               float *rstd)
{
    const int64_t cs = d->c * d->s, off = k * d->s;
    double sum = 0.0, sq = 0.0;
    for (int64_t i = 0; i < d->n; i++)
        add_moments(x + i * cs + off, d->s, &sum, &sq);
    moments(sum, sq, d->n * d->s, d->eps, mean + k, rstd + k);
    const float fmu = mean[k], sc = gamma ? rstd[k] * gamma[k] : rstd[k];
    const float sh = beta ? beta[k] : 0.0f;
    for (int64_t i = 0; i < d->n; i++)
        affine_row(x + i * cs + off, d->s, fmu, sc, sh, y + i * cs + off);
}

void gl_cpu_batch_norm(void *state, const genlab_norm_desc *d, const float *x,
                       const float *gamma, const float *beta, float *y, float *mean, float *rstd)
{
    const int nt = ((gl_cpu_state *)state)->threads;
#pragma omp parallel for num_threads(nt) if (d->n * d->c * d->s > GL_NORM_PAR_MIN) \
    schedule(static)
    for (int64_t k = 0; k < d->c; k++)
        bn_forward_channel(d, k, x, gamma, beta, y, mean, rstd);
}

/* channel k: the sums of gy and gy xhat over its rows (gbeta, ggamma),
 * then gx = rstd (gy gamma - A - xhat B), A and B the channel's means of
 * gy gamma and gy gamma xhat, as group norm's without the activation */
static void bn_backward_channel(const genlab_norm_desc *d, int64_t k, const float *x,
                                const float *gamma, const float *mean, const float *rstd,
                                const float *gy, float *gx, float *ggamma, float *gbeta)
{
    const int64_t cs = d->c * d->s, off = k * d->s, m = d->n * d->s;
    const float mu = mean[k], r = rstd[k], g = gamma ? gamma[k] : 1.0f;
    double sb = 0.0, sg = 0.0;
    for (int64_t i = 0; i < d->n; i++) {
        const float *xr = x + i * cs + off, *gyr = gy + i * cs + off;
        double b = sb, q = sg;
#pragma omp simd reduction(+ : b, q)
        for (int64_t j = 0; j < d->s; j++) {
            float xh = (xr[j] - mu) * r;
            b += gyr[j];
            q += gyr[j] * xh;
        }
        sb = b;
        sg = q;
    }
    if (gbeta)
        gbeta[k] = (float)sb;
    if (ggamma)
        ggamma[k] = (float)sg;
    const float fa = (float)(g * sb / (double)m), fb = (float)(g * sg / (double)m);
    for (int64_t i = 0; i < d->n; i++) {
        const float *xr = x + i * cs + off, *gyr = gy + i * cs + off;
        float *gxr = gx + i * cs + off;
#pragma omp simd
        for (int64_t j = 0; j < d->s; j++) {
            float xh = (xr[j] - mu) * r;
            gxr[j] = r * (gyr[j] * g - fa - xh * fb);
        }
    }
}

void gl_cpu_batch_norm_backward(void *state, const genlab_norm_desc *d, const float *x,
                                const float *gamma, const float *mean, const float *rstd,
                                const float *gy, float *gx, float *ggamma, float *gbeta)
{
    const int nt = ((gl_cpu_state *)state)->threads;
#pragma omp parallel for num_threads(nt) if (d->n * d->c * d->s > GL_NORM_PAR_MIN) \
    schedule(static)
    for (int64_t k = 0; k < d->c; k++)
        bn_backward_channel(d, k, x, gamma, mean, rstd, gy, gx, ggamma, gbeta);
}
