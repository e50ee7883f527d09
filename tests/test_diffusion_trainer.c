/* SPDX-License-Identifier: MIT
 *
 * test_diffusion_trainer.c — the diffusion plugin's trainer "diffusion"
 * and samplers "ddpm" and "ddim", run by the library's run loop into a
 * store in a temporary directory (the mock plugin's dataset, or one image
 * through the imagefolder dataset), and the samplers alone on an exact
 * denoiser:
 *
 *   - what a step reports (loss, lr with its warm-up, grad_norm), the files
 *     a run leaves (sample grids, denoising strips, their artifacts);
 *   - a run stopped and resumed ends bit for bit where the uninterrupted
 *     one does, EMA and grids included;
 *   - a model opened from a checkpoint samples and generates, under a
 *     sampler other than the run's, and names a wrong latent's shape;
 *   - the three prediction targets train and sample;
 *   - end to end: a tiny UNet over-fits one image, and DDPM sampling from
 *     noise gives that image back (signs and indices of the whole chain);
 *   - the samplers on the exact noise prediction of a one-image data set
 *     (eps = (x_t - sqrt(abar) x*) / sqrt(1 - abar)) end at x* for DDPM
 *     and DDIM, every spacing; and refuse steps the training T cannot
 *     give, with a message naming them.
 *
 * Everything stored is checked through SQL on the store, as a user reads
 * it.
 *
 * Sections: fixture, a run's outputs, resuming, a model from a
 * checkpoint, over-fitting one image, samplers alone, suite.
 */
#include <math.h>
#include <sys/stat.h>

#include "genlab/genlab.h"
#include "genlab/run.h"
#include "testutil.h"
#include "tu_compare.h"
#include "tu_run.h"

/* ---- fixture ---- */

/* The data: the mock's 1x8x8 constant images with noise, or (test_overfit)
 * one image in a folder. */
static const char *const MOCK[] = {"train.dataset=mock", "dataset.n_items=10",
                                   "dataset.noise=0.3", "dataset.size=8", NULL};

/* A run: a UNet of two levels (8, 16
 * channels), T = 50, DDIM with 5 steps for its grids, 6 steps, grids of 4
 * every 3 steps, checkpoints every 3. */
#define DIFF_ARGS "train.trainer=diffusion", "denoiser.block_out_channels=8,16",         \
    "denoiser.layers_per_block=1", "denoiser.norm_groups=4", "diffusion.timesteps=50",   \
    "diffusion.sampler=ddim", "sampler.steps=5", "diffusion.sample_every=3",             \
    "diffusion.sample_n=4", "train.batch=4", "train.log_every=1", "train.seed=3",        \
    "train.ckpt_every=3", "train.steps=6", "optim.warmup=2", "train.threads=1"

static const char *const base_args[] = {DIFF_ARGS, NULL};

static void setup(tu_fixture *f)
{
    const char *const plugins[] = {GL_TEST_PLUGIN_DIR "/mock_plugin.so", GL_TEST_DIFFUSION_PLUGIN,
                                   GL_TEST_FOLDER_PLUGIN, NULL};
    tu_setup(f, GL_TEST_PLUGIN_DIR, plugins, base_args, "test_diffusion_trainer");
}

/* data — the data of a run with the NULL-terminated overrides more: MOCK
 * unless they name a dataset first */
static const char *const *data(const char *const *more)
{
    return !more || strncmp(more[0], "train.dataset=", 14) != 0 ? MOCK : NULL;
}

/* configure — tu_configure on the data of the overrides more */
static void configure(tu_fixture *f, const char *const *more)
{
    tu_configure(f, data(more), more);
}

/* train — tu_train on the data of the overrides more */
static genlab_status train(tu_fixture *f, const char *const *more, int64_t stop_at,
                           const char *resume, genlab_run_result *r)
{
    return tu_train(f, data(more), more, stop_at, resume, r);
}

/* open_model — the run's model from its checkpoint after `step` steps */
static genlab_model *open_model(tu_fixture *f, const genlab_run_result *r, int64_t step)
{
    char path[4400], err[1024];
    genlab_model *m;
    tu_ckpt(f, r, step, path, sizeof path);
    ck_assert_msg(genlab_model_open(f->reg, f->cfg, path, 1, &m, err, sizeof err) == GL_OK, "%s",
                  err);
    return m;
}

/* ---- a run's outputs ---- */

START_TEST(test_outputs)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    ck_assert_msg(train(&f, NULL, 0, NULL, &r) == GL_OK, "%s", r.message);
    static const char *const keys[] = {"loss", "lr", "grad_norm"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        ck_assert_msg(!strcmp(tu_q(&f, "SELECT count(*) FROM metrics WHERE key = '%s' AND "
                                   "value > 0", keys[i]), "6"),
                      "%s: %s points", keys[i], f.text);
    /* optim.warmup = 2: the rate climbs linearly to optim.lr (1e-3) by step 2 */
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(value, ' ') FROM (SELECT value FROM metrics "
                              "WHERE key = 'lr' AND step < 3 ORDER BY step)"),
                     "0.0005 0.001 0.001");
    /* grad_clip = 1: the reported norm is the one before clipping, so it
     * may exceed 1; it is finite and positive at every step (checked above) */
    ck_assert_str_eq(tu_q(&f, "SELECT group_concat(kind || ':' || substr(path, instr(path, "
                              "'/samples/') + 9), ' ') FROM (SELECT kind, path FROM artifacts "
                              "WHERE kind <> 'checkpoint' ORDER BY id)"),
                     "grid:step-00000003.png strip:denoise-00000003.png "
                     "grid:step-00000006.png strip:denoise-00000006.png");
    /* 4 samples of 8 x 8 in 2 columns, padding 2; the strip: 4 rows of 10
     * frames */
    tu_check_png(&f, "grid", 2 * 10 + 2, 2 * 10 + 2);
    tu_check_png(&f, "strip", 10 * 10 + 2, 4 * 10 + 2);
    /* the sampler and its step count are recorded with the run */
    ck_assert_str_eq(tu_q(&f, "SELECT value FROM params WHERE key = 'diffusion.sampler'"), "ddim");
    ck_assert_str_eq(tu_q(&f, "SELECT value FROM params WHERE key = 'sampler.steps'"), "5");
    tu_teardown(&f);
}
END_TEST

/* ---- resuming ---- */

/* A run with an EMA stopped after 4 steps and resumed from its checkpoint
 * after 3 ends with the uninterrupted run's tensors and writes its last
 * grid and strip (the same digests). DDPM with noise in every step: the
 * grid's draws must not move the training's. */
START_TEST(test_resume_identical)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result a, b, c;
    char end_a[4400], end_c[4400], stop_b[4400];
    const char *const more[] = {"diffusion.ema=0.9", "diffusion.sampler=ddpm", "sampler.steps=10",
                                NULL};
    ck_assert_msg(train(&f, more, 0, NULL, &a) == GL_OK, "%s", a.message);
    ck_assert_int_eq(train(&f, more, 4, NULL, &b), GL_ERR_INTERRUPTED);
    ck_assert_msg(train(&f, more, 0, tu_ckpt(&f, &b, 3, stop_b, sizeof stop_b), &c) == GL_OK, "%s",
                  c.message);
    ck_assert_int_eq(c.steps_done, 6);
    /* every tensor equal (at least 10: the UNet's parameters, Adam's
     * moments and step, the EMA's shadow and count, eval.x) */
    tu_same_checkpoints(tu_ckpt(&f, &a, 6, end_a, sizeof end_a),
                        tu_ckpt(&f, &c, 6, end_c, sizeof end_c), 10);
    const char *digests = "SELECT group_concat(kind || substr(path, -13) || sha256, ' ') FROM "
                          "(SELECT kind, path, sha256 FROM artifacts WHERE run_id = %lld AND "
                          "kind <> 'checkpoint' AND path LIKE '%%-00000006.png' ORDER BY id)";
    char want[4096];
    snprintf(want, sizeof want, "%s", tu_q(&f, digests, (long long)a.run_id));
    ck_assert_str_ne(want, "");
    ck_assert_str_eq(tu_q(&f, digests, (long long)c.run_id), want);
    tu_teardown(&f);
}
END_TEST

/* ---- a model from a checkpoint ---- */

START_TEST(test_model)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    ck_assert_msg(train(&f, NULL, 0, NULL, &r) == GL_OK, "%s", r.message);
    /* another sampler than the run's, as `genlab sample --sampler ddpm
     * --steps 7` asks: the configuration is the run's with two keys set */
    const char *const other[] = {"diffusion.sampler=ddpm", "sampler.steps=7", NULL};
    configure(&f, other);
    genlab_model *m = open_model(&f, &r, 6);
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(m, &state);
    genlab_ctx *ctx = genlab_model_ctx(m);
    genlab_tensor *x = t->sample(ctx, state, 3, NULL);
    ck_assert_msg(x != NULL, "%s", genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(genlab_tensor_numel(x), 3 * 64);
    const float *v = genlab_tensor_f32(x);
    for (int64_t i = 0; i < genlab_tensor_numel(x); i++)
        ck_assert(v[i] >= -1.0f && v[i] <= 1.0f);
    ck_assert_int_eq(t->latent_dim(state), 64);
    ck_assert_ptr_nonnull(t->generate(ctx, state, genlab_randn(ctx, 2, TU_SHAPE(2, 64)), NULL));
    ck_assert_ptr_null(t->generate(ctx, state, genlab_randn(ctx, 2, TU_SHAPE(2, 63)), NULL));
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), "trainer diffusion: generate: z is (2, 63), needs "
                     "(N, 64) float32 (x_T, flattened)");
    genlab_model_close(m);
    /* a sampler whose steps the model's T cannot give */
    const char *const bad[] = {"sampler.steps=51", NULL};
    configure(&f, bad);
    m = open_model(&f, &r, 6);
    t = genlab_model_trainer(m, &state);
    ctx = genlab_model_ctx(m);
    ck_assert_ptr_null(t->sample(ctx, state, 2, NULL));
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), "sampler ddim: 51 steps (spacing leading, "
                     "steps_offset 0) do not fit the model's 50 training timesteps");
    genlab_model_close(m);
    tu_teardown(&f);
}
END_TEST

/* the x0 and v targets train and sample as well (each sampler reads the
 * model's output as noise: the trainer converts) */
static const char *const predictions[] = {"sample", "v_prediction"};

START_TEST(test_predictions)
{
    tu_fixture f;
    setup(&f);
    genlab_run_result r;
    char pred[64];
    snprintf(pred, sizeof pred, "diffusion.prediction=%s", predictions[_i]);
    const char *const more[] = {pred, "diffusion.sample_every=0", NULL};
    ck_assert_msg(train(&f, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    ck_assert_str_eq(tu_q(&f, "SELECT count(*) FROM artifacts WHERE kind IN ('grid', 'strip')"),
                     "2");
    tu_teardown(&f);
}
END_TEST

/* ---- over-fitting one image ---- */

/* The image: 8x8 gray, a diagonal ramp with a bright square, in [-1, 1]
 * as the dataset scales it (pixel p -> p / 127.5 - 1). */
static uint8_t pixel(int y, int x)
{
    return (uint8_t)(y >= 2 && y < 5 && x >= 3 && x < 6 ? 255 : 16 * (x + y));
}

/* A UNet (16, 32 channels) trained on one image for 1000 steps (every
 * batch that image; Adam at 2e-3 on a cosine decay) and sampled with DDPM
 * from pure noise gives the image back. */
START_TEST(test_overfit_one_image)
{
    tu_fixture f;
    setup(&f);
    char dir[4200], png[4300], ds[4300];
    snprintf(dir, sizeof dir, "%s/img", f.dir);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(png, sizeof png, "%s/one.png", dir);
    genlab_ctx *ctx = tu_ctx(1);
    uint8_t data[64];
    for (int i = 0; i < 64; i++)
        data[i] = pixel(i / 8, i % 8);
    genlab_image img = {.width = 8, .height = 8, .channels = 1, .data = data};
    ck_assert_int_eq(genlab_png_write(ctx, png, &img), GL_OK);
    genlab_ctx_destroy(ctx);
    snprintf(ds, sizeof ds, "dataset.dir=%s", dir);
    genlab_run_result r;
    const char *const more[] = {"train.dataset=imagefolder", ds, "train.batch=16",
                                "train.drop_last=false", "train.steps=1000",
                                "denoiser.block_out_channels=16,32", "diffusion.sample_every=0",
                                "diffusion.sampler=ddpm", "sampler.steps=50",
                                "diffusion.schedule=cosine", "optim.lr=2e-3",
                                "optim.schedule=cosine", "optim.warmup=0", "train.ckpt_every=0",
                                NULL};
    ck_assert_msg(train(&f, more, 0, NULL, &r) == GL_OK, "%s", r.message);
    genlab_model *m = open_model(&f, &r, 1000);
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(m, &state);
    ctx = genlab_model_ctx(m);
    enum { N = 4 };
    genlab_tensor *x = t->sample(ctx, state, N, NULL);
    ck_assert_msg(x != NULL, "%s", genlab_ctx_errmsg(ctx));
    const float *v = genlab_tensor_f32(x);
    double worst = 0, mean = 0;
    for (int n = 0; n < N; n++)
        for (int i = 0; i < 64; i++) {
            double e = fabs(v[n * 64 + i] - (pixel(i / 8, i % 8) / 127.5 - 1.0));
            worst = fmax(worst, e);
            mean += e / (N * 64);
        }
    /* each of the 4 samples is the image within 0.3 at every pixel and 0.1
     * on average (measured over 64 samples of such a run: at most 0.16 and
     * 0.05); a sign or index error in the chain gives noise or a
     * washed-out image, off by more than 0.5 */
    ck_assert_msg(worst < 0.3 && mean < 0.1, "samples differ from the image by up to %.3f, "
                  "%.3f on average", worst, mean);
    genlab_model_close(m);
    tu_teardown(&f);
}
END_TEST

/* ---- samplers alone ---- */

/* The exact denoiser of a data set holding only x*: eps = (x_t -
 * sqrt(abar_t) x*) / sqrt(1 - abar_t). model_ctx: the oracle. */
typedef struct oracle {
    const genlab_schedule_i *si;
    void                    *sched;
    float                    target[16];
} oracle;

static genlab_tensor *oracle_model(genlab_ctx *ctx, void *model_ctx, genlab_tensor *x_t,
                                   genlab_tensor *t, genlab_tensor *y)
{
    (void)y;
    const oracle *o = model_ctx;
    genlab_tensor *eps = genlab_zeros_like(ctx, x_t);
    int64_t n = genlab_tensor_dim(x_t, 0);
    for (int64_t i = 0; i < n; i++) {
        double ab = o->si->at(o->sched, (int64_t)genlab_tensor_f32(t)[i]);
        for (int j = 0; j < 16; j++)
            genlab_tensor_f32_mut(eps)[i * 16 + j] =
                (float)((genlab_tensor_f32(x_t)[i * 16 + j] - sqrt(ab) * o->target[j]) /
                        sqrt(1.0 - ab));
    }
    return eps;
}

/* one sampler configuration: component and its scope's key=values */
/* Tolerances: float32 rounding along up to 1000 steps of values of order
 * 1 (1e-3); with set_alpha_to_one off the last step stops at t = 0, where
 * abar_0 = 0.9999 leaves x* plus 1% of the noise (0.05). */
static const struct oracle_case {
    const char *schedule, *sampler;
    const char *args[4];
    double      tol;
} oracles[] = {
    {"linear", "ddpm", {"steps=1000", NULL}, 1e-3},                   /* DDPM-1000 */
    {"cosine", "ddpm", {"steps=50", "variance=fixed_large", NULL}, 1e-3},
    {"linear", "ddim", {"steps=100", NULL}, 1e-3},                    /* DDIM-100, eta 0 */
    {"cosine", "ddim", {"steps=20", "spacing=trailing", "eta=1", NULL}, 1e-3},
    {"scaled_linear", "ddim", {"steps=30", "spacing=linspace", "eta=0.5", NULL}, 1e-3},
    {"linear", "ddim", {"steps=10", "steps_offset=1", "set_alpha_to_one=false", NULL}, 0.05},
};

/* bind — a configuration declaring schedule and sampler components under
 * "t", resolved with the case's values */
static genlab_config *bind(genlab_registry *reg, const struct oracle_case *k)
{
    static const genlab_param_def decl[] = {
        {.name = "schedule", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_SCHEDULE, .def = "",
         .help = "the schedule under test"},
        {.name = "sampler", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_SAMPLER, .def = "",
         .help = "the sampler under test"},
    };
    genlab_config *cfg;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(cfg, "t", decl, 2), GL_OK);
    ck_assert_int_eq(genlab_config_set(cfg, "t.schedule", k->schedule, NULL), GL_OK);
    ck_assert_int_eq(genlab_config_set(cfg, "t.sampler", k->sampler, NULL), GL_OK);
    for (int i = 0; k->args[i]; i++) {
        char key[128];
        const char *eq = strchr(k->args[i], '=');
        snprintf(key, sizeof key, "sampler.%.*s", (int)(eq - k->args[i]), k->args[i]);
        ck_assert_int_eq(genlab_config_set(cfg, key, eq + 1, NULL), GL_OK);
    }
    ck_assert_msg(genlab_config_resolve(cfg, reg) == GL_OK, "%s", genlab_config_errmsg(cfg));
    return cfg;
}

START_TEST(test_oracle)
{
    const struct oracle_case *k = &oracles[_i];
    genlab_registry *reg;
    ck_assert_int_eq(genlab_registry_create(GL_TEST_PLUGIN_DIR, &reg), GL_OK);
    ck_assert_msg(genlab_plugin_load(reg, GL_TEST_DIFFUSION_PLUGIN) == GL_OK, "%s",
                  genlab_registry_errmsg(reg));
    genlab_config *cfg = bind(reg, k);
    genlab_ctx *ctx = tu_ctx(5);
    genlab_host host;
    genlab_host_init(&host, reg, ctx, cfg);
    const genlab_config *root = genlab_config_scope(cfg, "t"), *ss, *ps;
    const genlab_component *sc, *pc;
    ck_assert_int_eq(genlab_config_component(root, "schedule", GL_KIND_SCHEDULE, &sc, &ss), GL_OK);
    ck_assert_int_eq(genlab_config_component(root, "sampler", GL_KIND_SAMPLER, &pc, &ps), GL_OK);
    oracle o = {.si = sc->iface};
    const genlab_sampler_i *pi = pc->iface;
    void *sampler;
    ck_assert_int_eq(o.si->create(&host, ss, 1000, &o.sched), GL_OK);
    ck_assert_int_eq(pi->create(&host, ps, &sampler), GL_OK);
    for (int j = 0; j < 16; j++)
        o.target[j] = (float)(0.9 * sin(0.7 * j + 0.2));
    genlab_tensor *x = genlab_tensor_new_persistent(ctx, GL_F32, 4, TU_SHAPE(3, 1, 4, 4));
    ck_assert_int_eq(genlab_rng_fill(ctx, x, GL_STREAM_DEFAULT, 1, 0.0f, 1.0f), GL_OK);
    genlab_sampler_args a = {.x = x, .train_steps = 1000, .model = oracle_model, .model_ctx = &o,
                             .alpha_bar = o.si->at, .schedule_ctx = o.sched};
    float before[48];
    memcpy(before, genlab_tensor_f32(x), sizeof before);
    genlab_tensor *out = pi->run(ctx, sampler, &a);
    ck_assert_msg(out != NULL, "%s", genlab_ctx_errmsg(ctx));
    /* every image ends at x* */
    for (int i = 0; i < 3; i++)
        TU_ASSERT_CLOSE(k->sampler, genlab_tensor_f32(out) + 16 * i, o.target, 16, k->tol, 0.0);
    /* the input is untouched (the sampler keeps x in a copy) */
    ck_assert_mem_eq(genlab_tensor_f32(x), before, sizeof before);
    genlab_tensor_free(x);
    pi->destroy(sampler);
    o.si->destroy(o.sched);
    genlab_ctx_destroy(ctx);
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
}
END_TEST

/* ---- suite ---- */

static Suite *suite(void)
{
    Suite *s = suite_create("diffusion_trainer");
    TCase *tc = tcase_create("runs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_outputs);
    tcase_add_test(tc, test_resume_identical);
    tcase_add_test(tc, test_model);
    tcase_add_loop_test(tc, test_predictions, 0,
                        (int)(sizeof predictions / sizeof *predictions));
    tcase_add_test(tc, test_overfit_one_image);
    suite_add_tcase(s, tc);
    tc = tcase_create("samplers");
    tcase_add_loop_test(tc, test_oracle, 0, (int)(sizeof oracles / sizeof *oracles));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
