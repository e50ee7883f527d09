/* SPDX-License-Identifier: MIT
 *
 * test_sweep.c — sweep files (sweep.h): grid expansion (order, count,
 * seeds), the points' arguments and canonical JSON, random search
 * (reproducible for a seed, within its bounds), the [score] section as
 * read, and every refusal with its message (file, line, key).
 *
 * Each case writes a sweep file and a base config (base.ini: the mock
 * plugin's trainer and dataset, train.seed = 5) into a fresh directory;
 * the points resolve against the mock plugin (GL_TEST_PLUGIN_DIR) and the
 * core's keys (genlab_run_declare), as genlab sweep resolves them. Running
 * the points is tests/test_cli_sweep.sh's.
 *
 * Sections: fixture, grids, random search, refusals, NULL and states.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/genlab.h"
#include "testutil.h"

/* ---- fixture ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char base_ini[] = "[train]\ntrainer = mock\ndataset = mock\nseed = 5\n";

/* A loaded sweep and where it lives. */
typedef struct fixture {
    char             dir[256], path[512];
    genlab_registry *reg;
    genlab_sweep    *sw;
    genlab_status    st;
} fixture;

/* load — write text as DIR/sweep.ini beside base.ini and load it */
static void load(fixture *f, const char *text)
{
    char base[512];
    tu_tmpdir(f->dir, sizeof f->dir);
    snprintf(f->path, sizeof f->path, "%s/sweep.ini", f->dir);
    snprintf(base, sizeof base, "%s/base.ini", f->dir);
    tu_write(base, base_ini, (size_t)-1);
    if (text)
        tu_write(f->path, text, (size_t)-1);
    ck_assert_int_eq(genlab_registry_create(GL_TEST_PLUGIN_DIR, &f->reg), GL_OK);
    ck_assert_int_eq(genlab_plugin_load(f->reg, GL_TEST_PLUGIN_DIR "/mock_plugin.so"), GL_OK);
    f->st = genlab_sweep_load(f->path, f->reg, &f->sw);
}

static void unload(fixture *f)
{
    genlab_sweep_destroy(f->sw);
    genlab_registry_destroy(f->reg);
    tu_rmtree(f->dir);
}

/* arg — point i's argument KEY=... for key, or NULL */
static const char *arg(const genlab_sweep_point *p, const char *key)
{
    size_t len = strlen(key);
    for (size_t i = 0; i < p->n_args; i++)
        if (!strncmp(p->args[i], key, len) && p->args[i][len] == '=')
            return p->args[i] + len + 1;
    return NULL;
}

/* ---- grids ---- */

/* One sweep file per row: the points it must expand to (their count), and
 * some of them by index: the label, the canonical JSON (NULL: not
 * checked), and an argument that must be present (KEY=VALUE) or absent
 * (KEY=). */
typedef struct grid_case {
    const char *name;
    const char *text;
    size_t      count;
    struct {
        size_t      i;
        const char *label, *json, *arg;
    } at[4];
} grid_case;

#define HEAD "[sweep]\nname = g\nconfig = base.ini\n"

static const grid_case grids[] = {
    /* 2 x 3 x 2 seeds: the file's key order, the last key fastest, the
     * seeds innermost; values as resolved text (1e-4 -> 0.0001) */
    {"order", HEAD "seeds = 0..1\n[grid]\noptim.lr = 1e-4, 2e-4\ntrain.batch = 64, 128, 256\n",
     12,
     {{0, "optim.lr=0.0001 train.batch=64 train.seed=0",
       "{\"optim.lr\":\"0.0001\",\"train.batch\":\"64\",\"train.seed\":\"0\"}", "train.seed=0"},
      {1, "optim.lr=0.0001 train.batch=64 train.seed=1", NULL, "train.seed=1"},
      {2, "optim.lr=0.0001 train.batch=128 train.seed=0", NULL, "train.batch=128"},
      {11, "optim.lr=0.0002 train.batch=256 train.seed=1", NULL, "optim.lr=0.0002"}}},
    /* the JSON's keys sorted whatever the file's order; the label keeps it */
    {"json sorted", HEAD "[grid]\ntrain.batch = 064\noptim.lr = 0.5\n", 1,
     {{0, "train.batch=64 optim.lr=0.5 train.seed=5",
       "{\"optim.lr\":\"0.5\",\"train.batch\":\"64\",\"train.seed\":\"5\"}", "train.batch=64"}}},
    /* seeds alone, as a list: the config's seed replaced */
    {"seeds list", HEAD "seeds = 0, 3, 7\n", 3,
     {{0, "train.seed=0", "{\"train.seed\":\"0\"}", "train.seed=0"},
      {2, "train.seed=7", "{\"train.seed\":\"7\"}", NULL}}},
    /* a single seed range */
    {"seeds one", HEAD "seeds = 4..4\n", 1, {{0, "train.seed=4", NULL, "train.seed=4"}}},
    /* no seeds: the base config's train.seed, in the JSON but not an argument */
    {"no seeds", HEAD "[grid]\noptim.lr = 0.1, 0.2\n", 2,
     {{1, "optim.lr=0.2 train.seed=5", "{\"optim.lr\":\"0.2\",\"train.seed\":\"5\"}",
       "train.seed="}}},
    /* [fixed] values come first, as written, and are not in the JSON */
    {"fixed", HEAD "[grid]\noptim.lr = 0.1\n[fixed]\ntrain.steps = 7\n", 1,
     {{0, "optim.lr=0.1 train.seed=5", "{\"optim.lr\":\"0.1\",\"train.seed\":\"5\"}",
       "train.steps=7"}}},
    /* a component's parameter (the mock trainer binds mock.*) */
    {"component key", HEAD "seeds = 1\n[grid]\nmock.n_critic = 1, 3\n", 2,
     {{1, "mock.n_critic=3 train.seed=1", NULL, "mock.n_critic=3"}}},
    /* the component itself, and a parameter of one of them */
    {"component swept", HEAD "[grid]\nmock.loss = mock\nloss.weight = 2, 3\n", 2,
     {{1, "mock.loss=mock loss.weight=3 train.seed=5", NULL, "loss.weight=3"}}},
};

START_TEST(test_grid)
{
    const grid_case *c = &grids[_i];
    fixture f = {0};
    load(&f, c->text);
    ck_assert_msg(f.st == GL_OK, "%s: %s", c->name, genlab_sweep_errmsg(f.sw));
    ck_assert_str_eq(genlab_sweep_name(f.sw), "g");
    ck_assert_uint_eq(genlab_sweep_count(f.sw), c->count);
    ck_assert_ptr_null(genlab_sweep_point_at(f.sw, c->count));
    for (size_t k = 0; k < N(c->at) && c->at[k].label; k++) {
        const genlab_sweep_point *p = genlab_sweep_point_at(f.sw, c->at[k].i);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(!strcmp(p->label, c->at[k].label), "%s: point %zu is %s, not %s", c->name,
                      c->at[k].i, p->label, c->at[k].label);
        if (c->at[k].json)
            ck_assert_str_eq(p->json, c->at[k].json);
        if (!c->at[k].arg)
            continue;
        const char *eq = strchr(c->at[k].arg, '=');
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - c->at[k].arg), c->at[k].arg);
        if (eq[1])
            ck_assert_msg(arg(p, key) && !strcmp(arg(p, key), eq + 1), "%s: no argument %s",
                          c->name, c->at[k].arg);
        else
            ck_assert_msg(!arg(p, key), "%s: argument %s=%s", c->name, key, arg(p, key));
    }
    /* every point differs from every other */
    for (size_t i = 0; i < c->count; i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(genlab_sweep_point_at(f.sw, i)->json,
                             genlab_sweep_point_at(f.sw, j)->json);
    unload(&f);
}
END_TEST

/* the base config's path is resolved against the sweep file's directory */
START_TEST(test_config_path)
{
    fixture f = {0};
    load(&f, HEAD "seeds = 1\n");
    ck_assert_int_eq(f.st, GL_OK);
    char want[600];
    snprintf(want, sizeof want, "%s/base.ini", f.dir);
    ck_assert_str_eq(genlab_sweep_config(f.sw), want);
    unload(&f);
}
END_TEST

/* ---- random search ---- */

#define RANDOM "[sweep]\nname = r\nconfig = base.ini\nmode = random\n"

/* values — point i's value of key as a number */
static double value(const genlab_sweep *sw, size_t i, const char *key)
{
    const char *v = arg(genlab_sweep_point_at(sw, i), key);
    ck_assert_ptr_nonnull(v);
    return strtod(v, NULL);
}

START_TEST(test_random_bounds)
{
    fixture f = {0};
    load(&f, RANDOM "samples = 60\nrandom_seed = 9\nseeds = 0, 1\n[random]\n"
                    "optim.lr = loguniform(1e-5, 1e-2)\noptim.beta1 = uniform(0.5, 0.9)\n"
                    "train.batch = int(3, 5)\noptim.name = choice(adam, sgd)\n");
    ck_assert_msg(f.st == GL_OK, "%s", genlab_sweep_errmsg(f.sw));
    /* continuous draws never repeat: every sample with both seeds */
    ck_assert_uint_eq(genlab_sweep_count(f.sw), 120);
    int batches[3] = {0}, sgd = 0;
    double lr_min = 1, lr_max = 0;
    for (size_t i = 0; i < 120; i++) {
        double lr = value(f.sw, i, "optim.lr"), b1 = value(f.sw, i, "optim.beta1");
        double batch = value(f.sw, i, "train.batch");
        ck_assert(lr >= 1e-5 && lr <= 1e-2);
        ck_assert(b1 >= 0.5 && b1 <= 0.9);
        ck_assert(batch == 3 || batch == 4 || batch == 5);
        batches[(int)batch - 3]++;
        lr_min = fmin(lr_min, lr), lr_max = fmax(lr_max, lr);
        const char *name = arg(genlab_sweep_point_at(f.sw, i), "optim.name");
        ck_assert(!strcmp(name, "adam") || !strcmp(name, "sgd"));
        sgd += !strcmp(name, "sgd");
        /* the seeds innermost: points 2k and 2k+1 are one draw */
        ck_assert_str_eq(arg(genlab_sweep_point_at(f.sw, i), "train.seed"), i % 2 ? "1" : "0");
        if (i % 2)
            ck_assert(value(f.sw, i - 1, "optim.lr") == lr);
    }
    /* 60 draws reach every integer and both choices (each misses with a
     * chance below 3 (2/3)^60 ~ 1e-10), and the log scale spreads over
     * decades: with a uniform scale, a draw under 1e-4 has a chance of
     * 1 %, with a log scale 33 % (60 draws all above: ~ 3e-11) */
    ck_assert(batches[0] && batches[1] && batches[2]);
    ck_assert(sgd > 0 && sgd < 120);
    ck_assert(lr_min < 1e-4 && lr_max > 1e-3);
    unload(&f);
}
END_TEST

/* the same random_seed draws the same points, another seed others */
START_TEST(test_random_reproducible)
{
    const char *text[] = {
        RANDOM "samples = 5\nrandom_seed = 1\n[random]\noptim.lr = uniform(0.001, 0.1)\n",
        RANDOM "samples = 5\nrandom_seed = 1\n[random]\noptim.lr = uniform(0.001, 0.1)\n",
        RANDOM "samples = 5\nrandom_seed = 2\n[random]\noptim.lr = uniform(0.001, 0.1)\n",
    };
    fixture f[3];
    memset(f, 0, sizeof f);
    for (int k = 0; k < 3; k++) {
        load(&f[k], text[k]);
        ck_assert_msg(f[k].st == GL_OK, "%s", genlab_sweep_errmsg(f[k].sw));
        ck_assert_uint_eq(genlab_sweep_count(f[k].sw), 5);
    }
    int same = 0;
    for (size_t i = 0; i < 5; i++) {
        ck_assert_str_eq(genlab_sweep_point_at(f[0].sw, i)->json,
                         genlab_sweep_point_at(f[1].sw, i)->json);
        same += !strcmp(genlab_sweep_point_at(f[0].sw, i)->json,
                        genlab_sweep_point_at(f[2].sw, i)->json);
    }
    ck_assert_int_eq(same, 0);
    /* four significant digits: readable labels */
    const char *lr = arg(genlab_sweep_point_at(f[0].sw, 0), "optim.lr");
    ck_assert_msg(strlen(lr) <= 8, "optim.lr=%s", lr);
    for (int k = 0; k < 3; k++)
        unload(&f[k]);
}
END_TEST

/* identical draws count once: a choice of two, ten samples, two points */
START_TEST(test_random_duplicates)
{
    fixture f = {0};
    load(&f, RANDOM "samples = 10\n[random]\noptim.name = choice(adam, sgd)\n");
    ck_assert_msg(f.st == GL_OK, "%s", genlab_sweep_errmsg(f.sw));
    /* both values among 10 draws: misses with a chance of 2 / 2^10 */
    ck_assert_uint_eq(genlab_sweep_count(f.sw), 2);
    unload(&f);
}
END_TEST

/* ---- refusals ---- */

/* One bad sweep file per row (NULL: no file), the status and pieces the
 * message must contain in this order; "%s" stands for the file's path. */
typedef struct bad_case {
    const char   *name;
    const char   *text;
    genlab_status status;
    const char   *msg[3];
} bad_case;

static const bad_case bads[] = {
    /* resolving: the line and key, as genlab train words it */
    {"unknown key", HEAD "[grid]\noptim.lrr = 1, 2\n", GL_ERR_INVALID,
     {"%s: the point optim.lrr=1 does not resolve",
      "%s:5: unknown key \"optim.lrr\"; did you mean \"optim.lr\"?"}},
    {"out of range", HEAD "[grid]\noptim.lr = 1e-4, 20\n", GL_ERR_INVALID,
     {"%s:5: optim.lr = \"20\": out of range (allowed: [0, 10])"}},
    {"bad type", HEAD "[grid]\ntrain.batch = 64, x\n", GL_ERR_INVALID,
     {"%s:5: train.batch = \"x\": expected an integer"}},
    {"bad fixed", HEAD "seeds = 1\n[fixed]\ntrain.steps = 0\n", GL_ERR_INVALID,
     {"%s:6: train.steps = \"0\": out of range"}},
    {"bad component", HEAD "[grid]\nmock.loss = mock, nope\n", GL_ERR_INVALID,
     {"%s:5: mock.loss = \"nope\": no loss named \"nope\""}},
    /* a random range is checked at both ends, whatever is drawn */
    {"random bound", RANDOM "samples = 2\n[random]\noptim.lr = uniform(0, 20)\n",
     GL_ERR_INVALID, {"%s:7: optim.lr = \"20\": out of range"}},
    /* the file itself */
    {"no file", NULL, GL_ERR_IO, {"%s: cannot read the sweep file: No such file"}},
    {"no base config", "[sweep]\nname = a\nconfig = none.ini\nseeds = 1\n", GL_ERR_IO,
     {"%s:3: config: cannot read \"", "none.ini\": No such file"}},
    {"no name", "[sweep]\nconfig = base.ini\nseeds = 1\n", GL_ERR_FORMAT,
     {"%s: no name: a sweep file needs [sweep] name = NAME"}},
    {"bad name", "[sweep]\nname = a/b\nseeds = 1\n", GL_ERR_FORMAT,
     {"%s:2: name = \"a/b\": use letters, digits"}},
    {"empty grid", HEAD "[grid]\n", GL_ERR_FORMAT,
     {"%s: nothing to sweep: [grid] is empty and there are no seeds"}},
    {"empty list", HEAD "[grid]\noptim.lr =\n", GL_ERR_FORMAT,
     {"%s:5: optim.lr = \"\": an empty list"}},
    {"empty item", HEAD "[grid]\noptim.lr = 0.1, , 0.2\n", GL_ERR_FORMAT,
     {"%s:5: optim.lr = \"0.1, , 0.2\": an empty value in the list"}},
    {"backwards seeds", HEAD "seeds = 5..2\n", GL_ERR_FORMAT,
     {"%s:4: seeds = \"5..2\": the range ends before it starts"}},
    {"bad seeds", HEAD "seeds = a..3\n", GL_ERR_FORMAT,
     {"%s:4: seeds = \"a..3\": expected a range A..B of integers >= 0"}},
    {"negative seed", HEAD "seeds = 1, -2\n", GL_ERR_FORMAT,
     {"%s:4: seeds: \"-2\" is not an integer >= 0"}},
    {"seed twice", HEAD "seeds = 1, 1\n", GL_ERR_FORMAT, {"%s:4: seeds: 1 is listed twice"}},
    {"same point", HEAD "[grid]\noptim.lr = 1e-4, 0.0001\n", GL_ERR_FORMAT,
     {"%s: the points 1 and 2 (from 1) are the same (optim.lr=0.0001 train.seed=5)"}},
    {"seed swept", HEAD "[grid]\ntrain.seed = 1, 2\n", GL_ERR_FORMAT,
     {"%s:5: train.seed is swept with [sweep] seeds = ..."}},
    {"swept twice", HEAD "[grid]\noptim.lr = 1\noptim.lr = 2\n", GL_ERR_FORMAT,
     {"%s:6: optim.lr is swept twice (first on line 5)"}},
    {"unknown section", HEAD "[grids]\noptim.lr = 1\n", GL_ERR_FORMAT,
     {"%s:5: unknown section [grids] (known: sweep, grid, random, fixed, score)"}},
    {"unknown sweep key", HEAD "seed = 1\n", GL_ERR_FORMAT,
     {"%s:4: unknown key \"seed\" in [sweep]"}},
    {"outside a section", "name = a\n" HEAD, GL_ERR_FORMAT,
     {"%s:1: \"name\" is outside any section"}},
    {"malformed line", HEAD "seeds = 1\nnot a pair\n", GL_ERR_FORMAT,
     {"%s:5: malformed line \"not a pair\""}},
    {"given twice", HEAD "seeds = 1\nseeds = 2\n", GL_ERR_FORMAT,
     {"%s:5: [sweep] seeds is given twice (first on line 4)"}},
    {"bad mode", HEAD "mode = bayes\nseeds = 1\n", GL_ERR_FORMAT,
     {"%s:4: mode = \"bayes\": expected grid or random"}},
    /* [score]: its keys, each once; metric required */
    {"score without metric", HEAD "seeds = 1\n[score]\nn = 10\n", GL_ERR_FORMAT,
     {"%s:6: [score] needs metric = LIST"}},
    {"unknown score key", HEAD "seeds = 1\n[score]\nmetric = fid\nlr = 1\n", GL_ERR_FORMAT,
     {"%s:7: unknown key \"lr\" in [score] (known: metric, n, args)"}},
    {"score n not a number", HEAD "seeds = 1\n[score]\nmetric = fid\nn = 1e3\n", GL_ERR_FORMAT,
     {"%s:7: [score] n = \"1e3\": expected an integer >= 1"}},
    {"empty metric item", HEAD "seeds = 1\n[score]\nmetric = fid,,is\n", GL_ERR_FORMAT,
     {"%s:6: [score] metric = \"fid,,is\": expected genlab score's --metric list"}},
    {"score key twice", HEAD "seeds = 1\n[score]\nmetric = fid\nmetric = is\n", GL_ERR_FORMAT,
     {"%s:7: [score] metric is given twice (first on line 6)"}},
    /* random search */
    {"distribution in a grid", HEAD "[grid]\noptim.lr = uniform(0, 1)\n", GL_ERR_FORMAT,
     {"%s:5: optim.lr = \"uniform(0, 1)\": distributions are for [random]"}},
    {"grid in random mode", RANDOM "samples = 2\n[grid]\noptim.lr = 1\n", GL_ERR_FORMAT,
     {"%s:7: optim.lr is in [grid] but the mode is random"}},
    {"no samples", RANDOM "[random]\noptim.lr = uniform(0, 1)\n", GL_ERR_FORMAT,
     {"%s:4: mode = random needs samples = N"}},
    {"samples in a grid", HEAD "samples = 3\nseeds = 1\n", GL_ERR_FORMAT,
     {"%s:4: samples is for mode = random"}},
    {"zero samples", RANDOM "samples = 0\n[random]\noptim.lr = uniform(0, 1)\n", GL_ERR_FORMAT,
     {"%s:5: samples = \"0\": expected an integer in [1, 100000]"}},
    {"empty random", RANDOM "samples = 2\nseeds = 1\n", GL_ERR_FORMAT,
     {"%s: nothing to sweep: [random] is empty"}},
    {"unknown distribution", RANDOM "samples = 2\n[random]\noptim.lr = normal(0, 1)\n",
     GL_ERR_FORMAT, {"%s:7: optim.lr = \"normal(0, 1)\": unknown distribution"}},
    {"backwards range", RANDOM "samples = 2\n[random]\noptim.lr = uniform(2, 1)\n",
     GL_ERR_FORMAT, {"%s:7: optim.lr = \"uniform(2, 1)\": the range ends before it starts"}},
    {"loguniform from 0", RANDOM "samples = 2\n[random]\noptim.lr = loguniform(0, 1)\n",
     GL_ERR_FORMAT, {"%s:7: optim.lr = \"loguniform(0, 1)\": loguniform needs 0 < A"}},
    {"int of floats", RANDOM "samples = 2\n[random]\ntrain.batch = int(1.5, 4)\n",
     GL_ERR_FORMAT, {"%s:7: train.batch = \"int(1.5, 4)\": expected int(A, B) with integer"}},
    {"three ends", RANDOM "samples = 2\n[random]\noptim.lr = uniform(0, 1, 2)\n",
     GL_ERR_FORMAT, {"expected uniform(A, B) with numbers A and B"}},
};

START_TEST(test_refusal)
{
    const bad_case *c = &bads[_i];
    fixture f = {0};
    load(&f, c->text);
    const char *msg = genlab_sweep_errmsg(f.sw);
    ck_assert_msg(f.st == c->status, "%s: status %d, message: %s", c->name, f.st, msg);
    ck_assert_uint_eq(genlab_sweep_count(f.sw), 0);
    ck_assert_ptr_null(genlab_sweep_point_at(f.sw, 0));
    const char *at = msg;
    for (size_t i = 0; i < N(c->msg) && c->msg[i]; i++) {
        char want[1024];
        const char *pct = strstr(c->msg[i], "%s");
        if (pct)
            snprintf(want, sizeof want, "%.*s%s%s", (int)(pct - c->msg[i]), c->msg[i], f.path,
                     pct + 2);
        else
            snprintf(want, sizeof want, "%s", c->msg[i]);
        const char *hit = strstr(at, want);
        ck_assert_msg(hit, "%s: no \"%s\" (in this order) in:\n%s", c->name, want, msg);
        at = hit + strlen(want);
    }
    unload(&f);
}
END_TEST

/* [score] read as written: metric and n as given, args split at blanks */
START_TEST(test_score)
{
    fixture f = {0};
    load(&f, HEAD "seeds = 1\n[score]\nmetric = classifier-fid,is\nn = 2000\n"
              "args =  --batch 32\tclassifier.weights=auto \n");
    ck_assert_msg(f.st == GL_OK, "%s", genlab_sweep_errmsg(f.sw));
    const genlab_sweep_score *sc = genlab_sweep_scoring(f.sw);
    ck_assert_ptr_nonnull(sc);
    ck_assert_str_eq(sc->metric, "classifier-fid,is");
    ck_assert_int_eq(sc->n, 2000);
    ck_assert_uint_eq(sc->n_args, 3);
    ck_assert_str_eq(sc->args[0], "--batch");
    ck_assert_str_eq(sc->args[1], "32");
    ck_assert_str_eq(sc->args[2], "classifier.weights=auto");
    ck_assert_int_eq(sc->metric_line, 6);
    ck_assert_int_eq(sc->n_line, 7);
    ck_assert_int_eq(sc->args_line, 8);
    unload(&f);
    /* no [score]: no scoring; n and args optional */
    load(&f, HEAD "seeds = 1\n");
    ck_assert_ptr_null(genlab_sweep_scoring(f.sw));
    unload(&f);
    load(&f, HEAD "seeds = 1\n[score]\nmetric = fid\n");
    sc = genlab_sweep_scoring(f.sw);
    ck_assert(sc && sc->n == 0 && sc->n_args == 0 && sc->n_line == 0);
    unload(&f);
}
END_TEST

/* ---- NULL and states ---- */

START_TEST(test_null)
{
    genlab_sweep *sw = (genlab_sweep *)1;
    ck_assert_int_eq(genlab_sweep_load(NULL, NULL, &sw), GL_ERR_INVALID);
    ck_assert_ptr_null(sw);
    ck_assert_int_eq(genlab_sweep_load("x.ini", NULL, NULL), GL_ERR_INVALID);
    genlab_sweep_destroy(NULL);
    ck_assert_uint_eq(genlab_sweep_count(NULL), 0);
    ck_assert_ptr_null(genlab_sweep_point_at(NULL, 0));
    ck_assert_ptr_null(genlab_sweep_name(NULL));
    ck_assert_ptr_null(genlab_sweep_config(NULL));
    ck_assert_ptr_null(genlab_sweep_scoring(NULL));
    ck_assert(strlen(genlab_sweep_errmsg(NULL)) > 0);
    /* a successful load leaves no message */
    fixture f = {0};
    load(&f, HEAD "seeds = 1\n");
    ck_assert_int_eq(f.st, GL_OK);
    ck_assert_str_eq(genlab_sweep_errmsg(f.sw), "");
    unload(&f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("grids");
    tcase_add_loop_test(tc, test_grid, 0, N(grids));
    tcase_add_test(tc, test_config_path);
    suite_add_tcase(s, tc);
    tc = tcase_create("random");
    tcase_add_test(tc, test_random_bounds);
    tcase_add_test(tc, test_random_reproducible);
    tcase_add_test(tc, test_random_duplicates);
    suite_add_tcase(s, tc);
    tc = tcase_create("refusals");
    tcase_add_loop_test(tc, test_refusal, 0, N(bads));
    tcase_add_test(tc, test_score);
    suite_add_tcase(s, tc);
    tc = tcase_create("null");
    tcase_add_test(tc, test_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
