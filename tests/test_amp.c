/* SPDX-License-Identifier: MIT
 *
 * test_amp.c — mixed precision on the CPU: the loss scaler alone (optim.h:
 * GradScaler's growth, backoff and skips, fixed and no scaling, its
 * options, text and state), the compute precision a context refuses
 * (context.h: the CPU computes in fp32 only), and the run settings
 * train.precision and train.loss_scale driving the GAN, VAE and diffusion
 * trainers through the run loop: a scaled run equals the unscaled one,
 * an overflowing scale is backed off step by step while the steps it
 * skips leave the optimizer alone, a resumed run goes on with the scale
 * it stopped at, and a non-finite loss still fails a run that scales.
 *
 * Why the CPU can test scaling: it is backend-independent (one sum over a
 * gradient block and one scalar read), and float32 gradients overflow as
 * f16 ones do when the scale is large enough. The reduced-precision kernels
 * themselves are the CUDA backend's (tests/test_backend_ops.c).
 *
 * Sections: fixture, the scaler alone, precision, runs, suite.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "genlab/genlab.h"
#include "genlab/run.h"
#include "tu_run.h"

/* ---- fixture ---- */

/* The trainers at the sizes of their own suites (tests/test_*_trainer.c):
 * a step takes milliseconds. Each list ends with train.steps; the runs
 * below add their own train.loss_scale. */
#define COMMON "train.dataset=mock", "dataset.n_items=10", "dataset.noise=0.3", \
    "train.batch=4", "train.drop_last=false", "train.log_every=1", "train.seed=3", \
    "train.ckpt_every=5", "train.ckpt_keep=3"
static const char *const VAE[] = {
    COMMON, "train.trainer=vae", "dataset.size=16", "vae.z_dim=4", "vae.sample_every=4",
    "vae.sample_n=6", "vae.encoder=vae-mlp28", "vae.decoder=vae-mlp28", "encoder.hidden=16",
    "decoder.hidden=16", "train.steps=10", NULL};
static const char *const GAN[] = {
    COMMON, "train.trainer=gan", "dataset.size=28", "gan.generator=dcgan28",
    "gan.discriminator=dcgan28", "generator.ngf=4", "discriminator.ndf=4", "gan.loss=bce",
    "gan.z_dim=8", "gan.sample_every=4", "gan.sample_n=6", "gan.n_critic=2",
    "train.steps=6", NULL};
static const char *const DIFFUSION[] = {
    COMMON, "train.trainer=diffusion", "dataset.size=8", "denoiser.block_out_channels=8,16",
    "denoiser.layers_per_block=1", "denoiser.norm_groups=4", "diffusion.timesteps=50",
    "diffusion.sampler=ddim", "sampler.steps=5", "diffusion.sample_every=3",
    "diffusion.sample_n=4", "train.threads=1", "train.steps=6", NULL};

static void setup(tu_fixture *f)
{
    static const char *const plugins[] = {GL_TEST_PLUGIN_DIR "/mock_plugin.so",
                                          GL_TEST_GAN_PLUGIN, GL_TEST_VAE_PLUGIN,
                                          GL_TEST_DIFFUSION_PLUGIN, NULL};
    tu_setup(f, GL_TEST_PLUGIN_DIR, plugins, NULL, "test_amp");
}

/* ---- the scaler alone ---- */

/* One sequence of steps for a scaler: each event a step's gradient block
 * as the backward left it — 'f' finite (the true gradients times the
 * scale), 'i' one infinity among them, 'n' one NaN, '-' a step that never
 * unscales — then update(); after each, the scale wanted. */
typedef struct seq_case {
    const char            *what;
    genlab_loss_scale_kind kind;
    double                 init;
    int64_t                interval;
    const char            *events;
    float                  scale[8];   /* after each event's update */
    int64_t                skipped;    /* at the end */
} seq_case;

/* Scales are powers of two (factors 2 and 0.5), so every expected value is
 * exact; init 2^127 is the largest power of two a float holds. */
static const seq_case seq_cases[] = {
    /* what                        kind                   init        interval events   scales after each update                  skipped */
    {"grows every 3 finite steps", GL_LOSS_SCALE_DYNAMIC, 8,          3,   "fffffff", {8, 8, 16, 16, 16, 32, 32},                 0},
    {"backs off on inf and NaN",   GL_LOSS_SCALE_DYNAMIC, 8,          3,   "fifnf",   {8, 4, 4, 2, 2},                            2},
    {"a skip restarts the count",  GL_LOSS_SCALE_DYNAMIC, 8,          3,   "ffifff",  {8, 8, 4, 4, 4, 8},                         1},
    {"unused steps do not count",  GL_LOSS_SCALE_DYNAMIC, 8,          2,   "f-f-",    {8, 8, 16, 16},                             0},
    {"never grows to infinity",    GL_LOSS_SCALE_DYNAMIC, 0x1p127,    1,   "ff",      {0x1p127f, 0x1p127f},                       0},
    {"fixed: skips, never moves",  GL_LOSS_SCALE_FIXED,   1024,       1,   "fiff",    {1024, 1024, 1024, 1024},                   1},
    {"none: nothing is checked",   GL_LOSS_SCALE_NONE,    65536,      1,   "fif",     {1, 1, 1},                                  0},
};

/* the true gradients of the 5-element block: below 2 in magnitude, so
 * that times 2^127 they are still finite floats */
static const float grad0[5] = {0.5f, -1.5f, 1e-3f, 0.75f, -0.0625f};

START_TEST(test_scaler_sequence)
{
    const seq_case *c = &seq_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p;
    ck_assert_int_eq(genlab_params_create(ctx, &p), GL_OK);
    ck_assert_ptr_nonnull(
        genlab_params_declare(p, "w", 1, (const int64_t[]){5}, genlab_init_constant(0)));
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    genlab_loss_scale_options o = genlab_loss_scale_defaults(c->kind);
    o.init_scale = c->init;
    o.growth_interval = c->interval;
    genlab_loss_scaler *s;
    ck_assert_int_eq(genlab_loss_scaler_create(ctx, &o, &s), GL_OK);
    const bool scales = c->kind != GL_LOSS_SCALE_NONE;
    ck_assert(genlab_loss_scaler_enabled(s) == scales);
    float *g = genlab_params_grad(p);
    for (int k = 0; c->events[k]; k++) {
        const char e = c->events[k];
        genlab_loss_scale_state before, after;
        genlab_loss_scaler_get_state(s, &before);
        if (e != '-') {
            for (int j = 0; j < 5; j++)
                g[j] = grad0[j] * before.scale;   /* exact: a power of two */
            if (e != 'f')
                g[2] = e == 'i' ? INFINITY : NAN;
            bool finite = !scales;
            ck_assert_int_eq(genlab_loss_scaler_unscale(ctx, s, p, &finite), GL_OK);
            ck_assert_msg(finite == (e == 'f' || !scales), "%s: event %d: finite %d", c->what,
                          k, finite);
            /* exact: multiplying by a power of two and by its inverse */
            for (int j = 0; e == 'f' && scales && j < 5; j++)
                ck_assert_msg(g[j] == grad0[j], "%s: event %d: g[%d] = %g, want %g", c->what, k,
                              j, g[j], grad0[j]);
        }
        ck_assert(genlab_loss_scaler_update(s) == (e != '-' && scales));
        genlab_loss_scaler_get_state(s, &after);
        ck_assert_msg(after.scale == c->scale[k], "%s: event %d (%c): scale %g, want %g",
                      c->what, k, e, after.scale, c->scale[k]);
    }
    genlab_loss_scale_state end;
    genlab_loss_scaler_get_state(s, &end);
    ck_assert_int_eq(end.skipped, c->skipped);
    genlab_loss_scaler_destroy(s);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* apply multiplies the loss on the tape, so backward fills the gradients
 * times the scale (exact: a power of two); without scaling it returns the
 * loss itself, recording nothing */
START_TEST(test_scaler_apply)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_params *p;
    ck_assert_int_eq(genlab_params_create(ctx, &p), GL_OK);
    genlab_tensor *w =
        genlab_params_declare(p, "w", 1, (const int64_t[]){3}, genlab_init_constant(0.5f));
    ck_assert_int_eq(genlab_params_finalize(ctx, p), GL_OK);
    genlab_loss_scale_options o = genlab_loss_scale_defaults(GL_LOSS_SCALE_DYNAMIC);
    genlab_loss_scaler *s, *none;
    ck_assert_int_eq(genlab_loss_scaler_create(ctx, &o, &s), GL_OK);
    o.kind = GL_LOSS_SCALE_NONE;
    ck_assert_int_eq(genlab_loss_scaler_create(ctx, &o, &none), GL_OK);
    genlab_tensor *loss = genlab_sum_all(ctx, genlab_mul(ctx, w, w));   /* d/dw = 2 w = 1 */
    ck_assert_ptr_eq(genlab_loss_scaler_apply(ctx, none, loss), loss);
    ck_assert_ptr_eq(genlab_loss_scaler_apply(ctx, NULL, loss), loss);
    genlab_tensor *scaled = genlab_loss_scaler_apply(ctx, s, loss);
    ck_assert_float_eq(genlab_tensor_item(scaled), 0.75f * 65536.0f);
    ck_assert_int_eq(genlab_backward(ctx, scaled), GL_OK);
    const float *g = genlab_params_grad(p);
    for (int j = 0; j < 3; j++)
        ck_assert_float_eq(g[j], 65536.0f);
    bool finite = false;
    ck_assert_int_eq(genlab_loss_scaler_unscale(ctx, s, p, &finite), GL_OK);
    ck_assert(finite);
    for (int j = 0; j < 3; j++)
        ck_assert_float_eq(g[j], 1.0f);
    ck_assert_ptr_null(genlab_loss_scaler_apply(ctx, s, NULL));
    genlab_loss_scaler_destroy(s);
    genlab_loss_scaler_destroy(none);
    genlab_params_destroy(p);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* One text of a loss-scale setting: parsed or not, and into what. */
typedef struct parse_case {
    const char            *text;
    bool                   ok;
    genlab_loss_scale_kind kind;
    double                 init;
} parse_case;

static const parse_case parse_cases[] = {
    /* text        ok     kind                   init */
    {"none",       true,  GL_LOSS_SCALE_NONE,    65536},
    {"dynamic",    true,  GL_LOSS_SCALE_DYNAMIC, 65536},
    {"1024",       true,  GL_LOSS_SCALE_FIXED,   1024},
    {"0.5",        true,  GL_LOSS_SCALE_FIXED,   0.5},
    {"3e38",       true,  GL_LOSS_SCALE_FIXED,   3e38},
    {"4e38",       false, 0, 0},                 /* beyond a float */
    {"0",          false, 0, 0},
    {"-8",         false, 0, 0},
    {"inf",        false, 0, 0},
    {"nan",        false, 0, 0},
    {"Dynamic",    false, 0, 0},                 /* words are exact */
    {"auto",       false, 0, 0},                 /* the run's word, not the scaler's */
    {"8x",         false, 0, 0},
    {"",           false, 0, 0},
};

START_TEST(test_scale_parse)
{
    const parse_case *c = &parse_cases[_i];
    genlab_loss_scale_options o = {.kind = 99};
    ck_assert_msg(genlab_loss_scale_parse(c->text, &o) == c->ok, "\"%s\"", c->text);
    if (!c->ok) {
        ck_assert_int_eq(o.kind, 99);   /* untouched */
        return;
    }
    ck_assert_int_eq(o.kind, c->kind);
    ck_assert_double_eq(o.init_scale, c->init);
    ck_assert_double_eq(o.growth_factor, 2.0);
    ck_assert_double_eq(o.backoff_factor, 0.5);
    ck_assert_int_eq(o.growth_interval, 2000);
}
END_TEST

/* One refused option set, and what the message names. */
typedef struct option_case {
    genlab_loss_scale_options o;
    const char               *says;
} option_case;

static const option_case option_cases[] = {
    {{GL_LOSS_SCALE_DYNAMIC, 0, 2, 0.5, 2000},     "init_scale = 0"},
    {{GL_LOSS_SCALE_FIXED, 1e39, 2, 0.5, 2000},    "init_scale = 1e+39"},
    {{GL_LOSS_SCALE_DYNAMIC, 8, 1, 0.5, 2000},     "growth_factor = 1"},
    {{GL_LOSS_SCALE_DYNAMIC, 8, 2, 1, 2000},       "backoff_factor = 1"},
    {{GL_LOSS_SCALE_DYNAMIC, 8, 2, 0, 2000},       "backoff_factor = 0"},
    {{GL_LOSS_SCALE_DYNAMIC, 8, 2, 0.5, 0},        "growth_interval = 0"},
    {{(genlab_loss_scale_kind)7, 8, 2, 0.5, 1},    "unknown kind 7"},
};

START_TEST(test_scaler_refused)
{
    const option_case *c = &option_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_loss_scaler *s = (genlab_loss_scaler *)ctx;   /* must become NULL */
    ck_assert_int_eq(genlab_loss_scaler_create(ctx, &c->o, &s), GL_ERR_INVALID);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), c->says), "%s", genlab_ctx_errmsg(ctx));
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a state round-trips; a bad one (or a scaler that does not scale) is
 * refused with the scaler unchanged */
START_TEST(test_scaler_state)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_loss_scale_options o = genlab_loss_scale_defaults(GL_LOSS_SCALE_DYNAMIC);
    genlab_loss_scaler *s, *none;
    ck_assert_int_eq(genlab_loss_scaler_create(ctx, &o, &s), GL_OK);
    o.kind = GL_LOSS_SCALE_NONE;
    ck_assert_int_eq(genlab_loss_scaler_create(ctx, &o, &none), GL_OK);
    const genlab_loss_scale_state want = {1024.0f, 17, 3};
    genlab_loss_scale_state got;
    ck_assert_int_eq(genlab_loss_scaler_set_state(ctx, s, &want), GL_OK);
    genlab_loss_scaler_get_state(s, &got);
    ck_assert(got.scale == want.scale && got.growth_tracker == 17 && got.skipped == 3);
    const genlab_loss_scale_state bad[] = {{0.0f, 0, 0}, {INFINITY, 0, 0}, {NAN, 0, 0},
                                           {8.0f, -1, 0}, {8.0f, 0, -1}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        genlab_ctx_clear_error(ctx);
        ck_assert_int_eq(genlab_loss_scaler_set_state(ctx, s, &bad[i]), GL_ERR_INVALID);
        ck_assert(strstr(genlab_ctx_errmsg(ctx), "loss_scaler_set_state"));
    }
    genlab_loss_scaler_get_state(s, &got);
    ck_assert(got.scale == want.scale && got.growth_tracker == 17 && got.skipped == 3);
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_loss_scaler_set_state(ctx, none, &want), GL_ERR_INVALID);
    genlab_loss_scaler_get_state(NULL, &got);
    ck_assert(got.scale == 1.0f && got.growth_tracker == 0 && got.skipped == 0);
    genlab_loss_scaler_destroy(s);
    genlab_loss_scaler_destroy(none);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- precision ---- */

/* the CPU takes fp32 and refuses every reduced type by name; a value
 * outside the enum is invalid */
START_TEST(test_cpu_precision)
{
    genlab_ctx *ctx = tu_ctx(1);
    ck_assert_int_eq(genlab_ctx_set_precision(ctx, GL_PRECISION_FP32), GL_OK);
    for (int p = GL_PRECISION_TF32; p < GL_PRECISION_COUNT; p++) {
        genlab_ctx_clear_error(ctx);
        ck_assert_int_eq(genlab_ctx_set_precision(ctx, (genlab_precision)p),
                         GL_ERR_UNSUPPORTED);
        char want[160];
        snprintf(want, sizeof want, "precision=%s needs a backend with reduced-precision "
                 "compute; the cpu backend computes in fp32", genlab_precision_name(p));
        ck_assert_str_eq(genlab_ctx_errmsg(ctx), want);
    }
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_ctx_set_precision(ctx, (genlab_precision)9), GL_ERR_INVALID);
    ck_assert_ptr_null(genlab_precision_name((genlab_precision)9));
    genlab_ctx_destroy(ctx);
}
END_TEST

/* One setting refused before a run writes anything, and its message. */
typedef struct refusal {
    const char *arg;
    const char *says;    /* the whole message (exact) or a part of it */
    bool        exact;
} refusal;

static const refusal refusals[] = {
    {"train.precision=f16",
     "train.precision=f16 needs a backend with reduced-precision compute; the cpu backend "
     "computes in fp32", true},
    {"train.precision=bf16",
     "train.precision=bf16 needs a backend with reduced-precision compute; the cpu backend "
     "computes in fp32", true},
    {"train.loss_scale=lots", "train.loss_scale: \"lots\" is not auto, none, dynamic or a "
     "positive number", false},
    {"train.loss_scale=-2", "train.loss_scale: \"-2\"", false},
};

START_TEST(test_run_refused)
{
    const refusal *c = &refusals[_i];
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    const char *const more[] = {c->arg, NULL};
    ck_assert_int_ne(tu_train(&f, VAE, more, 0, NULL, &r), GL_OK);
    ck_assert_int_eq(r.run_id, 0);
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM runs"), "0");
    if (c->exact)
        ck_assert_str_eq(r.message, c->says);
    else
        ck_assert_msg(strstr(r.message, c->says), "%s", r.message);
    tu_teardown(&f);
}
END_TEST

/* an unknown precision is refused by the configuration, naming the key and
 * the value (as every enum key) */
START_TEST(test_precision_unknown)
{
    genlab_config *cfg;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_run_declare(cfg), GL_OK);
    const char *const args[] = {"train.precision=fp16"};
    ck_assert_int_eq(genlab_config_set_args(cfg, 1, args), GL_OK);
    ck_assert_int_eq(genlab_config_resolve(cfg, NULL), GL_ERR_INVALID);
    const char *m = genlab_config_errmsg(cfg);
    ck_assert_msg(strstr(m, "train.precision") && strstr(m, "fp16") && strstr(m, "bf16"), "%s",
                  m);
    genlab_config_destroy(cfg);
}
END_TEST

/* ---- runs ---- */

/* metric — run id's value of key at step, as text ("" when none) */
static const char *metric(tu_fixture *f, int64_t id, const char *key, int64_t step)
{
    return tu_q(f, "SELECT quote(value) FROM metrics WHERE run_id = %lld AND key = '%s' AND "
                "step = %lld", (long long)id, key, (long long)step);
}

/* The trainers of the scaled-run case. */
static const struct {
    const char        *name;
    const char *const *args;
    int64_t            steps;
    size_t             tensors;   /* in a checkpoint, at least */
} trainers[] = {
    {"vae", VAE, 10, 10}, {"gan", GAN, 6, 10}, {"diffusion", DIFFUSION, 6, 10},
};

/* A run with dynamic scaling computes what the unscaled run does, bit for
 * bit: the loss times 2^16 and the gradients times 2^-16 commute with
 * every float rounding in between (each backward is linear in its output
 * gradient), unless a value leaves the normal range, which none here comes
 * near. So every curve point and every checkpointed tensor is equal; the
 * scaled run logs its scale at each step and skips none. auto is none in
 * fp32, and the record says so. */
START_TEST(test_scaled_equals_unscaled)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result a, b;
    const char *const none[] = {NULL}, *const dynamic[] = {"train.loss_scale=dynamic", NULL};
    ck_assert_msg(tu_train(&f, trainers[_i].args, none, 0, NULL, &a) == GL_OK, "%s", a.message);
    ck_assert_msg(tu_train(&f, trainers[_i].args, dynamic, 0, NULL, &b) == GL_OK, "%s",
                  b.message);
    const int64_t steps = trainers[_i].steps;
    ck_assert_int_eq(b.steps_done, steps);
    ck_assert_int_eq(b.skipped_steps, 0);
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM metrics a JOIN metrics b USING (step, key) "
                              "WHERE a.run_id = %lld AND b.run_id = %lld AND key NOT IN "
                              "('data_time', 'step_time') AND a.value IS NOT b.value",
                          (long long)a.run_id, (long long)b.run_id), "0");
    /* ... over every scalar the trainer reports (at least two each step) */
    ck_assert_int_ge(atoi(tu_q(&f, "SELECT count(*) FROM metrics a JOIN metrics b USING (step, "
                                   "key) WHERE a.run_id = %lld AND b.run_id = %lld AND key NOT "
                                   "IN ('data_time', 'step_time', 'lr')",
                               (long long)a.run_id, (long long)b.run_id)), 2 * steps);
    char end_a[4400], end_b[4400];
    tu_same_checkpoints(tu_ckpt(&f, &a, steps, end_a, sizeof end_a),
                        tu_ckpt(&f, &b, steps, end_b, sizeof end_b), trainers[_i].tensors);
    char want[64];
    snprintf(want, sizeof want, "%lld 65536.0 65536.0", (long long)steps);
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) || ' ' || min(value) || ' ' || max(value) FROM "
                              "metrics WHERE run_id = %lld AND key = 'loss_scale'",
                          (long long)b.run_id), want);
    ck_assert_str_eq(metric(&f, b.run_id, "skipped_steps", steps - 1), "0.0");
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM metrics WHERE run_id = %lld AND key IN "
                              "('loss_scale', 'skipped_steps')", (long long)a.run_id), "0");
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(value, ' ') FROM (SELECT value FROM params "
                              "WHERE key = 'train.loss_scale' ORDER BY run_id)"),
                     "none dynamic");
    tu_teardown(&f);
}
END_TEST

/* Dynamic scaling from 2^127, the largest power of two a float holds:
 * every gradient above 2 in magnitude overflows at it. The VAE at 28 x 28
 * with the summed squared error has gradients of a few units: its first
 * steps overflow (and then one now and then: the last bits of the scale
 * are always in use). */
static const char *const OVERFLOW[] = {
    "train.loss_scale=dynamic", "train.loss_scale_init=1.7014118346046923e38",
    "dataset.size=28", "vae.loss=vae-mse", "vae.output=tanh", NULL};

/* optim_step — the Adam step count of network net ("E", "D") in a VAE
 * checkpoint */
static int32_t optim_step(const char *path, const char *net)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_ckpt *ck;
    ck_assert_int_eq(genlab_ckpt_open(ctx, path, &ck), GL_OK);
    char name[64];
    snprintf(name, sizeof name, "%s.optim.step", net);
    int32_t step = -1;
    ck_assert_int_eq(genlab_ckpt_read(ctx, ck, name, "I32", 1, (const int64_t[]){1}, &step),
                     GL_OK);
    genlab_ckpt_close(ck);
    genlab_ctx_destroy(ctx);
    return step;
}

/* A first scale of 2^127 overflows the VAE's float32 gradients: those
 * steps are skipped, each halving the scale for the next step, until the
 * gradients fit; a step that goes through keeps the scale (2000 finite
 * steps are needed to grow it). A skipped step leaves out the optimizer
 * update of a network whose gradients overflowed (of one of the two at
 * least: Adam's step counts), and no other. The run completes: its losses
 * are finite, only the scaled gradients were not. */
START_TEST(test_overflow_backoff)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    ck_assert_msg(tu_train(&f, VAE, OVERFLOW, 0, NULL, &r) == GL_OK, "%s", r.message);
    ck_assert_int_eq(r.steps_done, 10);
    ck_assert_msg(r.skipped_steps > 0 && r.skipped_steps < 10, "skipped %lld of 10",
                  (long long)r.skipped_steps);
    ck_assert_str_eq(metric(&f, r.run_id, "skipped_steps", 0), "1.0");   /* 2^127 overflows */
    int64_t skipped = 0;
    double want = 0x1p127;   /* halvings of a power of two, exact */
    for (int64_t step = 0; step < 10; step++) {
        /* 1e-12: read back as text, which SQLite writes through long
         * doubles (valgrind computes those in 64 bits: the last digits
         * may be off), far below the factor of 2 of a step */
        ck_assert_double_eq_tol(atof(metric(&f, r.run_id, "loss_scale", step)), want,
                                1e-12 * want);
        int64_t now = atoll(metric(&f, r.run_id, "skipped_steps", step));
        ck_assert_msg(now == skipped || now == skipped + 1, "step %lld: skipped %lld after %lld",
                      (long long)step, (long long)now, (long long)skipped);
        if (now > skipped)
            want /= 2;
        skipped = now;
    }
    ck_assert_int_eq(skipped, r.skipped_steps);
    char path[4400];
    tu_ckpt(&f, &r, 10, path, sizeof path);
    const int32_t e = optim_step(path, "E"), d = optim_step(path, "D");
    ck_assert_msg(e >= 10 - r.skipped_steps && d >= 10 - r.skipped_steps &&
                      e + d <= 20 - r.skipped_steps,
                  "Adam steps: encoder %d, decoder %d; %lld of 10 steps skipped", e, d,
                  (long long)r.skipped_steps);
    tu_teardown(&f);
}
END_TEST

/* A run stopped after 2 steps, while the scale still backs off, and
 * resumed: it goes on from the scale and the skip count it stopped at, so
 * it ends with the uninterrupted run's tensors, grids and scale curve
 * (restarted at 2^127, it would skip steps the other took). */
START_TEST(test_resume_scale)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result a, c;
    tu_check_resume(&f, VAE, OVERFLOW, 2, 10, 10, "", &a, &c);
    ck_assert_int_eq(c.skipped_steps, a.skipped_steps);
    /* the stop fell among the skips */
    ck_assert_str_eq(metric(&f, a.run_id, "skipped_steps", 2), "3.0");
    const char *curve = "SELECT group_concat(step || ':' || value || ',' || (SELECT value FROM "
                        "metrics s WHERE s.run_id = m.run_id AND s.step = m.step AND s.key = "
                        "'skipped_steps'), ' ') FROM (SELECT * FROM metrics WHERE run_id = %lld "
                        "AND key = 'loss_scale' AND step >= 2 ORDER BY step) m";
    char want[4096];
    snprintf(want, sizeof want, "%s", tu_q(&f, curve, (long long)a.run_id));
    ck_assert_str_eq(tu_q(&f, curve, (long long)c.run_id), want);
    tu_teardown(&f);
}
END_TEST

/* with scaling on, a non-finite loss a trainer reports still fails the
 * run, naming the scalar and the step: the run loop's guard stays (the
 * mock trainer reports the NaN itself; only gradients are skipped) */
START_TEST(test_nan_loss_with_scaling)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    const char *const args[] = {"train.trainer=mock", "train.dataset=mock", "train.steps=5",
                                "mock.nan_at=2", "train.loss_scale=dynamic", NULL};
    ck_assert_int_eq(tu_train(&f, args, NULL, 0, NULL, &r), GL_ERR_NUMERIC);
    ck_assert_int_eq(r.steps_done, 2);
    ck_assert_str_eq(r.message, "step 2: metric \"d_loss\" is nan");
    ck_assert_str_eq(tu_q(&f, "SELECT status FROM runs"), "failed");
    tu_teardown(&f);
}
END_TEST

/* ---- suite ---- */

int main(void)
{
    Suite *s = suite_create("amp");
    TCase *scaler = tcase_create("scaler");
    tcase_add_loop_test(scaler, test_scaler_sequence, 0,
                        (int)(sizeof seq_cases / sizeof *seq_cases));
    tcase_add_test(scaler, test_scaler_apply);
    tcase_add_loop_test(scaler, test_scale_parse, 0,
                        (int)(sizeof parse_cases / sizeof *parse_cases));
    tcase_add_loop_test(scaler, test_scaler_refused, 0,
                        (int)(sizeof option_cases / sizeof *option_cases));
    tcase_add_test(scaler, test_scaler_state);
    suite_add_tcase(s, scaler);
    TCase *prec = tcase_create("precision");
    tcase_add_test(prec, test_cpu_precision);
    tcase_add_loop_test(prec, test_run_refused, 0, (int)(sizeof refusals / sizeof *refusals));
    tcase_add_test(prec, test_precision_unknown);
    suite_add_tcase(s, prec);
    TCase *runs = tcase_create("runs");
    tcase_set_timeout(runs, 60);
    tcase_add_loop_test(runs, test_scaled_equals_unscaled, 0,
                        (int)(sizeof trainers / sizeof *trainers));
    tcase_add_test(runs, test_overflow_backoff);
    tcase_add_test(runs, test_resume_scale);
    tcase_add_test(runs, test_nan_loss_with_scaling);
    suite_add_tcase(s, runs);
    return tu_run(s);
}
