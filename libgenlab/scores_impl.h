/* SPDX-License-Identifier: MIT
 *
 * scores_impl.h — helpers shared by the score files (scores_stats.c,
 * scores_fid.c, scores_is.c, scores_kid.c, scores_pr.c): argument checks
 * that name the function, the BLAS thread count, and the blocked float32
 * Gram products that KID and precision/recall are built on. Internal to
 * libgenlab; not installed. Not here: any score's own arithmetic.
 *
 * Sections: checks, BLAS threads, Gram blocks.
 */
#ifndef GENLAB_SCORES_IMPL_H
#define GENLAB_SCORES_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "genlab/scores.h"

/* ---- checks ---- */

/* gl_scores_check_rows — rows (n x dim float32) is non-NULL when n > 0 and
 * every value finite; else GL_ERR_INVALID / GL_ERR_NUMERIC with a message
 * "fn: what row R, column C is nan". */
genlab_status gl_scores_check_rows(genlab_ctx *ctx, const char *fn, const char *what,
                                   const float *rows, int64_t n, int64_t dim);

/* gl_scores_check_size — n >= 0, dim >= 1, both within BLAS's int, and
 * n x dim doubles addressable (no size_t overflow); else GL_ERR_INVALID
 * naming fn. */
genlab_status gl_scores_check_size(genlab_ctx *ctx, const char *fn, int64_t n, int64_t dim);

/* ---- BLAS threads ---- */

/* gl_scores_blas_threads — give OpenBLAS the context's thread count: its
 * count is global, so it is set at each call (as gl_cpu_gemm does). */
void gl_scores_blas_threads(genlab_ctx *ctx);

/* ---- Gram blocks ---- */

/* Products a b^T of two float32 row sets, a block of a's rows at a time,
 * so memory is O(block x nb) whatever the sizes: the rows of a block go
 * into buf (block x nb, row stride nb). */
typedef struct gl_gram {
    const float *a, *b;   /* (na, dim), (nb, dim) row-major */
    int64_t      na, nb, dim;
    int64_t      block;   /* rows of a per block */
    float       *buf;     /* (block, nb) */
} gl_gram;

/* gl_gram_init — size the blocks and allocate buf. GL_ERR_NOMEM naming fn. */
genlab_status gl_gram_init(genlab_ctx *ctx, const char *fn, gl_gram *g, const float *a,
                           int64_t na, const float *b, int64_t nb, int64_t dim);

/* gl_gram_block — rows [i0, i0 + rows) of a times columns [j0, nb) of b^T
 * into buf[r * nb + j] (entries of columns below j0 are left as they
 * were). Returns rows, min(block, na - i0). Float32 sums, as the reference
 * tools (NumPy/torch matmuls on float32 features) compute them. */
int64_t gl_gram_block(gl_gram *g, int64_t i0, int64_t j0);

void gl_gram_free(gl_gram *g);

/* gl_row_sqnorms — |row|^2 of each of n rows, summed in float64. */
void gl_row_sqnorms(const float *rows, int64_t n, int64_t dim, double *out);

#endif /* GENLAB_SCORES_IMPL_H */
