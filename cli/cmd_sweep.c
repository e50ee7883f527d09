/* SPDX-License-Identifier: MIT
 *
 * cmd_sweep.c — `genlab sweep`: the points of a sweep file (sweep.h) run as
 * `genlab train` children of this same program, N at a time, each tagged
 * with the sweep's name and its point (--sweep, --sweep-point), so that a
 * re-run skips the points done and resumes those cut short; or one point
 * (--task K: a Slurm array task); or a Slurm job-array script that runs
 * every point into a store of its own, for `genlab db merge` to fold.
 *
 * With a [score] section, each point's completed run is then scored by a
 * `genlab score` child, one point at a time; a run that has its scores is
 * not scored again.
 *
 * It trains nothing itself and holds no sweep logic: the library reads,
 * checks and expands the file; `genlab train` runs a point, `genlab score`
 * scores it. This file
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
#include <stdarg.h>
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
        "  [score]                 ; optional: genlab score on each point's run\n"
        "  metric = classifier-fid ; its --metric list\n"
        "  n = 2000                ; its -n\n"
        "  args = classifier.weights=auto   ; more genlab score arguments\n"
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
        "With [score], each point's completed run is then scored: `genlab score RUN\n"
        "--db DB --metric LIST [-n N] ARGS...`, output in the point's log, one point\n"
        "at a time (the first may train the classifier classifier.weights=auto gives\n"
        "the others). A run that already has a score of each metric, on N images\n"
        "when n is given, is not scored again. A failed scoring fails the point (its\n"
        "run stays completed).\n"
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

/* How a point ended in this sweep, for the summary. */
typedef enum outcome {
    OUT_NOT_STARTED = 0, OUT_COMPLETED, OUT_SKIPPED, OUT_FAILED, OUT_INTERRUPTED
} outcome;

typedef struct step {
    step_kind kind;
    int64_t   newest;         /* the newest run's id (0: none) */
    char      uuid[37];       /* the completed run, else the newest */
    char      status[16];     /* the newest's status */
    char      where[128];     /* STEP_RUNNING: "pid P on HOST" */
    bool      scored;         /* STEP_DONE: the completed run has the [score] scores */
    bool      resumed;        /* this sweep resumed the point (kind turns STEP_DONE
                                 when the store is read again after its training) */
    outcome   out;
} step;

typedef struct plan {
    const genlab_sweep *sw;
    step               *steps;
    size_t              only;            /* the point a refresh is for; SIZE_MAX: all */
    char                has_scores[512]; /* SQL: 1 when run r has the [score] scores */
} plan;

static int sweep_run_row(void *user, int ncol, const char *const *names,
                         const char *const *values)
{
    (void)ncol, (void)names;
    plan *p = user;
    for (size_t i = 0; i < genlab_sweep_count(p->sw); i++) {
        step *s = &p->steps[i];
        if ((p->only != SIZE_MAX && i != p->only) || !values[3] ||
            strcmp(values[3], genlab_sweep_point_at(p->sw, i)->json) || s->kind == STEP_DONE)
            continue;
        snprintf(s->uuid, sizeof s->uuid, "%s", values[1]);
        snprintf(s->status, sizeof s->status, "%s", values[2]);
        s->newest = strtoll(values[0], NULL, 10);
        s->kind = !strcmp(values[2], "completed") ? STEP_DONE
                : !strcmp(values[2], "running")   ? STEP_RUNNING : STEP_RUN;
        snprintf(s->where, sizeof s->where, "pid %s on %s", values[5] ? values[5] : "?",
                 values[4] ? values[4] : "?");
        s->scored = values[6] && !strcmp(values[6], "1");
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

/* scores_sql — p->has_scores: whether run r (runs.id) holds every score
 * row [score] asks for, measured on n generated images when [score] gives
 * n: what makes a completed point "scored" (doc/sweeps.md). "0" without
 * [score]. */
static void scores_sql(plan *p)
{
    const genlab_sweep_score *sc = genlab_sweep_scoring(p->sw);
    char rows[256], in[320] = "";
    int n = sc ? cli_score_rows(sc->metric, rows, sizeof rows) : 0;
    if (!n) {   /* checked up front (check_scoring): only without [score] */
        snprintf(p->has_scores, sizeof p->has_scores, "0");
        return;
    }
    /* the names come from genlab score's table: letters and '_' only */
    for (char *t = strtok(rows, ","); t; t = strtok(NULL, ","))
        snprintf(in + strlen(in), sizeof in - strlen(in), "%s'%s'", in[0] ? "," : "", t);
    char nval[48] = "";
    if (sc->n)
        snprintf(nval, sizeof nval, " AND n_samples = %" PRId64, sc->n);
    snprintf(p->has_scores, sizeof p->has_scores, "(SELECT count(DISTINCT metric) FROM scores "
             "WHERE run_id = r.id AND metric IN (%s)%s) = %d", in, nval, n);
}

/* find_runs — the runs tagged with the sweep, into p->steps (p->only: the
 * one point to update) */
static int find_runs(genlab_store *store, plan *p)
{
    /* the name has only [A-Za-z0-9._-] (sweep.h): no quoting needed */
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT r.id, r.uuid, r.status, r.sweep_point, r.host, r.pid, %s "
             "FROM runs AS r WHERE r.sweep = '%s' ORDER BY r.id", p->has_scores,
             genlab_sweep_name(p->sw));
    if (genlab_store_query(store, sql, sweep_run_row, p) != GL_OK)
        return cli_fail(&help, "%s", genlab_store_errmsg(store));
    return CLI_EXIT_OK;
}

/* plan_points — what each point needs: from the runs tagged with the sweep
 * in store (NULL: no store yet, every point runs). Returns CLI_EXIT_OK or
 * an exit status after printing why. */
static int plan_points(genlab_store *store, plan *p)
{
    size_t n = genlab_sweep_count(p->sw);
    p->only = SIZE_MAX;
    scores_sql(p);
    if (!(p->steps = calloc(n, sizeof *p->steps)))
        return cli_fail(&help, "out of memory");
    if (!store)
        return CLI_EXIT_OK;
    int rc = find_runs(store, p);
    for (size_t i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        step *s = &p->steps[i];
        if (s->kind != STEP_RUN || !s->newest)
            continue;
        bool found = false;
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT path FROM artifacts WHERE run_id = %" PRId64
                 " AND kind = 'checkpoint' ORDER BY id DESC", s->newest);
        if (genlab_store_query(store, sql, ckpt_row, &found) != GL_OK)
            return cli_fail(&help, "%s", genlab_store_errmsg(store));
        if (found)
            s->kind = STEP_RESUME;
    }
    return rc;
}

/* step_text — what is done with the point, for --dry-run and skips;
 * scoring: the sweep has [score] */
static const char *step_text(const step *s, bool scoring, char *buf, size_t n)
{
    const char *then = scoring ? ", then score it" : "";
    switch (s->kind) {
    case STEP_DONE:
        if (scoring && !s->scored)
            snprintf(buf, n, "score (completed: run %s, not scored)", s->uuid);
        else
            snprintf(buf, n, "skip (completed: run %s%s)", s->uuid, scoring ? ", scored" : "");
        break;
    case STEP_RUNNING:
        snprintf(buf, n, "skip (running now: run %s, %s)", s->uuid, s->where);
        break;
    case STEP_RESUME:
        snprintf(buf, n, "resume run %s (%s) from its checkpoint%s", s->uuid, s->status, then);
        break;
    case STEP_RUN:
        if (s->newest)
            snprintf(buf, n, "run again (run %s %s without a checkpoint)%s", s->uuid, s->status,
                     then);
        else
            snprintf(buf, n, "run%s", then);
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
    int          scored;          /* points scored by this sweep */
} sweep_job;

/* A running point: its training, or its scoring. */
typedef struct child {
    pid_t  pid;
    size_t k;
    double t0;
    bool   score;
} child;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* spawn — run this program with argv for point k, its output appended to
 * the point's log. Returns the child's pid, or -1 after printing why. */
static pid_t spawn(sweep_job *j, size_t k, const char **argv)
{
    char log[PATH_MAX + 64];
    snprintf(log, sizeof log, "%s/%s-%zu.log", j->logs, genlab_sweep_name(j->sw), k);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_fail(&help, "cannot write the log '%s': %s", log, strerror(errno));
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
    if (pid < 0)
        cli_fail(&help, "cannot start a process: %s", strerror(err));
    return pid;
}

/* launch — start point k: its training as `genlab train` or, with score,
 * its completed run's scoring as `genlab score`. Returns the child's pid,
 * or -1 after printing why. */
static pid_t launch(sweep_job *j, size_t k, bool score)
{
    const genlab_sweep_point *pt = genlab_sweep_point_at(j->sw, k);
    const genlab_sweep_score *sc = genlab_sweep_scoring(j->sw);
    const step *s = &j->pl.steps[k];
    const char *config = genlab_sweep_config(j->sw);
    char n_text[24];
    /* everything is built before fork: the child only redirects and execs */
    const char **argv = calloc(12 + pt->n_args + (sc ? sc->n_args : 0), sizeof *argv);
    if (!argv) {
        cli_fail(&help, "out of memory");
        return -1;
    }
    size_t n = 0;
    argv[n++] = j->exe;
    argv[n++] = score ? "score" : "train";
    argv[n++] = "--db";
    argv[n++] = j->db;
    if (score) {
        argv[n++] = s->uuid;
        argv[n++] = "--metric";
        argv[n++] = sc->metric;
        if (sc->n) {
            snprintf(n_text, sizeof n_text, "%" PRId64, sc->n);
            argv[n++] = "-n";
            argv[n++] = n_text;
        }
        for (size_t i = 0; i < sc->n_args; i++)
            argv[n++] = sc->args[i];
    } else {
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
    }
    argv[n] = NULL;
    pid_t pid = spawn(j, k, argv);
    free(argv);
    return pid;
}

/* refresh — point k's completed run and whether it is scored, read again
 * from the store after its training. Returns CLI_EXIT_OK or an exit
 * status after printing why. */
static int refresh(sweep_job *j, size_t k)
{
    genlab_store *store = cli_store_open(&help, j->db, true);
    if (!store)
        return CLI_EXIT_FAILURE;
    step *s = &j->pl.steps[k];
    outcome out = s->out;
    *s = (step){.kind = STEP_RUN};
    j->pl.only = k;
    int rc = find_runs(store, &j->pl);
    s->out = out;
    genlab_store_close(store);
    if (rc == CLI_EXIT_OK && s->kind != STEP_DONE)
        rc = cli_fail(&help, "point %zu: its training ended well but the store has no "
                      "completed run of it", k + 1);
    return rc;
}

/* finished — report child c's end (wait status ws) and record the point's
 * outcome; true when the point is to be scored next */
static bool finished(sweep_job *j, const child *c, int ws)
{
    size_t n = genlab_sweep_count(j->sw);
    const genlab_sweep_point *pt = genlab_sweep_point_at(j->sw, c->k);
    step *s = &j->pl.steps[c->k];
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    double dt = now_s() - c->t0;
    const char *what = c->score ? "score " : "";
    bool score_next = false;
    if (code == CLI_EXIT_OK) {
        if (c->score) {
            j->scored++;
            printf("[%zu/%zu] scored %s (run %s, %.1f s)\n", c->k + 1, n, pt->label, s->uuid, dt);
        } else {
            s->out = OUT_COMPLETED;
            printf("[%zu/%zu] completed %s (%.1f s)\n", c->k + 1, n, pt->label, dt);
            if (genlab_sweep_scoring(j->sw)) {
                if (refresh(j, c->k) != CLI_EXIT_OK)
                    s->out = OUT_FAILED;
                else
                    score_next = !s->scored;
            }
        }
    } else if (code == CLI_EXIT_INTERRUPTED) {
        s->out = OUT_INTERRUPTED;
        printf("[%zu/%zu] %sinterrupted %s (%.1f s)\n", c->k + 1, n, what, pt->label, dt);
    } else {
        /* a failed scoring fails the point; its run stays completed */
        s->out = OUT_FAILED;
        char why[48];
        if (WIFSIGNALED(ws))
            snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(ws));
        else
            snprintf(why, sizeof why, "exit status %d", code);
        printf("[%zu/%zu] %sFAILED %s (%s; its output: %s/%s-%zu.log)\n", c->k + 1, n, what,
               pt->label, why, j->logs, genlab_sweep_name(j->sw), c->k);
    }
    fflush(stdout);
    return score_next;
}

/* ---- running ---- */

/* summary — the sweep's last line: the outcomes of points [first, last) */
static void summary(const sweep_job *j, size_t first, size_t last, size_t waiting)
{
    int count[OUT_INTERRUPTED + 1] = {0}, resumed = 0;
    for (size_t k = first; k < last; k++) {
        const step *s = &j->pl.steps[k];
        count[s->out]++;
        resumed += s->out == OUT_COMPLETED && s->resumed;
    }
    size_t total = last - first;
    printf("sweep %s: %zu point%s: %d completed (%d of them resumed), %d skipped, %d failed",
           genlab_sweep_name(j->sw), total, total == 1 ? "" : "s", count[OUT_COMPLETED],
           resumed, count[OUT_SKIPPED], count[OUT_FAILED]);
    if (genlab_sweep_scoring(j->sw))
        printf("; %d scored", j->scored);
    if (count[OUT_INTERRUPTED])
        printf(", %d interrupted", count[OUT_INTERRUPTED]);
    if (count[OUT_NOT_STARTED])
        printf(", %d not started", count[OUT_NOT_STARTED]);
    if (waiting)
        printf(", %zu not scored", waiting);
    printf("\n");
}

/* run_points — points [first, last) with up to jobs children at a time,
 * of which one at most is scoring: the points to score wait in a queue,
 * ahead of the trainings not started. Scoring one point at a time lets
 * the first train the classifier that classifier.weights=auto then finds
 * for the others (one classifier: comparable scores) and compute the
 * reference statistics that the others read from the cache.
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
    size_t *queue = calloc(last - first, sizeof *queue), q_head = 0, q_tail = 0;
    if (!kids || !queue) {
        free(kids);
        free(queue);
        return cli_fail(&help, "out of memory");
    }
    int running = 0;
    bool stopping = false, scoring = false;
    char text[256];
    size_t next = first;
    for (;;) {
        while (!stopping && running < jobs) {
            size_t k;
            bool score = !scoring && q_head < q_tail;
            if (score)
                k = queue[q_head++];
            else if (next < last)
                k = next++;
            else
                break;
            const genlab_sweep_point *pt = genlab_sweep_point_at(j->sw, k);
            step *s = &j->pl.steps[k];
            if (!score && s->kind == STEP_DONE && genlab_sweep_scoring(j->sw) && !s->scored) {
                s->out = OUT_SKIPPED;
                queue[q_tail++] = k;
                continue;
            }
            if (!score && (s->kind == STEP_DONE || s->kind == STEP_RUNNING)) {
                s->out = OUT_SKIPPED;
                printf("[%zu/%zu] %s: %s\n", k + 1, n, pt->label,
                       step_text(s, genlab_sweep_scoring(j->sw), text, sizeof text));
                continue;
            }
            if (score)
                printf("[%zu/%zu] score %s (run %s)\n", k + 1, n, pt->label, s->uuid);
            else
                printf("[%zu/%zu] %s %s\n", k + 1, n,
                       s->kind == STEP_RESUME ? "resume" : "start", pt->label);
            s->resumed = s->resumed || (!score && s->kind == STEP_RESUME);
            pid_t pid = launch(j, k, score);
            if (pid < 0) {
                s->out = OUT_FAILED;
                continue;
            }
            kids[running++] = (child){pid, k, now_s(), score};
            scoring = scoring || score;
        }
        if (running == 0)
            break;
        int ws;
        pid_t pid = waitpid(-1, &ws, WNOHANG);
        if (pid > 0) {
            for (int i = 0; i < running; i++)
                if (kids[i].pid == pid) {
                    scoring = scoring && !kids[i].score;
                    if (finished(j, &kids[i], ws))
                        queue[q_tail++] = kids[i].k;
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
    free(queue);
    sigprocmask(SIG_SETMASK, &j->child_mask, NULL);
    summary(j, first, last, q_tail - q_head);
    if (stopping)
        return CLI_EXIT_INTERRUPTED;
    for (size_t k = first; k < last; k++)
        if (j->pl.steps[k].out == OUT_FAILED || j->pl.steps[k].out == OUT_INTERRUPTED)
            return CLI_EXIT_FAILURE;
    return CLI_EXIT_OK;
}

/* ---- the Slurm script ---- */

static int file_error(const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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

/* shard_weights — -1 when each array task can score into its own store:
 * every NAME.weights of [score] args names a file. A task's store holds
 * only its point: classifier.weights=auto would train a classifier per
 * task (scores that cannot share a column) and =RUN finds no run there. */
static int shard_weights(const genlab_sweep *sw, const char *path)
{
    const genlab_sweep_score *sc = genlab_sweep_scoring(sw);
    for (size_t i = 0; sc && i < sc->n_args; i++) {
        const char *eq = strchr(sc->args[i], '=');
        if (!eq || eq - sc->args[i] < 8 || strncmp(eq - 8, ".weights", 8) || !access(eq + 1, R_OK))
            continue;
        return file_error(path, sc->args_line, "[score] args: %s: a Slurm task scores into a "
                          "store of its own, so its weights must be a file%s (train the "
                          "classifier once: genlab train train.trainer=classifier ..., then "
                          "give its checkpoint)", sc->args[i],
                          strcmp(eq + 1, "auto") ? "" : "; auto would train one per task, "
                          "whose scores cannot be compared");
    }
    return -1;
}

/* emit_slurm — the job-array script for sw (read from sweep_file) at out,
 * the shards directory made. Returns the exit status. */
static int emit_slurm(const genlab_sweep *sw, const char *sweep_file, const char *out,
                      const char *shards)
{
    int rc = shard_weights(sw, sweep_file);
    if (rc >= 0)
        return rc;
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
    const genlab_sweep_score *sc = genlab_sweep_scoring(j->sw);
    char text[256];
    if (sc) {
        printf("scoring: genlab score RUN --db %s --metric %s", j->db, sc->metric);
        if (sc->n)
            printf(" -n %" PRId64, sc->n);
        for (size_t i = 0; i < sc->n_args; i++)
            printf(" %s", sc->args[i]);
        printf(" (one point at a time)\n");
    }
    for (size_t k = 0; k < n; k++)
        printf("[%zu/%zu] %s: %s\n", k + 1, n, genlab_sweep_point_at(j->sw, k)->label,
               step_text(&j->pl.steps[k], sc != NULL, text, sizeof text));
    return CLI_EXIT_OK;
}

/* file_error — a problem of the sweep file at path, line: "genlab sweep:
 * PATH:LINE: ..." on stderr. Returns the exit status of a bad file. */
static int file_error(const char *path, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "genlab sweep: %s:%d: ", path, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

/* check_scoring — [score] of the sweep file at path checked before
 * anything runs: the options the sweep sets itself are not in args, the
 * metrics are genlab score's, and genlab score takes the whole (its own
 * message first, then the file's line). Returns -1 or an exit status. */
static int check_scoring(const genlab_sweep *sw, const char *path)
{
    const genlab_sweep_score *sc = genlab_sweep_scoring(sw);
    if (!sc)
        return -1;
    static const char *const own[] = {"--db", "--metric", "-n", "--help", "-h"};
    for (size_t i = 0; i < sc->n_args; i++)
        for (size_t o = 0; o < sizeof own / sizeof own[0]; o++) {
            size_t len = strlen(own[o]);
            if (!strncmp(sc->args[i], own[o], len) &&
                (sc->args[i][len] == '\0' || sc->args[i][len] == '='))
                return file_error(path, sc->args_line, "[score] args: %s is the sweep's "
                                  "(metric = and n = in [score], the store with --db)", own[o]);
        }
    char rows[256];
    if (!cli_score_rows(sc->metric, rows, sizeof rows)) {
        cli_score_check(4, (char *[]){"score", "1", "--metric", (char *)sc->metric, NULL});
        return file_error(path, sc->metric_line, "[score] metric = \"%s\": not genlab score's "
                          "(its message above)", sc->metric);
    }
    char n_text[24];
    snprintf(n_text, sizeof n_text, "%" PRId64, sc->n);
    char **argv = calloc(7 + sc->n_args, sizeof *argv);
    if (!argv)
        return cli_fail(&help, "out of memory");
    int argc = 0;
    argv[argc++] = "score";
    argv[argc++] = "1";
    argv[argc++] = "--metric";
    argv[argc++] = (char *)sc->metric;
    if (sc->n) {
        argv[argc++] = "-n";
        argv[argc++] = n_text;
    }
    for (size_t i = 0; i < sc->n_args; i++)
        argv[argc++] = (char *)sc->args[i];
    int rc = cli_score_check(argc, argv);
    free(argv);
    if (rc == CLI_EXIT_OK)
        return -1;
    int line = sc->args_line ? sc->args_line : sc->n_line ? sc->n_line : sc->metric_line;
    return file_error(path, line, "[score] is refused by genlab score (its message above)");
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
    if ((rc = check_scoring(sw, config)) >= 0)
        goto done;
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
