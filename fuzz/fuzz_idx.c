/* SPDX-License-Identifier: MIT
 *
 * fuzz_idx.c — libFuzzer target for the idx dataset plugin's parser: the
 * input is one file's bytes (raw or gzip), parsed as an IDX image file and
 * as an IDX label file exactly as plugins/data/idx.c parses what it reads
 * from disk; what parses is then checked as labels and decoded (first and
 * last item) as images.
 *
 * The plugin's source is included to reach its static functions; its
 * descriptor is compiled along but never used. Seeds: fuzz/corpus/idx/
 * (written by tests/data_fuzz_seeds.py).
 */
#include "../plugins/data/datacommon.c"
#include "../plugins/data/idx.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* one context for the whole run: parsing uses only its error slot */
    static genlab_ctx *ctx;
    if (!ctx && genlab_ctx_create(NULL, &ctx) != GL_OK)
        return 0;
    for (int ndim = 1; ndim <= 3; ndim += 2) {
        idx_file f;
        if (idx_parse(ctx, "fuzz.idx", data, size, ndim, &f) == GL_OK) {
            if (ndim == 1) {
                int32_t n_classes;
                idx_check_labels(ctx, "fuzz.idx", &f, 10, &n_classes);
                idx_check_labels(ctx, "fuzz.idx", &f, 0, &n_classes);
            } else {
                idx_state d = {.images = f};
                int64_t last = (int64_t)f.dims[0] - 1;
                for (int64_t item = 0; item <= last; item += last > 0 ? last : 1) {
                    genlab_image im;
                    idx_decode(ctx, &d, item, &im);
                    genlab_image_free(&im);
                }
            }
            free(f.data);
        }
        genlab_ctx_clear_error(ctx);
    }
    return 0;
}
