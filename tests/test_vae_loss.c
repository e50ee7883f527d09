/* SPDX-License-Identifier: MIT
 *
 * test_vae_loss.c — the VAE plugin's objective (plugins/vae/): its
 * reconstruction losses (vae-mse, vae-bce, vae-l1) and beta schedules
 * (beta-constant, beta-linear, beta-cyclical), bound through a resolved
 * configuration as the trainer binds them, and the trainer "vae" itself
 * created directly (no run) on a tiny vae-mlp28 whose weights are loaded
 * from PyTorch, for what only it computes: the KL term, the ELBO and the
 * gradient through the reparameterisation.
 *
 * Checked against tests/golden/vae.bin (tests/golden/gen_vae.py): each
 * loss's value and gradient in both reductions; the KL of each image in
 * closed form and the negative ELBO at the posterior mean (the anomaly
 * scores, for the three output/loss pairs); the step's kl against the
 * same closed form. By finite differences (the step's own draws replayed:
 * the RNG state saved and restored around each step, the optimizer at
 * learning rate 0): the gradient of the step's loss with respect to the
 * encoder's weights, which reaches them only through z = mu + exp(logvar
 * / 2) eps. Free bits: the KL term's floor. Schedules: values at chosen
 * steps, epochs from set_epoch_steps. Errors: missing inputs, another
 * objective, a Bernoulli loss with a tanh output, a cyclical schedule
 * without a horizon.
 *
 * Sections: fixture, losses, schedules, the trainer, errors, suite.
 */
#include <math.h>

#include "genlab/genlab.h"
#include "golden.h"
#include "testutil.h"
#include "tu_compare.h"

#define GOLDEN           GL_TOP_SRCDIR "/tests/golden/vae.bin"
#define GOLDEN_GENERATOR "tests/golden/gen_vae.py"

/* ---- fixture ---- */

static genlab_registry *reg;
static gd_file         *golden;

static void setup(void)
{
    ck_assert_int_eq(genlab_registry_create(GL_TEST_VAE_PLUGIN_DIR, &reg), GL_OK);
    ck_assert_msg(genlab_plugin_load(reg, GL_TEST_VAE_PLUGIN_DIR "/vae.so") == GL_OK, "%s",
                  genlab_registry_errmsg(reg));
    char err[512];
    golden = gd_open(GOLDEN, 1, GOLDEN_GENERATOR, err, sizeof err);
    ck_assert_msg(golden != NULL, "%s", err);
}

static void teardown(void)
{
    gd_free(golden);
    golden = NULL;
    genlab_registry_destroy(reg);
    reg = NULL;
}

static const gd_tensor *gold(const char *name)
{
    const gd_tensor *t = gd_get(golden, name);
    ck_assert_msg(t != NULL, "%s: no %s (regenerate with %s)", GOLDEN, name, GOLDEN_GENERATOR);
    return t;
}

/* a golden record as an arena tensor of its shape */
static genlab_tensor *gold_tensor(genlab_ctx *ctx, const char *name)
{
    const gd_tensor *g = gold(name);
    return genlab_tensor_from(ctx, g->ndim, g->shape, g->data);
}

/* One component of kind bound under t.<kind> with "key=value" settings
 * of its scope (NULL-terminated), as a trainer binds it. */
typedef struct bound {
    genlab_config          *cfg;
    genlab_host             host;
    const genlab_component *c;
    const genlab_config    *scope;
} bound;

static void bind(bound *b, genlab_ctx *ctx, genlab_component_kind kind, const char *name,
                 const char *const *set)
{
    static const genlab_param_def decl[] = {
        {.name = "loss", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_LOSS, .def = "",
         .help = "the loss under test"},
        {.name = "beta", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_SCHEDULE, .def = "",
         .help = "the schedule under test"},
    };
    ck_assert_msg(tu_bind(reg, &decl[kind == GL_KIND_LOSS ? 0 : 1], name, set, NULL, &b->cfg,
                          &b->c, &b->scope) == GL_OK, "%s", genlab_config_errmsg(b->cfg));
    genlab_host_init(&b->host, reg, ctx, b->cfg);
}

/* ---- losses ---- */

/* Each loss in each reduction, on gen_vae.py's x and p (the recon for
 * mse and l1, the logits for bce). */
static const struct loss_case {
    const char *loss, *golden, *input, *reduction;
} losses[] = {
    {"vae-mse", "mse_sum", "recon", "sum"},
    {"vae-mse", "mse_mean", "recon", "mean"},
    {"vae-l1", "l1_sum", "recon", "sum"},
    {"vae-l1", "l1_mean", "recon", "mean"},
    {"vae-bce", "bce_sum", "logits", "sum"},
    {"vae-bce", "bce_mean", "logits", "mean"},
};

/* Float32 against float64 rounded once: the sum of 60 terms of up to ~4
 * rounds within 60 ulps of 4 (3e-5); measured within 4e-6. 1e-5 absolute
 * plus 1e-5 relative stays 100x below a wrong reduction (a factor of 3 or
 * 20) or a wrong formula. */
#define LOSS_ATOL 1e-5
#define LOSS_RTOL 1e-5

START_TEST(test_loss_golden)
{
    const struct loss_case *k = &losses[_i];
    genlab_ctx *ctx = tu_ctx(1);
    bound b;
    char red[64];
    snprintf(red, sizeof red, "reduction=%s", k->reduction);
    bind(&b, ctx, GL_KIND_LOSS, k->loss, (const char *const[]){red, NULL});
    const genlab_loss_i *l = b.c->iface;
    void *state = NULL;
    ck_assert_int_eq(l->create(&b.host, b.scope, &state), GL_OK);
    genlab_tensor *x = gold_tensor(ctx, "loss.x"), *p = gold_tensor(ctx, "loss.p");
    genlab_tensor_set_requires_grad(p, true);
    const genlab_named_tensor in[] = {{"x", x}, {k->input, p}};
    const genlab_loss_args args = {GL_OBJ_MAIN, 2, in, NULL, NULL};
    genlab_tensor *v = l->compute(ctx, state, &args), *g = NULL;
    ck_assert_msg(v != NULL, "%s", genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(genlab_tensor_ndim(v), 0);
    ck_assert_int_eq(genlab_grad(ctx, 1, &v, NULL, 1, &p, false, &g), GL_OK);
    char what[96];
    snprintf(what, sizeof what, "loss.%s.value", k->golden);
    TU_ASSERT_CLOSE(what, genlab_tensor_f32(v), gold(what)->data, 1, LOSS_ATOL, LOSS_RTOL);
    snprintf(what, sizeof what, "loss.%s.grad", k->golden);
    TU_ASSERT_CLOSE(what, genlab_tensor_f32(g), gold(what)->data, 60, LOSS_ATOL, LOSS_RTOL);
    l->destroy(state);
    genlab_config_destroy(b.cfg);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- schedules ---- */

/* A schedule's value at chosen steps: the settings, the horizon, the
 * steps per epoch (0: set_epoch_steps not called), and (step, value)
 * pairs. */
static const struct sched_case {
    const char *name;
    const char *set[5];   /* NULL-terminated */
    int64_t     horizon, epoch_steps;
    struct {
        int64_t step;
        double  value;
    } at[6];
} scheds[] = {
    {"beta-constant", {"value=0.25"}, 100, 0, {{0, 0.25}, {57, 0.25}, {99, 0.25}}},
    /* seed 000: 0 to 0.8 over 20 epochs of 10 steps, then 0.8 */
    {"beta-linear", {"start=0", "end=0.8", "epochs=20"}, 1000, 10,
     {{0, 0.0}, {50, 0.2}, {100, 0.4}, {199, 0.796}, {200, 0.8}, {999, 0.8}}},
    /* without set_epoch_steps an epoch is a step */
    {"beta-linear", {"start=1", "end=0", "epochs=4"}, 10, 0, {{0, 1.0}, {1, 0.75}, {4, 0.0}}},
    /* epochs = 0: end at once */
    {"beta-linear", {"start=0", "end=2", "epochs=0"}, 10, 5, {{0, 2.0}, {9, 2.0}}},
    /* Fu et al.: 4 cycles of 25 steps, rising over the first half */
    {"beta-cyclical", {"start=0", "end=1", "cycles=4", "ratio=0.5"}, 100, 0,
     {{0, 0.0}, {5, 0.4}, {12, 0.96}, {13, 1.0}, {25, 0.0}, {99, 1.0}}},
};

START_TEST(test_schedule)
{
    const struct sched_case *k = &scheds[_i];
    genlab_ctx *ctx = tu_ctx(1);
    bound b;
    bind(&b, ctx, GL_KIND_SCHEDULE, k->name, k->set);
    const genlab_schedule_i *s = b.c->iface;
    void *state = NULL;
    ck_assert_int_eq(s->create(&b.host, b.scope, k->horizon, &state), GL_OK);
    void (*set_epoch_steps)(void *, int64_t) =
        GL_IFACE_GET(s, genlab_schedule_i, set_epoch_steps);
    if (k->epoch_steps)
        set_epoch_steps(state, k->epoch_steps);
    for (int j = 0; j < 6 && (j == 0 || k->at[j].step); j++) {
        double v = s->at(state, k->at[j].step);
        /* the values are a few float operations on exact decimals: 1e-12
         * is rounding, far below any wrong slope or offset */
        ck_assert_msg(fabs(v - k->at[j].value) < 1e-12, "%s at %lld: %.15g, want %.15g",
                      k->name, (long long)k->at[j].step, v, k->at[j].value);
    }
    s->destroy(state);
    genlab_config_destroy(b.cfg);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- the trainer ---- */

/* The trainer created directly on gen_vae.py's ELBO model: vae-mlp28 at
 * hidden = 6 and z = 3 on 1x4x4 images, no dataset. */
typedef struct tr {
    genlab_ctx             *ctx;
    genlab_config          *cfg;
    genlab_host             host;
    const genlab_trainer_i *t;
    void                   *state;
} tr;

static genlab_status tr_create(tr *f, const char *const *set)
{
    static const char *const base[] = {
        "train.trainer=vae", "vae.encoder=vae-mlp28", "vae.decoder=vae-mlp28",
        "encoder.hidden=6", "decoder.hidden=6", "vae.z_dim=3", "train.steps=10",
        "train.batch=3", "optim.lr=0"};
    memset(f, 0, sizeof *f);
    f->ctx = tu_ctx(5);
    ck_assert_int_eq(genlab_config_create(&f->cfg), GL_OK);
    ck_assert_int_eq(genlab_run_declare(f->cfg), GL_OK);
    ck_assert_int_eq(genlab_config_set_args(f->cfg, sizeof base / sizeof *base, base), GL_OK);
    int n = 0;
    while (set && set[n])
        n++;
    ck_assert_int_eq(genlab_config_set_args(f->cfg, n, set), GL_OK);
    ck_assert_msg(genlab_config_resolve(f->cfg, reg) == GL_OK, "%s",
                  genlab_config_errmsg(f->cfg));
    genlab_host_init(&f->host, reg, f->ctx, f->cfg);
    const genlab_component *c = genlab_registry_find(reg, GL_KIND_TRAINER, "vae");
    ck_assert_ptr_nonnull(c);
    f->t = c->iface;
    const genlab_data_spec data = {1, 4, 4, 0, 3};
    return f->t->create(&f->host, genlab_config_scope(f->cfg, "vae"), &data, &f->state);
}

static void tr_free(tr *f)
{
    if (f->state)
        f->t->destroy(f->state);
    genlab_config_destroy(f->cfg);
    genlab_ctx_destroy(f->ctx);
}

/* load the golden weights: E.params.<p> from elbo.E.<p>, D.* likewise */
static genlab_status load_weight(void *user, const char *name, genlab_tensor *t)
{
    (void)user;
    char key[GL_PARAM_NAME_MAX + 16];
    if (strncmp(name, "E.params.", 9) && strncmp(name, "D.params.", 9))
        return GL_OK;
    snprintf(key, sizeof key, "elbo.%c.%s", name[0], name + 9);
    const gd_tensor *g = gold(key);
    ck_assert_int_eq(g->numel, genlab_tensor_numel(t));
    memcpy(genlab_tensor_f32_mut(t), g->data, (size_t)g->numel * sizeof(float));
    return GL_OK;
}

/* The anomaly scores: the loss of each image decoded from its posterior
 * mean (vae.anomaly=recon), plus its closed-form KL (elbo): the negative
 * ELBO at z = mean, for three output/loss pairs. */
static const struct elbo_case {
    const char *output, *loss, *golden;
    bool        elbo;
} elbos[] = {
    {"sigmoid", "vae-bce", "sigmoid_bce", true},
    {"sigmoid", "vae-bce", "sigmoid_bce", false},
    {"tanh", "vae-mse", "tanh_mse", true},
    {"sigmoid", "vae-l1", "sigmoid_l1", false},
};

/* Float32 through two small Linear layers and a sum of 16 pixels, against
 * float64 rounded once: measured within 3e-6 of values of 1 to 20. 1e-4
 * absolute plus 1e-5 relative is 30x that and 100x below the smallest term
 * left out (the KL of an image, 0.5 or more here). */
#define ELBO_ATOL 1e-4
#define ELBO_RTOL 1e-5

START_TEST(test_anomaly_scores)
{
    const struct elbo_case *k = &elbos[_i];
    char output[64], loss[64], anomaly[64];
    snprintf(output, sizeof output, "vae.output=%s", k->output);
    snprintf(loss, sizeof loss, "vae.loss=%s", k->loss);
    snprintf(anomaly, sizeof anomaly, "vae.anomaly=%s", k->elbo ? "elbo" : "recon");
    tr f;
    ck_assert_msg(tr_create(&f, (const char *const[]){output, loss, anomaly, NULL}) == GL_OK,
                  "%s", genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(f.t->visit(f.state, load_weight, NULL), GL_OK);
    genlab_tensor *(*score)(genlab_ctx *, void *, genlab_tensor *) =
        GL_IFACE_GET(f.t, genlab_trainer_i, anomaly_score);
    ck_assert_ptr_nonnull(score);
    genlab_tensor *s = score(f.ctx, f.state, gold_tensor(f.ctx, "elbo.x"));
    ck_assert_msg(s != NULL, "%s", genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(genlab_tensor_ndim(s), 1);
    ck_assert_int_eq(genlab_tensor_dim(s, 0), 3);
    char what[96];
    snprintf(what, sizeof what, "elbo.%s.recon", k->golden);
    const float *r = gold(what)->data;
    snprintf(what, sizeof what, "elbo.%s.kl", k->output);
    const float *kl = gold(what)->data;
    float want[3];
    for (int i = 0; i < 3; i++)
        want[i] = r[i] + (k->elbo ? kl[i] : 0.0f);
    TU_ASSERT_CLOSE(k->golden, genlab_tensor_f32(s), want, 3, ELBO_ATOL, ELBO_RTOL);
    tr_free(&f);
}
END_TEST

/* a batch source handing out one fixed batch */
static genlab_status fixed_next(genlab_ctx *ctx, void *context, genlab_batch *out)
{
    (void)ctx;
    *out = (genlab_batch){context, NULL};
    return GL_OK;
}

/* step — one step on x from the RNG state (seed, offs): the draws of
 * every call are the same. Returns the step's metric called key. */
static double step(tr *f, genlab_tensor *x, uint64_t seed, const uint64_t *offs,
                   const char *key)
{
    genlab_rng_restore(f->ctx, seed, offs);
    genlab_step_metrics m = {0};
    genlab_batch_source src = {fixed_next, x};
    ck_assert_msg(f->t->step(f->ctx, f->state, 0, &src, &m) == GL_OK, "%s",
                  genlab_ctx_errmsg(f->ctx));
    for (int i = 0; i < m.n; i++)
        if (!strcmp(m.name[i], key))
            return m.value[i];
    ck_abort_msg("no metric %s", key);
    return NAN;
}

/* The step's scalars: kl is the batch mean of the closed-form KL (which
 * no draw changes), loss = recon + beta kl, and with free bits above every
 * latent's KL the KL term is z_dim x the floor (kl stays the true one). */
START_TEST(test_step_kl)
{
    tr f;
    ck_assert_msg(tr_create(&f, (const char *const[]){"beta.value=0.5", NULL}) == GL_OK, "%s",
                  genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(f.t->visit(f.state, load_weight, NULL), GL_OK);
    genlab_tensor *x = gold_tensor(f.ctx, "elbo.x");
    uint64_t seed, offs[GL_STREAM_COUNT];
    genlab_rng_state(f.ctx, &seed, offs);
    const float *kl = gold("elbo.sigmoid.kl")->data;
    double want = (kl[0] + kl[1] + kl[2]) / 3.0;
    /* ELBO_ATOL: the same float32 sums as the anomaly scores */
    ck_assert_double_eq_tol(step(&f, x, seed, offs, "kl"), want, ELBO_ATOL);
    double loss = step(&f, x, seed, offs, "loss"), recon = step(&f, x, seed, offs, "recon");
    /* the total is one float32 addition of float32 terms of up to ~20 */
    ck_assert_double_eq_tol(loss, recon + 0.5 * want, 1e-4);
    ck_assert_double_eq(step(&f, x, seed, offs, "beta"), 0.5);
    tr_free(&f);

    /* free bits of 100 nats a latent, above every latent's KL here (the
     * images' KLs are about 20 nats in all) */
    ck_assert_msg(want < 100.0, "the golden KL %.3f is not below the floor", want);
    ck_assert_msg(tr_create(&f, (const char *const[]){"vae.free_bits=100", NULL}) == GL_OK, "%s",
                  genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(f.t->visit(f.state, load_weight, NULL), GL_OK);
    x = gold_tensor(f.ctx, "elbo.x");
    genlab_rng_state(f.ctx, &seed, offs);
    loss = step(&f, x, seed, offs, "loss");
    recon = step(&f, x, seed, offs, "recon");
    /* float32: 300 + ~15 rounds within 3e-5 */
    ck_assert_double_eq_tol(loss, recon + 3 * 100.0, 1e-4);
    ck_assert_double_eq_tol(step(&f, x, seed, offs, "kl"), want, ELBO_ATOL);
    tr_free(&f);
}
END_TEST

/* visit's parameter tensors of the encoder, for the gradient check */
typedef struct params_of {
    genlab_tensor *t[8];
    char           name[8][GL_PARAM_NAME_MAX + 16];
    int            n;
} params_of;

static genlab_status collect(void *user, const char *name, genlab_tensor *t)
{
    params_of *p = user;
    if (!strncmp(name, "E.params.", 9) && p->n < 8) {
        p->t[p->n] = t;
        snprintf(p->name[p->n++], sizeof p->name[0], "%s", name);
    }
    return GL_OK;
}

/* The gradient of the step's loss with respect to the encoder's weights
 * against central differences, with the step's eps replayed: the encoder
 * reaches the loss through z = mu + exp(logvar / 2) eps (the decoder's
 * input) and the KL; at learning rate 0 the optimizer leaves every weight
 * as it is. The output rows of fc_stats past z_dim are the log-variances:
 * their gradient exists only through the reparameterisation and the KL. */
#define FD_H 3e-3
/* The loss (~15) in float32 rounds to ~1e-6, so a difference quotient
 * over 2h carries ~1e-3 of noise at h = 1e-3; its truncation, O(h^2)
 * times the third derivative through exp(logvar / 2) (large: the weights
 * are 3x PyTorch's default), exceeds the tolerance at h = 1e-2. At h =
 * 3e-3 the worst element uses 0.43 of 1e-3 absolute plus 2e-2 relative
 * (measured), while a gradient cut somewhere on its way to the encoder
 * (a detached z, mean or log-variance) is off by the whole gradient. */
#define FD_ATOL 1e-3
#define FD_RTOL 2e-2

START_TEST(test_reparam_gradient)
{
    tr f;
    ck_assert_msg(tr_create(&f, NULL) == GL_OK, "%s", genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(f.t->visit(f.state, load_weight, NULL), GL_OK);
    genlab_tensor *x = gold_tensor(f.ctx, "elbo.x");
    uint64_t seed, offs[GL_STREAM_COUNT];
    genlab_rng_state(f.ctx, &seed, offs);
    step(&f, x, seed, offs, "loss");
    params_of p = {0};
    ck_assert_int_eq(f.t->visit(f.state, collect, &p), GL_OK);
    ck_assert_int_eq(p.n, 4);   /* fc1 and fc_stats, weight and bias */
    int checked = 0, logvar_nonzero = 0;
    for (int j = 0; j < p.n; j++) {
        genlab_tensor *t = p.t[j];
        int64_t numel = genlab_tensor_numel(t);
        float *w = genlab_tensor_f32_mut(t);
        float *g = malloc((size_t)numel * sizeof *g);
        ck_assert_ptr_nonnull(g);
        memcpy(g, genlab_tensor_f32(genlab_tensor_grad(t)), (size_t)numel * sizeof *g);
        bool stats = strstr(p.name[j], "fc_stats") != NULL;
        int64_t row = genlab_tensor_ndim(t) == 2 ? genlab_tensor_dim(t, 1) : 1;
        /* every 5th element, and every one of fc_stats's log-variance rows
         * (outputs 3 to 5) */
        for (int64_t i = 0; i < numel; i++) {
            bool logvar_row = stats && i / row >= 3;
            if (i % 5 != 0 && !logvar_row)
                continue;
            float saved = w[i];
            w[i] = saved + (float)FD_H;
            double up = step(&f, x, seed, offs, "loss");
            w[i] = saved - (float)FD_H;
            double down = step(&f, x, seed, offs, "loss");
            w[i] = saved;
            double fd = (up - down) / (2.0 * FD_H);
            ck_assert_msg(fabs(fd - g[i]) <= FD_ATOL + FD_RTOL * fabs(fd), "%s[%lld]: backward "
                          "%.6g, finite differences %.6g", p.name[j], (long long)i, g[i], fd);
            checked++;
            logvar_nonzero += logvar_row && fabs(fd) > 1e-2;
        }
        free(g);
    }
    ck_assert_int_gt(checked, 20);
    ck_assert_int_gt(logvar_nonzero, 2);   /* the log-variances do get a gradient */
    tr_free(&f);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_loss_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    bound b;
    bind(&b, ctx, GL_KIND_LOSS, "vae-bce", NULL);
    const genlab_loss_i *l = b.c->iface;
    void *state = NULL;
    ck_assert_int_eq(l->create(&b.host, b.scope, &state), GL_OK);
    genlab_tensor *x = gold_tensor(ctx, "loss.x");
    /* the input it reads, missing: named, with what the trainer gave */
    const genlab_named_tensor in[] = {{"x", x}, {"recon", x}};
    genlab_loss_args args = {GL_OBJ_MAIN, 2, in, NULL, NULL};
    ck_assert_ptr_null(l->compute(ctx, state, &args));
    ck_assert_str_eq(genlab_ctx_errmsg(ctx),
                     "loss vae-bce: input logits missing (the trainer gave: x, recon)");
    genlab_ctx_clear_error(ctx);
    /* a GAN objective */
    args.objective = GL_OBJ_GENERATOR;
    ck_assert_ptr_null(l->compute(ctx, state, &args));
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), "loss vae-bce: objective 2 is not defined: a VAE "
                     "loss has the main objective only");
    l->destroy(state);
    genlab_config_destroy(b.cfg);
    genlab_ctx_destroy(ctx);
}
END_TEST

static genlab_status tr_refused(const char *const *set, char *msg, size_t size)
{
    tr f;
    genlab_status st = tr_create(&f, set);
    snprintf(msg, size, "%s", genlab_ctx_errmsg(f.ctx));
    ck_assert_ptr_null(f.state);
    tr_free(&f);
    return st;
}

START_TEST(test_trainer_errors)
{
    char msg[512];
    /* a Bernoulli loss needs pixels in [0, 1] */
    ck_assert_int_eq(tr_refused((const char *const[]){"vae.output=tanh", NULL}, msg, sizeof msg),
                     GL_ERR_INVALID);
    ck_assert_str_eq(msg, "trainer vae: loss \"vae-bce\" takes logits (a Bernoulli likelihood "
                     "on pixels in [0, 1]), which a tanh output does not make: set "
                     "vae.output=sigmoid or another loss");
    /* an encoder and decoder that do not take the data */
    ck_assert_int_eq(tr_refused((const char *const[]){"vae.encoder=vae-conv32", NULL}, msg,
                                sizeof msg), GL_ERR_SHAPE);
    ck_assert_str_eq(msg, "arch vae-conv32: cannot build an encoder (1, 4, 4) -> (6): it takes "
                     "images with sides that are multiples of 16");
}
END_TEST

START_TEST(test_schedule_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    bound b;
    bind(&b, ctx, GL_KIND_SCHEDULE, "beta-cyclical", NULL);
    const genlab_schedule_i *s = b.c->iface;
    void *state = NULL;
    ck_assert_int_eq(s->create(&b.host, b.scope, 0, &state), GL_ERR_INVALID);
    ck_assert_ptr_null(state);
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), "schedule beta-cyclical: it needs the run's length "
                     "to place its cycles (horizon 0)");
    genlab_config_destroy(b.cfg);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- suite ---- */

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *vae_loss_suite(void)
{
    Suite *s = suite_create("vae_loss");
    struct {
        const char *name;
        const TTest *test;
        int n;
    } cases[] = {
        {"loss_golden", test_loss_golden, N_OF(losses)},
        {"schedule", test_schedule, N_OF(scheds)},
        {"anomaly_scores", test_anomaly_scores, N_OF(elbos)},
        {"step_kl", test_step_kl, 1},
        {"reparam_gradient", test_reparam_gradient, 1},
        {"loss_errors", test_loss_errors, 1},
        {"trainer_errors", test_trainer_errors, 1},
        {"schedule_errors", test_schedule_errors, 1},
    };
    for (int i = 0; i < N_OF(cases); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 60);
        tcase_add_unchecked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, cases[i].test, 0, cases[i].n);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return tu_run(vae_loss_suite());
}
