/* SPDX-License-Identifier: MIT
 *
 * cmd_plot.c — `genlab plot`: training curves (the metrics table) or
 * scores against the step (the scores table) of one run, several runs or
 * a whole sweep, overlaid in one PNG or SVG; and cli_plot_runs, the
 * gathering behind it that the HTML report uses too.
 *
 * All SQL goes through genlab_store_query (read-only); values put into it
 * are run ids (numbers) and quoted strings (cli_sql_quote).
 *
 * Sections: gathering, the plot command.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

/* ---- gathering ---- */

char *cli_sql_quote(const char *text)
{
    size_t n = 3;
    for (const char *p = text; *p; p++)
        n += *p == '\'' ? 2 : 1;
    char *q = malloc(n), *d = q;
    if (!q)
        return NULL;
    *d++ = '\'';
    for (const char *p = text; *p; p++) {
        if (*p == '\'')
            *d++ = '\'';
        *d++ = *p;
    }
    *d++ = '\'';
    *d = '\0';
    return q;
}

/* One series being gathered: its run and key, its points. */
typedef struct curve {
    long long run;
    char     *key;
    char     *label;
    double   *x, *y;
    size_t    n, cap;
} curve;

typedef struct gather {
    curve    *c;
    size_t    n, cap;
    bool      nomem;
} gather;

static double number(const char *v)
{
    return v ? strtod(v, NULL) : NAN;   /* NULL: NaN in the store, a gap */
}

/* point_row — a (run_id, key, step, value) row added to its curve */
static int point_row(void *user, int ncol, const char *const *names, const char *const *v)
{
    (void)ncol, (void)names;
    gather *g = user;
    long long run = strtoll(v[0], NULL, 10);
    curve *c = g->n ? &g->c[g->n - 1] : NULL;
    if (!c || c->run != run || strcmp(c->key, v[1])) {
        if (g->n == g->cap) {
            size_t cap = g->cap ? 2 * g->cap : 8;
            curve *nc = realloc(g->c, cap * sizeof *nc);
            if (!nc)
                return g->nomem = true, 1;
            g->c = nc;
            g->cap = cap;
        }
        c = &g->c[g->n];
        *c = (curve){.run = run, .key = strdup(v[1])};
        if (!c->key)
            return g->nomem = true, 1;
        g->n++;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        double *x = realloc(c->x, cap * sizeof *x);
        if (x)
            c->x = x;
        double *y = x ? realloc(c->y, cap * sizeof *y) : NULL;
        if (!y)
            return g->nomem = true, 1;
        c->y = y;
        c->cap = cap;
    }
    c->x[c->n] = number(v[2]);
    c->y[c->n++] = number(v[3]);
    return 0;
}

static void gather_free(gather *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->c[i].key);
        free(g->c[i].label);
        free(g->c[i].x);
        free(g->c[i].y);
    }
    free(g->c);
}

/* What label_row collects: each run's parameters that differ between the
 * runs plotted. */
typedef struct labels {
    gather *g;
    bool    many_runs, many_keys;
} labels;

static int label_row(void *user, int ncol, const char *const *names, const char *const *v)
{
    (void)ncol, (void)names;
    labels *l = user;
    long long run = strtoll(v[0], NULL, 10);
    for (size_t i = 0; i < l->g->n; i++) {
        curve *c = &l->g->c[i];
        if (c->run != run)
            continue;
        char *text = NULL;
        int w;
        if (l->many_runs && l->many_keys)
            w = asprintf(&text, "#%lld%s%s %s", run, v[1] ? " " : "", v[1] ? v[1] : "", c->key);
        else if (l->many_runs)
            w = asprintf(&text, "#%lld%s%s", run, v[1] ? " " : "", v[1] ? v[1] : "");
        else
            w = asprintf(&text, "%s", c->key);
        if (w < 0)
            return l->g->nomem = true, 1;
        free(c->label);
        c->label = text;
    }
    return 0;
}

/* id_list — "(1,2,3)" for an SQL IN, malloc'd */
static char *id_list(const long long *ids, size_t n)
{
    char *buf = malloc(24 * n + 3), *d = buf;
    if (!buf)
        return NULL;
    *d++ = '(';
    for (size_t i = 0; i < n; i++)
        d += sprintf(d, "%s%lld", i ? "," : "", ids[i]);
    strcpy(d, ")");
    return buf;
}

/* key_list — the comma-separated keys as a quoted SQL list "('a','b')" */
static char *key_list(const char *keys)
{
    char *out = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&out, &size);
    if (!m)
        return NULL;
    fputc('(', m);
    for (const char *p = keys; *p;) {
        size_t n = strcspn(p, ",");
        char *k = strndup(p, n), *q = k ? cli_sql_quote(k) : NULL;
        fprintf(m, "%s%s", p == keys ? "" : ",", q ? q : "NULL");
        free(k);
        free(q);
        p += n + (p[n] == ',');
    }
    fputc(')', m);
    if (fclose(m) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

int cli_plot_runs(const cli_help *help, genlab_store *s, const long long *ids, size_t n,
                  const cli_plot_request *req, const char *path, size_t *nseries)
{
    char *in = id_list(ids, n), *keys = req->metrics ? key_list(req->metrics) : NULL;
    char *score = req->score ? cli_sql_quote(req->score) : NULL;
    char *sql = NULL;
    int rc = CLI_EXIT_FAILURE;
    gather g = {0};
    if (!in || (req->metrics && !keys) || (req->score && !score))
        goto nomem;
    int w;
    if (req->score)
        w = asprintf(&sql, "SELECT run_id, metric, step, value FROM scores WHERE run_id IN %s "
                     "AND metric = %s ORDER BY run_id, step, id", in, score);
    else
        w = asprintf(&sql, "SELECT run_id, key, step, value FROM metrics WHERE run_id IN %s "
                     "AND key %s%s ORDER BY run_id, key, step", in,
                     keys ? "IN " : "LIKE '%loss%'", keys ? keys : "");
    if (w < 0) {
        sql = NULL;
        goto nomem;
    }
    rc = CLI_EXIT_FAILURE;
    if (genlab_store_query(s, sql, point_row, &g) != GL_OK) {
        if (g.nomem)
            goto nomem;
        cli_fail(help, "%s", genlab_store_errmsg(s));
        goto done;
    }
    free(sql);
    sql = NULL;
    /* the parameters that differ between the runs name them in the legend */
    labels l = {.g = &g, .many_runs = n > 1};
    for (size_t i = 1; i < g.n; i++)
        l.many_keys = l.many_keys || strcmp(g.c[i].key, g.c[0].key);
    if (asprintf(&sql,
                 "WITH sel AS (SELECT id FROM runs WHERE id IN %s),\n"
                 "varying AS (SELECT p.key FROM params AS p JOIN sel ON sel.id = p.run_id\n"
                 "             GROUP BY p.key HAVING count(DISTINCT p.value) > 1\n"
                 "                 OR count(*) < (SELECT count(*) FROM sel))\n"
                 "SELECT sel.id, (SELECT group_concat(key || '=' || value, ' ')\n"
                 "                  FROM (SELECT key, value FROM params\n"
                 "                         WHERE run_id = sel.id\n"
                 "                           AND key IN (SELECT key FROM varying)\n"
                 "                           AND key NOT IN ('train.name', 'train.ckpt_dir')\n"
                 "                         ORDER BY key)) FROM sel",
                 in) < 0) {
        sql = NULL;
        goto nomem;
    }
    if (genlab_store_query(s, sql, label_row, &l) != GL_OK) {
        if (g.nomem)
            goto nomem;
        cli_fail(help, "%s", genlab_store_errmsg(s));
        goto done;
    }
    cli_series *series = calloc(g.n + 1, sizeof *series);
    if (!series)
        goto nomem;
    for (size_t i = 0; i < g.n; i++)
        series[i] = (cli_series){g.c[i].label ? g.c[i].label : g.c[i].key, g.c[i].n, g.c[i].x,
                                 g.c[i].y};
    char title[256], err[512];
    if (req->title)
        snprintf(title, sizeof title, "%s", req->title);
    else
        snprintf(title, sizeof title, "%s%s", req->score ? "score: " : "",
                 req->score ? req->score : req->metrics ? req->metrics : "losses");
    cli_plot_spec spec = {.title = title, .xlabel = "step",
                          .ylabel = req->score ? req->score : "value", .logy = req->logy};
    if (cli_plot_write(path, &spec, series, g.n, err, sizeof err) != 0)
        cli_fail(help, "%s", err);
    else
        rc = CLI_EXIT_OK;
    free(series);
    if (nseries)
        *nseries = g.n;
    goto done;
nomem:
    rc = cli_fail(help, "out of memory");
done:
    gather_free(&g);
    free(sql);
    free(in);
    free(keys);
    free(score);
    return rc;
}

/* ---- the plot command ---- */

static const cli_help plot_help = {
    .command = "plot",
    .synopsis = "genlab plot [--db FILE] [--metric K[,K...] | --score METRIC] [--log-y]\n"
                "                   [--title TEXT] (--sweep NAME | RUN...) --out FILE",
    .body =
        "Draws the training curves of runs (the metrics table: loss_d, loss_g, ...)\n"
        "or their scores against the step (the scores table: fid, is, ...), one line\n"
        "per run and key, overlaid in one plot. FILE's extension picks PNG (.png) or\n"
        "SVG (.svg). With several runs the legend names each by its id and the\n"
        "parameters that differ between them (a sweep's varying parameters).\n"
        "A NULL (NaN) value breaks its line. Drawn with cairo.\n"
        "\n"
        "options:\n"
        "  --db FILE        the store (default: $GENLAB_DB, else ./genlab.db)\n"
        "  --metric KEYS    metric keys, comma-separated (default: every key with\n"
        "                   \"loss\" in its name)\n"
        "  --score METRIC   plot this score against the step instead\n"
        "  --sweep NAME     every run of the sweep NAME (as genlab sweep recorded it)\n"
        "  --log-y          logarithmic y axis (values <= 0 are left out)\n"
        "  --title TEXT     the plot's title\n"
        "  --out FILE       the file to write (.png or .svg)\n"
        "\n"
        "examples:\n"
        "  genlab plot 3 --metric loss_d,loss_g --out curves.png\n"
        "  genlab plot --sweep lr-grid --score fid --out fid.svg\n",
};

/* sweep_row — a run id of the sweep appended to the list */
typedef struct id_vec {
    long long *v;
    size_t     n, cap;
} id_vec;

static int id_push(id_vec *ids, long long id)
{
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? 2 * ids->cap : 16;
        long long *v = realloc(ids->v, cap * sizeof *v);
        if (!v)
            return 1;
        ids->v = v;
        ids->cap = cap;
    }
    ids->v[ids->n++] = id;
    return 0;
}

static int sweep_row(void *user, int ncol, const char *const *names, const char *const *v)
{
    (void)ncol, (void)names;
    return id_push(user, strtoll(v[0], NULL, 10));
}

int cmd_plot(int argc, char **argv)
{
    const char *db = NULL, *metric = NULL, *score = NULL, *sweep = NULL, *outp = NULL,
               *title = NULL;
    bool logy = false;
    for (int i = 1; i < argc; i++)   /* the one value-less option */
        if (!strcmp(argv[i], "--log-y")) {
            logy = true;
            memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof *argv);
            argc--;
            break;
        }
    const cli_option opts[] = {{"db", &db},       {"metric", &metric}, {"score", &score},
                               {"sweep", &sweep}, {"out", &outp},      {"title", &title},
                               {NULL, NULL}};
    int npos, rc = cli_parse(&plot_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (!outp)
        return cli_usage_error(&plot_help, "missing --out FILE");
    if (metric && score)
        return cli_usage_error(&plot_help, "--metric and --score exclude each other");
    if (!sweep && npos == 0)
        return cli_usage_error(&plot_help, "missing RUN (or --sweep NAME)");
    if (sweep && npos > 0)
        return cli_usage_error(&plot_help, "--sweep and RUN arguments exclude each other");
    for (int i = 1; i <= npos; i++)
        if (!cli_run_ref_valid(argv[i]))
            return cli_usage_error(&plot_help, "RUN '%s' is neither a run id nor a uuid (prefix)",
                                   argv[i]);
    genlab_store *s = cli_store_open(&plot_help, cli_db_path(db), true);
    if (!s)
        return CLI_EXIT_FAILURE;
    id_vec ids = {0};
    rc = CLI_EXIT_OK;
    if (sweep) {
        char *q = cli_sql_quote(sweep), *sql = NULL;
        if (!q || asprintf(&sql, "SELECT id FROM runs WHERE sweep = %s ORDER BY id", q) < 0)
            sql = NULL, rc = cli_fail(&plot_help, "out of memory");
        else if (genlab_store_query(s, sql, sweep_row, &ids) != GL_OK)
            rc = cli_fail(&plot_help, "%s", genlab_store_errmsg(s));
        else if (ids.n == 0)
            rc = cli_fail(&plot_help, "no run of a sweep named '%s' in the store", sweep);
        free(q);
        free(sql);
    }
    for (int i = 1; rc == CLI_EXIT_OK && i <= npos; i++) {
        long long id;
        rc = cli_resolve_run(&plot_help, s, argv[i], &id);
        if (rc == CLI_EXIT_OK && id_push(&ids, id))
            rc = cli_fail(&plot_help, "out of memory");
    }
    size_t nseries = 0;
    if (rc == CLI_EXIT_OK) {
        cli_plot_request req = {.metrics = metric, .score = score, .logy = logy, .title = title};
        rc = cli_plot_runs(&plot_help, s, ids.v, ids.n, &req, outp, &nseries);
    }
    if (rc == CLI_EXIT_OK && nseries > CLI_PLOT_LEGEND_MAX)
        printf("%s: %zu lines (the legend names the first %d)\n", outp, nseries,
               CLI_PLOT_LEGEND_MAX);
    else if (rc == CLI_EXIT_OK)
        printf("%s: %zu line%s\n", outp, nseries, nseries == 1 ? "" : "s");
    if (rc == CLI_EXIT_OK && nseries == 0)
        fprintf(stderr, "genlab plot: warning: no %s of these runs: the plot is empty\n",
                score ? "score" : "curve");
    free(ids.v);
    genlab_store_close(s);
    return rc;
}
