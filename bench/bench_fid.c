/* SPDX-License-Identifier: MIT
 *
 * bench_fid.c — the time of genlab_frechet_distance for two statistics of
 * Inception's size (dim 2048), against the budget: under 1 s on 2
 * cores. bench/scipy_fid.py times pytorch-fid's scipy.linalg.sqrtm formula
 * on the same two statistics (the .npz files this program writes), so
 * both numbers come from one session and one pair of matrices.
 *
 * The statistics: sigma = A A^T / k for a dim x k matrix A of standard
 * normals (Box-Muller over Philox, so the matrices depend on the seed
 * alone), full rank for k >= dim and of rank k below (fewer samples than
 * dims); mu standard normal. Also timed, with --eigh: the symmetric
 * eigendecomposition with vectors of sigma1 (LAPACKE dsyevr 'V'), the
 * first step of the square-root route that scores_fid.c does not take
 * (its file comment says why).
 *
 * Not a test (not run by make check): `make bench/bench_fid`, then
 *     bench/bench_fid [--dim 2048] [--k 4096] [--threads 2] [--reps 5]
 *                     [--eigh] [--out DIR]
 * --out writes DIR/fid_a.npz and DIR/fid_b.npz (pytorch-fid's layout) for
 * scipy_fid.py. Output: one TSV line per timing (what, dim, k, threads,
 * best wall s, median wall s, CPU s of the best, value).
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "genlab/genlab.h"

#include "bench_clock.h"
#include "genlab/npz.h"
#include "genlab/scores.h"

/* A timing: wall seconds and the process's CPU seconds (all threads). On a
 * loaded machine the wall time measures the load; with --threads 1 the CPU
 * time is close to what the run takes alone. */
typedef struct timing {
    double wall, cpu;
} timing;

static timing now(void)
{
    return (timing){bench_clock_s(CLOCK_MONOTONIC), bench_clock_s(CLOCK_PROCESS_CPUTIME_ID)};
}

static timing since(timing t0)
{
    timing t = now();
    return (timing){t.wall - t0.wall, t.cpu - t0.cpu};
}

/* normals — n standard normals from Philox keyed by (seed, stream) */
static void normals(uint64_t seed, uint32_t stream, double *out, int64_t n)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (int64_t i = 0; i < n; i++) {
        const uint32_t ctr[4] = {(uint32_t)i, (uint32_t)((uint64_t)i >> 32), stream, 0};
        uint32_t r[4];
        genlab_philox(ctr, key, r);
        const double u1 = ((double)r[0] + 1.0) * 0x1p-32, u2 = (double)r[1] * 0x1p-32;
        out[i] = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    }
}

/* statistics — mu (dim) and sigma = A A^T / k (dim x dim, full) */
static void statistics(uint64_t seed, uint32_t which, int64_t dim, int64_t k, double *mu,
                       double *sigma)
{
    double *a = malloc(sizeof(double) * (size_t)(dim * k));
    normals(seed, 2 * which, a, dim * k);
    normals(seed, 2 * which + 1, mu, dim);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (blasint)dim, (blasint)k, 1.0 / k, a,
                (blasint)k, 0.0, sigma, (blasint)dim);
    for (int64_t i = 0; i < dim; i++)
        for (int64_t j = 0; j < i; j++)
            sigma[i * dim + j] = sigma[j * dim + i];
    free(a);
}

static int by_wall(const void *a, const void *b)
{
    double x = ((const timing *)a)->wall, y = ((const timing *)b)->wall;
    return x < y ? -1 : x > y;
}

/* report — best and median wall time, CPU time of the best, value */
static void report(const char *what, int64_t dim, int64_t k, int threads, timing *t, int reps,
                   double value)
{
    qsort(t, (size_t)reps, sizeof *t, by_wall);
    printf("%s\t%lld\t%lld\t%d\t%.3f\t%.3f\t%.3f\t%.10g\n", what, (long long)dim,
           (long long)k, threads, t[0].wall, t[reps / 2].wall, t[0].cpu, value);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int64_t dim = 2048, k = 4096;
    int threads = 2, reps = 5;
    bool eigh = false;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--dim") && v)
            dim = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--k") && v)
            k = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && v)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && v)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--out") && v)
            out = argv[++i];
        else if (!strcmp(argv[i], "--eigh"))
            eigh = true;
        else {
            fprintf(stderr, "usage: %s [--dim N] [--k N] [--threads N] [--reps N] [--eigh] "
                    "[--out DIR]\n", argv[0]);
            return 2;
        }
    }
    if (dim < 1 || k < 1 || threads < 1 || reps < 1 || reps > 100) {
        fprintf(stderr, "bench_fid: dim, k, threads >= 1 and 1 <= reps <= 100 needed\n");
        return 2;
    }
    genlab_ctx_options o = {.seed = 1, .n_threads = threads};
    genlab_ctx *ctx;
    if (genlab_ctx_create(&o, &ctx) != GL_OK)
        return 1;
    openblas_set_num_threads(threads);
    const size_t nn = (size_t)(dim * dim);
    double *mu1 = malloc(sizeof(double) * (size_t)dim), *mu2 = malloc(sizeof(double) * (size_t)dim);
    double *s1 = malloc(sizeof(double) * nn), *s2 = malloc(sizeof(double) * nn);
    statistics(1, 0, dim, k, mu1, s1);
    statistics(1, 1, dim, k, mu2, s2);
    int rc = 0;
    if (out) {
        char path[4096];
        for (int w = 0; w < 2 && !rc; w++) {
            genlab_npz_array a[2] = {{"mu", 1, {dim}, w ? mu2 : mu1},
                                     {"sigma", 2, {dim, dim}, w ? s2 : s1}};
            snprintf(path, sizeof path, "%s/fid_%c.npz", out, w ? 'b' : 'a');
            if (genlab_npz_write(ctx, path, a, 2) != GL_OK) {
                fprintf(stderr, "bench_fid: %s\n", genlab_ctx_errmsg(ctx));
                rc = 1;
            }
        }
    }
    timing t[100];
    double value = NAN;
    for (int r = 0; r < reps && !rc; r++) {
        timing t0 = now();
        if (genlab_frechet_distance(ctx, dim, mu1, s1, mu2, s2, &value) != GL_OK) {
            fprintf(stderr, "bench_fid: %s\n", genlab_ctx_errmsg(ctx));
            rc = 1;
        }
        t[r] = since(t0);
    }
    if (!rc)
        report("genlab_frechet_distance", dim, k, threads, t, reps, value);
    if (eigh && !rc) {
        double *a = malloc(sizeof(double) * nn), *z = malloc(sizeof(double) * nn);
        double *w = malloc(sizeof(double) * (size_t)dim);
        lapack_int *isuppz = malloc(sizeof(lapack_int) * (size_t)(2 * dim)), m;
        for (int r = 0; r < reps; r++) {
            memcpy(a, s1, sizeof(double) * nn);
            timing t0 = now();
            LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'A', 'L', (lapack_int)dim, a, (lapack_int)dim,
                           0, 0, 0, 0, 0, &m, w, z, (lapack_int)dim, isuppz);
            t[r] = since(t0);
        }
        report("dsyevr_vectors_of_sigma1", dim, k, threads, t, reps, w[dim - 1]);
        free(a);
        free(z);
        free(w);
        free(isuppz);
    }
    free(mu1);
    free(mu2);
    free(s1);
    free(s2);
    genlab_ctx_destroy(ctx);
    return rc;
}
