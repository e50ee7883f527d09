/* SPDX-License-Identifier: MIT
 *
 * test_vae_trainer.c — the VAE plugin's trainer "vae" (plugins/vae/
 * trainer.c, trainer_eval.c) run by the library's run loop on the mock
 * plugin's dataset (ramps of constant images with noise from the data
 * stream; its test split the same items) into a store in a temporary
 * directory: what a step reports (loss, recon, kl, beta, lr), the files a
 * run leaves (prior-sample grids, reconstructions, the interpolation strip,
 * their artifacts), the held-out ELBO and importance-weighted bound as
 * scores with their protocol, the loss's reduction stored with the run,
 * losses it cannot feed refused at create, beta annealed over the run's
 * epochs, a run stopped and resumed that ends
 * bit for bit where the uninterrupted one does (grids and scores
 * included), a model opened from a checkpoint (sample, generate), and
 * anomaly scores that rank images unlike the training data above it
 * (ROC-AUC, genlab_roc_auc).
 *
 * Everything stored is checked through SQL on the store, as a user reads
 * it.
 *
 * Sections: fixture, a run's outputs, refusals, beta, resuming, a model
 * from a checkpoint, anomaly scores, suite.
 */
#include <math.h>
#include <stdarg.h>

#include "genlab/genlab.h"
#include "genlab/run.h"
#include "tu_run.h"

/* ---- fixture ---- */

/* A run: 1x16x16 ramps with noise, batches of 4 crossing epochs of 10
 * items (3 steps an epoch), 10 steps, grids of 6 images every 4 steps,
 * checkpoints every 5, the ELBO over the 10 held-out items. */
#define VAE_ARGS "train.trainer=vae", "train.dataset=mock", "dataset.n_items=10", \
    "dataset.noise=0.3", "dataset.size=16", "vae.z_dim=4", "vae.sample_every=4", \
    "vae.sample_n=6", "train.batch=4", "train.drop_last=false", "train.log_every=1", \
    "train.seed=3", "train.ckpt_every=5", "train.ckpt_keep=3", "train.steps=10"

/* The networks: vae-mlp28 at a tiny width with the Bernoulli loss (the
 * defaults), or vae-conv64 (BatchNorm: running statistics a resume must
 * restore) with a tanh output and the squared error. */
static const char *const MLP[] = {"vae.encoder=vae-mlp28", "vae.decoder=vae-mlp28",
                                  "encoder.hidden=16", "decoder.hidden=16", NULL};
static const char *const CONV64[] = {"vae.encoder=vae-conv64", "vae.decoder=vae-conv64",
                                     "encoder.nf=2", "decoder.nf=2", "vae.output=tanh",
                                     "vae.loss=vae-mse", NULL};

static const char *const base_args[] = {VAE_ARGS, NULL};

static void setup(tu_fixture *f)
{
    static const char *const plugins[] = {GL_TEST_PLUGIN_DIR "/mock_plugin.so",
                                          GL_TEST_VAE_PLUGIN, NULL};
    tu_setup(f, GL_TEST_PLUGIN_DIR, plugins, base_args, "test_vae_trainer");
}

/* ---- a run's outputs ---- */

START_TEST(test_outputs)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    const char *const more[] = {"vae.iw_k=5", NULL};
    ck_assert_msg(tu_train(&f, MLP, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    /* every scalar of a step, at every logged step; the total is recon +
     * beta kl (beta 1: float32 addition, 1e-4 of values near 100) */
    static const char *const keys[] = {"loss", "recon", "kl", "beta", "lr"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ck_assert_msg(!strcmp(tu_q(&f, "SELECT count(*) FROM metrics WHERE key = '%s'", keys[i]),
                              "10"), "%s: %s points", keys[i], f.text);
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM metrics l JOIN metrics r USING (step) JOIN "
                              "metrics k USING (step) WHERE l.key = 'loss' AND r.key = 'recon' AND "
                              "k.key = 'kl' AND abs(l.value - r.value - k.value) < 1e-4 AND "
                              "k.value > 0"), "10");
    /* the reduction is stored with the run, as every parameter */
    ck_assert_str_eq(tu_q(&f, "SELECT value FROM params WHERE key = 'loss.reduction'"), "sum");
    /* grids and reconstructions after steps 4, 8 and the last, the strip
     * after the last */
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(kind || ':' || substr(path, instr(path, "
                              "'/samples/') + 9), ' ') FROM (SELECT kind, path FROM artifacts "
                              "WHERE kind <> 'checkpoint' ORDER BY id)"),
                     "grid:step-00000004.png recon:recon-00000004.png grid:step-00000008.png "
                     "recon:recon-00000008.png grid:step-00000010.png "
                     "recon:recon-00000010.png strip:interp-00000010.png");
    /* 6 samples of 16 x 16 in 3 columns, padding 2; the reconstructions:
     * 6 held-out images above their 6 reconstructions; the strip: 5 pairs
     * (10 items / 2) of 10 frames */
    tu_check_png(&f, "grid", 3 * 18 + 2, 2 * 18 + 2);
    tu_check_png(&f, "recon", 6 * 18 + 2, 2 * 18 + 2);
    tu_check_png(&f, "strip", 10 * 18 + 2, 5 * 18 + 2);
    /* the bounds: after the last step, over the 10 held-out items, higher
     * better; the ELBO is -(recon + kl), so negative, and IWAE with 5
     * samples lies above it (in expectation: by far here, at the start of
     * training, where q is far from the posterior) */
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(metric || ' ' || step || ' ' || n_samples || "
                              "' ' || higher_is_better, ', ') FROM (SELECT * FROM scores ORDER BY "
                              "id)"),
                     "elbo 10 10 1, iwae 10 10 1");
    double elbo = atof(tu_q(&f, "SELECT value FROM scores WHERE metric = 'elbo'"));
    double iwae = atof(tu_q(&f, "SELECT value FROM scores WHERE metric = 'iwae'"));
    ck_assert_msg(elbo < 0 && iwae > elbo, "elbo %g, iwae %g", elbo, iwae);
    ck_assert_str_eq(tu_q(&f, "SELECT json_extract(protocol, '$.split') || ' ' || "
                              "json_extract(protocol, '$.samples') || ' ' || "
                              "json_extract(protocol, '$.loss') FROM scores WHERE metric = 'iwae'"),
                     "test 5 vae-bce");
    tu_teardown(&f);
}
END_TEST

/* a convolutional VAE with BatchNorm, a tanh output and the squared error
 * runs as well, and without iw_k records the ELBO alone */
START_TEST(test_outputs_conv)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    const char *const more[] = {"vae.sample_every=0", NULL};
    ck_assert_msg(tu_train(&f, CONV64, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM artifacts "
                              "WHERE kind <> 'checkpoint' ORDER BY id)"), "grid recon strip");
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(metric, ' ') FROM scores"), "elbo");
    ck_assert_str_eq(tu_q(&f, "SELECT value FROM params WHERE key = 'vae.output'"), "tanh");
    tu_teardown(&f);
}
END_TEST

/* ---- refusals ---- */

/* Losses the trainer cannot feed, refused when it is created: before a run
 * row is written, with a message naming the loss and what is missing. */
static const struct refuse_case {
    const char *more[2];
    const char *message;   /* the whole message, as the run loop words it */
} refusals[] = {
    /* the mock plugin's loss is a GAN's: it needs the critic's outputs */
    {{"vae.loss=mock", NULL},
     "trainer \"vae\": create: trainer vae: loss \"mock\" needs input \"d_real\", which this "
     "trainer does not provide (it gives x, recon, logits, mean, logvar)"},
    /* a Bernoulli likelihood takes logits of pixels in [0, 1] */
    {{"vae.output=tanh", NULL},
     "trainer \"vae\": create: trainer vae: loss \"vae-bce\" takes logits (a Bernoulli likelihood "
     "on pixels in [0, 1]), which a tanh output does not make: set vae.output=sigmoid or another "
     "loss"},
};

START_TEST(test_refuse)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    ck_assert_int_eq(tu_train(&f, MLP, refusals[_i].more, 0, NULL, &r), GL_ERR_INVALID);
    ck_assert_str_eq(r.message, refusals[_i].message);
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM runs"), "0");
    tu_teardown(&f);
}
END_TEST

/* ---- beta ---- */

/* beta-linear over 2 epochs of 3 steps (10 items in batches of 4, the
 * last batch kept): beta = min(1, step / 6) */
START_TEST(test_beta_epochs)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    const char *const more[] = {"vae.beta=beta-linear", "beta.epochs=2", "vae.eval_n=0", NULL};
    ck_assert_msg(tu_train(&f, MLP, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    for (int step = 0; step < 10; step++) {
        double b = atof(tu_q(&f, "SELECT value FROM metrics WHERE key = 'beta' AND step = %d",
                             step));
        /* SQLite's text keeps 15 significant digits */
        ck_assert_double_eq_tol(b, fmin(1.0, step / 6.0), 1e-13);
    }
    /* eval_n = 0: no score */
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM scores"), "0");
    tu_teardown(&f);
}
END_TEST

/* ---- resuming ---- */

/* A run stopped after 6 steps and resumed from its checkpoint ends with
 * A's tensors, writes A's grids after step 8 and the last (the same
 * digests), and records A's scores exactly. */
START_TEST(test_resume_identical)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result a, c;
    const char *const more[] = {"vae.iw_k=3", NULL};
    /* 39 tensors: each network's 12 parameters and 4 BatchNorm buffers,
     * its Adam (2 moments, step), and eval.z. The grid and reconstructions
     * after step 4 are the stopped run's. */
    tu_check_resume(&f, CONV64, more, 6, 10, 39, "%-00000004.png", &a, &c);
    const char *scores = "SELECT group_concat(metric || ' ' || quote(value), ' ') FROM "
                         "(SELECT * FROM scores WHERE run_id = %lld ORDER BY id)";
    char want[4096];
    snprintf(want, sizeof want, "%s", tu_q(&f, scores, (long long)a.run_id));
    ck_assert_str_eq(tu_q(&f, scores, (long long)c.run_id), want);
    tu_teardown(&f);
}
END_TEST

/* ---- a model from a checkpoint ---- */

START_TEST(test_model)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    char path[4400];
    ck_assert_msg(tu_train(&f, MLP, NULL, 0, NULL, &r) == GL_OK, "%s", r.message);
    tu_ckpt(&f, &r, 10, path, sizeof path);
    genlab_model *m;
    char err[1024];
    ck_assert_msg(genlab_model_open(f.reg, f.cfg, path, 1, &m, err, sizeof err) == GL_OK, "%s",
                  err);
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(m, &state);
    genlab_ctx *ctx = genlab_model_ctx(m);
    /* samples from the prior: (n, C, H, W) in (-1, 1) (a sigmoid output) */
    genlab_tensor *x = t->sample(ctx, state, 5, NULL);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(genlab_tensor_numel(x), 5 * 16 * 16);
    const float *v = genlab_tensor_f32(x);
    for (int64_t i = 0; i < genlab_tensor_numel(x); i++)
        ck_assert(v[i] > -1.0f && v[i] < 1.0f);
    /* generate() decodes given latents, and names the shape it needs */
    ck_assert_int_eq(t->latent_dim(state), 4);
    ck_assert_ptr_nonnull(t->generate(ctx, state, genlab_randn(ctx, 2, TU_SHAPE(3, 4)), NULL));
    ck_assert_ptr_null(t->generate(ctx, state, genlab_randn(ctx, 2, TU_SHAPE(3, 5)), NULL));
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_ERR_SHAPE);
    ck_assert_str_eq(genlab_ctx_errmsg(ctx),
                     "trainer vae: generate: z is (3, 5), needs (N, 4) float32");
    genlab_ctx_clear_error(ctx);
    /* so does anomaly_score() */
    genlab_tensor *(*score)(genlab_ctx *, void *, genlab_tensor *) =
        GL_IFACE_GET(t, genlab_trainer_i, anomaly_score);
    ck_assert_ptr_null(score(ctx, state, genlab_randn(ctx, 4, TU_SHAPE(2, 1, 8, 8))));
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), "trainer vae: anomaly_score: x is (2, 1, 8, 8), "
                     "needs (N, 1, 16, 16) float32");
    genlab_model_close(m);
    tu_teardown(&f);
}
END_TEST

/* ---- anomaly scores ---- */

/* images like the mock's: constant levels in [-1, 1] (a ramp over n) with
 * uniform noise of `noise`; noise 1 and level 0 make images of pure
 * noise, unlike anything the model saw */
static genlab_tensor *images(genlab_ctx *ctx, int64_t n, double noise, bool levels)
{
    genlab_tensor *x = genlab_rand(ctx, 4, TU_SHAPE(n, 1, 16, 16), (float)-noise, (float)noise);
    float *v = genlab_tensor_f32_mut(x);
    for (int64_t i = 0; levels && i < n; i++)
        for (int64_t j = 0; j < 256; j++)
            v[i * 256 + j] += (float)(-1.0 + 2.0 * (double)i / (double)(n - 1));
    return x;
}

/* A VAE trained on the mock's constant images (200 steps) scores images
 * of noise as more anomalous than new constant images by its -ELBO:
 * ROC-AUC near 1 (0.5 is chance). */
START_TEST(test_anomaly_auroc)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    char path[4400];
    const char *const more[] = {"train.steps=200", "vae.sample_every=0", "vae.eval_n=0",
                                "optim.lr=3e-3", "vae.anomaly=elbo", NULL};
    ck_assert_msg(tu_train(&f, MLP, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    tu_ckpt(&f, &r, 200, path, sizeof path);
    genlab_model *m;
    char err[1024];
    ck_assert_msg(genlab_model_open(f.reg, f.cfg, path, 1, &m, err, sizeof err) == GL_OK, "%s",
                  err);
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(m, &state);
    genlab_ctx *ctx = genlab_model_ctx(m);
    enum { N = 20 };
    genlab_tensor *x = genlab_concat(ctx, 2, (genlab_tensor *[]){images(ctx, N, 0.3, true),
                                                                images(ctx, N, 1.0, false)}, 0);
    genlab_tensor *s = t->anomaly_score(ctx, state, x);
    ck_assert_msg(s != NULL, "%s", genlab_ctx_errmsg(ctx));
    double scores[2 * N], auc;
    bool positive[2 * N];
    for (int i = 0; i < 2 * N; i++) {
        scores[i] = genlab_tensor_f32(s)[i];
        positive[i] = i >= N;
    }
    ck_assert_int_eq(genlab_roc_auc(ctx, scores, positive, 2 * N, &auc), GL_OK);
    /* measured 0.965; 0.9 is far above chance and leaves some room */
    ck_assert_msg(auc > 0.9, "ROC-AUC %.3f", auc);
    genlab_model_close(m);
    tu_teardown(&f);
}
END_TEST

/* ---- suite ---- */

static Suite *suite(void)
{
    Suite *s = suite_create("vae_trainer");
    TCase *tc = tcase_create("outputs");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_outputs);
    tcase_add_test(tc, test_outputs_conv);
    tcase_add_test(tc, test_beta_epochs);
    tcase_add_loop_test(tc, test_refuse, 0, (int)(sizeof refusals / sizeof *refusals));
    suite_add_tcase(s, tc);
    tc = tcase_create("resume");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_resume_identical);
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_model);
    tcase_add_test(tc, test_anomaly_auroc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
