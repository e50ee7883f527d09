/* SPDX-License-Identifier: MIT
 *
 * test_gan_loss.c — the GAN losses of plugins/gan/ (bce, lsgan, hinge,
 * wgan-gp), loaded as built from plugins/gan/.libs/gan.so and bound
 * through a resolved configuration as a trainer binds them.
 *
 * Every loss, objective and parameter setting of the golden table is
 * checked three ways: its value and gradients against PyTorch
 * (tests/golden/gen_gan_loss.py, float64 on the same float32 inputs), its
 * gradients against finite differences to first and second order
 * (tests/gradcheck.h), and for wgan-gp the penalty reported by
 * last_metrics. wgan-gp runs through a fixed tiny critic (conv, tanh,
 * linear), so its gradients with respect to the images and the critic's
 * weights go through the engine's double backward. The error tables hold
 * parameters refused by the configuration or by create(), missing inputs
 * (named), objectives a loss does not define, and a critic-less trainer.
 *
 * Sections: fixture, golden data, the critic, golden cases, gradient
 * checks, declared inputs and scalars, the penalty's draw, errors.
 */
#include <math.h>

#include "genlab/genlab.h"
#include "golden.h"
#include "gradcheck.h"
#include "testutil.h"
#include "tu_compare.h"

#define GOLDEN_FILE    GL_TOP_SRCDIR "/tests/golden/gan_loss.bin"
#define GOLDEN_VERSION 1
#define GOLDEN_SCRIPT  "/usr/bin/python3 tests/golden/gen_gan_loss.py"
/* gen_gan_loss.py's SEED: its eps are the first default-stream draws of a
 * context with this seed */
#define SEED 7

/* ---- fixture: gan.so and one loss bound through a configuration ---- */

typedef struct fx {
    genlab_ctx          *ctx;
    genlab_registry     *reg;
    genlab_config       *cfg;
    genlab_host          host;
    const genlab_loss_i *loss;
    void                *state;
    const char          *msg;    /* the failed resolve's or create's message */
} fx;

static void fx_setup(fx *f)
{
    memset(f, 0, sizeof *f);
    f->ctx = tu_ctx(SEED);
    ck_assert_int_eq(genlab_registry_create(GL_TEST_GAN_PLUGIN_DIR, &f->reg), GL_OK);
    ck_assert_msg(genlab_plugin_load(f->reg, GL_TEST_GAN_PLUGIN_DIR "/gan.so") == GL_OK, "%s",
                  genlab_registry_errmsg(f->reg));
}

static void fx_unbind(fx *f)
{
    if (f->loss && f->loss->destroy && f->state)
        f->loss->destroy(f->state);
    f->loss = NULL;
    f->state = NULL;
    genlab_config_destroy(f->cfg);
    f->cfg = NULL;
}

static void fx_teardown(fx *f)
{
    fx_unbind(f);
    genlab_registry_destroy(f->reg);
    genlab_ctx_destroy(f->ctx);
}

/* fx_bind — bind the loss called name, with "key=value" settings of its
 * scope (loss.*; NULL-terminated, may be NULL), and create it. Returns
 * resolve's or create's status, the message in f->msg. */
static genlab_status fx_bind(fx *f, const char *name, const char *const *set)
{
    static const genlab_param_def decl[] = {
        {.name = "loss", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_LOSS, .def = "",
         .help = "the loss under test"},
    };
    fx_unbind(f);
    genlab_ctx_clear_error(f->ctx);
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = tu_bind(f->reg, decl, name, set, NULL, &f->cfg, &c, &scope);
    if (st != GL_OK) {
        f->msg = genlab_config_errmsg(f->cfg);
        return st;
    }
    ck_assert_ptr_nonnull(c);
    genlab_host_init(&f->host, f->reg, f->ctx, f->cfg);
    const genlab_loss_i *loss = c->iface;
    st = loss->create ? loss->create(&f->host, scope, &f->state) : GL_OK;
    f->msg = genlab_ctx_errmsg(f->ctx);
    if (st == GL_OK)
        f->loss = loss;
    else
        ck_assert_ptr_null(f->state);
    return st;
}

/* fx_bind_ok — fx_bind that must succeed */
static void fx_bind_ok(fx *f, const char *name, const char *const *set)
{
    ck_assert_msg(fx_bind(f, name, set) == GL_OK, "binding %s: %s", name, f->msg);
}

/* ---- golden data ---- */

/* the records every case reads, as persistent tensors (requires_grad on) */
typedef struct gold {
    gd_file       *file;
    genlab_tensor *d_real, *d_fake;        /* (4, 1) critic logits */
    genlab_tensor *x_real, *x_fake;        /* (3, 2, 3, 3) images */
    genlab_tensor *w[4];                   /* the critic: w1, b1, w2, b2 */
} gold;

static const gd_tensor *gold_get(const gold *g, const char *name)
{
    const gd_tensor *t = gd_get(g->file, name);
    ck_assert_msg(t != NULL, "gan_loss.bin: no record \"%s\"; regenerate with %s", name,
                  GOLDEN_SCRIPT);
    return t;
}

static genlab_tensor *gold_tensor(genlab_ctx *ctx, const gold *g, const char *name)
{
    const gd_tensor *r = gold_get(g, name);
    genlab_tensor *t = genlab_tensor_new_persistent(ctx, GL_F32, r->ndim, r->shape);
    ck_assert_ptr_nonnull(t);
    memcpy(genlab_tensor_f32_mut(t), r->data, (size_t)r->numel * sizeof(float));
    genlab_tensor_set_requires_grad(t, true);
    return t;
}

static void gold_open(genlab_ctx *ctx, gold *g)
{
    char err[512];
    g->file = gd_open(GOLDEN_FILE, GOLDEN_VERSION, GOLDEN_SCRIPT, err, sizeof err);
    ck_assert_msg(g->file != NULL, "%s", err);
    g->d_real = gold_tensor(ctx, g, "d_real");
    g->d_fake = gold_tensor(ctx, g, "d_fake");
    g->x_real = gold_tensor(ctx, g, "x_real");
    g->x_fake = gold_tensor(ctx, g, "x_fake");
    static const char *const w[] = {"w1", "b1", "w2", "b2"};
    for (int i = 0; i < 4; i++)
        g->w[i] = gold_tensor(ctx, g, w[i]);
}

static void gold_close(gold *g)
{
    genlab_tensor *all[] = {g->d_real, g->d_fake, g->x_real, g->x_fake,
                            g->w[0], g->w[1], g->w[2], g->w[3]};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        genlab_tensor_free(all[i]);
    gd_free(g->file);
}

/* ---- the critic: D(x) = linear(flatten(tanh(conv2d(x, w1, b1, pad 1))), w2, b2) ---- */

/* gen_gan_loss.py's critic; user: its four weights (genlab_tensor *[4]) */
static genlab_tensor *critic(genlab_ctx *ctx, void *user, genlab_tensor *x)
{
    genlab_tensor *const *w = user;
    static const genlab_conv_opts pad1 = {.padding = {1, 1}};
    genlab_tensor *h = genlab_tanh(ctx, genlab_conv2d(ctx, x, w[0], w[1], &pad1));
    return genlab_linear(ctx, genlab_flatten(ctx, h, 1), w[2], w[3]);
}

/* What a trainer hands a loss; NULL members are left out of the args. */
typedef struct feed {
    genlab_tensor *d_real, *d_fake, *x_real, *x_fake;
    genlab_tensor *const *critic_w;        /* the critic's weights, or NULL: no critic */
} feed;

static genlab_tensor *compute(fx *f, genlab_loss_objective objective, const feed *in)
{
    genlab_named_tensor t[4];
    int n = 0;
    if (in->d_real)
        t[n++] = (genlab_named_tensor){"d_real", in->d_real};
    if (in->d_fake)
        t[n++] = (genlab_named_tensor){"d_fake", in->d_fake};
    if (in->x_real)
        t[n++] = (genlab_named_tensor){"x_real", in->x_real};
    if (in->x_fake)
        t[n++] = (genlab_named_tensor){"x_fake", in->x_fake};
    genlab_loss_args a = {.objective = objective, .n_tensors = n, .tensors = t,
                          .critic = in->critic_w ? critic : NULL,
                          .critic_ctx = (void *)in->critic_w};
    return f->loss->compute(f->ctx, f->state, &a);
}

/* ---- golden cases ---- */

typedef struct loss_case {
    const char           *name;       /* the records' prefix in gan_loss.bin */
    const char           *loss;       /* component */
    genlab_loss_objective objective;
    const char           *set[4];     /* loss.* settings, NULL-terminated */
    bool                  through_critic;  /* wgan-gp: images through the critic */
} loss_case;

#define OBJ_D GL_OBJ_DISCRIMINATOR
#define OBJ_G GL_OBJ_GENERATOR

static const loss_case cases[] = {
    /* BCE(d_real, 1) + BCE(d_fake, 0): nn.BCEWithLogitsLoss as torch_ref.py */
    {"bce.d", "bce", OBJ_D, {NULL}, false},
    /* one-sided label smoothing: the real target is 0.9 */
    {"bce.d.smooth", "bce", OBJ_D, {"real_label=0.9", NULL}, false},
    /* G non-saturating, BCE(d_fake, 1); smoothing never touches it */
    {"bce.g", "bce", OBJ_G, {"real_label=0.9", NULL}, false},
    /* G minimax, mean log(1 - sigmoid(d_fake)) written out in torch */
    {"bce.g.saturating", "bce", OBJ_G, {"saturating=true", NULL}, false},
    /* MSE(d_real, 1) + MSE(d_fake, 0): torch_ref.py's lsgan64 */
    {"lsgan.d", "lsgan", OBJ_D, {NULL}, false},
    {"lsgan.g", "lsgan", OBJ_G, {NULL}, false},
    /* the Pearson chi^2 coding a = -1, b = 1, c = 0 */
    {"lsgan.d.chi2", "lsgan", OBJ_D, {"a=-1", "b=1", "c=0", NULL}, false},
    {"lsgan.g.chi2", "lsgan", OBJ_G, {"a=-1", "b=1", "c=0", NULL}, false},
    /* mean relu(1 - d_real) + mean relu(1 + d_fake), both sides of each hinge */
    {"hinge.d", "hinge", OBJ_D, {NULL}, false},
    {"hinge.g", "hinge", OBJ_G, {NULL}, false},
    /* torch_ref.py's critic step, lambda 10 */
    {"wgan-gp.d", "wgan-gp", OBJ_D, {NULL}, true},
    /* lambda scales the penalty alone */
    {"wgan-gp.d.lambda2.5", "wgan-gp", OBJ_D, {"gp_weight=2.5", NULL}, true},
    /* lambda 0: no penalty, no critic call at interpolates */
    {"wgan-gp.d.nogp", "wgan-gp", OBJ_D, {"gp_weight=0", NULL}, true},
    /* -mean D(G(z)) */
    {"wgan-gp.g", "wgan-gp", OBJ_G, {NULL}, true},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

/* the tensors a case differentiates with respect to; returns their count */
static int case_inputs(const loss_case *c, const gold *g, genlab_tensor **x, const char **names)
{
    if (!c->through_critic) {
        x[0] = g->d_real, names[0] = "d_real";
        x[1] = g->d_fake, names[1] = "d_fake";
        return 2;
    }
    static const char *const n[] = {"x_real", "x_fake", "w1", "b1", "w2", "b2"};
    genlab_tensor *t[] = {g->x_real, g->x_fake, g->w[0], g->w[1], g->w[2], g->w[3]};
    for (int i = 0; i < 6; i++)
        x[i] = t[i], names[i] = n[i];
    return 6;
}

/* the case's loss of inputs x (case_inputs' order), as its trainer would
 * feed it: the critic's outputs on the images for wgan-gp */
static genlab_tensor *case_loss(fx *f, const loss_case *c, genlab_tensor **x)
{
    if (!c->through_critic)
        return compute(f, c->objective, &(feed){.d_real = x[0], .d_fake = x[1]});
    genlab_tensor *const *w = x + 2;
    feed in = {.d_real = critic(f->ctx, (void *)w, x[0]), .d_fake = critic(f->ctx, (void *)w, x[1]),
               .x_real = x[0], .x_fake = x[1], .critic_w = w};
    return compute(f, c->objective, &in);
}

/* Tolerances against float64 PyTorch on the same float32 inputs. Values
 * are sums of a few means of O(1) terms, within a few float32 ulp
 * (measured: at most 9.5e-7 on wgan-gp's 7.8, 1.2e-7 relative), so 1e-6
 * absolute plus 1e-6 relative. Gradients through the critic chain a conv,
 * tanh, a linear layer and their double backward over sums of up to 54
 * products (measured: at most 1.4e-6 on w1's entries of up to 12.4, under
 * lambda 10), so 2e-6 absolute plus 1e-5 relative. A wrong factor, sign
 * or term is off by orders of magnitude more (lsgan's 1/2: 1.4). */
#define VALUE_ATOL 1e-6
#define VALUE_RTOL 1e-6
#define GRAD_ATOL  2e-6
#define GRAD_RTOL  1e-5

START_TEST(test_golden)
{
    const loss_case *c = &cases[_i];
    fx f;
    fx_setup(&f);
    gold g;
    gold_open(f.ctx, &g);
    fx_bind_ok(&f, c->loss, c->set);

    genlab_tensor *x[6];
    const char *names[6];
    int n = case_inputs(c, &g, x, names);
    genlab_tensor *loss = case_loss(&f, c, x);
    ck_assert_msg(loss != NULL, "%s: %s", c->name, genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(genlab_tensor_numel(loss), 1);
    ck_assert_int_eq(genlab_tensor_ndim(loss), 0);

    char what[128];
    snprintf(what, sizeof what, "%s.value", c->name);
    const gd_tensor *want = gold_get(&g, what);
    TU_ASSERT_CLOSE(what, genlab_tensor_f32(loss), want->data, 1, VALUE_ATOL, VALUE_RTOL);

    /* the penalty the trainer logs: only where the case made one */
    void (*last)(void *, genlab_step_metrics *) =
        GL_IFACE_GET(f.loss, genlab_loss_i, last_metrics);
    genlab_step_metrics m = {0};
    if (last)
        last(f.state, &m);
    snprintf(what, sizeof what, "%s.gp", c->name);
    const gd_tensor *gp = gd_get(g.file, what);
    ck_assert_int_eq(m.n, gp ? 1 : 0);
    if (gp) {
        ck_assert_str_eq(m.name[0], "gp");
        float got = (float)m.value[0];
        TU_ASSERT_CLOSE(what, &got, gp->data, 1, VALUE_ATOL, VALUE_RTOL);
    }

    genlab_tensor *grads[6];
    ck_assert_msg(genlab_grad(f.ctx, 1, &loss, NULL, n, x, false, grads) == GL_OK, "%s: %s",
                  c->name, genlab_ctx_errmsg(f.ctx));
    for (int i = 0; i < n; i++) {
        snprintf(what, sizeof what, "%s.grad.%s", c->name, names[i]);
        want = gold_get(&g, what);
        ck_assert_int_eq(genlab_tensor_numel(grads[i]), want->numel);
        TU_ASSERT_CLOSE(what, genlab_tensor_f32(grads[i]), want->data, want->numel, GRAD_ATOL,
                        GRAD_RTOL);
    }
    fx_unbind(&f);
    gold_close(&g);
    fx_teardown(&f);
}
END_TEST

/* ---- gradient checks ---- */

typedef struct gc_user {
    fx              *f;
    const loss_case *c;
} gc_user;

static genlab_tensor *gc_loss(genlab_ctx *ctx, genlab_tensor **x, void *user)
{
    (void)ctx;   /* the fixture's context, the one gc_check drives */
    const gc_user *u = user;
    return case_loss(u->f, u->c, x);
}

/* Each case to second order against finite differences: for wgan-gp that
 * differentiates the penalty (a first derivative of the critic) twice more.
 * gc_check replays the context's random streams at every evaluation, so
 * the penalty's eps stay the same. The inputs are the golden ones: d_real
 * and d_fake lie at least 0.3 from hinge's kinks, farther than the step
 * (gradcheck's default 1e-2), and the critic is smooth. Default
 * tolerances (gradcheck.h). */
START_TEST(test_gradcheck)
{
    const loss_case *c = &cases[_i];
    fx f;
    fx_setup(&f);
    gold g;
    gold_open(f.ctx, &g);
    fx_bind_ok(&f, c->loss, c->set);
    genlab_tensor *x[6];
    const char *names[6];
    int n = case_inputs(c, &g, x, names);
    gc_user u = {&f, c};
    gc_opts o = {.second = true};
    char msg[512];
    bool ok = gc_check(f.ctx, gc_loss, &u, n, x, &o, msg, sizeof msg);
    fx_unbind(&f);
    gold_close(&g);
    fx_teardown(&f);
    ck_assert_msg(ok, "%s: %s", c->name, msg);
}
END_TEST

/* ---- declared inputs and scalars ---- */

/* inputs lists what compute() reads, so that a trainer refuses a loss it
 * cannot feed; only wgan-gp reports a scalar of its own */
START_TEST(test_declared)
{
    static const struct {
        const char *loss, *inputs, *missing;   /* missing: given only d_real, d_fake */
        bool        metrics;
    } rows[] = {
        {"bce", "d_real d_fake", NULL, false},
        {"lsgan", "d_real d_fake", NULL, false},
        {"hinge", "d_real d_fake", NULL, false},
        {"wgan-gp", "d_real d_fake x_real x_fake", "x_real", true},
    };
    static const char *const logits_only[] = {"d_real", "d_fake", NULL};
    fx f;
    fx_setup(&f);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        fx_bind_ok(&f, rows[r].loss, NULL);
        char got[128] = "";
        for (const char *const *p = f.loss->inputs; p && *p; p++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", *got ? " " : "", *p);
        ck_assert_str_eq(got, rows[r].inputs);
        const char *missing = genlab_loss_missing_input(f.loss, logits_only);
        if (rows[r].missing)
            ck_assert_str_eq(missing, rows[r].missing);
        else
            ck_assert_ptr_null(missing);
        ck_assert_int_eq(GL_IFACE_GET(f.loss, genlab_loss_i, last_metrics) != NULL,
                         rows[r].metrics);
    }
    fx_teardown(&f);
}
END_TEST

/* last_metrics reports the last compute(): a G objective or a failed D
 * objective after a successful one leaves no stale penalty */
START_TEST(test_metrics_last_compute)
{
    fx f;
    fx_setup(&f);
    gold g;
    gold_open(f.ctx, &g);
    fx_bind_ok(&f, "wgan-gp", NULL);
    feed in = {.d_real = critic(f.ctx, g.w, g.x_real), .d_fake = critic(f.ctx, g.w, g.x_fake),
               .x_real = g.x_real, .x_fake = g.x_fake, .critic_w = g.w};
    genlab_step_metrics m = {0};
    ck_assert_ptr_nonnull(compute(&f, OBJ_D, &in));
    f.loss->last_metrics(f.state, &m);
    ck_assert_int_eq(m.n, 1);
    ck_assert(m.value[0] > 0);

    m.n = 0;
    ck_assert_ptr_nonnull(compute(&f, OBJ_G, &in));
    f.loss->last_metrics(f.state, &m);
    ck_assert_int_eq(m.n, 0);

    ck_assert_ptr_nonnull(compute(&f, OBJ_D, &in));
    feed no_critic = in;
    no_critic.critic_w = NULL;
    ck_assert_ptr_null(compute(&f, OBJ_D, &no_critic));
    f.loss->last_metrics(f.state, &m);
    ck_assert_int_eq(m.n, 0);
    fx_unbind(&f);
    gold_close(&g);
    fx_teardown(&f);
}
END_TEST

/* ---- the penalty's draw ---- */

/* eps: N numbers from the default stream and nothing from the others; the
 * first ones of a fresh context are those gen_gan_loss.py computed (its
 * port of Philox agrees with rng.c) */
START_TEST(test_eps_draw)
{
    fx f;
    fx_setup(&f);
    gold g;
    gold_open(f.ctx, &g);
    const gd_tensor *want = gold_get(&g, "eps");
    genlab_tensor *eps = genlab_rand(f.ctx, want->ndim, want->shape, 0.0f, 1.0f);
    ck_assert_ptr_nonnull(eps);
    /* exact: both take the top 24 bits of the same Philox word */
    TU_ASSERT_CLOSE("eps", genlab_tensor_f32(eps), want->data, want->numel, 0.0, 0.0);

    fx_bind_ok(&f, "wgan-gp", NULL);
    feed in = {.d_real = critic(f.ctx, g.w, g.x_real), .d_fake = critic(f.ctx, g.w, g.x_fake),
               .x_real = g.x_real, .x_fake = g.x_fake, .critic_w = g.w};
    uint64_t seed, before[GL_STREAM_COUNT], after[GL_STREAM_COUNT];
    genlab_rng_state(f.ctx, &seed, before);
    ck_assert_ptr_nonnull(compute(&f, OBJ_D, &in));
    genlab_rng_state(f.ctx, &seed, after);
    for (int s = 0; s < GL_STREAM_COUNT; s++)
        ck_assert_uint_eq(after[s] - before[s], s == GL_STREAM_DEFAULT ? 3 : 0);
    fx_unbind(&f);
    gold_close(&g);
    fx_teardown(&f);
}
END_TEST

/* With recording off (a trainer evaluating its losses) the penalty is
 * still the gradient norm's, not the 1 that a gradient of zeros would
 * give: the same value as with recording on */
START_TEST(test_penalty_without_recording)
{
    fx f;
    fx_setup(&f);
    gold g;
    gold_open(f.ctx, &g);
    fx_bind_ok(&f, "wgan-gp", NULL);
    float value[2];
    for (int k = 0; k < 2; k++) {
        genlab_ctx_step_begin(f.ctx);
        genlab_rng_restore(f.ctx, SEED, (const uint64_t[GL_STREAM_COUNT]){0});
        bool prev = genlab_set_grad_enabled(f.ctx, k == 0);
        feed in = {.d_real = critic(f.ctx, g.w, g.x_real), .d_fake = critic(f.ctx, g.w, g.x_fake),
                   .x_real = g.x_real, .x_fake = g.x_fake, .critic_w = g.w};
        genlab_tensor *loss = compute(&f, OBJ_D, &in);
        ck_assert_msg(loss != NULL, "%s", genlab_ctx_errmsg(f.ctx));
        ck_assert(genlab_grad_enabled(f.ctx) == (k == 0));   /* restored */
        genlab_set_grad_enabled(f.ctx, prev);
        value[k] = genlab_tensor_item(loss);
    }
    const gd_tensor *want = gold_get(&g, "wgan-gp.d.value");
    TU_ASSERT_CLOSE("recording off", &value[1], want->data, 1, VALUE_ATOL, VALUE_RTOL);
    ck_assert_float_eq(value[0], value[1]);
    fx_unbind(&f);
    gold_close(&g);
    fx_teardown(&f);
}
END_TEST

/* ---- errors ---- */

/* parameters refused by the configuration (before any create) or by
 * create(): the message names the key */
START_TEST(test_bad_params)
{
    static const struct {
        const char   *loss;
        const char   *set[3];
        const char   *want;     /* substring of the message */
    } rows[] = {
        /* a negative penalty would reward steep critics */
        {"wgan-gp", {"gp_weight=-1", NULL}, "loss.gp_weight"},
        /* the real target of a cross-entropy is a probability */
        {"bce", {"real_label=1.5", NULL}, "loss.real_label"},
        {"bce", {"real_label=-0.1", NULL}, "loss.real_label"},
        {"bce", {"saturating=maybe", NULL}, "loss.saturating"},
        /* equal targets give D nothing to tell apart (create() refuses) */
        {"lsgan", {"a=1", "b=1", NULL}, "loss.a = loss.b = 1"},
        /* hinge has no parameters; a margin is not one of them */
        {"hinge", {"margin=2", NULL}, "loss.margin"},
    };
    fx f;
    fx_setup(&f);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        ck_assert_int_ne(fx_bind(&f, rows[r].loss, rows[r].set), GL_OK);
        ck_assert_msg(strstr(f.msg, rows[r].want) != NULL, "%s: message '%s' lacks '%s'",
                      rows[r].loss, f.msg, rows[r].want);
    }
    fx_teardown(&f);
}
END_TEST

/* compute() errors: missing inputs named, undefined objectives, a
 * trainer without a critic, images of two shapes */
enum { IN_DR = 1, IN_DF = 2, IN_XR = 4, IN_XF = 8, IN_CRITIC = 16, IN_XF_WRONG = 32 };
#define IN_LOGITS (IN_DR | IN_DF)
#define IN_ALL    (IN_DR | IN_DF | IN_XR | IN_XF | IN_CRITIC)

static const struct error_case {
    const char           *loss;
    genlab_loss_objective objective;
    unsigned              in;       /* IN_* given */
    genlab_status         status;
    const char           *want;     /* substring of the message */
} error_cases[] = {
    /* the message names the input and what the trainer did give */
    {"bce", OBJ_D, IN_DF, GL_ERR_INVALID, "loss bce: input d_real missing (the trainer gave: d_fake)"},
    {"bce", OBJ_G, IN_DR, GL_ERR_INVALID, "loss bce: input d_fake missing"},
    {"lsgan", OBJ_D, IN_DR, GL_ERR_INVALID, "loss lsgan: input d_fake missing"},
    {"lsgan", OBJ_G, 0, GL_ERR_INVALID, "input d_fake missing (the trainer gave: none)"},
    {"hinge", OBJ_D, IN_DF, GL_ERR_INVALID, "loss hinge: input d_real missing"},
    {"hinge", OBJ_G, IN_DR, GL_ERR_INVALID, "loss hinge: input d_fake missing"},
    {"wgan-gp", OBJ_D, IN_ALL & ~IN_XR, GL_ERR_INVALID, "loss wgan-gp: input x_real missing"},
    {"wgan-gp", OBJ_D, IN_ALL & ~IN_XF, GL_ERR_INVALID, "loss wgan-gp: input x_fake missing"},
    {"wgan-gp", OBJ_D, IN_ALL & ~IN_DR, GL_ERR_INVALID, "loss wgan-gp: input d_real missing"},
    {"wgan-gp", OBJ_G, IN_DR, GL_ERR_INVALID, "loss wgan-gp: input d_fake missing"},
    /* the penalty differentiates the critic: a trainer must give one */
    {"wgan-gp", OBJ_D, IN_ALL & ~IN_CRITIC, GL_ERR_INVALID, "needs the critic"},
    /* interpolating needs one shape (broadcasting would hide this) */
    {"wgan-gp", OBJ_D, IN_ALL | IN_XF_WRONG, GL_ERR_SHAPE,
     "x_real (3, 2, 3, 3) and x_fake (4, 1) must have one shape"},
    /* GAN losses have no single (VAE / diffusion) objective */
    {"bce", GL_OBJ_MAIN, IN_ALL, GL_ERR_INVALID, "loss bce: objective main (0) is not defined"},
    {"lsgan", GL_OBJ_MAIN, IN_ALL, GL_ERR_INVALID, "loss lsgan: objective main (0) is not defined"},
    {"hinge", GL_OBJ_MAIN, IN_ALL, GL_ERR_INVALID, "loss hinge: objective main (0) is not defined"},
    {"wgan-gp", GL_OBJ_MAIN, IN_ALL, GL_ERR_INVALID, "loss wgan-gp: objective main (0)"},
    /* a value from a newer ABI */
    {"bce", (genlab_loss_objective)7, IN_ALL, GL_ERR_INVALID, "objective (unknown) (7)"},
};

START_TEST(test_compute_errors)
{
    const struct error_case *e = &error_cases[_i];
    fx f;
    fx_setup(&f);
    gold g;
    gold_open(f.ctx, &g);
    fx_bind_ok(&f, e->loss, NULL);
    feed in = {
        .d_real = e->in & IN_DR ? g.d_real : NULL,
        .d_fake = e->in & IN_DF ? g.d_fake : NULL,
        .x_real = e->in & IN_XR ? g.x_real : NULL,
        .x_fake = e->in & IN_XF_WRONG ? g.d_fake : e->in & IN_XF ? g.x_fake : NULL,
        .critic_w = e->in & IN_CRITIC ? g.w : NULL,
    };
    ck_assert_ptr_null(compute(&f, e->objective, &in));
    ck_assert_int_eq(genlab_ctx_status(f.ctx), e->status);
    ck_assert_msg(strstr(genlab_ctx_errmsg(f.ctx), e->want) != NULL, "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(f.ctx), e->want);
    fx_unbind(&f);
    gold_close(&g);
    fx_teardown(&f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gan_loss");
    TCase *tc = tcase_create("golden");
    tcase_add_loop_test(tc, test_golden, 0, N_CASES);
    suite_add_tcase(s, tc);

    tc = tcase_create("gradcheck");
    tcase_set_timeout(tc, 60);   /* third derivatives of the critic, under valgrind too */
    tcase_add_loop_test(tc, test_gradcheck, 0, N_CASES);
    suite_add_tcase(s, tc);

    tc = tcase_create("interface");
    tcase_add_test(tc, test_declared);
    tcase_add_test(tc, test_metrics_last_compute);
    tcase_add_test(tc, test_eps_draw);
    tcase_add_test(tc, test_penalty_without_recording);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_bad_params);
    tcase_add_loop_test(tc, test_compute_errors, 0,
                        (int)(sizeof error_cases / sizeof error_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
