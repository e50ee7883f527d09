/* SPDX-License-Identifier: MIT
 *
 * test_gan_trainer.c — the GAN plugin's trainer "gan" (plugins/gan/
 * trainer.c, trainer_sample.c) run by the library's run loop on the mock
 * plugin's dataset (ramps of constant images with noise from the data
 * stream) into a store in a temporary directory: what a step reports and
 * the files a run leaves (sample grids, the interpolation strip, their
 * artifacts), n_critic batches per step, the learning rates of the two
 * networks, the generator's moving average (it changes no training value
 * and is what samples come from), the fixed evaluation noise, a run stopped
 * and resumed that ends
 * bit for bit where the uninterrupted one does (grids included), a model
 * opened from a checkpoint for sampling (genlab_model_open), and
 * genlab_lerp_steps, the interpolation path.
 *
 * The networks are dcgan28 at a tiny width with the bce loss (see NETS).
 * Everything stored is checked through SQL on the store, as a user reads it.
 *
 * Sections: fixture, a run's outputs, batches and learning rates, the
 * moving average, fixed noise, resuming, a model from a checkpoint,
 * interpolation path.
 */
#include <math.h>
#include <stdarg.h>

#include "genlab/genlab.h"
#include "genlab/run.h"
#include "tu_run.h"

/* ---- fixture ---- */

/* The networks and loss: DCGAN (with batch norm in G, dropout in D: state
 * and random draws a resume must restore) at a tiny width, so that a step
 * takes milliseconds, and the BCE loss. */
#define NETS "gan.generator=dcgan28", "gan.discriminator=dcgan28", "generator.ngf=4", \
    "discriminator.ndf=4", "gan.loss=bce"

/* A run: 28x28 ramps with noise, batches of 4 crossing epochs of 10 items,
 * 10 steps, grids of 6 images every 4 steps, checkpoints every 5. */
#define GAN_ARGS "train.trainer=gan", "train.dataset=mock", "dataset.n_items=10", \
    "dataset.noise=0.3", "dataset.size=28", NETS, "gan.z_dim=8", "gan.sample_every=4", \
    "gan.sample_n=6", "train.batch=4", "train.drop_last=false", "train.log_every=1", \
    "train.seed=3", "train.ckpt_every=5", "train.ckpt_keep=3", "train.steps=10"

static const char *const base_args[] = {GAN_ARGS, NULL};

static void setup(tu_fixture *f)
{
    static const char *const plugins[] = {GL_TEST_PLUGIN_DIR "/mock_plugin.so",
                                          GL_TEST_PLUGIN_DIR "/fit_plugin.so",
                                          GL_TEST_GAN_PLUGIN, NULL};
    tu_setup(f, GL_TEST_PLUGIN_DIR, plugins, base_args, "test_gan_trainer");
}

/* ---- a run's outputs ---- */

START_TEST(test_outputs)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    ck_assert_msg(tu_train(&f, NULL, NULL, 0, NULL, &r) == GL_OK, "%s", r.message);
    /* every scalar of a step, at every logged step */
    static const char *const keys[] = {"d_loss", "g_loss", "d_real", "d_fake", "lr", "lr_d"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ck_assert_msg(!strcmp(tu_q(&f, "SELECT count(*) FROM metrics WHERE key = '%s'", keys[i]),
                              "10"), "%s: %s points", keys[i], f.text);
    /* grids after steps 4, 8 and the last, the strip after the last */
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(substr(path, instr(path, '/samples/') + 1), "
                              "' ') FROM (SELECT path FROM artifacts WHERE kind IN ('grid', "
                              "'strip') ORDER BY id)"),
                     "samples/step-00000004.png samples/step-00000008.png "
                     "samples/step-00000010.png samples/interp-00000010.png");
    /* 6 images of 28 x 28 in 3 columns, padding 2; the strip: 3 pairs (6 / 2)
     * of 10 frames */
    tu_check_png(&f, "grid", 3 * 30 + 2, 2 * 30 + 2);
    tu_check_png(&f, "strip", 10 * 30 + 2, 3 * 30 + 2);
    /* the files are under the run's own directory */
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM artifacts WHERE kind = 'grid' AND instr(path, "
                              "'%s/checkpoints/%s/samples/') = 1", f.dir, r.uuid), "3");
    tu_teardown(&f);
}
END_TEST

/* the loss's own scalars are reported too: WGAN-GP's penalty */
START_TEST(test_loss_metrics)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    const char *const more[] = {"gan.loss=wgan-gp", "gan.n_critic=2", NULL};
    ck_assert_msg(tu_train(&f, NULL, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM metrics WHERE key = 'gp' AND value >= 0"),
                     "10");
    tu_teardown(&f);
}
END_TEST

/* sample_every = 0: only the last step's grid */
START_TEST(test_outputs_at_end)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    const char *const more[] = {"gan.sample_every=0", "gan.sample_n=1", NULL};
    ck_assert_msg(tu_train(&f, NULL, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    /* 1 image: no pair to interpolate */
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(kind || ':' || substr(path, instr(path, "
                              "'/samples/') + 1), ' ') FROM (SELECT kind, path FROM artifacts "
                              "WHERE kind <> 'checkpoint' ORDER BY id)"),
                     "grid:samples/step-00000010.png");
    tu_teardown(&f);
}
END_TEST

/* ---- batches and learning rates ---- */

/* data_pos — the data position a checkpoint records */
static void data_pos(const char *path, char *buf, size_t size)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_ckpt *c;
    ck_assert_int_eq(genlab_ckpt_open(ctx, path, &c), GL_OK);
    snprintf(buf, size, "%s", genlab_ckpt_meta(c, "genlab.data"));
    genlab_ckpt_close(c);
    genlab_ctx_destroy(ctx);
}

/* n_critic = 3 reads 3 batches a step: 4 steps leave the data where 12
 * steps of n_critic = 1 do */
START_TEST(test_n_critic)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result a, b;
    char path[4400], pos_a[512], pos_b[512];
    const char *const three[] = {"gan.n_critic=3", "train.steps=4", NULL};
    ck_assert_msg(tu_train(&f, NULL, three, 0, NULL, &a) == GL_OK, "%s", a.message);
    const char *const one[] = {"train.steps=12", NULL};
    ck_assert_msg(tu_train(&f, NULL, one, 0, NULL, &b) == GL_OK, "%s", b.message);
    data_pos(tu_ckpt(&f, &a, 4, path, sizeof path), pos_a, sizeof pos_a);
    data_pos(tu_ckpt(&f, &b, 12, path, sizeof path), pos_b, sizeof pos_b);
    ck_assert_str_eq(pos_a, pos_b);
    /* 12 batches in epochs of 4 + 4 + 2 items: four epochs, the last (3,
     * counted from 0) read to its end, item 10 */
    ck_assert_msg(!strncmp(pos_a, "3 10 ", 5), "%s", pos_a);
    tu_teardown(&f);
}
END_TEST

/* lr_g and lr_d each follow optim.schedule from their own base rate */
START_TEST(test_learning_rates)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    const char *const more[] = {"optim.lr=0.001", "gan.lr_d=0.004", "optim.schedule=linear",
                                NULL};
    ck_assert_msg(tu_train(&f, NULL, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    for (int step = 0; step < 10; step += 3) {
        double g = atof(tu_q(&f, "SELECT value FROM metrics WHERE key = 'lr' AND step = %d", step));
        double d = atof(tu_q(&f, "SELECT value FROM metrics WHERE key = 'lr_d' AND step = %d",
                             step));
        /* linear to 0 over 10 steps; SQLite's text has 15 significant
         * digits, so 1e-13 relative is the text's precision */
        ck_assert_double_eq_tol(g, 0.001 * (1.0 - step / 10.0), 1e-13 * 0.001);
        ck_assert_double_eq_tol(d, 0.004 * (1.0 - step / 10.0), 1e-13 * 0.004);
    }
    tu_teardown(&f);
}
END_TEST

/* ---- the moving average ---- */

/* tensor_bytes — a copy of a checkpoint's tensor (malloc'd; *n its size) */
static void *tensor_bytes(const char *path, const char *name, size_t *n)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_ckpt *c;
    genlab_ckpt_entry e;
    ck_assert_int_eq(genlab_ckpt_open(ctx, path, &c), GL_OK);
    ck_assert_msg(genlab_ckpt_find(ctx, c, name, &e) == GL_OK, "%s: %s", path,
                  genlab_ctx_errmsg(ctx));
    void *copy = malloc(e.nbytes);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, e.data, e.nbytes);
    *n = e.nbytes;
    genlab_ckpt_close(c);
    genlab_ctx_destroy(ctx);
    return copy;
}


/* same_bytes — tensor name is byte for byte the same in checkpoints a and b */
static bool same_bytes(const char *a, const char *b, const char *name)
{
    size_t na, nb;
    void *ta = tensor_bytes(a, name, &na), *tb = tensor_bytes(b, name, &nb);
    bool same = na == nb && !memcmp(ta, tb, na);
    free(ta), free(tb);
    return same;
}

/* An EMA changes nothing in training (the weights, moments and batch-norm
 * statistics are those of the run without it) and is what samples come
 * from (the grids differ) */
START_TEST(test_ema)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result a, b;
    char pa[4400], pb[4400];
    ck_assert_msg(tu_train(&f, NULL, NULL, 0, NULL, &a) == GL_OK, "%s", a.message);
    const char *const ema[] = {"gan.ema=0.5", NULL};
    ck_assert_msg(tu_train(&f, NULL, ema, 0, NULL, &b) == GL_OK, "%s", b.message);
    tu_ckpt(&f, &a, 10, pa, sizeof pa);
    tu_ckpt(&f, &b, 10, pb, sizeof pb);
    static const char *const same[] = {
        "G.params.fc.weight", "G.params.deconv3.weight", "G.buffers.bn2.running_var",
        "G.optim.exp_avg_sq", "D.params.fc.weight", "D.optim.exp_avg"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        ck_assert_msg(same_bytes(pa, pb, same[i]), "%s differs", same[i]);
    const char *grid = "SELECT sha256 FROM artifacts WHERE run_id = %lld AND kind = 'grid' "
                       "ORDER BY id DESC";
    char want[80];
    snprintf(want, sizeof want, "%s", tu_q(&f, grid, (long long)a.run_id));
    ck_assert_str_ne(tu_q(&f, grid, (long long)b.run_id), want);
    tu_teardown(&f);
}
END_TEST

/* ---- fixed noise ---- */

/* the evaluation noise depends on the seed alone: not on n_critic (which
 * changes the training draws), nor on the step it is saved at */
START_TEST(test_fixed_noise)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result a, b, c;
    char path[4400];
    size_t na, nb, nc, n5;
    ck_assert_msg(tu_train(&f, NULL, NULL, 0, NULL, &a) == GL_OK, "%s", a.message);
    const char *const critic[] = {"gan.n_critic=2", NULL};
    ck_assert_msg(tu_train(&f, NULL, critic, 0, NULL, &b) == GL_OK, "%s", b.message);
    const char *const seed[] = {"train.seed=4", NULL};
    ck_assert_msg(tu_train(&f, NULL, seed, 0, NULL, &c) == GL_OK, "%s", c.message);
    void *za = tensor_bytes(tu_ckpt(&f, &a, 10, path, sizeof path), "eval.z", &na);
    void *z5 = tensor_bytes(tu_ckpt(&f, &a, 5, path, sizeof path), "eval.z", &n5);
    void *zb = tensor_bytes(tu_ckpt(&f, &b, 10, path, sizeof path), "eval.z", &nb);
    void *zc = tensor_bytes(tu_ckpt(&f, &c, 10, path, sizeof path), "eval.z", &nc);
    ck_assert_uint_eq(na, 6 * 8 * sizeof(float));   /* sample_n x z_dim */
    ck_assert_uint_eq(na, n5);
    ck_assert_uint_eq(na, nb);
    ck_assert_uint_eq(na, nc);
    ck_assert(!memcmp(za, z5, na));
    ck_assert(!memcmp(za, zb, na));
    ck_assert(memcmp(za, zc, na) != 0);
    free(za), free(z5), free(zb), free(zc);
    tu_teardown(&f);
}
END_TEST

/* ---- resuming ---- */

/* A run stopped after 6 steps and resumed from its checkpoint ends with
 * A's tensors, and writes A's grid after step 8 and A's last grid and strip
 * (the same digests). */
START_TEST(test_resume_identical)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result a, c;
    const char *const ema[] = {"gan.ema=0.9", NULL};
    /* 31 tensors: G's 10 parameters and 6 BatchNorm buffers, its Adam
     * (2 moments, step) and EMA (shadow, updates); D's 6 parameters and
     * Adam; eval.z. The grid after step 4 is the stopped run's. */
    tu_check_resume(&f, NULL, ema, 6, 10, 31, "%step-00000004.png", &a, &c);
    tu_teardown(&f);
}
END_TEST

/* ---- a model from a checkpoint ---- */

/* sample_floats — n samples of the model of checkpoint path with seed, as
 * floats (malloc'd) */
static float *sample_floats(tu_fixture *f, const char *path, uint64_t seed, int64_t n)
{
    genlab_model *m;
    char err[1024];
    ck_assert_msg(genlab_model_open(f->reg, f->cfg, path, seed, &m, err, sizeof err) == GL_OK,
                  "%s", err);
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(m, &state);
    const genlab_data_spec *d = genlab_model_data(m);
    genlab_tensor *x = t->sample(genlab_model_ctx(m), state, n, NULL);
    ck_assert_ptr_nonnull(x);
    int64_t numel = n * d->channels * d->height * d->width;
    ck_assert_int_eq(genlab_tensor_numel(x), numel);
    float *copy = malloc((size_t)numel * sizeof *copy);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, genlab_tensor_f32(x), (size_t)numel * sizeof *copy);
    genlab_model_close(m);
    return copy;
}

START_TEST(test_model)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    char path[4400];
    ck_assert_msg(tu_train(&f, NULL, NULL, 0, NULL, &r) == GL_OK, "%s", r.message);
    tu_ckpt(&f, &r, 10, path, sizeof path);
    /* a finished run opens (train.steps does not matter); the seed alone
     * chooses the latents */
    size_t bytes = 5 * 28 * 28 * sizeof(float);
    float *a = sample_floats(&f, path, 1, 5), *b = sample_floats(&f, path, 1, 5),
          *c = sample_floats(&f, path, 2, 5);
    ck_assert(!memcmp(a, b, bytes));
    ck_assert(memcmp(a, c, bytes) != 0);
    free(a), free(b), free(c);

    /* generate() checks its latents' shape, names what it needs */
    genlab_model *m;
    char err[1024];
    ck_assert_int_eq(genlab_model_open(f.reg, f.cfg, path, 0, &m, err, sizeof err), GL_OK);
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(m, &state);
    ck_assert_ptr_nonnull(t->generate);
    ck_assert_int_eq(t->latent_dim(state), 8);
    genlab_ctx *ctx = genlab_model_ctx(m);
    ck_assert_ptr_null(t->generate(ctx, state, genlab_randn(ctx, 2, TU_SHAPE(3, 9)), NULL));
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_ERR_SHAPE);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "z is (3, 9), needs (N, 8)"), "%s",
                  genlab_ctx_errmsg(ctx));
    genlab_model_close(m);

    /* a checkpoint of another trainer is refused, naming both */
    snprintf(path, sizeof path, "%s/fit.safetensors", f.dir);
    genlab_ckpt_writer *w;
    ctx = tu_ctx(1);
    ck_assert_int_eq(genlab_ckpt_writer_create(ctx, &w), GL_OK);
    ck_assert_int_eq(genlab_ckpt_set_meta(w, "genlab.trainer", "fit"), GL_OK);
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt_writer_free(w);
    genlab_ctx_destroy(ctx);
    ck_assert_int_eq(genlab_model_open(f.reg, f.cfg, path, 0, &m, err, sizeof err),
                     GL_ERR_INVALID);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err, "written by trainer \"fit\", not \"gan\""), "%s", err);
    ck_assert_int_eq(genlab_model_open(f.reg, f.cfg, "/nonexistent.safetensors", 0, &m, err,
                                       sizeof err), GL_ERR_IO);
    ck_assert_msg(strstr(err, "/nonexistent.safetensors"), "%s", err);
    tu_teardown(&f);
}
END_TEST

/* ---- interpolation path ---- */

/* One genlab_lerp_steps case: a and b of 2 elements, the expected rows. */
static const struct lerp_case {
    float   a[2], b[2];
    int64_t steps;
    float   want[5][2];
} lerp_cases[] = {
    /* the two ends only */
    {{1, -2}, {3, 4}, 2, {{1, -2}, {3, 4}}},
    /* quarters: exact in binary */
    {{0, 8}, {4, 0}, 5, {{0, 8}, {1, 6}, {2, 4}, {3, 2}, {4, 0}}},
    /* a == b stays put */
    {{0.1f, 0.1f}, {0.1f, 0.1f}, 3, {{0.1f, 0.1f}, {0.1f, 0.1f}, {0.1f, 0.1f}}},
};

START_TEST(test_lerp_steps)
{
    const struct lerp_case *c = &lerp_cases[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *a = genlab_tensor_from(ctx, 1, TU_SHAPE(2), c->a);
    genlab_tensor *b = genlab_tensor_from(ctx, 1, TU_SHAPE(2), c->b);
    genlab_tensor *p = genlab_lerp_steps(ctx, a, b, c->steps);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(genlab_tensor_ndim(p), 2);
    ck_assert_int_eq(genlab_tensor_dim(p, 0), c->steps);
    const float *v = genlab_tensor_f32(p);
    for (int64_t t = 0; t < c->steps; t++)
        for (int k = 0; k < 2; k++)   /* every value here is exact in float: no tolerance */
            ck_assert_msg(v[t * 2 + k] == c->want[t][k], "row %lld: %g, want %g", (long long)t,
                          (double)v[t * 2 + k], (double)c->want[t][k]);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* the ends are a and b exactly even where w (b - a) would round */
START_TEST(test_lerp_steps_ends)
{
    genlab_ctx *ctx = tu_ctx(7);
    genlab_tensor *a = genlab_randn(ctx, 2, TU_SHAPE(3, 5));
    genlab_tensor *b = genlab_randn(ctx, 2, TU_SHAPE(3, 5));
    genlab_tensor *p = genlab_lerp_steps(ctx, a, b, 7);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(genlab_tensor_dim(p, 0), 7);
    const float *v = genlab_tensor_f32(p);
    ck_assert(!memcmp(v, genlab_tensor_f32(a), 15 * sizeof(float)));
    ck_assert(!memcmp(v + 6 * 15, genlab_tensor_f32(b), 15 * sizeof(float)));
    genlab_ctx_destroy(ctx);
}
END_TEST

static genlab_tensor *lerp_other_shape(genlab_ctx *ctx)
{
    return genlab_lerp_steps(ctx, genlab_randn(ctx, 2, TU_SHAPE(2, 3)),
                             genlab_randn(ctx, 2, TU_SHAPE(3, 2)), 4);
}
static genlab_tensor *lerp_one_step(genlab_ctx *ctx)
{
    genlab_tensor *a = genlab_randn(ctx, 1, TU_SHAPE(3));
    return genlab_lerp_steps(ctx, a, a, 1);
}
static genlab_tensor *lerp_too_many_axes(genlab_ctx *ctx)
{
    genlab_tensor *a = genlab_randn(ctx, 5, TU_SHAPE(1, 1, 1, 1, 2));
    return genlab_lerp_steps(ctx, a, a, 3);
}

static const tu_err_case lerp_errors[] = {
    {"lerp_steps: a (2, 3) and b (3, 2) differ in shape", GL_ERR_SHAPE, lerp_other_shape},
    {"lerp_steps: steps = 1 (needs [2, 2^20])", GL_ERR_INVALID, lerp_one_step},
    {"(at most 4 axes)", GL_ERR_INVALID, lerp_too_many_axes},
};

START_TEST(test_lerp_steps_errors)
{
    tu_check_error(&lerp_errors[_i]);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("gan_trainer");
    TCase *tc = tcase_create("outputs");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_outputs);
    tcase_add_test(tc, test_outputs_at_end);
    tcase_add_test(tc, test_loss_metrics);
    suite_add_tcase(s, tc);
    tc = tcase_create("steps");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_n_critic);
    tcase_add_test(tc, test_learning_rates);
    tcase_add_test(tc, test_fixed_noise);
    tcase_add_test(tc, test_ema);
    suite_add_tcase(s, tc);
    tc = tcase_create("resume");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_resume_identical);
    suite_add_tcase(s, tc);
    tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_model);
    suite_add_tcase(s, tc);
    tc = tcase_create("lerp_steps");
    tcase_add_loop_test(tc, test_lerp_steps, 0, sizeof lerp_cases / sizeof lerp_cases[0]);
    tcase_add_test(tc, test_lerp_steps_ends);
    tcase_add_loop_test(tc, test_lerp_steps_errors, 0, sizeof lerp_errors / sizeof lerp_errors[0]);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
