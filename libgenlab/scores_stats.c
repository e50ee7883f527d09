/* SPDX-License-Identifier: MIT
 *
 * scores_stats.c — streaming feature statistics (scores.h): the mean and
 * the unbiased covariance of float32 feature rows, accumulated in float64,
 * as pytorch-fid's np.mean(act, axis=0) and np.cov(act, rowvar=False).
 *
 * Method: rows are shifted by the first row ever added (K) before they are
 * summed, so the sums are of x - K, whose size is the spread of the data
 * and not its offset: the one-pass formula
 *     sigma = (sum d d^T - n m m^T) / (n - 1),   d = x - K, m = mean(d)
 * then loses no more than NumPy's two-pass np.cov to cancellation when
 * features sit far from zero. Rows are converted to double into a pending
 * block of GL_FSTATS_BLOCK rows, and a full block is added to the upper
 * triangle of sum d d^T with one dsyrk; so the grouping of the sums, and
 * the result, do not depend on how the rows were split between calls.
 * Not here: feature extraction, the Fréchet distance (scores_fid.c).
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scores_impl.h"

/* rows per dsyrk: enough for it to run near dgemm speed */
#define GL_FSTATS_BLOCK 256

struct genlab_feature_stats {
    int64_t dim;
    int64_t n;          /* rows added */
    double *shift;      /* (dim) K, the first row added */
    double *sum;        /* (dim) sum of d over every row added */
    double *dd;         /* (dim, dim) upper triangle of sum d d^T over flushed rows */
    double *pending;    /* (GL_FSTATS_BLOCK, dim) rows d not yet in dd */
    int64_t n_pending;
};

genlab_status genlab_fstats_create(genlab_ctx *ctx, int64_t dim, genlab_feature_stats **out)
{
    *out = NULL;
    size_t bytes;
    if (dim < 1 || dim > INT32_MAX ||
        __builtin_mul_overflow((uint64_t)dim * (uint64_t)dim, sizeof(double), &bytes))
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_fstats_create: dim %lld (need 1 to "
                             "2^31 - 1, and dim x dim doubles addressable)", (long long)dim);
    genlab_feature_stats *s = calloc(1, sizeof *s);
    if (s) {
        s->dim = dim;
        s->shift = calloc((size_t)dim, sizeof(double));
        s->sum = calloc((size_t)dim, sizeof(double));
        s->dd = calloc((size_t)(dim * dim), sizeof(double));
        s->pending = malloc((size_t)(GL_FSTATS_BLOCK * dim) * sizeof(double));
    }
    if (!s || !s->shift || !s->sum || !s->dd || !s->pending) {
        genlab_fstats_free(s);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "genlab_fstats_create: out of memory for "
                             "the statistics of dim %lld", (long long)dim);
    }
    *out = s;
    return GL_OK;
}

void genlab_fstats_free(genlab_feature_stats *s)
{
    if (!s)
        return;
    free(s->shift);
    free(s->sum);
    free(s->dd);
    free(s->pending);
    free(s);
}

int64_t genlab_fstats_count(const genlab_feature_stats *s) { return s->n; }
int64_t genlab_fstats_dim(const genlab_feature_stats *s) { return s->dim; }

/* add_pending — dd += pending^T pending (upper triangle) into c. */
static void add_pending(const genlab_feature_stats *s, double *c)
{
    if (s->n_pending > 0)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (blasint)s->dim,
                    (blasint)s->n_pending, 1.0, s->pending, (blasint)s->dim, 1.0, c,
                    (blasint)s->dim);
}

genlab_status genlab_fstats_add(genlab_ctx *ctx, genlab_feature_stats *s, const float *rows,
                                int64_t n)
{
    /* every row is checked before any is added: a bad row adds nothing */
    genlab_status st = gl_scores_check_rows(ctx, "genlab_fstats_add", "rows", rows, n, s->dim);
    if (st != GL_OK)
        return st;
    const int64_t dim = s->dim;
    if (s->n == 0 && n > 0)
        for (int64_t j = 0; j < dim; j++)
            s->shift[j] = rows[j];
    gl_scores_blas_threads(ctx);
    for (int64_t i = 0; i < n; i++) {
        double *d = s->pending + s->n_pending * dim;
        for (int64_t j = 0; j < dim; j++) {
            d[j] = (double)rows[i * dim + j] - s->shift[j];
            s->sum[j] += d[j];
        }
        if (++s->n_pending == GL_FSTATS_BLOCK) {
            add_pending(s, s->dd);
            s->n_pending = 0;
        }
    }
    s->n += n;
    return GL_OK;
}

genlab_status genlab_fstats_finish(genlab_ctx *ctx, const genlab_feature_stats *s, double *mu,
                                   double *sigma, bool *singular)
{
    const int64_t dim = s->dim, n = s->n;
    if (n < 2)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_fstats_finish: %lld row%s of dim "
                             "%lld: a covariance needs at least 2", (long long)n,
                             n == 1 ? "" : "s", (long long)dim);
    if (!mu || !sigma)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_fstats_finish: NULL %s",
                             !mu ? "mu" : "sigma");
    gl_scores_blas_threads(ctx);
    /* the pending rows are added to a copy: s stays as it was */
    memcpy(sigma, s->dd, (size_t)(dim * dim) * sizeof(double));
    add_pending(s, sigma);
    const double inv_n = 1.0 / (double)n, inv_n1 = 1.0 / (double)(n - 1);
    bool flat = false;
    for (int64_t i = 0; i < dim; i++) {
        const double mi = s->sum[i] * inv_n;
        for (int64_t j = i; j < dim; j++) {
            double v = (sigma[i * dim + j] - (double)n * mi * (s->sum[j] * inv_n)) * inv_n1;
            sigma[i * dim + j] = v;
            sigma[j * dim + i] = v;
        }
        flat |= sigma[i * dim + i] <= 0.0;
        mu[i] = s->shift[i] + mi;
    }
    if (singular)
        *singular = n <= dim || flat;
    return GL_OK;
}
