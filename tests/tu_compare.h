/* SPDX-License-Identifier: MIT
 *
 * tu_compare.h — comparing float arrays against golden values in tests:
 * |got - want| <= atol + rtol * |want| for every element; on failure the
 * message gives the first mismatching index, both values and the largest
 * difference (llm.c's test_gpt2 habit). Header-only, for the Check suites.
 */
#ifndef GENLAB_TU_COMPARE_H
#define GENLAB_TU_COMPARE_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* tu_allclose — true when every element is close; else false with msg set. */
static inline bool tu_allclose(const float *got, const float *want, int64_t n, double atol,
                               double rtol, char *msg, size_t size)
{
    int64_t first = -1;
    double maxdiff = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        bool ok = d <= atol + rtol * fabs((double)want[i]);   /* false for NaN too */
        if (!ok && first < 0)
            first = i;
        if (!(d <= maxdiff))
            maxdiff = d;
    }
    if (first < 0)
        return true;
    snprintf(msg, size, "element %lld: got %.9g, want %.9g (max |diff| %.3g over %lld, "
             "atol %.3g, rtol %.3g)", (long long)first, (double)got[first],
             (double)want[first], maxdiff, (long long)n, atol, rtol);
    return false;
}

/* TU_ASSERT_CLOSE — fail the current Check test with the comparison message. */
#define TU_ASSERT_CLOSE(what, got, want, n, atol, rtol)                                  \
    do {                                                                                 \
        char tu_msg_[256];                                                               \
        ck_assert_msg(tu_allclose((got), (want), (n), (atol), (rtol), tu_msg_,           \
                                  sizeof tu_msg_), "%s: %s", (what), tu_msg_);           \
    } while (0)

#endif /* GENLAB_TU_COMPARE_H */
