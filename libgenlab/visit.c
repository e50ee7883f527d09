/* SPDX-License-Identifier: MIT
 *
 * visit.c — presenting raw state (float blocks, counters) as named tensors
 * to a checkpoint visitor (genlab_visit_fn), for the *_visit functions of
 * parameters, optimizers and EMA.
 */
#include <inttypes.h>
#include <stdio.h>

#include "internal.h"

/* visit_wrapped — wrap data in a persistent header, call fn, free it */
static genlab_status visit_wrapped(genlab_ctx *ctx, const char *prefix, const char *suffix,
                                   genlab_dtype dtype, void *data, int64_t numel,
                                   genlab_visit_fn fn, void *user)
{
    char name[256];
    if (snprintf(name, sizeof name, "%s%s", prefix, suffix) >= (int)sizeof name)
        return genlab_errorf(ctx, GL_ERR_INVALID, "checkpoint name \"%s%s\" is too long", prefix,
                             suffix);
    genlab_tensor *t = gl_tensor_wrap(ctx, dtype, 1, &numel, data);
    if (!t)
        return genlab_ctx_status(ctx);
    genlab_status st = fn(user, name, t);
    genlab_tensor_free(t);
    return st;
}

genlab_status gl_visit_floats(genlab_ctx *ctx, const char *prefix, const char *suffix,
                              float *data, int64_t numel, genlab_visit_fn fn, void *user)
{
    return visit_wrapped(ctx, prefix, suffix, GL_F32, data, numel, fn, user);
}

genlab_status gl_visit_count(genlab_ctx *ctx, const char *prefix, const char *suffix,
                             int64_t *count, genlab_visit_fn fn, void *user)
{
    if (*count > INT32_MAX)
        return genlab_errorf(ctx, GL_ERR_UNSUPPORTED, "%s%s: %" PRId64 " does not fit the "
                             "checkpoint's int32", prefix, suffix, *count);
    int32_t v = (int32_t)*count;
    genlab_status st = visit_wrapped(ctx, prefix, suffix, GL_I32, &v, 1, fn, user);
    if (st == GL_OK && v < 0)
        return genlab_errorf(ctx, GL_ERR_UNSUPPORTED, "%s%s: %d restored (must be >= 0)", prefix,
                             suffix, (int)v);
    if (st == GL_OK)
        *count = v;
    return st;
}
