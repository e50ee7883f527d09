/* SPDX-License-Identifier: MIT
 *
 * nn_params.c — the params object: declared tensors carved out of one
 * parameter block, one gradient block and one buffer block (llm.c's
 * malloc_and_point_parameters, with names and init rules attached).
 *
 * Declaration makes tensor headers with no data (gl_tensor_wrap);
 * finalize allocates each block once, points the headers into it in
 * declaration order and runs the init rules. Not here: the layers that
 * declare (nn_layers.c), spectral norm (nn_spectral.c), optimizers.
 *
 * Sections: init rules, declaration, finalize, accessors.
 */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_impl.h"

/* ---- init rules ---- */

int64_t genlab_init_fan_in(int ndim, const int64_t *shape)
{
    if (ndim < 2)
        return 0;
    int64_t fan_in = shape[1];
    for (int i = 2; i < ndim; i++)
        fan_in *= shape[i];
    return fan_in;
}

genlab_init genlab_init_torch_default(int64_t fan_in)
{
    if (fan_in <= 0)
        return genlab_init_constant(0.0f);
    /* kaiming_uniform_(a=sqrt(5)): gain sqrt(2/6), bound sqrt(3)*gain/sqrt(fan_in) = 1/sqrt(fan_in) */
    float bound = (float)(1.0 / sqrt((double)fan_in));
    return genlab_init_uniform(-bound, bound);
}

/* why an init rule is unusable, or NULL */
static const char *init_problem(genlab_init init)
{
    switch (init.kind) {
    case GL_INIT_CONSTANT:
        return isfinite(init.a) ? NULL : "constant value is not finite";
    case GL_INIT_UNIFORM:
        return isfinite(init.a) && isfinite(init.b) && init.a <= init.b
                   ? NULL : "uniform bounds must be finite with lo <= hi";
    case GL_INIT_NORMAL:
        return isfinite(init.a) && isfinite(init.b) && init.b >= 0.0f
                   ? NULL : "normal mean and std must be finite with std >= 0";
    case GL_INIT_UNIT:
        return NULL;
    }
    return "unknown init kind";
}

/* PyTorch's normalize eps, used by GL_INIT_UNIT and spectral norm */
#define GL_UNIT_EPS 1e-12f

static genlab_status run_init(genlab_ctx *ctx, genlab_tensor *t, genlab_init init)
{
    switch (init.kind) {
    case GL_INIT_CONSTANT:
        ctx->be->fill(ctx->be_state, gl_f32(t), t->numel, init.a);
        return GL_OK;
    case GL_INIT_UNIFORM:
        return genlab_rng_fill(ctx, t, GL_STREAM_INIT, 0, init.a, init.b);
    case GL_INIT_NORMAL:
        return genlab_rng_fill(ctx, t, GL_STREAM_INIT, 1, init.a, init.b);
    case GL_INIT_UNIT:
        if (genlab_rng_fill(ctx, t, GL_STREAM_INIT, 1, 0.0f, 1.0f) != GL_OK)
            return ctx->status;
        return gl_l2_normalize_into(ctx, t, t, GL_UNIT_EPS);
    }
    return genlab_errorf(ctx, GL_ERR_INVALID, "params: unknown init kind %d", (int)init.kind);
}

/* ---- declaration ---- */

genlab_status genlab_params_create(genlab_ctx *ctx, genlab_params **out)
{
    if (!out || !ctx)
        return genlab_errorf(ctx, GL_ERR_INVALID, "params_create: NULL %s", ctx ? "out" : "ctx");
    *out = NULL;
    genlab_params *p = calloc(1, sizeof *p);
    if (!p)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "params_create: out of memory");
    p->ctx = ctx;
    p->training = true;
    *out = p;
    return GL_OK;
}

static void list_free(genlab_params *p, gl_param_list *l)
{
    for (int64_t i = 0; i < l->n; i++) {
        free(l->e[i].name);
        genlab_tensor_free(l->e[i].t);
        genlab_tensor_free(l->e[i].g);
    }
    free(l->e);
    p->ctx->be->free(p->ctx->be_state, l->block);
}

void genlab_params_destroy(genlab_params *p)
{
    if (!p)
        return;
    list_free(p, &p->param);
    list_free(p, &p->buf);
    p->ctx->be->free(p->ctx->be_state, p->grad);
    free(p);
}

static const gl_param_entry *find_entry(const gl_param_list *l, const char *name)
{
    for (int64_t i = 0; i < l->n; i++)
        if (strcmp(l->e[i].name, name) == 0)
            return &l->e[i];
    return NULL;
}

static genlab_tensor *declare(genlab_params *p, gl_param_list *l, const char *what,
                              const char *name, int ndim, const int64_t *shape, genlab_init init)
{
    if (!p)
        return NULL;
    genlab_ctx *ctx = p->ctx;
    if (ctx->status != GL_OK)
        return NULL;
    if (p->finalized) {
        genlab_errorf(ctx, GL_ERR_STATE, "params: cannot declare %s '%s' after "
                      "genlab_params_finalize", what, name ? name : "(null)");
        return NULL;
    }
    if (!name || !name[0] || strlen(name) >= GL_PARAM_NAME_MAX) {
        genlab_errorf(ctx, GL_ERR_INVALID, "params: %s name must have 1 to %d bytes", what,
                      GL_PARAM_NAME_MAX - 1);
        return NULL;
    }
    if (find_entry(&p->param, name) || find_entry(&p->buf, name)) {
        genlab_errorf(ctx, GL_ERR_INVALID, "params: duplicate name '%s'", name);
        return NULL;
    }
    if (ndim < 0 || ndim > GL_MAX_DIMS || (ndim > 0 && !shape)) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "params: %s '%s' has %d dimensions%s (want 0 to %d)",
                      what, name, ndim, ndim > 0 && !shape ? " and a NULL shape" : "",
                      GL_MAX_DIMS);
        return NULL;
    }
    for (int i = 0; i < ndim; i++) {
        if (shape[i] <= 0) {
            char buf[GL_SHAPE_BUF];
            genlab_errorf(ctx, GL_ERR_SHAPE, "params: %s '%s' has shape %s (sizes must be > 0)",
                          what, name, gl_dims_str(ndim, shape, buf, sizeof buf));
            return NULL;
        }
    }
    const char *bad = init_problem(init);
    if (bad) {
        genlab_errorf(ctx, GL_ERR_INVALID, "params: %s '%s': %s", what, name, bad);
        return NULL;
    }
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 16;
        gl_param_entry *e = realloc(l->e, (size_t)cap * sizeof *e);
        if (!e) {
            genlab_errorf(ctx, GL_ERR_NOMEM, "params: out of memory declaring '%s'", name);
            return NULL;
        }
        l->e = e;
        l->cap = cap;
    }
    genlab_tensor *t = gl_tensor_wrap(ctx, GL_F32, ndim, shape, NULL);
    char *copy = strdup(name);
    if (!t || !copy) {
        genlab_tensor_free(t);
        free(copy);
        genlab_errorf(ctx, GL_ERR_NOMEM, "params: out of memory declaring '%s'", name);
        return NULL;
    }
    l->e[l->n++] = (gl_param_entry){.name = copy, .t = t, .g = NULL, .init = init};
    l->numel += t->numel;
    return t;
}

genlab_tensor *genlab_params_declare(genlab_params *p, const char *name, int ndim,
                                     const int64_t *shape, genlab_init init)
{
    return p ? declare(p, &p->param, "parameter", name, ndim, shape, init) : NULL;
}

genlab_tensor *genlab_params_declare_buffer(genlab_params *p, const char *name, int ndim,
                                            const int64_t *shape, genlab_init init)
{
    return p ? declare(p, &p->buf, "buffer", name, ndim, shape, init) : NULL;
}

genlab_status genlab_params_set_init(genlab_params *p, const char *pattern, genlab_init init)
{
    if (!p)
        return GL_ERR_INVALID;
    genlab_ctx *ctx = p->ctx;
    if (ctx->status != GL_OK)
        return ctx->status;
    if (p->finalized)
        return genlab_errorf(ctx, GL_ERR_STATE, "params_set_init: '%s' after "
                             "genlab_params_finalize (set rules before)", pattern ? pattern : "(null)");
    if (!pattern)
        return genlab_errorf(ctx, GL_ERR_INVALID, "params_set_init: NULL pattern");
    const char *bad = init_problem(init);
    if (bad)
        return genlab_errorf(ctx, GL_ERR_INVALID, "params_set_init: '%s': %s", pattern, bad);
    int64_t matched = 0;
    for (int64_t i = 0; i < p->param.n; i++) {
        if (fnmatch(pattern, p->param.e[i].name, 0) == 0) {
            p->param.e[i].init = init;
            matched++;
        }
    }
    if (matched == 0)
        return genlab_errorf(ctx, GL_ERR_INVALID, "params_set_init: pattern '%s' matches no "
                             "parameter (of %lld declared)", pattern, (long long)p->param.n);
    return GL_OK;
}

/* ---- finalize ---- */

/* one allocation of n floats (NULL for n == 0); false when out of memory */
static bool block_alloc(genlab_ctx *ctx, int64_t n, float **out)
{
    *out = n > 0 ? ctx->be->alloc(ctx->be_state, (size_t)n * sizeof(float)) : NULL;
    return n == 0 || *out;
}

/* point the list's headers into its block, in order, without padding */
static void carve(gl_param_list *l)
{
    int64_t off = 0;
    for (int64_t i = 0; i < l->n; i++) {
        l->e[i].t->data = l->block + off;
        off += l->e[i].t->numel;
    }
}

genlab_status genlab_params_finalize(genlab_ctx *ctx, genlab_params *p)
{
    if (!p || !ctx)
        return genlab_errorf(ctx, GL_ERR_INVALID, "params_finalize: NULL params");
    if (ctx != p->ctx)
        return genlab_errorf(ctx, GL_ERR_INVALID, "params_finalize: params belong to another "
                             "context");
    if (ctx->status != GL_OK)
        return ctx->status;   /* a declaration failed: its message is the useful one */
    if (p->finalized)
        return genlab_errorf(ctx, GL_ERR_STATE, "params_finalize: already finalized");

    float *data, *grad, *buf;
    bool ok = block_alloc(ctx, p->param.numel, &data);
    ok = block_alloc(ctx, p->param.numel, &grad) && ok;
    ok = block_alloc(ctx, p->buf.numel, &buf) && ok;
    /* gradient views first: the only other step that can fail */
    int64_t made = 0;
    for (int64_t off = 0; ok && made < p->param.n; made++) {
        genlab_tensor *t = p->param.e[made].t;
        p->param.e[made].g = gl_tensor_wrap(ctx, GL_F32, t->ndim, t->shape, grad + off);
        ok = p->param.e[made].g != NULL;
        off += t->numel;
    }
    if (!ok) {
        for (int64_t i = 0; i < made; i++) {
            genlab_tensor_free(p->param.e[i].g);
            p->param.e[i].g = NULL;
        }
        ctx->be->free(ctx->be_state, data);
        ctx->be->free(ctx->be_state, grad);
        ctx->be->free(ctx->be_state, buf);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "params_finalize: out of memory for %lld "
                             "parameters and %lld buffer values", (long long)p->param.numel,
                             (long long)p->buf.numel);
    }
    p->param.block = data;
    p->grad = grad;
    p->buf.block = buf;
    p->finalized = true;
    carve(&p->param);
    carve(&p->buf);
    for (int64_t i = 0; i < p->param.n; i++) {
        p->param.e[i].t->requires_grad = true;
        genlab_tensor_set_grad(ctx, p->param.e[i].t, p->param.e[i].g);
    }
    genlab_params_zero_grad(p);
    /* parameters before buffers, so adding a buffer (spectral norm) does not
     * change the draws of any weight */
    for (int64_t i = 0; i < p->param.n && ctx->status == GL_OK; i++)
        run_init(ctx, p->param.e[i].t, p->param.e[i].init);
    for (int64_t i = 0; i < p->buf.n && ctx->status == GL_OK; i++)
        run_init(ctx, p->buf.e[i].t, p->buf.e[i].init);
    return ctx->status;
}

/* ---- accessors ---- */

int64_t genlab_params_count(const genlab_params *p) { return p ? p->param.n : 0; }
int64_t genlab_params_numel(const genlab_params *p) { return p ? p->param.numel : 0; }
int64_t genlab_params_buffer_count(const genlab_params *p) { return p ? p->buf.n : 0; }
int64_t genlab_params_buffer_numel(const genlab_params *p) { return p ? p->buf.numel : 0; }
float *genlab_params_data(genlab_params *p) { return p ? p->param.block : NULL; }
float *genlab_params_grad(genlab_params *p) { return p ? p->grad : NULL; }
float *genlab_params_buffer_data(genlab_params *p) { return p ? p->buf.block : NULL; }
bool genlab_params_finalized(const genlab_params *p) { return p && p->finalized; }

static const gl_param_entry *entry_at(const gl_param_list *l, int64_t i)
{
    return i >= 0 && i < l->n ? &l->e[i] : NULL;
}

const char *genlab_params_name(const genlab_params *p, int64_t i)
{
    const gl_param_entry *e = p ? entry_at(&p->param, i) : NULL;
    return e ? e->name : NULL;
}

genlab_tensor *genlab_params_tensor(const genlab_params *p, int64_t i)
{
    const gl_param_entry *e = p ? entry_at(&p->param, i) : NULL;
    return e ? e->t : NULL;
}

const char *genlab_params_buffer_name(const genlab_params *p, int64_t i)
{
    const gl_param_entry *e = p ? entry_at(&p->buf, i) : NULL;
    return e ? e->name : NULL;
}

genlab_tensor *genlab_params_buffer_tensor(const genlab_params *p, int64_t i)
{
    const gl_param_entry *e = p ? entry_at(&p->buf, i) : NULL;
    return e ? e->t : NULL;
}

genlab_tensor *genlab_params_find(const genlab_params *p, const char *name)
{
    if (!p || !name)
        return NULL;
    const gl_param_entry *e = find_entry(&p->param, name);
    if (!e)
        e = find_entry(&p->buf, name);
    return e ? e->t : NULL;
}

const char *gl_params_name_of(const genlab_params *p, const genlab_tensor *t)
{
    for (int64_t i = 0; p && t && i < p->param.n; i++)
        if (p->param.e[i].t == t)
            return p->param.e[i].name;
    return NULL;
}

void genlab_params_zero_grad(genlab_params *p)
{
    if (p && p->grad)
        p->ctx->be->fill(p->ctx->be_state, p->grad, p->param.numel, 0.0f);
}

void genlab_params_set_training(genlab_params *p, bool training)
{
    if (p)
        p->training = training;
}

bool genlab_params_training(const genlab_params *p) { return p && p->training; }

/* ---- checkpoints ---- */

/* visit_list — fn for each entry of l as "<prefix><kind><name>" */
static genlab_status visit_list(genlab_params *p, const gl_param_list *l, const char *prefix,
                                const char *kind, genlab_visit_fn fn, void *user)
{
    char name[256];
    for (int64_t i = 0; i < l->n; i++) {
        if (snprintf(name, sizeof name, "%s%s%s", prefix, kind, l->e[i].name) >= (int)sizeof name)
            return genlab_errorf(p->ctx, GL_ERR_INVALID, "checkpoint name \"%s%s%s\" is too long",
                                 prefix, kind, l->e[i].name);
        genlab_status st = fn(user, name, l->e[i].t);
        if (st != GL_OK)
            return st;
    }
    return GL_OK;
}

genlab_status genlab_params_visit(genlab_params *p, const char *prefix, genlab_visit_fn fn,
                                  void *user)
{
    if (!p->finalized)
        return genlab_errorf(p->ctx, GL_ERR_STATE, "params_visit: the block is not finalized");
    genlab_status st = visit_list(p, &p->param, prefix, ".params.", fn, user);
    return st == GL_OK ? visit_list(p, &p->buf, prefix, ".buffers.", fn, user) : st;
}
