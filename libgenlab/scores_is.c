/* SPDX-License-Identifier: MIT
 *
 * scores_is.c — the Inception Score (scores.h) of n rows of class logits:
 * per split, exp of the mean over its rows of KL(p_i || q), q the mean of
 * the split's p_i; then the mean and the population standard deviation of
 * the split scores, as torch-fidelity's isc_features_to_metric (and the
 * original improved-GAN code) compute them. Split s is rows
 * [s n / n_splits, (s + 1) n / n_splits) (floor divisions), so sizes differ
 * by at most one row.
 *
 * Method: one pass over a split's rows in float64. The softmax is taken
 * through log-sum-exp (log p finite however large the logits), and
 *     mean_i KL(p_i || q) = mean_i sum_c p_ic log p_ic - sum_c q_c log q_c,
 * the same sum regrouped so that q is needed only at the end. A term with
 * p = 0 (an exp that underflowed) counts 0, its limit (torch's
 * 0 * log 0 would be NaN). Not here: torch-fidelity's default shuffle of
 * the rows before splitting (RandomState(2020).permutation): the caller's
 * order is used, so to match torch-fidelity's number the caller shuffles.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"
#include "scores_impl.h"

#define FN "genlab_inception_score"

/* split_score — exp(mean KL) over rows [b0, b1) of logits; q and logp are
 * n_classes scratch doubles. */
static double split_score(const float *logits, int64_t b0, int64_t b1, int64_t n_classes,
                          double *q, double *logp)
{
    double h = 0.0;    /* sum over rows of sum_c p log p */
    for (int64_t c = 0; c < n_classes; c++)
        q[c] = 0.0;
    for (int64_t i = b0; i < b1; i++) {
        const float *x = logits + i * n_classes;
        double mx = x[0], se = 0.0;
        for (int64_t c = 1; c < n_classes; c++)
            mx = fmax(mx, x[c]);
        for (int64_t c = 0; c < n_classes; c++)
            se += exp((double)x[c] - mx);
        const double lse = mx + log(se);
        for (int64_t c = 0; c < n_classes; c++) {
            logp[c] = (double)x[c] - lse;
            const double p = exp(logp[c]);
            q[c] += p;
            if (p > 0.0)
                h += p * logp[c];
        }
    }
    const double rows = (double)(b1 - b0);
    double qlogq = 0.0;
    for (int64_t c = 0; c < n_classes; c++) {
        const double qc = q[c] / rows;
        if (qc > 0.0)
            qlogq += qc * log(qc);
    }
    return exp(h / rows - qlogq);
}

genlab_status genlab_inception_score(genlab_ctx *ctx, const float *logits, int64_t n,
                                     int64_t n_classes, int n_splits, double *mean, double *std)
{
    genlab_status st = gl_scores_check_rows(ctx, FN, "logits", logits, n, n_classes);
    if (st != GL_OK)
        return st;
    if (n_splits < 1 || n < n_splits)
        return genlab_errorf(ctx, GL_ERR_INVALID, FN ": %d splits of %lld rows (need 1 <= "
                             "splits <= rows)", n_splits, (long long)n);
    if (!mean || !std)
        return genlab_errorf(ctx, GL_ERR_INVALID, FN ": NULL %s", !mean ? "mean" : "std");
    double *buf = malloc(((size_t)n_classes * 2 + (size_t)n_splits) * sizeof(double));
    if (!buf)
        return genlab_errorf(ctx, GL_ERR_NOMEM, FN ": out of memory for %lld classes",
                             (long long)n_classes);
    double *q = buf, *logp = buf + n_classes, *score = logp + n_classes;
    double sum = 0.0;
    for (int s = 0; s < n_splits; s++) {
        score[s] = split_score(logits, s * n / n_splits, (s + 1) * n / n_splits, n_classes, q,
                               logp);
        sum += score[s];
    }
    const double m = sum / n_splits;
    double var = 0.0;
    for (int s = 0; s < n_splits; s++)
        var += (score[s] - m) * (score[s] - m);
    *mean = m;
    *std = sqrt(var / n_splits);
    free(buf);
    return GL_OK;
}
