/* SPDX-License-Identifier: MIT
 *
 * tu_arch.h — the fixture of the architecture suites (test_gan_arch.c,
 * test_vae_arch.c): one network, an arch component bound through a
 * resolved configuration as a trainer binds it and built into its own
 * parameter block; its forward; loading a golden file's weights into it by
 * name and comparing its outputs; and the checks both suites run on their
 * tables (parameter counts, native specs, initialisation, refusals, golden
 * parity), so that each suite holds its plugin's cases and what only its
 * family has. Header-only, for the Check suites; only the public API is
 * used. A suite that defines TU_GOLDEN_FILE and TU_GOLDEN_SCRIPT before
 * including it gets the golden file's fixture.
 *
 * Sections: networks, values, golden files, checks.
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
    const genlab_component *c;
    const genlab_config *scope;
    ck_assert_msg(tu_bind(reg, decl, arch, args, NULL, &n->cfg, &c, &scope) == GL_OK, "%s",
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

#ifdef TU_GOLDEN_FILE
/* The suite's golden file, open while its fixture (tu_golden_open, then
 * tu_golden_close) holds it. */
static gd_file *tu_golden;

static void tu_golden_open(void)
{
    char err[512];
    tu_golden = gd_open(TU_GOLDEN_FILE, 1, TU_GOLDEN_SCRIPT, err, sizeof err);
    ck_assert_msg(tu_golden != NULL, "%s", err);
}

static void tu_golden_close(void)
{
    gd_free(tu_golden);
    tu_golden = NULL;
}
#endif

/* ---- checks ---- */

/* tu_arch_spec — the spec a trainer asks of role for latent z and image
 * (c, h, w), as plugin.h's roles say: a generator or decoder (z) -> (c, h,
 * w), a discriminator (c, h, w) -> (1), an encoder (c, h, w) -> (2 z).
 * Written out here rather than taken from genlab_arch_image_spec, which
 * the native-spec check tests. */
static inline genlab_arch_spec tu_arch_spec(int role, int64_t z, int64_t c, int64_t h,
                                            int64_t w)
{
    genlab_arch_spec s = {.role = (genlab_arch_role)role};
    int64_t img[3] = {c, h, w};
    if (role == GL_ROLE_GENERATOR || role == GL_ROLE_DECODER) {
        s.in_ndim = 1, s.in_shape[0] = z, s.out_ndim = 3;
        memcpy(s.out_shape, img, sizeof img);
    } else {
        s.in_ndim = 3, s.out_ndim = 1, s.out_shape[0] = role == GL_ROLE_ENCODER ? 2 * z : 1;
        memcpy(s.in_shape, img, sizeof img);
    }
    return s;
}

/* A parameter count: arch in role with the "key=value" arguments args, on
 * the spec of z and (c, h, w) (z = 0: its native spec). */
typedef struct tu_count_case {
    const char *arch;
    int         role;
    int64_t     z, c, h, w;
    const char *args[3];
    int64_t     numel;
} tu_count_case;

static inline void tu_check_count(genlab_registry *reg, const tu_count_case *k)
{
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    net_bind(&n, reg, ctx, k->arch, k->args);
    genlab_arch_spec s = tu_arch_spec(k->role, k->z, k->c, k->h, k->w);
    genlab_status st = net_build(&n, k->role, k->z ? &s : NULL);
    ck_assert_msg(st == GL_OK, "%s: %s", k->arch, genlab_ctx_errmsg(ctx));
    ck_assert_msg(genlab_params_numel(n.p) == k->numel, "%s role %d: %lld parameters, want %lld",
                  k->arch, k->role, (long long)genlab_params_numel(n.p), (long long)k->numel);
    net_free(&n);
    genlab_ctx_destroy(ctx);
}

/* A native spec: the reference model's latent and image sizes. */
typedef struct tu_native_case {
    const char *arch;
    int64_t     z, c, h, w;
} tu_native_case;

/* tu_check_native — arch's native_spec gives tu_arch_spec's spec of its
 * sizes in each of the family's roles, and GL_ERR_UNSUPPORTED for the role
 * `other` */
static inline void tu_check_native(genlab_registry *reg, const tu_native_case *k,
                                   const int roles[2], int other)
{
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    net_bind(&n, reg, ctx, k->arch, NULL);
    const genlab_config *scope = net_scope(&n);
    const genlab_component *c = genlab_registry_find(reg, GL_KIND_ARCH, k->arch);
    ck_assert_ptr_nonnull(c);
    const genlab_arch_i *a = c->iface;
    ck_assert_ptr_nonnull(GL_IFACE_GET(a, genlab_arch_i, native_spec));
    for (int i = 0; i < 2; i++) {
        genlab_arch_spec got, want = tu_arch_spec(roles[i], k->z, k->c, k->h, k->w);
        memset(&got, 0xff, sizeof got);
        ck_assert_int_eq(a->native_spec(scope, (genlab_arch_role)roles[i], &got), GL_OK);
        ck_assert(got.role == want.role && got.in_ndim == want.in_ndim &&
                  got.out_ndim == want.out_ndim && got.n_classes == 0 && !got.timestep);
        ck_assert_mem_eq(got.in_shape, want.in_shape, (size_t)want.in_ndim * sizeof(int64_t));
        ck_assert_mem_eq(got.out_shape, want.out_shape,
                         (size_t)want.out_ndim * sizeof(int64_t));
    }
    genlab_arch_spec none;
    ck_assert_int_eq(a->native_spec(scope, (genlab_arch_role)other, &none), GL_ERR_UNSUPPORTED);
    net_free(&n);
    genlab_ctx_destroy(ctx);
}

/* Up to four parameter tensors of arch in role at its default sizes after
 * finalize, with the mean and standard deviation of their initialisation
 * rule. */
typedef struct tu_init_case {
    const char *arch;
    int         role;
    struct {
        const char *name;
        double      mean, std;
    } param[4];
} tu_init_case;

/* tu_check_init — each tensor's sample mean and std within 6 standard
 * errors (std/sqrt(n) for the mean, about std/sqrt(2n) for the std) of
 * the rule's: a wrong rule (DCGAN's N(0, 0.02) against PyTorch's
 * U(-b, b); a transposed conv's fan_in taken from its input channels)
 * fails and the right one passes */
static inline void tu_check_init(genlab_registry *reg, const tu_init_case *k)
{
    genlab_ctx *ctx = tu_ctx(11);
    net n;
    net_make(&n, reg, ctx, k->arch, k->role, NULL, NULL);
    for (int j = 0; j < 4 && k->param[j].name; j++) {
        genlab_tensor *t = genlab_params_find(n.p, k->param[j].name);
        ck_assert_msg(t != NULL, "%s: no %s", k->arch, k->param[j].name);
        const float *v = genlab_tensor_f32(t);
        int64_t m = genlab_tensor_numel(t);
        double sum = 0.0, sq = 0.0, want_mean = k->param[j].mean, want_std = k->param[j].std;
        for (int64_t i = 0; i < m; i++)
            sum += v[i];
        double mean = sum / (double)m;
        for (int64_t i = 0; i < m; i++)
            sq += (v[i] - mean) * (v[i] - mean);
        double std = sqrt(sq / (double)m);
        ck_assert_msg(fabs(mean - want_mean) <= 6.0 * want_std / sqrt((double)m) + 1e-7 &&
                      fabs(std - want_std) <= 6.0 * want_std / sqrt(2.0 * (double)m) + 1e-7,
                      "%s %s: mean %.6f std %.6f over %lld, want %.6f and %.6f", k->arch,
                      k->param[j].name, mean, std, (long long)m, want_mean, want_std);
    }
    net_free(&n);
    genlab_ctx_destroy(ctx);
}

/* tu_check_refusal — building arch for spec s fails with status and
 * exactly message, leaving no state */
static inline void tu_check_refusal(genlab_registry *reg, const char *arch, int role,
                                    const genlab_arch_spec *s, genlab_status status,
                                    const char *message)
{
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    net_bind(&n, reg, ctx, arch, NULL);
    ck_assert_int_eq(net_build(&n, role, s), status);
    ck_assert_ptr_null(n.state);
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), message);
    net_free(&n);
    genlab_ctx_destroy(ctx);
}

/* tu_check_no_params — a build of arch's native spec in role needs a
 * parameter block (the layers would fail silently without one) */
static inline void tu_check_no_params(genlab_registry *reg, const char *arch, int role)
{
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    net_bind(&n, reg, ctx, arch, NULL);
    genlab_params_destroy(n.p);
    n.p = NULL;
    ck_assert_int_eq(net_build(&n, role, NULL), GL_ERR_INVALID);
    ck_assert_ptr_null(n.state);
    char want[128];
    snprintf(want, sizeof want, "arch %s: no parameter block to build into", arch);
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), want);
    net_free(&n);
    genlab_ctx_destroy(ctx);
}

/* A golden case (the generator script's, keep in step): the arch in role
 * at small sizes with args, the batch, and whether a training forward is
 * compared (not with dropout, whose masks differ from PyTorch's). */
typedef struct tu_golden_case {
    const char *name;
    const char *arch;
    int         role;
    int64_t     z, c, h, w;
    const char *args[3];
    int64_t     batch;
    bool        train;
} tu_golden_case;

/* tu_check_golden — the case's network with the golden weights of
 * k->name loaded (file g, written by generator): its output on a ramp
 * input in training mode (when k->train) and eval mode, and the input
 * gradient of a ramp-weighted sum, against the records within atol +
 * rtol |want| */
static inline void tu_check_golden(genlab_registry *reg, const gd_file *g, const char *file,
                                   const char *generator, const tu_golden_case *k, double atol,
                                   double rtol)
{
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    genlab_arch_spec s = tu_arch_spec(k->role, k->z, k->c, k->h, k->w);
    net_make(&n, reg, ctx, k->arch, k->role, &s, k->args);
    tu_golden_load_weights(g, file, generator, &n, k->name);
    int64_t xs[GL_MAX_DIMS];
    int nd = net_input_shape(&n, k->batch, xs);
    genlab_tensor *x = ramp(ctx, nd, xs, 0.37, 0.5);
    genlab_tensor_set_requires_grad(x, true);
    genlab_tensor *y = net_forward(&n, x, k->train);
    int64_t ys[GL_MAX_DIMS];
    for (int i = 0; i < genlab_tensor_ndim(y); i++)
        ys[i] = genlab_tensor_dim(y, i);
    genlab_tensor *w = ramp(ctx, genlab_tensor_ndim(y), ys, 0.11, M_PI / 2), *dx = NULL;
    ck_assert_int_eq(genlab_grad(ctx, 1, &y, &w, 1, &x, false, &dx), GL_OK);
    if (k->train)
        tu_golden_compare(g, file, generator, k->name, "y_train", y, atol, rtol);
    tu_golden_compare(g, file, generator, k->name, "dx", dx, atol, rtol);
    tu_golden_compare(g, file, generator, k->name, "y_eval", net_forward(&n, x, false), atol,
                      rtol);
    net_free(&n);
    genlab_ctx_destroy(ctx);
}

#endif /* GENLAB_TU_ARCH_H */
