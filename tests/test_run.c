/* SPDX-License-Identifier: MIT
 *
 * test_run.c — the run loop (run.h) driving the mock plugin's trainer and
 * dataset into a store in a temporary directory: a completed run and what
 * it records (every parameter, defaults included; curves; plugin versions;
 * the dataset's identity), configurations refused before any row is
 * written, a stop flag set mid-run, a NaN loss, a hostile string stored
 * verbatim, a trainer without data, the learning-rate curve and the data
 * order's dependence on the seed alone.
 *
 * Everything is checked through SQL on the store, as a user would read it.
 * No timing is asserted (bench/bench_run measures the cost of logging).
 *
 * Sections: fixture, a completed run, refused before the run, endings,
 * values.
 */
#include <math.h>
#include <stdarg.h>

#include "genlab/genlab.h"
#include "genlab/run.h"
#include "testutil.h"

/* ---- fixture ---- */

typedef struct fixture {
    char             dir[4096], db[4200];
    genlab_registry *reg;
    genlab_store    *store;
    genlab_config   *cfg;
    char             text[4096];   /* q(): the first column of the first row */
    bool             null;         /* ... was SQL NULL */
    int              rows;         /* ... rows the query gave */
} fixture;

static void setup(fixture *f)
{
    memset(f, 0, sizeof *f);
    tu_tmpdir(f->dir, sizeof f->dir);
    snprintf(f->db, sizeof f->db, "%s/run.db", f->dir);
    ck_assert_int_eq(genlab_registry_create(GL_TEST_PLUGIN_DIR, &f->reg), GL_OK);
    ck_assert_int_eq(genlab_plugin_load(f->reg, GL_TEST_PLUGIN_DIR "/mock_plugin.so"), GL_OK);
    ck_assert_int_eq(genlab_plugin_load(f->reg, GL_TEST_PLUGIN_DIR "/fit_plugin.so"), GL_OK);
    ck_assert_int_eq(genlab_store_open(f->db, false, &f->store), GL_OK);
}

static void teardown(fixture *f)
{
    genlab_config_destroy(f->cfg);
    ck_assert_int_eq(genlab_store_close(f->store), GL_OK);
    genlab_registry_destroy(f->reg);
    tu_rmtree(f->dir);
}

/* configure — a new configuration: the core's keys (unless !core),
 * key=value arguments (NULL-terminated), resolved. Returns resolve's status. */
static genlab_status configure(fixture *f, bool core, const char *const *args)
{
    static const genlab_param_def other[] = {
        {.name = "y", .type = GL_PARAM_INT, .def = "1", .help = "not a core key"},
    };
    genlab_config_destroy(f->cfg);
    ck_assert_int_eq(genlab_config_create(&f->cfg), GL_OK);
    ck_assert_int_eq(core ? genlab_run_declare(f->cfg) : genlab_config_declare(f->cfg, "x", other, 1),
                     GL_OK);
    int n = 0;
    while (args[n])
        n++;
    ck_assert_int_eq(genlab_config_set_args(f->cfg, n, args), GL_OK);
    return genlab_config_resolve(f->cfg, f->reg);
}

static int q_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    fixture *f = user;
    if (f->rows++ == 0) {
        f->null = !values[0];
        snprintf(f->text, sizeof f->text, "%s", values[0] ? values[0] : "");
    }
    return 0;
}

/* q — run a read-only query; the first column of its first row as text */
static const char *q(fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *q(fixture *f, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    f->rows = 0;
    f->null = false;
    f->text[0] = '\0';
    ck_assert_msg(genlab_store_query(f->store, sql, q_row, f) == GL_OK, "%s: %s", sql,
                  genlab_store_errmsg(f->store));
    return f->text;
}

/* what the callbacks saw */
typedef struct seen {
    int     started, progress;
    int64_t run_id, last_step, total;
    char    uuid[37];
    int64_t stop_after;            /* set *stop once this many steps are done (0: never) */
    volatile sig_atomic_t stop;
} seen;

static void on_started(void *user, int64_t run_id, const char *uuid)
{
    seen *s = user;
    s->started++;
    s->run_id = run_id;
    snprintf(s->uuid, sizeof s->uuid, "%s", uuid);
}

static void on_progress(void *user, int64_t step, int64_t total, double loss)
{
    (void)loss;
    seen *s = user;
    ck_assert_int_eq(step, s->last_step + 1);   /* every step, in order */
    s->progress++;
    s->last_step = step;
    s->total = total;
    if (s->stop_after && step == s->stop_after)
        s->stop = 1;
}

/* train — configure with args and run; the result in *r */
static genlab_status train(fixture *f, const char *const *args, seen *s, genlab_run_result *r)
{
    genlab_status st = configure(f, true, args);
    ck_assert_msg(st == GL_OK, "%s", genlab_config_errmsg(f->cfg));
    genlab_run_options o = {.command_line = "genlab train (test_run)", .stop = &s->stop,
                            .started = on_started, .progress = on_progress, .user = s};
    return genlab_run_train(f->reg, f->cfg, f->store, &o, r);
}

/* ---- a completed run ---- */

START_TEST(test_completed)
{
    fixture f;
    setup(&f);
    seen s = {0};
    genlab_run_result r;
    const char *const args[] = {"train.trainer=mock", "train.dataset=mock", "train.steps=25",
                                "train.batch=3", "train.name=first", "mock.n_critic=1", NULL};
    ck_assert_msg(train(&f, args, &s, &r) == GL_OK, "%s", r.message);
    ck_assert_int_eq(r.status, GL_RUN_COMPLETED);
    ck_assert_int_eq(r.steps_done, 25);
    ck_assert_int_eq(r.steps_total, 25);
    ck_assert_str_eq(r.message, "");
    ck_assert(isfinite(r.loss));
    ck_assert(r.seconds >= r.step_seconds && r.step_seconds > 0);
    ck_assert_int_eq(s.started, 1);
    ck_assert_int_eq(s.run_id, r.run_id);
    ck_assert_str_eq(s.uuid, r.uuid);
    ck_assert_int_eq(s.progress, 25);
    ck_assert_int_eq(s.total, 25);

    /* the row */
    ck_assert_str_eq(q(&f, "SELECT status || ',' || trainer || ',' || name || ',' || seed || ','"
                           " || dataset_hash || ',' || command_line FROM runs WHERE id = %lld",
                       (long long)r.run_id),
                     "completed,mock,first,0,mock:100,genlab train (test_run)");
    ck_assert_str_eq(q(&f, "SELECT uuid FROM runs"), r.uuid);
    ck_assert_str_eq(q(&f, "SELECT genlab_version FROM runs"), genlab_version());
    q(&f, "SELECT error_code FROM runs");
    ck_assert(f.null);
    ck_assert_str_eq(q(&f, "SELECT json_extract(config, '$.\"train.steps\"') FROM runs"), "25");
    /* the plugin modules used, with their versions */
    ck_assert_str_eq(q(&f, "SELECT json_array_length(plugin_versions) || ' ' || "
                           "json_extract(plugin_versions, '$[0].name') || ' ' || "
                           "json_extract(plugin_versions, '$[0].version') FROM runs"),
                     "1 mock 1.2.3");

    /* every resolved parameter, defaults included, with its type */
    ck_assert_int_eq(atoi(q(&f, "SELECT count(*) FROM params")), (int)genlab_config_count(f.cfg));
    static const char *const expect[][3] = {
        {"train.steps", "25", "int"},          /* given */
        {"train.log_every", "10", "int"},      /* core default */
        {"optim.lr", "0.001", "float"},
        {"optim.schedule", "constant", "enum"},
        {"train.dataset", "mock", "component"},
        {"mock.z_dim", "4", "int"},            /* trainer's default */
        {"loss.weight", "1", "float"},         /* a bound component's default */
        {"dataset.n_items", "100", "int"},
        {"generator.scale", "1", "float"},
        {"train.backend", "cpu", "string"},    /* "auto" recorded as the backend used */
        {"train.device", "cpu", "string"},     /* the CPU backend names no other device */
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "%s %s", expect[i][1], expect[i][2]);
        ck_assert_str_eq(q(&f, "SELECT value || ' ' || type FROM params WHERE key = '%s'",
                           expect[i][0]), want);
    }

    /* curves: steps 0, 10, 20 and the last, each with the step's scalars,
     * lr and the two times */
    ck_assert_str_eq(q(&f, "SELECT group_concat(step) FROM (SELECT step FROM metrics "
                           "WHERE key = 'd_loss' ORDER BY step)"),
                     "0,10,20,24");
    ck_assert_str_eq(q(&f, "SELECT group_concat(key) FROM (SELECT DISTINCT key FROM metrics "
                           "ORDER BY key)"),
                     "d_loss,data_time,g_loss,lr,schedule,step_time");
    ck_assert_int_eq(atoi(q(&f, "SELECT count(*) FROM metrics")), 4 * 6);
    ck_assert_str_eq(q(&f, "SELECT value FROM metrics WHERE key = 'lr' AND step = 0"), "0.001");
    ck_assert_int_eq(atoi(q(&f, "SELECT count(*) FROM metrics WHERE key IN ('data_time', "
                               "'step_time') AND value >= 0")), 8);
    teardown(&f);
}
END_TEST

/* ---- refused before the run ---- */

/* One configuration per row that must leave no run: what resolve says,
 * then what genlab_run_train says when given the configuration anyway. */
static const struct {
    const char   *name;
    bool          core;          /* declared with genlab_run_declare */
    const char   *args[5];     /* NULL-terminated */
    genlab_status resolve, run;
    const char   *msg;           /* in resolve's message, or else the run's */
} refused[] = {
    /* a misspelt key: one message with a suggestion; the run refuses an
     * unresolved configuration */
    {"unknown key", true, {"train.trainer=mock", "mock.n_crtic=3", NULL}, GL_ERR_INVALID,
     GL_ERR_STATE, "unknown key \"mock.n_crtic\"; did you mean \"mock.n_critic\"?"},
    /* the trainer is required: the core knows no plugin by name */
    {"no trainer", true, {"train.steps=5", NULL}, GL_ERR_INVALID, GL_ERR_STATE,
     "train.trainer: required"},
    {"unknown trainer", true, {"train.trainer=gan", NULL}, GL_ERR_INVALID, GL_ERR_STATE,
     "no trainer named \"gan\" (known: mock, fit)"},
    {"out of range", true, {"train.trainer=mock", "train.batch=0", NULL}, GL_ERR_INVALID,
     GL_ERR_STATE, "train.batch = \"0\": out of range (allowed: [1, 65536])"},
    /* valid values that do not fit together: refused by the run's setup */
    {"warm-up too long", true,
     {"train.trainer=mock", "train.steps=10", "optim.schedule=cosine", "optim.warmup=10", NULL},
     GL_OK, GL_ERR_INVALID, "warmup"},
    /* a configuration without the core's keys */
    {"not declared", false, {NULL}, GL_OK, GL_ERR_STATE, "genlab_run_declare"},
};

START_TEST(test_refused)
{
    fixture f;
    setup(&f);
    genlab_status st = configure(&f, refused[_i].core, refused[_i].args);
    ck_assert_int_eq(st, refused[_i].resolve);
    genlab_run_result r;
    ck_assert_int_eq(genlab_run_train(f.reg, f.cfg, f.store, NULL, &r), refused[_i].run);
    const char *msg = st != GL_OK ? genlab_config_errmsg(f.cfg) : r.message;
    ck_assert_msg(strstr(msg, refused[_i].msg), "message \"%s\" lacks \"%s\"", msg,
                  refused[_i].msg);
    ck_assert_int_eq(r.run_id, 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.uuid, "");
    ck_assert_str_eq(q(&f, "SELECT count(*) FROM runs"), "0");
    ck_assert_str_eq(q(&f, "SELECT count(*) FROM params"), "0");
    teardown(&f);
}
END_TEST

/* ---- endings ---- */

/* the stop flag, set between steps 7 and 8, ends the run 'interrupted'
 * with every point logged so far written, and the last step done too */
START_TEST(test_interrupted)
{
    fixture f;
    setup(&f);
    /* nothing is written before the run ends, unless the end flushes */
    ck_assert_int_eq(genlab_store_set_metric_flush(f.store, 1000000, 1e6), GL_OK);
    seen s = {.stop_after = 7};
    genlab_run_result r;
    const char *const args[] = {"train.trainer=mock", "train.dataset=mock", "train.steps=100",
                                "train.log_every=5", NULL};
    ck_assert_int_eq(train(&f, args, &s, &r), GL_ERR_INTERRUPTED);
    ck_assert_int_eq(r.status, GL_RUN_INTERRUPTED);
    ck_assert_int_eq(r.steps_done, 7);
    ck_assert_str_eq(r.message, "interrupted after 7 of 100 steps");
    ck_assert_str_eq(q(&f, "SELECT status || ' ' || error_code || ' ' || error_message || ' ' || "
                           "(ended IS NOT NULL) FROM runs"),
                     "interrupted 12 interrupted after 7 of 100 steps 1");
    /* points 0 and 5 on schedule, 6 (the last step done) at the stop */
    ck_assert_str_eq(q(&f, "SELECT group_concat(step) FROM (SELECT step FROM metrics "
                           "WHERE key = 'd_loss' ORDER BY step)"),
                     "0,5,6");
    ck_assert_str_eq(q(&f, "SELECT count(*) FROM metrics"), "18");

    /* a flag already set: the run starts and stops before its first step */
    s = (seen){.stop = 1};
    ck_assert_int_eq(train(&f, args, &s, &r), GL_ERR_INTERRUPTED);
    ck_assert_int_eq(r.steps_done, 0);
    ck_assert_int_eq(s.started, 1);
    ck_assert_str_eq(q(&f, "SELECT status FROM runs WHERE id = %lld", (long long)r.run_id),
                     "interrupted");
    ck_assert_str_eq(q(&f, "SELECT count(*) FROM metrics WHERE run_id = %lld",
                       (long long)r.run_id), "0");
    teardown(&f);
}
END_TEST

/* a NaN loss fails the run with GL_ERR_NUMERIC, naming the metric and step */
START_TEST(test_nan_loss)
{
    fixture f;
    setup(&f);
    seen s = {0};
    genlab_run_result r;
    const char *const args[] = {"train.trainer=mock", "train.dataset=mock", "train.steps=20",
                                "train.log_every=100", "mock.nan_at=3", NULL};
    ck_assert_int_eq(train(&f, args, &s, &r), GL_ERR_NUMERIC);
    ck_assert_int_eq(r.status, GL_RUN_FAILED);
    ck_assert_int_eq(r.steps_done, 3);
    ck_assert_str_eq(r.message, "step 3: metric \"d_loss\" is nan");
    ck_assert_str_eq(q(&f, "SELECT status || ' ' || error_code || ' ' || error_message FROM runs"),
                     "failed 8 step 3: metric \"d_loss\" is nan");
    /* the failing step is on the curve, its NaN stored as NULL */
    ck_assert_str_eq(q(&f, "SELECT group_concat(step || ':' || ifnull(value, 'NULL')) FROM "
                           "(SELECT step, value FROM metrics WHERE key = 'd_loss' AND step > 0 "
                           "ORDER BY step)"),
                     "3:NULL");
    ck_assert_str_eq(q(&f, "SELECT count(*) FROM metrics WHERE key = 'd_loss' AND step = 0"), "1");
    teardown(&f);
}
END_TEST

/* a trainer that reads batches without a dataset fails its first step */
START_TEST(test_no_dataset)
{
    fixture f;
    setup(&f);
    seen s = {0};
    genlab_run_result r;
    const char *const args[] = {"train.trainer=mock", "train.steps=3", NULL};
    ck_assert_int_eq(train(&f, args, &s, &r), GL_ERR_STATE);
    ck_assert_int_eq(r.status, GL_RUN_FAILED);
    ck_assert_msg(strstr(r.message, "step 0: trainer \"mock\" reads batches, but no dataset is "
                                    "configured (set train.dataset)"), "%s", r.message);
    ck_assert_str_eq(q(&f, "SELECT status FROM runs"), "failed");
    /* the optional component is recorded as chosen: none */
    ck_assert_str_eq(q(&f, "SELECT '[' || value || '] ' || type FROM params "
                           "WHERE key = 'train.dataset'"), "[] component");
    q(&f, "SELECT dataset_hash FROM runs");
    ck_assert(f.null);
    teardown(&f);
}
END_TEST

/* ---- checkpoints ---- */

/* The fit trainer (weights, Adam, EMA, input noise from the context) on
 * noisy mock data (noise from the loader's data stream), batches crossing
 * epochs: everything a resume must restore. */
#define FIT_ARGS "train.trainer=fit", "train.dataset=mock", "dataset.n_items=10", \
    "dataset.noise=0.3", \
    "train.batch=3", "train.drop_last=false", "train.log_every=1", "train.seed=3", \
    "train.ckpt_every=5", "train.ckpt_keep=2"

/* curve — the run's loss curve from step `from` on, as text */
static void curve(fixture *f, int64_t run_id, int from, char *buf, size_t size)
{
    snprintf(buf, size, "%s", q(f, "SELECT group_concat(v) FROM (SELECT step || ':' || "
                                   "printf('%%.17g', value) AS v FROM metrics WHERE run_id = %lld "
                                   "AND key = 'loss' AND step >= %d ORDER BY step)",
                                (long long)run_id, from));
}

/* ckpt_dir — where the run's checkpoints are by default */
static const char *ckpt_dir(fixture *f, const char *uuid, char *buf, size_t size)
{
    snprintf(buf, size, "%s/checkpoints/%s", f->dir, uuid);
    return buf;
}

START_TEST(test_resume_identical)
{
    fixture f;
    setup(&f);
    char dir_a[4200], dir_b[4200], path[4300], want[8192], got[8192];
    genlab_run_result a, b, c;
    genlab_ctx *ctx = tu_ctx(1);   /* for the checkpoint directory's functions */

    /* A: 20 steps straight */
    seen s = {0};
    const char *const args[] = {FIT_ARGS, "train.steps=20", NULL};
    ck_assert_msg(train(&f, args, &s, &a) == GL_OK, "%s", a.message);
    ckpt_dir(&f, a.uuid, dir_a, sizeof dir_a);
    /* saved at 5, 10, 15 and the end; the two newest kept, all recorded */
    ck_assert_str_eq(q(&f, "SELECT count(*) FROM artifacts WHERE run_id = %lld AND kind = "
                           "'checkpoint'", (long long)a.run_id), "4");
    int64_t step;
    ck_assert_int_eq(genlab_ckpt_latest(ctx, dir_a, path, sizeof path, &step), GL_OK);
    ck_assert_int_eq(step, 20);
    ck_assert(access(genlab_ckpt_name(path, sizeof path, dir_a, 15), F_OK) == 0);
    ck_assert(access(genlab_ckpt_name(path, sizeof path, dir_a, 10), F_OK) != 0);

    /* B: the same run stopped after 12 steps: a checkpoint at the stop */
    s = (seen){.stop_after = 12};
    ck_assert_int_eq(train(&f, args, &s, &b), GL_ERR_INTERRUPTED);
    ckpt_dir(&f, b.uuid, dir_b, sizeof dir_b);
    ck_assert_int_eq(genlab_ckpt_latest(ctx, dir_b, path, sizeof path, &step), GL_OK);
    ck_assert_int_eq(step, 12);

    /* C: B resumed from it goes on at step 12 and ends where A did */
    s = (seen){.last_step = 12};
    genlab_status st = configure(&f, true, args);
    ck_assert_int_eq(st, GL_OK);
    genlab_run_options o = {.command_line = "resume", .stop = &s.stop, .started = on_started,
                            .progress = on_progress, .user = &s, .resume_from = path,
                            .parent_uuid = b.uuid};
    ck_assert_msg(genlab_run_train(f.reg, f.cfg, f.store, &o, &c) == GL_OK, "%s", c.message);
    ck_assert_int_eq(c.steps_done, 20);
    ck_assert_int_eq(s.progress, 8);
    ck_assert_str_eq(q(&f, "SELECT parent_uuid FROM runs WHERE id = %lld", (long long)c.run_id),
                     b.uuid);
    /* the state it ends with is A's, bit for bit, and so is its curve */
    char end_a[4300], end_c[4300], dir_c[4200];
    genlab_ckpt_name(end_a, sizeof end_a, dir_a, 20);
    genlab_ckpt_name(end_c, sizeof end_c, ckpt_dir(&f, c.uuid, dir_c, sizeof dir_c), 20);
    tu_same_checkpoints(end_a, end_c, 6);   /* params, 2 moments, step, shadow, updates */
    curve(&f, a.run_id, 12, want, sizeof want);
    curve(&f, c.run_id, 0, got, sizeof got);
    ck_assert_int_eq(strncmp(got, "12:", 3), 0);
    ck_assert_str_eq(got, want);
    genlab_ctx_destroy(ctx);
    teardown(&f);
}
END_TEST

/* resume_error — resuming from path with args must fail before any row */
static void resume_error(fixture *f, const char *const *args, const char *path, genlab_status want,
                         const char *msg)
{
    seen s = {0};
    genlab_run_result r;
    ck_assert_int_eq(configure(f, true, args), GL_OK);
    genlab_run_options o = {.resume_from = path, .user = &s};
    ck_assert_int_eq(genlab_run_train(f->reg, f->cfg, f->store, &o, &r), want);
    ck_assert_int_eq(r.run_id, 0);
    ck_assert_msg(strstr(r.message, msg), "'%s' lacks '%s'", r.message, msg);
}

START_TEST(test_resume_refused)
{
    fixture f;
    setup(&f);
    seen s = {0};
    genlab_run_result r;
    const char *const args[] = {FIT_ARGS, "train.steps=6", NULL};
    ck_assert_msg(train(&f, args, &s, &r) == GL_OK, "%s", r.message);
    char dir[4200], path[4300], bad[4400];
    ckpt_dir(&f, r.uuid, dir, sizeof dir);
    genlab_ckpt_name(path, sizeof path, dir, 6);
    int runs = atoi(q(&f, "SELECT count(*) FROM runs"));

    const char *const done[] = {FIT_ARGS, "train.steps=6", NULL};
    resume_error(&f, done, path, GL_ERR_INVALID, "nothing left to do");
    const char *const mock[] = {"train.trainer=mock", "train.dataset=mock", NULL};
    resume_error(&f, mock, path, GL_ERR_UNSUPPORTED, "trainer \"mock\" cannot be checkpointed");
    const char *const other_data[] = {FIT_ARGS, "train.steps=9", "dataset.n_items=12", NULL};
    resume_error(&f, other_data, path, GL_ERR_INVALID,
                 "the dataset has changed since (hash mock:10 then, mock:12 now)");
    /* same data identity, other image size: the weights' shapes differ */
    const char *const other_shape[] = {FIT_ARGS, "train.steps=9", "dataset.size=5", NULL};
    resume_error(&f, other_shape, path, GL_ERR_FORMAT, "\"model.params.fc.weight\" has shape");
    /* a truncated file */
    FILE *in = fopen(path, "rb");
    ck_assert_ptr_nonnull(in);
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf, in);
    fclose(in);
    snprintf(bad, sizeof bad, "%s/truncated.safetensors", f.dir);
    tu_write(bad, buf, n);
    const char *const more[] = {FIT_ARGS, "train.steps=9", NULL};
    resume_error(&f, more, bad, GL_ERR_FORMAT, "truncated.safetensors");
    resume_error(&f, more, "/nonexistent/x.safetensors", GL_ERR_IO, "/nonexistent/x.safetensors");
    ck_assert_int_eq(atoi(q(&f, "SELECT count(*) FROM runs")), runs);

    /* a trainer without visit() writes no checkpoint (and no directory) */
    seen s2 = {0};
    const char *const plain[] = {"train.trainer=mock", "train.dataset=mock", "train.steps=3", NULL};
    ck_assert_msg(train(&f, plain, &s2, &r) == GL_OK, "%s", r.message);
    ck_assert(access(ckpt_dir(&f, r.uuid, dir, sizeof dir), F_OK) != 0);
    ck_assert_str_eq(q(&f, "SELECT count(*) FROM artifacts WHERE run_id = %lld",
                       (long long)r.run_id), "0");
    teardown(&f);
}
END_TEST

/* a checkpoint that cannot be written fails a completed run */
START_TEST(test_ckpt_unwritable)
{
    fixture f;
    setup(&f);
    seen s = {0};
    genlab_run_result r;
    char ro[4200], arg[4300];
    snprintf(ro, sizeof ro, "%s/ro", f.dir);
    ck_assert_int_eq(mkdir(ro, 0555), 0);
    snprintf(arg, sizeof arg, "train.ckpt_dir=%s", ro);
    const char *const args[] = {FIT_ARGS, "train.steps=3", arg, NULL};
    genlab_status st = train(&f, args, &s, &r);
    if (geteuid() == 0) {   /* root writes anywhere: nothing to see */
        ck_assert_int_eq(st, GL_OK);
    } else {
        ck_assert_int_eq(st, GL_ERR_IO);
        ck_assert_int_eq(r.status, GL_RUN_FAILED);
        ck_assert_msg(strstr(r.message, "checkpoint after step 3: ") && strstr(r.message, ro),
                      "%s", r.message);
    }
    chmod(ro, 0755);
    teardown(&f);
}
END_TEST

/* ---- values ---- */

/* text that is SQL is stored as text, verbatim */
START_TEST(test_hostile_text)
{
    fixture f;
    setup(&f);
    static const char evil[] = "x'); DROP TABLE runs;--";
    seen s = {0};
    genlab_run_result r;
    const char *const args[] = {"train.trainer=mock", "train.dataset=mock", "train.steps=2",
                                "train.name=x'); DROP TABLE runs;--", NULL};
    ck_assert_msg(train(&f, args, &s, &r) == GL_OK, "%s", r.message);
    ck_assert_str_eq(q(&f, "SELECT name FROM runs"), evil);
    ck_assert_str_eq(q(&f, "SELECT value FROM params WHERE key = 'train.name'"), evil);
    ck_assert_str_eq(q(&f, "SELECT json_extract(config, '$.\"train.name\"') FROM runs"), evil);
    ck_assert_str_eq(q(&f, "SELECT count(*) FROM runs"), "1");
    teardown(&f);
}
END_TEST

/* the lr curve follows the optim.* schedule */
START_TEST(test_lr_curve)
{
    fixture f;
    setup(&f);
    seen s = {0};
    genlab_run_result r;
    const char *const args[] = {"train.trainer=mock", "train.dataset=mock", "train.steps=11",
                                "train.log_every=5", "optim.schedule=linear", "optim.lr=0.1",
                                NULL};
    ck_assert_msg(train(&f, args, &s, &r) == GL_OK, "%s", r.message);
    genlab_lr_schedule sched = {GL_LR_LINEAR, 0.1, 0.0, 0, 11};
    for (int step = 0; step <= 10; step += 5) {
        double got = atof(q(&f, "SELECT value FROM metrics WHERE key = 'lr' AND step = %d", step));
        /* SQLite prints a REAL with 15 significant digits: 1e-14 relative
         * is the text's own precision */
        ck_assert_double_eq_tol(got, genlab_lr_at(&sched, step), 1e-14 * 0.1);
    }
    ck_assert_double_eq(atof(q(&f, "SELECT value FROM metrics WHERE key = 'lr' AND step = 0")),
                        0.1);
    teardown(&f);
}
END_TEST

/* the data order and the latents depend on train.seed only: the same seed
 * gives the same curve, another seed another one */
START_TEST(test_seed)
{
    fixture f;
    setup(&f);
    static const char *const seeds[] = {"train.seed=5", "train.seed=5", "train.seed=6"};
    char curve[3][4096];
    for (int i = 0; i < 3; i++) {
        seen s = {0};
        genlab_run_result r;
        const char *const args[] = {"train.trainer=mock", "train.dataset=mock",
                                    "train.steps=12", "train.log_every=1", seeds[i], NULL};
        ck_assert_msg(train(&f, args, &s, &r) == GL_OK, "%s", r.message);
        snprintf(curve[i], sizeof curve[i], "%s",
                 q(&f, "SELECT group_concat(value) FROM (SELECT value FROM metrics WHERE "
                       "run_id = %lld AND key = 'd_loss' ORDER BY step)", (long long)r.run_id));
        ck_assert_int_eq(strlen(curve[i]) > 0, 1);
    }
    ck_assert_str_eq(curve[0], curve[1]);
    ck_assert_str_ne(curve[0], curve[2]);
    teardown(&f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("completed");
    tcase_add_test(tc, test_completed);
    suite_add_tcase(s, tc);
    tc = tcase_create("refused");
    tcase_add_loop_test(tc, test_refused, 0, sizeof refused / sizeof refused[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("endings");
    tcase_add_test(tc, test_interrupted);
    tcase_add_test(tc, test_nan_loss);
    tcase_add_test(tc, test_no_dataset);
    suite_add_tcase(s, tc);
    tc = tcase_create("checkpoints");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_resume_identical);
    tcase_add_test(tc, test_resume_refused);
    tcase_add_test(tc, test_ckpt_unwritable);
    suite_add_tcase(s, tc);
    tc = tcase_create("values");
    tcase_add_test(tc, test_hostile_text);
    tcase_add_test(tc, test_lr_curve);
    tcase_add_test(tc, test_seed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
