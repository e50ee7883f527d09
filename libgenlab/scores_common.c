/* SPDX-License-Identifier: MIT
 *
 * scores_common.c — what the score files share (scores_impl.h): argument
 * checks, the BLAS thread count, blocked float32 Gram products and row
 * norms. Not here: the scores themselves.
 *
 * Sections: checks, BLAS threads, Gram blocks.
 */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"
#include "scores_impl.h"

/* ---- checks ---- */

genlab_status gl_scores_check_size(genlab_ctx *ctx, const char *fn, int64_t n, int64_t dim)
{
    size_t bytes;
    /* BLAS and LAPACK take int sizes */
    if (n < 0 || dim < 1 || n > INT32_MAX || dim > INT32_MAX || __builtin_mul_overflow((uint64_t)n, (uint64_t)dim, &bytes) ||
        __builtin_mul_overflow(bytes, sizeof(double), &bytes))
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: %lld rows of dim %lld (need rows >= 0, "
                             "dim >= 1, both below 2^31, and the product addressable)", fn, (long long)n,
                             (long long)dim);
    return GL_OK;
}

genlab_status gl_scores_check_rows(genlab_ctx *ctx, const char *fn, const char *what,
                                   const float *rows, int64_t n, int64_t dim)
{
    genlab_status st = gl_scores_check_size(ctx, fn, n, dim);
    if (st != GL_OK)
        return st;
    if (n > 0 && !rows)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: %s is NULL", fn, what);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < dim; j++) {
            float v = rows[i * dim + j];
            if (!isfinite(v))
                return genlab_errorf(ctx, GL_ERR_NUMERIC, "%s: %s row %lld, column %lld is %g",
                                     fn, what, (long long)i, (long long)j, (double)v);
        }
    return GL_OK;
}

/* ---- BLAS threads ---- */

void gl_scores_blas_threads(genlab_ctx *ctx)
{
    int threads = genlab_ctx_threads(ctx);
    if (threads >= 1 && openblas_get_num_threads() != threads)
        openblas_set_num_threads(threads);
}

/* ---- Gram blocks ---- */

/* A block holds at most this many products (16 MiB) and this many rows:
 * enough rows for sgemm to run at full speed, little enough memory for
 * sets of hundreds of thousands of rows. */
#define GRAM_BLOCK_ELEMS ((int64_t)1 << 22)
#define GRAM_BLOCK_ROWS  512

genlab_status gl_gram_init(genlab_ctx *ctx, const char *fn, gl_gram *g, const float *a,
                           int64_t na, const float *b, int64_t nb, int64_t dim)
{
    *g = (gl_gram){.a = a, .b = b, .na = na, .nb = nb, .dim = dim};
    int64_t block = nb > 0 ? GRAM_BLOCK_ELEMS / nb : GRAM_BLOCK_ROWS;
    block = block < 1 ? 1 : block > GRAM_BLOCK_ROWS ? GRAM_BLOCK_ROWS : block;
    g->block = block < na ? block : na > 0 ? na : 1;
    g->buf = malloc((size_t)(g->block * (nb > 0 ? nb : 1)) * sizeof(float));
    if (!g->buf)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory for a %lld x %lld block of "
                             "products", fn, (long long)g->block, (long long)nb);
    return GL_OK;
}

int64_t gl_gram_block(gl_gram *g, int64_t i0, int64_t j0)
{
    int64_t rows = g->na - i0 < g->block ? g->na - i0 : g->block;
    if (rows > 0 && g->nb > j0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows,
                    (blasint)(g->nb - j0), (blasint)g->dim, 1.0f, g->a + i0 * g->dim,
                    (blasint)g->dim, g->b + j0 * g->dim, (blasint)g->dim, 0.0f, g->buf + j0,
                    (blasint)g->nb);
    return rows;
}

void gl_gram_free(gl_gram *g)
{
    free(g->buf);
    g->buf = NULL;
}

void gl_row_sqnorms(const float *rows, int64_t n, int64_t dim, double *out)
{
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < dim; j++)
            s += (double)rows[i * dim + j] * rows[i * dim + j];
        out[i] = s;
    }
}
