/* SPDX-License-Identifier: MIT
 *
 * ctx.c — contexts (and the choice of their backend: the built-in CPU or
 * a backend plugin, and its compute precision), status texts and the
 * sticky error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "genlab/registry.h"
#include "internal.h"
#include "plugin_impl.h"

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

/* plugin_backend — the table of the backend plugin called name in reg, or
 * NULL. Looked up by listing, not genlab_registry_find, so that a plugin
 * that is only probed is not recorded as used by the run. */
static const genlab_backend_i *plugin_backend(const genlab_registry *reg, const char *name)
{
    for (size_t i = 0; reg && i < genlab_registry_count(reg); i++) {
        const genlab_component *c = genlab_registry_component(reg, i, NULL, NULL);
        if (c->kind == GL_KIND_BACKEND && strcmp(c->name, name) == 0)
            return ((const genlab_backend_plugin_i *)c->iface)->table();
    }
    return NULL;
}

static const char *probe_reason(const genlab_backend_i *be)
{
    const char *(*why)(void) = GL_BACKEND_GET(be, probe_reason);
    return why ? why() : "its probe found no usable device";
}

/* choose_backend — the table for opt->backend (see genlab_ctx_options):
 * NULL when a named backend is unknown or refuses this machine. "auto"
 * takes the best-scoring plugin and says once (through the registry's
 * logger) why it fell back to the CPU. */
static const genlab_backend_i *choose_backend(const genlab_ctx_options *opt)
{
    const genlab_backend_i *cpu = genlab_backend_cpu();
    genlab_registry *reg = opt->registry;
    const char *name = opt->backend;
    if (name && strcmp(name, "auto") != 0) {
        if (strcmp(name, cpu->name) == 0)
            return cpu;
        const genlab_backend_i *be = plugin_backend(reg, name);
        if (!be) {
            gl_registry_note(reg, false, "backend \"%s\": no backend plugin of that name is "
                             "loaded (known: cpu%s)", name,
                             plugin_backend(reg, "cuda") ? ", cuda" : "");
            return NULL;
        }
        if (be->probe() <= 0) {
            gl_registry_note(reg, false, "backend \"%s\" cannot run on this machine: %s",
                             name, probe_reason(be));
            return NULL;
        }
        genlab_registry_find(reg, GL_KIND_BACKEND, name);   /* recorded as used */
        return be;
    }
    const genlab_backend_i *best = cpu;
    const char *refused = NULL, *why = NULL;
    int best_score = 0;
    for (size_t i = 0; reg && i < genlab_registry_count(reg); i++) {
        const genlab_component *c = genlab_registry_component(reg, i, NULL, NULL);
        if (c->kind != GL_KIND_BACKEND)
            continue;
        const genlab_backend_i *be = ((const genlab_backend_plugin_i *)c->iface)->table();
        int score = be->probe();
        if (score > best_score) {
            best = be;
            best_score = score;
        } else if (score <= 0 && !refused) {
            refused = c->name;
            why = probe_reason(be);
        }
    }
    if (best != cpu)
        genlab_registry_find(reg, GL_KIND_BACKEND, best->name);
    else if (refused)
        gl_registry_note(reg, true, "backend auto: using cpu, not %s: %s", refused, why);
    return best;
}

genlab_status genlab_ctx_create(const genlab_ctx_options *opt, genlab_ctx **out)
{
    genlab_ctx_options defaults = {0};
    if (!out)
        return GL_ERR_INVALID;
    *out = NULL;
    if (!opt)
        opt = &defaults;
    const genlab_backend_i *be = choose_backend(opt);
    if (!be)
        return GL_ERR_UNSUPPORTED;

    genlab_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return GL_ERR_NOMEM;
    genlab_status st = be->init(opt->n_threads, &ctx->be_state);
    if (st != GL_OK) {
        free(ctx);
        return st;
    }
    ctx->be = be;
    ctx->be_sync = GL_BACKEND_GET(be, synchronize);
    ctx->be_adam = GL_BACKEND_GET(be, adam);
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

const char *genlab_ctx_device_name(const genlab_ctx *ctx)
{
    const char *(*name)(void *) = GL_BACKEND_GET(ctx->be, device_name);
    return name ? name(ctx->be_state) : ctx->be->name;
}

void genlab_ctx_synchronize(genlab_ctx *ctx) { gl_sync(ctx); }

size_t genlab_ctx_device_memory_peak(const genlab_ctx *ctx)
{
    size_t (*peak)(void *) = GL_BACKEND_GET(ctx->be, memory_peak);
    return peak ? peak(ctx->be_state) : 0;
}

const char *genlab_ctx_backend_notes(genlab_ctx *ctx)
{
    const char *(*notes)(void *) = GL_BACKEND_GET(ctx->be, notes);
    const char *t = notes ? notes(ctx->be_state) : NULL;
    return t ? t : "";
}

int genlab_ctx_threads(const genlab_ctx *ctx) { return ctx->be->threads(ctx->be_state); }

const char *const genlab_precision_names[GL_PRECISION_COUNT + 1] = {
    [GL_PRECISION_FP32] = "fp32", [GL_PRECISION_TF32] = "tf32", [GL_PRECISION_BF16] = "bf16",
    [GL_PRECISION_F16] = "f16", [GL_PRECISION_COUNT] = NULL};

const char *genlab_precision_name(genlab_precision p)
{
    return (unsigned)p < GL_PRECISION_COUNT ? genlab_precision_names[p] : NULL;
}

genlab_status genlab_ctx_set_precision(genlab_ctx *ctx, genlab_precision p)
{
    const char *name = genlab_precision_name(p);
    if (!name)
        return genlab_errorf(ctx, GL_ERR_INVALID, "precision=%d is not one of fp32 (0), tf32 "
                             "(1), bf16 (2), f16 (3)", (int)p);
    int (*set)(void *, genlab_precision) = GL_BACKEND_GET(ctx->be, set_precision);
    if (!set && p != GL_PRECISION_FP32)
        return genlab_errorf(ctx, GL_ERR_UNSUPPORTED, "precision=%s needs a backend with "
                             "reduced-precision compute; the %s backend computes in fp32",
                             name, ctx->be->name);
    if (set && !set(ctx->be_state, p))
        return genlab_errorf(ctx, GL_ERR_UNSUPPORTED, "precision=%s is not supported by the %s "
                             "backend on %s", name, ctx->be->name, genlab_ctx_device_name(ctx));
    return GL_OK;
}
