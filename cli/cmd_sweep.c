/* SPDX-License-Identifier: MIT
 *
 * cmd_sweep.c — `genlab sweep`: the points of a sweep file (sweep.h) run as
 * `genlab train` children of this same program, N at a time, each tagged
 * with the sweep's name and its point (--sweep, --sweep-point), so that a
 * re-run skips the points done and resumes those cut short; or one point
 * (--task K: a Slurm array task); or a Slurm job-array script that runs
 * every point into a store of its own, for `genlab db merge` to fold.
 *
 * It trains nothing itself and holds no sweep logic: the library reads,
 * checks and expands the file; `genlab train` runs a point. This file
 * decides what each point needs (from the store: the runs tagged with the
 * point), starts and waits for the children (fork, exec, waitpid), relays
 * Ctrl-C to them, and prints one line per point and a summary.
 *
 * Sections: help, the plan, children, running, the Slurm script, the
 * command.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "genlab/genlab.h"

/* ---- help ---- */

static const cli_help help = {
    .command = "sweep",
    .synopsis = "genlab sweep --config FILE [--db FILE] [--jobs N] [--logs DIR] [--dry-run]\n"
                "genlab sweep --config FILE --task K [--db FILE] [--logs DIR]\n"
                "genlab sweep --config FILE --emit slurm [--out FILE] [--shards DIR]",
    .body =
        "Runs a sweep: a grid (or a random search) over declared parameters times\n"
        "seeds, described by an INI file (doc/sweeps.md):\n"
        "\n"
        "  [sweep]\n"
        "  name = lr-grid\n"
        "  config = gan.ini        ; the base training config, relative to this file\n"
        "  seeds = 0..4            ; or 0, 3, 7\n"
        "  mode = grid             ; or random, with samples = 20 and random_seed = 1\n"
        "  [grid]                  ; [random] in random mode: uniform(a, b),\n"
        "  optim.lr = 1e-4, 2e-4   ; loguniform(a, b), int(a, b), choice(a, b, ...)\n"
        "  train.batch = 64, 128\n"
        "  [fixed]                 ; optional: set for every point\n"
        "  train.steps = 200\n"
        "\n"
        "Every point is checked before anything runs, as genlab train checks its\n"
        "configuration: an unknown key or a bad value names the file, line and key\n"
        "(exit status 2). A grid's points come in the file's key order, the last key\n"
        "fastest, the seeds innermost.\n"
        "\n"
        "Each point runs as `genlab train --config BASE KEY=VALUE... --sweep NAME\n"
        "--sweep-point JSON`, its output in DIR/NAME-K.log. Its runs are found in the\n"
        "store by the sweep's name and the point's JSON (its swept keys and seed,\n"
        "sorted, with their resolved values), so running the sweep again skips the\n"
        "points that completed, resumes from its checkpoint a point whose newest run\n"
        "was interrupted or failed (genlab train --resume: the new run's parent is\n"
        "the old one; without a checkpoint it starts again), and skips a point whose\n"
        "run is still running (another process). Changing [fixed] or the base config\n"
        "does not make the points new: give such a sweep another name.\n"
        "\n"
        "One line per point as it starts and ends ([3/30]), then a summary. Ctrl-C\n"
        "(SIGINT) or SIGTERM is relayed to the running points, which stop after their\n"
        "step and are marked interrupted (exit status 130); a second Ctrl-C kills\n"
        "them at once.\n"
        "\n"
        "On a cluster, --emit slurm writes a Slurm job-array script with one task per\n"
        "point: task K runs `genlab sweep --task K` into its own store\n"
        "DIR/NAME-K.db. When the array is done, fold the stores into one with\n"
        "`genlab db merge OUT DIR/NAME-*.db` (the script's comment says it).\n"
        "\n"
        "exit status: 0 every point completed or was skipped, 1 a point failed (or\n"
        "was stopped by someone else), 2 bad usage or a bad sweep file, 130\n"
        "interrupted.\n"
        "\n"
        "options:\n"
        "  --config FILE   the sweep file (required)\n"
        "  --db FILE       the store (default: $GENLAB_DB, else ./genlab.db)\n"
        "  --jobs N        points run at a time on this machine (default 1)\n"
        "  --logs DIR      the points' output (default: sweep-logs beside the store)\n"
        "  --dry-run       print the points and what would be done with each; run nothing\n"
        "  --task K        run point K only (0-based: a Slurm array index)\n"
        "  --emit slurm    write the Slurm job-array script instead of running\n"
        "  --out FILE      the script (default NAME.slurm)\n"
        "  --shards DIR    the tasks' stores and Slurm output (default NAME-shards)\n"
        "\n"
        "examples:\n"
        "  genlab sweep --config lr.ini --jobs 2 --db lr.db\n"
        "  genlab sweep --config lr.ini --dry-run --db lr.db\n"
        "  genlab sweep --config lr.ini --emit slurm && sbatch lr-grid.slurm\n"
        "  genlab db merge lr.db lr-grid-shards/lr-grid-*.db\n",
};

/* ---- the plan ---- */

/* What a point needs, from its runs in the store. */
typedef enum step_kind {
    STEP_RUN,        /* no run yet, or none to resume: a fresh run */
    STEP_RESUME,     /* the newest was interrupted or failed, with a checkpoint */
    STEP_DONE,       /* a run completed */
    STEP_RUNNING     /* the newest is running: another process has it */
} step_kind;

typedef struct step {
    step_kind kind;
    int64_t   newest;         /* the newest run's id (0: none) */
    char      uuid[37];       /* the completed run, else the newest */
    char      status[16];     /* the newest's status */
    char      where[128];     /* STEP_RUNNING: "pid P on HOST" */
} step;

typedef struct plan {
    const genlab_sweep *sw;
    step               *steps;
} plan;

static int sweep_run_row(void *user, int ncol, const char *const *names,
                         const char *const *values)
{
    (void)ncol, (void)names;
    plan *p = user;
    for (size_t i = 0; i < genlab_sweep_count(p->sw); i++) {
        step *s = &p->steps[i];
        if (!values[3] || strcmp(values[3], genlab_sweep_point_at(p->sw, i)->json) ||
            s->kind == STEP_DONE)
            continue;
        snprintf(s->uuid, sizeof s->uuid, "%s", values[1]);
        snprintf(s->status, sizeof s->status, "%s", values[2]);
        s->newest = strtoll(values[0], NULL, 10);
        s->kind = !strcmp(values[2], "completed") ? STEP_DONE
                : !strcmp(values[2], "running")   ? STEP_RUNNING : STEP_RUN;
        snprintf(s->where, sizeof s->where, "pid %s on %s", values[5] ? values[5] : "?",
                 values[4] ? values[4] : "?");
    }
    return 0;
}

static int ckpt_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    bool *found = user;
    *found = *found || (values[0] && access(values[0], R_OK) == 0);
    return 0;
}

/* plan_points — what each point needs: from the runs tagged with the sweep
 * in store (NULL: no store yet, every point runs). Returns CLI_EXIT_OK or
 * an exit status after printing why. */
static int plan_points(genlab_store *store, plan *p)
{
    size_t n = genlab_sweep_count(p->sw);
    if (!(p->steps = calloc(n, sizeof *p->steps)))
        return cli_fail(&help, "out of memory");
    if (!store)
        return CLI_EXIT_OK;
    /* the name has only [A-Za-z0-9._-] (sweep.h): no quoting needed */
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT id, uuid, status, sweep_point, host, pid FROM runs WHERE "
             "sweep = '%s' ORDER BY id", genlab_sweep_name(p->sw));
    if (genlab_store_query(store, sql, sweep_run_row, p) != GL_OK)
        return cli_fail(&help, "%s", genlab_store_errmsg(store));
    for (size_t i = 0; i < n; i++) {
        step *s = &p->steps[i];
        if (s->kind != STEP_RUN || !s->newest)
            continue;
        bool found = false;
        snprintf(sql, sizeof sql, "SELECT path FROM artifacts WHERE run_id = %" PRId64
                 " AND kind = 'checkpoint' ORDER BY id DESC", s->newest);
        if (genlab_store_query(store, sql, ckpt_row, &found) != GL_OK)
            return cli_fail(&help, "%s", genlab_store_errmsg(store));
        if (found)
            s->kind = STEP_RESUME;
    }
    return CLI_EXIT_OK;
}

/* step_text — what is done with the point, for --dry-run and skips */
static const char *step_text(const step *s, char *buf, size_t n)
{
    switch (s->kind) {
    case STEP_DONE:
        snprintf(buf, n, "skip (completed: run %s)", s->uuid);
        break;
    case STEP_RUNNING:
        snprintf(buf, n, "skip (running now: run %s, %s)", s->uuid, s->where);
        break;
    case STEP_RESUME:
        snprintf(buf, n, "resume run %s (%s) from its checkpoint", s->uuid, s->status);
        break;
    case STEP_RUN:
        if (s->newest)
            snprintf(buf, n, "run again (run %s %s without a checkpoint)", s->uuid, s->status);
        else
            snprintf(buf, n, "run");
        break;
    }
    return buf;
}

/* ---- children ---- */

/* A sweep being run. */
typedef struct sweep_job {
    const genlab_sweep *sw;
    plan         pl;
    const char  *db;
    char         exe[PATH_MAX];   /* this program */
    char         logs[PATH_MAX];  /* the points' logs directory */
    sigset_t     child_mask;      /* the signal mask the children start with */
    int          completed, resumed, skipped, failed, interrupted;
} sweep_job;

/* A running point. */
typedef struct child {
    pid_t  pid;
    size_t k;
    double t0;
} child;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* launch — start point k as `genlab train`, its output appended to its
 * log. Returns the child's pid, or -1 after printing why. */
static pid_t launch(sweep_job *j, size_t k)
{
    const genlab_sweep_point *pt = genlab_sweep_point_at(j->sw, k);
    const step *s = &j->pl.steps[k];
    const char *config = genlab_sweep_config(j->sw);
    char log[PATH_MAX + 64];
    snprintf(log, sizeof log, "%s/%s-%zu.log", j->logs, genlab_sweep_name(j->sw), k);
    /* everything is built before fork: the child only redirects and execs */
    const char **argv = calloc(12 + pt->n_args, sizeof *argv);
    if (!argv) {
        cli_fail(&help, "out of memory");
        return -1;
    }
    size_t n = 0;
    argv[n++] = j->exe;
    argv[n++] = "train";
    argv[n++] = "--db";
    argv[n++] = j->db;
    argv[n++] = "--sweep";
    argv[n++] = genlab_sweep_name(j->sw);
    argv[n++] = "--sweep-point";
    argv[n++] = pt->json;
    if (s->kind == STEP_RESUME) {
        argv[n++] = "--resume";
        argv[n++] = s->uuid;
    } else {
        if (config) {
            argv[n++] = "--config";
            argv[n++] = config;
        }
        for (size_t i = 0; i < pt->n_args; i++)
            argv[n++] = pt->args[i];
    }
    argv[n] = NULL;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_fail(&help, "cannot write the log '%s': %s", log, strerror(errno));
        free(argv);
        return -1;
    }
    fflush(NULL);   /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid == 0) {
        /* its own process group: a Ctrl-C at the terminal reaches this
         * program only, which relays it once */
        setpgid(0, 0);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        sigprocmask(SIG_SETMASK, &j->child_mask, NULL);
        execv(j->exe, (char *const *)argv);
        static const char msg[] = "genlab sweep: cannot run this program again (exec failed)\n";
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
            _exit(127);
        _exit(127);
    }
    int err = errno;
    close(fd);
    free(argv);
    if (pid < 0)
        cli_fail(&help, "cannot start a process: %s", strerror(err));
    return pid;
}

/* finished — report point k's end (wait status ws) and count it */
static void finished(sweep_job *j, const child *c, int ws)
{
    size_t n = genlab_sweep_count(j->sw);
    const genlab_sweep_point *pt = genlab_sweep_point_at(j->sw, c->k);
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    double dt = now_s() - c->t0;
    if (code == CLI_EXIT_OK) {
        j->completed++;
        j->resumed += j->pl.steps[c->k].kind == STEP_RESUME;
        printf("[%zu/%zu] completed %s (%.1f s)\n", c->k + 1, n, pt->label, dt);
    } else if (code == CLI_EXIT_INTERRUPTED) {
        j->interrupted++;
        printf("[%zu/%zu] interrupted %s (%.1f s)\n", c->k + 1, n, pt->label, dt);
    } else {
        j->failed++;
        char why[48];
        if (WIFSIGNALED(ws))
            snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(ws));
        else
            snprintf(why, sizeof why, "exit status %d", code);
        printf("[%zu/%zu] FAILED %s (%s; its output: %s/%s-%zu.log)\n", c->k + 1, n, pt->label,
               why, j->logs, genlab_sweep_name(j->sw), c->k);
    }
    fflush(stdout);
}

/* ---- running ---- */

/* run_points — points [first, last) with up to jobs children at a time.
 * SIGINT, SIGTERM and SIGCHLD are blocked and waited for (sigwaitinfo), so
 * no signal falls between a check and a wait. Returns the exit status. */
static int run_points(sweep_job *j, size_t first, size_t last, long jobs)
{
    size_t n = genlab_sweep_count(j->sw);
    sigset_t wait_set;
    sigemptyset(&wait_set);
    sigaddset(&wait_set, SIGINT);
    sigaddset(&wait_set, SIGTERM);
    sigaddset(&wait_set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &wait_set, &j->child_mask);
    child *kids = calloc((size_t)jobs, sizeof *kids);
    if (!kids)
        return cli_fail(&help, "out of memory");
    int running = 0;
    bool stopping = false;
    char text[256];
    size_t next = first;
    for (;;) {
        while (!stopping && running < jobs && next < last) {
            size_t k = next++;
            const genlab_sweep_point *pt = genlab_sweep_point_at(j->sw, k);
            const step *s = &j->pl.steps[k];
            if (s->kind == STEP_DONE || s->kind == STEP_RUNNING) {
                j->skipped++;
                printf("[%zu/%zu] %s: %s\n", k + 1, n, pt->label, step_text(s, text, sizeof text));
                continue;
            }
            printf("[%zu/%zu] %s %s\n", k + 1, n, s->kind == STEP_RESUME ? "resume" : "start",
                   pt->label);
            pid_t pid = launch(j, k);
            if (pid < 0) {
                j->failed++;
                continue;
            }
            kids[running++] = (child){pid, k, now_s()};
        }
        if (running == 0)
            break;
        int ws;
        pid_t pid = waitpid(-1, &ws, WNOHANG);
        if (pid > 0) {
            for (int i = 0; i < running; i++)
                if (kids[i].pid == pid) {
                    finished(j, &kids[i], ws);
                    kids[i] = kids[--running];
                    break;
                }
            continue;
        }
        int sig = sigwaitinfo(&wait_set, NULL);
        if (sig != SIGINT && sig != SIGTERM)
            continue;
        /* relayed as SIGINT every time: the first stops a run after its
         * step, a second kills it (genlab train's own handling) */
        for (int i = 0; i < running; i++)
            kill(kids[i].pid, SIGINT);
        if (!stopping)
            fprintf(stderr, "genlab sweep: stopping: waiting for %d running point%s to "
                    "stop after their step (again to kill them)\n", running,
                    running == 1 ? "" : "s");
        stopping = true;
    }
    free(kids);
    sigprocmask(SIG_SETMASK, &j->child_mask, NULL);
    size_t total = last - first;
    printf("sweep %s: %zu point%s: %d completed (%d of them resumed), %d skipped, %d failed",
           genlab_sweep_name(j->sw), total, total == 1 ? "" : "s", j->completed, j->resumed,
           j->skipped, j->failed);
    if (j->interrupted)
        printf(", %d interrupted", j->interrupted);
    if (next < last)
        printf(", %zu not started", last - next);
    printf("\n");
    if (stopping)
        return CLI_EXIT_INTERRUPTED;
    return j->failed || j->interrupted ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* ---- the Slurm script ---- */

/* program_path — this program's path for a script to run: the running
 * executable, or, when that is libtool's uninstalled binary (DIR/.libs/
 * [lt-]genlab), the wrapper DIR/genlab that sets up its libraries */
static void program_path(char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(out, size, "%s", n > 0 ? exe : "genlab");
    char *slash = strrchr(exe, '/');
    if (!slash || slash - exe < 6 || strncmp(slash - 6, "/.libs", 6) != 0)
        return;
    const char *base = slash + 1;
    if (!strncmp(base, "lt-", 3))
        base += 3;
    char wrapper[PATH_MAX];
    snprintf(wrapper, sizeof wrapper, "%.*s/%s", (int)(slash - 6 - exe), exe, base);
    if (access(wrapper, X_OK) == 0)
        snprintf(out, size, "%s", wrapper);
}

/* shell_quote — text as one POSIX shell word ('...', quotes escaped) */
static void shell_quote(FILE *f, const char *text)
{
    fputc('\'', f);
    for (; *text; text++)
        fputs(*text == '\'' ? "'\\''" : (char[2]){*text, '\0'}, f);
    fputc('\'', f);
}

/* emit_slurm — the job-array script for sw (read from sweep_file) at out,
 * the shards directory made. Returns the exit status. */
static int emit_slurm(const genlab_sweep *sw, const char *sweep_file, const char *out,
                      const char *shards)
{
    const char *name = genlab_sweep_name(sw);
    char abs_sweep[PATH_MAX], abs_shards[PATH_MAX], exe[PATH_MAX], def_out[300],
        def_shards[300];
    snprintf(def_out, sizeof def_out, "%s.slurm", name);
    snprintf(def_shards, sizeof def_shards, "%s-shards", name);
    out = out ? out : def_out;
    shards = shards ? shards : def_shards;
    if (strpbrk(shards, " \t\n%"))
        return cli_usage_error(&help, "--shards '%s': Slurm's #SBATCH lines cannot hold a path "
                               "with spaces or '%%'", shards);
    if (mkdir(shards, 0777) != 0 && errno != EEXIST)
        return cli_fail(&help, "cannot make the directory '%s': %s", shards, strerror(errno));
    if (!realpath(sweep_file, abs_sweep) || !realpath(shards, abs_shards))
        return cli_fail(&help, "cannot find the absolute path of '%s': %s",
                        abs_sweep[0] ? shards : sweep_file, strerror(errno));
    program_path(exe, sizeof exe);
    size_t n = genlab_sweep_count(sw);
    FILE *f = fopen(out, "w");
    if (!f)
        return cli_fail(&help, "cannot write '%s': %s", out, strerror(errno));
    fprintf(f, "#!/bin/bash\n"
               "# %s: the sweep %s (%zu points) as a Slurm job array, written by\n"
               "# genlab sweep --emit slurm from %s.\n"
               "# Array task K runs point K (0-based) into its own store,\n"
               "# %s/%s-K.db; a task run again skips or resumes its point.\n"
               "#\n"
               "# submit:     sbatch %s\n"
               "# afterwards: genlab db merge %s.db %s/%s-*.db\n"
               "#\n"
               "#SBATCH --job-name=%s\n"
               "#SBATCH --array=0-%zu\n"
               "#SBATCH --output=%s/%s-%%a.out\n"
               "set -eu\n"
               "exec ",
            out, name, n, abs_sweep, abs_shards, name, out, name, abs_shards, name, name, n - 1,
            abs_shards, name);
    shell_quote(f, exe);
    fputs(" sweep --config ", f);
    shell_quote(f, abs_sweep);
    fputs(" --task \"$SLURM_ARRAY_TASK_ID\" \\\n    --db ", f);
    shell_quote(f, abs_shards);
    fprintf(f, "/%s-\"$SLURM_ARRAY_TASK_ID\".db\n", name);
    if (fclose(f) != 0)
        return cli_fail(&help, "writing '%s' failed: %s", out, strerror(errno));
    printf("wrote %s: a Slurm array of %zu task%s (one point each, stores in %s)\n"
           "submit it with: sbatch %s\n"
           "then merge the stores: genlab db merge %s.db %s/%s-*.db\n",
           out, n, n == 1 ? "" : "s", abs_shards, out, name, abs_shards, name);
    return CLI_EXIT_OK;
}

/* ---- the command ---- */

/* logs_dir — --logs, else sweep-logs beside the store; made if missing */
static int logs_dir(sweep_job *j, const char *logs)
{
    if (logs) {
        snprintf(j->logs, sizeof j->logs, "%s", logs);
    } else {
        const char *slash = strrchr(j->db, '/');
        snprintf(j->logs, sizeof j->logs, "%.*s%ssweep-logs", slash ? (int)(slash - j->db) : 0,
                 j->db, slash ? "/" : "");
    }
    if (mkdir(j->logs, 0777) != 0 && errno != EEXIST)
        return cli_fail(&help, "cannot make the directory '%s': %s", j->logs, strerror(errno));
    return CLI_EXIT_OK;
}

/* dry_run — each point and what a run would do with it */
static int dry_run(sweep_job *j)
{
    size_t n = genlab_sweep_count(j->sw);
    char text[256];
    for (size_t k = 0; k < n; k++)
        printf("[%zu/%zu] %s: %s\n", k + 1, n, genlab_sweep_point_at(j->sw, k)->label,
               step_text(&j->pl.steps[k], text, sizeof text));
    return CLI_EXIT_OK;
}

int cmd_sweep(int argc, char **argv)
{
    bool dry = cli_take_flag(&argc, argv, "--dry-run");
    const char *config = NULL, *db = NULL, *jobs_text = NULL, *task_text = NULL, *emit = NULL,
               *out = NULL, *shards = NULL, *logs = NULL;
    const cli_option opts[] = {{"config", &config}, {"db", &db},         {"jobs", &jobs_text},
                               {"task", &task_text}, {"emit", &emit},    {"out", &out},
                               {"shards", &shards},  {"logs", &logs},    {NULL, NULL}};
    int npos, rc = cli_parse(&help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    long long jobs = 1, task = -1;
    if (npos > 0)
        return cli_usage_error(&help, "unexpected argument '%s'", argv[1]);
    if (!config)
        return cli_usage_error(&help, "missing --config FILE (the sweep file)");
    if (emit && strcmp(emit, "slurm"))
        return cli_usage_error(&help, "--emit: only 'slurm' is known, not '%s'", emit);
    if ((out || shards) && !emit)
        return cli_usage_error(&help, "--out and --shards go with --emit slurm");
    if (emit && (dry || jobs_text || task_text))
        return cli_usage_error(&help, "--emit slurm writes a script: no --dry-run, --jobs or "
                               "--task");
    if (jobs_text && !cli_parse_int(&help, "--jobs", jobs_text, 1, 1024, &jobs))
        return CLI_EXIT_USAGE;
    if (task_text && !cli_parse_int(&help, "--task", task_text, 0, INT_MAX, &task))
        return CLI_EXIT_USAGE;
    genlab_registry *reg = cli_registry_open(&help);
    if (!reg)
        return CLI_EXIT_FAILURE;
    genlab_sweep *sw = NULL;
    genlab_status st = genlab_sweep_load(config, reg, &sw);
    sweep_job j = {.sw = sw, .pl = {.sw = sw}, .db = cli_db_path(db)};
    genlab_store *store = NULL;
    if (st != GL_OK) {
        fprintf(stderr, "genlab sweep: %s\n", genlab_sweep_errmsg(sw));
        rc = st == GL_ERR_NOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_USAGE;
        goto done;
    }
    size_t n = genlab_sweep_count(sw);
    if (task >= (long long)n) {
        rc = cli_usage_error(&help, "--task %lld: the sweep has %zu points (0 to %zu)", task, n,
                             n - 1);
        goto done;
    }
    if (emit) {
        rc = emit_slurm(sw, config, out, shards);
        goto done;
    }
    /* a read-write open marks the runs of dead processes interrupted, so
     * that they are resumed; a dry run writes nothing (and creates no store) */
    if ((!dry || access(j.db, F_OK) == 0) && !(store = cli_store_open(&help, j.db, dry))) {
        rc = CLI_EXIT_FAILURE;
        goto done;
    }
    if ((rc = plan_points(store, &j.pl)) != CLI_EXIT_OK)
        goto done;
    if (genlab_store_close(store) != GL_OK) {
        store = NULL;
        rc = cli_fail(&help, "closing the store failed");
        goto done;
    }
    store = NULL;
    if (dry) {
        printf("sweep %s: %zu point%s, store %s\n", genlab_sweep_name(sw), n, n == 1 ? "" : "s",
               j.db);
        rc = dry_run(&j);
        goto done;
    }
    ssize_t len = readlink("/proc/self/exe", j.exe, sizeof j.exe - 1);
    if (len <= 0) {
        rc = cli_fail(&help, "cannot find this program (/proc/self/exe): %s", strerror(errno));
        goto done;
    }
    j.exe[len] = '\0';
    if ((rc = logs_dir(&j, logs)) != CLI_EXIT_OK)
        goto done;
    if (task < 0)
        printf("sweep %s: %zu point%s, %lld at a time, store %s, output in %s/\n",
               genlab_sweep_name(sw), n, n == 1 ? "" : "s", jobs, j.db, j.logs);
    fflush(stdout);
    rc = task >= 0 ? run_points(&j, (size_t)task, (size_t)task + 1, 1)
                   : run_points(&j, 0, n, (long)jobs);
done:
    genlab_store_close(store);
    free(j.pl.steps);
    genlab_sweep_destroy(sw);
    genlab_registry_destroy(reg);
    return rc;
}
