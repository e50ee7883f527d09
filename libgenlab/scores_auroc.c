/* SPDX-License-Identifier: MIT
 *
 * scores_auroc.c — the area under the ROC curve (scores.h), as
 * sklearn.metrics.roc_auc_score computes it, for anomaly detection: a
 * trainer's per-image anomaly scores of held-out images, the anomalous
 * ones the positives.
 *
 * The ROC curve's trapezoids over the distinct thresholds add up to the
 * Mann-Whitney statistic: over the scores in increasing order, each group
 * of g_pos positives and g_neg negatives tied at one score adds
 * g_pos (negatives below + g_neg / 2); the area is that over P N. Every
 * term is a multiple of 1/2 and the sum is below 2^53 for any n this
 * accepts, so the count is exact and only the final division rounds.
 *
 * Not here: where the scores come from (a trainer's anomaly_score()),
 * which classes are normal (the caller's).
 */
#include <math.h>
#include <stdlib.h>

#include "genlab/scores.h"

typedef struct scored {
    double score;
    bool   positive;
} scored;

static int by_score(const void *a, const void *b)
{
    double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

genlab_status genlab_roc_auc(genlab_ctx *ctx, const double *scores, const bool *positive,
                             int64_t n, double *out)
{
    /* n above 2^26 could let P N pass 2^52, where the halves stop being exact */
    if (!scores || !positive || !out || n < 2 || n > (INT64_C(1) << 26))
        return genlab_errorf(ctx, GL_ERR_INVALID, "roc_auc: %lld scores (needs 2 to 2^26, with "
                             "scores, labels and an output)", (long long)n);
    int64_t p = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(scores[i]))   /* sklearn refuses them too */
            return genlab_errorf(ctx, GL_ERR_NUMERIC, "roc_auc: score %lld is %g",
                                 (long long)i, scores[i]);
        p += positive[i];
    }
    if (p == 0 || p == n)
        return genlab_errorf(ctx, GL_ERR_INVALID, "roc_auc: all %lld items are %s: the area "
                             "needs both classes", (long long)n,
                             p ? "positive" : "negative");
    scored *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "roc_auc: out of memory for %lld scores",
                             (long long)n);
    for (int64_t i = 0; i < n; i++)
        s[i] = (scored){scores[i], positive[i]};
    qsort(s, (size_t)n, sizeof *s, by_score);
    double u = 0.0;         /* the positive-above-negative pairs, ties as halves */
    int64_t neg_below = 0;
    for (int64_t i = 0; i < n;) {
        int64_t g_pos = 0, g_neg = 0, j = i;
        for (; j < n && s[j].score == s[i].score; j++)
            g_pos += s[j].positive, g_neg += !s[j].positive;
        u += (double)g_pos * ((double)neg_below + 0.5 * (double)g_neg);
        neg_below += g_neg;
        i = j;
    }
    free(s);
    *out = u / ((double)p * (double)(n - p));
    return GL_OK;
}
