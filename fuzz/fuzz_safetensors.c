/* SPDX-License-Identifier: MIT
 *
 * fuzz_safetensors.c — libFuzzer target for the checkpoint reader
 * (genlab_ckpt_parse): any bytes must give either GL_OK or an error, never
 * a read outside the file, a leak or undefined behaviour.
 *
 * A parsed checkpoint is then used as a caller would: every entry visited
 * and its bytes read (so ASan sees each data range handed out), found by
 * name, copied out with genlab_ckpt_read under its own dtype and shape, and
 * a few metadata keys looked up. Not here: the writer, the directory
 * functions (no untrusted input).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* one small context for the whole run: creating one per input would
     * time the backend's start-up, not the parser */
    static genlab_ctx *ctx;
    if (!ctx) {
        genlab_ctx_options o = {.arena_bytes = 1 << 16, .n_threads = 1};
        if (genlab_ctx_create(&o, &ctx) != GL_OK)
            return 0;
    }
    genlab_ckpt *c = NULL;
    if (genlab_ckpt_parse(ctx, data, size, "fuzz", &c) == GL_OK) {
        volatile unsigned sum = 0;
        for (size_t i = 0; i < genlab_ckpt_count(c); i++) {
            genlab_ckpt_entry e, f;
            if (!genlab_ckpt_entry_at(c, i, &e))
                abort();
            const unsigned char *p = e.data;
            for (size_t k = 0; k < e.nbytes; k++)
                sum += p[k];
            sum += (unsigned)strlen(e.name) + (unsigned)strlen(e.dtype);
            /* a name found by find may be another entry only if names repeat,
             * which the parser refuses */
            if (genlab_ckpt_find(ctx, c, e.name, &f) != GL_OK || f.data != e.data)
                abort();
            void *dst = malloc(e.nbytes ? e.nbytes : 1);
            if (dst) {
                if (genlab_ckpt_read(ctx, c, e.name, e.dtype, e.ndim, e.shape, dst) != GL_OK)
                    abort();
                free(dst);
            }
        }
        const char *keys[] = {"step", "format", "", "__metadata__"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const char *v = genlab_ckpt_meta(c, keys[i]);
            if (v)
                sum += (unsigned)strlen(v);
        }
        (void)sum;
        genlab_ckpt_close(c);
    } else if (c != NULL || genlab_ctx_errmsg(ctx)[0] == '\0') {
        abort();  /* a failure must leave no checkpoint and say why */
    }
    genlab_ctx_clear_error(ctx);
    return 0;
}
