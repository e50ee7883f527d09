/* SPDX-License-Identifier: MIT
 *
 * cmd_score.c — the evaluation commands: `genlab stats` (reference
 * statistics of real images, pytorch-fid's .npz, cached), `genlab score`
 * (a run's samples scored, one row per score in the store) and `genlab fid`
 * (the FID between two sets: folders, datasets, runs or .npz files).
 *
 * It holds no metric logic: features, statistics and scores belong to the
 * metric components (plugins/metrics: "inception", "classifier"), reached
 * through the plugin ABI (genlab_metric_i, its statistics() for reference
 * files), the Fréchet distance of two files to <genlab/scores.h>, the .npz
 * format to <genlab/npz.h>. This file chooses where images come from, how
 * many, in which batches, what is printed, what is recorded and the exit
 * status: 0 done, 1 a failure (a missing file, an unreadable one, images an
 * extractor refuses), 2 bad usage or configuration; nothing half-written
 * (files are written atomically, an evaluation's score rows in one
 * transaction).
 *
 * Every command works on one context of its own (the metrics' and the
 * datasets'); a run's samples are made on its model's context and copied
 * over, a batch at a time.
 *
 * Sections: help, arguments, the evaluation, metrics, image sources,
 * feeding, stats, score, fid.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "genlab/genlab.h"
#include "genlab/npz.h"
#include "genlab/scores.h"
#include "output.h"
#include "progress.h"

/* ---- help ---- */

#define EVAL_OPTIONS_HELP                                                                    \
    "  --batch B        images per batch through the extractor, in [1, 4096] (default 50)\n" \
    "  --threads T      kernel threads, 0: OpenMP's default (default 0)\n"                   \
    "  --db FILE        the store (default: $GENLAB_DB, else ./genlab.db)\n"

static const cli_help stats_help = {
    .command = "stats",
    .synopsis = "genlab stats DATASET_OR_FOLDER --out FILE [--extractor NAME] [--weights FILE]\n"
                "             [--split S] [-n N] [--cache DIR] [KEY=VALUE]...",
    .body =
        "Computes the reference statistics of real images for FID: the mean (mu) and\n"
        "covariance (sigma) of their features, in float64, written as FILE in\n"
        "pytorch-fid's .npz layout (np.load(FILE)['mu'], ['sigma']): such a file\n"
        "moves between genlab and pytorch-fid both ways, and is what `genlab score\n"
        "--ref` and `genlab fid` take.\n"
        "\n"
        "DATASET_OR_FOLDER is a dataset component (idx, cifar10, cifar100, ...), its\n"
        "parameters given as dataset.KEY=VALUE, optionally with its split as\n"
        "NAME:SPLIT; or a directory of PNG and JPEG files (the imagefolder dataset).\n"
        "The first N images are used (all of them by default). The extractor is a\n"
        "metric component: inception (the FID Inception of pytorch-fid; its weights\n"
        "file is required, see doc/metrics.md) or classifier (classifier-fid; the\n"
        "weights are a checkpoint of the classifier trainer, or a run id of one).\n"
        "Its parameters are given as NAME.KEY=VALUE (inception.resize=clean-fid).\n"
        "\n"
        "Statistics are cached in DIR, keyed by the dataset's identity (a hash of its\n"
        "files), its parameters and split, the extractor's weights hash and resize\n"
        "rule, and N: a second call with the same inputs reads them from there,\n"
        "instantly, and says so.\n"
        "\n"
        "options:\n"
        "  --out FILE       the .npz to write (required)\n"
        "  --extractor NAME inception (default) or classifier\n"
        "  --weights FILE   the extractor's weights (sets NAME.weights)\n"
        "  --split S        the dataset's split, train (default) or test\n"
        "  -n N             at most N images (default: all)\n"
        "  --cache DIR      the cache (default: stats-cache beside the store); none: off\n"
        EVAL_OPTIONS_HELP
        "\n"
        "examples:\n"
        "  genlab stats cifar10 dataset.dir=data/cifar-10-batches-bin \\\n"
        "      --weights pt_inception.safetensors --out cifar10-train.npz\n"
        "  genlab stats idx:test --extractor classifier --weights 2 --out fmnist-test.npz\n"
        "  genlab stats ./photos dataset.size=64 --weights pt_inception.safetensors \\\n"
        "      --out photos.npz\n",
};

static const cli_help score_help = {
    .command = "score",
    .synopsis = "genlab score RUN --metric LIST [-n N] [--ref FILE] [--split S] [--n-real N]\n"
                "             [--seed S] [--cache DIR] [--classifier-steps N] [--sampler NAME]\n"
                "             [--steps N] [normal=C1,C2,...] [KEY=VALUE]...",
    .body =
        "Scores run RUN (an id, a uuid prefix, or last or last:TRAINER: the newest run,\n"
        "of that trainer): N images are generated by its newest checkpoint's model (as\n"
        "genlab sample makes them, latents from seed S) and scored; one row per score\n"
        "goes into the store's scores table, with its full protocol, and a table of\n"
        "them is printed.\n"
        "\n"
        "LIST is comma-separated, among:\n"
        "  fid, is, kid, pr       on the FID Inception's features (the metric component\n"
        "                         inception; inception.weights=FILE is required)\n"
        "  classifier-fid, classifier-is, classifier-kid, classifier-pr\n"
        "                         on a classifier genlab trained (the component\n"
        "                         classifier; classifier.weights=FILE or =RUN, a run of\n"
        "                         the classifier trainer, or =auto: the newest\n"
        "                         classifier run on RUN's dataset, trained first when\n"
        "                         the store has none): no download needed\n"
        "  auroc                  anomaly detection, with normal=C1,C2,... (class\n"
        "                         numbers): the run's trainer scores the held-out\n"
        "                         images (split S, default test; the first N if -n is\n"
        "                         given) by its anomaly_score (a VAE's -ELBO or\n"
        "                         reconstruction error, as its run chose: vae.anomaly);\n"
        "                         images of the normal classes are the negatives, the\n"
        "                         others the positives; the ROC-AUC is recorded\n"
        "pr gives two scores, precision and recall. Their parameters are given as\n"
        "inception.KEY=VALUE and classifier.KEY=VALUE (genlab plugins show inception).\n"
        "\n"
        "FID compares with the reference statistics --ref FILE (genlab stats; one\n"
        "extractor: else give inception.ref= and classifier.ref=), or else with those\n"
        "of real images: the run's own dataset, split S, its first --n-real images,\n"
        "read with its evaluation transforms (the run's, augmentations such as\n"
        "dataset.flip off). Their statistics are computed once and cached in DIR as\n"
        "genlab stats caches them (keyed by the dataset's identity, parameters and\n"
        "split, the image count, the extractor's weights hash and resize rule): a\n"
        "later score, or genlab stats, with the same inputs reads them from there\n"
        "and says so. KID and precision/recall always need the real images.\n"
        "\n"
        "options:\n"
        "  --metric LIST    the scores (required)\n"
        "  -n N             generated images, in [2, 10^7] (default 10000)\n"
        "  --ref FILE       reference statistics for FID (a .npz)\n"
        "  --split S        the real images' split, train (default; auroc: test)\n"
        "  --n-real N       real images (default: N, or all the split has if fewer)\n"
        "  --seed S         seed of the latents, and of KID's subsets (default 0)\n"
        "  --cache DIR      the statistics cache (default: stats-cache beside the\n"
        "                   store); none: FID on the real images, nothing cached\n"
        "  --classifier-steps N\n"
        "                   steps of the classifier classifier.weights=auto trains\n"
        "                   (batches of 64, one thread unless --threads; default 300)\n"
        "  --sampler NAME   sample with this sampler component (a diffusion run's ddpm or\n"
        "                   ddim) instead of the run's; recorded in each score's protocol\n"
        "  --steps N        the sampler's step count, in [1, 100000] (default: the run's,\n"
        "                   or with --sampler the sampler's own default)\n"
        EVAL_OPTIONS_HELP
        "\n"
        "examples:\n"
        "  genlab score 3 --metric classifier-fid -n 10000 classifier.weights=2\n"
        "  genlab score last:gan --metric classifier-fid classifier.weights=auto\n"
        "  genlab score 5 --metric classifier-fid --sampler ddim --steps 100 \\\n"
        "      classifier.weights=2\n"
        "  genlab score 3 --metric fid,is,kid -n 50000 --ref cifar10-train.npz \\\n"
        "      inception.weights=pt_inception.safetensors\n"
        "  genlab score 4 --metric auroc normal=0,1\n",
};

static const cli_help fid_help = {
    .command = "fid",
    .synopsis = "genlab fid A B [--extractor NAME] [--weights FILE] [-n N] [--split S]\n"
                "           [--seed S] [KEY=VALUE]...",
    .body =
        "Prints the FID between A and B, each one of:\n"
        "  a .npz file      reference statistics (genlab stats, or pytorch-fid's)\n"
        "  a directory      its PNG and JPEG files (the imagefolder dataset)\n"
        "  NAME[:SPLIT]     a dataset component, parameters as dataset.KEY=VALUE\n"
        "  a run            an id or uuid prefix: N images its model generates\n"
        "A dataset or directory gives its first N images (all by default); a run\n"
        "gives N (default 10000). Two .npz files need no extractor.\n"
        "\n"
        "The value alone is printed on stdout; what was compared on stderr.\n"
        "\n"
        "options:\n"
        "  --extractor NAME inception (default) or classifier\n"
        "  --weights FILE   the extractor's weights (sets NAME.weights)\n"
        "  -n N             images per side (see above)\n"
        "  --split S        the split of a dataset given without one (default train)\n"
        "  --seed S         seed of a run's latents (default 0)\n"
        EVAL_OPTIONS_HELP
        "\n"
        "examples:\n"
        "  genlab fid cifar10-train.npz 3 --weights pt_inception.safetensors\n"
        "  genlab fid idx:train idx:test --extractor classifier --weights 2\n"
        "  genlab fid ref.npz other.npz\n",
};

/* ---- arguments ---- */

/* What the evaluation commands parse besides their own options. */
typedef struct eval_args {
    long long batch, threads, seed;
    const char *db;
    int n_kv;                 /* KEY=VALUE arguments */
    char **kv;
    char *owned[8];           /* arguments this file made (--weights, run refs resolved) */
    int n_owned;
    cli_sampler_choice sampler;   /* --sampler, --steps (genlab score) */
} eval_args;

/* parse_eval — --batch, --threads, --seed (NULL when not an option of the
 * command) and the KEY=VALUE arguments kv (n of them), whose first key
 * segment must be dataset or a metric component's name */
static int parse_eval(const cli_help *help, const char *batch, const char *threads,
                      const char *seed, int n, char **kv, eval_args *a)
{
    a->batch = 50;
    if (batch && !cli_parse_int(help, "--batch", batch, 1, 4096, &a->batch))
        return CLI_EXIT_USAGE;
    if (threads && !cli_parse_int(help, "--threads", threads, 0, 1024, &a->threads))
        return CLI_EXIT_USAGE;
    if (seed && !cli_parse_int(help, "--seed", seed, 0, INT64_MAX, &a->seed))
        return CLI_EXIT_USAGE;
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '='), *dot = strchr(kv[i], '.');
        if (!eq || !dot || dot > eq || dot == kv[i])
            return cli_usage_error(help, "'%s' is not SCOPE.KEY=VALUE (dataset.KEY, "
                                   "inception.KEY or classifier.KEY)", kv[i]);
    }
    a->n_kv = n;
    a->kv = kv;
    return -1;
}

static void free_eval_args(eval_args *a)
{
    for (int i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
}

/* has_scope — arg's key starts with "<scope>." */
static bool has_scope(const char *arg, const char *scope)
{
    size_t n = strlen(scope);
    return !strncmp(arg, scope, n) && arg[n] == '.';
}

/* given — the value of KEY=VALUE argument key, or NULL */
static const char *given(const eval_args *a, const char *key)
{
    size_t n = strlen(key);
    const char *v = NULL;
    for (int i = 0; i < a->n_kv; i++)
        if (!strncmp(a->kv[i], key, n) && a->kv[i][n] == '=')
            v = a->kv[i] + n + 1;
    return v;
}

/* check_scopes — every KEY=VALUE argument belongs to one of scopes (a
 * NULL-terminated list) */
static int check_scopes(const cli_help *help, const eval_args *a, const char *const *scopes)
{
    for (int i = 0; i < a->n_kv; i++) {
        bool ok = false;
        for (const char *const *s = scopes; *s && !ok; s++)
            ok = has_scope(a->kv[i], *s);
        if (!ok) {
            char list[256] = "";
            for (const char *const *s = scopes; *s; s++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s.*",
                         s == scopes ? "" : ", ", *s);
            return cli_usage_error(help, "'%.*s': here KEY=VALUE sets %s", (int)strcspn(a->kv[i], "="),
                                   a->kv[i], list);
        }
    }
    return -1;
}

/* newest_ckpt — run ref's newest checkpoint file into buf, if ref names a
 * run in the store at db (which must exist); false otherwise (said why) */
static bool newest_ckpt(const cli_help *help, const char *db, const char *ref, char *buf,
                        size_t size)
{
    if (!cli_run_ref_valid(ref) || access(db, F_OK) != 0)
        return false;
    genlab_store *s = cli_store_open(help, db, true);
    genlab_config *cfg = NULL;
    cli_run_record r;
    bool ok = s && genlab_config_create(&cfg) == GL_OK && genlab_run_declare(cfg) == GL_OK &&
              cli_run_load(help, s, ref, cfg, &r) == CLI_EXIT_OK;
    if (ok)
        snprintf(buf, size, "%s", r.ckpt);
    genlab_config_destroy(cfg);
    genlab_store_close(s);
    return ok;
}

/* set_kv — make "key=value" argument i of a (i == a->n_kv appends it: the
 * caller made room); false when out of memory or of owned slots */
static bool set_kv(eval_args *a, int i, const char *key, size_t klen, const char *value)
{
    if (a->n_owned == (int)(sizeof a->owned / sizeof a->owned[0]))
        return false;
    char *s = malloc(klen + strlen(value) + 2);
    if (!s)
        return false;
    sprintf(s, "%.*s=%s", (int)klen, key, value);
    a->kv[i] = a->owned[a->n_owned++] = s;
    a->n_kv += i == a->n_kv;
    return true;
}

/* weights_from_runs — NAME.weights=RUN (not a file, but a run id or uuid
 * prefix) becomes that run's newest checkpoint, so `classifier.weights=2`
 * names the classifier trained by run 2. Returns -1, or an exit status. */
static int weights_from_runs(const cli_help *help, eval_args *a)
{
    for (int i = 0; i < a->n_kv; i++) {
        const char *eq = strchr(a->kv[i], '=');
        size_t klen = (size_t)(eq - a->kv[i]);
        if (klen < 8 || strncmp(eq - 8, ".weights", 8) != 0 || access(eq + 1, F_OK) == 0)
            continue;
        char path[PATH_MAX];
        if (newest_ckpt(help, cli_db_path(a->db), eq + 1, path, sizeof path) &&
            !set_kv(a, i, a->kv[i], klen, path))
            return cli_fail(help, "out of memory");
    }
    return -1;
}

/* weights_option — --weights FILE as the argument NAME.weights=FILE for the
 * extractor NAME (argv has room after the KEY=VALUE arguments: the option
 * itself took two slots there). Returns -1, or an exit status. */
static int weights_option(const cli_help *help, eval_args *a, const char *ext, const char *file)
{
    char key[80];
    snprintf(key, sizeof key, "%s.weights", ext);
    if (!file)
        return -1;
    if (given(a, key))
        return cli_usage_error(help, "--weights and %s both given", key);
    return set_kv(a, a->n_kv, key, strlen(key), file) ? -1 : cli_fail(help, "out of memory");
}

/* ---- the evaluation ---- */

/* What every command opens: the plugins and the context the metrics and
 * datasets live on. */
typedef struct eval {
    const cli_help  *help;
    genlab_registry *reg;
    genlab_ctx      *ctx;
    eval_args       *args;
} eval;

static int eval_open(const cli_help *help, eval_args *args, eval *e)
{
    *e = (eval){.help = help, .args = args};
    if (!(e->reg = cli_registry_open(help)))
        return CLI_EXIT_FAILURE;
    genlab_ctx_options o = {.seed = (uint64_t)args->seed, .n_threads = (int)args->threads};
    if (genlab_ctx_create(&o, &e->ctx) != GL_OK)
        return cli_fail(help, "cannot create a context (out of memory)");
    return CLI_EXIT_OK;
}

static void eval_close(eval *e)
{
    genlab_ctx_destroy(e->ctx);
    genlab_registry_destroy(e->reg);
}

/* ctx_fail — the context's error as the command's failure */
static int ctx_fail(const eval *e, const char *what)
{
    int rc = cli_fail(e->help, "%s%s%s", what, *what ? ": " : "", genlab_ctx_errmsg(e->ctx));
    genlab_ctx_clear_error(e->ctx);
    return rc;
}

/* The component parameters the commands declare, each in the scope "eval":
 * a metric's own parameters live under its name (inception.*), a dataset's
 * under dataset.* as in a run. */
static const genlab_param_def metric_param[] = {
    {.name = "metric", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_METRIC, .def = NULL,
     .flags = GL_PARAM_SCOPE_BY_NAME, .help = "the metric component (its extractor)"},
};
static const genlab_param_def dataset_param[] = {
    {.name = "dataset", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_DATASET, .def = NULL,
     .help = "the dataset component"},
};

/* bound_config — a configuration declaring eval.<def->name> = component,
 * with first the values of set (key, value pairs, NULL-terminated; origin
 * "the command"), then the KEY=VALUE arguments of scope (which win), and
 * resolved. Returns -1, or an exit status after printing why (2 for a
 * configuration problem). */
static int bound_config(const eval *e, const genlab_param_def *def, const char *component,
                        const char *scope, const char *const *set, genlab_config **out)
{
    char key[64];
    snprintf(key, sizeof key, "eval.%s", def->name);
    genlab_config *cfg = NULL;
    if (genlab_config_create(&cfg) != GL_OK || genlab_config_declare(cfg, "eval", def, 1) != GL_OK ||
        genlab_config_set(cfg, key, component, "the command") != GL_OK) {
        genlab_config_destroy(cfg);
        return cli_fail(e->help, "out of memory");
    }
    for (const char *const *p = set; p && *p; p += 2)
        genlab_config_set(cfg, p[0], p[1], "the command");
    for (int i = 0; i < e->args->n_kv; i++)
        if (has_scope(e->args->kv[i], scope))
            genlab_config_set_args(cfg, 1, (const char *const *)&e->args->kv[i]);
    *out = cfg;
    if (genlab_config_resolve(cfg, e->reg) != GL_OK) {
        fprintf(stderr, "genlab %s: %s\n", e->help->command, genlab_config_errmsg(cfg));
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* ---- metrics ---- */

/* One metric component instance. */
typedef struct metric {
    const char            *name;         /* the component: "inception", "classifier" */
    char                   scores[32];   /* its scores parameter: "fid,kid" */
    genlab_config         *cfg;
    const genlab_metric_i *mi;
    genlab_host            host;
    void                  *state;
    bool                   real;         /* it takes real images */
    bool                   ref_cached;   /* FID's reference: the real images' cached
                                          * statistics (the counts are the real set's) */
    json_t                *protocol;     /* parsed, after open */
} metric;

static void metric_close(metric *m)
{
    if (m->state)
        m->mi->destroy(m->state);
    json_decref(m->protocol);
    genlab_config_destroy(m->cfg);
    *m = (metric){0};
}

/* proto_str — a string member of a metric's protocol, or "" */
static const char *proto_str(const metric *m, const char *key)
{
    const char *s = json_string_value(json_object_get(m->protocol, key));
    return s ? s : "";
}

/* metric_open — the component name with scores (its scores parameter),
 * ref (FID's reference file, "" for the real images; NULL: as given) and
 * the KEY=VALUE arguments of its scope. Returns -1 or an exit status. */
static int metric_open(const eval *e, metric *m, const char *name, const char *scores,
                       const char *ref)
{
    m->name = name;
    snprintf(m->scores, sizeof m->scores, "%s", scores);
    char k_scores[64], k_ref[64], k_seed[64], seed[24];
    snprintf(k_scores, sizeof k_scores, "%s.scores", name);
    snprintf(k_ref, sizeof k_ref, "%s.ref", name);
    snprintf(k_seed, sizeof k_seed, "%s.seed", name);
    snprintf(seed, sizeof seed, "%lld", e->args->seed);
    if (given(e->args, k_scores))
        return cli_usage_error(e->help, "%s is chosen by the command (%s), not given", k_scores,
                               scores);
    const char *set[] = {k_seed, seed, k_scores, scores, ref ? k_ref : NULL, ref, NULL};
    int rc = bound_config(e, metric_param, name, name, set, &m->cfg);
    if (rc >= 0)
        return rc;
    const genlab_component *c;
    const genlab_config *scope;
    if (genlab_config_component(m->cfg, "eval.metric", GL_KIND_METRIC, &c, &scope) != GL_OK)
        return cli_fail(e->help, "%s", genlab_config_errmsg(m->cfg));
    m->mi = c->iface;
    genlab_host_init(&m->host, e->reg, e->ctx, m->cfg);
    if (m->mi->create(&m->host, scope, &m->state) != GL_OK) {
        m->state = NULL;
        return ctx_fail(e, "");
    }
    const char *p = m->mi->protocol(m->state);
    m->protocol = p ? json_loads(p, 0, NULL) : NULL;
    if (!json_is_object(m->protocol))
        return cli_fail(e->help, "metric %s: its protocol is not a JSON object", name);
    const char *r = genlab_config_str(scope, "ref");
    m->real = strstr(scores, "kid") || strstr(scores, "pr") || (strstr(scores, "fid") && !*r);
    return -1;
}

/* ---- image sources ---- */

typedef enum { SRC_DATA, SRC_RUN, SRC_NPZ } source_kind;

/* Where a set of images comes from. */
typedef struct source {
    source_kind kind;
    const char *text;              /* as the user gave it */
    int64_t     n;                 /* images it gives */
    char        desc[PATH_MAX + 128];   /* for messages */
    /* SRC_DATA */
    genlab_config          *cfg;   /* own, or the run's (not owned: own_cfg false) */
    bool                    own_cfg;
    const genlab_component *comp;
    const genlab_config    *scope;
    const genlab_dataset_i *ds;
    void                   *ds_state;
    genlab_host             host;
    genlab_data_spec        spec;
    char                    split[16];
    /* SRC_RUN */
    genlab_config  *run_cfg;
    genlab_model   *model;
    cli_run_record  run;
    int64_t         step;          /* of the checkpoint */
    double          gen_seconds;   /* wall time spent generating its images */
} source;

static void source_close(source *s)
{
    if (s->ds_state)
        s->ds->close(s->ds_state);
    if (s->own_cfg)
        genlab_config_destroy(s->cfg);
    genlab_model_close(s->model);
    genlab_config_destroy(s->run_cfg);
    *s = (source){0};
}

/* data_open — open the bound dataset component of s->cfg (ref: its
 * component parameter) at split, on the evaluation's context */
static int data_open(const eval *e, source *s, const char *ref, const char *split)
{
    if (genlab_config_component(s->cfg, ref, GL_KIND_DATASET, &s->comp, &s->scope) != GL_OK ||
        !s->comp)
        return cli_fail(e->help, "%s: no dataset (%s)", s->text, genlab_config_errmsg(s->cfg));
    s->ds = s->comp->iface;
    snprintf(s->split, sizeof s->split, "%s", split);
    genlab_host_init(&s->host, e->reg, e->ctx, s->cfg);
    if (s->ds->open(&s->host, s->scope, split, &s->spec, &s->ds_state) != GL_OK) {
        s->ds_state = NULL;
        return ctx_fail(e, "");
    }
    const char *id = s->ds->identity ? s->ds->identity(s->ds_state) : NULL;
    snprintf(s->desc, sizeof s->desc, "%s (%s split, %lld images%s%s)", s->comp->name, split,
             (long long)s->spec.n_items, id ? ", " : "", id ? id : "");
    return -1;
}

/* dataset_source — text is a directory (the imagefolder dataset), or a
 * dataset component NAME[:SPLIT]; split applies when text gives none */
static int dataset_source(const eval *e, source *s, const char *text, const char *split)
{
    struct stat sb;
    char name[64], sp[16];
    const char *set[5] = {NULL};
    s->kind = SRC_DATA;
    s->text = text;
    s->own_cfg = true;
    if (stat(text, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(name, sizeof name, "imagefolder");
        set[0] = "dataset.dir";
        set[1] = text;
    } else {
        size_t len = strcspn(text, ":");
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), text);
        if (text[len] == ':') {
            snprintf(sp, sizeof sp, "%s", text + len + 1);
            split = sp;
        }
        if (!genlab_registry_find(e->reg, GL_KIND_DATASET, name))
            return cli_usage_error(e->help, "'%s' is neither a directory nor a dataset: %s",
                                   text, genlab_registry_errmsg(e->reg));
    }
    int rc = bound_config(e, dataset_param, name, "dataset", set, &s->cfg);
    return rc >= 0 ? rc : data_open(e, s, "eval.dataset", split);
}

/* augment_default — the default of comp's parameter called key
 * ("dataset.flip") when it is an augmentation (GL_PARAM_AUGMENT), else
 * NULL */
static const char *augment_default(const genlab_component *comp, const char *key)
{
    genlab_param_def d;
    const char *name = strchr(key, '.') ? strchr(key, '.') + 1 : key;
    for (uint32_t k = 0; genlab_component_param(comp, k, &d); k++)
        if ((d.flags & GL_PARAM_AUGMENT) && d.def && !strcmp(d.name, name))
            return d.def;
    return NULL;
}

/* eval_params — the dataset component of the run whose configuration is
 * run_cfg (*comp) and its parameters as "dataset.KEY", value pairs
 * (*set, NULL-terminated, strings the run's: free only the array), with
 * every augmentation (GL_PARAM_AUGMENT: a random flip) at its default,
 * off: the evaluation transforms, what the real images of an evaluation
 * are whatever the run trained on. Returns -1 or an exit status. */
static int eval_params(const eval *e, const genlab_config *run_cfg,
                       const genlab_component **comp, const char ***set)
{
    const char *name = genlab_config_str(run_cfg, "train.dataset");
    const genlab_config *scope = genlab_config_scope(run_cfg, "dataset");
    *comp = genlab_registry_find(e->reg, GL_KIND_DATASET, name);
    if (!*comp || !scope)
        return cli_fail(e->help, "the run's dataset %s is not loaded", name);
    size_t n = genlab_config_count(scope);
    if (!(*set = calloc(2 * n + 1, sizeof **set)))
        return cli_fail(e->help, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const genlab_config_item *it = genlab_config_item_at(scope, i);
        const char *off = augment_default(*comp, it->key);
        (*set)[2 * i] = it->key;
        (*set)[2 * i + 1] = off ? off : it->value;
    }
    return -1;
}

/* eval_data_source — the run's dataset (run_cfg: its configuration) at
 * split, read with the evaluation transforms (eval_params) */
static int eval_data_source(const eval *e, source *s, const genlab_config *run_cfg,
                            const char *split)
{
    const genlab_component *comp;
    const char **set = NULL;
    int rc = eval_params(e, run_cfg, &comp, &set);
    s->kind = SRC_DATA;
    s->text = "the run's dataset";
    s->own_cfg = true;
    if (rc < 0)
        rc = bound_config(e, dataset_param, comp->name, "dataset", set, &s->cfg);
    free(set);
    return rc >= 0 ? rc : data_open(e, s, "eval.dataset", split);
}

/* ckpt_step — the step of a checkpoint named step-<digits>.safetensors */
static int64_t ckpt_step(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    return !strncmp(b, "step-", 5) ? strtoll(b + 5, NULL, 10) : 0;
}

/* run_source — the model of run ref's newest checkpoint (store at db),
 * its latents seeded with seed */
static int run_source(const eval *e, source *s, const char *ref)
{
    s->kind = SRC_RUN;
    s->text = ref;
    const char *db = cli_db_path(e->args->db);
    if (genlab_config_create(&s->run_cfg) != GL_OK || genlab_run_declare(s->run_cfg) != GL_OK)
        return cli_fail(e->help, "out of memory");
    genlab_store *store = cli_store_open(e->help, db, true);
    if (!store)
        return CLI_EXIT_FAILURE;
    int rc = cli_run_load_sampler(e->help, store, ref, s->run_cfg, &s->run, &e->args->sampler);
    genlab_store_close(store);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (e->args->threads) {
        char t[24];
        snprintf(t, sizeof t, "%lld", e->args->threads);
        genlab_config_set(s->run_cfg, "train.threads", t, "--threads");
    }
    if (genlab_config_resolve(s->run_cfg, e->reg) != GL_OK)
        return cli_fail(e->help, "the configuration of run %s does not resolve with the plugins "
                        "loaded now: %s", s->run.uuid, genlab_config_errmsg(s->run_cfg));
    char err[1024];
    if (genlab_model_open(e->reg, s->run_cfg, s->run.ckpt, (uint64_t)e->args->seed, &s->model,
                          err, sizeof err) != GL_OK)
        return cli_fail(e->help, "run %s: %s", s->run.uuid, err);
    s->step = ckpt_step(s->run.ckpt);
    snprintf(s->desc, sizeof s->desc, "run %s, checkpoint %s", s->run.uuid, s->run.ckpt);
    return -1;
}

/* is_npz — text names a regular file ending in .npz */
static bool is_npz(const char *text)
{
    struct stat sb;
    size_t n = strlen(text);
    return n > 4 && !strcmp(text + n - 4, ".npz") && stat(text, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* ---- feeding ---- */

/* next_batch — images [first, first + n) of s as a tensor of the
 * evaluation's context (a run's are generated on its own and copied) */
static genlab_tensor *next_batch(const eval *e, source *s, int64_t first, int64_t n)
{
    if (s->kind == SRC_DATA) {
        int64_t *idx = malloc((size_t)n * sizeof *idx);
        if (!idx) {
            genlab_errorf(e->ctx, GL_ERR_NOMEM, "out of memory");
            return NULL;
        }
        for (int64_t i = 0; i < n; i++)
            idx[i] = first + i;
        genlab_batch b = {0};
        genlab_status st = s->ds->read(e->ctx, s->ds_state, idx, n, &b);
        free(idx);
        return st == GL_OK ? b.x : NULL;
    }
    genlab_ctx *mctx = genlab_model_ctx(s->model);
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(s->model, &state);
    genlab_ctx_step_begin(mctx);
    genlab_tensor *x = t->sample(mctx, state, n, NULL);
    if (!x) {
        genlab_errorf(e->ctx, genlab_ctx_status(mctx), "%s", genlab_ctx_errmsg(mctx));
        genlab_ctx_clear_error(mctx);
        return NULL;
    }
    int64_t shape[GL_MAX_DIMS];
    for (int i = 0; i < genlab_tensor_ndim(x); i++)
        shape[i] = genlab_tensor_dim(x, i);
    return genlab_tensor_from(e->ctx, genlab_tensor_ndim(x), shape, genlab_tensor_f32(x));
}

/* feed — s->n images of s into set of every metric of ms (n of them) that
 * takes that set, in batches, with progress on stderr. Returns -1 or an
 * exit status. */
static int feed(const eval *e, source *s, metric *ms, int n, genlab_metric_set set,
                const char *label)
{
    cli_progress p;
    int64_t b = e->args->batch;
    cli_progress_start(&p, stderr, label, (s->n + b - 1) / b, 20);
    for (int64_t first = 0, k = 1; first < s->n; first += b, k++) {
        int64_t count = s->n - first < b ? s->n - first : b;
        genlab_ctx_step_begin(e->ctx);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        genlab_tensor *x = next_batch(e, s, first, count);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        s->gen_seconds +=
            (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        genlab_status st = x ? GL_OK : genlab_ctx_status(e->ctx);
        for (int i = 0; st == GL_OK && i < n; i++)
            if (set == GL_SET_FAKE || ms[i].real)
                st = ms[i].mi->add(e->ctx, ms[i].state, set, x);
        if (st != GL_OK) {
            cli_progress_finish(&p);
            char what[PATH_MAX + 200];
            snprintf(what, sizeof what, "%s, images %lld-%lld", s->desc, (long long)first,
                     (long long)(first + count - 1));
            return ctx_fail(e, what);
        }
        cli_progress_update(&p, k, NAN);
    }
    cli_progress_finish(&p);
    genlab_ctx_step_begin(e->ctx);
    return -1;
}

/* take — how many images of s to use: n (<= 0: all a dataset has) */
static int take(const eval *e, source *s, long long n)
{
    if (s->kind == SRC_DATA)
        s->n = n > 0 && n < s->spec.n_items ? n : s->spec.n_items;
    else
        s->n = n;
    if (s->n < 2)
        return cli_fail(e->help, "%s: %lld images: statistics need at least 2", s->desc,
                        (long long)s->n);
    return -1;
}

/* ---- stats ---- */

/* sha256_hex — the digest of text as 64 hex digits */
static void sha256_hex(const char *text, char hex[65])
{
    struct sha256_ctx h;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&h);
    sha256_update(&h, strlen(text), (const uint8_t *)text);
    sha256_digest(&h, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* cache_path — where the statistics of s through m are cached in dir, or
 * false when s has no identity (nothing to key them by) */
static bool cache_path(const source *s, const metric *m, const char *dir, char *out, size_t size)
{
    const char *id = s->ds->identity ? s->ds->identity(s->ds_state) : NULL;
    if (!id || !*id)
        return false;
    char *key = NULL, hex[65];
    size_t len = 0;
    FILE *f = open_memstream(&key, &len);
    if (!f)
        return false;
    /* everything the statistics depend on; the transform keys among the
     * dataset's parameters (size, crop, channels, ...) included */
    fprintf(f, "genlab stats 1\nidentity %s\nsplit %s\nn %lld\n", id, s->split, (long long)s->n);
    for (size_t i = 0; i < genlab_config_count(s->scope); i++) {
        const genlab_config_item *it = genlab_config_item_at(s->scope, i);
        fprintf(f, "%s=%s\n", it->key, it->value);
    }
    fprintf(f, "extractor %s\nweights %s\nresize %s\n", proto_str(m, "feature_extractor"),
            proto_str(m, "weights_sha256"), proto_str(m, "resize"));
    if (fclose(f) != 0) {
        free(key);
        return false;
    }
    sha256_hex(key, hex);
    free(key);
    return snprintf(out, size, "%s/%.40s.npz", dir, hex) < (int)size;
}

/* open_stats — the .npz at path, checked to hold mu (dim) and sigma
 * (dim, dim), into *z (close it) with its two arrays in arrays; false with
 * the reason in ctx (and *z NULL) */
static bool open_stats(genlab_ctx *ctx, const char *path, int64_t dim, genlab_npz **z,
                       genlab_npz_array arrays[2])
{
    if (genlab_npz_open(ctx, path, z) != GL_OK)
        return false;
    const genlab_npz_array *mu = genlab_npz_get(*z, "mu"), *sigma = genlab_npz_get(*z, "sigma");
    if (mu && sigma && mu->ndim == 1 && mu->shape[0] == dim && sigma->ndim == 2 &&
        sigma->shape[0] == dim && sigma->shape[1] == dim) {
        arrays[0] = *mu;
        arrays[1] = *sigma;
        return true;
    }
    genlab_errorf(ctx, GL_ERR_FORMAT, "\"%s\" does not hold mu (%lld) and sigma", path,
                  (long long)dim);
    genlab_npz_close(*z);
    *z = NULL;
    return false;
}

/* copy_stats — the .npz at from, checked as open_stats does, to to
 * (atomically); false with the reason in ctx */
static bool copy_stats(genlab_ctx *ctx, const char *from, const char *to, int64_t dim)
{
    genlab_npz *z = NULL;
    genlab_npz_array arrays[2];
    bool ok = open_stats(ctx, from, dim, &z, arrays) &&
              genlab_npz_write(ctx, to, arrays, 2) == GL_OK;
    genlab_npz_close(z);
    return ok;
}

/* make_dirs — mkdir -p path */
static bool make_dirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return false;
            *p = '/';
        }
    return mkdir(buf, 0777) == 0 || errno == EEXIST;
}

/* cache_entry — the cache entry of the statistics of s through m: the
 * cache directory (--cache DIR; NULL: stats-cache beside the store at db)
 * into dir and the entry into path; false when there is none (--cache
 * none, or s has no identity to key it by) */
static bool cache_entry(const char *cache, const char *db, const source *s, const metric *m,
                        char dir[PATH_MAX], char *path, size_t size)
{
    char dbpath[PATH_MAX];
    if (cache && !strcmp(cache, "none"))
        return false;
    snprintf(dbpath, sizeof dbpath, "%s", cli_db_path(db));
    if (cache)
        snprintf(dir, PATH_MAX, "%s", cache);
    else
        snprintf(dir, PATH_MAX, "%s/stats-cache", dirname(dbpath));
    return cache_path(s, m, dir, path, size);
}

/* write_stats — the real set's statistics of m to each of paths (NULL
 * entries skipped) */
static int write_stats(const eval *e, metric *m, const char *const *paths, int n_paths)
{
    genlab_status (*stats)(genlab_ctx *, void *, genlab_metric_set, int64_t *, const double **,
                           const double **) = GL_IFACE_GET(m->mi, genlab_metric_i, statistics);
    if (!stats)
        return cli_fail(e->help, "metric %s keeps no statistics", m->name);
    int64_t d;
    const double *mu, *sigma;
    if (stats(e->ctx, m->state, GL_SET_REAL, &d, &mu, &sigma) != GL_OK)
        return ctx_fail(e, "");
    const genlab_npz_array arrays[] = {
        {.name = "mu", .ndim = 1, .shape = {d}, .data = (double *)mu},
        {.name = "sigma", .ndim = 2, .shape = {d, d}, .data = (double *)sigma},
    };
    for (int i = 0; i < n_paths; i++)
        if (paths[i] && genlab_npz_write(e->ctx, paths[i], arrays, 2) != GL_OK)
            return ctx_fail(e, "");
    return -1;
}

int cmd_stats(int argc, char **argv)
{
    const char *out = NULL, *ext = "inception", *weights = NULL, *split = "train", *n_s = NULL,
               *cache = NULL, *batch = NULL, *threads = NULL, *db = NULL;
    const cli_option opts[] = {{"out", &out},     {"extractor", &ext}, {"weights", &weights},
                               {"split", &split}, {"n", &n_s},         {"cache", &cache},
                               {"batch", &batch}, {"threads", &threads}, {"db", &db},
                               {NULL, NULL}};
    int npos, rc = cli_parse(&stats_help, argc, argv, opts, &npos);
    eval_args a = {.db = db};
    long long n = 0;
    if (rc < 0 && npos < 1)
        rc = cli_usage_error(&stats_help, "which images? (a dataset or a directory)");
    if (rc < 0 && !out)
        rc = cli_usage_error(&stats_help, "--out FILE is required (the .npz to write)");
    if (rc < 0 && n_s && !cli_parse_int(&stats_help, "-n", n_s, 2, INT64_MAX, &n))
        rc = CLI_EXIT_USAGE;
    if (rc < 0)
        rc = parse_eval(&stats_help, batch, threads, NULL, npos - 1, argv + 2, &a);
    a.db = db;
    if (rc < 0)
        rc = check_scopes(&stats_help, &a, (const char *const[]){"dataset", ext, NULL});
    if (rc < 0)
        rc = weights_option(&stats_help, &a, ext, weights);
    if (rc >= 0) {
        free_eval_args(&a);
        return rc;
    }
    eval e = {0};
    source s = {0};
    metric m = {0};
    if ((rc = weights_from_runs(&stats_help, &a)) < 0 && (rc = eval_open(&stats_help, &a, &e)) == 0)
        rc = -1;
    if (rc < 0)
        rc = dataset_source(&e, &s, argv[1], split);
    if (rc < 0)
        rc = take(&e, &s, n);
    if (rc < 0)
        rc = metric_open(&e, &m, ext, "fid", "");
    char dir[PATH_MAX], cached[PATH_MAX + 64];
    bool use_cache = rc < 0 && cache_entry(cache, db, &s, &m, dir, cached, sizeof cached);
    int64_t dim = json_integer_value(json_object_get(m.protocol, "feature_dim"));
    if (rc < 0 && use_cache && access(cached, R_OK) == 0) {
        if (copy_stats(e.ctx, cached, out, dim)) {
            printf("wrote %s from the cache (%s): statistics of %lld images of %s, extractor "
                   "%s (weights sha256 %.16s...), resize %s; nothing recomputed\n",
                   out, cached, (long long)s.n, s.desc, proto_str(&m, "feature_extractor"),
                   proto_str(&m, "weights_sha256"), proto_str(&m, "resize"));
            rc = CLI_EXIT_OK;
        } else {   /* a damaged cache entry is computed again */
            fprintf(stderr, "genlab stats: warning: ignoring the cache entry: %s\n",
                    genlab_ctx_errmsg(e.ctx));
            genlab_ctx_clear_error(e.ctx);
        }
    }
    if (rc < 0)
        rc = feed(&e, &s, &m, 1, GL_SET_REAL, "stats");
    if (rc < 0 && use_cache && !make_dirs(dir)) {
        fprintf(stderr, "genlab stats: warning: cannot create the cache %s: %s\n", dir,
                strerror(errno));
        use_cache = false;
    }
    if (rc < 0)
        rc = write_stats(&e, &m, (const char *const[]){out, use_cache ? cached : NULL}, 2);
    if (rc < 0) {
        printf("wrote %s: statistics (mu %lld, sigma %lld x %lld, float64) of %lld images of "
               "%s, extractor %s (weights sha256 %.16s...), resize %s%s%s\n",
               out, (long long)dim, (long long)dim, (long long)dim, (long long)s.n, s.desc,
               proto_str(&m, "feature_extractor"), proto_str(&m, "weights_sha256"),
               proto_str(&m, "resize"), use_cache ? "; cached as " : "", use_cache ? cached : "");
        rc = CLI_EXIT_OK;
    }
    metric_close(&m);
    source_close(&s);
    if (e.reg)
        eval_close(&e);
    free_eval_args(&a);
    return rc;
}

/* ---- classifier-fid's classifier, found or trained ---- */

/* Default steps of the classifier genlab score trains itself (batches of
 * 64, one kernel thread unless --threads says otherwise): on Fashion-MNIST
 * 300 reach 85 % accuracy on the 10,000 test images (500: the same), in
 * 40 s on a loaded 2-core machine. */
#define AUTO_CLF_STEPS 300

/* What the store's queries about classifier runs fill. */
typedef struct clf_query {
    const genlab_component *comp;   /* the evaluation's dataset */
    const char *const      *set;    /* its dataset.KEY, value pairs */
    long long               ids[64];
    int                     n_ids;
    int                     matched, differ;   /* of one run's parameters */
    double                  accuracy;          /* NaN: none recorded */
} clf_query;

static int clf_ids(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    clf_query *q = user;
    q->ids[q->n_ids++] = atoll(values[0]);
    return q->n_ids == (int)(sizeof q->ids / sizeof q->ids[0]);
}

/* clf_param — one recorded parameter (key, value) of a classifier run
 * against the evaluation's dataset; augmentations do not matter */
static int clf_param(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    clf_query *q = user;
    if (!strcmp(values[0], "train.dataset")) {
        q->matched += !strcmp(values[1], q->comp->name);
        q->differ += strcmp(values[1], q->comp->name) != 0;
        return 0;
    }
    if (augment_default(q->comp, values[0]))
        return 0;
    bool found = false;
    for (const char *const *p = q->set; *p && !found; p += 2)
        if (!strcmp(p[0], values[0])) {
            found = true;
            q->matched += !strcmp(p[1], values[1]);
            q->differ += strcmp(p[1], values[1]) != 0;
        }
    q->differ += !found;
    return 0;
}

static int clf_accuracy(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    ((clf_query *)user)->accuracy = values[0] ? atof(values[0]) : NAN;
    return 0;
}

/* find_classifier — the id of the newest completed classifier run on the
 * evaluation's dataset (q->comp, q->set: the same component and
 * parameters, augmentations aside) into *id, 0 when there is none; its
 * test accuracy into q->accuracy */
static int find_classifier(const eval *e, genlab_store *store, clf_query *q, long long *id)
{
    int wanted = 1;   /* train.dataset, then every parameter but the augmentations */
    for (const char *const *p = q->set; *p; p += 2)
        wanted += !augment_default(q->comp, p[0]);
    *id = 0;
    if (genlab_store_query(store, "SELECT id FROM runs WHERE trainer = 'classifier' AND "
                           "status = 'completed' ORDER BY id DESC", clf_ids, q) != GL_OK &&
        q->n_ids < (int)(sizeof q->ids / sizeof q->ids[0]))
        return cli_fail(e->help, "%s", genlab_store_errmsg(store));
    for (int i = 0; i < q->n_ids && !*id; i++) {
        char sql[192];
        q->matched = q->differ = 0;
        snprintf(sql, sizeof sql, "SELECT key, value FROM params WHERE run_id = %lld AND "
                 "(key = 'train.dataset' OR key LIKE 'dataset.%%')", q->ids[i]);
        if (genlab_store_query(store, sql, clf_param, q) != GL_OK)
            return cli_fail(e->help, "%s", genlab_store_errmsg(store));
        if (q->matched == wanted && !q->differ)
            *id = q->ids[i];
    }
    return -1;
}

static void clf_progress(void *user, int64_t step, int64_t total, double loss)
{
    (void)total;
    cli_progress_update(user, step, loss);
}

/* train_classifier — a classifier run on the evaluation's dataset (q),
 * steps steps, recorded in store; its id into *id */
static int train_classifier(const eval *e, genlab_store *store, const clf_query *q,
                            long long steps, long long *id)
{
    genlab_config *cfg = NULL;
    char threads[24], n_steps[24];
    snprintf(threads, sizeof threads, "%lld", e->args->threads ? e->args->threads : 1);
    snprintf(n_steps, sizeof n_steps, "%lld", steps);
    if (genlab_config_create(&cfg) != GL_OK || genlab_run_declare(cfg) != GL_OK) {
        genlab_config_destroy(cfg);
        return cli_fail(e->help, "out of memory");
    }
    const char *const core[] = {"train.trainer", "classifier", "train.dataset", q->comp->name,
                                "train.steps", n_steps, "train.threads", threads,
                                "train.name", "classifier-fid (genlab score)", NULL};
    for (const char *const *p = core; *p; p += 2)
        genlab_config_set(cfg, p[0], p[1], "classifier.weights=auto");
    for (const char *const *p = q->set; *p; p += 2)
        genlab_config_set(cfg, p[0], p[1], "the scored run's dataset");
    int rc = -1;
    if (genlab_config_resolve(cfg, e->reg) != GL_OK)
        rc = cli_fail(e->help, "classifier.weights=auto: %s", genlab_config_errmsg(cfg));
    cli_progress p;
    genlab_run_result r = {0};
    if (rc < 0) {
        fprintf(stderr, "genlab score: classifier.weights=auto: no classifier on %s in the "
                "store yet: training one (%lld steps)\n", q->comp->name, steps);
        cli_progress_start(&p, stderr, "classifier", steps, 100);
        genlab_run_options o = {.command_line = "genlab score ... classifier.weights=auto",
                                .progress = clf_progress, .user = &p};
        genlab_run_train(e->reg, cfg, store, &o, &r);
        cli_progress_finish(&p);
        if (r.status != GL_RUN_COMPLETED || r.code != GL_OK)
            rc = cli_fail(e->help, "classifier.weights=auto: training the classifier failed: %s",
                          r.message);
    }
    genlab_config_destroy(cfg);
    *id = r.run_id;
    return rc;
}

/* auto_classifier — classifier.weights=auto: the newest checkpoint of a
 * classifier run on the scored run's dataset (run_cfg), trained first
 * (steps steps) when the store has none, as the argument
 * classifier.weights=FILE. Returns -1 or an exit status. */
static int auto_classifier(const eval *e, eval_args *a, const genlab_config *run_cfg,
                           long long steps)
{
    int at = -1;
    for (int i = 0; i < a->n_kv; i++)
        if (!strcmp(a->kv[i], "classifier.weights=auto"))
            at = i;
    if (at < 0)
        return -1;
    clf_query q = {.accuracy = NAN};
    const char **set = NULL;
    int rc = eval_params(e, run_cfg, &q.comp, &set);
    q.set = set;
    genlab_store *store = rc < 0 ? cli_store_open(e->help, cli_db_path(a->db), false) : NULL;
    if (rc < 0 && !store)
        rc = CLI_EXIT_FAILURE;
    long long id = 0;
    if (rc < 0)
        rc = find_classifier(e, store, &q, &id);
    bool trained = rc < 0 && !id;
    if (trained)
        rc = train_classifier(e, store, &q, steps, &id);
    char sql[128], ref[24], path[PATH_MAX];
    snprintf(sql, sizeof sql, "SELECT value FROM scores WHERE run_id = %lld AND metric = "
             "'test_accuracy' ORDER BY id DESC LIMIT 1", id);
    if (rc < 0 && genlab_store_query(store, sql, clf_accuracy, &q) != GL_OK)
        rc = cli_fail(e->help, "%s", genlab_store_errmsg(store));
    if (genlab_store_close(store) != GL_OK && rc < 0)
        rc = cli_fail(e->help, "closing the store failed");
    free(set);
    snprintf(ref, sizeof ref, "%lld", id);
    if (rc < 0 && !newest_ckpt(e->help, cli_db_path(a->db), ref, path, sizeof path))
        rc = CLI_EXIT_FAILURE;
    if (rc < 0 && !set_kv(a, at, "classifier.weights", strlen("classifier.weights"), path))
        rc = cli_fail(e->help, "out of memory");
    if (rc < 0 && isnan(q.accuracy))
        fprintf(stderr, "genlab score: classifier.weights=auto: %s run %lld (%s)\n",
                trained ? "trained" : "the classifier of", id, path);
    else if (rc < 0)
        fprintf(stderr, "genlab score: classifier.weights=auto: %s run %lld, test accuracy "
                "%.2f %% (%s)\n", trained ? "trained" : "the classifier of", id,
                100.0 * q.accuracy, path);
    return rc;
}

/* ---- score ---- */

/* cached_reference — FID's reference for the metric component name: the
 * statistics of the real images of real, read from the cache (cache, as
 * --cache) or, when missing there, computed once and written there; the
 * entry's path into path. path is "" when they cannot be cached (--cache
 * none, a dataset without identity): FID then takes the real images. Says
 * on stderr whether the entry was read or written. Returns -1 or an exit
 * status. */
static int cached_reference(const eval *e, source *real, const char *name, const char *cache,
                            char *path, size_t size)
{
    metric st = {0};
    char dir[PATH_MAX];
    int rc = metric_open(e, &st, name, "fid", "");
    int64_t dim = json_integer_value(json_object_get(st.protocol, "feature_dim"));
    genlab_npz *z = NULL;
    genlab_npz_array arrays[2];
    if (rc >= 0 || !cache_entry(cache, e->args->db, real, &st, dir, path, size)) {
        path[0] = '\0';
    } else if (access(path, F_OK) == 0 && open_stats(e->ctx, path, dim, &z, arrays)) {
        fprintf(stderr, "genlab score: %s: FID reference %s, read from the cache (statistics of "
                "%lld images of %s); nothing recomputed\n", name, path, (long long)real->n,
                real->desc);
    } else {
        if (access(path, F_OK) == 0) {   /* a damaged entry is computed again */
            fprintf(stderr, "genlab score: warning: ignoring the cache entry: %s\n",
                    genlab_ctx_errmsg(e->ctx));
            genlab_ctx_clear_error(e->ctx);
        }
        rc = feed(e, real, &st, 1, GL_SET_REAL, "reference");
        if (rc < 0 && !make_dirs(dir))
            rc = cli_fail(e->help, "cannot create the statistics cache %s: %s (--cache DIR, or "
                          "none)", dir, strerror(errno));
        if (rc < 0)
            rc = write_stats(e, &st, (const char *const[]){path}, 1);
        if (rc < 0)
            fprintf(stderr, "genlab score: %s: FID reference: statistics of %lld images of %s "
                    "computed and cached as %s\n", name, (long long)real->n, real->desc, path);
    }
    genlab_npz_close(z);
    metric_close(&st);
    return rc;
}

/* The names --metric takes, and where each goes. */
static const struct {
    const char *name;
    const char *component;
    const char *score;   /* in the component's scores parameter */
} metric_names[] = {
    {"fid", "inception", "fid"},   {"is", "inception", "is"},
    {"kid", "inception", "kid"},   {"pr", "inception", "pr"},
    {"classifier-fid", "classifier", "fid"}, {"classifier-is", "classifier", "is"},
    {"classifier-kid", "classifier", "kid"}, {"classifier-pr", "classifier", "pr"},
    {"auroc", NULL, "auroc"},   /* no metric component: the run's trainer scores */
};
#define N_METRIC_NAMES (sizeof metric_names / sizeof metric_names[0])

/* parse_metrics — --metric's list into per-component scores lists (index
 * 0 inception, 1 classifier; "" when that component is not needed) and
 * *auroc (anomaly detection asked for) */
static int parse_metrics(const cli_help *help, const char *list, char scores[2][32], bool *auroc)
{
    scores[0][0] = scores[1][0] = '\0';
    *auroc = false;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        size_t i = 0;
        while (i < N_METRIC_NAMES &&
               !(strlen(metric_names[i].name) == len && !strncmp(metric_names[i].name, p, len)))
            i++;
        if (i == N_METRIC_NAMES) {
            char known[256] = "";
            for (size_t j = 0; j < N_METRIC_NAMES; j++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
                         j ? ", " : "", metric_names[j].name);
            return cli_usage_error(help, "--metric: unknown score '%.*s' (known: %s)", (int)len,
                                   p, known);
        }
        if (metric_names[i].component) {
            char *s = scores[strcmp(metric_names[i].component, "inception") != 0];
            snprintf(s + strlen(s), 32 - strlen(s), "%s%s", *s ? "," : "", metric_names[i].score);
        } else {
            *auroc = true;
        }
        p += len + (p[len] == ',');
    }
    if (!scores[0][0] && !scores[1][0] && !*auroc)
        return cli_usage_error(help, "--metric: no score given");
    return -1;
}

/* data_json — which images of which dataset s gives, every parameter
 * included, as a new JSON object */
static json_t *data_json(const source *s)
{
    const char *id = s->ds->identity ? s->ds->identity(s->ds_state) : NULL;
    json_t *params = json_object();
    for (size_t i = 0; i < genlab_config_count(s->scope); i++) {
        const genlab_config_item *it = genlab_config_item_at(s->scope, i);
        json_object_set_new(params, it->key, json_string(it->value));
    }
    return json_pack("{s:s, s:s, s:s?, s:I, s:o}", "dataset", s->comp->name, "split", s->split,
                     "identity", id, "n", (json_int_t)s->n, "params", params);
}

/* score_json — metric m's protocol with where the images came from added,
 * as a new string (free) */
static char *score_json(const metric *m, const source *fake, const source *real, long long seed)
{
    json_t *o = json_deep_copy(m->protocol);
    json_t *f = json_pack("{s:s, s:s, s:I, s:I, s:I}", "run", fake->run.uuid, "checkpoint",
                          fake->run.ckpt, "step", (json_int_t)fake->step, "seed",
                          (json_int_t)seed, "n", (json_int_t)fake->n);
    const char *sampler, *steps;
    if (cli_run_sampler(fake->run_cfg, &sampler, &steps)) {
        /* the same model scores differently under another sampler */
        json_object_set_new(f, "sampler", json_string(sampler));
        if (steps)
            json_object_set_new(f, "sampler_steps", json_integer(strtoll(steps, NULL, 10)));
    }
    /* what making the images cost (wall seconds), for sampler comparisons
     * (db/reports/samplers.sql); "generated" differs from run to run anyway */
    json_object_set_new(f, "seconds", json_real(fake->gen_seconds));
    json_object_set_new(o, "generated", f);
    if ((m->real || m->ref_cached) && real->ds_state)
        json_object_set_new(o, "real", data_json(real));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* base_name — a score's name without the classifier's prefix */
static const char *base_name(const char *name)
{
    return !strncmp(name, "classifier_", 11) ? name + 11 : name;
}

/* A score with its row and the text of its protocol. */
typedef struct scored {
    genlab_score_row row;
    char            *protocol;
    char             ref_id[PATH_MAX + 64];
    char             extractor[128];   /* auroc's: "vae:anomaly=elbo" */
} scored;

/* collect — m's scores as rows (appended to out at *n, at most max) */
static int collect(const eval *e, metric *m, const source *fake, const source *real,
                   scored *out, int *n, int max)
{
    genlab_score sc[8];
    int k = 0;
    if (m->mi->compute(e->ctx, m->state, sc, 8, &k) != GL_OK)
        return ctx_fail(e, "");
    /* the protocol with the final counts */
    json_t *p = json_loads(m->mi->protocol(m->state), 0, NULL);
    if (p) {
        json_decref(m->protocol);
        m->protocol = p;
    }
    json_t *ref = json_object_get(m->protocol, "fid_reference");
    const char *ref_path = json_string_value(json_object_get(ref, "path"));
    const char *ref_sha = json_string_value(json_object_get(ref, "sha256"));
    for (int i = 0; i < k && *n < max; i++) {
        scored *o = &out[(*n)++];
        const char *base = base_name(sc[i].name);
        bool is_fid = !strcmp(base, "fid"), uses_real = sc[i].n_real > 0,
             cached = is_fid && m->ref_cached;
        const char *id = real->ds_state && real->ds->identity ? real->ds->identity(real->ds_state)
                                                              : NULL;
        if (is_fid && ref_path)
            snprintf(o->ref_id, sizeof o->ref_id, "%s", ref_path);
        else if (uses_real)
            snprintf(o->ref_id, sizeof o->ref_id, "%s", id ? id : real->comp->name);
        o->protocol = score_json(m, fake, real, e->args->seed);
        bool is_is = !strcmp(base, "is"), is_kid = !strcmp(base, "kid");
        o->row = (genlab_score_row){
            .step = fake->step, .metric = sc[i].name, .value = sc[i].value,
            .higher_is_better = sc[i].higher_is_better, .n_samples = sc[i].n_samples,
            .feature_extractor = proto_str(m, "feature_extractor"),
            .extractor_sha256 = proto_str(m, "weights_sha256"),
            .ref_stats_id = o->ref_id[0] ? o->ref_id : NULL,
            .resize = proto_str(m, "resize"),
            .ref_split = uses_real || cached ? real->split : NULL,
            .n_splits = is_is ? json_integer_value(json_object_get(m->protocol, "is_splits"))
                        : is_kid ? json_integer_value(json_object_get(m->protocol, "kid_subsets"))
                                 : 1,
            .seed = e->args->seed, .protocol_json = o->protocol,
            .has_std = sc[i].has_std, .std = sc[i].std,
            .n_real = cached ? real->n : sc[i].n_real,
            .ref_stats_sha256 = is_fid && ref_sha ? ref_sha : NULL,
        };
    }
    return -1;
}

/* ---- anomaly detection ---- */

#define MAX_NORMAL 64   /* normal classes auroc takes */

/* The normal classes of auroc (normal=C1,C2,...). */
typedef struct normal_set {
    int  n;
    long class_of[MAX_NORMAL];
    char text[256];   /* as recorded: "0,1" */
} normal_set;

/* parse_normal — "C1,C2,..." (distinct class numbers) into *ns */
static int parse_normal(const cli_help *help, const char *list, normal_set *ns)
{
    ns->n = 0;
    ns->text[0] = '\0';
    for (const char *p = list; *p;) {
        char *end;
        errno = 0;
        long c = strtol(p, &end, 10);
        bool dup = false;
        for (int i = 0; i < ns->n; i++)
            dup = dup || ns->class_of[i] == c;
        if (end == p || (*end && *end != ',') || errno || c < 0 || c > INT32_MAX || dup ||
            ns->n == MAX_NORMAL)
            return cli_usage_error(help, "normal=%s: expected distinct class numbers separated "
                                   "by commas (at most %d)", list, MAX_NORMAL);
        ns->class_of[ns->n++] = c;
        snprintf(ns->text + strlen(ns->text), sizeof ns->text - strlen(ns->text), "%s%ld",
                 ns->n > 1 ? "," : "", c);
        p = end + (*end == ',');
    }
    return ns->n ? -1 : cli_usage_error(help, "normal=: no class given");
}

static bool is_normal(const normal_set *ns, int32_t label)
{
    for (int i = 0; i < ns->n; i++)
        if (ns->class_of[i] == label)
            return true;
    return false;
}

/* anomaly_kind — what the run's trainer scores images by: its parameter
 * TRAINER.anomaly ("elbo": -ELBO, "recon"), "" when it has none; its help
 * line into *about */
static const char *anomaly_kind(const genlab_config *run_cfg, const char **about)
{
    const char *trainer = genlab_config_str(run_cfg, "train.trainer");
    const genlab_config *scope = genlab_config_scope(run_cfg, trainer);
    char key[96];
    snprintf(key, sizeof key, "%s.anomaly", trainer);
    *about = "";
    for (size_t i = 0; scope && i < genlab_config_count(scope); i++) {
        const genlab_config_item *it = genlab_config_item_at(scope, i);
        if (!strcmp(it->key, key)) {
            *about = it->help;
            return it->value;
        }
    }
    return "";
}

/* auroc — the ROC-AUC of the run's anomaly scores (fake: the run) of the
 * held-out images of held, the normal classes' images the negatives, into
 * o (its row and protocol). Returns -1 or an exit status. */
static int auroc(const eval *e, const source *fake, source *held, const normal_set *ns, scored *o)
{
    void *state;
    const genlab_trainer_i *t = genlab_model_trainer(fake->model, &state);
    genlab_tensor *(*score)(genlab_ctx *, void *, genlab_tensor *) =
        GL_IFACE_GET(t, genlab_trainer_i, anomaly_score);
    const char *trainer = genlab_config_str(fake->run_cfg, "train.trainer");
    if (!score) {
        fprintf(stderr, "genlab score: auroc: run %s's trainer %s scores no images (it has no "
                "anomaly_score; the vae trainer has)\n", fake->run.uuid, trainer);
        return CLI_EXIT_USAGE;
    }
    if (held->spec.n_classes < 1) {
        fprintf(stderr, "genlab score: auroc: %s has no labels: nothing says which images are "
                "normal\n", held->desc);
        return CLI_EXIT_USAGE;
    }
    for (int i = 0; i < ns->n; i++)
        if (ns->class_of[i] >= held->spec.n_classes) {
            fprintf(stderr, "genlab score: auroc: normal class %ld is not among the %d classes "
                    "of %s\n", ns->class_of[i], (int)held->spec.n_classes, held->desc);
            return CLI_EXIT_USAGE;
        }
    double *v = malloc((size_t)held->n * sizeof *v);
    bool *positive = malloc((size_t)held->n * sizeof *positive);
    int64_t *idx = malloc((size_t)e->args->batch * sizeof *idx);
    int rc = v && positive && idx ? -1 : cli_fail(e->help, "out of memory");
    genlab_ctx *mctx = genlab_model_ctx(fake->model);
    cli_progress p;
    cli_progress_start(&p, stderr, "auroc", (held->n + e->args->batch - 1) / e->args->batch, 20);
    for (int64_t first = 0, k = 1; rc < 0 && first < held->n; first += e->args->batch, k++) {
        int64_t count = held->n - first < e->args->batch ? held->n - first : e->args->batch;
        for (int64_t i = 0; i < count; i++)
            idx[i] = first + i;
        genlab_ctx_step_begin(e->ctx);
        genlab_ctx_step_begin(mctx);
        genlab_batch b = {0};
        if (held->ds->read(e->ctx, held->ds_state, idx, count, &b) != GL_OK || !b.y) {
            rc = b.y || genlab_ctx_status(e->ctx) != GL_OK
                     ? ctx_fail(e, held->desc)
                     : cli_fail(e->help, "auroc: %s gave a batch without labels", held->desc);
            break;
        }
        int64_t shape[4];
        for (int d = 0; d < 4; d++)
            shape[d] = genlab_tensor_dim(b.x, d);
        genlab_tensor *a = score(mctx, state, genlab_tensor_from(mctx, 4, shape,
                                                                 genlab_tensor_f32(b.x)));
        if (!a) {
            rc = cli_fail(e->help, "auroc: %s, images %lld-%lld: %s", held->desc, (long long)first,
                          (long long)(first + count - 1), genlab_ctx_errmsg(mctx));
            genlab_ctx_clear_error(mctx);
            break;
        }
        const int32_t *y = genlab_tensor_data(b.y);
        for (int64_t i = 0; i < count; i++) {
            v[first + i] = genlab_tensor_f32(a)[i];
            positive[first + i] = !is_normal(ns, y[i]);
        }
        cli_progress_update(&p, k, NAN);
    }
    cli_progress_finish(&p);
    int64_t n_pos = 0;
    for (int64_t i = 0; rc < 0 && i < held->n; i++)
        n_pos += positive[i];
    if (rc < 0 && (n_pos == 0 || n_pos == held->n))
        rc = cli_fail(e->help, "auroc: the %lld images of %s are all %s with normal=%s: ROC-AUC "
                      "needs both", (long long)held->n, held->desc, n_pos ? "anomalies" : "normal",
                      ns->text);
    double value;
    if (rc < 0 && genlab_roc_auc(e->ctx, v, positive, held->n, &value) != GL_OK)
        rc = ctx_fail(e, "auroc");
    free(v), free(positive), free(idx);
    if (rc >= 0)
        return rc;
    const char *about, *kind = anomaly_kind(fake->run_cfg, &about);
    json_t *classes = json_array();
    for (int i = 0; i < ns->n; i++)
        json_array_append_new(classes, json_integer(ns->class_of[i]));
    json_t *pj = json_pack("{s:s, s:[s], s:{s:s, s:s, s:s}, s:o, s:I, s:I, s:s, s:{s:s, s:s, "
                           "s:I}, s:o, s:s}",
                           "metric", "auroc", "scores", "auroc", "anomaly_score", "trainer",
                           trainer, "kind", kind, "about", about, "normal_classes", classes,
                           "n_normal", (json_int_t)(held->n - n_pos), "n_anomalous",
                           (json_int_t)n_pos, "positives", "images of the other classes",
                           "model", "run", fake->run.uuid, "checkpoint", fake->run.ckpt, "step",
                           (json_int_t)fake->step, "real", data_json(held), "genlab_version",
                           genlab_version());
    o->protocol = pj ? json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(pj);
    if (!o->protocol)
        return cli_fail(e->help, "out of memory");
    const char *id = held->ds->identity ? held->ds->identity(held->ds_state) : NULL;
    snprintf(o->ref_id, sizeof o->ref_id, "%s normal=%s", id ? id : held->comp->name, ns->text);
    snprintf(o->extractor, sizeof o->extractor, "%s:anomaly=%s", trainer, kind);
    o->row = (genlab_score_row){
        .step = fake->step, .metric = "auroc", .value = value, .higher_is_better = true,
        .n_samples = held->n, .feature_extractor = o->extractor, .ref_stats_id = o->ref_id,
        .ref_split = held->split, .n_splits = 1, .seed = e->args->seed,
        .protocol_json = o->protocol,
    };
    return -1;
}

/* print_scores — the table of what was recorded */
static int print_scores(const cli_help *help, const scored *s, int n)
{
    cli_output *o = cli_output_new(stdout, CLI_FORMAT_TABLE);
    if (!o)
        return cli_fail(help, "out of memory");
    static const char *const names[] = {"metric", "value", "std", "n_fake", "n_real",
                                        "extractor", "reference"};
    for (int i = 0; i < n; i++) {
        const genlab_score_row *r = &s[i].row;
        char v[32], sd[32] = "", nf[24], nr[24] = "";
        snprintf(v, sizeof v, "%.6g", r->value);
        if (r->has_std)
            snprintf(sd, sizeof sd, "%.3g", r->std);
        snprintf(nf, sizeof nf, "%lld", (long long)r->n_samples);
        if (r->n_real)
            snprintf(nr, sizeof nr, "%lld", (long long)r->n_real);
        const char *vals[] = {r->metric, v, sd, nf, nr, r->feature_extractor,
                              r->ref_stats_id ? r->ref_stats_id : ""};
        cli_output_row(o, 7, names, vals);
    }
    int rc = cli_output_finish(o) == 0 ? CLI_EXIT_OK : cli_fail(help, "%s", cli_output_error(o));
    cli_output_free(o);
    return rc;
}

/* score_main — genlab score; with check_only, its arguments checked (as
 * genlab score would refuse them, with its messages) and nothing done */
static int score_main(int argc, char **argv, bool check_only)
{
    const char *list = NULL, *n_s = NULL, *ref = NULL, *split = NULL, *n_real_s = NULL,
               *seed = NULL, *cache = NULL, *batch = NULL, *threads = NULL, *db = NULL,
               *normal = NULL, *clf_steps_s = NULL, *sampler = NULL, *steps = NULL;
    const cli_option opts[] = {{"metric", &list},   {"n", &n_s},         {"ref", &ref},
                               {"split", &split},   {"n-real", &n_real_s}, {"seed", &seed},
                               {"cache", &cache},   {"batch", &batch},   {"threads", &threads},
                               {"db", &db},         {"classifier-steps", &clf_steps_s},
                               {"sampler", &sampler}, {"steps", &steps}, {NULL, NULL}};
    int npos, rc = cli_parse(&score_help, argc, argv, opts, &npos);
    eval_args a = {0};
    long long n = 10000, n_real = 0, clf_steps = AUTO_CLF_STEPS;
    char scores[2][32];
    bool want_auroc = false;
    normal_set ns = {0};
    if (rc < 0 && npos < 1)
        rc = cli_usage_error(&score_help, "which run? (an id or uuid prefix)");
    /* normal=LIST (auroc's) out of the KEY=VALUE arguments */
    for (int i = 2, j = 2; rc < 0 && i <= npos; i++) {
        if (!strncmp(argv[i], "normal=", 7))
            normal = argv[i] + 7;
        else
            argv[j++] = argv[i];
        if (i == npos)
            npos -= i - j + 1;
    }
    if (rc < 0 && !list)
        rc = cli_usage_error(&score_help, "--metric LIST is required (e.g. fid,is or "
                             "classifier-fid)");
    if (rc < 0)
        rc = parse_metrics(&score_help, list, scores, &want_auroc);
    if (rc < 0 && want_auroc != (normal != NULL))
        rc = cli_usage_error(&score_help, normal ? "normal= is auroc's: add auroc to --metric"
                                                 : "auroc needs the normal classes: normal=C1,C2,...");
    if (rc < 0 && normal)
        rc = parse_normal(&score_help, normal, &ns);
    if (rc < 0 && n_s && !cli_parse_int(&score_help, "-n", n_s, 2, 10000000, &n))
        rc = CLI_EXIT_USAGE;
    if (rc < 0 && n_real_s &&
        !cli_parse_int(&score_help, "--n-real", n_real_s, 2, 10000000, &n_real))
        rc = CLI_EXIT_USAGE;
    if (rc < 0 && clf_steps_s &&
        !cli_parse_int(&score_help, "--classifier-steps", clf_steps_s, 1, 10000000, &clf_steps))
        rc = CLI_EXIT_USAGE;
    if (rc < 0)
        rc = parse_eval(&score_help, batch, threads, seed, npos - 1, argv + 2, &a);
    long long steps_n;
    if (rc < 0 && steps && !cli_parse_int(&score_help, "--steps", steps, 1, 100000, &steps_n))
        rc = CLI_EXIT_USAGE;
    a.db = db;
    a.sampler = (cli_sampler_choice){sampler, steps};
    if (rc < 0)
        rc = check_scopes(&score_help, &a, (const char *const[]){"inception", "classifier", NULL});
    bool fid_both = strstr(scores[0], "fid") && strstr(scores[1], "fid");
    if (rc < 0 && ref && fid_both)
        rc = cli_usage_error(&score_help, "--ref with both fid and classifier-fid: give "
                             "inception.ref=FILE and classifier.ref=FILE instead");
    if (rc < 0 && !cli_run_ref_valid(argv[1]))
        rc = cli_usage_error(&score_help, "'%s' is neither a run id nor a uuid (prefix)", argv[1]);
    if (rc >= 0 || check_only) {
        free_eval_args(&a);
        return rc >= 0 ? rc : CLI_EXIT_OK;
    }
    eval e = {0};
    source fake = {0}, real = {0}, held = {0};
    metric ms[2] = {{0}};
    int nm = 0;
    scored rows[16];
    int nrows = 0;
    const char *run_ref = argv[1];
    if ((rc = weights_from_runs(&score_help, &a)) < 0 &&
        (rc = eval_open(&score_help, &a, &e)) == CLI_EXIT_OK)
        rc = -1;
    if (rc < 0)
        rc = run_source(&e, &fake, run_ref);
    if (rc < 0)
        fake.n = n;
    if (rc < 0 && scores[1][0])
        rc = auto_classifier(&e, &a, fake.run_cfg, clf_steps);
    /* FID's reference: --ref or NAME.ref= as given, else the real images'
     * cached statistics; KID and precision/recall take the real images */
    const char *comp[2] = {"inception", "classifier"}, *given_ref[2] = {NULL, NULL};
    bool open_real = false;
    for (int i = 0; i < 2; i++) {
        char k_ref[64];
        snprintf(k_ref, sizeof k_ref, "%s.ref", comp[i]);
        given_ref[i] = ref && strstr(scores[i], "fid") ? ref : given(&a, k_ref);
        open_real = open_real || strstr(scores[i], "kid") || strstr(scores[i], "pr") ||
                    (strstr(scores[i], "fid") && !given_ref[i]);
    }
    if (rc < 0 && open_real)
        rc = eval_data_source(&e, &real, fake.run_cfg, split ? split : "train");
    if (rc < 0 && open_real)
        rc = take(&e, &real, n_real ? n_real : n);
    for (int i = 0; rc < 0 && i < 2; i++) {
        if (!scores[i][0])
            continue;
        char cached[PATH_MAX + 64] = "";
        if (strstr(scores[i], "fid") && !given_ref[i])
            rc = cached_reference(&e, &real, comp[i], cache, cached, sizeof cached);
        if (rc < 0)
            rc = metric_open(&e, &ms[nm], comp[i], scores[i], cached[0] ? cached : given_ref[i]);
        ms[nm++].ref_cached = cached[0] != '\0';
    }
    bool need_real = false;
    for (int i = 0; i < nm; i++)
        need_real = need_real || ms[i].real;
    if (rc < 0 && nm)
        rc = feed(&e, &fake, ms, nm, GL_SET_FAKE, "generated");
    if (rc < 0 && need_real)
        rc = feed(&e, &real, ms, nm, GL_SET_REAL, "real");
    for (int i = 0; rc < 0 && i < nm; i++)
        rc = collect(&e, &ms[i], &fake, &real, rows, &nrows, 16);
    /* anomaly detection: the held-out split, all of it unless -n is given */
    if (rc < 0 && want_auroc)
        rc = eval_data_source(&e, &held, fake.run_cfg, split ? split : "test");
    if (rc < 0 && want_auroc)
        rc = take(&e, &held, n_s ? n : 0);
    if (rc < 0 && want_auroc && (rc = auroc(&e, &fake, &held, &ns, &rows[nrows])) < 0)
        nrows++;
    genlab_store *store = NULL;
    if (rc < 0 && !(store = cli_store_open(&score_help, cli_db_path(db), false)))
        rc = CLI_EXIT_FAILURE;
    if (rc < 0) {
        long long id = 0;
        genlab_score_row r[16];
        for (int i = 0; i < nrows; i++)
            r[i] = rows[i].row;
        rc = cli_resolve_run(&score_help, store, fake.run.uuid, &id);
        if (rc == CLI_EXIT_OK && genlab_store_scores_add(store, id, r, (size_t)nrows) != GL_OK)
            rc = cli_fail(&score_help, "%s", genlab_store_errmsg(store));
    }
    if (rc == CLI_EXIT_OK) {
        printf("run %s, checkpoint %s (step %lld): %d score%s recorded in %s\n", fake.run.uuid,
               fake.run.ckpt, (long long)fake.step, nrows, nrows == 1 ? "" : "s",
               cli_db_path(db));
        rc = print_scores(&score_help, rows, nrows);
    }
    if (genlab_store_close(store) != GL_OK && rc == CLI_EXIT_OK)
        rc = cli_fail(&score_help, "closing the store failed");
    for (int i = 0; i < nrows; i++)
        free(rows[i].protocol);
    for (int i = 0; i < nm; i++)
        metric_close(&ms[i]);
    source_close(&held);
    source_close(&real);
    source_close(&fake);
    if (e.reg)
        eval_close(&e);
    free_eval_args(&a);
    return rc;
}

/* ---- fid ---- */

/* print_fid — the value on stdout, 6 decimals; a round-off negative that
 * rounds to zero prints as 0, not -0 */
static void print_fid(double v)
{
    printf("%.6f\n", v < 0 && v > -5e-7 ? 0.0 : v);
}

/* fid_of_files — the FID of two .npz files, no extractor involved */
static int fid_of_files(const eval *e, const char *a, const char *b)
{
    genlab_npz *z[2] = {NULL, NULL};
    const genlab_npz_array *mu[2], *sigma[2];
    const char *path[2] = {a, b};
    int rc = -1;
    for (int i = 0; rc < 0 && i < 2; i++) {
        if (genlab_npz_open(e->ctx, path[i], &z[i]) != GL_OK) {
            rc = ctx_fail(e, "");
            break;
        }
        mu[i] = genlab_npz_get(z[i], "mu");
        sigma[i] = genlab_npz_get(z[i], "sigma");
        if (!mu[i] || !sigma[i] || mu[i]->ndim != 1 || sigma[i]->ndim != 2 ||
            sigma[i]->shape[0] != mu[i]->shape[0] || sigma[i]->shape[1] != mu[i]->shape[0])
            rc = cli_fail(e->help, "\"%s\": not FID statistics (needs mu (d) and sigma (d, d))",
                          path[i]);
    }
    if (rc < 0 && mu[0]->shape[0] != mu[1]->shape[0])
        rc = cli_fail(e->help, "\"%s\" has %lld features but \"%s\" %lld: statistics of "
                      "different extractors", a, (long long)mu[0]->shape[0], b,
                      (long long)mu[1]->shape[0]);
    double v;
    if (rc < 0 && genlab_frechet_distance(e->ctx, mu[0]->shape[0], mu[0]->data, sigma[0]->data,
                                          mu[1]->data, sigma[1]->data, &v) != GL_OK)
        rc = ctx_fail(e, "");
    if (rc < 0) {
        print_fid(v);
        fprintf(stderr, "genlab fid: %s against %s (%lld features)\n", a, b,
                (long long)mu[0]->shape[0]);
        rc = CLI_EXIT_OK;
    }
    genlab_npz_close(z[0]);
    genlab_npz_close(z[1]);
    return rc;
}

/* side_open — A or B as a source of n images (a run: N generated) */
static int side_open(const eval *e, source *s, const char *text, const char *split, long long n)
{
    struct stat sb;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(text, ":"), text);
    int rc;
    if ((stat(text, &sb) == 0 && S_ISDIR(sb.st_mode)) ||
        genlab_registry_find(e->reg, GL_KIND_DATASET, name))
        rc = dataset_source(e, s, text, split);
    else if (cli_run_ref_valid(text))
        rc = run_source(e, s, text);
    else
        return cli_usage_error(e->help, "'%s' is not a .npz file, a directory, a dataset or a "
                               "run", text);
    return rc < 0 ? take(e, s, s->kind == SRC_RUN ? (n > 0 ? n : 10000) : n) : rc;
}

int cmd_fid(int argc, char **argv)
{
    const char *ext = "inception", *weights = NULL, *n_s = NULL, *split = "train", *seed = NULL,
               *batch = NULL, *threads = NULL, *db = NULL;
    const cli_option opts[] = {{"extractor", &ext}, {"weights", &weights}, {"n", &n_s},
                               {"split", &split},   {"seed", &seed},       {"batch", &batch},
                               {"threads", &threads}, {"db", &db},        {NULL, NULL}};
    int npos, rc = cli_parse(&fid_help, argc, argv, opts, &npos);
    eval_args a = {0};
    long long n = 0;
    if (rc < 0 && npos < 2)
        rc = cli_usage_error(&fid_help, "needs two sets, A and B");
    if (rc < 0 && n_s && !cli_parse_int(&fid_help, "-n", n_s, 2, 10000000, &n))
        rc = CLI_EXIT_USAGE;
    if (rc < 0)
        rc = parse_eval(&fid_help, batch, threads, seed, npos - 2, argv + 3, &a);
    a.db = db;
    if (rc < 0)
        rc = check_scopes(&fid_help, &a, (const char *const[]){"dataset", ext, NULL});
    if (rc < 0)
        rc = weights_option(&fid_help, &a, ext, weights);
    if (rc >= 0) {
        free_eval_args(&a);
        return rc;
    }
    const char *A = argv[1], *B = argv[2];
    eval e = {0};
    source s[2] = {{0}};
    metric m = {0};
    if ((rc = weights_from_runs(&fid_help, &a)) < 0 && (rc = eval_open(&fid_help, &a, &e)) == 0)
        rc = -1;
    if (rc < 0 && is_npz(A) && is_npz(B))
        rc = fid_of_files(&e, A, B);
    /* a file is FID's reference; the images go in as the other set */
    const char *file = is_npz(A) ? A : is_npz(B) ? B : NULL;
    const char *sides[2] = {file ? NULL : A, file == A ? B : file ? A : B};
    for (int i = 0; rc < 0 && i < 2; i++)
        if (sides[i])
            rc = side_open(&e, &s[i], sides[i], split, n);
    if (rc < 0)
        rc = metric_open(&e, &m, ext, "fid", file ? file : "");
    if (rc < 0 && !file)
        rc = feed(&e, &s[0], &m, 1, GL_SET_REAL, "A");
    if (rc < 0)
        rc = feed(&e, &s[1], &m, 1, GL_SET_FAKE, file ? "images" : "B");
    genlab_score sc[1];
    int k = 0;
    if (rc < 0 && m.mi->compute(e.ctx, m.state, sc, 1, &k) != GL_OK)
        rc = ctx_fail(&e, "");
    if (rc < 0) {
        print_fid(sc[0].value);
        fprintf(stderr, "genlab fid: %s against %s; extractor %s (weights sha256 %.16s...), "
                "resize %s\n", file ? file : s[0].desc, s[1].desc,
                proto_str(&m, "feature_extractor"), proto_str(&m, "weights_sha256"),
                proto_str(&m, "resize"));
        rc = CLI_EXIT_OK;
    }
    metric_close(&m);
    source_close(&s[0]);
    source_close(&s[1]);
    if (e.reg)
        eval_close(&e);
    free_eval_args(&a);
    return rc;
}

int cmd_score(int argc, char **argv) { return score_main(argc, argv, false); }

int cli_score_check(int argc, char **argv) { return score_main(argc, argv, true); }

int cli_score_rows(const char *list, char *buf, size_t size)
{
    int n = 0;
    size_t used = 0;
    buf[0] = '\0';
    for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        size_t len = strcspn(p, ","), i = 0;
        while (i < N_METRIC_NAMES &&
               !(strlen(metric_names[i].name) == len && !strncmp(metric_names[i].name, p, len)))
            i++;
        if (i == N_METRIC_NAMES)
            return 0;
        /* the component's scores: its prefix (metric.c), pr's two */
        const char *prefix = metric_names[i].component &&
                             !strcmp(metric_names[i].component, "classifier") ? "classifier_" : "";
        bool pr = !strcmp(metric_names[i].score, "pr");
        for (int k = 0; k < (pr ? 2 : 1); k++) {
            const char *base = pr ? (k ? "recall" : "precision") : metric_names[i].score;
            int w = snprintf(buf + used, size - used, "%s%s%s", n ? "," : "", prefix, base);
            if (w < 0 || (size_t)w >= size - used)
                return 0;
            used += (size_t)w;
            n++;
        }
    }
    return n;
}
