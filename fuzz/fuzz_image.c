/* SPDX-License-Identifier: MIT
 *
 * fuzz_png.c — libFuzzer target for the PNG decoder: genlab_image_decode
 * on each input (seeds: fuzz/corpus/png/). Inputs that lose the PNG
 * signature still go through the dispatcher, which must refuse them.
 *
 * One context serves every input (its errors are cleared after each); it
 * stays reachable in a static, so the leak checker does not count it.
 */
#include <stddef.h>
#include <stdint.h>

#include "genlab/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static genlab_ctx *ctx;
    genlab_ctx_options opt = {.arena_bytes = 1 << 16};
    if (!ctx && genlab_ctx_create(&opt, &ctx) != GL_OK)
        return 0;
    genlab_image img;
    genlab_image_decode(ctx, data, size, "fuzz.png", &img);
    genlab_image_free(&img);
    genlab_ctx_clear_error(ctx);
    return 0;
}
