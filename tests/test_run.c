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
                     "completed,mock,first,0,mock:10,genlab train (test_run)");
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
        {"dataset.n_items", "10", "int"},
        {"generator.scale", "1", "float"},
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
     "no trainer named \"gan\" (known: mock)"},
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
    tc = tcase_create("values");
    tcase_add_test(tc, test_hostile_text);
    tcase_add_test(tc, test_lr_curve);
    tcase_add_test(tc, test_seed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
