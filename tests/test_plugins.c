/* SPDX-License-Identifier: MIT
 *
 * test_plugins.c — the plugin loader and registry, and every component kind
 * of the mock plugin driven through them.
 *
 * The plugins are libtool modules built by `make check` into tests/.libs
 * (GL_TEST_PLUGIN_DIR): mock_plugin.so (one component of every kind) and
 * the broken_*.so builds of broken_plugin.c, each broken in one way. Tests
 * that need a search path build one in a temporary directory from copies,
 * symbolic links, a directory and a fifo.
 *
 * Sections: helpers, loading, search path, listing and JSON, components.
 */
#include <jansson.h>
#include <math.h>

#include "genlab/genlab.h"
#include "testutil.h"

/* ---- helpers ---- */

#define PLUGIN(name) GL_TEST_PLUGIN_DIR "/" name ".so"
#define MOCK         PLUGIN("mock_plugin")

/* what the registry logged, one line per message */
static char logged[16384];

static void capture(void *user, genlab_log_level level, const char *msg)
{
    (void)user, (void)level;
    size_t used = strlen(logged);
    snprintf(logged + used, sizeof logged - used, "%s\n", msg);
}

/* registry — an empty registry searching path (or only the plugin dir),
 * logging into `logged`. */
static genlab_registry *registry(const char *path)
{
    genlab_registry *reg = NULL;
    ck_assert_int_eq(genlab_registry_create(path ? path : GL_TEST_PLUGIN_DIR, &reg), GL_OK);
    logged[0] = '\0';
    genlab_registry_set_logger(reg, capture, NULL);
    return reg;
}

/* assert_msg — the registry's message contains every non-NULL needle. */
static void assert_msg(const char *msg, const char *const *needles, size_t n)
{
    for (size_t i = 0; i < n && needles[i]; i++)
        ck_assert_msg(strstr(msg, needles[i]), "message \"%s\" lacks \"%s\"", msg, needles[i]);
}

/* ---- loading ---- */

START_TEST(test_load_mock)
{
    genlab_registry *reg = registry(NULL);
    ck_assert_int_eq(genlab_plugin_load(reg, MOCK), GL_OK);
    ck_assert_str_eq(genlab_registry_errmsg(reg), "");
    ck_assert_uint_eq(genlab_registry_count(reg), GL_KIND_COUNT);
    /* one component of every kind, all called "mock", listed in load order */
    for (int k = 0; k < GL_KIND_COUNT; k++) {
        const genlab_component *c = genlab_registry_find(reg, (genlab_component_kind)k, "mock");
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(c->kind, k);
    }
    const genlab_module *m = NULL;
    const char *path = NULL;
    ck_assert_ptr_nonnull(genlab_registry_component(reg, 0, &m, &path));
    ck_assert_str_eq(m->name, "mock");
    ck_assert_str_eq(m->version, "1.2.3");
    ck_assert_str_eq(path, MOCK);
    ck_assert_ptr_null(genlab_registry_component(reg, GL_KIND_COUNT, NULL, NULL));
    /* the dataset's init() logged through the host; the loader logged the load */
    ck_assert_ptr_nonnull(strstr(logged, "dataset mock: ready"));
    ck_assert_ptr_nonnull(strstr(logged, "loaded plugin mock 1.2.3"));
    /* an unknown name: NULL, and the known names of that kind */
    ck_assert_ptr_null(genlab_registry_find(reg, GL_KIND_LOSS, "hinge"));
    ck_assert_str_eq(genlab_registry_errmsg(reg),
                     "genlab_registry_find: no loss named \"hinge\" (known: mock)");
    ck_assert_ptr_null(genlab_registry_find(reg, GL_KIND_LOSS, "moc"));   /* exact names */
    genlab_registry_destroy(reg);
    genlab_registry_destroy(NULL);   /* a no-op */
}
END_TEST

START_TEST(test_find_none_loaded)
{
    genlab_registry *reg = registry("/nonexistent-genlab-dir");
    ck_assert_ptr_null(genlab_registry_find(reg, GL_KIND_TRAINER, "gan"));
    ck_assert_str_eq(genlab_registry_errmsg(reg),
                     "genlab_registry_find: no trainer named \"gan\" (no trainer is loaded; "
                     "plugin search path: \"/nonexistent-genlab-dir\")");
    genlab_registry_destroy(reg);
}
END_TEST

/* the same file, however named, loads once */
START_TEST(test_load_twice_is_noop)
{
    genlab_registry *reg = registry(NULL);
    ck_assert_int_eq(genlab_plugin_load(reg, MOCK), GL_OK);
    logged[0] = '\0';
    ck_assert_int_eq(genlab_plugin_load(reg, MOCK), GL_OK);
    ck_assert_int_eq(genlab_plugin_load(reg, GL_TEST_PLUGIN_DIR "/./mock_plugin.so"), GL_OK);
    ck_assert_int_eq(genlab_plugin_load_name(reg, "mock_plugin"), GL_OK);
    ck_assert_uint_eq(genlab_registry_count(reg), GL_KIND_COUNT);
    ck_assert_ptr_nonnull(strstr(logged, "is already loaded"));
    ck_assert_ptr_null(strstr(logged, "loaded plugin"));   /* nothing was opened again */
    genlab_registry_destroy(reg);
}
END_TEST

/* One broken plugin per row: the status and the message's pieces. Every
 * message also names the file, and the registry is left unchanged. */
typedef struct broken_case {
    const char   *file;          /* under GL_TEST_PLUGIN_DIR */
    genlab_status status;
    const char   *msg[3];
} broken_case;

static const broken_case broken_cases[] = {
    /* no genlab_plugin_v1: named, and the dlsym text */
    {"broken_noentry.so", GL_ERR_ABI,
     {"genlab_plugin_load: not a genlab plugin", "no entry point genlab_plugin_v1 in it",
      "undefined symbol: genlab_plugin_v1"}},
    /* major 2 against the host's 1: both versions and what to do */
    {"broken_abi.so", GL_ERR_ABI,
     {"genlab_plugin_load: incompatible ABI", "module (plugin: 2.0, host: 1.0)",
      "Rebuild the plugin"}},
    /* a component's init() fails: its kind, name and reason, and its status */
    {"broken_init.so", GL_ERR_UNSUPPORTED,
     {"genlab_plugin_load: component init failed", "loss \"broken\"",
      "needs a frobnicator, none found"}},
    /* a parameter table whose default breaks its own range */
    {"broken_params.so", GL_ERR_INVALID,
     {"genlab_plugin_load: invalid parameter table", "parameter \"weight\"",
      "default \"5\": out of range (allowed: [0, 1])"}},
    /* a vtable without a required member */
    {"broken_iface.so", GL_ERR_ABI,
     {"genlab_plugin_load: invalid descriptor", "loss \"broken\"",
      "required member compute is NULL"}},
    /* no such file */
    {"no_such_plugin.so", GL_ERR_IO, {"genlab_plugin_load: cannot open", "No such file"}},
};

START_TEST(test_broken)
{
    const broken_case *c = &broken_cases[_i];
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", GL_TEST_PLUGIN_DIR, c->file);
    genlab_registry *reg = registry(NULL);
    ck_assert_int_eq(genlab_plugin_load(reg, path), c->status);
    const char *msg = genlab_registry_errmsg(reg);
    assert_msg(msg, c->msg, 3);
    ck_assert_msg(strstr(msg, path), "message \"%s\" does not name the file", msg);
    ck_assert_uint_eq(genlab_registry_count(reg), 0);
    /* nothing half-registered; the registry still works */
    ck_assert_int_eq(genlab_plugin_load(reg, MOCK), GL_OK);
    ck_assert_str_eq(genlab_registry_errmsg(reg), "");
    ck_assert_uint_eq(genlab_registry_count(reg), GL_KIND_COUNT);
    genlab_registry_destroy(reg);
}
END_TEST

/* two files declaring one component: both files are named */
START_TEST(test_duplicate_component)
{
    genlab_registry *reg = registry(NULL);
    ck_assert_int_eq(genlab_plugin_load(reg, PLUGIN("broken_dup_a")), GL_OK);
    ck_assert_int_eq(genlab_plugin_load(reg, PLUGIN("broken_dup_b")), GL_ERR_INVALID);
    const char *needles[] = {
        "genlab_plugin_load: duplicate component \"" PLUGIN("broken_dup_b") "\"",
        "loss \"dup\"", "(first from \"" PLUGIN("broken_dup_a") "\")"};
    assert_msg(genlab_registry_errmsg(reg), needles, 3);
    ck_assert_uint_eq(genlab_registry_count(reg), 1);
    genlab_registry_destroy(reg);
}
END_TEST

/* a file that is not a shared object: the dlerror() text and the ldd hint */
START_TEST(test_dlopen_failure)
{
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/garbage.so", dir);
    tu_write(path, "this is not an ELF file\n", (size_t)-1);
    genlab_registry *reg = registry(dir);
    ck_assert_int_eq(genlab_plugin_load(reg, path), GL_ERR_IO);
    char hint[600];
    snprintf(hint, sizeof hint, "check dependencies with ldd \"%s\"", path);
    const char *needles[] = {"genlab_plugin_load: cannot load", path, hint};
    assert_msg(genlab_registry_errmsg(reg), needles, 3);
    /* the dlerror() text follows the path */
    ck_assert_ptr_nonnull(strstr(genlab_registry_errmsg(reg), "garbage.so\": "));
    ck_assert_ptr_nonnull(strstr(genlab_registry_errmsg(reg), "garbage.so: "));
    genlab_registry_destroy(reg);
    tu_rmtree(dir);
}
END_TEST

/* ---- search path ---- */

/* a search directory: a copy of mock, and things the loader must skip */
static void make_search_dir(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mock_plugin.so", dir);
    tu_copy(MOCK, path);
    snprintf(path, sizeof path, "%s/link.so", dir);          /* would fail if loaded */
    ck_assert_int_eq(symlink(PLUGIN("broken_abi"), path), 0);
    snprintf(path, sizeof path, "%s/subdir.so", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/fifo.so", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    snprintf(path, sizeof path, "%s/notes.txt", dir);        /* not *.so */
    tu_write(path, "not a plugin", (size_t)-1);
}

START_TEST(test_load_all_skips_and_shadows)
{
    char a[256], b[256], search[600], path[512];
    tu_tmpdir(a, sizeof a);
    tu_tmpdir(b, sizeof b);
    make_search_dir(a);
    snprintf(path, sizeof path, "%s/mock_plugin.so", b);     /* shadowed by a's */
    tu_copy(MOCK, path);
    snprintf(path, sizeof path, "%s/extra.so", b);
    tu_copy(PLUGIN("broken_dup_a"), path);
    /* an empty element and a missing directory are ignored */
    snprintf(search, sizeof search, "%s::/nonexistent-genlab-dir:%s", a, b);
    genlab_registry *reg = registry(search);
    ck_assert_int_eq(genlab_plugin_load_all(reg), GL_OK);
    ck_assert_str_eq(genlab_registry_errmsg(reg), "");
    ck_assert_uint_eq(genlab_registry_count(reg), GL_KIND_COUNT + 1);
    ck_assert_int_eq(genlab_plugin_load_all(reg), GL_OK);     /* again: a no-op */
    ck_assert_uint_eq(genlab_registry_count(reg), GL_KIND_COUNT + 1);
    const char *path0 = NULL;
    genlab_registry_component(reg, 0, NULL, &path0);
    ck_assert_ptr_nonnull(strstr(path0, a));               /* the first directory won */
    const char *needles[] = {"link.so\": not a regular file", "subdir.so\": not a regular file",
                             "fifo.so\": not a regular file", "shadowed by"};
    assert_msg(logged, needles, 4);
    ck_assert_ptr_null(strstr(logged, "notes.txt"));
    /* loaded explicitly, a symbolic link is refused */
    snprintf(path, sizeof path, "%s/link.so", a);
    ck_assert_int_eq(genlab_plugin_load(reg, path), GL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(genlab_registry_errmsg(reg), "not a regular file"));
    genlab_registry_destroy(reg);
    tu_rmtree(a);
    tu_rmtree(b);
}
END_TEST

START_TEST(test_load_name_exact)
{
    char a[256];
    tu_tmpdir(a, sizeof a);
    make_search_dir(a);
    genlab_registry *reg = registry(a);
    /* "mock" must not match "mock_plugin.so"; "link" is not a regular file */
    ck_assert_int_eq(genlab_plugin_load_name(reg, "mock"), GL_ERR_IO);
    ck_assert_ptr_nonnull(strstr(genlab_registry_errmsg(reg), "no plugin \"mock.so\""));
    ck_assert_ptr_nonnull(strstr(genlab_registry_errmsg(reg), a));
    ck_assert_int_eq(genlab_plugin_load_name(reg, "link"), GL_ERR_IO);
    ck_assert_uint_eq(genlab_registry_count(reg), 0);
    ck_assert_int_eq(genlab_plugin_load_name(reg, "mock_plugin"), GL_OK);
    ck_assert_uint_eq(genlab_registry_count(reg), GL_KIND_COUNT);
    genlab_registry_destroy(reg);
    tu_rmtree(a);
}
END_TEST

/* load_all goes on past failures and reports each */
START_TEST(test_load_all_collects_failures)
{
    char a[256], path[512];
    tu_tmpdir(a, sizeof a);
    snprintf(path, sizeof path, "%s/a_abi.so", a);
    tu_copy(PLUGIN("broken_abi"), path);
    snprintf(path, sizeof path, "%s/b_init.so", a);
    tu_copy(PLUGIN("broken_init"), path);
    snprintf(path, sizeof path, "%s/c_mock.so", a);
    tu_copy(MOCK, path);
    genlab_registry *reg = registry(a);
    ck_assert_int_eq(genlab_plugin_load_all(reg), GL_ERR_ABI);   /* the first failure's */
    const char *msg = genlab_registry_errmsg(reg);
    const char *abi = strstr(msg, "a_abi.so"), *init = strstr(msg, "b_init.so");
    ck_assert_msg(abi && init && abi < init && strchr(msg, '\n'), "message: %s", msg);
    ck_assert_uint_eq(genlab_registry_count(reg), GL_KIND_COUNT);   /* c_mock loaded */
    genlab_registry_destroy(reg);
    tu_rmtree(a);
}
END_TEST

START_TEST(test_default_search_path)
{
    genlab_registry *reg = NULL;
    ck_assert_int_eq(setenv("GENLAB_PLUGIN_PATH", "/opt/a:/opt/b", 1), 0);
    ck_assert_int_eq(genlab_registry_create(NULL, &reg), GL_OK);
    ck_assert_str_eq(genlab_registry_search_path(reg), "/opt/a:/opt/b:" GENLAB_PLUGINDIR);
    genlab_registry_destroy(reg);
    ck_assert_int_eq(unsetenv("GENLAB_PLUGIN_PATH"), 0);
    ck_assert_int_eq(genlab_registry_create(NULL, &reg), GL_OK);
    ck_assert_str_eq(genlab_registry_search_path(reg), GENLAB_PLUGINDIR);
    genlab_registry_destroy(reg);
    ck_assert_int_eq(genlab_registry_create(NULL, NULL), GL_ERR_INVALID);
}
END_TEST

/* ---- listing and JSON ---- */

START_TEST(test_registry_json)
{
    genlab_registry *reg = registry(NULL);
    ck_assert_int_eq(genlab_plugin_load(reg, MOCK), GL_OK);
    ck_assert_int_eq(genlab_plugin_load(reg, PLUGIN("broken_dup_a")), GL_OK);
    char *text = genlab_registry_json(reg, true);
    ck_assert_str_eq(text, "[]");   /* nothing looked up yet */
    free(text);
    ck_assert_ptr_nonnull(genlab_registry_find(reg, GL_KIND_LOSS, "dup"));
    text = genlab_registry_json(reg, true);
    json_error_t err;
    json_t *used = json_loads(text, 0, &err);
    ck_assert_msg(used != NULL, "bad JSON %s: %s", text, err.text);
    ck_assert_uint_eq(json_array_size(used), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(used, 0), "name")), "dup_a");
    json_decref(used);
    free(text);

    text = genlab_registry_json(reg, false);
    json_t *all = json_loads(text, 0, &err);
    ck_assert_msg(all != NULL, "bad JSON %s: %s", text, err.text);
    ck_assert_uint_eq(json_array_size(all), 2);
    json_t *mock = json_array_get(all, 0);
    ck_assert_str_eq(json_string_value(json_object_get(mock, "name")), "mock");
    ck_assert_str_eq(json_string_value(json_object_get(mock, "version")), "1.2.3");
    ck_assert_str_eq(json_string_value(json_object_get(mock, "abi")), "1.0");
    ck_assert_str_eq(json_string_value(json_object_get(mock, "path")), MOCK);
    json_t *comps = json_object_get(mock, "components");
    ck_assert_uint_eq(json_array_size(comps), GL_KIND_COUNT);
    ck_assert_str_eq(json_string_value(json_array_get(comps, 0)), "trainer/mock");
    ck_assert_str_eq(json_string_value(json_array_get(comps, 7)), "backend/mock");
    json_decref(all);
    free(text);
    genlab_registry_destroy(reg);
}
END_TEST

/* parameters are read through the plugin's param_size stride */
START_TEST(test_component_params)
{
    genlab_registry *reg = registry(NULL);
    ck_assert_int_eq(genlab_plugin_load(reg, MOCK), GL_OK);
    const genlab_component *t = genlab_registry_find(reg, GL_KIND_TRAINER, "mock");
    genlab_param_def d;
    ck_assert(genlab_component_param(t, 5, &d));
    ck_assert_str_eq(d.name, "n_critic");
    ck_assert_int_eq(d.type, GL_PARAM_INT);
    ck_assert_str_eq(d.def, "2");
    ck_assert_str_eq(d.max, "10");
    ck_assert(genlab_component_param(t, 2, &d));
    ck_assert_int_eq(d.type, GL_PARAM_COMPONENT);
    ck_assert_int_eq(d.kind, GL_KIND_LOSS);
    ck_assert(!genlab_component_param(t, t->n_params, &d));
    ck_assert_str_eq(genlab_kind_name(GL_KIND_SCHEDULE), "schedule");
    ck_assert_str_eq(genlab_kind_name(GL_KIND_COUNT), "?");
    genlab_registry_destroy(reg);
}
END_TEST

/* ---- components ---- */

/* the core's own parameters in these tests */
static const genlab_param_def core_train[] = {
    {.name = "steps", .type = GL_PARAM_INT, .def = "11", .min = "1", .help = "steps"},
    {.name = "trainer", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_TRAINER, .def = "mock",
     .flags = GL_PARAM_SCOPE_BY_NAME, .help = "trainer"},
    {.name = "dataset", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_DATASET, .def = "mock",
     .help = "data"},
    {.name = "metric", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_METRIC, .def = "mock",
     .help = "score"},
    {.name = "backend", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_BACKEND, .def = "mock",
     .help = "compute backend"},
};

typedef struct fixture {
    genlab_registry *reg;
    genlab_config   *cfg;
    genlab_ctx      *ctx;
    genlab_host      host;
} fixture;

/* setup — mock loaded, core declared, overrides applied and resolved. */
static void setup(fixture *f, int argc, const char *const *argv)
{
    f->reg = registry(NULL);
    ck_assert_int_eq(genlab_plugin_load(f->reg, MOCK), GL_OK);
    ck_assert_int_eq(genlab_config_create(&f->cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(f->cfg, "train", core_train,
                                           sizeof core_train / sizeof core_train[0]), GL_OK);
    ck_assert_int_eq(genlab_config_set_args(f->cfg, argc, argv), GL_OK);
    ck_assert_msg(genlab_config_resolve(f->cfg, f->reg) == GL_OK, "%s",
                  genlab_config_errmsg(f->cfg));
    f->ctx = tu_ctx(7);
    genlab_host_init(&f->host, f->reg, f->ctx, f->cfg);
}

static void teardown(fixture *f)
{
    ck_assert_int_eq(genlab_config_status(f->cfg), GL_OK);   /* no plugin asked amiss */
    genlab_ctx_destroy(f->ctx);
    genlab_config_destroy(f->cfg);
    genlab_registry_destroy(f->reg);
}

/* bound — the component named by scope.ref, and its parameters' view */
static const void *bound(fixture *f, const char *scope, const char *ref,
                         genlab_component_kind kind, const genlab_config **view)
{
    const genlab_component *c = NULL;
    const genlab_config *s = genlab_config_scope(f->cfg, scope);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(genlab_config_component(s, ref, kind, &c, view), GL_OK);
    ck_assert_str_eq(c->name, "mock");
    return c->iface;
}

/* a batch source over the dataset: batch k holds items k and k + 1 */
typedef struct source {
    const genlab_dataset_i *ds;
    void    *state;
    int64_t  calls;
} source;

static genlab_status next_batch(genlab_ctx *ctx, void *context, genlab_batch *out)
{
    source *s = context;
    int64_t idx[2] = {s->calls, s->calls + 1};
    s->calls++;
    return s->ds->read(ctx, s->state, idx, 2, out);
}

START_TEST(test_trainer_and_dataset)
{
    fixture f;
    /* loss weight 0 leaves only the penalty, which needs no random numbers */
    setup(&f, 6, (const char *const[]){"mock.n_critic=3", "generator.scale=2",
                                       "discriminator.scale=0.5", "loss.weight=0",
                                       "loss.penalty=1", "dataset.n_items=10"});
    const genlab_config *view;
    const genlab_dataset_i *ds = bound(&f, "train", "dataset", GL_KIND_DATASET, &view);
    genlab_data_spec spec;
    void *data = NULL;
    ck_assert_int_eq(ds->open(&f.host, view, "train", &spec, &data), GL_OK);
    ck_assert_int_eq(spec.n_items, 10);
    ck_assert_int_eq(spec.height, 4);
    ck_assert_int_eq(spec.n_classes, 3);
    ck_assert_str_eq(ds->identity(data), "mock:10");
    void *bad = NULL;
    ck_assert_int_eq(ds->open(&f.host, view, "valid", &spec, &bad), GL_ERR_INVALID);
    ck_assert_str_eq(genlab_ctx_errmsg(f.ctx), "dataset mock: no split \"valid\"");
    genlab_ctx_clear_error(f.ctx);

    const genlab_trainer_i *tr = bound(&f, "train", "trainer", GL_KIND_TRAINER, &view);
    void *state = NULL;
    ck_assert_int_eq(tr->create(&f.host, view, &spec, &state), GL_OK);
    ck_assert_ptr_nonnull(strstr(logged, "trainer mock: n_critic=3"));
    source src = {ds, data, 0};
    genlab_batch_source bs = {next_batch, &src};
    genlab_step_metrics m = {0};
    genlab_ctx_step_begin(f.ctx);
    ck_assert_msg(tr->step(f.ctx, state, 0, &bs, &m) == GL_OK, "%s", genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(src.calls, 3);                    /* n_critic batches */
    ck_assert_int_eq(m.n, 3);
    ck_assert_str_eq(m.name[0], "d_loss");
    /* last batch: items 2, 3 of value -5/9, -1/3; the critic halves their
     * mean: penalty = mean((-5/18)^2, (-1/6)^2) = 17/324. float32 math on
     * values near 0.05: 1e-6 is a few ulps */
    ck_assert_double_eq_tol(m.value[0], 17.0 / 324.0, 1e-6);
    ck_assert_str_eq(m.name[1], "g_loss");
    ck_assert_double_eq(m.value[1], 0.0);              /* -0 * mean(d_fake) */
    ck_assert_str_eq(m.name[2], "schedule");
    ck_assert_double_eq(m.value[2], 1.0);              /* start of the ramp */

    genlab_tensor *img = tr->sample(f.ctx, state, 5, NULL);
    ck_assert_msg(img != NULL, "%s", genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(genlab_tensor_ndim(img), 4);
    ck_assert_int_eq(genlab_tensor_dim(img, 0), 5);
    ck_assert_int_eq(genlab_tensor_dim(img, 3), 4);
    for (int64_t i = 0; i < genlab_tensor_numel(img); i++)
        ck_assert(fabsf(genlab_tensor_f32(img)[i]) < 1.0f);
    ck_assert_ptr_null(tr->visit);                     /* optional member left NULL */
    tr->destroy(state);
    ds->close(data);
    teardown(&f);
}
END_TEST

/* a trainer that cannot feed its loss refuses to start */
START_TEST(test_loss_inputs_checked)
{
    static const char *const provided[] = {"d_fake", "x_fake", NULL};
    fixture f;
    setup(&f, 0, NULL);
    const genlab_config *view;
    const genlab_loss_i *l = bound(&f, "mock", "loss", GL_KIND_LOSS, &view);
    ck_assert_str_eq(genlab_loss_missing_input(l, provided), "d_real");
    static const char *const all[] = {"x_real", "d_real", "d_fake", NULL};
    ck_assert_ptr_null(genlab_loss_missing_input(l, all));
    teardown(&f);
}
END_TEST

static genlab_tensor *identity_critic(genlab_ctx *ctx, void *c, genlab_tensor *x)
{
    (void)c;
    return genlab_scale(ctx, x, 1.0f);
}

START_TEST(test_loss)
{
    fixture f;
    setup(&f, 2, (const char *const[]){"loss.weight=2", "loss.penalty=0.5"});
    const genlab_config *view;
    const genlab_loss_i *l = bound(&f, "mock", "loss", GL_KIND_LOSS, &view);
    void *state = NULL;
    ck_assert_int_eq(l->create(&f.host, view, &state), GL_OK);
    genlab_named_tensor in[] = {
        {"d_real", genlab_tensor_from(f.ctx, 1, TU_SHAPE(2), (const float[]){1, 3})},
        {"d_fake", genlab_tensor_from(f.ctx, 1, TU_SHAPE(2), (const float[]){2, 2})},
        {"x_real", genlab_tensor_from(f.ctx, 1, TU_SHAPE(2), (const float[]){1, 2})},
    };
    /* D: 2 * (2 - 2) + 0.5 * mean(1, 4) = 1.25; G: -2 * 2. Exact in float32. */
    genlab_loss_args d = {GL_OBJ_DISCRIMINATOR, 3, in, identity_critic, NULL};
    ck_assert_float_eq(genlab_tensor_item(l->compute(f.ctx, state, &d)), 1.25f);
    genlab_loss_args g = {GL_OBJ_GENERATOR, 3, in, NULL, NULL};
    ck_assert_float_eq(genlab_tensor_item(l->compute(f.ctx, state, &g)), -4.0f);
    /* an objective the loss does not define, and a missing input */
    genlab_loss_args main_obj = {GL_OBJ_MAIN, 3, in, NULL, NULL};
    ck_assert_ptr_null(l->compute(f.ctx, state, &main_obj));
    ck_assert_str_eq(genlab_ctx_errmsg(f.ctx), "loss mock: objective 0 is not defined");
    genlab_ctx_clear_error(f.ctx);
    genlab_loss_args missing = {GL_OBJ_DISCRIMINATOR, 1, in + 1, NULL, NULL};
    ck_assert_ptr_null(l->compute(f.ctx, state, &missing));
    ck_assert_str_eq(genlab_ctx_errmsg(f.ctx), "loss mock: input d_real missing");
    l->destroy(state);
    teardown(&f);
}
END_TEST

/* a test model for the sampler: records the times it is asked about */
typedef struct model_log {
    int   calls;
    float t[8];
    float eps;
} model_log;

static genlab_tensor *test_model(genlab_ctx *ctx, void *model_ctx, genlab_tensor *x_t,
                                 genlab_tensor *t, genlab_tensor *y)
{
    (void)y;
    model_log *m = model_ctx;
    m->t[m->calls++ % 8] = genlab_tensor_f32(t)[0];
    return genlab_affine(ctx, x_t, 0.0f, m->eps);   /* eps everywhere, x_t's shape */
}

static double half(void *ctx, int64_t t)
{
    (void)ctx, (void)t;
    return 0.5;
}

START_TEST(test_schedule_and_sampler)
{
    fixture f;
    setup(&f, 2, (const char *const[]){"sampler.steps=4", "schedule.end=-1"});
    const genlab_config *view;
    const genlab_schedule_i *s = bound(&f, "mock", "schedule", GL_KIND_SCHEDULE, &view);
    void *sched = NULL;
    ck_assert_int_eq(s->create(&f.host, view, 11, &sched), GL_OK);
    /* linear from 1 to -1 over 11 steps; exact in binary for these steps */
    ck_assert_double_eq(s->at(sched, 0), 1.0);
    ck_assert_double_eq(s->at(sched, 5), 0.0);
    ck_assert_double_eq(s->at(sched, 10), -1.0);
    s->destroy(sched);

    const genlab_sampler_i *sm = bound(&f, "mock", "sampler", GL_KIND_SAMPLER, &view);
    void *st = NULL;
    ck_assert_int_eq(sm->create(&f.host, view, &st), GL_OK);
    genlab_tensor *x = genlab_tensor_new_persistent(f.ctx, GL_F32, 2, TU_SHAPE(2, 3));
    genlab_rng_fill(f.ctx, x, GL_STREAM_DEFAULT, 1, 0.0f, 1.0f);
    model_log ml = {.eps = 1.0f};
    genlab_sampler_args a = {x, NULL, 10, test_model, &ml, half, NULL};
    genlab_tensor *x0 = sm->run(f.ctx, st, &a);
    ck_assert_ptr_nonnull(x0);
    /* its own 4 steps over the training T = 10: times 9, 6, 3, 0 */
    ck_assert_int_eq(ml.calls, 4);
    ck_assert_float_eq(ml.t[0], 9.0f);
    ck_assert_float_eq(ml.t[3], 0.0f);
    /* each step subtracts (1 - 0.5) * 1; float32 of values ~N(0,1) minus 2:
     * a few ulps at magnitude 4 */
    for (int i = 0; i < 6; i++)
        ck_assert_float_eq_tol(genlab_tensor_f32(x0)[i], genlab_tensor_f32(x)[i] - 2.0f, 1e-6f);
    genlab_tensor_free(x);
    sm->destroy(st);
    teardown(&f);
}
END_TEST

START_TEST(test_arch)
{
    fixture f;
    setup(&f, 1, (const char *const[]){"discriminator.scale=3"});
    const genlab_config *view;
    const genlab_arch_i *a = bound(&f, "mock", "discriminator", GL_KIND_ARCH, &view);
    genlab_arch_spec spec = {.role = GL_ROLE_DISCRIMINATOR, .in_ndim = 3, .in_shape = {1, 2, 2},
                             .out_ndim = 1, .out_shape = {1}};
    void *st = NULL;
    ck_assert_int_eq(a->build(&f.host, view, &spec, NULL, &st), GL_OK);
    genlab_tensor *x = genlab_tensor_from(f.ctx, 4, TU_SHAPE(2, 1, 2, 2),
                                          (const float[]){1, 2, 3, 4, 0, 0, 0, 4});
    genlab_tensor *y = a->forward(f.ctx, st, x, NULL, NULL, false);
    ck_assert_msg(y != NULL, "%s", genlab_ctx_errmsg(f.ctx));
    ck_assert_int_eq(genlab_tensor_ndim(y), 2);
    ck_assert_float_eq(genlab_tensor_f32(y)[0], 7.5f);   /* 3 * 2.5, exact */
    ck_assert_float_eq(genlab_tensor_f32(y)[1], 3.0f);   /* 3 * 1 */
    a->destroy(st);
    /* the other scope has its own (default) scale */
    ck_assert_double_eq(genlab_config_float(genlab_config_scope(f.cfg, "generator"), "scale"), 1.0);
    teardown(&f);
}
END_TEST

START_TEST(test_metric_and_backend)
{
    fixture f;
    setup(&f, 0, NULL);
    const genlab_config *view;
    const genlab_metric_i *mi = bound(&f, "train", "metric", GL_KIND_METRIC, &view);
    void *st = NULL;
    ck_assert_int_eq(mi->create(&f.host, view, &st), GL_OK);
    genlab_tensor *real = genlab_full(f.ctx, 4, TU_SHAPE(2, 1, 2, 2), 1.0f);
    genlab_tensor *fake = genlab_full(f.ctx, 4, TU_SHAPE(3, 1, 2, 2), 0.25f);
    ck_assert_int_eq(mi->add(f.ctx, st, GL_SET_REAL, real), GL_OK);
    ck_assert_int_eq(mi->add(f.ctx, st, GL_SET_FAKE, fake), GL_OK);
    genlab_score sc[2];
    int n = 0;
    ck_assert_int_eq(mi->compute(f.ctx, st, sc, 2, &n), GL_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(sc[0].name, "mean_gap");
    ck_assert_double_eq(sc[0].value, 0.75);   /* exact: sums of 1 and 0.25 */
    ck_assert_int_eq(sc[0].n_samples, 3);
    json_t *proto = json_loads(mi->protocol(st), 0, NULL);
    ck_assert_ptr_nonnull(proto);
    ck_assert_str_eq(json_string_value(json_object_get(proto, "metric")), "mock");
    json_decref(proto);
    ck_assert_int_eq(mi->reset(st), GL_OK);
    ck_assert_int_eq(mi->compute(f.ctx, st, sc, 2, &n), GL_ERR_STATE);
    mi->destroy(st);

    const genlab_backend_plugin_i *b = bound(&f, "train", "backend", GL_KIND_BACKEND, &view);
    const genlab_backend_i *tbl = b->table();
    ck_assert_ptr_eq(tbl, genlab_backend_cpu());
    ck_assert_int_gt(tbl->probe(), 0);
    teardown(&f);
}
END_TEST

/* host services: find records its error on the context; log goes to the
 * registry's logger */
START_TEST(test_host)
{
    fixture f;
    setup(&f, 0, NULL);
    ck_assert_uint_eq(f.host.struct_size, sizeof(genlab_host));
    ck_assert_ptr_eq(f.host.ctx, f.ctx);
    ck_assert_ptr_nonnull(f.host.find(&f.host, GL_KIND_SAMPLER, "mock"));
    ck_assert_ptr_null(f.host.find(&f.host, GL_KIND_SAMPLER, "ddim"));
    ck_assert_int_eq(genlab_ctx_status(f.ctx), GL_ERR_INVALID);
    ck_assert_str_eq(genlab_ctx_errmsg(f.ctx),
                     "genlab_registry_find: no sampler named \"ddim\" (known: mock)");
    logged[0] = '\0';
    f.host.log(&f.host, GL_LOG_WARN, "value %d", 42);
    ck_assert_str_eq(logged, "value 42\n");
    ck_assert_ptr_nonnull(GL_IFACE_GET(&f.host, genlab_host, find));
    teardown(&f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("plugins");
    TCase *tc = tcase_create("loading");
    tcase_add_test(tc, test_load_mock);
    tcase_add_test(tc, test_find_none_loaded);
    tcase_add_test(tc, test_load_twice_is_noop);
    tcase_add_loop_test(tc, test_broken, 0, sizeof broken_cases / sizeof broken_cases[0]);
    tcase_add_test(tc, test_duplicate_component);
    tcase_add_test(tc, test_dlopen_failure);
    suite_add_tcase(s, tc);
    tc = tcase_create("search path");
    tcase_add_test(tc, test_load_all_skips_and_shadows);
    tcase_add_test(tc, test_load_name_exact);
    tcase_add_test(tc, test_load_all_collects_failures);
    tcase_add_test(tc, test_default_search_path);
    suite_add_tcase(s, tc);
    tc = tcase_create("listing");
    tcase_add_test(tc, test_registry_json);
    tcase_add_test(tc, test_component_params);
    suite_add_tcase(s, tc);
    tc = tcase_create("components");
    tcase_add_test(tc, test_trainer_and_dataset);
    tcase_add_test(tc, test_loss_inputs_checked);
    tcase_add_test(tc, test_loss);
    tcase_add_test(tc, test_schedule_and_sampler);
    tcase_add_test(tc, test_arch);
    tcase_add_test(tc, test_metric_and_backend);
    tcase_add_test(tc, test_host);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
