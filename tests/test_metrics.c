/* SPDX-License-Identifier: MIT
 *
 * test_metrics.c — the metrics plugin (plugins/metrics) through the plugin
 * loader, as the genlab commands use it: the trainer "classifier" and its
 * checkpoint as classifier-fid's weights, the metric components
 * "classifier" and "inception", their scores and protocols, and score rows
 * in the store.
 *
 *   classifier  a tiny classifier (8 x 8 gray ramps of the mock plugin, 3
 *               classes) trained by the run loop: what its steps report,
 *               its checkpoint, its parameter count, that it samples
 *               nothing; the extractor mx_classifier_open makes of it
 *   scores      the metric component against the same arithmetic done by
 *               hand on the extractor's own features (compiled into this
 *               program): FID (float64 statistics, also via a reference
 *               .npz), IS, KID and precision/recall, the protocol's every
 *               field, statistics(), reset(), the FID of a set against
 *               itself, the singular-covariance warning
 *   errors      weights and reference files that are not what they should
 *               be, scores lists, images of the wrong size: one row each,
 *               the message naming the file or the shape
 *   inception   the component "inception" on formula weights
 *               (tests/tu_inception.h): its protocol and defaults (no
 *               forward: valgrind runs this suite, and test_inception
 *               checks the network)
 *   store       a metric's scores recorded as rows, read back
 *
 * The store's migration to the score columns is tested in test_store.c
 * (test_migrate_v1_scores).
 *
 * Sections: fixture, classifier, scores, errors, inception, store, suite.
 */
#include <jansson.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "extractor.h"
#include "genlab/genlab.h"
#include "genlab/npz.h"
#include "genlab/run.h"
#include "genlab/scores.h"
#include "testutil.h"
#include "tu_inception.h"

/* ---- fixture ---- */

/* The classifier's run: 8 x 8 ramps with noise, 3 classes, 12 steps. */
#define CLF_ARGS "train.trainer=classifier", "train.dataset=mock", "dataset.size=8", \
    "dataset.noise=0.3", "dataset.n_items=48", "train.batch=8", "train.steps=12", \
    "train.log_every=1", "train.seed=5", "train.threads=1"

static struct {
    char             dir[4096], db[4200], ckpt[4400];
    genlab_registry *reg;
    genlab_store    *store;
    genlab_ctx      *ctx;
    int64_t          run_id;
    char             log[8192];   /* what the plugins logged (warnings and errors) */
} fx;

static void on_log(void *user, genlab_log_level level, const char *msg)
{
    (void)user;
    size_t used = strlen(fx.log);
    if (level <= GL_LOG_WARN)
        snprintf(fx.log + used, sizeof fx.log - used, "%s\n", msg);
}

static int first_cell(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    char *out = user;
    if (!out[0])
        snprintf(out, 4096, "%s", values[0] ? values[0] : "NULL");
    return 0;
}

/* q — the first cell of a query on the store, as text ("" when no row) */
static const char *q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *q(const char *fmt, ...)
{
    static char out[4096];
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    out[0] = '\0';
    ck_assert_msg(genlab_store_query(fx.store, sql, first_cell, out) == GL_OK, "%s: %s", sql,
                  genlab_store_errmsg(fx.store));
    return out;
}

/* setup — the plugins, a store, and the classifier trained once */
static void setup(void)
{
    memset(&fx, 0, sizeof fx);
    tu_tmpdir(fx.dir, sizeof fx.dir);
    snprintf(fx.db, sizeof fx.db, "%s/m.db", fx.dir);
    ck_assert_int_eq(genlab_registry_create(GL_TEST_PLUGIN_DIR, &fx.reg), GL_OK);
    genlab_registry_set_logger(fx.reg, on_log, NULL);
    ck_assert_int_eq(genlab_plugin_load(fx.reg, GL_TEST_PLUGIN_DIR "/mock_plugin.so"), GL_OK);
    ck_assert_msg(genlab_plugin_load(fx.reg, GL_TEST_METRICS_PLUGIN) == GL_OK, "%s",
                  genlab_registry_errmsg(fx.reg));
    ck_assert_int_eq(genlab_store_open(fx.db, false, &fx.store), GL_OK);
    fx.ctx = tu_ctx(11);

    static const char *const args[] = {CLF_ARGS};
    genlab_config *cfg;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_run_declare(cfg), GL_OK);
    ck_assert_int_eq(genlab_config_set_args(cfg, sizeof args / sizeof *args, args), GL_OK);
    ck_assert_msg(genlab_config_resolve(cfg, fx.reg) == GL_OK, "%s", genlab_config_errmsg(cfg));
    genlab_run_result r;
    genlab_status st = genlab_run_train(fx.reg, cfg, fx.store, NULL, &r);
    ck_assert_msg(st == GL_OK, "%s", r.message);
    genlab_config_destroy(cfg);
    fx.run_id = r.run_id;
    snprintf(fx.ckpt, sizeof fx.ckpt, "%s",
             q("SELECT path FROM artifacts WHERE run_id = %lld AND kind = 'checkpoint' "
               "ORDER BY id DESC", (long long)r.run_id));
    ck_assert_str_ne(fx.ckpt, "");
}

static void teardown(void)
{
    genlab_ctx_destroy(fx.ctx);
    ck_assert_int_eq(genlab_store_close(fx.store), GL_OK);
    genlab_registry_destroy(fx.reg);
    tu_rmtree(fx.dir);
}

/* A metric component instance made through the registry, as the CLI does:
 * a configuration binding eval.metric (its parameters under its name). */
typedef struct inst {
    genlab_config         *cfg;
    const genlab_metric_i *mi;
    genlab_host            host;
    void                  *state;
} inst;

static const genlab_param_def metric_param[] = {
    {.name = "metric", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_METRIC, .def = NULL,
     .flags = GL_PARAM_SCOPE_BY_NAME, .help = "the metric"},
};

/* inst_open — component name with the NULL-terminated KEY=VALUE overrides
 * (relative to its scope: "scores=fid"); the weights default to the
 * classifier's checkpoint. Returns create()'s status (errors on fx.ctx). */
static genlab_status inst_open(inst *m, const char *name, const char *const *kv)
{
    memset(m, 0, sizeof *m);
    char key[128];
    ck_assert_int_eq(genlab_config_create(&m->cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(m->cfg, "eval", metric_param, 1), GL_OK);
    ck_assert_int_eq(genlab_config_set(m->cfg, "eval.metric", name, NULL), GL_OK);
    snprintf(key, sizeof key, "%s.weights", name);
    ck_assert_int_eq(genlab_config_set(m->cfg, key, fx.ckpt, NULL), GL_OK);
    for (; kv && *kv; kv++) {
        size_t k = strcspn(*kv, "=");
        snprintf(key, sizeof key, "%s.%.*s", name, (int)k, *kv);
        ck_assert_int_eq(genlab_config_set(m->cfg, key, *kv + k + 1, NULL), GL_OK);
    }
    ck_assert_msg(genlab_config_resolve(m->cfg, fx.reg) == GL_OK, "%s",
                  genlab_config_errmsg(m->cfg));
    const genlab_component *c;
    const genlab_config *scope;
    ck_assert_int_eq(genlab_config_component(m->cfg, "eval.metric", GL_KIND_METRIC, &c, &scope),
                     GL_OK);
    m->mi = c->iface;
    genlab_host_init(&m->host, fx.reg, fx.ctx, m->cfg);
    genlab_status st = m->mi->create(&m->host, scope, &m->state);
    if (st != GL_OK)
        m->state = NULL;
    return st;
}

static void inst_close(inst *m)
{
    if (m->state)
        m->mi->destroy(m->state);
    genlab_config_destroy(m->cfg);
}

/* images — n gray 8 x 8 images, a persistent tensor of values in about
 * [-1, 1] drawn from fx.ctx (seeded differently per set) */
static genlab_tensor *images(int64_t n, int size, uint64_t seed)
{
    genlab_tensor *x = genlab_tensor_new_persistent(fx.ctx, GL_F32, 4, TU_SHAPE(n, 1, size, size));
    ck_assert_ptr_nonnull(x);
    float *p = genlab_tensor_f32_mut(x);
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < genlab_tensor_numel(x); i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        p[i] = (float)((double)(s >> 40) / (double)(1ull << 23)) - 1.0f;
    }
    return x;
}

/* sha256_of — the file's digest, computed here independently */
static void sha256_of(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    struct sha256_ctx h;
    sha256_init(&h);
    unsigned char buf[4096], d[SHA256_DIGEST_SIZE];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&h, n, buf);
    fclose(f);
    sha256_digest(&h, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* ---- classifier ---- */

/* the run loop trained it: loss and accuracy each step, a checkpoint of
 * the model and its Adam state */
START_TEST(test_trainer)
{
    ck_assert_str_eq(q("SELECT count(*) FROM metrics WHERE run_id = %lld AND key = 'acc' AND "
                       "value BETWEEN 0 AND 1", (long long)fx.run_id), "12");
    ck_assert_str_eq(q("SELECT count(*) FROM metrics WHERE run_id = %lld AND key = 'loss' AND "
                       "value > 0", (long long)fx.run_id), "12");
    genlab_ckpt *ck;
    ck_assert_int_eq(genlab_ckpt_open(fx.ctx, fx.ckpt, &ck), GL_OK);
    ck_assert_str_eq(genlab_ckpt_meta(ck, "genlab.trainer"), "classifier");
    /* 8 x 8 x 1 images, 3 classes: conv1 32 * 9 + 32, conv2 64 * 32 * 9 +
     * 64, fc1 128 * 64 * 2 * 2 + 128, fc2 3 * 128 + 3 */
    static const struct {
        const char *name;
        int64_t     numel;
    } want[] = {
        {"model.params.conv1.weight", 288}, {"model.params.conv1.bias", 32},
        {"model.params.conv2.weight", 18432}, {"model.params.conv2.bias", 64},
        {"model.params.fc1.weight", 32768}, {"model.params.fc1.bias", 128},
        {"model.params.fc2.weight", 384}, {"model.params.fc2.bias", 3},
    };
    int64_t total = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        genlab_ckpt_entry e;
        ck_assert_msg(genlab_ckpt_find(fx.ctx, ck, want[i].name, &e) == GL_OK, "%s",
                      want[i].name);
        ck_assert_int_eq((int64_t)e.nbytes / 4, want[i].numel);
        total += want[i].numel;
    }
    ck_assert_int_eq(total, 52099);
    ck_assert_int_gt(genlab_ckpt_count(ck), 8);   /* and the optimizer's state */
    genlab_ckpt_close(ck);
}
END_TEST

/* a classifier opened as a model samples nothing, and says why */
START_TEST(test_trainer_samples_nothing)
{
    static const char *const args[] = {CLF_ARGS};
    genlab_config *cfg;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_run_declare(cfg), GL_OK);
    ck_assert_int_eq(genlab_config_set_args(cfg, sizeof args / sizeof *args, args), GL_OK);
    ck_assert_int_eq(genlab_config_resolve(cfg, fx.reg), GL_OK);
    genlab_model *m;
    char err[512];
    ck_assert_msg(genlab_model_open(fx.reg, cfg, fx.ckpt, 0, &m, err, sizeof err) == GL_OK, "%s",
                  err);
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(m, &state);
    ck_assert_ptr_null(t->sample(genlab_model_ctx(m), state, 4, NULL));
    ck_assert_int_eq(genlab_ctx_status(genlab_model_ctx(m)), GL_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(genlab_model_ctx(m)), "generates no images"));
    genlab_model_close(m);
    genlab_config_destroy(cfg);
}
END_TEST

/* the trainer refuses data it cannot classify, before any step */
START_TEST(test_trainer_refuses)
{
    static const char *const args[] = {CLF_ARGS, "dataset.size=6"};   /* 6: not a multiple of 4 */
    genlab_config *cfg;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_run_declare(cfg), GL_OK);
    ck_assert_int_eq(genlab_config_set_args(cfg, sizeof args / sizeof *args, args), GL_OK);
    ck_assert_int_eq(genlab_config_resolve(cfg, fx.reg), GL_OK);
    genlab_run_result r;
    ck_assert_int_eq(genlab_run_train(fx.reg, cfg, fx.store, NULL, &r), GL_ERR_INVALID);
    ck_assert_int_eq(r.run_id, 0);
    ck_assert_ptr_nonnull(strstr(r.message, "1 x 6 x 6 images and 3 classes"));
    genlab_config_destroy(cfg);
}
END_TEST

/* what mx_classifier_open makes of the checkpoint */
START_TEST(test_extractor)
{
    mx_extractor *x;
    ck_assert_msg(mx_classifier_open(fx.ctx, fx.ckpt, &x) == GL_OK, "%s",
                  genlab_ctx_errmsg(fx.ctx));
    char sha[65], name[32];
    sha256_of(fx.ckpt, sha);
    snprintf(name, sizeof name, "classifier:%.12s", sha);
    ck_assert_str_eq(x->sha256, sha);
    ck_assert_str_eq(x->name, name);
    ck_assert_str_eq(x->resize, "none-8x8");
    ck_assert_int_eq(x->dim, 128);
    ck_assert_int_eq(x->n_logits, 3);
    genlab_tensor *im = images(5, 8, 1);
    float feat[5 * 128], logits[5 * 3];
    ck_assert_int_eq(x->features(fx.ctx, x, im, feat, logits), GL_OK);
    for (int i = 0; i < 5 * 128; i++)
        ck_assert(isfinite(feat[i]));
    /* the features of one image do not depend on its batch */
    float one[128];
    genlab_tensor *im1 = genlab_slice(fx.ctx, im, 0, 3, 1);
    ck_assert_int_eq(x->features(fx.ctx, x, im1, one, NULL), GL_OK);
    for (int j = 0; j < 128; j++)   /* 1e-5: the same sums, blocked differently by the gemm */
        ck_assert_float_eq_tol(one[j], feat[3 * 128 + j], 1e-5f * (1 + fabsf(one[j])));
    /* images of another size or more channels are refused, naming both shapes */
    static const struct {
        int64_t c, s;
    } bad[] = {{1, 12}, {3, 8}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        genlab_tensor *b = genlab_zeros_like(fx.ctx, genlab_tensor_new(fx.ctx, GL_F32, 4,
                                             TU_SHAPE(2, bad[i].c, bad[i].s, bad[i].s)));
        ck_assert_int_eq(x->features(fx.ctx, x, b, feat, NULL), GL_ERR_SHAPE);
        ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(fx.ctx), "takes (N, 1, 8, 8)"));
        char s[64];
        snprintf(s, sizeof s, "not (2, %lld, %lld, %lld)", (long long)bad[i].c,
                 (long long)bad[i].s, (long long)bad[i].s);
        ck_assert_msg(strstr(genlab_ctx_errmsg(fx.ctx), s), "%s", genlab_ctx_errmsg(fx.ctx));
        genlab_ctx_clear_error(fx.ctx);
    }
    genlab_tensor_free(im);
    x->destroy(x);
}
END_TEST

/* ---- scores ---- */

/* By hand: the features and logits of the sets, through the extractor. */
typedef struct by_hand {
    int64_t n;
    float  *feat, *logits;
} by_hand;

static by_hand extract(mx_extractor *x, genlab_tensor *const *batches, int nb)
{
    by_hand h = {0};
    for (int i = 0; i < nb; i++)
        h.n += genlab_tensor_dim(batches[i], 0);
    h.feat = malloc((size_t)(h.n * x->dim) * sizeof(float));
    h.logits = malloc((size_t)(h.n * x->n_logits) * sizeof(float));
    int64_t at = 0;
    for (int i = 0; i < nb; i++) {
        ck_assert_int_eq(x->features(fx.ctx, x, batches[i], h.feat + at * x->dim,
                                     h.logits + at * x->n_logits), GL_OK);
        at += genlab_tensor_dim(batches[i], 0);
    }
    return h;
}

/* moments — mean and unbiased covariance, two passes in float64 */
static void moments(const by_hand *h, int64_t d, double *mu, double *sigma)
{
    for (int64_t j = 0; j < d; j++) {
        mu[j] = 0;
        for (int64_t i = 0; i < h->n; i++)
            mu[j] += h->feat[i * d + j];
        mu[j] /= (double)h->n;
    }
    for (int64_t a = 0; a < d; a++)
        for (int64_t b = 0; b < d; b++) {
            double s = 0;
            for (int64_t i = 0; i < h->n; i++)
                s += (h->feat[i * d + a] - mu[a]) * (h->feat[i * d + b] - mu[b]);
            sigma[a * d + b] = s / (double)(h->n - 1);
        }
}

static const genlab_score *find_score(const genlab_score *s, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s[i].name, name))
            return &s[i];
    ck_abort_msg("no score %s", name);
    return NULL;
}

/* jint / jstr — protocol members */
static json_int_t jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "protocol: %s is not an integer", key);
    return json_integer_value(v);
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "protocol: %s is not a string", key);
    return json_string_value(v);
}

/* the component's scores are the arithmetic of scores.h on the extractor's
 * features, every parameter passed on; its protocol says all of it */
START_TEST(test_scores_by_hand)
{
    static const char *const kv[] = {"scores=fid,is,kid,pr", "is_splits=2", "kid_subsets=5",
                                     "kid_subset_size=10", "pr_k=3", "seed=7", NULL};
    inst m;
    ck_assert_msg(inst_open(&m, "classifier", kv) == GL_OK, "%s", genlab_ctx_errmsg(fx.ctx));
    genlab_tensor *real[] = {images(25, 8, 2), images(15, 8, 3)};
    genlab_tensor *fake[] = {images(20, 8, 4), images(10, 8, 5)};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_REAL, real[i]), GL_OK);
        ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_FAKE, fake[i]), GL_OK);
    }
    genlab_score sc[8];
    int n = 0;
    ck_assert_msg(m.mi->compute(fx.ctx, m.state, sc, 8, &n) == GL_OK, "%s",
                  genlab_ctx_errmsg(fx.ctx));
    ck_assert_int_eq(n, 5);
    static const char *const order[] = {"classifier_fid", "classifier_is", "classifier_kid",
                                        "classifier_precision", "classifier_recall"};
    for (int i = 0; i < 5; i++) {
        ck_assert_str_eq(sc[i].name, order[i]);
        ck_assert_int_eq(sc[i].n_samples, 30);
        ck_assert_int_eq(sc[i].n_real, i == 1 ? 0 : 40);   /* IS uses no real images */
        ck_assert_int_eq(sc[i].has_std, i == 1 || i == 2);
        ck_assert_int_eq(sc[i].higher_is_better, i == 1 || i >= 3);
    }

    mx_extractor *x;
    ck_assert_int_eq(mx_classifier_open(fx.ctx, fx.ckpt, &x), GL_OK);
    by_hand r = extract(x, real, 2), f = extract(x, fake, 2);
    const int64_t d = 128;
    double *mu_r = malloc(d * sizeof(double)), *mu_f = malloc(d * sizeof(double));
    double *s_r = malloc(d * d * sizeof(double)), *s_f = malloc(d * d * sizeof(double));
    moments(&r, d, mu_r, s_r);
    moments(&f, d, mu_f, s_f);
    double fid, is_m, is_s, kid_m, kid_s, prec, rec;
    ck_assert_int_eq(genlab_frechet_distance(fx.ctx, d, mu_r, s_r, mu_f, s_f, &fid), GL_OK);
    ck_assert_int_eq(genlab_inception_score(fx.ctx, f.logits, 30, 3, 2, &is_m, &is_s), GL_OK);
    ck_assert_int_eq(genlab_kid(fx.ctx, r.feat, 40, f.feat, 30, d, 5, 10, 7, &kid_m, &kid_s),
                     GL_OK);
    ck_assert_int_eq(genlab_precision_recall(fx.ctx, r.feat, 40, f.feat, 30, d, 3, &prec, &rec),
                     GL_OK);
    /* 1e-9: the component's statistics are float64 sums in another order
     * (dsyrk on shifted rows) than these two passes */
    ck_assert_double_eq_tol(find_score(sc, n, "classifier_fid")->value, fid, 1e-9 * fid);
    /* the same functions on the same features: exactly */
    ck_assert_double_eq(find_score(sc, n, "classifier_is")->value, is_m);
    ck_assert_double_eq(find_score(sc, n, "classifier_is")->std, is_s);
    ck_assert_double_eq(find_score(sc, n, "classifier_kid")->value, kid_m);
    ck_assert_double_eq(find_score(sc, n, "classifier_kid")->std, kid_s);
    ck_assert_double_eq(find_score(sc, n, "classifier_precision")->value, prec);
    ck_assert_double_eq(find_score(sc, n, "classifier_recall")->value, rec);

    /* statistics() of each set: the same moments (1e-9 as above) */
    genlab_status (*stats)(genlab_ctx *, void *, genlab_metric_set, int64_t *, const double **,
                           const double **) = GL_IFACE_GET(m.mi, genlab_metric_i, statistics);
    ck_assert_ptr_nonnull(stats);
    int64_t dim;
    const double *mu, *sigma;
    ck_assert_int_eq(stats(fx.ctx, m.state, GL_SET_REAL, &dim, &mu, &sigma), GL_OK);
    ck_assert_int_eq(dim, d);
    for (int64_t i = 0; i < d * d; i++)
        ck_assert_double_eq_tol(sigma[i], s_r[i], 1e-9 * (1 + fabs(s_r[i])));
    for (int64_t i = 0; i < d; i++)
        ck_assert_double_eq_tol(mu[i], mu_r[i], 1e-9 * (1 + fabs(mu_r[i])));

    /* the protocol: everything it was measured with */
    char sha[65];
    sha256_of(fx.ckpt, sha);
    json_t *p = json_loads(m.mi->protocol(m.state), 0, NULL);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(jstr(p, "metric"), "classifier");
    ck_assert_str_eq(jstr(p, "feature_extractor"), x->name);
    ck_assert_str_eq(jstr(p, "weights_sha256"), sha);
    ck_assert_str_eq(jstr(p, "resize"), "none-8x8");
    ck_assert_str_eq(jstr(p, "genlab_version"), genlab_version());
    ck_assert_ptr_nonnull(strstr(jstr(p, "statistics"), "float64"));
    ck_assert_int_eq(jint(p, "feature_dim"), 128);
    ck_assert_int_eq(jint(p, "n_fake"), 30);
    ck_assert_int_eq(jint(p, "n_real"), 40);
    ck_assert_int_eq(jint(p, "is_splits"), 2);
    ck_assert_int_eq(jint(p, "is_logits"), 3);
    ck_assert_str_eq(jstr(p, "is_feature"), "fc");
    ck_assert_int_eq(jint(p, "kid_subsets"), 5);
    ck_assert_int_eq(jint(p, "kid_subset_size"), 10);
    ck_assert_int_eq(jint(p, "pr_k"), 3);
    ck_assert_int_eq(jint(p, "seed"), 7);
    json_t *ref = json_object_get(p, "fid_reference");
    ck_assert_str_eq(jstr(ref, "kind"), "real images");
    ck_assert_int_eq(jint(ref, "n"), 40);
    char *scores = json_dumps(json_object_get(p, "scores"), JSON_COMPACT);
    ck_assert_str_eq(scores, "[\"fid\",\"is\",\"kid\",\"pr\"]");
    free(scores);
    json_decref(p);

    /* reset: nothing left to score, the extractor kept */
    ck_assert_int_eq(m.mi->reset(m.state), GL_OK);
    ck_assert_int_eq(m.mi->compute(fx.ctx, m.state, sc, 8, &n), GL_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(fx.ctx), "0 real images"));
    genlab_ctx_clear_error(fx.ctx);
    p = json_loads(m.mi->protocol(m.state), 0, NULL);
    ck_assert_int_eq(jint(p, "n_fake"), 0);
    json_decref(p);

    free(mu_r), free(mu_f), free(s_r), free(s_f);
    free(r.feat), free(r.logits), free(f.feat), free(f.logits);
    x->destroy(x);
    for (int i = 0; i < 2; i++) {
        genlab_tensor_free(real[i]);
        genlab_tensor_free(fake[i]);
    }
    inst_close(&m);
}
END_TEST

/* a set against itself: FID 0 up to the eigenvalues' round-off; with its
 * statistics written as a .npz and given as ref, the same value as with the
 * real images, and the protocol names the file and its hash */
START_TEST(test_fid_self_and_ref)
{
    inst m;
    ck_assert_int_eq(inst_open(&m, "classifier", (const char *const[]){"scores=fid", NULL}),
                     GL_OK);
    genlab_tensor *a = images(300, 8, 21), *b = images(200, 8, 22);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_REAL, a), GL_OK);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_FAKE, a), GL_OK);
    genlab_score sc[1];
    int n;
    ck_assert_int_eq(m.mi->compute(fx.ctx, m.state, sc, 1, &n), GL_OK);
    genlab_status (*stats)(genlab_ctx *, void *, genlab_metric_set, int64_t *, const double **,
                           const double **) = GL_IFACE_GET(m.mi, genlab_metric_i, statistics);
    int64_t d;
    const double *mu, *sigma;
    ck_assert_int_eq(stats(fx.ctx, m.state, GL_SET_REAL, &d, &mu, &sigma), GL_OK);
    double trace = 0;
    for (int64_t i = 0; i < d; i++)
        trace += sigma[i * d + i];
    /* 1e-9 of the trace: what is left of tr(S) + tr(S) - 2 tr(S) after
     * square roots of eigenvalues in float64 */
    ck_assert_double_le(fabs(sc[0].value), 1e-9 * trace);

    /* the real set's statistics as a file */
    char npz[4300];
    snprintf(npz, sizeof npz, "%s/ref.npz", fx.dir);
    const genlab_npz_array arr[] = {{.name = "mu", .ndim = 1, .shape = {d}, .data = (double *)mu},
                                    {.name = "sigma", .ndim = 2, .shape = {d, d},
                                     .data = (double *)sigma}};
    ck_assert_int_eq(genlab_npz_write(fx.ctx, npz, arr, 2), GL_OK);
    double with_images;
    ck_assert_int_eq(m.mi->reset(m.state), GL_OK);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_REAL, a), GL_OK);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_FAKE, b), GL_OK);
    ck_assert_int_eq(m.mi->compute(fx.ctx, m.state, sc, 1, &n), GL_OK);
    with_images = sc[0].value;
    ck_assert_int_eq(sc[0].n_real, 300);
    inst_close(&m);

    char ref_kv[4400];
    snprintf(ref_kv, sizeof ref_kv, "ref=%s", npz);
    ck_assert_int_eq(inst_open(&m, "classifier", (const char *const[]){"scores=fid", ref_kv,
                                                                        NULL}), GL_OK);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_FAKE, b), GL_OK);
    ck_assert_int_eq(m.mi->compute(fx.ctx, m.state, sc, 1, &n), GL_OK);
    ck_assert_double_eq(sc[0].value, with_images);   /* the very numbers, through a file */
    ck_assert_int_eq(sc[0].n_real, 0);
    json_t *p = json_loads(m.mi->protocol(m.state), 0, NULL);
    json_t *ref = json_object_get(p, "fid_reference");
    char sha[65];
    sha256_of(npz, sha);
    ck_assert_str_eq(jstr(ref, "kind"), "npz");
    ck_assert_str_eq(jstr(ref, "path"), npz);
    ck_assert_str_eq(jstr(ref, "sha256"), sha);
    ck_assert_ptr_null(json_object_get(p, "is_splits"));   /* only what was asked for */
    json_decref(p);
    /* real images have no use now: refused rather than ignored */
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_REAL, a), GL_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(fx.ctx), "real images are of no use"));
    genlab_ctx_clear_error(fx.ctx);
    inst_close(&m);
    genlab_tensor_free(a);
    genlab_tensor_free(b);
}
END_TEST

/* fewer images than features: a warning, and still a finite FID */
START_TEST(test_singular_warning)
{
    inst m;
    ck_assert_int_eq(inst_open(&m, "classifier", (const char *const[]){"scores=fid", NULL}),
                     GL_OK);
    genlab_tensor *a = images(40, 8, 31), *b = images(12, 8, 32);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_REAL, a), GL_OK);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_FAKE, b), GL_OK);
    fx.log[0] = '\0';
    genlab_score sc[1];
    int n;
    ck_assert_int_eq(m.mi->compute(fx.ctx, m.state, sc, 1, &n), GL_OK);
    ck_assert(isfinite(sc[0].value) && sc[0].value > 0);
    ck_assert_msg(strstr(fx.log, "12 generated images for 128 features: their covariance is "
                                 "singular") && strstr(fx.log, "use at least 129"), "%s", fx.log);
    ck_assert_msg(strstr(fx.log, "40 real images"), "%s", fx.log);
    inst_close(&m);
    genlab_tensor_free(a);
    genlab_tensor_free(b);
}
END_TEST

/* ---- errors ---- */

/* Files that are not what they should be, written by make_bad. */
typedef enum { BAD_NONE, BAD_TEXT, BAD_OTHER_TRAINER, BAD_SHAPES, BAD_NPZ_DIM } bad_file;

static void make_bad(bad_file kind, const char *path)
{
    genlab_ckpt_writer *w;
    switch (kind) {
    case BAD_NONE:
        break;
    case BAD_TEXT:
        tu_write(path, "these are not weights\n", 22);
        break;
    case BAD_OTHER_TRAINER:
    case BAD_SHAPES: {
        float z[4 * 128] = {0};
        ck_assert_int_eq(genlab_ckpt_writer_create(fx.ctx, &w), GL_OK);
        genlab_ckpt_set_meta(w, "genlab.trainer", kind == BAD_SHAPES ? "classifier" : "gan");
        genlab_ckpt_add(w, "model.params.conv1.weight", "F32", 4, TU_SHAPE(32, 1, 1, 3), z);
        genlab_ckpt_add(w, "model.params.fc1.weight", "F32", 2, TU_SHAPE(128, 3), z);
        genlab_ckpt_add(w, "model.params.fc2.weight", "F32", 2, TU_SHAPE(3, 128), z);
        ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
        genlab_ckpt_writer_free(w);
        break;
    }
    case BAD_NPZ_DIM: {
        double v[25] = {0};
        const genlab_npz_array a[] = {{.name = "mu", .ndim = 1, .shape = {5}, .data = v},
                                      {.name = "sigma", .ndim = 2, .shape = {5, 5}, .data = v}};
        ck_assert_int_eq(genlab_npz_write(fx.ctx, path, a, 2), GL_OK);
        break;
    }
    }
}

static const struct {
    const char   *component;
    const char   *key;         /* the parameter the bad file is given as; NULL: none */
    bad_file      file;
    const char   *other;       /* another parameter, "key=value"; NULL: none */
    genlab_status status;
    const char   *msg;         /* part of the message (the file's path is checked too) */
} bad_cases[] = {
    /* a weights file that does not exist */
    {"classifier", "weights", BAD_NONE, NULL, GL_ERR_IO, "classifier weights"},
    /* not a checkpoint at all */
    {"classifier", "weights", BAD_TEXT, NULL, GL_ERR_FORMAT, ""},
    /* another trainer's checkpoint */
    {"classifier", "weights", BAD_OTHER_TRAINER, NULL, GL_ERR_FORMAT,
     "not a checkpoint of the trainer classifier (its trainer is \"gan\")"},
    /* the classifier's names with shapes no classifier has */
    {"classifier", "weights", BAD_SHAPES, NULL, GL_ERR_FORMAT, "fit no classifier genlab builds"},
    /* the classifier's checkpoint is no Inception */
    {"inception", "weights", BAD_SHAPES, NULL, GL_ERR_FORMAT, ""},
    /* a reference that is missing, unreadable, or another extractor's */
    {"classifier", "ref", BAD_NONE, NULL, GL_ERR_IO, "reference statistics"},
    {"classifier", "ref", BAD_TEXT, NULL, GL_ERR_FORMAT, ""},
    {"classifier", "ref", BAD_NPZ_DIM, NULL, GL_ERR_FORMAT, "needs mu (128) and sigma (128, 128)"},
    /* scores lists */
    {"classifier", NULL, BAD_NONE, "scores=fid,fid", GL_ERR_INVALID, "repeated \"fid\""},
    {"classifier", NULL, BAD_NONE, "scores=fid,lpips", GL_ERR_INVALID, "unknown score \"lpips\""},
    {"classifier", NULL, BAD_NONE, "scores=", GL_ERR_INVALID, "unknown score \"\""},
};

START_TEST(test_bad_inputs)
{
    char path[4300], kv[2][4400];
    snprintf(path, sizeof path, "%s/bad-%d.file", fx.dir, _i);
    make_bad(bad_cases[_i].file, path);
    int k = 0;
    if (bad_cases[_i].key)
        snprintf(kv[k++], sizeof kv[0], "%s=%s", bad_cases[_i].key, path);
    if (bad_cases[_i].other)
        snprintf(kv[k++], sizeof kv[0], "%s", bad_cases[_i].other);
    const char *const args[] = {k > 0 ? kv[0] : NULL, k > 1 ? kv[1] : NULL, NULL};
    inst m;
    genlab_status st = inst_open(&m, bad_cases[_i].component, args);
    ck_assert_msg(st == bad_cases[_i].status, "case %d: %d (%s)", _i, st,
                  genlab_ctx_errmsg(fx.ctx));
    ck_assert_msg(strstr(genlab_ctx_errmsg(fx.ctx), bad_cases[_i].msg), "case %d: %s", _i,
                  genlab_ctx_errmsg(fx.ctx));
    if (bad_cases[_i].key)
        ck_assert_msg(strstr(genlab_ctx_errmsg(fx.ctx), path), "case %d: %s", _i,
                      genlab_ctx_errmsg(fx.ctx));
    genlab_ctx_clear_error(fx.ctx);
    inst_close(&m);
    remove(path);
}
END_TEST

/* images the extractor refuses, and scores that need more than was added */
START_TEST(test_bad_use)
{
    inst m;
    ck_assert_int_eq(inst_open(&m, "classifier", (const char *const[]){"scores=is,kid",
                                                                        "kid_subset_size=20",
                                                                        NULL}), GL_OK);
    genlab_tensor *big = images(2, 12, 41), *few = images(5, 8, 42);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_FAKE, big), GL_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(fx.ctx), "not (2, 1, 12, 12)"));
    genlab_ctx_clear_error(fx.ctx);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_FAKE, few), GL_OK);
    genlab_score sc[4];
    int n;
    /* IS: 5 images for 10 splits */
    ck_assert_int_eq(m.mi->compute(fx.ctx, m.state, sc, 4, &n), GL_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(fx.ctx), "5 generated images for 10 splits"));
    genlab_ctx_clear_error(fx.ctx);
    /* room for fewer scores than asked for */
    ck_assert_int_eq(m.mi->compute(fx.ctx, m.state, sc, 1, &n), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(fx.ctx), "room for 1 scores, 2 asked for"));
    genlab_ctx_clear_error(fx.ctx);
    inst_close(&m);
    genlab_tensor_free(big);
    genlab_tensor_free(few);
}
END_TEST

/* ---- inception ---- */

/* the inception component on formula weights: what its protocol says.
 * No forward: the network's values are test_inception's, and the metric's
 * use of an extractor's features and logits is the same code the
 * classifier cases run (a forward costs minutes under valgrind). */
START_TEST(test_inception)
{
    char w[4300], sha[65];
    snprintf(w, sizeof w, "%s/inception.safetensors", fx.dir);
    ck_assert_int_eq(tu_inception_write(fx.ctx, w), GL_OK);
    sha256_of(w, sha);
    char kv[4400];
    snprintf(kv, sizeof kv, "weights=%s", w);
    inst m;
    ck_assert_msg(inst_open(&m, "inception", (const char *const[]){kv, "resize=clean-fid",
                                                                    "scores=fid,is,kid", NULL})
                      == GL_OK, "%s", genlab_ctx_errmsg(fx.ctx));
    json_t *p = json_loads(m.mi->protocol(m.state), 0, NULL);
    ck_assert_str_eq(jstr(p, "metric"), "inception");
    ck_assert_str_eq(jstr(p, "feature_extractor"), "inception-v3-fid");
    ck_assert_str_eq(jstr(p, "weights_sha256"), sha);
    ck_assert_str_eq(jstr(p, "resize"), "clean-fid-bicubic-299");
    ck_assert_int_eq(jint(p, "feature_dim"), 2048);
    ck_assert_int_eq(jint(p, "is_logits"), 1008);
    /* torch-fidelity's IS feature, logits_unbiased (test_inception checks the values) */
    ck_assert_str_eq(jstr(p, "is_feature"), "fc-without-bias");
    /* torch-fidelity's defaults */
    ck_assert_int_eq(jint(p, "is_splits"), 10);
    ck_assert_int_eq(jint(p, "kid_subsets"), 100);
    ck_assert_int_eq(jint(p, "kid_subset_size"), 1000);
    ck_assert_str_eq(jstr(json_object_get(p, "fid_reference"), "kind"), "real images");
    json_decref(p);
    inst_close(&m);
    /* the default scores are fid and is, the default resize pytorch-fid's */
    ck_assert_int_eq(inst_open(&m, "inception", (const char *const[]){kv, NULL}), GL_OK);
    p = json_loads(m.mi->protocol(m.state), 0, NULL);
    char *scores = json_dumps(json_object_get(p, "scores"), JSON_COMPACT);
    ck_assert_str_eq(scores, "[\"fid\",\"is\"]");
    ck_assert_str_eq(jstr(p, "resize"), "pytorch-fid-bilinear-299");
    free(scores);
    json_decref(p);
    inst_close(&m);
    remove(w);
}
END_TEST

/* ---- store ---- */

/* a metric's scores as the store's rows: value, std, counts, protocol */
START_TEST(test_store_rows)
{
    inst m;
    ck_assert_int_eq(inst_open(&m, "classifier", (const char *const[]){"scores=fid,kid",
                                                                        "kid_subsets=3",
                                                                        "kid_subset_size=8",
                                                                        NULL}), GL_OK);
    genlab_tensor *a = images(20, 8, 61), *b = images(16, 8, 62);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_REAL, a), GL_OK);
    ck_assert_int_eq(m.mi->add(fx.ctx, m.state, GL_SET_FAKE, b), GL_OK);
    genlab_score sc[2];
    int n;
    ck_assert_int_eq(m.mi->compute(fx.ctx, m.state, sc, 2, &n), GL_OK);
    const char *proto = m.mi->protocol(m.state);
    genlab_score_row rows[2];
    for (int i = 0; i < n; i++)
        rows[i] = (genlab_score_row){.step = 12, .metric = sc[i].name, .value = sc[i].value,
                                     .higher_is_better = sc[i].higher_is_better,
                                     .n_samples = sc[i].n_samples, .n_real = sc[i].n_real,
                                     .has_std = sc[i].has_std, .std = sc[i].std,
                                     .protocol_json = proto, .n_splits = i ? 3 : 1};
    ck_assert_int_eq(genlab_store_scores_add(fx.store, fx.run_id, rows, (size_t)n), GL_OK);
    /* 17 digits: the literal parses back to the very double stored */
    ck_assert_str_eq(q("SELECT std = %.17g AND value = %.17g FROM scores WHERE metric = "
                       "'classifier_kid'", sc[1].std, sc[1].value), "1");
    ck_assert_str_eq(q("SELECT coalesce(std, 'NULL') || ' ' || n_samples || ' ' || n_real || ' ' "
                       "|| json_extract(protocol, '$.kid_subset_size') FROM scores WHERE metric "
                       "= 'classifier_fid'"), "NULL 16 20 8");
    ck_assert_str_eq(q("SELECT genlab_version FROM scores WHERE metric = 'classifier_fid'"),
                     genlab_version());
    inst_close(&m);
    genlab_tensor_free(a);
    genlab_tensor_free(b);
}
END_TEST

/* ---- suite ---- */

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("classifier");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);   /* a training run and several forwards, under valgrind too */
    tcase_add_test(tc, test_trainer);
    tcase_add_test(tc, test_trainer_samples_nothing);
    tcase_add_test(tc, test_trainer_refuses);
    tcase_add_test(tc, test_extractor);
    tcase_add_test(tc, test_scores_by_hand);
    tcase_add_test(tc, test_fid_self_and_ref);
    tcase_add_test(tc, test_singular_warning);
    tcase_add_loop_test(tc, test_bad_inputs, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_bad_use);
    tcase_add_test(tc, test_store_rows);
    suite_add_tcase(s, tc);

    tc = tcase_create("inception");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);   /* a 95 MB weights file written, hashed twice and
                                   * loaded twice: minutes under valgrind */
    tcase_add_test(tc, test_inception);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(metrics_suite()); }
