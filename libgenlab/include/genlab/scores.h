/* SPDX-License-Identifier: MIT
 *
 * scores.h — the arithmetic of sample-quality scores over feature vectors:
 * streaming float64 feature statistics, the Fréchet distance (FID), the
 * Inception Score, the Kernel Inception Distance and k-NN precision/recall.
 * Feature extraction (Inception, a classifier) is not here: these functions
 * take plain float32 row-major feature matrices (n rows of dim values) or
 * float64 statistics, so the same code serves every extractor, the CLI's
 * `genlab fid` over two .npz files, and the tests' golden comparisons.
 *
 * Every function reports failure through ctx (a sticky error naming what is
 * wrong) and its return status; none keeps a pointer to its inputs.
 *
 * The reference definitions, which the golden tests reproduce:
 *   - statistics: pytorch-fid's np.mean(act, axis=0) and
 *     np.cov(act, rowvar=False) (ddof 1), both accumulated in float64;
 *   - FID: |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)), the trace
 *     of the square root taken as the sum of the square roots of the
 *     eigenvalues of the symmetric S1^(1/2) S2 S1^(1/2), computed as those
 *     of the similar L^T S2 L, S1 = L L^T by pivoted Cholesky (LAPACKE
 *     dpstrf, dsyevr), round-off around zero eigenvalues clipped to 0 —
 *     real arithmetic only (libgenlab/scores_fid.c says why and how);
 *   - IS: softmax probabilities in n_splits contiguous splits, per split
 *     exp(mean_i KL(p_i || mean p)), mean and population std over splits
 *     (torch-fidelity / the original code; torch-fidelity first shuffles
 *     the rows with RandomState(2020), genlab keeps the caller's order);
 *   - KID: unbiased MMD^2 with the kernel (x.y / dim + 1)^3 over n_subsets
 *     random subsets of subset_size rows of each set (without
 *     replacement), mean and std over subsets (torch-fidelity's defaults
 *     100 x 1000);
 *   - precision / recall: Kynkäänniemi et al. 2019 — a set's manifold is
 *     the union of balls around its rows with the radius of each row's k-th
 *     nearest other row (k = 3); precision is the fraction of fake rows
 *     inside the real manifold, recall the fraction of real rows inside
 *     the fake one;
 *   - ROC-AUC: sklearn's roc_auc_score (anomaly detection: a trainer's
 *     per-image anomaly scores of normal and anomalous held-out images).
 *
 * Sections: feature statistics, Fréchet distance, Inception Score, KID,
 * precision/recall, ROC-AUC.
 */
#ifndef GENLAB_SCORES_H
#define GENLAB_SCORES_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- feature statistics ---- */

/* Streaming first and second moments of dim-dimensional features, in
 * float64 (sums of x and of x x^T, upper triangle, updated by dsyrk in
 * blocks of rows). */
typedef struct genlab_feature_stats genlab_feature_stats;

/* genlab_fstats_create — empty statistics of dim features (dim >= 1).
 * OUT: *out, freed with genlab_fstats_free. GL_ERR_INVALID, GL_ERR_NOMEM. */
genlab_status genlab_fstats_create(genlab_ctx *ctx, int64_t dim, genlab_feature_stats **out);
void genlab_fstats_free(genlab_feature_stats *s);

/* genlab_fstats_add — add n rows (n x dim float32, row-major). A row with
 * a NaN or infinity is GL_ERR_NUMERIC naming its index, and nothing of
 * the call is added. */
genlab_status genlab_fstats_add(genlab_ctx *ctx, genlab_feature_stats *s, const float *rows,
                                int64_t n);

/* genlab_fstats_count / genlab_fstats_dim — rows added so far / dim. */
int64_t genlab_fstats_count(const genlab_feature_stats *s);
int64_t genlab_fstats_dim(const genlab_feature_stats *s);

/* genlab_fstats_finish — mu (dim) and the full symmetric sigma (dim x dim,
 * row-major), the unbiased covariance. GL_ERR_INVALID with fewer than 2
 * rows. With fewer rows than dim + 1 (or a feature of zero variance) the
 * covariance is singular: allowed (FID stays finite, see
 * genlab_frechet_distance), and *singular (may be NULL) is set so the
 * caller can warn; else it is set false. s is not changed: more rows may
 * be added and finish called again. */
genlab_status genlab_fstats_finish(genlab_ctx *ctx, const genlab_feature_stats *s, double *mu,
                                   double *sigma, bool *singular);

/* ---- Fréchet distance ---- */

/* genlab_frechet_distance — FID between N(mu1, sigma1) and N(mu2,
 * sigma2), dim-dimensional, sigma row-major and symmetric (only the
 * upper triangle is read). Eigenvalues below zero from round-off are
 * clipped to zero, so rank-deficient covariances give a finite value.
 * GL_ERR_NUMERIC for NaN/infinite inputs or a LAPACK failure. */
genlab_status genlab_frechet_distance(genlab_ctx *ctx, int64_t dim, const double *mu1,
                                      const double *sigma1, const double *mu2,
                                      const double *sigma2, double *out);

/* ---- Inception Score ---- */

/* genlab_inception_score — from n rows of n_classes logits (softmax taken
 * here, in float64), n_splits contiguous splits (n >= n_splits >= 1):
 * split s is rows [s n / n_splits, (s + 1) n / n_splits), floor divisions,
 * as torch-fidelity's (sizes differ by at most one). */
genlab_status genlab_inception_score(genlab_ctx *ctx, const float *logits, int64_t n,
                                     int64_t n_classes, int n_splits, double *mean, double *std);

/* ---- KID ---- */

/* genlab_kid — n_subsets subsets of subset_size rows of each set, drawn
 * without replacement from a Philox stream keyed by seed (so not the same
 * subsets as torch-fidelity's NumPy generator: equal in distribution).
 * subset_size larger than either set is GL_ERR_INVALID naming both. */
genlab_status genlab_kid(genlab_ctx *ctx, const float *real, int64_t n_real, const float *fake,
                         int64_t n_fake, int64_t dim, int n_subsets, int64_t subset_size,
                         uint64_t seed, double *mean, double *std);

/* genlab_kid_mmd2 — the unbiased MMD^2 of one subset pair given by row
 * indices (m >= 2 of each; the building block of genlab_kid; exposed for
 * golden tests). The indices must be rows of their sets (the sets' sizes
 * are not passed: only negative indices can be refused). */
genlab_status genlab_kid_mmd2(genlab_ctx *ctx, const float *real, const int64_t *real_idx,
                              const float *fake, const int64_t *fake_idx, int64_t m,
                              int64_t dim, double *out);

/* ---- precision / recall ---- */

/* genlab_precision_recall — k-NN manifolds (k >= 1, each set larger than
 * k). Pairwise distances by blocked sgemm, so memory stays O(block x n). */
genlab_status genlab_precision_recall(genlab_ctx *ctx, const float *real, int64_t n_real,
                                      const float *fake, int64_t n_fake, int64_t dim, int k,
                                      double *precision, double *recall);

/* ---- ROC-AUC ---- */

/* genlab_roc_auc — the area under the ROC curve of scores for telling the
 * positives (positive[i] true: an anomaly, for `genlab score --metric
 * auroc`) from the negatives, higher scores meaning positive: the
 * probability that a random positive scores above a random negative, a
 * tie counting one half (the Mann-Whitney U over P N). This is
 * sklearn.metrics.roc_auc_score's value: its trapezoids over the distinct
 * thresholds add up to exactly that, tied scores making one threshold.
 * Computed in O(n log n) with exact counts (each term a multiple of 1/2).
 * n >= 2 with at least one of each class; a NaN or infinite score is
 * GL_ERR_NUMERIC naming its index (sklearn refuses them too); either class
 * missing is GL_ERR_INVALID. scores and positive are not kept. */
genlab_status genlab_roc_auc(genlab_ctx *ctx, const double *scores, const bool *positive,
                             int64_t n, double *out);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_SCORES_H */
