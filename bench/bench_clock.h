/* SPDX-License-Identifier: MIT
 *
 * bench_clock.h — what every bench program measures with: a clock in
 * seconds or milliseconds, the process's peak resident memory, and the
 * comparison qsort needs to take a median. Header-only (each bench is one
 * program), static functions, no state.
 */
#ifndef GENLAB_BENCH_CLOCK_H
#define GENLAB_BENCH_CLOCK_H

#include <sys/resource.h>
#include <time.h>

/* bench_clock_s — clock id's time in seconds (CLOCK_MONOTONIC for wall
 * time, CLOCK_PROCESS_CPUTIME_ID for the CPU time of all threads) */
static inline double bench_clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* bench_now_ms — monotonic wall time in milliseconds */
static inline double bench_now_ms(void) { return 1e3 * bench_clock_s(CLOCK_MONOTONIC); }

/* bench_peak_rss_mib — the process's peak resident set so far, MiB */
static inline long bench_peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* bench_cmp_double — ascending order of doubles, for qsort */
static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#endif /* GENLAB_BENCH_CLOCK_H */
