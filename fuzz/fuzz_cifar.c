/* SPDX-License-Identifier: MIT
 *
 * fuzz_cifar.c — libFuzzer target for the cifar10/cifar100 dataset
 * plugins' parser: the input is one batch file's bytes (raw or gzip),
 * parsed as CIFAR-10 records (all classes, and filtered to "cat,dog") and
 * as CIFAR-100 records (fine labels) exactly as plugins/data/cifar.c
 * parses what it reads from disk; the first and last items kept are
 * decoded to images.
 *
 * The plugin's source is included to reach its static functions; its
 * descriptors are compiled along but never used. Seeds:
 * fuzz/corpus/cifar/ (written by tests/data_fuzz_seeds.py).
 */
#include "../plugins/data/datacommon.c"
#include "../plugins/data/cifar.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* one context for the whole run: parsing uses only its error slot */
    static genlab_ctx *ctx;
    if (!ctx && genlab_ctx_create(NULL, &ctx) != GL_OK)
        return 0;
    static const struct {
        const cifar_layout *lay;
        const char         *classes;
    } runs[] = {
        {&cifar10_layout, ""},
        {&cifar10_layout, "cat,dog"},
        {&cifar100_fine, ""},
    };
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        int remap[100], k;
        cifar_state d = {0};
        if (cifar_filter(ctx, runs[r].lay, runs[r].classes, remap, &k) == GL_OK &&
            cifar_parse(ctx, runs[r].lay, "fuzz.bin", data, size, k ? remap : NULL,
                        &d.items) == GL_OK) {
            int64_t last = d.items.n - 1;
            for (int64_t item = 0; item <= last; item += last > 0 ? last : 1) {
                genlab_image im;
                cifar_decode(ctx, &d, item, &im);
                genlab_image_free(&im);
            }
        }
        cifar_items_free(&d.items);
        genlab_ctx_clear_error(ctx);
    }
    return 0;
}
