/* SPDX-License-Identifier: MIT
 *
 * scores_kid.c — the Kernel Inception Distance (scores.h): the unbiased
 * estimate of MMD^2 between two feature sets with the cubic polynomial
 * kernel k(x, y) = (x.y / dim + 1)^3 (degree 3, gamma 1 / dim, coef0 1),
 * averaged over random subset pairs, as torch-fidelity's
 * kid_features_to_metric computes it (Binkowski et al. 2018). For subsets
 * X, Y of m rows each:
 *     MMD^2 = sum_{i != j} (k(x_i, x_j) + k(y_i, y_j)) / (m (m - 1))
 *             - 2 sum_{i, j} k(x_i, y_j) / m^2.
 * The mean over subsets, given the sets, is exactly the full-set estimate
 * (every pair is equally likely in a subset), so more subsets only shrink
 * the sampling noise.
 *
 * Method: the dot products are float32 sgemm blocks (scores_common.c), as
 * NumPy's float32 matmul in the reference; kernels and sums are float64.
 * The x.x products are computed for the upper triangle only. Subsets are
 * drawn without replacement by a partial Fisher-Yates shuffle from
 * Philox-4x32-10 keyed by the seed, counter (draw, subset, set, "KID"):
 * subset s depends on (seed, s) alone. A draw maps 64 random bits to
 * [0, bound) by multiply-high, whose bias (below bound / 2^64) is far under
 * anything measurable.
 *
 * Sections: one subset pair, subsets.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/rng.h"
#include "internal.h"
#include "scores_impl.h"

/* ---- one subset pair ---- */

static double kernel(float dot, double gamma)
{
    const double v = (double)dot * gamma + 1.0;
    return v * v * v;
}

/* kernel_sum — sum of k over the pairs of rows of g->a and g->b, each
 * unordered pair i < j once when sym (a and b the same rows, diagonal
 * left out), else every (i, j). */
static double kernel_sum(gl_gram *g, bool sym)
{
    const double gamma = 1.0 / (double)g->dim;
    double total = 0.0;
    for (int64_t i0 = 0; i0 < g->na; i0 += g->block) {
        const int64_t rows = gl_gram_block(g, i0, sym ? i0 : 0);
        for (int64_t r = 0; r < rows; r++) {
            const float *row = g->buf + r * g->nb;
            double s = 0.0;
            for (int64_t j = sym ? i0 + r + 1 : 0; j < g->nb; j++)
                s += kernel(row[j], gamma);
            total += s;
        }
    }
    return total;
}

/* mmd2 — the unbiased MMD^2 of x and y (m rows each, m >= 2); g is a
 * gram of m x m blocks whose rows are set here. */
static double mmd2(gl_gram *g, const float *x, const float *y, int64_t m)
{
    g->a = g->b = x;
    const double kxx = 2.0 * kernel_sum(g, true);
    g->a = g->b = y;
    const double kyy = 2.0 * kernel_sum(g, true);
    g->a = x;
    g->b = y;
    const double kxy = kernel_sum(g, false);
    const double md = (double)m;
    return (kxx + kyy) / (md * (md - 1.0)) - 2.0 * kxy / (md * md);
}

/* gather — rows idx[0..m) of set into out (m x dim). */
static void gather(const float *set, const int64_t *idx, int64_t m, int64_t dim, float *out)
{
    for (int64_t t = 0; t < m; t++)
        memcpy(out + t * dim, set + idx[t] * dim, (size_t)dim * sizeof(float));
}

/* pair_buffers — the two gathered subsets (m x dim each) and the gram. */
static genlab_status pair_buffers(genlab_ctx *ctx, const char *fn, int64_t m, int64_t dim,
                                  float **xy, gl_gram *g)
{
    *xy = malloc((size_t)(2 * m * dim) * sizeof(float));
    if (!*xy)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for two subsets of %lld "
                             "rows of dim %lld", fn, (long long)m, (long long)dim);
    genlab_status st = gl_gram_init(ctx, fn, g, *xy, m, *xy, m, dim);
    if (st != GL_OK) {
        free(*xy);
        *xy = NULL;
    }
    return st;
}

genlab_status genlab_kid_mmd2(genlab_ctx *ctx, const float *real, const int64_t *real_idx,
                              const float *fake, const int64_t *fake_idx, int64_t m,
                              int64_t dim, double *out)
{
    static const char fn[] = "genlab_kid_mmd2";
    genlab_status st = gl_scores_check_size(ctx, fn, m, dim);
    if (st != GL_OK)
        return st;
    if (m < 2)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: subsets of %lld rows (need >= 2)", fn,
                             (long long)m);
    if (!real || !real_idx || !fake || !fake_idx || !out)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: NULL argument", fn);
    for (int64_t t = 0; t < m; t++)
        if (real_idx[t] < 0 || fake_idx[t] < 0)
            return genlab_errorf(ctx, GL_ERR_INVALID, "%s: negative row index at %lld", fn,
                                 (long long)t);
    float *xy;
    gl_gram g;
    if ((st = pair_buffers(ctx, fn, m, dim, &xy, &g)) != GL_OK)
        return st;
    gather(real, real_idx, m, dim, xy);
    gather(fake, fake_idx, m, dim, xy + m * dim);
    if ((st = gl_scores_check_rows(ctx, fn, "real subset", xy, m, dim)) == GL_OK &&
        (st = gl_scores_check_rows(ctx, fn, "fake subset", xy + m * dim, m, dim)) == GL_OK) {
        gl_scores_blas_threads(ctx);
        *out = mmd2(&g, xy, xy + m * dim, m);
    }
    gl_gram_free(&g);
    free(xy);
    return st;
}

/* ---- subsets ---- */

#define KID_TAG 0x4B4944u   /* "KID": keeps these counters apart from the context's streams */

/* draw_subset — the first m entries of perm (n entries, reset to 0..n-1
 * here) become subset s of set `set`: a partial Fisher-Yates shuffle. */
static void draw_subset(uint64_t seed, uint32_t s, uint32_t set, int64_t *perm, int64_t n,
                        int64_t m)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    for (int64_t t = 0; t < m; t++) {
        const uint32_t ctr[4] = {(uint32_t)t, s, set, KID_TAG};
        uint32_t r[4];
        genlab_philox(ctr, key, r);
        const uint64_t bits = (uint64_t)r[0] | (uint64_t)r[1] << 32;
        const int64_t j = t + (int64_t)(((unsigned __int128)bits * (uint64_t)(n - t)) >> 64);
        const int64_t tmp = perm[t];
        perm[t] = perm[j];
        perm[j] = tmp;
    }
}

genlab_status genlab_kid(genlab_ctx *ctx, const float *real, int64_t n_real, const float *fake,
                         int64_t n_fake, int64_t dim, int n_subsets, int64_t subset_size,
                         uint64_t seed, double *mean, double *std)
{
    static const char fn[] = "genlab_kid";
    genlab_status st;
    if ((st = gl_scores_check_rows(ctx, fn, "real", real, n_real, dim)) != GL_OK ||
        (st = gl_scores_check_rows(ctx, fn, "fake", fake, n_fake, dim)) != GL_OK)
        return st;
    if (subset_size < 2 || subset_size > n_real || subset_size > n_fake)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: subset size %lld does not fit the real "
                             "set (%lld rows) and the fake set (%lld rows): need 2 <= size <= "
                             "both", fn, (long long)subset_size, (long long)n_real,
                             (long long)n_fake);
    if (n_subsets < 1)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: %d subsets (need >= 1)", fn, n_subsets);
    if (!mean || !std)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: NULL %s", fn, !mean ? "mean" : "std");

    const int64_t m = subset_size;
    float *xy = NULL;
    gl_gram g = {0};
    int64_t *perm_r = malloc((size_t)n_real * sizeof(int64_t));
    int64_t *perm_f = malloc((size_t)n_fake * sizeof(int64_t));
    double *mmds = malloc((size_t)n_subsets * sizeof(double));
    if (!perm_r || !perm_f || !mmds) {
        st = genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for %lld + %lld rows", fn,
                           (long long)n_real, (long long)n_fake);
        goto done;
    }
    if ((st = pair_buffers(ctx, fn, m, dim, &xy, &g)) != GL_OK)
        goto done;
    gl_scores_blas_threads(ctx);
    double sum = 0.0;
    for (int s = 0; s < n_subsets; s++) {
        draw_subset(seed, (uint32_t)s, 0, perm_r, n_real, m);
        draw_subset(seed, (uint32_t)s, 1, perm_f, n_fake, m);
        gather(real, perm_r, m, dim, xy);
        gather(fake, perm_f, m, dim, xy + m * dim);
        mmds[s] = mmd2(&g, xy, xy + m * dim, m);
        sum += mmds[s];
    }
    const double mu = sum / n_subsets;
    double var = 0.0;
    for (int s = 0; s < n_subsets; s++)
        var += (mmds[s] - mu) * (mmds[s] - mu);
    *mean = mu;
    *std = sqrt(var / n_subsets);   /* population std, as np.std */
done:
    gl_gram_free(&g);
    free(xy);
    free(perm_r);
    free(perm_f);
    free(mmds);
    return st;
}
