/* SPDX-License-Identifier: MIT
 *
 * cmd_train.c — `genlab train`: loads the plugins, builds the typed
 * configuration from an INI file and key=value arguments, and hands it to
 * the library's run loop (run.h) with a progress line and a stop flag that
 * SIGINT and SIGTERM set. `genlab sweep` runs each of its points as a
 * `genlab train` child tagged with --sweep and --sweep-point.
 *
 * It holds no training logic: validation, the run's record, the steps and
 * their endings are libgenlab's. This file chooses what is printed and the
 * exit status: 0 completed, 1 failed, 2 a configuration problem (nothing
 * written), 130 interrupted.
 *
 * Sections: help, the default job, signals, callbacks, resuming, the
 * command.
 */
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "genlab/genlab.h"
#include "progress.h"

/* ---- help ---- */

static void train_more(FILE *out);
static void print_default_job(FILE *out);

static const cli_help help = {
    .command = "train",
    .synopsis = "genlab train [--config FILE] [--db FILE] [KEY=VALUE]...\n"
                "       genlab train --resume RUN [--db FILE] [KEY=VALUE]...\n"
                "       genlab train ... --sweep NAME --sweep-point JSON",
    .body =
        "Trains a model and records the run in the store: the trainer component that\n"
        "train.trainer names, on the dataset that train.dataset names, with every\n"
        "parameter taken from the INI file (sections are scopes: [train] steps = 100\n"
        "is train.steps) and from KEY=VALUE arguments, which win over the file.\n"
        "Defaults fill in the rest; every resolved value is recorded with the run.\n"
        "\n"
        "Without any KEY=VALUE argument and without --config, it runs the default job\n"
        "(the README's first run, its values listed at the end): a GAN on\n"
        "Fashion-MNIST that takes a few minutes. A run that writes sample grids (the\n"
        "gan trainer) ends by printing where its last grid is.\n"
        "\n"
        "Plugins are loaded from $GENLAB_PLUGIN_PATH, then from the installed plugin\n"
        "directory; one that fails to load is a warning. Every value is checked\n"
        "before anything runs: unknown keys (with a \"did you mean\"), wrong types,\n"
        "values out of range and unknown component names are listed in one message,\n"
        "and nothing is written (exit status 2).\n"
        "\n"
        "The run's uuid is printed when it starts, a summary when it ends. Progress\n"
        "goes to stderr: a line redrawn in place on a terminal, else a line every\n"
        "train.log_every steps. Ctrl-C (SIGINT) or SIGTERM stops the run after the\n"
        "current step: it is marked interrupted with its curves written (exit status\n"
        "130). A second Ctrl-C kills at once; the store then marks the run\n"
        "interrupted the next time it is opened on this host.\n"
        "\n"
        "Checkpoints (trainers that support them) are written every train.ckpt_every\n"
        "steps, at the end and when the run is stopped, into checkpoints/<uuid> beside\n"
        "the store. --resume RUN continues a run from its newest checkpoint as a new\n"
        "run (its parent is RUN) with RUN's configuration: with the same thread count\n"
        "it computes bit for bit what RUN would have. Only train.steps, log_every,\n"
        "threads, prefetch, ckpt_every, ckpt_keep, ckpt_dir and name may be given\n"
        "then (e.g. train.steps=20000 to train longer).\n"
        "\n"
        "exit status: 0 completed, 1 failed (the error is stored with the run),\n"
        "2 bad usage or configuration, 130 interrupted.\n"
        "\n"
        "options:\n"
        "  --config FILE    an INI file of parameters\n"
        "  --db FILE        the store (default: $GENLAB_DB, else ./genlab.db)\n"
        "  --resume RUN     continue run RUN (id or uuid prefix) from its checkpoint\n"
        "  --sweep NAME     (used by genlab sweep) tag the run with the sweep NAME ...\n"
        "  --sweep-point JSON  ... and its point, a JSON object (runs.sweep and\n"
        "                   runs.sweep_point), by which a re-run sweep finds it\n"
        "\n"
        "examples:\n"
        "  genlab train train.trainer=gan train.dataset=mnist gan.loss=lsgan optim.lr=2e-4\n"
        "  genlab train --config exp.ini train.seed=3 --db sweep.db\n"
        "  genlab train --resume 3f2a train.steps=20000\n",
    .more = train_more,
};

/* the core's keys; a component's are shown by `genlab plugins show` */
static void train_more(FILE *out)
{
    fprintf(out, "\ncore keys (a component's parameters: genlab plugins show NAME):\n");
    const char *scope;
    genlab_param_def d;
    char allowed[160], key[64];
    for (size_t i = 0; genlab_run_param(i, &scope, &d); i++) {
        snprintf(key, sizeof key, "%s.%s", scope, d.name);
        fprintf(out, "  %-21s %-9s %-10s %-24s %s\n", key, genlab_param_type_name(d.type),
                cli_param_default(&d), cli_param_allowed(&d, allowed, sizeof allowed), d.help);
    }
    print_default_job(out);
}

/* ---- the default job ---- */

/* `genlab train` without KEY=VALUE arguments or --config: the README's main
 * job. A fully connected GAN (mlp28, seeds 003/004) on Fashion-MNIST (the
 * idx dataset's default files) with an EMA generator for its samples: about
 * 5 epochs in 2.5 minutes on 2 cores, ending with a grid of garments
 * (t-shirts, trousers, pullovers, dresses, sneakers, boots, bags). dcgan28
 * at its full width is 10x slower per step; at half the width it still drew
 * no garments in the same time. One kernel thread: the matrices are small,
 * the second core runs the data loader's prefetch thread, and the job keeps
 * its pace when the cores are shared (two OpenMP threads spinning against
 * other work made it 25 minutes), and draws the same grid on every machine
 * (results depend on the thread count). */
static const struct {
    const char *key, *value;
} default_job[] = {
    {"train.trainer", "gan"},
    {"train.dataset", "idx"},
    {"train.name", "fashion-gan"},
    {"train.steps", "5000"},
    {"train.batch", "64"},
    {"train.log_every", "50"},
    {"train.ckpt_every", "1000"},
    {"train.threads", "1"},
    {"gan.generator", "mlp28"},
    {"gan.discriminator", "mlp28"},
    {"gan.loss", "bce"},
    {"gan.ema", "0.999"},
    {"gan.sample_every", "1000"},
    {"optim.lr", "2e-4"},
    {"optim.beta1", "0.5"},
};

static void print_default_job(FILE *out)
{
    fprintf(out, "\nthe default job (genlab train without KEY=VALUE or --config):\n");
    for (size_t i = 0; i < sizeof default_job / sizeof default_job[0]; i++)
        fprintf(out, "  %s=%s\n", default_job[i].key, default_job[i].value);
}

/* set_default_job — the default job's values, recorded with their origin */
static void set_default_job(genlab_config *cfg)
{
    for (size_t i = 0; i < sizeof default_job / sizeof default_job[0]; i++)
        genlab_config_set(cfg, default_job[i].key, default_job[i].value, "the default job");
}

/* print_samples — where the run's last sample grid is, if it wrote one */
static int grid_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)user, (void)ncol, (void)names;
    if (values[0])
        printf("sample grid: %s\n", values[0]);
    return 0;
}

static void print_samples(genlab_store *store, int64_t run_id)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT path FROM artifacts WHERE run_id = %" PRId64 " AND kind = "
             "'grid' ORDER BY id DESC LIMIT 1", run_id);
    genlab_store_query(store, sql, grid_row, NULL);
}

/* ---- signals ---- */

/* Set by the handler, read by the run loop between steps. A handler may
 * only do this (sig_atomic_t, volatile): the store and stdio are not
 * async-signal-safe. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* SA_RESETHAND: the first signal asks for a clean stop, a second one gets
 * the default action (the user insists) */
static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- callbacks ---- */

typedef struct train_state {
    cli_progress progress;
    const char  *trainer;
    const char  *db;
    int64_t      steps;
} train_state;

static void on_started(void *user, int64_t run_id, const char *uuid)
{
    train_state *t = user;
    printf("run %s (id %" PRId64 " in %s): trainer %s, %" PRId64 " steps\n", uuid, run_id, t->db,
           t->trainer, t->steps);
    fflush(stdout);   /* before the progress on stderr, and for whoever waits for it */
}

static void on_progress(void *user, int64_t step, int64_t total, double loss)
{
    (void)total;
    cli_progress_update(&((train_state *)user)->progress, step, loss);
}

/* command_line — "genlab train ARGS" with each argument quoted for a POSIX
 * shell where it needs it, so that the stored command can be re-run.
 * Returns a malloc'd string, or NULL when out of memory. */
static char *command_line(int argc, char **argv)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (!m)
        return NULL;
    fputs("genlab", m);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789_-.,/=:+@%") == strlen(a);
        fputc(' ', m);
        if (plain) {
            fputs(a, m);
            continue;
        }
        fputc('\'', m);
        for (; *a; a++)
            fputs(*a == '\'' ? "'\\''" : (char[2]){*a, '\0'}, m);
        fputc('\'', m);
    }
    return fclose(m) == 0 ? buf : (free(buf), NULL);
}

/* ---- resuming ---- */

/* What a resumed run may change: how long it runs and how it is logged and
 * saved, never what it computes. */
static const char *const resume_may_change[] = {
    "train.steps", "train.log_every", "train.threads", "train.prefetch", "train.ckpt_every",
    "train.ckpt_keep", "train.ckpt_dir", "train.name", NULL,
};

/* check_overrides — the KEY=VALUE arguments of a resume change only what
 * resume_may_change allows */
static int check_overrides(int n, char **args)
{
    for (int i = 0; i < n; i++) {
        size_t key_len = strcspn(args[i], "=");
        bool ok = false;
        for (const char *const *k = resume_may_change; !ok && *k; k++)
            ok = strlen(*k) == key_len && !strncmp(*k, args[i], key_len);
        if (!ok)
            return cli_usage_error(&help, "--resume: '%.*s' cannot be changed: the run goes on "
                                   "with its own configuration (train.steps, log_every, "
                                   "threads, prefetch, ckpt_* and name may be given)",
                                   (int)key_len, args[i]);
    }
    return -1;
}

/* ---- the command ---- */

/* is_json_object — text is one JSON object (what runs.sweep_point holds) */
static bool is_json_object(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    bool ok = json_is_object(j);
    json_decref(j);
    return ok;
}

/* summary — the result on stdout (or the failure on stderr); the exit status */
static int summary(const genlab_run_result *r)
{
    if (r->run_id == 0)   /* refused before the run's row was written */
        return cli_fail(&help, "%s (no run was recorded)", r->message);
    double rate = r->seconds > 0 ? (double)r->steps_done / r->seconds : 0;
    double logging = r->seconds > 0 ? 100.0 * r->log_seconds / r->seconds : 0;
    char loss[64] = "";
    if (!isnan(r->loss))
        snprintf(loss, sizeof loss, ", last loss %.6g", r->loss);
    if (r->status == GL_RUN_COMPLETED && r->code == GL_OK) {
        printf("run %s completed: %" PRId64 " steps in %.2f s (%.1f steps/s)%s; logging the "
               "curves took %.2f %% of the time\n",
               r->uuid, r->steps_done, r->seconds, rate, loss, logging);
        return CLI_EXIT_OK;
    }
    if (r->status == GL_RUN_INTERRUPTED) {
        printf("run %s %s%s; its curves are written\n", r->uuid, r->message, loss);
        return CLI_EXIT_INTERRUPTED;
    }
    return cli_fail(&help, "run %s failed after %" PRId64 " steps: %s", r->uuid, r->steps_done,
                    r->message);
}

int cmd_train(int argc, char **argv)
{
    char *cmdline = command_line(argc, argv);   /* before cli_parse reorders argv */
    const char *config_file = NULL, *db = NULL, *resume = NULL, *sweep = NULL, *point = NULL;
    const cli_option opts[] = {{"config", &config_file}, {"db", &db}, {"resume", &resume},
                               {"sweep", &sweep}, {"sweep-point", &point}, {NULL, NULL}};
    int npos, rc = cli_parse(&help, argc, argv, opts, &npos);
    if (rc < 0 && resume && config_file)
        rc = cli_usage_error(&help, "--resume takes the run's own configuration, not --config");
    if (rc < 0 && (!sweep != !point || (sweep && !*sweep)))
        rc = cli_usage_error(&help, "--sweep NAME and --sweep-point JSON go together");
    if (rc < 0 && point && !is_json_object(point))
        rc = cli_usage_error(&help, "--sweep-point: \"%s\" is not a JSON object", point);
    if (rc < 0 && resume)
        rc = check_overrides(npos, argv + 1);
    if (rc >= 0 || !cmdline) {
        free(cmdline);
        return rc >= 0 ? rc : cli_fail(&help, "out of memory");
    }
    genlab_registry *reg = cli_registry_open(&help);
    genlab_config *cfg = NULL;
    genlab_store *store = NULL;
    cli_run_record ri;
    const char *path = cli_db_path(db);
    if (!reg || genlab_config_create(&cfg) != GL_OK || genlab_run_declare(cfg) != GL_OK) {
        rc = cli_fail(&help, "%s", cfg ? genlab_config_errmsg(cfg) : "out of memory");
        goto done;
    }
    /* a resume reads its run first; otherwise a configuration problem must
     * not even create the store */
    if (resume && !(store = cli_store_open(&help, path, false))) {
        rc = CLI_EXIT_FAILURE;
        goto done;
    }
    if (resume && (rc = cli_run_load(&help, store, resume, cfg, &ri)) != CLI_EXIT_OK)
        goto done;
    /* the file's and the arguments' problems are all reported by resolve */
    if (!resume && !config_file && npos == 0)
        set_default_job(cfg);
    if (config_file)
        genlab_config_load_ini(cfg, config_file);
    genlab_config_set_args(cfg, npos, (const char *const *)argv + 1);
    if (genlab_config_resolve(cfg, reg) != GL_OK) {
        fprintf(stderr, "genlab train: %s\n", genlab_config_errmsg(cfg));
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (!store && !(store = cli_store_open(&help, path, false))) {
        rc = CLI_EXIT_FAILURE;
        goto done;
    }
    train_state t = {.trainer = genlab_config_str(cfg, "train.trainer"), .db = path,
                     .steps = genlab_config_int(cfg, "train.steps")};
    cli_progress_start(&t.progress, stderr, t.trainer, t.steps,
                       genlab_config_int(cfg, "train.log_every"));
    install_handlers();
    genlab_run_options o = {.command_line = cmdline, .stop = &stop_requested,
                            .started = on_started, .progress = on_progress, .user = &t,
                            .resume_from = resume ? ri.ckpt : NULL,
                            .parent_uuid = resume ? ri.uuid : NULL,
                            .sweep = sweep, .sweep_point = point};
    if (resume)
        printf("resuming run %s from %s\n", ri.uuid, ri.ckpt);
    genlab_run_result r;
    genlab_run_train(reg, cfg, store, &o, &r);
    cli_progress_finish(&t.progress);
    rc = summary(&r);
    if (r.run_id)
        print_samples(store, r.run_id);
done:
    if (genlab_store_close(store) != GL_OK && rc == CLI_EXIT_OK)
        rc = cli_fail(&help, "closing the store failed");
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
    free(cmdline);
    return rc;
}
