/* SPDX-License-Identifier: MIT
 *
 * fuzz_npz.c — libFuzzer target for the .npz reader (genlab_npz_parse):
 * any bytes must give either GL_OK or an error naming the input, never a
 * read outside it, a leak, undefined behaviour or an allocation past the
 * reader's caps.
 *
 * The input is read twice: as an archive, and as the bytes of one .npy
 * member, stored in an archive built here with the right CRC-32 (mutated
 * .npy headers inside the seed archives mostly fail their CRC, so without
 * this the .npy parser would be reached by few inputs). An archive that
 * parses is then used as a caller would: every array of the names the
 * seeds use looked up and each value read (so ASan sees the extent of
 * data against ndim and shape). Not here: the writer (no untrusted
 * input). Seeds: fuzz/corpus/npz/ (NumPy's files from tests/golden/npz/,
 * a genlab-written one, and bare .npy members).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "genlab/npz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v);
    wr16(p + 2, v >> 16);
}

/* one_member — a zip holding npy (size bytes) stored as "mu.npy"; *out_size */
static uint8_t *one_member(const uint8_t *npy, size_t size, size_t *out_size)
{
    static const char name[] = "mu.npy";
    const size_t nl = sizeof name - 1, n = 30 + nl + size + 46 + nl + 22;
    uint8_t *z = calloc(1, n);
    if (!z)
        return NULL;
    const uint32_t crc = (uint32_t)crc32(0, npy, (uInt)size);
    uint8_t *p = z;
    wr32(p, 0x04034b50);
    wr16(p + 4, 20);
    wr32(p + 14, crc);
    wr32(p + 18, (uint32_t)size);
    wr32(p + 22, (uint32_t)size);
    wr16(p + 26, (uint32_t)nl);
    memcpy(p + 30, name, nl);
    if (size)
        memcpy(p + 30 + nl, npy, size);
    p += 30 + nl + size;
    wr32(p, 0x02014b50);
    wr16(p + 4, 20);
    wr16(p + 6, 20);
    wr32(p + 16, crc);
    wr32(p + 20, (uint32_t)size);
    wr32(p + 24, (uint32_t)size);
    wr16(p + 28, (uint32_t)nl);
    memcpy(p + 46, name, nl);
    p += 46 + nl;
    wr32(p, 0x06054b50);
    wr16(p + 8, 1);
    wr16(p + 10, 1);
    wr32(p + 12, (uint32_t)(46 + nl));
    wr32(p + 16, (uint32_t)(30 + nl + size));
    *out_size = n;
    return z;
}

/* use — parse b as an archive and read every array a caller would */
static void use(genlab_ctx *ctx, const uint8_t *b, size_t size)
{
    genlab_npz *z = NULL;
    if (genlab_npz_parse(ctx, b, size, "fuzz.npz", &z) == GL_OK) {
        static const char *const names[] = {"mu", "sigma", "scalar", "empty", "cube", "f4", ""};
        volatile double sum = 0.0;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            const genlab_npz_array *a = genlab_npz_get(z, names[k]);
            if (!a)
                continue;
            if (a->ndim < 0 || a->ndim > GL_NPZ_MAX_DIMS || strcmp(a->name, names[k]))
                abort();
            int64_t n = 1;
            for (int d = 0; d < a->ndim; d++) {
                if (a->shape[d] < 0)
                    abort();
                n *= a->shape[d];
            }
            for (int64_t i = 0; i < n; i++)
                sum += isnan(a->data[i]) ? 0.0 : a->data[i];
        }
        (void)sum;
        genlab_npz_close(z);
    } else if (z != NULL || strncmp(genlab_ctx_errmsg(ctx), "fuzz.npz", 8) != 0) {
        abort();  /* a failure must leave no archive and name the input */
    }
    genlab_ctx_clear_error(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* one small context for the whole run: parsing uses only its error slot */
    static genlab_ctx *ctx;
    if (!ctx) {
        genlab_ctx_options o = {.arena_bytes = 1 << 16, .n_threads = 1};
        if (genlab_ctx_create(&o, &ctx) != GL_OK)
            return 0;
    }
    use(ctx, data, size);
    size_t zsize;
    uint8_t *z = one_member(data, size, &zsize);
    if (z) {
        use(ctx, z, zsize);
        free(z);
    }
    return 0;
}
