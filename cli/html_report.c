/* SPDX-License-Identifier: MIT
 *
 * html_report.c — `genlab report --html DIR`: the store as a static web
 * site. index.html lists the sweeps and runs; sweep-N.html shows a sweep's
 * points, its scores as mean ± std over seeds and its overlaid curves;
 * run-N.html a run's image artifacts (sample grids, interpolation and
 * denoising strips, copied into DIR/files so that the site stands alone),
 * scores with their protocols, last metric values, curves (SVG shown, PNG
 * linked) and its parameters. A missing artifact file is listed as missing.
 *
 * Tables are the html format of output.h (every value escaped); titles
 * and names go through cli_html_text. No JavaScript, one inline style.
 *
 * Sections: pages, tables, artifacts, runs, sweeps, site.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "output.h"
#include "plot.h"

#define MAX_ARTIFACT_BYTES (256LL << 20)   /* an image, not a dataset */

/* ---- pages ---- */

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:2px 8px;text-align:left}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#eee}img{max-width:100%;border:1px solid #ddd}"
    "figure{display:inline-block;margin:0 1em 1em 0}.missing{color:#a00}"
    "p.note{color:#555}";

/* page_open — DIR/name created with the page's head and title h1 */
static FILE *page_open(const cli_help *help, const char *dir, const char *name,
                       const char *title)
{
    char path[4096 + 128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_fail(help, "cannot write %s: %s", path, strerror(errno));
        return NULL;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
    cli_html_text(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<p><a href=\"index.html\">"
               "genlab store</a></p>\n<h1>", style);
    cli_html_text(f, title);
    fputs("</h1>\n", f);
    return f;
}

static int page_close(const cli_help *help, FILE *f, const char *name)
{
    fputs("</body>\n</html>\n", f);
    if (ferror(f) | (fclose(f) != 0))
        return cli_fail(help, "writing %s failed", name);
    return CLI_EXIT_OK;
}

/* ---- tables ---- */

/* query_text — the SQL of a printf-style format; NULL when out of memory */
static char *query_text(const char *fmt, va_list ap)
{
    char *sql = NULL;
    return vasprintf(&sql, fmt, ap) < 0 ? NULL : sql;
}

/* table — the rows of the query (printf-style) as an HTML table under
 * heading h2 ("(none)" when there are none) */
static int table(const cli_help *help, genlab_store *s, FILE *f, const char *h2,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int table(const cli_help *help, genlab_store *s, FILE *f, const char *h2,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = query_text(fmt, ap);
    va_end(ap);
    cli_output *o = sql ? cli_output_new(f, CLI_FORMAT_HTML) : NULL;
    if (!o) {
        free(sql);
        return cli_fail(help, "out of memory");
    }
    fprintf(f, "<h2>%s</h2>\n", h2);
    int rc = CLI_EXIT_OK;
    if (genlab_store_query(s, sql, cli_output_row, o) != GL_OK)
        rc = cli_fail(help, "%s", cli_output_error(o)[0] ? cli_output_error(o)
                                                         : genlab_store_errmsg(s));
    else if (cli_output_finish(o) != 0)
        rc = cli_fail(help, "%s", cli_output_error(o));
    else if (cli_output_rows(o) == 0)
        fputs("<p>(none)</p>\n", f);
    cli_output_free(o);
    free(sql);
    return rc;
}

/* One column of a query's rows gathered as text. */
typedef struct texts {
    char **v;
    size_t n, cap;
    bool   nomem;
} texts;

static int text_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)names;
    texts *t = user;
    for (int j = 0; j < ncol; j++) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 32;
            char **v = realloc(t->v, cap * sizeof *v);
            if (!v)
                return t->nomem = true, 1;
            t->v = v;
            t->cap = cap;
        }
        if (!(t->v[t->n++] = strdup(values[j] ? values[j] : "")))
            return t->nomem = true, 1;
    }
    return 0;
}

static void texts_free(texts *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
}

/* column — the values of the query's (printf-style) rows, all columns in
 * row order, into t */
static int column(const cli_help *help, genlab_store *s, texts *t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int column(const cli_help *help, genlab_store *s, texts *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = query_text(fmt, ap);
    va_end(ap);
    if (!sql)
        return cli_fail(help, "out of memory");
    int rc = CLI_EXIT_OK;
    if (genlab_store_query(s, sql, text_row, t) != GL_OK)
        rc = cli_fail(help, "%s", t->nomem ? "out of memory" : genlab_store_errmsg(s));
    free(sql);
    return rc;
}

/* plots — the curves (and one plot per score metric) of runs ids, as
 * prefix-curves.{svg,png} and prefix-score-K.{svg,png}, shown in f */
static int plots(const cli_help *help, genlab_store *s, FILE *f, const char *dir,
                 const char *prefix, const long long *ids, size_t n, const texts *metrics)
{
    fputs("<h2>curves</h2>\n", f);
    int rc = CLI_EXIT_OK;
    for (size_t k = 0; rc == CLI_EXIT_OK && k <= metrics->n; k++) {
        char name[256], path[4096 + 300];
        cli_plot_request req = {.score = k ? metrics->v[k - 1] : NULL};
        if (k)
            snprintf(name, sizeof name, "%s-score-%zu", prefix, k);
        else
            snprintf(name, sizeof name, "%s-curves", prefix);
        size_t nseries = 0;
        for (int ext = 0; rc == CLI_EXIT_OK && ext < 2; ext++) {
            snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext ? "png" : "svg");
            rc = cli_plot_runs(help, s, ids, n, &req, path, &nseries);
        }
        if (rc != CLI_EXIT_OK)
            break;
        fprintf(f, "<figure><img src=\"%s.svg\" alt=\"", name);
        cli_html_text(f, k ? metrics->v[k - 1] : "losses");
        fprintf(f, "\" width=\"720\" height=\"450\"><figcaption>");
        cli_html_text(f, k ? metrics->v[k - 1] : "losses");
        fprintf(f, " (%zu line%s; <a href=\"%s.png\">PNG</a>)</figcaption></figure>\n", nseries,
                nseries == 1 ? "" : "s", name);
    }
    return rc;
}

/* ---- artifacts ---- */

static bool is_image(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") ||
                   !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".svg") ||
                   !strcasecmp(dot, ".gif"));
}

/* copy_file — src to dst; false (errno set) when src cannot be read, is
 * not a regular file, is too large, or dst cannot be written */
static bool copy_file(const char *src, const char *dst)
{
    struct stat st;
    if (stat(src, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_ARTIFACT_BYTES)
        return false;
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    bool ok = in && out;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

/* artifacts — the run's image artifacts, copied into DIR/files and shown;
 * a missing one is named as missing */
static int artifacts(const cli_help *help, genlab_store *s, FILE *f, const char *dir,
                     long long run)
{
    texts t = {0};
    int rc = column(help, s, &t,
                    "SELECT id, kind, path FROM artifacts WHERE run_id = %lld ORDER BY id", run);
    fputs("<h2>samples</h2>\n", f);
    size_t shown = 0;
    for (size_t i = 0; rc == CLI_EXIT_OK && i + 2 < t.n; i += 3) {
        const char *id = t.v[i], *kind = t.v[i + 1], *path = t.v[i + 2];
        if (!is_image(path))
            continue;
        char name[128], dst[4096 + 200];
        snprintf(name, sizeof name, "files/run-%lld-%s%s", run, id, strrchr(path, '.'));
        snprintf(dst, sizeof dst, "%s/%s", dir, name);
        shown++;
        if (!copy_file(path, dst)) {
            fputs("<p class=\"missing\">missing ", f);
            cli_html_text(f, kind);
            fputs(": ", f);
            cli_html_text(f, path);
            fputs("</p>\n", f);
            continue;
        }
        fprintf(f, "<figure><img src=\"%s\" alt=\"", name);
        cli_html_text(f, kind);
        fputs("\"><figcaption>", f);
        cli_html_text(f, kind);
        fputs(": ", f);
        cli_html_text(f, path);
        fputs("</figcaption></figure>\n", f);
    }
    if (rc == CLI_EXIT_OK && shown == 0)
        fputs("<p>(none)</p>\n", f);
    texts_free(&t);
    return rc;
}

/* ---- runs ---- */

static int run_page(const cli_help *help, genlab_store *s, const char *dir, long long run,
                    const char *title)
{
    char name[64], prefix[64];
    snprintf(name, sizeof name, "run-%lld.html", run);
    snprintf(prefix, sizeof prefix, "run-%lld", run);
    FILE *f = page_open(help, dir, name, title);
    if (!f)
        return CLI_EXIT_FAILURE;
    /* what a reader looks at first on top: samples, scores, curves; the long
     * parameter list last */
    int rc = table(help, s, f, "run",
                   "SELECT trainer, status, started, ended, seed, sweep, error_message AS error "
                   "FROM runs WHERE id = %lld", run);
    if (rc == CLI_EXIT_OK)
        rc = artifacts(help, s, f, dir, run);
    if (rc == CLI_EXIT_OK)
        rc = table(help, s, f, "scores",
                   "SELECT metric, step, value, std, n_samples, feature_extractor, "
                   "ref_stats_id, ref_split, resize, n_splits, protocol FROM scores "
                   "WHERE run_id = %lld ORDER BY metric, step, id", run);
    if (rc == CLI_EXIT_OK)
        rc = table(help, s, f, "metrics (last value of each)",
                   "SELECT key, step, value FROM (SELECT key, step, value, row_number() OVER "
                   "(PARTITION BY key ORDER BY step DESC, rowid DESC) AS rn FROM metrics "
                   "WHERE run_id = %lld) WHERE rn = 1 ORDER BY key", run);
    texts metrics = {0};
    if (rc == CLI_EXIT_OK)
        rc = column(help, s, &metrics,
                    "SELECT DISTINCT metric FROM scores WHERE run_id = %lld ORDER BY metric", run);
    if (rc == CLI_EXIT_OK)
        rc = plots(help, s, f, dir, prefix, &run, 1, &metrics);
    texts_free(&metrics);
    if (rc == CLI_EXIT_OK)
        rc = table(help, s, f, "parameters",
                   "SELECT key, value FROM params WHERE run_id = %lld ORDER BY key", run);
    int closed = page_close(help, f, name);
    return rc == CLI_EXIT_OK ? closed : rc;
}

/* ---- sweeps ---- */

static int sweep_page(const cli_help *help, genlab_store *s, const char *dir, size_t k,
                      const char *sweep)
{
    char name[64], prefix[64];
    snprintf(name, sizeof name, "sweep-%zu.html", k);
    snprintf(prefix, sizeof prefix, "sweep-%zu", k);
    char *q = cli_sql_quote(sweep);
    if (!q)
        return cli_fail(help, "out of memory");
    FILE *f = page_open(help, dir, name, sweep);
    if (!f) {
        free(q);
        return CLI_EXIT_FAILURE;
    }
    texts ids = {0}, metrics = {0};
    int rc = table(help, s, f, "points",
                   "SELECT json_remove(sweep_point, '$.seed', '$.\"train.seed\"') AS point,\n"
                   "       count(*) AS runs, group_concat(id, ',') AS ids,\n"
                   "       group_concat(status, ',') AS status\n"
                   "  FROM runs WHERE sweep = %s AND json_valid(sweep_point)\n"
                   " GROUP BY point ORDER BY min(id);\n", q);
    if (rc == CLI_EXIT_OK)
        rc = table(help, s, f, "scores (mean ± std over seeds)",
                   "SELECT metric, config AS point, mean_std AS \"mean ± std\", n AS seeds,\n"
                   "       runs, feature_extractor, n_samples, ref_stats_id\n"
                   "  FROM score_by_config WHERE sweep = %s ORDER BY metric, config", q);
    if (rc == CLI_EXIT_OK)
        rc = column(help, s, &ids, "SELECT id FROM runs WHERE sweep = %s ORDER BY id", q);
    if (rc == CLI_EXIT_OK)
        rc = column(help, s, &metrics,
                    "SELECT DISTINCT metric FROM scores WHERE run_id IN "
                    "(SELECT id FROM runs WHERE sweep = %s) ORDER BY metric", q);
    long long *v = rc == CLI_EXIT_OK ? calloc(ids.n + 1, sizeof *v) : NULL;
    if (rc == CLI_EXIT_OK && !v)
        rc = cli_fail(help, "out of memory");
    for (size_t i = 0; v && i < ids.n; i++)
        v[i] = strtoll(ids.v[i], NULL, 10);
    if (rc == CLI_EXIT_OK)
        rc = plots(help, s, f, dir, prefix, v, ids.n, &metrics);
    if (rc == CLI_EXIT_OK) {
        fputs("<h2>runs</h2>\n<ul>\n", f);
        for (size_t i = 0; i < ids.n; i++)
            fprintf(f, "<li><a href=\"run-%lld.html\">run %lld</a></li>\n", v[i], v[i]);
        fputs("</ul>\n", f);
    }
    free(v);
    free(q);
    texts_free(&ids);
    texts_free(&metrics);
    int closed = page_close(help, f, name);
    return rc == CLI_EXIT_OK ? closed : rc;
}

/* ---- site ---- */

static bool make_dir(const char *path)
{
    return mkdir(path, 0777) == 0 || errno == EEXIST;
}

int cli_html_site(const cli_help *help, genlab_store *s, const char *dir)
{
    char files[4096 + 16];
    snprintf(files, sizeof files, "%s/files", dir);
    if (!make_dir(dir) || !make_dir(files))
        return cli_fail(help, "cannot create %s: %s", files, strerror(errno));
    texts sweeps = {0}, runs = {0};
    int rc = column(help, s, &sweeps,
                    "SELECT DISTINCT sweep FROM runs WHERE sweep IS NOT NULL ORDER BY sweep");
    if (rc == CLI_EXIT_OK)
        rc = column(help, s, &runs,
                    "SELECT id, 'run ' || id || coalesce(': ' || name, '') || ' (' || "
                    "trainer || ')' FROM runs ORDER BY id");
    FILE *f = rc == CLI_EXIT_OK ? page_open(help, dir, "index.html", "genlab store") : NULL;
    if (rc == CLI_EXIT_OK && !f)
        rc = CLI_EXIT_FAILURE;
    if (f) {
        fputs("<h2>sweeps</h2>\n<ul>\n", f);
        for (size_t i = 0; i < sweeps.n; i++) {
            fprintf(f, "<li><a href=\"sweep-%zu.html\">", i + 1);
            cli_html_text(f, sweeps.v[i]);
            fputs("</a></li>\n", f);
        }
        fprintf(f, "</ul>\n%s", sweeps.n ? "" : "<p>(none)</p>\n");
        fputs("<h2>run pages</h2>\n<ul>\n", f);
        for (size_t i = 0; i + 1 < runs.n; i += 2) {
            fprintf(f, "<li><a href=\"run-%lld.html\">", strtoll(runs.v[i], NULL, 10));
            cli_html_text(f, runs.v[i + 1]);
            fputs("</a></li>\n", f);
        }
        fputs("</ul>\n", f);
        rc = table(help, s, f, "runs",
                   "SELECT id, name, trainer, status, sweep, seed, started FROM runs ORDER BY id");
        int closed = page_close(help, f, "index.html");
        rc = rc == CLI_EXIT_OK ? closed : rc;
    }
    for (size_t i = 0; rc == CLI_EXIT_OK && i < sweeps.n; i++)
        rc = sweep_page(help, s, dir, i + 1, sweeps.v[i]);
    for (size_t i = 0; rc == CLI_EXIT_OK && i + 1 < runs.n; i += 2)
        rc = run_page(help, s, dir, strtoll(runs.v[i], NULL, 10), runs.v[i + 1]);
    if (rc == CLI_EXIT_OK)
        printf("%s/index.html: %zu sweep%s, %zu run%s\n", dir, sweeps.n,
               sweeps.n == 1 ? "" : "s", runs.n / 2, runs.n / 2 == 1 ? "" : "s");
    texts_free(&sweeps);
    texts_free(&runs);
    return rc;
}
