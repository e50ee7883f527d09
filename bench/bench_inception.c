/* SPDX-License-Identifier: MIT
 *
 * bench_inception.c — feature extraction with the FID Inception extractor
 * (plugins/metrics/inception_net.c), timed as ../shared/bench/torch_ref.py
 * times torchvision's inception_v3 (--model inception_v3): one iteration
 * is one features() call on a batch of 50 random images of 3x299x299 in
 * [-1, 1] (the pytorch-fid resize of a 299x299 image is a copy), after
 * warm-up iterations.
 *
 *   bench_inception [--batch N] [--steps N] [--warmup N] [--threads N]
 *                   [--resize pytorch-fid|clean-fid] [--side S] [--chunk N]
 *                   [--weights FILE]
 *
 * --chunk N puts N images through the network at once (default 10: the
 * extractor's own choice, measured with this option).
 * --side S feeds SxS images instead (the resize then runs: 32 for CIFAR).
 * Without --weights, the weights come from the test formula
 * (tests/tu_inception.h), written to a temporary file: timings do not
 * depend on the values. Prints one TSV line: resize, side, batch,
 * ms/iteration (median), images/s, fastest ms, peak RSS (MiB), arena peak
 * (MiB), the time to open the weights (s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "extractor.h"
#include "inception_impl.h"
#include "tu_inception.h"

#include "bench_clock.h"

static int usage(void)
{
    fprintf(stderr, "usage: bench_inception [--batch N] [--steps N] [--warmup N] [--threads N]\n"
                    "                       [--resize pytorch-fid|clean-fid] [--side S] "
                    "[--chunk N] [--weights FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int batch = 50, steps = 3, warmup = 1, threads = 2, side = 299;   /* torch_ref.py's */
    int chunk = 0;                                                    /* the default */
    const char *resize = "pytorch-fid", *weights = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return usage();
        if (!strcmp(a, "--batch"))
            batch = atoi(v);
        else if (!strcmp(a, "--steps"))
            steps = atoi(v);
        else if (!strcmp(a, "--warmup"))
            warmup = atoi(v);
        else if (!strcmp(a, "--threads"))
            threads = atoi(v);
        else if (!strcmp(a, "--side"))
            side = atoi(v);
        else if (!strcmp(a, "--chunk"))
            chunk = atoi(v);
        else if (!strcmp(a, "--resize"))
            resize = v;
        else if (!strcmp(a, "--weights"))
            weights = v;
        else
            return usage();
        i++;
    }
    if (batch < 1 || steps < 1 || warmup < 0 || threads < 1 || side < 1 || chunk < 0)
        return usage();

    genlab_ctx_options o = {.seed = 0, .n_threads = threads};
    genlab_ctx *ctx = NULL;
    if (genlab_ctx_create(&o, &ctx) != GL_OK)
        return 1;
    char tmp[] = "/tmp/bench_inception-XXXXXX.safetensors";
    if (!weights) {
        int fd = mkstemps(tmp, 12);
        if (fd < 0 || close(fd) != 0 || tu_inception_write(ctx, tmp) != GL_OK) {
            fprintf(stderr, "bench_inception: cannot write %s: %s\n", tmp,
                    genlab_ctx_errmsg(ctx));
            return 1;
        }
    }
    mx_extractor *x = NULL;
    double t0 = bench_now_ms();
    genlab_status st = mx_inception_open(ctx, weights ? weights : tmp, resize, &x);
    double open_s = (bench_now_ms() - t0) / 1e3;
    if (!weights)
        unlink(tmp);
    if (st != GL_OK) {
        fprintf(stderr, "bench_inception: %s\n", genlab_ctx_errmsg(ctx));
        return 1;
    }
    mx_inception_set_chunk(x, chunk);
    genlab_tensor *images =
        genlab_rand(ctx, 4, (const int64_t[]){batch, 3, side, side}, -1.0f, 1.0f);
    float *feat = malloc((size_t)batch * 2048 * sizeof *feat);
    double *ms = malloc((size_t)steps * sizeof *ms);
    if (!images || !feat || !ms) {
        fprintf(stderr, "bench_inception: %s\n", genlab_ctx_errmsg(ctx));
        return 1;
    }
    for (int i = 0; i < warmup + steps; i++) {
        t0 = bench_now_ms();
        /* features only, as torch_ref.py (its fc replaced by the identity) */
        if (x->features(ctx, x, images, feat, NULL) != GL_OK) {
            fprintf(stderr, "bench_inception: %s\n", genlab_ctx_errmsg(ctx));
            return 1;
        }
        if (i >= warmup)
            ms[i - warmup] = bench_now_ms() - t0;
    }
    qsort(ms, (size_t)steps, sizeof *ms, bench_cmp_double);
    double med = steps % 2 ? ms[steps / 2] : (ms[steps / 2 - 1] + ms[steps / 2]) / 2;
    printf("resize\tside\tbatch\tms/iter\timg/s\tmin ms\tpeak RSS MiB\tarena peak MiB\topen s\n");
    printf("%s\t%d\t%d\t%.1f\t%.2f\t%.1f\t%ld\t%.0f\t%.2f\n", resize, side, batch, med,
           batch * 1000.0 / med, ms[0], bench_peak_rss_mib(),
           (double)genlab_ctx_arena_peak(ctx) / (1 << 20), open_s);
    free(ms);
    free(feat);
    x->destroy(x);
    genlab_ctx_destroy(ctx);
    return 0;
}
