/* SPDX-License-Identifier: MIT
 *
 * cli.c — help and usage errors, option parsing and store opening shared
 * by the genlab commands (see cli.h for the rules they follow).
 *
 * Sections: help and usage errors, options, the store, plugins, runs.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "genlab/config.h"

/* ---- help and usage errors ---- */

/* print the synopsis, "usage: " on its first line and aligned after */
static void print_synopsis(const cli_help *help, FILE *out)
{
    const char *s = help->synopsis;
    for (bool first = true; *s; first = false) {
        size_t n = strcspn(s, "\n");
        fprintf(out, "%s%.*s\n", first ? "usage: " : "       ", (int)n, s);
        s += n + (s[n] == '\n');
    }
}

void cli_help_print(const cli_help *help, FILE *out)
{
    print_synopsis(help, out);
    fprintf(out, "\n%s", help->body);
    if (help->more)
        help->more(out);
}

static void vreport(const cli_help *help, const char *fmt, va_list ap)
{
    fprintf(stderr, "genlab %s: ", help->command);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_usage_error(const cli_help *help, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(help, fmt, ap);
    va_end(ap);
    print_synopsis(help, stderr);
    fprintf(stderr, "Try 'genlab %s --help' for more information.\n", help->command);
    return CLI_EXIT_USAGE;
}

int cli_fail(const cli_help *help, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(help, fmt, ap);
    va_end(ap);
    return CLI_EXIT_FAILURE;
}

/* ---- options ---- */

int cli_parse(const cli_help *help, int argc, char **argv, const cli_option *opts, int *npos)
{
    int n = 0;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {   /* "-" alone is an argument */
            argv[1 + n++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            options_done = true;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cli_help_print(help, stdout);
            return CLI_EXIT_OK;
        }
        const cli_option *o = opts;
        const char *eq = NULL;
        if (a[1] != '-') {   /* "-n VALUE": a one-letter option */
            while (o->name && !(a[2] == '\0' && o->name[0] == a[1] && o->name[1] == '\0'))
                o++;
            if (!o->name)
                return cli_usage_error(help, "unknown option '%s'", a);
        } else {
            const char *name = a + 2;
            eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            while (o->name && !(strlen(o->name) == len && !strncmp(o->name, name, len)))
                o++;
            if (!o->name)
                return cli_usage_error(help, "unknown option '--%.*s'", (int)len, name);
        }
        if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            return cli_usage_error(help, "option '%s%s' needs a value", o->name[1] ? "--" : "-",
                                   o->name);
        }
    }
    *npos = n;
    return -1;
}

bool cli_take_flag(int *argc, char **argv, const char *flag)
{
    bool seen = false;
    int j = 1;
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], "--")) {
            while (i < *argc)
                argv[j++] = argv[i++];
            break;
        }
        if (!strcmp(argv[i], flag))
            seen = true;
        else
            argv[j++] = argv[i];
    }
    *argc = j;
    return seen;
}

bool cli_parse_int(const cli_help *help, const char *opt, const char *text, long long min,
                   long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno || v < min || v > max) {
        cli_usage_error(help, "%s needs an integer in [%lld, %lld], got '%s'", opt, min, max,
                        text);
        return false;
    }
    *out = v;
    return true;
}

/* ---- the store ---- */

const char *cli_db_path(const char *db_option)
{
    if (db_option)
        return db_option;
    const char *env = getenv("GENLAB_DB");
    return env && *env ? env : "genlab.db";
}

genlab_store *cli_store_open(const cli_help *help, const char *path, bool read_only)
{
    if (read_only && access(path, F_OK) != 0) {
        cli_fail(help, "no database at '%s' (%s); give one with --db FILE or GENLAB_DB", path,
                 strerror(errno));
        return NULL;
    }
    genlab_store *store = NULL;
    if (genlab_store_open(path, read_only, &store) != GL_OK) {
        cli_fail(help, "%s", genlab_store_errmsg(store));
        genlab_store_close(store);
        return NULL;
    }
    return store;
}

/* ---- plugins ---- */

/* the registry's logger: warnings and errors on stderr, user is the help */
static void log_warnings(void *user, genlab_log_level level, const char *msg)
{
    const cli_help *help = user;
    if (level <= GL_LOG_WARN)
        fprintf(stderr, "genlab %s: %s: %s\n", help->command,
                level == GL_LOG_ERROR ? "error" : "warning", msg);
}

bool cli_build_tree(char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash || slash - exe < 6 || strncmp(slash - 6, "/.libs", 6) != 0)
        return false;
    int w = snprintf(out, size, "%.*s", (int)(slash - 6 - exe), exe);
    return w > 0 && (size_t)w < size;
}

/* build_tree_plugins — when this program runs uninstalled from its build
 * tree, the build tree's plugin directories plugins/<group>/.libs,
 * ':'-separated with a trailing ':', so that ./genlab finds the plugins
 * built beside it. "" when installed. */
static void build_tree_plugins(char *out, size_t size)
{
    char exe[PATH_MAX];
    out[0] = '\0';
    if (!cli_build_tree(exe, sizeof exe - 10))
        return;
    strcat(exe, "/plugins");
    DIR *d = opendir(exe);
    if (!d)
        return;
    size_t used = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char dir[PATH_MAX + 300];
        snprintf(dir, sizeof dir, "%s/%s/.libs", exe, e->d_name);
        if (e->d_name[0] == '.' || access(dir, R_OK | X_OK) != 0)
            continue;
        int w = snprintf(out + used, size - used, "%s:", dir);
        if (w < 0 || (size_t)w >= size - used) {
            out[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    closedir(d);
}

genlab_registry *cli_registry_open(const cli_help *help)
{
    genlab_registry *reg = NULL;
    char path[8192], build[4096];
    const char *env = getenv("GENLAB_PLUGIN_PATH");
    build_tree_plugins(build, sizeof build);
    snprintf(path, sizeof path, "%s%s%s" GENLAB_PLUGINDIR, env && *env ? env : "",
             env && *env ? ":" : "", build);
    if (genlab_registry_create(path, &reg) != GL_OK) {
        cli_fail(help, "out of memory");
        return NULL;
    }
    genlab_registry_set_logger(reg, log_warnings, (void *)help);
    if (genlab_plugin_load_all(reg) != GL_OK) {
        /* one line per plugin that failed; the rest are loaded */
        const char *m = genlab_registry_errmsg(reg);
        while (*m) {
            size_t n = strcspn(m, "\n");
            fprintf(stderr, "genlab %s: warning: %.*s\n", help->command, (int)n, m);
            m += n + (m[n] == '\n');
        }
    }
    return reg;
}

const char *cli_param_default(const genlab_param_def *d)
{
    if (!d->def)
        return "(required)";
    if (!*d->def)
        return d->type == GL_PARAM_COMPONENT ? "(none)" : "\"\"";
    return d->def;
}

const char *cli_param_allowed(const genlab_param_def *d, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    switch (d->type) {
    case GL_PARAM_INT:
    case GL_PARAM_FLOAT:
        if (d->min && d->max)
            snprintf(buf, n, "[%s, %s]", d->min, d->max);
        else if (d->min || d->max)
            snprintf(buf, n, "%s %s", d->min ? ">=" : "<=", d->min ? d->min : d->max);
        else
            snprintf(buf, n, "any");
        break;
    case GL_PARAM_BOOL:
        snprintf(buf, n, "true | false");
        break;
    case GL_PARAM_STRING:
        snprintf(buf, n, "text");
        break;
    case GL_PARAM_ENUM:
        for (const char *const *c = d->choices; c && *c && used < n; c++)
            used += (size_t)snprintf(buf + used, n - used, "%s%s", c == d->choices ? "" : " | ",
                                     *c);
        break;
    case GL_PARAM_COMPONENT:
        snprintf(buf, n, "%s name", genlab_kind_name(d->kind));
        break;
    }
    return buf;
}

/* ---- runs ---- */

bool cli_run_ref_valid(const char *text)
{
    size_t len = strlen(text);
    if (!strcmp(text, "last"))
        return true;
    if (!strncmp(text, "last:", 5))
        return len > 5 && len < 64 &&
               strspn(text + 5, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len - 5;
    return len > 0 && len <= 36 && strspn(text, "0123456789abcdefABCDEF-") == len;
}

typedef struct run_matches {
    int  n;
    long long id;           /* the first match */
    char list[1024];        /* "  id uuid name\n" lines */
} run_matches;

static int collect_match(void *user, int ncol, const char *const *names,
                         const char *const *values)
{
    (void)names;
    run_matches *m = user;
    if (m->n++ == 0)
        m->id = atoll(values[0]);
    size_t used = strlen(m->list);
    snprintf(m->list + used, sizeof m->list - used, "  %s  %s  %s\n", values[0], values[1],
             ncol > 2 && values[2] ? values[2] : "");
    return 0;
}

int cli_resolve_run(const cli_help *help, genlab_store *s, const char *text, long long *id)
{
    size_t len = strlen(text), digits = strspn(text, "0123456789");
    char sql[256], prefix[40];
    run_matches m = {0};
    if (!strncmp(text, "last", 4) && cli_run_ref_valid(text)) {
        /* the trainer's name has only [a-z0-9_-] (cli_run_ref_valid) */
        snprintf(sql, sizeof sql, "SELECT id, uuid FROM runs %s%s%s ORDER BY id DESC LIMIT 1",
                 text[4] ? "WHERE trainer = '" : "", text[4] ? text + 5 : "",
                 text[4] ? "'" : "");
        if (genlab_store_query(s, sql, collect_match, &m) != GL_OK)
            return cli_fail(help, "%s", genlab_store_errmsg(s));
        if (m.n == 0)
            return cli_fail(help, "'%s': %s has no such run", text, genlab_store_path(s));
        *id = m.id;
        return CLI_EXIT_OK;
    }
    if (digits == len && len <= 18) {   /* 18 digits always fit an int64 */
        snprintf(sql, sizeof sql, "SELECT id, uuid FROM runs WHERE id = %s", text);
        if (genlab_store_query(s, sql, collect_match, &m) != GL_OK)
            return cli_fail(help, "%s", genlab_store_errmsg(s));
        if (m.n == 1) {
            *id = m.id;
            return CLI_EXIT_OK;
        }
    }
    for (size_t i = 0; i <= len && i < sizeof prefix; i++)   /* uuids are lower case */
        prefix[i] = (char)(text[i] >= 'A' && text[i] <= 'F' ? text[i] - 'A' + 'a' : text[i]);
    snprintf(sql, sizeof sql,
             "SELECT id, uuid, name FROM runs WHERE substr(uuid, 1, %zu) = '%s' "
             "ORDER BY id LIMIT 10",
             len, prefix);
    m = (run_matches){0};
    if (genlab_store_query(s, sql, collect_match, &m) != GL_OK)
        return cli_fail(help, "%s", genlab_store_errmsg(s));
    if (m.n == 0)
        return cli_fail(help, "no run has id or uuid prefix '%s' in %s", text,
                        genlab_store_path(s));
    if (m.n > 1) {
        cli_fail(help, "'%s' is ambiguous: it starts the uuids of %s%d runs; give more "
                 "characters, or the id:", text, m.n == 10 ? "at least " : "", m.n);
        fputs(m.list, stderr);
        return CLI_EXIT_FAILURE;
    }
    *id = m.id;
    return CLI_EXIT_OK;
}

/* What cli_run_load's queries fill. */
typedef struct run_load {
    genlab_config  *cfg;
    cli_run_record *rec;
    char            origin[48];   /* "the run <uuid>" */
    const char     *skip;         /* a key prefix left out, or NULL */
    char            trainer[64];  /* train.trainer's recorded value */
    int             params;
    bool            failed;
} run_load;

static int uuid_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    run_load *l = user;
    snprintf(l->rec->uuid, sizeof l->rec->uuid, "%s", values[0]);
    snprintf(l->origin, sizeof l->origin, "the run %s", values[0]);
    return 0;
}

static int param_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    run_load *l = user;
    l->params++;
    if (!strcmp(values[0], "train.trainer"))
        snprintf(l->trainer, sizeof l->trainer, "%s", values[1] ? values[1] : "");
    if (l->skip && !strncmp(values[0], l->skip, strlen(l->skip)))
        return 0;
    l->failed = l->failed || genlab_config_set(l->cfg, values[0], values[1] ? values[1] : "",
                                               l->origin) != GL_OK;
    return 0;
}

static int ckpt_row(void *user, int ncol, const char *const *names, const char *const *values)
{
    (void)ncol, (void)names;
    cli_run_record *r = ((run_load *)user)->rec;
    if (!r->ckpt[0] && values[0] && access(values[0], R_OK) == 0)
        snprintf(r->ckpt, sizeof r->ckpt, "%s", values[0]);
    return 0;
}

/* load_run — cli_run_load leaving out the recorded keys under prefix
 * skip (NULL: none); the recorded trainer's name into l->trainer */
static int load_run(const cli_help *help, genlab_store *s, const char *ref, genlab_config *cfg,
                    cli_run_record *out, run_load *l0)
{
    memset(out, 0, sizeof *out);
    if (!cli_run_ref_valid(ref))
        return cli_usage_error(help, "'%s' is neither a run id nor a uuid (prefix)", ref);
    long long id;
    int rc = cli_resolve_run(help, s, ref, &id);
    if (rc != CLI_EXIT_OK)
        return rc;
    run_load l = *l0;
    l.cfg = cfg, l.rec = out;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT uuid FROM runs WHERE id = %lld", id);
    genlab_status st = genlab_store_query(s, sql, uuid_row, &l);
    snprintf(sql, sizeof sql, "SELECT key, value FROM params WHERE run_id = %lld", id);
    if (st == GL_OK)
        st = genlab_store_query(s, sql, param_row, &l);
    snprintf(sql, sizeof sql, "SELECT path FROM artifacts WHERE run_id = %lld AND kind = "
             "'checkpoint' ORDER BY id DESC", id);
    if (st == GL_OK)
        st = genlab_store_query(s, sql, ckpt_row, &l);
    if (st != GL_OK || l.failed)
        return cli_fail(help, "%s", st != GL_OK ? genlab_store_errmsg(s) : "out of memory");
    if (!l.params)
        return cli_fail(help, "run %s has no recorded parameters", out->uuid);
    if (!out->ckpt[0])
        return cli_fail(help, "run %s has no checkpoint file left (its trainer may not write "
                        "any, or they were deleted)", out->uuid);
    *l0 = l;
    return CLI_EXIT_OK;
}

int cli_run_load(const cli_help *help, genlab_store *s, const char *ref, genlab_config *cfg,
                 cli_run_record *out)
{
    run_load l = {0};
    return load_run(help, s, ref, cfg, out, &l);
}

int cli_run_load_sampler(const cli_help *help, genlab_store *s, const char *ref,
                         genlab_config *cfg, cli_run_record *out, const cli_sampler_choice *c)
{
    run_load l = {.skip = c && c->sampler ? "sampler." : NULL};
    int rc = load_run(help, s, ref, cfg, out, &l);
    if (rc != CLI_EXIT_OK || !c)
        return rc;
    char key[96];
    snprintf(key, sizeof key, "%s.sampler", l.trainer);
    if ((c->sampler && genlab_config_set(cfg, key, c->sampler, "--sampler") != GL_OK) ||
        (c->steps && genlab_config_set(cfg, "sampler.steps", c->steps, "--steps") != GL_OK))
        return cli_fail(help, "out of memory");
    return CLI_EXIT_OK;
}

bool cli_run_sampler(const genlab_config *cfg, const char **name, const char **steps)
{
    const char *trainer = genlab_config_str(cfg, "train.trainer");
    char key[96];
    snprintf(key, sizeof key, "%s.sampler", trainer ? trainer : "");
    *name = *steps = NULL;
    for (size_t i = 0; i < genlab_config_count(cfg); i++) {
        const genlab_config_item *it = genlab_config_item_at(cfg, i);
        if (!strcmp(it->key, key) && it->type_id == GL_PARAM_COMPONENT)
            *name = it->value;
        else if (!strcmp(it->key, "sampler.steps"))
            *steps = it->value;
    }
    return *name != NULL;
}
