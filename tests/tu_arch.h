/* SPDX-License-Identifier: MIT
 *
 * tu_arch.h — the fixture of the architecture suites (test_gan_arch.c,
 * test_vae_arch.c): one network, an arch component bound through a
 * resolved configuration as a trainer binds it and built into its own
 * parameter block; its forward; and loading a golden file's weights into
 * it by name and comparing its outputs. Header-only, for the Check suites;
 * only the public API is used.
 *
 * Sections: networks, values, golden files.
 */
#ifndef GENLAB_TU_ARCH_H
#define GENLAB_TU_ARCH_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/genlab.h"
#include "golden.h"
#include "testutil.h"
#include "tu_compare.h"

/* ---- networks ---- */

/* One network: an arch bound with its parameters, built into its own
 * parameter block. */
typedef struct net {
    genlab_ctx          *ctx;
    genlab_config       *cfg;
    genlab_host          host;
    const genlab_arch_i *a;
    genlab_params       *p;
    void                *state;
    genlab_arch_spec     spec;
} net;

/* net_bind — resolve a configuration of reg choosing arch, with "key=value"
 * arguments of its scope (NULL-terminated), and create n->p; the build is
 * left to net_build. */
static inline void net_bind(net *n, genlab_registry *reg, genlab_ctx *ctx, const char *arch,
                            const char *const *args)
{
    static const genlab_param_def decl[] = {
        {.name = "arch", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = "",
         .help = "the arch under test"},
    };
    memset(n, 0, sizeof *n);
    n->ctx = ctx;
    ck_assert_int_eq(genlab_config_create(&n->cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(n->cfg, "t", decl, 1), GL_OK);
    ck_assert_int_eq(genlab_config_set(n->cfg, "t.arch", arch, NULL), GL_OK);
    for (int i = 0; args && args[i]; i++) {
        char key[128];
        const char *eq = strchr(args[i], '=');
        ck_assert_ptr_nonnull(eq);
        snprintf(key, sizeof key, "arch.%.*s", (int)(eq - args[i]), args[i]);
        ck_assert_int_eq(genlab_config_set(n->cfg, key, eq + 1, NULL), GL_OK);
    }
    ck_assert_msg(genlab_config_resolve(n->cfg, reg) == GL_OK, "%s",
                  genlab_config_errmsg(n->cfg));
    genlab_host_init(&n->host, reg, ctx, n->cfg);
    ck_assert_int_eq(genlab_params_create(ctx, &n->p), GL_OK);
}

/* net_scope — the arch's view of the configuration */
static inline const genlab_config *net_scope(const net *n)
{
    const genlab_component *c;
    const genlab_config *scope;
    ck_assert_int_eq(genlab_config_component(genlab_config_scope(n->cfg, "t"), "arch",
                                             GL_KIND_ARCH, &c, &scope), GL_OK);
    return scope;
}

/* net_build — build n's arch for spec (NULL: its native spec in role).
 * Returns build's status (the message stays on the context). */
static inline genlab_status net_build(net *n, int role, const genlab_arch_spec *spec)
{
    const genlab_component *c;
    const genlab_config *scope;
    ck_assert_int_eq(genlab_config_component(genlab_config_scope(n->cfg, "t"), "arch",
                                             GL_KIND_ARCH, &c, &scope), GL_OK);
    n->a = c->iface;
    if (spec)
        n->spec = *spec;
    else
        ck_assert_int_eq(n->a->native_spec(scope, (genlab_arch_role)role, &n->spec), GL_OK);
    return n->a->build(&n->host, scope, &n->spec, n->p, &n->state);
}

/* net_make — bind and build, which must succeed, then finalize */
static inline void net_make(net *n, genlab_registry *reg, genlab_ctx *ctx, const char *arch,
                            int role, const genlab_arch_spec *spec, const char *const *args)
{
    net_bind(n, reg, ctx, arch, args);
    genlab_status st = net_build(n, role, spec);
    ck_assert_msg(st == GL_OK, "build %s: %s", arch, genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(genlab_params_finalize(ctx, n->p), GL_OK);
}

static inline void net_free(net *n)
{
    if (n->state)
        n->a->destroy(n->state);
    genlab_params_destroy(n->p);
    genlab_config_destroy(n->cfg);
    memset(n, 0, sizeof *n);
}

/* the input of a forward: (batch, in_shape...) */
static inline int net_input_shape(const net *n, int64_t batch, int64_t *shape)
{
    shape[0] = batch;
    memcpy(shape + 1, n->spec.in_shape, (size_t)n->spec.in_ndim * sizeof *shape);
    return 1 + n->spec.in_ndim;
}

static inline genlab_tensor *net_forward(net *n, genlab_tensor *x, bool training)
{
    genlab_tensor *y = n->a->forward(n->ctx, n->state, x, NULL, NULL, training);
    ck_assert_msg(y != NULL, "forward: %s", genlab_ctx_errmsg(n->ctx));
    return y;
}

/* ---- values ---- */

/* every element finite and within [-bound, bound] */
static inline bool all_finite(const genlab_tensor *t, float bound)
{
    const float *v = genlab_tensor_f32(t);
    for (int64_t i = 0; i < genlab_tensor_numel(t); i++)
        if (!(fabsf(v[i]) <= bound))
            return false;
    return true;
}

static inline bool same_values(const genlab_tensor *a, const genlab_tensor *b)
{
    return genlab_tensor_numel(a) == genlab_tensor_numel(b) &&
           !memcmp(genlab_tensor_f32(a), genlab_tensor_f32(b),
                   (size_t)genlab_tensor_numel(a) * sizeof(float));
}

/* a copy of the first BatchNorm running_mean of n (n has one), with the
 * buffer's index after its values */
static inline float *running_mean_copy(net *n)
{
    for (int64_t i = 0; i < genlab_params_buffer_count(n->p); i++) {
        const char *name = genlab_params_buffer_name(n->p, i);
        if (strstr(name, "running_mean")) {
            genlab_tensor *t = genlab_params_buffer_tensor(n->p, i);
            size_t bytes = (size_t)genlab_tensor_numel(t) * sizeof(float);
            float *c = malloc(bytes + sizeof(float));
            ck_assert_ptr_nonnull(c);
            memcpy(c, genlab_tensor_f32(t), bytes);
            c[genlab_tensor_numel(t)] = (float)i;   /* which buffer */
            return c;
        }
    }
    ck_abort_msg("no running_mean buffer");
    return NULL;
}

static inline bool running_mean_equal(net *n, const float *copy)
{
    int64_t i = 0;
    while (strstr(genlab_params_buffer_name(n->p, i), "running_mean") == NULL)
        i++;
    genlab_tensor *t = genlab_params_buffer_tensor(n->p, i);
    return !memcmp(genlab_tensor_f32(t), copy, (size_t)genlab_tensor_numel(t) * sizeof(float));
}

/* element i is sin(a i + b), as the golden scripts' inputs and loss weights */
static inline genlab_tensor *ramp(genlab_ctx *ctx, int nd, const int64_t *shape, double a,
                                  double b)
{
    genlab_tensor *t = genlab_tensor_new(ctx, GL_F32, nd, shape);
    float *v = genlab_tensor_f32_mut(t);
    for (int64_t i = 0; i < genlab_tensor_numel(t); i++)
        v[i] = (float)sin(a * (double)i + b);
    return t;
}

/* ---- golden files ---- */

/* tu_golden_get — record "<name>.<what>" of g, which must exist (the
 * failure names the file and the script that writes it) */
static inline const gd_tensor *tu_golden_get(const gd_file *g, const char *file,
                                             const char *generator, const char *name,
                                             const char *what)
{
    char key[GL_PARAM_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", name, what);
    const gd_tensor *t = gd_get(g, key);
    ck_assert_msg(t != NULL, "%s: no %s (regenerate with %s)", file, key, generator);
    return t;
}

/* tu_golden_load_weights — "<name>.param.<p>" into every parameter and
 * buffer p of n */
static inline void tu_golden_load_weights(const gd_file *g, const char *file,
                                          const char *generator, net *n, const char *name)
{
    for (int buffers = 0; buffers < 2; buffers++) {
        int64_t count = buffers ? genlab_params_buffer_count(n->p) : genlab_params_count(n->p);
        for (int64_t i = 0; i < count; i++) {
            const char *pname = buffers ? genlab_params_buffer_name(n->p, i)
                                        : genlab_params_name(n->p, i);
            char what[GL_PARAM_NAME_MAX + 8];
            snprintf(what, sizeof what, "param.%s", pname);
            const gd_tensor *gt = tu_golden_get(g, file, generator, name, what);
            genlab_tensor *t = genlab_params_find(n->p, pname);
            ck_assert_msg(gt->numel == genlab_tensor_numel(t), "%s %s: %lld values, want %lld",
                          name, pname, (long long)gt->numel, (long long)genlab_tensor_numel(t));
            memcpy(genlab_tensor_f32_mut(t), gt->data, (size_t)gt->numel * sizeof(float));
        }
    }
}

/* tu_golden_compare — got against record "<name>.<what>" within atol +
 * rtol |want| */
static inline void tu_golden_compare(const gd_file *g, const char *file, const char *generator,
                                     const char *name, const char *what,
                                     const genlab_tensor *got, double atol, double rtol)
{
    const gd_tensor *want = tu_golden_get(g, file, generator, name, what);
    ck_assert_int_eq(genlab_tensor_numel(got), want->numel);
    char label[128];
    snprintf(label, sizeof label, "%s.%s", name, what);
    TU_ASSERT_CLOSE(label, genlab_tensor_f32(got), want->data, want->numel, atol, rtol);
}

#endif /* GENLAB_TU_ARCH_H */
