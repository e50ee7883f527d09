/* SPDX-License-Identifier: MIT
 *
 * bench_transform.c — images per second of genlab_image_resize on one
 * thread, for the resizes a data loader does: a CelebA photo (218 x 178
 * RGB) down to 64 x 64, and a CIFAR-sized image (32 x 32 RGB) up to
 * 64 x 64, with each filter (the best of many short batches). Pillow's
 * numbers for the same calls come from the one-liner printed at the end
 * (run it with /usr/bin/python3).
 *
 * Not a test (not run by make check): build with `make bench/bench_transform`,
 * run `bench/bench_transform [SECONDS per case, default 1]`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "genlab/genlab.h"

#include "bench_clock.h"

/* resizes per second of in to w x h with f: the best of batches of 20
 * over about `seconds` (the best, as other processes on a shared machine
 * only ever slow a batch down) */
static double rate(genlab_ctx *ctx, const genlab_image *in, int32_t w, int32_t h,
                   genlab_resize_filter f, double seconds)
{
    double best = 0, start = bench_clock_s(CLOCK_MONOTONIC);
    do {
        double t0 = bench_clock_s(CLOCK_MONOTONIC);
        for (int i = 0; i < 20; i++) {
            genlab_image out;
            if (genlab_image_resize(ctx, in, w, h, f, &out) != GL_OK)
                return 0;
            genlab_image_free(&out);
        }
        double r = 20 / (bench_clock_s(CLOCK_MONOTONIC) - t0);
        best = r > best ? r : best;
    } while (bench_clock_s(CLOCK_MONOTONIC) - start < seconds);
    return best;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    static const struct { int32_t w, h, ow, oh; } cases[] = {
        {178, 218, 64, 64},   /* CelebA aligned (W x H) -> 64 x 64 */
        {32, 32, 64, 64},     /* CIFAR-10 up 2x */
    };
    genlab_ctx *ctx = NULL;
    if (genlab_ctx_create(NULL, &ctx) != GL_OK)
        return 1;
    printf("%-10s %-9s %12s\n", "resize", "filter", "images/s");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        genlab_image in;
        if (genlab_image_alloc(ctx, &in, cases[c].w, cases[c].h, 3) != GL_OK)
            return 1;
        /* a gradient with a pseudo-random texture: weights do not depend on
         * the values, but keep the optimiser honest */
        uint32_t s = 12345;
        for (size_t i = 0; i < (size_t)cases[c].w * cases[c].h * 3; i++) {
            s = s * 1664525u + 1013904223u;
            in.data[i] = (uint8_t)((i / 3 % (size_t)cases[c].w) + (s >> 26));
        }
        for (int f = GL_RESIZE_AREA; f <= GL_RESIZE_BICUBIC; f++) {
            char what[32];
            snprintf(what, sizeof what, "%dx%d", cases[c].w, cases[c].h);
            double r = rate(ctx, &in, cases[c].ow, cases[c].oh, (genlab_resize_filter)f, seconds);
            if (r == 0) {
                fprintf(stderr, "bench_transform: %s\n", genlab_ctx_errmsg(ctx));
                return 1;
            }
            printf("%-10s %-9s %12.0f\n", what, genlab_resize_filter_name((genlab_resize_filter)f),
                   r);
        }
        genlab_image_free(&in);
    }
    genlab_ctx_destroy(ctx);
    printf("\nPillow, same calls:\n/usr/bin/python3 -c 'import timeit; from PIL import Image; "
           "import numpy as np\n"
           "for (w, h) in ((178, 218), (32, 32)):\n"
           "  im = Image.fromarray(np.random.default_rng(0).integers(0, 256, (h, w, 3), "
           "np.uint8))\n"
           "  for f in (Image.BOX, Image.BILINEAR, Image.BICUBIC):\n"
           "    t = min(timeit.repeat(lambda: im.resize((64, 64), f), number=20, repeat=500))\n"
           "    print(w, h, f, round(20 / t))'\n");
    return 0;
}
