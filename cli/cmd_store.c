/* SPDX-License-Identifier: MIT
 *
 * cmd_store.c — the commands on the experiment store: runs, show, query,
 * report and db (merge).
 *
 * Every SQL text these commands build or take from the user goes through
 * genlab_store_query or genlab_store_report, that is through the store's
 * read-only connection and its authorizer: a --where expression, a query or
 * a report can at worst read. Values that end up inside SQL text (a run id,
 * a uuid prefix) are checked to be digits or hex first. Writing (db merge)
 * goes through the store API only.
 *
 * Sections: shared, runs, show, query, report, db.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

/* ---- shared ---- */

#define DB_OPTION_HELP \
    "  --db FILE        the store (default: $GENLAB_DB, else ./genlab.db)\n"
#define FORMAT_OPTION_HELP \
    "  --format FMT     table (default; or text), csv, markdown, json, latex or html\n"
#define PIVOT_OPTION_HELP \
    "  --pivot ROW,COL,VALUE\n" \
    "                   one row per value of column ROW, one column per value of\n" \
    "                   COL (\"COL=v\"), holding VALUE (SQLite has no PIVOT)\n"

/* parse_format — --format's value, or a usage error */
static bool parse_format(const cli_help *help, const char *name, cli_format *out)
{
    if (cli_format_parse(name, out))
        return true;
    cli_usage_error(help, "unknown format '%s' (choose one of " CLI_FORMAT_NAMES ")", name);
    return false;
}

/* What print_rows runs: a query, or a report found on dirs. */
typedef struct rows_source {
    const char         *sql;
    const char         *report;
    const char *const  *dirs;
    const char         *what;   /* prefix of an SQL error message, "" for none */
    genlab_store_row_fn row;    /* NULL: cli_output_row; else one that passes
                                   rows on to it (user: the cli_output) */
    const char         *pivot;  /* "ROW,COL,VALUE" or NULL (output.h) */
} rows_source;

/* print_rows — run src and print its rows on stdout in format fmt.
 * nrows: OUT (may be NULL): rows printed. Returns an exit status (the
 * error is printed). */
static int print_rows(const cli_help *help, genlab_store *s, cli_format fmt,
                      const rows_source *src, long long *nrows)
{
    cli_output *o = cli_output_new(stdout, fmt);
    cli_pivot *p = o && src->pivot ? cli_pivot_new(o, src->pivot) : NULL;
    if (!o || (src->pivot && !p)) {
        cli_output_free(o);
        return cli_fail(help, "out of memory");
    }
    if (p && cli_pivot_error(p)[0]) {
        cli_usage_error(help, "%s", cli_pivot_error(p));
        cli_pivot_free(p);
        cli_output_free(o);
        return CLI_EXIT_USAGE;
    }
    genlab_store_row_fn row = p ? cli_pivot_row : src->row ? src->row : cli_output_row;
    void *user = p ? (void *)p : (void *)o;
    genlab_status st = src->report ? genlab_store_report(s, src->report, src->dirs, row, user)
                                   : genlab_store_query(s, src->sql, row, user);
    int rc = CLI_EXIT_OK;
    if (st != GL_OK && p && cli_pivot_error(p)[0])
        rc = cli_fail(help, "%s", cli_pivot_error(p));
    else if (st != GL_OK && cli_output_error(o)[0])
        rc = cli_fail(help, "%s", cli_output_error(o));
    else if (st != GL_OK)
        rc = cli_fail(help, "%s%s", src->what, genlab_store_errmsg(s));
    else if (p && cli_pivot_finish(p) != 0)
        rc = cli_fail(help, "%s", cli_pivot_error(p));
    else if (cli_output_finish(o) != 0)
        rc = cli_fail(help, "%s", cli_output_error(o));
    if (nrows)
        *nrows = cli_output_rows(o);
    cli_pivot_free(p);
    cli_output_free(o);
    return rc;
}

/* print_result — print_rows for a command with --format, saying so
 * when a table would have no row at all (csv and markdown print nothing,
 * json prints []) */
static int print_result(const cli_help *help, genlab_store *s, cli_format fmt,
                        const rows_source *src)
{
    long long n;
    int rc = print_rows(help, s, fmt, src, &n);
    if (rc == CLI_EXIT_OK && n == 0 && fmt == CLI_FORMAT_TABLE)
        printf("(0 rows)\n");
    return rc;
}

/* ---- runs ---- */

static const cli_help runs_help = {
    .command = "runs",
    .synopsis = "genlab runs [--db FILE] [--where EXPR] [--format FMT]",
    .body =
        "Lists the runs in the store, newest first: id, uuid prefix, name, trainer,\n"
        "status, start and end time (UTC), seed and key parameters: those whose value\n"
        "differs between the listed runs (all of them when one run is listed).\n"
        "\n"
        "options:\n" DB_OPTION_HELP
        "  --where EXPR     only runs for which the SQL expression EXPR is true; it\n"
        "                   may use every column of the runs table (id, uuid, name,\n"
        "                   trainer, status, started, ended, seed, host, config, ...)\n"
        "                   and subqueries; it runs read-only\n" FORMAT_OPTION_HELP
        "\n"
        "examples:\n"
        "  genlab runs --where \"trainer = 'gan' AND status = 'completed'\"\n"
        "  genlab runs --where \"id IN (SELECT run_id FROM params\n"
        "                             WHERE key = 'optim.lr' AND value = '2e-4')\"\n"
        "  genlab runs --format csv > runs.csv\n",
};

int cmd_runs(int argc, char **argv)
{
    const char *db = NULL, *where = NULL, *format = "table";
    const cli_option opts[] = {{"db", &db}, {"where", &where}, {"format", &format}, {NULL, NULL}};
    int npos, rc = cli_parse(&runs_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    cli_format fmt;
    if (npos > 0)
        return cli_usage_error(&runs_help, "unexpected argument '%s'", argv[1]);
    if (!parse_format(&runs_help, format, &fmt))
        return CLI_EXIT_USAGE;
    /* the expression stands alone on its lines, so that a trailing "--"
     * comment cannot swallow the closing parenthesis */
    static const char head[] = "WITH sel AS (SELECT * FROM runs WHERE (\n";
    static const char tail[] =
        "\n)),\n"
        "n AS (SELECT count(*) AS n FROM sel),\n"
        "varying AS (SELECT p.key FROM params AS p JOIN sel ON sel.id = p.run_id\n"
        "             GROUP BY p.key\n"
        "            HAVING (SELECT n FROM n) = 1 OR count(DISTINCT p.value) > 1\n"
        "                OR count(*) < (SELECT n FROM n))\n"
        "SELECT sel.id, substr(sel.uuid, 1, 8) AS uuid, sel.name, sel.trainer, sel.status,\n"
        "       sel.started, sel.ended, sel.seed,\n"
        "       (SELECT group_concat(key || '=' || value, ' ')\n"
        "          FROM (SELECT p.key, p.value FROM params AS p\n"
        "                 WHERE p.run_id = sel.id AND p.key IN (SELECT key FROM varying)\n"
        "                 ORDER BY p.key)) AS params\n"
        "  FROM sel ORDER BY sel.id DESC";
    const char *expr = where ? where : "1";
    char *sql = malloc(sizeof head + strlen(expr) + sizeof tail);
    if (!sql)
        return cli_fail(&runs_help, "out of memory");
    strcpy(stpcpy(stpcpy(sql, head), expr), tail);

    char what[256] = "";
    if (where)
        snprintf(what, sizeof what, "in --where \"%.200s\": ", where);
    genlab_store *s = cli_store_open(&runs_help, cli_db_path(db), true);
    rc = s ? print_result(&runs_help, s, fmt, &(rows_source){.sql = sql, .what = what})
           : CLI_EXIT_FAILURE;
    genlab_store_close(s);
    free(sql);
    return rc;
}

/* ---- show ---- */

static const cli_help show_help = {
    .command = "show",
    .synopsis = "genlab show [--db FILE] RUN",
    .body =
        "Shows one run: its row of the runs table, all its parameters, the last value\n"
        "of each metric (with its step and how many points the curve has), its scores\n"
        "with their evaluation protocols, and its artifacts.\n"
        "\n"
        "RUN is a run id (a number, as `genlab runs` lists), a uuid, or the first\n"
        "characters of a uuid that only one run has. A number is taken as an id when\n"
        "a run has that id, else as a uuid prefix.\n"
        "\n"
        "options:\n" DB_OPTION_HELP
        "\n"
        "examples:\n"
        "  genlab show 12\n"
        "  genlab show 3f2a9c\n",
};

/* the runs a RUN argument matches (the first few, for an ambiguity message) */
/* the run's row turned into (field, value) rows: one wide row reads badly */
static int transpose_row(void *output, int ncol, const char *const *names,
                         const char *const *values)
{
    static const char *const head[] = {"field", "value"};
    for (int j = 0; j < ncol; j++) {
        const char *row[] = {names[j], values[j]};
        if (cli_output_row(output, 2, head, row))
            return 1;
    }
    return 0;
}

/* the sections of `show`; %lld is the run id */
static const struct show_section {
    const char *title;
    const char *sql;
    bool        transpose;
} sections[] = {
    {"run", "SELECT * FROM runs WHERE id = %lld", true},
    {"parameters", "SELECT key, value, type FROM params WHERE run_id = %lld ORDER BY key", false},
    {"metrics (last value of each)",
     "SELECT key, step, value, points FROM (\n"
     "    SELECT key, step, value, count(*) OVER (PARTITION BY key) AS points,\n"
     "           row_number() OVER (PARTITION BY key ORDER BY step DESC, rowid DESC) AS rn\n"
     "      FROM metrics WHERE run_id = %lld)\n"
     " WHERE rn = 1 ORDER BY key", false},
    {"scores",
     "SELECT step, metric, value, std,\n"
     "       CASE higher_is_better WHEN 1 THEN 'higher' ELSE 'lower' END AS better,\n"
     "       n_samples, n_real, feature_extractor, substr(extractor_sha256, 1, 12) AS weights,\n"
     "       ref_stats_id, substr(ref_stats_sha256, 1, 12) AS ref_sha256, resize, ref_split,\n"
     "       n_splits, seed, genlab_version, protocol\n"
     "  FROM scores WHERE run_id = %lld ORDER BY metric, step, id", false},
    {"artifacts",
     "SELECT kind, path, sha256, bytes, created FROM artifacts WHERE run_id = %lld ORDER BY id",
     false},
};

int cmd_show(int argc, char **argv)
{
    const char *db = NULL;
    const cli_option opts[] = {{"db", &db}, {NULL, NULL}};
    int npos, rc = cli_parse(&show_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1)
        return cli_usage_error(&show_help, npos ? "too many arguments" : "missing RUN");
    const char *run = argv[1];
    if (!cli_run_ref_valid(run))
        return cli_usage_error(&show_help, "RUN '%s' is neither a run id nor a uuid (prefix)",
                               run);
    genlab_store *s = cli_store_open(&show_help, cli_db_path(db), true);
    if (!s)
        return CLI_EXIT_FAILURE;
    long long id = 0;
    rc = cli_resolve_run(&show_help, s, run, &id);
    if (rc == CLI_EXIT_OK) {
        for (size_t i = 0; rc == CLI_EXIT_OK && i < sizeof sections / sizeof sections[0]; i++) {
            const struct show_section *sec = &sections[i];
            char sql[1024];
            snprintf(sql, sizeof sql, sec->sql, id);
            printf("%s%s:\n", i ? "\n" : "", sec->title);
            long long n;
            rc = print_rows(&show_help, s, CLI_FORMAT_TABLE,
                            &(rows_source){.sql = sql, .what = "",
                                           .row = sec->transpose ? transpose_row : NULL},
                            &n);
            if (rc == CLI_EXIT_OK && n == 0)
                printf("(none)\n");
        }
    }
    genlab_store_close(s);
    return rc;
}

/* ---- query ---- */

static const cli_help query_help = {
    .command = "query",
    .synopsis = "genlab query [--db FILE] [--format FMT] [--pivot ROW,COL,VALUE] SQL",
    .body =
        "Runs SQL on the store and prints the rows. The SQL runs read-only: SELECT\n"
        "statements (with WITH, joins, window functions) work; INSERT, UPDATE, DELETE,\n"
        "CREATE, DROP, ATTACH, PRAGMA and transactions are refused (exit status 1).\n"
        "Several statements separated by ';' run in order. The tables are runs,\n"
        "params, metrics, scores and artifacts (see db/schema.sql), and the views\n"
        "run_param, run_config, score_latest, score_by_config, best_per_group,\n"
        "report_metric and fid_by_param with the aggregate stdev (see db/views.sql\n"
        "and doc/reports.md).\n"
        "\n"
        "options:\n" DB_OPTION_HELP FORMAT_OPTION_HELP PIVOT_OPTION_HELP
        "\n"
        "examples:\n"
        "  genlab query 'SELECT trainer, count(*) FROM runs GROUP BY trainer'\n"
        "  genlab query --pivot trainer,metric,mean_std \\\n"
        "      'SELECT trainer, metric, mean_std FROM best_per_group'\n"
        "  genlab query --format csv \\\n"
        "      \"SELECT step, value FROM metrics WHERE run_id = 3 AND key = 'loss_g'\"\n",
};

int cmd_query(int argc, char **argv)
{
    const char *db = NULL, *format = "table", *pivot = NULL;
    const cli_option opts[] = {{"db", &db}, {"format", &format}, {"pivot", &pivot}, {NULL, NULL}};
    int npos, rc = cli_parse(&query_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    cli_format fmt;
    if (npos != 1)
        return cli_usage_error(&query_help, npos ? "too many arguments (quote the SQL)"
                                                 : "missing SQL");
    if (!parse_format(&query_help, format, &fmt))
        return CLI_EXIT_USAGE;
    genlab_store *s = cli_store_open(&query_help, cli_db_path(db), true);
    rc = s ? print_result(&query_help, s, fmt,
                          &(rows_source){.sql = argv[1], .what = "", .pivot = pivot})
           : CLI_EXIT_FAILURE;
    genlab_store_close(s);
    return rc;
}

/* ---- report ---- */

static void report_more(FILE *out);

static const cli_help report_help = {
    .command = "report",
    .synopsis = "genlab report [--db FILE] [--format FMT] [--pivot ROW,COL,VALUE|none]\n"
                "                     [--mixed-protocols] NAME\n"
                "       genlab report --html DIR [--db FILE]",
    .body =
        "Runs the report NAME: the SQL file NAME.sql from the user's report directory\n"
        "($XDG_CONFIG_HOME/genlab/reports, else ~/.config/genlab/reports) or, when it\n"
        "has none of that name, from genlab's installed reports (or, for a genlab\n"
        "run from its build tree, the source tree's db/reports). A report runs\n"
        "read-only, like `genlab query`, with the same views. To change a report,\n"
        "copy it to the user's directory and edit it there. A report file may ask\n"
        "for a pivot on a line \"-- pivot: ROW,COL,VALUE\" (--pivot overrides it,\n"
        "--pivot none turns it off). A report that reads scores ends with the\n"
        "protocols they were measured under (on stderr for csv and json).\n"
        "\n"
        "--html DIR writes a static web site of the whole store into DIR:\n"
        "index.html (sweeps and runs), a page per sweep (its points, scores as\n"
        "mean ± std over seeds, overlaid curves) and per run (parameters, scores\n"
        "with their protocols, curves as SVG and PNG, its image artifacts).\n"
        "\n"
        "A report that reads the scores table is refused (exit status 1) when one\n"
        "metric's scores were measured under different protocols, since it would put\n"
        "numbers that cannot be compared in one column: the message names the metric\n"
        "and what differs (feature extractor, its weights, resize rule, reference\n"
        "statistics or split, generated or real image counts, splits or subsets, KID's\n"
        "subset size, k). Seeds and genlab versions may differ. --mixed-protocols\n"
        "runs it anyway.\n"
        "\n"
        "options:\n" DB_OPTION_HELP FORMAT_OPTION_HELP
        PIVOT_OPTION_HELP
        "  --mixed-protocols  run a report over scores of different protocols\n"
        "  --html DIR       write the store's web site into DIR (created if missing)\n"
        "\n"
        "examples:\n"
        "  genlab report best_scores --format markdown\n"
        "  genlab report runs --db sweep.db\n"
        "  genlab report lr-arch --format latex\n"
        "  genlab report --html site --db sweep.db\n",
    .more = report_more,
};

/* the user's report directory into buf; false when there is none */
static bool user_report_dir(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')   /* the XDG spec ignores a relative value */
        snprintf(buf, size, "%s/genlab/reports", xdg);
    else if (home && *home)
        snprintf(buf, size, "%s/.config/genlab/reports", home);
    else
        return false;
    return true;
}

/* The reports that exist: name and the directory it is taken from. */
typedef struct report_entry {
    char name[65];
    const char *dir;
} report_entry;

enum { MAX_REPORTS = 256 };

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const report_entry *)a)->name, ((const report_entry *)b)->name);
}

/* list_reports — the reports of dirs[0..ndir-1] (earlier directories win),
 * sorted by name; returns how many (at most max) */
static size_t list_reports(const char *const *dirs, size_t ndir, report_entry *out, size_t max)
{
    size_t n = 0;
    for (size_t d = 0; d < ndir; d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *e;
        while (dir && n < max && (e = readdir(dir))) {
            size_t len = strlen(e->d_name);
            /* the names genlab_store_report accepts: 1-64 of [A-Za-z0-9_-] */
            if (len < 5 || len > 64 + 4 || strcmp(e->d_name + len - 4, ".sql") ||
                strspn(e->d_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789_-") != len - 4)
                continue;
            bool seen = false;
            for (size_t i = 0; i < n && !seen; i++)
                seen = strlen(out[i].name) == len - 4 && !strncmp(out[i].name, e->d_name, len - 4);
            if (seen)
                continue;
            snprintf(out[n].name, sizeof out[n].name, "%.*s", (int)(len - 4), e->d_name);
            out[n++].dir = dirs[d];
        }
        if (dir)
            closedir(dir);
    }
    qsort(out, n, sizeof *out, compare_entries);
    return n;
}

/* the directories searched: the user's (if any), the source tree's
 * db/reports when this program runs uninstalled from its build tree (so
 * that ./genlab finds the reports of the tree it was built from, as it
 * finds its plugins), and the installed one. user and src are buffers of
 * size bytes for the first two. */
static size_t report_dirs(char *user, char *src, size_t size, const char *dirs[3])
{
    size_t n = 0;
    if (user_report_dir(user, size))
        dirs[n++] = user;
    char build[4096];
    if (cli_build_tree(build, sizeof build)) {
        snprintf(src, size, "%s/db/reports", GL_TOP_SRCDIR);
        dirs[n++] = src;
    }
    dirs[n++] = genlab_store_report_dir();
    return n;
}

static void report_more(FILE *out)
{
    char user[4096], src[4096];
    const char *dirs[3];
    size_t ndir = report_dirs(user, src, sizeof user, dirs);
    report_entry entries[MAX_REPORTS];
    size_t n = list_reports(dirs, ndir, entries, MAX_REPORTS);
    fprintf(out, "\nreports available now:%s\n", n ? "" : " none");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-20s %s/%s.sql\n", entries[i].name, entries[i].dir, entries[i].name);
}

/* the table of scores and the views on it (db/views.sql) */
static bool scores_word(const char *tok, size_t n)
{
    static const char *const words[] = {"scores", "score_latest", "score_by_config",
                                        "best_per_group", "fid_by_param"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (n == strlen(words[i]) && !memcmp(tok, words[i], n))
            return true;
    return false;
}

/* reads_scores — the SQL file at path mentions the table scores or a view
 * on it outside its comments (a word of its own: best_scores is another
 * name) */
static bool reads_scores(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return true;   /* unreadable here: the store reports that; check anyway */
    bool found = false, word = false;
    int c, prev = 0;
    char tok[16];
    size_t n = 0;
    while (!found && (c = fgetc(f)) != EOF) {
        if (c == '-' && prev == '-') {   /* a comment to the end of the line */
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            prev = 0;
            n = 0;
            continue;
        }
        bool ident = c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
        if (ident) {
            if (!word)
                n = 0;
            if (n < sizeof tok)
                tok[n] = (char)(c >= 'A' && c <= 'Z' ? c | 32 : c);
            n++;
        } else if (word) {
            found = scores_word(tok, n);
        }
        word = ident;
        prev = c;
    }
    found = found || (word && scores_word(tok, n));
    fclose(f);
    return found;
}

/* What the protocol check collects: one line per metric and field. */
typedef struct mixed {
    int  n;
    char lines[4096];
} mixed;

static int mixed_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    mixed *m = user;
    size_t used = strlen(m->lines);
    if (m->n++ < 20)
        snprintf(m->lines + used, sizeof m->lines - used, "  %s: %s differs (%s)\n", values[0],
                 values[1], values[2]);
    return 0;
}

/* The fields of a score's protocol that must agree for two scores of one
 * metric to share a column (the seed and the genlab version may differ);
 * KID's subset size and PR's k from the protocol JSON, for those scores
 * only (one metric instance's protocol lists the parameters of all its
 * scores). %s: the report's metric filter (report_metric_filter). */
static const char protocol_check_sql[] =
    "WITH s AS (SELECT metric, feature_extractor, extractor_sha256, resize, ref_stats_id,\n"
    "                  ref_stats_sha256, ref_split, n_samples, n_real, n_splits,\n"
    "                  CASE WHEN metric LIKE '%%kid' THEN\n"
    "                      json_extract(protocol, '$.kid_subset_size') END AS kid_subset_size,\n"
    "                  CASE WHEN metric LIKE '%%precision' OR metric LIKE '%%recall' THEN\n"
    "                      json_extract(protocol, '$.pr_k') END AS pr_k\n"
    "             FROM scores WHERE (protocol IS NULL OR json_valid(protocol))%s),\n"
    "f(metric, field, value) AS (\n"
    "    SELECT metric, 'feature extractor', feature_extractor FROM s UNION ALL\n"
    "    SELECT metric, 'weights sha256', substr(extractor_sha256, 1, 12) FROM s UNION ALL\n"
    "    SELECT metric, 'resize', resize FROM s UNION ALL\n"
    "    SELECT metric, 'reference statistics', ref_stats_id FROM s UNION ALL\n"
    "    SELECT metric, 'reference sha256', substr(ref_stats_sha256, 1, 12) FROM s UNION ALL\n"
    "    SELECT metric, 'reference split', ref_split FROM s UNION ALL\n"
    "    SELECT metric, 'n_samples', n_samples FROM s UNION ALL\n"
    "    SELECT metric, 'n_real', n_real FROM s UNION ALL\n"
    "    SELECT metric, 'splits or subsets', n_splits FROM s UNION ALL\n"
    "    SELECT metric, 'kid_subset_size', kid_subset_size FROM s UNION ALL\n"
    "    SELECT metric, 'pr_k', pr_k FROM s)\n"
    "SELECT metric, field, group_concat(v, ', ')\n"
    "  FROM (SELECT DISTINCT metric, field, coalesce(value, 'none') AS v FROM f\n"
    "         ORDER BY metric, field, v)\n"
    " GROUP BY metric, field HAVING count(*) > 1\n"
    " ORDER BY metric, field";

/* check_protocols — refuse (exit status 1, saying what differs) when the
 * store holds scores of one metric under different protocols; -1 when it
 * does not */
static int check_protocols(genlab_store *s, const char *report, const char *filter)
{
    mixed m = {0};
    char *sql = NULL;
    if (asprintf(&sql, protocol_check_sql, filter) < 0)
        return cli_fail(&report_help, "out of memory");
    genlab_status st = genlab_store_query(s, sql, mixed_row, &m);
    free(sql);
    if (st != GL_OK)
        return cli_fail(&report_help, "checking the scores' protocols: %s",
                        genlab_store_errmsg(s));
    if (!m.n)
        return -1;
    cli_fail(&report_help, "report '%s' reads the scores table, where scores of one metric "
             "were measured under different protocols; it would put them in one column:",
             report);
    fputs(m.lines, stderr);
    if (m.n > 20)
        fprintf(stderr, "  (and %d more)\n", m.n - 20);
    fprintf(stderr, "Keep to one protocol (genlab query ... WHERE ...), or run it with "
            "--mixed-protocols to mix them anyway.\n");
    return CLI_EXIT_FAILURE;
}

/* report_directive — the value of a line of its own "-- KEY: VALUE" in the
 * report file at path (the first such line) into buf; false when it has
 * none */
static bool report_directive(const char *path, const char *key, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[512];
    const size_t klen = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        const char *p = line;
        if (strncmp(p, "-- ", 3) || strncmp(p + 3, key, klen) || p[3 + klen] != ':')
            continue;
        p += 4 + klen;
        p += strspn(p, " \t");
        snprintf(buf, size, "%.*s", (int)strcspn(p, " \t\r\n"), p);
        found = buf[0] != '\0';
    }
    fclose(f);
    return found;
}

/* report_metric_filter — the SQL condition (" AND metric IN (...)") that
 * keeps the scores a report reads, from its line "-- metrics: A,B": fid
 * and is stand for the metric the view report_metric shows as them
 * (Inception's or the classifier's), any other name for itself. A report
 * without the line reads every metric: "". Returns a malloc'd string, or
 * NULL with a message (a name that is not [A-Za-z0-9_]+, out of memory). */
static char *report_metric_filter(const char *path, const char *report)
{
    char list[256];
    if (!report_directive(path, "metrics", list, sizeof list))
        return strdup("");
    char *out = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&out, &size);
    if (!m) {
        cli_fail(&report_help, "out of memory");
        return NULL;
    }
    fputs(" AND metric IN (", m);
    bool ok = true;
    for (const char *p = list; *p && ok;) {
        size_t n = strcspn(p, ",");
        ok = n > 0 && strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_") >= n;
        if (!ok)
            cli_fail(&report_help, "report '%s': '-- metrics: %s': '%.*s' is not a metric name",
                     report, list, (int)n, p);
        else if ((n == 3 && !strncmp(p, "fid", 3)) || (n == 2 && !strncmp(p, "is", 2)))
            fprintf(m, "%s(SELECT metric FROM report_metric WHERE score = '%.*s')",
                    p == list ? "" : ", ", (int)n, p);
        else
            fprintf(m, "%s'%.*s'", p == list ? "" : ", ", (int)n, p);
        p += n + (p[n] == ',');
    }
    fputc(')', m);
    if (fclose(m) != 0 || !ok) {
        if (ok)
            cli_fail(&report_help, "out of memory");
        free(out);
        return NULL;
    }
    return out;
}

/* What protocol_row collects: the protocols of the store's scores, one
 * line each. */
typedef struct protocols {
    char text[2048];
} protocols;

static int protocol_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    protocols *p = user;
    size_t used = strlen(p->text);
    snprintf(p->text + used, sizeof p->text - used, "%sscore protocol: %s", used ? "\n" : "",
             values[0] ? values[0] : "");
    return 0;
}

/* one line per metric and protocol the store's scores were measured under;
 * %s: the report's metric filter (report_metric_filter) */
static const char protocol_note_sql[] =
    "SELECT DISTINCT metric || ': ' || coalesce(feature_extractor, 'no feature extractor')\n"
    "       || coalesce(' (weights ' || substr(extractor_sha256, 1, 12) || ')', '')\n"
    "       || coalesce(', ' || n_samples || ' generated images', '')\n"
    "       || coalesce(', ' || n_real || ' real images', '')\n"
    "       || coalesce(', reference ' || ref_stats_id, '')\n"
    "       || coalesce(' (' || ref_split || ' split)', '')\n"
    "       || coalesce(', resize ' || resize, '')\n"
    "       || coalesce(', ' || n_splits || ' splits', '')\n"
    "  FROM scores WHERE 1%s ORDER BY 1 LIMIT 20";

/* run_report — run the report at path (checking the protocols first unless
 * mixed_ok), pivoted as the file asks unless pivot says otherwise, then the
 * protocol note when it reads scores. Returns an exit status. */
static int run_report(genlab_store *s, const char *name, const char *path,
                      const char *const *user_dirs, cli_format fmt, const char *pivot,
                      bool mixed_ok)
{
    bool scores = reads_scores(path);
    char *filter = scores ? report_metric_filter(path, name) : NULL;
    if (scores && !filter)
        return CLI_EXIT_FAILURE;
    int rc = -1;
    if (!mixed_ok && scores)
        rc = check_protocols(s, name, filter);
    char own[256];
    if (!pivot && report_directive(path, "pivot", own, sizeof own))
        pivot = own;
    if (pivot && !strcmp(pivot, "none"))
        pivot = NULL;
    if (rc < 0)
        rc = print_result(&report_help, s, fmt,
                          &(rows_source){.report = name, .dirs = user_dirs, .what = "",
                                         .pivot = pivot});
    protocols note = {{0}};
    char *sql = NULL;
    if (rc == CLI_EXIT_OK && scores && asprintf(&sql, protocol_note_sql, filter) >= 0 &&
        genlab_store_query(s, sql, protocol_row, &note) == GL_OK && note.text[0])
        cli_note_print(stdout, fmt, note.text);
    free(sql);
    free(filter);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    const char *db = NULL, *format = "table", *pivot = NULL, *html = NULL;
    const cli_option opts[] = {{"db", &db}, {"format", &format}, {"pivot", &pivot},
                               {"html", &html}, {NULL, NULL}};
    bool mixed_ok = cli_take_flag(&argc, argv, "--mixed-protocols");
    int npos, rc = cli_parse(&report_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (html) {
        if (npos > 0)
            return cli_usage_error(&report_help, "--html DIR takes no report NAME");
        genlab_store *s = cli_store_open(&report_help, cli_db_path(db), true);
        rc = s ? cli_html_site(&report_help, s, html) : CLI_EXIT_FAILURE;
        genlab_store_close(s);
        return rc;
    }
    cli_format fmt;
    if (npos != 1)
        return cli_usage_error(&report_help, npos ? "too many arguments" : "missing NAME");
    if (!parse_format(&report_help, format, &fmt))
        return CLI_EXIT_USAGE;
    const char *name = argv[1];
    char user[4096], src[4096];
    const char *dirs[4] = {NULL, NULL, NULL, NULL};
    size_t ndir = report_dirs(user, src, sizeof user, dirs);
    report_entry entries[MAX_REPORTS];
    size_t n = list_reports(dirs, ndir, entries, MAX_REPORTS);
    bool known = false;
    char path[4096 + 80] = "";
    for (size_t i = 0; i < n && !known; i++)
        if ((known = !strcmp(entries[i].name, name)))
            snprintf(path, sizeof path, "%s/%s.sql", entries[i].dir, name);
    if (!known) {
        cli_fail(&report_help, "no report '%s' in %s%s%s%s%s", name, dirs[0],
                 ndir > 1 ? ", " : "", ndir > 1 ? dirs[1] : "", ndir > 2 ? ", " : "",
                 ndir > 2 ? dirs[2] : "");
        fprintf(stderr, "available reports:%s", n ? "" : " none");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, " %s", entries[i].name);
        fputc('\n', stderr);
        return CLI_EXIT_FAILURE;
    }
    /* the installed directory is the store's own fallback: pass the others */
    dirs[ndir - 1] = NULL;
    genlab_store *s = cli_store_open(&report_help, cli_db_path(db), true);
    rc = s ? run_report(s, name, path, dirs, fmt, pivot, mixed_ok) : CLI_EXIT_FAILURE;
    genlab_store_close(s);
    return rc;
}

/* ---- db ---- */

static const cli_help db_help = {
    .command = "db",
    .synopsis = "genlab db merge OUT IN...",
    .body =
        "Works on store files as a whole.\n"
        "\n"
        "subcommands:\n"
        "  merge     fold the runs of other stores into one (genlab db merge --help)\n"
        "\n"
        "example:\n"
        "  genlab db merge all.db node1.db node2.db\n",
};

static const cli_help merge_help = {
    .command = "db merge",
    .synopsis = "genlab db merge OUT IN...",
    .body =
        "Copies the runs of the stores IN... (with their parameters, metrics, scores\n"
        "and artifact records) into the store OUT, which is created if missing. Runs\n"
        "are matched by uuid: a run OUT already has is skipped, so merging the same\n"
        "files again adds nothing. Each input is merged in one transaction; after a\n"
        "failure the inputs before it stay merged. The inputs are only read.\n"
        "\n"
        "example (stores written on two machines):\n"
        "  genlab db merge all.db node1.db node2.db\n",
};

static int db_merge(int argc, char **argv)
{
    const cli_option opts[] = {{NULL, NULL}};
    int npos, rc = cli_parse(&merge_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (npos < 2)
        return cli_usage_error(&merge_help, npos ? "missing IN (the stores to merge)"
                                                 : "missing OUT and IN");
    const char *out = argv[1];
    genlab_store *s = cli_store_open(&merge_help, out, false);
    if (!s)
        return CLI_EXIT_FAILURE;
    rc = CLI_EXIT_OK;
    genlab_merge_stats m;
    size_t n_in = (size_t)npos - 1;
    if (genlab_store_merge(s, (const char *const *)argv + 2, n_in, &m) != GL_OK) {
        rc = cli_fail(&merge_help, "%s", genlab_store_errmsg(s));
    } else {
        printf("%s: %lld runs added, %lld skipped (already present) from %zu store%s "
               "(rows copied: parameters %lld, metric points %lld, scores %lld, artifacts "
               "%lld)\n",
               out, (long long)m.runs_added, (long long)m.runs_skipped, n_in, n_in > 1 ? "s" : "",
               (long long)m.params, (long long)m.metrics, (long long)m.scores,
               (long long)m.artifacts);
    }
    if (genlab_store_close(s) != GL_OK && rc == CLI_EXIT_OK)
        rc = cli_fail(&merge_help, "closing %s failed", out);
    return rc;
}

int cmd_db(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&db_help, "missing subcommand");
    if (!strcmp(argv[1], "merge"))
        return db_merge(argc - 1, argv + 1);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        cli_help_print(&db_help, stdout);
        return CLI_EXIT_OK;
    }
    return cli_usage_error(&db_help, "unknown %s '%s'", argv[1][0] == '-' ? "option" : "subcommand",
                           argv[1]);
}
