/* SPDX-License-Identifier: MIT
 *
 * test_config.c — typed configuration: values from INI files and the
 * command line, validation with one message listing every problem,
 * component binding, getters, enumeration and JSON.
 *
 * The core's parameters here are a small stand-in for the CLI's (train.*,
 * optim.*); component parameters come from the mock plugin
 * (GL_TEST_PLUGIN_DIR/mock_plugin.so), whose trainer is bound under its own
 * name ("mock.*") and binds an arch under "generator" and "discriminator",
 * a loss under "loss", a schedule and a sampler.
 *
 * Sections: fixture, validation cases, reading, declarations and states.
 */
#include <jansson.h>
#include <math.h>

#include "genlab/genlab.h"
#include "testutil.h"

/* ---- fixture ---- */

static const char *const devices[] = {"cpu", "cuda", "auto", NULL};

static const genlab_param_def train_defs[] = {
    {.name = "steps", .type = GL_PARAM_INT, .def = "1000", .min = "1", .help = "steps"},
    {.name = "seed", .type = GL_PARAM_INT, .def = "0", .min = "0", .help = "seed"},
    {.name = "deterministic", .type = GL_PARAM_BOOL, .def = "false", .help = "bit-exact"},
    {.name = "device", .type = GL_PARAM_ENUM, .def = "cpu", .choices = devices,
     .help = "where to run"},
    {.name = "name", .type = GL_PARAM_STRING, .def = "run", .help = "run name"},
    {.name = "trainer", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_TRAINER, .def = "mock",
     .flags = GL_PARAM_SCOPE_BY_NAME, .help = "what a step is"},
};

static const genlab_param_def optim_defs[] = {
    {.name = "lr", .type = GL_PARAM_FLOAT, .def = "2e-4", .min = "0", .max = "1",
     .help = "learning rate"},
};

/* extra declarations some cases need */
static const genlab_param_def required_defs[] = {
    {.name = "dir", .type = GL_PARAM_STRING, .help = "output directory"},   /* no default */
};
static const genlab_param_def conflict_defs[] = {
    {.name = "scale", .type = GL_PARAM_FLOAT, .def = "1", .help = "the core's own"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static genlab_registry *mock_registry(void)
{
    genlab_registry *reg = NULL;
    ck_assert_int_eq(genlab_registry_create(GL_TEST_PLUGIN_DIR, &reg), GL_OK);
    ck_assert_int_eq(genlab_plugin_load(reg, GL_TEST_PLUGIN_DIR "/mock_plugin.so"), GL_OK);
    return reg;
}

static genlab_config *core_config(void)
{
    genlab_config *cfg = NULL;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(cfg, "train", train_defs, N(train_defs)), GL_OK);
    ck_assert_int_eq(genlab_config_declare(cfg, "optim", optim_defs, N(optim_defs)), GL_OK);
    return cfg;
}

/* ---- validation cases ---- */

typedef enum extra { EXTRA_NONE, EXTRA_REQUIRED, EXTRA_CONFLICT } extra;

/* One configuration per row: an INI file (or none), command-line
 * overrides, what resolve returns, pieces its message must contain IN
 * THIS ORDER ("%s" stands for the INI file's path) and must not contain,
 * and values a successful resolve must give. */
typedef struct cfg_case {
    const char   *name;
    const char   *ini;
    const char   *args[5];
    bool          args_first;    /* apply the command line before the file */
    extra         extra;
    genlab_status status;
    const char   *msg[5];
    const char   *not_msg;
    const char   *values[4][2];
} cfg_case;

static const cfg_case cases[] = {
    /* nothing given: every default, the trainer's and its components' too */
    {"defaults", NULL, {NULL}, false, EXTRA_NONE, GL_OK, {NULL}, NULL,
     {{"optim.lr", "0.0002"}, {"train.deterministic", "false"}, {"mock.n_critic", "2"},
      {"loss.weight", "1"}}},
    /* INI sections become scopes; comments and blank lines are fine; keys
     * before any section are full dotted keys */
    {"ini sections", "train.seed = 5\n[optim]\nlr = 1e-3 ; inline\n\n[train]\n# c\nsteps=10\n",
     {NULL}, false, EXTRA_NONE, GL_OK, {NULL}, NULL,
     {{"optim.lr", "0.001"}, {"train.steps", "10"}, {"train.seed", "5"}}},
    /* the command line wins over the file ... */
    {"command line wins", "[optim]\nlr = 1e-3\n", {"optim.lr=2e-3", NULL}, false, EXTRA_NONE,
     GL_OK, {NULL}, NULL, {{"optim.lr", "0.002"}}},
    /* ... whatever the order of the calls */
    {"command line wins, given first", "[optim]\nlr = 1e-3\n", {"optim.lr=2e-3", NULL}, true,
     EXTRA_NONE, GL_OK, {NULL}, NULL, {{"optim.lr", "0.002"}}},
    /* within one source, the last value */
    {"last wins", "[train]\nsteps=3\nsteps=4\n", {"train.seed=1", "train.seed=2", NULL}, false,
     EXTRA_NONE, GL_OK, {NULL}, NULL, {{"train.steps", "4"}, {"train.seed", "2"}}},
    /* bound component parameters; bools and enums in any accepted spelling */
    {"component scopes", "[loss]\nweight = 3\n",
     {"mock.n_critic=4", "train.deterministic=Yes", "train.device=cuda", NULL}, false,
     EXTRA_NONE, GL_OK, {NULL}, NULL,
     {{"loss.weight", "3"}, {"mock.n_critic", "4"}, {"train.deterministic", "true"},
      {"train.device", "cuda"}}},
    /* an unknown key, and the declared key closest to it */
    {"unknown key", NULL, {"optim.lrr=1", NULL}, false, EXTRA_NONE, GL_ERR_INVALID,
     {"1 problem in the configuration:",
      "command line: unknown key \"optim.lrr\"; did you mean \"optim.lr\"?"}},
    /* the right name in the wrong scope */
    {"unknown key, other scope", NULL, {"penalty=1", NULL}, false, EXTRA_NONE, GL_ERR_INVALID,
     {"unknown key \"penalty\"; did you mean \"loss.penalty\"?"}},
    /* nothing close: no suggestion */
    {"unknown key, no suggestion", NULL, {"zzzzzz=1", NULL}, false, EXTRA_NONE, GL_ERR_INVALID,
     {"unknown key \"zzzzzz\""}, "did you mean"},
    /* wrong types */
    {"float expected", NULL, {"optim.lr=abc", NULL}, false, EXTRA_NONE, GL_ERR_INVALID,
     {"command line: optim.lr = \"abc\": expected a finite float"}},
    {"int expected", NULL, {"train.steps=1.5", NULL}, false, EXTRA_NONE, GL_ERR_INVALID,
     {"train.steps = \"1.5\": expected an integer"}},
    {"bool expected", NULL, {"train.deterministic=maybe", NULL}, false, EXTRA_NONE,
     GL_ERR_INVALID, {"train.deterministic = \"maybe\": expected a bool"}},
    /* out of range, both kinds of bound */
    {"out of range", NULL, {"optim.lr=1.5", "train.seed=-1", NULL}, false, EXTRA_NONE,
     GL_ERR_INVALID,
     {"2 problems", "optim.lr = \"1.5\": out of range (allowed: [0, 1])",
      "train.seed = \"-1\": out of range (allowed: >= 0)"}},
    /* an enum value not allowed: the allowed ones */
    {"bad enum", NULL, {"train.device=gpu", NULL}, false, EXTRA_NONE, GL_ERR_INVALID,
     {"train.device = \"gpu\": not an allowed value (allowed: cpu, cuda, auto)"}},
    /* an unknown component: the known ones; keys under its scope are not
     * also reported as unknown */
    {"unknown component", NULL, {"mock.loss=nope", "loss.weight=2", NULL}, false, EXTRA_NONE,
     GL_ERR_INVALID,
     {"1 problem", "mock.loss = \"nope\": no loss named \"nope\" (known: mock)"},
     "unknown key"},
    /* malformed INI lines, each with file:line */
    {"malformed ini", "[optim]\nlr = 0.1\nthis is not a pair\n[broken\n", {NULL}, false,
     EXTRA_NONE, GL_ERR_INVALID,
     {"2 problems", "%s:3: malformed line \"this is not a pair\"",
      "%s:4: malformed line \"[broken\""}},
    /* a line libinih cannot hold */
    {"long ini line",
     "[train]\nname = "
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     {NULL}, false, EXTRA_NONE, GL_ERR_INVALID, {"%s:2: line longer than 198 characters"}},
    /* several problems, all in one message, in the order of the input */
    {"several problems", "[train]\nsteps = ten\nbogus\n",
     {"optim.lrr=1", "train.device=gpu", "lr", NULL}, false, EXTRA_NONE, GL_ERR_INVALID,
     {"5 problems", "%s:2: train.steps = \"ten\": expected an integer",
      "%s:3: malformed line \"bogus\"", "unknown key \"optim.lrr\"",
      "train.device = \"gpu\": not an allowed value"}},
    /* a parameter without default that nobody set */
    {"required", NULL, {NULL}, false, EXTRA_REQUIRED, GL_ERR_INVALID,
     {"out.dir: required, and no value was given (output directory)"}},
    {"required given", NULL, {"out.dir=/tmp/x", NULL}, false, EXTRA_REQUIRED, GL_OK, {NULL},
     NULL, {{"out.dir", "/tmp/x"}}},
    /* a component bound where the core declared its own parameters */
    {"scope conflict", NULL, {NULL}, false, EXTRA_CONFLICT, GL_ERR_INVALID,
     {"default: mock.generator = \"mock\": cannot bind arch \"mock\" under \"generator.*\": "
      "that scope already holds the core's own parameters"}},
};

START_TEST(test_cases)
{
    const cfg_case *c = &cases[_i];
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/exp.ini", dir);
    genlab_registry *reg = mock_registry();
    genlab_config *cfg = core_config();
    if (c->extra == EXTRA_REQUIRED)
        ck_assert_int_eq(genlab_config_declare(cfg, "out", required_defs, 1), GL_OK);
    if (c->extra == EXTRA_CONFLICT)
        ck_assert_int_eq(genlab_config_declare(cfg, "generator", conflict_defs, 1), GL_OK);
    int argc = 0;
    while (c->args[argc])
        argc++;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == (c->args_first ? 0 : 1) && argc)
            genlab_config_set_args(cfg, argc, c->args);
        if (pass == (c->args_first ? 1 : 0) && c->ini) {
            tu_write(path, c->ini, (size_t)-1);
            genlab_config_load_ini(cfg, path);
        }
    }
    genlab_status st = genlab_config_resolve(cfg, reg);
    const char *msg = genlab_config_errmsg(cfg);
    ck_assert_msg(st == c->status, "%s: status %d, message:\n%s", c->name, st, msg);
    const char *at = msg;
    for (size_t i = 0; i < N(c->msg) && c->msg[i]; i++) {
        char want[512];
        snprintf(want, sizeof want, c->msg[i], path);
        const char *found = strstr(at, want);
        ck_assert_msg(found, "%s: message lacks (or misorders) \"%s\":\n%s", c->name, want, msg);
        at = found + strlen(want);
    }
    if (c->not_msg)
        ck_assert_msg(!strstr(msg, c->not_msg), "%s: message has \"%s\":\n%s", c->name,
                      c->not_msg, msg);
    for (size_t i = 0; i < N(c->values) && c->values[i][0]; i++) {
        const genlab_config_item *it = NULL;
        for (size_t j = 0; j < genlab_config_count(cfg); j++)
            if (!strcmp(genlab_config_item_at(cfg, j)->key, c->values[i][0]))
                it = genlab_config_item_at(cfg, j);
        ck_assert_msg(it, "%s: no item %s", c->name, c->values[i][0]);
        ck_assert_str_eq(it->value, c->values[i][1]);
    }
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
    tu_rmtree(dir);
}
END_TEST

/* a file that cannot be read: reported at once and by resolve */
START_TEST(test_missing_ini)
{
    genlab_config *cfg = core_config();
    ck_assert_int_eq(genlab_config_load_ini(cfg, "/nonexistent/exp.ini"), GL_ERR_IO);
    ck_assert_ptr_nonnull(
        strstr(genlab_config_errmsg(cfg), "cannot read \"/nonexistent/exp.ini\""));
    genlab_registry *reg = mock_registry();
    ck_assert_int_eq(genlab_config_resolve(cfg, reg), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_config_errmsg(cfg),
                                 "/nonexistent/exp.ini: cannot read the configuration file: "
                                 "No such file or directory"));
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
}
END_TEST

/* malformed lines make load_ini say so too */
START_TEST(test_ini_status)
{
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.ini", dir);
    tu_write(path, "[optim]\nlr = 0.5\n", (size_t)-1);
    genlab_config *cfg = core_config();
    ck_assert_int_eq(genlab_config_load_ini(cfg, path), GL_OK);
    tu_write(path, "junk\n", (size_t)-1);
    ck_assert_int_eq(genlab_config_load_ini(cfg, path), GL_ERR_FORMAT);
    ck_assert_int_eq(genlab_config_set_args(cfg, 1, (const char *const[]){"=3"}), GL_ERR_FORMAT);
    genlab_config_destroy(cfg);
    tu_rmtree(dir);
}
END_TEST

/* ---- reading ---- */

static genlab_config *resolved(genlab_registry *reg, const char *ini_path, int argc,
                               const char *const *argv)
{
    genlab_config *cfg = core_config();
    if (ini_path)
        ck_assert_int_eq(genlab_config_load_ini(cfg, ini_path), GL_OK);
    ck_assert_int_eq(genlab_config_set_args(cfg, argc, argv), GL_OK);
    ck_assert_msg(genlab_config_resolve(cfg, reg) == GL_OK, "%s", genlab_config_errmsg(cfg));
    return cfg;
}

START_TEST(test_items_and_json)
{
    char dir[256], path[512], origin[600];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/exp.ini", dir);
    tu_write(path, "[train]\n\nseed = 42\n", (size_t)-1);
    genlab_registry *reg = mock_registry();
    genlab_config *cfg = resolved(reg, path, 2, (const char *const[]){"train.steps=7",
                                                                       "loss.penalty=0.25"});
    /* every declared key, defaults included, sorted: 6 train + 1 optim +
     * 8 trainer + 2 loss + 2 schedule + 1 sampler + 1 arch per scope (2) */
    size_t n = genlab_config_count(cfg);
    ck_assert_uint_eq(n, 6 + 1 + 8 + 2 + 2 + 1 + 2);
    for (size_t i = 1; i < n; i++)
        ck_assert_int_lt(strcmp(genlab_config_item_at(cfg, i - 1)->key,
                                genlab_config_item_at(cfg, i)->key), 0);
    ck_assert_ptr_null(genlab_config_item_at(cfg, n));
    snprintf(origin, sizeof origin, "%s:3", path);
    struct { const char *key, *value, *type, *origin; } want[] = {
        {"optim.lr", "0.0002", "float", "default"},
        {"train.steps", "7", "int", "command line"},
        {"train.seed", "42", "int", origin},
        {"train.trainer", "mock", "component", "default"},
        {"generator.scale", "1", "float", "default"},
    };
    for (size_t w = 0; w < N(want); w++) {
        const genlab_config_item *it = NULL;
        for (size_t i = 0; i < n && !it; i++)
            if (!strcmp(genlab_config_item_at(cfg, i)->key, want[w].key))
                it = genlab_config_item_at(cfg, i);
        ck_assert_msg(it, "no item %s", want[w].key);
        ck_assert_str_eq(it->value, want[w].value);
        ck_assert_str_eq(it->type, want[w].type);
        ck_assert_str_eq(it->origin, want[w].origin);
    }

    char *text = genlab_config_json(cfg);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    ck_assert_msg(o != NULL, "bad JSON %s: %s", text, err.text);
    ck_assert_uint_eq(json_object_size(o), n);
    ck_assert(json_is_real(json_object_get(o, "optim.lr")));
    ck_assert_double_eq(json_real_value(json_object_get(o, "optim.lr")), 2e-4);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "train.steps")), 7);
    ck_assert(json_is_false(json_object_get(o, "train.deterministic")));
    ck_assert_str_eq(json_string_value(json_object_get(o, "mock.loss")), "mock");
    ck_assert_double_eq(json_real_value(json_object_get(o, "loss.penalty")), 0.25);
    json_decref(o);
    free(text);

    /* a view enumerates only its scope */
    const genlab_config *loss = genlab_config_scope(cfg, "loss");
    ck_assert_uint_eq(genlab_config_count(loss), 2);
    ck_assert_str_eq(genlab_config_item_at(loss, 0)->key, "loss.penalty");
    ck_assert_str_eq(genlab_config_item_at(loss, 1)->key, "loss.weight");
    text = genlab_config_json(loss);
    ck_assert_str_eq(text, "{\"loss.penalty\":0.25,\"loss.weight\":1.0}");
    free(text);
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
    tu_rmtree(dir);
}
END_TEST

START_TEST(test_getters)
{
    genlab_registry *reg = mock_registry();
    genlab_config *cfg = resolved(reg, NULL, 2, (const char *const[]){"train.name=a b",
                                                                       "discriminator.scale=-2"});
    ck_assert_int_eq(genlab_config_int(cfg, "train.steps"), 1000);
    ck_assert_double_eq(genlab_config_float(cfg, "optim.lr"), 2e-4);
    ck_assert(!genlab_config_bool(cfg, "train.deterministic"));
    ck_assert_str_eq(genlab_config_str(cfg, "train.name"), "a b");
    ck_assert_str_eq(genlab_config_str(cfg, "train.device"), "cpu");
    /* views take names relative to their scope */
    const genlab_config *d = genlab_config_scope(cfg, "discriminator");
    ck_assert_double_eq(genlab_config_float(d, "scale"), -2.0);
    ck_assert_ptr_eq(genlab_config_root(d), cfg);
    ck_assert_ptr_null(genlab_config_scope(cfg, "nope"));
    const genlab_component *c;
    const genlab_config *view;
    ck_assert_int_eq(genlab_config_component(genlab_config_scope(cfg, "mock"), "discriminator",
                                             GL_KIND_ARCH, &c, &view), GL_OK);
    ck_assert_ptr_eq(view, d);
    ck_assert_int_eq(genlab_config_status(cfg), GL_OK);
    /* a plugin bug: wrong type — a zero value and a sticky error */
    ck_assert_double_eq(genlab_config_int(d, "scale"), 0);
    ck_assert_int_eq(genlab_config_status(cfg), GL_ERR_INVALID);
    ck_assert_str_eq(genlab_config_errmsg(cfg),
                     "genlab_config_int: \"discriminator.scale\" is a parameter of type float");
    /* the first error stays */
    ck_assert(isnan(genlab_config_float(cfg, "optim.nope")));
    ck_assert_ptr_nonnull(strstr(genlab_config_errmsg(cfg), "genlab_config_int"));
    genlab_config_destroy(cfg);

    cfg = resolved(reg, NULL, 0, NULL);
    ck_assert(isnan(genlab_config_float(cfg, "optim.nope")));
    ck_assert_str_eq(genlab_config_errmsg(cfg),
                     "genlab_config_float: no parameter \"optim.nope\" is declared");
    genlab_config_destroy(cfg);

    cfg = resolved(reg, NULL, 0, NULL);
    ck_assert_int_eq(genlab_config_component(genlab_config_scope(cfg, "mock"), "loss",
                                             GL_KIND_ARCH, &c, &view), GL_ERR_INVALID);
    ck_assert_str_eq(genlab_config_errmsg(cfg), "genlab_config_component: \"mock.loss\" names "
                                                "a component of kind loss, not arch");
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
}
END_TEST

/* An optional component parameter (default ""): one row per way of
 * setting it, what resolve says, the component chosen ("" for none), the
 * bound scope's n_items (0: not bound) and a piece of the message. */
static const struct {
    const char   *args[3];
    genlab_status status;
    const char   *chosen;
    int64_t       n_items;
    const char   *msg;
} optional_cases[] = {
    {{NULL}, GL_OK, "", 0, NULL},                                   /* left out: none */
    {{"opt.data=", NULL}, GL_OK, "", 0, NULL},                      /* given empty: none */
    {{"opt.data=mock", NULL}, GL_OK, "mock", 100, NULL},             /* chosen: bound */
    {{"opt.data=mock", "data.n_items=5", NULL}, GL_OK, "mock", 5, NULL},
    {{"opt.data=nosuch", NULL}, GL_ERR_INVALID, NULL, 0,
     "opt.data = \"nosuch\": no dataset named \"nosuch\" (known: mock)"},
    /* not chosen: its keys do not exist */
    {{"data.n_items=5", NULL}, GL_ERR_INVALID, NULL, 0, "unknown key \"data.n_items\""},
};

START_TEST(test_optional_component)
{
    static const genlab_param_def defs[] = {
        {.name = "data", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_DATASET, .def = "",
         .help = "optional data"},
        {.name = "need", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_DATASET, .def = "mock",
         .help = "not optional: a default that names one"},
    };
    genlab_registry *reg = mock_registry();
    genlab_config *cfg = NULL;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(cfg, "opt", defs, 1), GL_OK);
    int n = 0;
    while (optional_cases[_i].args[n])
        n++;
    ck_assert_int_eq(genlab_config_set_args(cfg, n, optional_cases[_i].args), GL_OK);
    ck_assert_int_eq(genlab_config_resolve(cfg, reg), optional_cases[_i].status);
    if (optional_cases[_i].msg)
        ck_assert_msg(strstr(genlab_config_errmsg(cfg), optional_cases[_i].msg), "%s",
                      genlab_config_errmsg(cfg));
    if (optional_cases[_i].status == GL_OK) {
        const genlab_component *c = (const void *)1;
        const genlab_config *view = (const void *)1;
        ck_assert_int_eq(genlab_config_component(cfg, "opt.data", GL_KIND_DATASET, &c, &view),
                         GL_OK);
        ck_assert_str_eq(genlab_config_str(cfg, "opt.data"), optional_cases[_i].chosen);
        if (*optional_cases[_i].chosen) {
            ck_assert_str_eq(c->name, optional_cases[_i].chosen);
            ck_assert_int_eq(genlab_config_int(view, "n_items"), optional_cases[_i].n_items);
        } else {
            ck_assert_ptr_null(c);
            ck_assert_ptr_null(view);
            ck_assert_ptr_null(genlab_config_scope(cfg, "data"));
        }
        ck_assert_int_eq(genlab_config_status(cfg), GL_OK);
    }
    genlab_config_destroy(cfg);

    /* "" is no value for a component parameter whose default names one */
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(cfg, "opt", defs + 1, 1), GL_OK);
    ck_assert_int_eq(genlab_config_set(cfg, "opt.need", "", NULL), GL_OK);
    ck_assert_int_eq(genlab_config_resolve(cfg, reg), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_config_errmsg(cfg),
                                 "opt.need = \"\": not a component name"));
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
}
END_TEST

/* ---- declarations and states ---- */

static const char *const no_choices[] = {NULL};
static const char *const ab[] = {"a", "b", NULL};

/* One bad definition per row, and the piece of the message naming the fault. */
static const struct {
    genlab_param_def def;
    const char      *msg;
} bad_defs[] = {
    {{.name = "Bad", .type = GL_PARAM_INT, .help = "h"}, "parameter name \"Bad\""},
    {{.name = "x", .type = GL_PARAM_INT, .def = "1"}, "help is NULL"},
    {{.name = "x", .type = GL_PARAM_INT, .def = "0", .min = "1", .help = "h"},
     "default \"0\": out of range (allowed: >= 1)"},
    {{.name = "x", .type = GL_PARAM_INT, .min = "5", .max = "1", .help = "h"}, "min 5 > max 1"},
    {{.name = "x", .type = GL_PARAM_FLOAT, .max = "one", .help = "h"},
     "bound: expected a finite float"},
    {{.name = "x", .type = GL_PARAM_BOOL, .min = "0", .help = "h"}, "min/max apply to int"},
    {{.name = "x", .type = GL_PARAM_ENUM, .choices = no_choices, .help = "h"},
     "enum without choices"},
    {{.name = "x", .type = GL_PARAM_ENUM, .def = "c", .choices = ab, .help = "h"},
     "default \"c\": not an allowed value (allowed: a, b)"},
    {{.name = "x", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_COUNT, .help = "h"},
     "unknown component kind"},
};

START_TEST(test_bad_definitions)
{
    genlab_config *cfg = NULL;
    ck_assert_int_eq(genlab_config_create(&cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(cfg, "s", &bad_defs[_i].def, 1), GL_ERR_INVALID);
    ck_assert_msg(strstr(genlab_config_errmsg(cfg), bad_defs[_i].msg), "message: %s",
                  genlab_config_errmsg(cfg));
    ck_assert_uint_eq(genlab_config_count(cfg), 0);
    genlab_config_destroy(cfg);
}
END_TEST

START_TEST(test_declare_and_states)
{
    genlab_config *cfg = core_config();
    ck_assert_int_eq(genlab_config_declare(cfg, "optim", optim_defs, 1), GL_ERR_INVALID);
    ck_assert_str_eq(genlab_config_errmsg(cfg),
                     "genlab_config_declare: \"optim.lr\" is declared twice");
    ck_assert_int_eq(genlab_config_declare(cfg, "Bad.scope", optim_defs, 1), GL_ERR_INVALID);
    ck_assert_int_eq(genlab_config_declare(cfg, "a..b", optim_defs, 1), GL_ERR_INVALID);
    ck_assert_int_eq(genlab_config_declare(cfg, "sched.lr", optim_defs, 1), GL_OK);  /* dotted */
    /* before resolve nothing can be read */
    ck_assert_int_eq(genlab_config_count(cfg), 0);
    ck_assert_ptr_null(genlab_config_json(cfg));
    ck_assert_int_eq(genlab_config_int(cfg, "train.steps"), 0);
    ck_assert_int_eq(genlab_config_status(cfg), GL_ERR_STATE);
    genlab_config_destroy(cfg);

    genlab_registry *reg = mock_registry();
    cfg = resolved(reg, NULL, 0, NULL);
    ck_assert_int_eq(genlab_config_set(cfg, "optim.lr", "1", NULL), GL_ERR_STATE);
    ck_assert_int_eq(genlab_config_resolve(cfg, reg), GL_ERR_STATE);
    ck_assert_int_eq(genlab_config_declare(cfg, "x", optim_defs, 1), GL_ERR_STATE);
    /* a view is not a configuration of its own */
    genlab_config_destroy((genlab_config *)genlab_config_scope(cfg, "loss"));   /* no-op */
    ck_assert_uint_eq(genlab_config_count(genlab_config_scope(cfg, "loss")), 2);
    genlab_config_destroy(cfg);
    genlab_config_destroy(NULL);
    ck_assert_int_eq(genlab_config_create(NULL), GL_ERR_INVALID);

    /* without a registry, a component parameter cannot be resolved */
    cfg = core_config();
    ck_assert_int_eq(genlab_config_resolve(cfg, NULL), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(genlab_config_errmsg(cfg), "no plugin registry"));
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
    ck_assert_str_eq(genlab_param_type_name(GL_PARAM_ENUM), "enum");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("validation");
    tcase_add_loop_test(tc, test_cases, 0, N(cases));
    tcase_add_test(tc, test_missing_ini);
    tcase_add_test(tc, test_ini_status);
    suite_add_tcase(s, tc);
    tc = tcase_create("reading");
    tcase_add_test(tc, test_items_and_json);
    tcase_add_test(tc, test_getters);
    tcase_add_loop_test(tc, test_optional_component, 0, N(optional_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("declarations");
    tcase_add_loop_test(tc, test_bad_definitions, 0, N(bad_defs));
    tcase_add_test(tc, test_declare_and_states);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
