/* SPDX-License-Identifier: MIT
 *
 * tu_inception.h — a weights file for the FID Inception extractor without
 * the real weights: every tensor from the formula tests/golden/
 * gen_inception.py computes too (its file comment gives it), written with
 * genlab_ckpt_writer under pytorch-fid's names. For tests/test_inception.c
 * (whose golden values the script computed from the same weights) and
 * bench/bench_inception.c (whose timings do not depend on the values).
 * Header-only; needs plugins/metrics/inception_net.c linked in.
 *
 * Sections: the formula, the file.
 */
#ifndef GENLAB_TU_INCEPTION_H
#define GENLAB_TU_INCEPTION_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/genlab.h"
#include "inception_impl.h"

/* ---- the formula ---- */

static inline uint32_t tu_fnv1a(const char *s)
{
    uint32_t h = 0x811C9DC5u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x01000193u;
    return h;
}

/* MurmurHash3's 32-bit finaliser */
static inline uint32_t tu_fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

/* (a, m) of the tensor called name of this shape: v = a * r + m */
static inline void tu_inception_role(const char *name, const int64_t *shape, double *a,
                                     double *m)
{
    static const struct {
        const char *suffix;
        double a, m;
    } roles[] = {
        {".bn.weight", 0.2, 1.0},       {".bn.bias", 0.1, 0.0},
        {".bn.running_mean", 0.1, 0.0}, {".bn.running_var", 0.25, 1.25},
        {"fc.bias", 0.1, 0.0},
    };
    size_t n = strlen(name);
    *m = 0.0;
    if (strcmp(name, "fc.weight") == 0) {
        *a = sqrt(3.0 / 2048);
        return;
    }
    if (n > 12 && strcmp(name + n - 12, ".conv.weight") == 0) {
        *a = 1.15 * sqrt(6.0 / (double)(shape[1] * shape[2] * shape[3]));
        return;
    }
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        size_t k = strlen(roles[i].suffix);
        if (n >= k && strcmp(name + n - k, roles[i].suffix) == 0) {
            *a = roles[i].a;
            *m = roles[i].m;
            return;
        }
    }
    *a = 0.0;   /* not an Inception tensor: zeros */
}

/* the n values of the tensor called name; every step an exactly rounded
 * IEEE operation, each in its own statement (no fused multiply-add), as
 * NumPy computes them */
static inline void tu_inception_fill(const char *name, const int64_t *shape, int64_t n,
                                     float *out)
{
    double a, m;
    tu_inception_role(name, shape, &a, &m);
    uint32_t c = tu_fnv1a(name);
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = tu_fmix32((uint32_t)((uint64_t)i * 0x9E3779B1u + c));
        double r = (double)(u >> 8) * 0x1p-23 - 1.0;
        double p = a * r;
        out[i] = (float)(p + m);
    }
}

/* ---- the file ---- */

/* tu_inception_write — the whole weights file at path (about 95 MB), every
 * tensor from the formula. GL_OK or the writer's error on ctx. */
static inline genlab_status tu_inception_write(genlab_ctx *ctx, const char *path)
{
    genlab_ckpt_writer *w = NULL;
    genlab_status st = genlab_ckpt_writer_create(ctx, &w);
    /* the largest tensor: fc.weight */
    float *buf = st == GL_OK ? malloc((size_t)1008 * 2048 * sizeof *buf) : NULL;
    if (st == GL_OK && !buf)
        st = genlab_errorf(ctx, GL_ERR_NOMEM, "tu_inception_write: out of memory");
    for (int i = 0; i < MX_INCEPTION_TENSORS && st == GL_OK; i++) {
        char name[64];
        int64_t shape[4], n = 1;
        int nd = mx_inception_tensor(i, name, sizeof name, shape);
        for (int d = 0; d < nd; d++)
            n *= shape[d];
        tu_inception_fill(name, shape, n, buf);
        st = genlab_ckpt_add(w, name, "F32", nd, shape, buf);
    }
    if (st == GL_OK)
        st = genlab_ckpt_write(w, path);
    free(buf);
    genlab_ckpt_writer_free(w);
    return st;
}

#endif /* GENLAB_TU_INCEPTION_H */
