/* SPDX-License-Identifier: MIT
 *
 * ctx.c — contexts, status texts and the sticky error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "internal.h"

const char *genlab_version(void) { return PACKAGE_VERSION; }

const char *genlab_status_str(genlab_status status)
{
    switch (status) {
    case GL_OK:              return "ok";
    case GL_ERR_NOMEM:       return "out of memory";
    case GL_ERR_INVALID:     return "invalid argument";
    case GL_ERR_SHAPE:       return "shape mismatch";
    case GL_ERR_DTYPE:       return "wrong element type";
    case GL_ERR_UNSUPPORTED: return "not supported";
    case GL_ERR_IO:          return "input/output error";
    case GL_ERR_ABI:         return "incompatible plugin ABI";
    case GL_ERR_NUMERIC:     return "non-finite value";
    case GL_ERR_STATE:       return "invalid state";
    case GL_ERR_FORMAT:      return "malformed file";
    case GL_ERR_DB:          return "database error";
    case GL_ERR_INTERRUPTED: return "interrupted";
    }
    return "unknown status";
}

#define GL_DEFAULT_ARENA ((size_t)64 << 20)
#define GL_META_ARENA    ((size_t)4 << 20)

genlab_status genlab_ctx_create(const genlab_ctx_options *opt, genlab_ctx **out)
{
    genlab_ctx_options defaults = {0};
    if (!out)
        return GL_ERR_INVALID;
    *out = NULL;
    if (!opt)
        opt = &defaults;
    const genlab_backend_i *be = genlab_backend_cpu();
    if (opt->backend && strcmp(opt->backend, be->name) != 0)
        return GL_ERR_UNSUPPORTED;   /* other backends are plugins, loaded by name later */

    genlab_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return GL_ERR_NOMEM;
    genlab_status st = be->init(opt->n_threads, &ctx->be_state);
    if (st != GL_OK) {
        free(ctx);
        return st;
    }
    ctx->be = be;
    gl_arena_init(&ctx->meta, GL_META_ARENA, NULL, NULL);
    gl_arena_init(&ctx->data, opt->arena_bytes ? opt->arena_bytes : GL_DEFAULT_ARENA, be,
                  ctx->be_state);
    ctx->grad_enabled = true;
    ctx->seed = opt->seed;
    *out = ctx;
    return GL_OK;
}

void genlab_ctx_destroy(genlab_ctx *ctx)
{
    if (!ctx)
        return;
    gl_arena_release(&ctx->meta);
    gl_arena_release(&ctx->data);
    free(ctx->tape);
    ctx->be->release(ctx->be_state);
    free(ctx);
}

genlab_status genlab_ctx_status(const genlab_ctx *ctx) { return ctx->status; }

const char *genlab_ctx_errmsg(const genlab_ctx *ctx) { return ctx->errmsg; }

void genlab_ctx_clear_error(genlab_ctx *ctx)
{
    ctx->status = GL_OK;
    ctx->errmsg[0] = '\0';
}

genlab_status genlab_errorf(genlab_ctx *ctx, genlab_status status, const char *fmt, ...)
{
    if (ctx && ctx->status == GL_OK && status != GL_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
        va_end(ap);
        ctx->status = status;
    }
    return status;
}

void genlab_ctx_step_begin(genlab_ctx *ctx)
{
    gl_arena_reset(&ctx->meta);
    gl_arena_reset(&ctx->data);
    ctx->tape_len = 0;
}

genlab_ctx_mark genlab_ctx_mark_get(const genlab_ctx *ctx)
{
    return (genlab_ctx_mark){gl_arena_pos(&ctx->meta), gl_arena_pos(&ctx->data), ctx->tape_len};
}

void genlab_ctx_rewind(genlab_ctx *ctx, const genlab_ctx_mark *mark)
{
    gl_arena_rewind(&ctx->meta, mark->meta);
    gl_arena_rewind(&ctx->data, mark->data);
    ctx->tape_len = mark->tape_len;
}

size_t genlab_ctx_arena_used(const genlab_ctx *ctx) { return ctx->data.used + ctx->meta.used; }
size_t genlab_ctx_arena_peak(const genlab_ctx *ctx) { return ctx->data.peak + ctx->meta.peak; }

const char *genlab_ctx_backend_name(const genlab_ctx *ctx) { return ctx->be->name; }

int genlab_ctx_threads(const genlab_ctx *ctx) { return ctx->be->threads(ctx->be_state); }
