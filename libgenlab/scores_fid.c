/* SPDX-License-Identifier: MIT
 *
 * scores_fid.c — the Fréchet distance between two Gaussians (scores.h):
 *     FID = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))
 * in real float64 arithmetic, with no matrix square root of a
 * non-symmetric matrix (pytorch-fid's scipy.linalg.sqrtm of S1 S2, which
 * can go complex or NaN on singular covariances, and takes seconds).
 *
 * Method. S1 = P L L^T P^T by pivoted Cholesky (LAPACKE dpstrf: P a
 * permutation, L lower trapezoidal, n x r, r the numerical rank). As AB
 * and BA have the same nonzero eigenvalues, S1 S2 = (P L)(L^T P^T S2) has
 * those of M := L^T (P^T S2 P) L (r x r), and so has the symmetric
 * S1^(1/2) S2 S1^(1/2) the reference definition names; they are >= 0 as M
 * is positive semi-definite, and tr((S1 S2)^(1/2)) is the sum of their
 * square roots. M is formed by dsygst (the reduction of the generalized
 * problem S2 S1 x = lambda x, itype 2: C = L^T S L from the lower triangle
 * of the symmetric S, n^3 flops where two triangular products take 2 n^3;
 * L zero-padded to n x n past the rank, which only multiplies), and its
 * eigenvalues taken with dsyevr (values only).
 *
 * Why not S1 = V diag(l) V^T: that eigendecomposition with vectors (dsyevr
 * or dsyevd) alone took 4-5 s at dim 2048 on the 2-core development
 * machine, the Cholesky 0.15 s; the products and the values-only dsyevr
 * after it are the same work either way (bench/README.md, "Fréchet
 * distance").
 *
 * The guard for rank-deficient covariances (fewer samples than dims, or
 * features without variance): dpstrf stops when the largest diagonal
 * left in the Schur complement is at most dim * DBL_EPSILON * max_i
 * S1[i][i], and the rank r it returns drops the rest, which is round-off
 * around an exact zero (dpstrf is backward stable for semi-definite
 * matrices). Likewise the eigenvalues of M at most
 * r * DBL_EPSILON * (the largest one) are taken as zero, so negative
 * round-off never reaches a square root and the noise sqrt(round-off)
 * would add on each null direction (about 1e-8 relative each, summed over
 * hundreds of directions) is not added. No regularizer is added to the
 * diagonal (pytorch-fid's fallback adds 1e-6 when sqrtm fails; genlab never
 * needs one, so its value can differ from pytorch-fid's only where
 * pytorch-fid printed that warning). The result is not clamped: identical
 * statistics give 0 up to round-off, of either sign.
 */
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "scores_impl.h"

#define FN "genlab_frechet_distance"

/* check_finite — mu (dim) and the upper triangle of sigma (row-major) are
 * finite; else GL_ERR_NUMERIC naming the entry. */
static genlab_status check_finite(genlab_ctx *ctx, int k, int64_t dim, const double *mu,
                                  const double *sigma)
{
    for (int64_t i = 0; i < dim; i++)
        if (!isfinite(mu[i]))
            return genlab_errorf(ctx, GL_ERR_NUMERIC, FN ": mu%d[%lld] is %g", k, (long long)i,
                                 mu[i]);
    for (int64_t i = 0; i < dim; i++)
        for (int64_t j = i; j < dim; j++)
            if (!isfinite(sigma[i * dim + j]))
                return genlab_errorf(ctx, GL_ERR_NUMERIC, FN ": sigma%d[%lld][%lld] is %g", k,
                                     (long long)i, (long long)j, sigma[i * dim + j]);
    return GL_OK;
}

/* eigenvalues — the eigenvalues (ascending, into w) of the n x n
 * symmetric matrix a (lower triangle, column-major, leading dimension lda;
 * destroyed), by dsyevr. */
static genlab_status eigenvalues(genlab_ctx *ctx, int64_t n, double *a, int64_t lda, double *w,
                                 lapack_int *isuppz)
{
    lapack_int m = 0;
    double unused = 0.0;    /* z: not referenced for values only */
    lapack_int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'N', 'A', 'L', (lapack_int)n, a,
                                     (lapack_int)lda, 0.0, 0.0, 0, 0, 0.0, &m, w, &unused, 1,
                                     isuppz);
    if (info != 0 || m != n)
        return genlab_errorf(ctx, info == LAPACK_WORK_MEMORY_ERROR ? GL_ERR_NOMEM : GL_ERR_NUMERIC,
                             FN ": LAPACK dsyevr failed on a %lld x %lld matrix (info %d, %d "
                             "eigenvalues)", (long long)n, (long long)n, (int)info, (int)m);
    return GL_OK;
}

/* permuted — p2 = P^T S2 P as a full column-major matrix, from the upper
 * triangle of the row-major s2; piv is dpstrf's (1-based) pivot vector.
 * The upper triangle is first mirrored into full (n x n) tile by tile, so
 * that each column of p2 is then gathered from one row of full: the
 * permutation scatters every access, and this keeps them within a row. */
static void permuted(int64_t n, const double *s2, const lapack_int *piv, double *full,
                     double *p2)
{
    enum { TILE = 64 };
    for (int64_t i0 = 0; i0 < n; i0 += TILE)
        for (int64_t j0 = i0; j0 < n; j0 += TILE)
            for (int64_t i = i0; i < i0 + TILE && i < n; i++)
                for (int64_t j = j0 > i ? j0 : i; j < j0 + TILE && j < n; j++)
                    full[i * n + j] = full[j * n + i] = s2[i * n + j];
    for (int64_t j = 0; j < n; j++) {
        const double *row = full + (int64_t)(piv[j] - 1) * n;
        for (int64_t i = 0; i < n; i++)
            p2[j * n + i] = row[piv[i] - 1];
    }
}

genlab_status genlab_frechet_distance(genlab_ctx *ctx, int64_t dim, const double *mu1,
                                      const double *sigma1, const double *mu2,
                                      const double *sigma2, double *out)
{
    genlab_status st = gl_scores_check_size(ctx, FN, dim, dim);
    if (st != GL_OK)
        return st;
    if (!mu1 || !sigma1 || !mu2 || !sigma2 || !out)
        return genlab_errorf(ctx, GL_ERR_INVALID, FN ": NULL argument");
    if ((st = check_finite(ctx, 1, dim, mu1, sigma1)) != GL_OK ||
        (st = check_finite(ctx, 2, dim, mu2, sigma2)) != GL_OK)
        return st;

    const int64_t n = dim;
    const size_t nn = (size_t)(n * n);
    double *l = malloc(nn * sizeof(double));          /* S1, then its factor L */
    double *s = malloc(nn * sizeof(double));          /* P^T S2 P, then M */
    double *full = NULL;                              /* S2 mirrored, for permuted() */
    double *w = malloc((size_t)n * sizeof(double));
    lapack_int *piv = malloc((size_t)n * 3 * sizeof(lapack_int));   /* + dsyevr's isuppz */
    if (!l || !s || !w || !piv) {
        st = genlab_errorf(ctx, GL_ERR_NOMEM, FN ": out of memory for dim %lld", (long long)n);
        goto done;
    }
    gl_scores_blas_threads(ctx);

    /* the row-major upper triangle is the column-major lower one */
    memcpy(l, sigma1, nn * sizeof(double));
    lapack_int rank = 0;
    /* info > 0 only says rank < n, which the guard expects */
    lapack_int info = LAPACKE_dpstrf(LAPACK_COL_MAJOR, 'L', (lapack_int)n, l, (lapack_int)n, piv,
                                     &rank, -1.0);
    if (info < 0 || rank < 0 || rank > n) {
        st = genlab_errorf(ctx, info == LAPACK_WORK_MEMORY_ERROR ? GL_ERR_NOMEM : GL_ERR_NUMERIC,
                           FN ": LAPACK dpstrf failed on sigma1 (info %d)", (int)info);
        goto done;
    }
    const int64_t r = rank;
    double tr_sqrt = 0.0;
    if (r > 0) {
        if (!(full = malloc(nn * sizeof(double)))) {
            st = genlab_errorf(ctx, GL_ERR_NOMEM, FN ": out of memory for dim %lld",
                               (long long)n);
            goto done;
        }
        permuted(n, sigma2, piv, full, s);
        free(full);
        full = NULL;
        /* columns past the rank hold dpstrf's unfactored Schur complement */
        for (int64_t j = r; j < n; j++)
            memset(l + j * n + j, 0, (size_t)(n - j) * sizeof(double));
        info = LAPACKE_dsygst(LAPACK_COL_MAJOR, 2, 'L', (lapack_int)n, s, (lapack_int)n, l,
                              (lapack_int)n);
        if (info != 0) {
            st = genlab_errorf(ctx, info == LAPACK_WORK_MEMORY_ERROR ? GL_ERR_NOMEM
                                                                     : GL_ERR_NUMERIC,
                               FN ": LAPACK dsygst failed (info %d)", (int)info);
            goto done;
        }
        if ((st = eigenvalues(ctx, r, s, n, w, piv + n)) != GL_OK)
            goto done;
        const double tol = (double)r * DBL_EPSILON * fmax(fabs(w[0]), fabs(w[r - 1]));
        for (int64_t k = 0; k < r; k++)    /* ascending: small terms first */
            if (w[k] > tol)
                tr_sqrt += sqrt(w[k]);
    }

    double d2 = 0.0, tr1 = 0.0, tr2 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double d = mu1[i] - mu2[i];
        d2 += d * d;
        tr1 += sigma1[i * n + i];
        tr2 += sigma2[i * n + i];
    }
    *out = d2 + tr1 + tr2 - 2.0 * tr_sqrt;
done:
    free(l);
    free(s);
    free(full);
    free(w);
    free(piv);
    return st;
}
