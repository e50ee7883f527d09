/* SPDX-License-Identifier: MIT
 *
 * scores_pr.c — improved precision and recall (Kynkäänniemi et al. 2019;
 * scores.h). A set's manifold is the union of the closed balls around its
 * rows, each with the radius of that row's k-th nearest other row of the
 * same set. Precision is the fraction of fake rows inside the real
 * manifold, recall the fraction of real rows inside the fake manifold; a
 * row on a ball's surface is inside (torch-fidelity's dist <= radius).
 *
 * Method: squared distances |x|^2 + |y|^2 - 2 x.y, the dot products from
 * float32 sgemm blocks (scores_common.c, so memory stays O(block x n)) as
 * torch.cdist computes them for sets this size, the rest in float64,
 * clamped at 0. Squared distances are compared with squared radii (the
 * same order as distances). A row's radius excludes the row itself by
 * index, not by taking the (k+1)-th smallest with the zero self-distance
 * first, so a round-off self-distance above a duplicate's cannot shift it.
 * The k-th smallest is a quickselect over the row (O(n)), any k < n. One
 * pass over the fake x real products serves both precision and recall.
 *
 * Sections: k-th smallest, radii, precision and recall.
 */
#include <stdlib.h>

#include "internal.h"
#include "scores_impl.h"

#define FN "genlab_precision_recall"

/* ---- k-th smallest ---- */

/* kth_smallest — the k-th smallest (0-based) of v[0..n), reordering v:
 * quickselect with a median-of-three pivot. */
static double kth_smallest(double *v, int64_t n, int64_t k)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        const double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                const double t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

static double sqdist(double na, double nb, float dot)
{
    const double d = na + nb - 2.0 * (double)dot;
    return d > 0.0 ? d : 0.0;
}

/* ---- radii ---- */

/* radii — r2[i]: the squared distance from row i of x (n rows, norms nrm)
 * to its k-th nearest other row; tmp holds n - 1 doubles. */
static genlab_status radii(genlab_ctx *ctx, const float *x, int64_t n, int64_t dim,
                           const double *nrm, int k, double *tmp, double *r2)
{
    gl_gram g;
    genlab_status st = gl_gram_init(ctx, FN, &g, x, n, x, n, dim);
    if (st != GL_OK)
        return st;
    for (int64_t i0 = 0; i0 < n; i0 += g.block) {
        const int64_t rows = gl_gram_block(&g, i0, 0);
        for (int64_t r = 0; r < rows; r++) {
            const int64_t i = i0 + r;
            const float *row = g.buf + r * n;
            int64_t len = 0;
            for (int64_t j = 0; j < n; j++)
                if (j != i)
                    tmp[len++] = sqdist(nrm[i], nrm[j], row[j]);
            r2[i] = kth_smallest(tmp, len, k - 1);
        }
    }
    gl_gram_free(&g);
    return GL_OK;
}

/* ---- precision and recall ---- */

genlab_status genlab_precision_recall(genlab_ctx *ctx, const float *real, int64_t n_real,
                                      const float *fake, int64_t n_fake, int64_t dim, int k,
                                      double *precision, double *recall)
{
    genlab_status st;
    if ((st = gl_scores_check_rows(ctx, FN, "real", real, n_real, dim)) != GL_OK ||
        (st = gl_scores_check_rows(ctx, FN, "fake", fake, n_fake, dim)) != GL_OK)
        return st;
    if (k < 1 || n_real <= k || n_fake <= k)
        return genlab_errorf(ctx, GL_ERR_INVALID, FN ": k = %d needs 1 <= k < rows of each set "
                             "(real %lld, fake %lld)", k, (long long)n_real, (long long)n_fake);
    if (!precision || !recall)
        return genlab_errorf(ctx, GL_ERR_INVALID, FN ": NULL %s",
                             !precision ? "precision" : "recall");

    const int64_t nmax = n_real > n_fake ? n_real : n_fake;
    /* norms and squared radii of both sets, scratch for a row, and the
     * real rows' recall marks */
    double *buf = malloc((size_t)(3 * (n_real + n_fake) + nmax) * sizeof(double));
    if (!buf)
        return genlab_errorf(ctx, GL_ERR_NOMEM, FN ": out of memory for %lld + %lld rows",
                             (long long)n_real, (long long)n_fake);
    double *nr = buf, *nf = nr + n_real, *r2r = nf + n_fake, *r2f = r2r + n_real;
    double *tmp = r2f + n_fake, *covered = tmp + nmax;
    gl_row_sqnorms(real, n_real, dim, nr);
    gl_row_sqnorms(fake, n_fake, dim, nf);
    gl_scores_blas_threads(ctx);
    gl_gram g = {0};
    if ((st = radii(ctx, real, n_real, dim, nr, k, tmp, r2r)) != GL_OK ||
        (st = radii(ctx, fake, n_fake, dim, nf, k, tmp, r2f)) != GL_OK ||
        (st = gl_gram_init(ctx, FN, &g, fake, n_fake, real, n_real, dim)) != GL_OK)
        goto done;
    for (int64_t i = 0; i < n_real; i++)
        covered[i] = 0.0;
    int64_t inside = 0;
    for (int64_t f0 = 0; f0 < n_fake; f0 += g.block) {
        const int64_t rows = gl_gram_block(&g, f0, 0);
        for (int64_t r = 0; r < rows; r++) {
            const int64_t f = f0 + r;
            const float *row = g.buf + r * n_real;
            bool in = false;
            for (int64_t i = 0; i < n_real; i++) {
                const double d = sqdist(nf[f], nr[i], row[i]);
                in |= d <= r2r[i];
                if (d <= r2f[f])
                    covered[i] = 1.0;
            }
            inside += in;
        }
    }
    int64_t n_covered = 0;
    for (int64_t i = 0; i < n_real; i++)
        n_covered += covered[i] != 0.0;
    *precision = (double)inside / (double)n_fake;
    *recall = (double)n_covered / (double)n_real;
done:
    gl_gram_free(&g);
    free(buf);
    return st;
}
