/* SPDX-License-Identifier: MIT
 *
 * config.c — declared parameters, their values from INI files (libinih) and
 * command-line overrides, validation with one message listing every
 * problem, typed getters, and the resolved values as items and JSON
 * (jansson).
 *
 * It does not load plugins (plugin_loader.c) nor create components: it
 * only declares a bound component's parameters and hands out the views a
 * component's create() reads.
 *
 * Model: a root configuration holds keys (declared parameters, each with
 * its definition and, after resolve, its value), raws (every key=value
 * seen, with its origin and a sequence number), scopes (declared by the core
 * or bound to a component, each with a view) and problems (each with the
 * sequence number of what caused it, so the final message follows the order
 * of the input). Resolution binds components, then validates, then sorts
 * the keys so that every scope's keys are one contiguous range.
 *
 * Sections: names and values, definitions, configuration objects, building,
 * INI files (also read by sweep.c), resolution, getters, enumeration.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>
#include <jansson.h>

#include "plugin_impl.h"

/* ---- names and values ---- */

const char *genlab_param_type_name(genlab_param_type type)
{
    switch (type) {
    case GL_PARAM_INT:       return "int";
    case GL_PARAM_FLOAT:     return "float";
    case GL_PARAM_BOOL:      return "bool";
    case GL_PARAM_STRING:    return "string";
    case GL_PARAM_ENUM:      return "enum";
    case GL_PARAM_COMPONENT: return "component";
    }
    return "?";
}

bool gl_name_ok(const char *name)
{
    if (!(*name >= 'a' && *name <= 'z'))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return true;
}

bool gl_scope_ok(const char *scope)
{
    char seg[256];
    for (const char *p = scope;;) {
        size_t len = strcspn(p, ".");
        if (len == 0 || len >= sizeof seg)
            return false;
        memcpy(seg, p, len);
        seg[len] = '\0';
        if (!gl_name_ok(seg))
            return false;
        if (!p[len])
            return true;
        p += len + 1;
    }
}

/* parse_int / parse_float — the whole text, nothing else (no spaces). */
static bool parse_int(const char *s, int64_t *out, bool *overflow)
{
    char *end;
    *overflow = false;
    if (!(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')))
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end)
        return false;
    *overflow = errno == ERANGE;
    *out = v;
    return !*overflow;
}

static bool parse_float(const char *s, double *out)
{
    char *end;
    if (!*s || *s == ' ' || *s == '\t')
        return false;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                               "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i]))
            return *out = true, true;
        if (!strcasecmp(s, no[i]))
            return *out = false, true;
    }
    return false;
}

/* range_text — "[a, b]", ">= a" or "<= b" for messages. */
static void range_text(const genlab_param_def *d, char *buf, size_t n)
{
    if (d->min && d->max)
        snprintf(buf, n, "[%s, %s]", d->min, d->max);
    else if (d->min)
        snprintf(buf, n, ">= %s", d->min);
    else
        snprintf(buf, n, "<= %s", d->max ? d->max : "?");
}

/* choices_text — "a, b, c" into buf. */
static void choices_text(const genlab_param_def *d, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *c = d->choices; c && *c && used < n; c++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", c == d->choices ? "" : ", ", *c);
}

bool gl_param_parse(const genlab_param_def *d, const char *text, gl_value *v, char *why,
                    size_t n)
{
    char range[128];
    bool overflow;
    switch (d->type) {
    case GL_PARAM_INT: {
        int64_t lo, hi;
        if (!parse_int(text, &v->i, &overflow)) {
            snprintf(why, n, overflow ? "too large for a 64-bit integer" : "expected an integer");
            return false;
        }
        if ((d->min && parse_int(d->min, &lo, &overflow) && v->i < lo) ||
            (d->max && parse_int(d->max, &hi, &overflow) && v->i > hi)) {
            range_text(d, range, sizeof range);
            snprintf(why, n, "out of range (allowed: %s)", range);
            return false;
        }
        return true;
    }
    case GL_PARAM_FLOAT: {
        double lo, hi;
        if (!parse_float(text, &v->f)) {
            snprintf(why, n, "expected a finite float");
            return false;
        }
        if ((d->min && parse_float(d->min, &lo) && v->f < lo) ||
            (d->max && parse_float(d->max, &hi) && v->f > hi)) {
            range_text(d, range, sizeof range);
            snprintf(why, n, "out of range (allowed: %s)", range);
            return false;
        }
        return true;
    }
    case GL_PARAM_BOOL:
        if (!parse_bool(text, &v->b)) {
            snprintf(why, n, "expected a bool (true/false, yes/no, on/off, 1/0)");
            return false;
        }
        return true;
    case GL_PARAM_STRING:
        return true;
    case GL_PARAM_ENUM:
        for (const char *const *c = d->choices; c && *c; c++)
            if (!strcmp(*c, text))
                return true;
        choices_text(d, range, sizeof range);
        snprintf(why, n, "not an allowed value (allowed: %s)", range);
        return false;
    case GL_PARAM_COMPONENT:
        if (!*text && d->def && !*d->def)
            return true;   /* an optional component (default ""): none chosen */
        if (!gl_name_ok(text)) {
            snprintf(why, n, "not a component name");
            return false;
        }
        return true;
    }
    snprintf(why, n, "unknown parameter type %d", (int)d->type);
    return false;
}

/* ---- definitions ---- */

bool gl_param_def_check(const genlab_param_def *d, char *why, size_t n)
{
    if (!d->name || !gl_name_ok(d->name)) {
        snprintf(why, n, "parameter name \"%s\" is not one segment of [a-z0-9_-] starting with "
                 "a letter", d->name ? d->name : "(null)");
        return false;
    }
    if ((unsigned)d->type > GL_PARAM_COMPONENT) {
        snprintf(why, n, "parameter \"%s\": unknown type %d", d->name, (int)d->type);
        return false;
    }
    if (!d->help) {
        snprintf(why, n, "parameter \"%s\": help is NULL", d->name);
        return false;
    }
    bool numeric = d->type == GL_PARAM_INT || d->type == GL_PARAM_FLOAT;
    if ((d->min || d->max) && !numeric) {
        snprintf(why, n, "parameter \"%s\": min/max apply to int and float only", d->name);
        return false;
    }
    genlab_param_def open = *d;   /* the bounds themselves, unbounded */
    open.min = open.max = NULL;
    gl_value lo = {0}, hi = {0};
    char sub[200];
    if ((d->min && !gl_param_parse(&open, d->min, &lo, sub, sizeof sub)) ||
        (d->max && !gl_param_parse(&open, d->max, &hi, sub, sizeof sub))) {
        snprintf(why, n, "parameter \"%s\": bound: %s", d->name, sub);
        return false;
    }
    if (d->min && d->max &&
        (d->type == GL_PARAM_INT ? lo.i > hi.i : lo.f > hi.f)) {
        snprintf(why, n, "parameter \"%s\": min %s > max %s", d->name, d->min, d->max);
        return false;
    }
    if (d->type == GL_PARAM_ENUM && (!d->choices || !d->choices[0])) {
        snprintf(why, n, "parameter \"%s\": enum without choices", d->name);
        return false;
    }
    if (d->type == GL_PARAM_COMPONENT && (unsigned)d->kind >= GL_KIND_COUNT) {
        snprintf(why, n, "parameter \"%s\": unknown component kind %d", d->name, (int)d->kind);
        return false;
    }
    gl_value v;
    if (d->def && !gl_param_parse(d, d->def, &v, sub, sizeof sub)) {
        snprintf(why, n, "parameter \"%s\": default \"%s\": %s", d->name, d->def, sub);
        return false;
    }
    return true;
}

/* ---- configuration objects ---- */

typedef enum gl_source {
    GL_SRC_DEFAULT = 0,
    GL_SRC_FILE    = 1,
    GL_SRC_ARGS    = 2   /* wins over files */
} gl_source;

typedef struct gl_key {
    char                   *key;     /* "loss.gp_weight" */
    genlab_param_def        def;     /* copy; strings are the declarer's static data */
    const genlab_component *owner;   /* component whose table declared it; NULL: core */
    gl_value                v;       /* resolved value */
    char                   *text;    /* canonical text of v */
    genlab_config_item      item;
} gl_key;

typedef struct gl_raw {
    char     *key, *value, *origin;
    gl_source src;
    size_t    seq;
} gl_raw;

typedef struct gl_problem {
    size_t seq;                      /* of its cause; SIZE_MAX for missing values */
    char  *text;
} gl_problem;

typedef struct gl_scope {
    char                   *name;
    const genlab_component *comp;    /* NULL: declared by the core */
    const char             *bound_by;   /* the key that bound it (a gl_key's) */
    genlab_config          *view;
} gl_scope;

struct genlab_config {
    genlab_config *root;             /* itself for a root */
    const char    *prefix;           /* view: its scope's name; root: NULL */
    size_t         first, count;     /* view: its keys in the sorted array */

    /* root only */
    gl_key          *keys;
    size_t           n_keys, cap_keys;
    gl_raw          *raws;
    size_t           n_raws, cap_raws;
    gl_scope        *scopes;
    size_t           n_scopes, cap_scopes;
    gl_problem      *probs;
    size_t           n_probs, cap_probs;
    char           **dead;           /* scopes whose component was not found */
    size_t           n_dead, cap_dead;
    size_t           seq;
    genlab_registry *reg;
    bool             attempted;      /* resolve was called (it runs once) */
    bool             resolved;       /* ... and succeeded */
    genlab_status    status;         /* sticky: failed resolve or getter */
    gl_buf           msg;
};

genlab_status genlab_config_create(genlab_config **out)
{
    if (!out)
        return GL_ERR_INVALID;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return GL_ERR_NOMEM;
    (*out)->root = *out;
    return GL_OK;
}

void genlab_config_destroy(genlab_config *cfg)
{
    if (!cfg || cfg->root != cfg)
        return;
    for (size_t i = 0; i < cfg->n_keys; i++) {
        free(cfg->keys[i].key);
        free(cfg->keys[i].text);
    }
    for (size_t i = 0; i < cfg->n_raws; i++) {
        free(cfg->raws[i].key);
        free(cfg->raws[i].value);
        free(cfg->raws[i].origin);
    }
    for (size_t i = 0; i < cfg->n_scopes; i++) {
        free(cfg->scopes[i].name);
        free(cfg->scopes[i].view);
    }
    for (size_t i = 0; i < cfg->n_probs; i++)
        free(cfg->probs[i].text);
    for (size_t i = 0; i < cfg->n_dead; i++)
        free(cfg->dead[i]);
    free(cfg->keys);
    free(cfg->raws);
    free(cfg->scopes);
    free(cfg->probs);
    free(cfg->dead);
    gl_buf_free(&cfg->msg);
    free(cfg);
}

const char *genlab_config_errmsg(const genlab_config *cfg)
{
    const genlab_config *root = cfg->root;
    return root->msg.oom ? "out of memory while writing the message" : gl_buf_str(&root->msg);
}

genlab_status genlab_config_status(const genlab_config *cfg) { return cfg->root->status; }

/* set_msg — replace the message (for calls that fail on their own). */
static genlab_status set_msg(genlab_config *root, genlab_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static genlab_status set_msg(genlab_config *root, genlab_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gl_buf_clear(&root->msg);
    gl_buf_vprintf(&root->msg, fmt, ap);
    va_end(ap);
    return st;
}

/* sticky — a getter's complaint: the first one stays (status and message). */
static void sticky(genlab_config *root, genlab_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sticky(genlab_config *root, genlab_status st, const char *fmt, ...)
{
    if (root->status != GL_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    root->status = st;
    gl_buf_clear(&root->msg);
    gl_buf_vprintf(&root->msg, fmt, ap);
    va_end(ap);
}

/* problem — one line of resolve's message, ordered by seq. */
static genlab_status problem(genlab_config *root, size_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static genlab_status problem(genlab_config *root, size_t seq, const char *fmt, ...)
{
    gl_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    gl_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (b.oom || !gl_grow((void **)&root->probs, &root->cap_probs, root->n_probs + 1,
                          sizeof *root->probs)) {
        gl_buf_free(&b);
        return GL_ERR_NOMEM;
    }
    root->probs[root->n_probs++] = (gl_problem){seq, b.s};
    return GL_OK;
}

static char *join_key(const char *scope, const char *name)
{
    gl_buf b = {0};
    gl_buf_printf(&b, "%s%s%s", scope ? scope : "", scope && *scope ? "." : "", name);
    if (b.oom)
        gl_buf_free(&b);
    return b.s;
}

static gl_key *find_key(const genlab_config *root, const char *key)
{
    for (size_t i = 0; i < root->n_keys; i++)
        if (!strcmp(root->keys[i].key, key))
            return &root->keys[i];
    return NULL;
}

static gl_scope *find_scope(const genlab_config *root, const char *name)
{
    for (size_t i = 0; i < root->n_scopes; i++)
        if (!strcmp(root->scopes[i].name, name))
            return &root->scopes[i];
    return NULL;
}

static genlab_status add_scope(genlab_config *root, const char *name,
                               const genlab_component *comp, const char *bound_by)
{
    char *copy = strdup(name);
    if (!copy || !gl_grow((void **)&root->scopes, &root->cap_scopes, root->n_scopes + 1,
                          sizeof *root->scopes)) {
        free(copy);
        return GL_ERR_NOMEM;
    }
    root->scopes[root->n_scopes++] = (gl_scope){copy, comp, bound_by, NULL};
    return GL_OK;
}

/* add_key — declare scope.def->name; GL_ERR_INVALID if already declared. */
static genlab_status add_key(genlab_config *root, const char *scope, const genlab_param_def *d,
                             const genlab_component *owner)
{
    char *key = join_key(scope, d->name);
    if (!key)
        return GL_ERR_NOMEM;
    if (find_key(root, key)) {
        set_msg(root, GL_ERR_INVALID, "genlab_config_declare: \"%s\" is declared twice", key);
        free(key);
        return GL_ERR_INVALID;
    }
    if (!gl_grow((void **)&root->keys, &root->cap_keys, root->n_keys + 1, sizeof *root->keys)) {
        free(key);
        return GL_ERR_NOMEM;
    }
    root->keys[root->n_keys++] = (gl_key){.key = key, .def = *d, .owner = owner};
    return GL_OK;
}

/* ---- building ---- */

/* building — the checks every building call starts with. */
static genlab_status building(genlab_config *cfg, const char *fn)
{
    if (cfg->root != cfg)
        return set_msg(cfg->root, GL_ERR_INVALID, "%s: a scope view cannot be changed", fn);
    if (cfg->attempted)
        return set_msg(cfg, GL_ERR_STATE, "%s: resolve was already called", fn);
    return GL_OK;
}

genlab_status genlab_config_declare(genlab_config *cfg, const char *scope,
                                    const genlab_param_def *defs, size_t n)
{
    genlab_status st = building(cfg, "genlab_config_declare");
    if (st != GL_OK)
        return st;
    if (!scope || !gl_scope_ok(scope))
        return set_msg(cfg, GL_ERR_INVALID,
                       "genlab_config_declare: scope \"%s\" is not dotted segments of "
                       "[a-z0-9_-]", scope ? scope : "(null)");
    char why[512];
    for (size_t i = 0; i < n; i++)
        if (!gl_param_def_check(&defs[i], why, sizeof why))
            return set_msg(cfg, GL_ERR_INVALID, "genlab_config_declare: scope \"%s\": %s",
                           scope, why);
    if (!find_scope(cfg, scope) && (st = add_scope(cfg, scope, NULL, NULL)) != GL_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if ((st = add_key(cfg, scope, &defs[i], NULL)) != GL_OK)
            return st;
    return GL_OK;
}

/* add_raw — record one key=value from a source (copies everything). */
static genlab_status add_raw(genlab_config *root, const char *key, const char *value,
                             const char *origin, gl_source src)
{
    gl_raw r = {strdup(key), strdup(value), strdup(origin), src, root->seq++};
    if (!r.key || !r.value || !r.origin ||
        !gl_grow((void **)&root->raws, &root->cap_raws, root->n_raws + 1, sizeof *root->raws)) {
        free(r.key);
        free(r.value);
        free(r.origin);
        return GL_ERR_NOMEM;
    }
    root->raws[root->n_raws++] = r;
    return GL_OK;
}

genlab_status genlab_config_set(genlab_config *cfg, const char *key, const char *value,
                                const char *origin)
{
    genlab_status st = building(cfg, "genlab_config_set");
    if (st != GL_OK)
        return st;
    if (!key || !*key || !value)
        return set_msg(cfg, GL_ERR_INVALID, "genlab_config_set: empty key or NULL value");
    return add_raw(cfg, key, value, origin ? origin : "command line", GL_SRC_ARGS);
}

genlab_status genlab_config_set_args(genlab_config *cfg, int argc, const char *const *argv)
{
    genlab_status st = building(cfg, "genlab_config_set_args"), result = GL_OK;
    for (int i = 0; st == GL_OK && i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            st = problem(cfg, cfg->seq++, "command line: \"%s\" is not key=value", argv[i]);
            result = GL_ERR_FORMAT;
            continue;
        }
        char *key = strndup(argv[i], (size_t)(eq - argv[i]));
        st = key ? add_raw(cfg, key, eq + 1, "command line", GL_SRC_ARGS) : GL_ERR_NOMEM;
        free(key);
    }
    return st != GL_OK ? st : result;
}

/* ---- INI files ---- */

/* libinih reports only the first malformed line, so lines are fed to it
 * through a reader that sees each line after inih has processed it: a line
 * with content (not blank, not a comment, not a complete [section]) for
 * which inih called no handler is malformed. */
typedef struct ini_state {
    FILE         *f;
    char         *line;        /* the current line (getline buffer) */
    size_t        cap;
    int           lineno;
    bool          handled;     /* inih called the handler for this line */
    bool          bad;         /* some line was malformed */
    bool          stopped;     /* a callback ran out of memory */
    gl_ini_value_fn on_value;
    gl_ini_bad_fn   on_bad;
    void         *user;
} ini_state;

static void ini_bad(ini_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ini_bad(ini_state *s, const char *fmt, ...)
{
    char what[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    s->bad = true;
    if (!s->on_bad(s->user, s->lineno, what))
        s->stopped = true;
}

static void ini_check_line(ini_state *s)
{
    if (s->lineno == 0 || s->handled)
        return;
    const char *p = s->line;
    if (s->lineno == 1 && !strncmp(p, "\xEF\xBB\xBF", 3))
        p += 3;   /* UTF-8 byte-order mark */
    p += strspn(p, " \t\r\n");
    if (!*p || *p == ';' || *p == '#' || (*p == '[' && strchr(p, ']')))
        return;
    ini_bad(s, "malformed line \"%.*s\" (expected \"key = value\" or \"[section]\")",
            (int)strcspn(p, "\r\n"), p);
}

static char *ini_next_line(char *str, int num, void *stream)
{
    ini_state *s = stream;
    ini_check_line(s);
    if (s->stopped)
        return NULL;
    ssize_t n = getline(&s->line, &s->cap, s->f);
    if (n < 0)
        return NULL;
    s->lineno++;
    s->handled = false;
    if (n + 1 > num) {
        s->handled = true;    /* reported here, not as malformed */
        ini_bad(s, "line longer than %d characters", num - 2);
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    memcpy(str, s->line, (size_t)n + 1);
    return str;
}

static int ini_on_value(void *user, const char *section, const char *name, const char *value)
{
    ini_state *s = user;
    s->handled = true;
    if (!*name)
        ini_bad(s, "malformed line: empty key");
    else if (!s->on_value(s->user, section, name, value, s->lineno))
        s->stopped = true;
    return !s->stopped;
}

genlab_status gl_ini_parse(const char *path, gl_ini_value_fn on_value, gl_ini_bad_fn on_bad,
                           void *user)
{
    ini_state s = {.on_value = on_value, .on_bad = on_bad, .user = user};
    if (!(s.f = fopen(path, "r")))
        return GL_ERR_IO;
    int first_error = ini_parse_stream(ini_next_line, &s, ini_on_value, &s);
    int saved = errno;
    fclose(s.f);
    free(s.line);
    errno = saved;
    if (!s.stopped && first_error > 0 && !s.bad) {   /* inih saw an error our reader did not */
        s.lineno = first_error;
        ini_bad(&s, "malformed line");
    }
    if (s.stopped)
        return GL_ERR_NOMEM;
    return s.bad ? GL_ERR_FORMAT : GL_OK;
}

/* What the configuration's INI callbacks need. */
typedef struct cfg_ini {
    genlab_config *cfg;
    const char    *path;
} cfg_ini;

static bool cfg_ini_value(void *user, const char *section, const char *name, const char *value,
                          int lineno)
{
    cfg_ini *c = user;
    char origin[4096 + 32];
    snprintf(origin, sizeof origin, "%s:%d", c->path, lineno);
    char *key = join_key(section, name);
    bool ok = key && add_raw(c->cfg, key, value, origin, GL_SRC_FILE) == GL_OK;
    free(key);
    return ok;
}

static bool cfg_ini_bad(void *user, int lineno, const char *what)
{
    cfg_ini *c = user;
    return problem(c->cfg, c->cfg->seq++, "%s:%d: %s", c->path, lineno, what) == GL_OK;
}

genlab_status genlab_config_load_ini(genlab_config *cfg, const char *path)
{
    genlab_status st = building(cfg, "genlab_config_load_ini");
    if (st != GL_OK)
        return st;
    cfg_ini c = {cfg, path};
    st = gl_ini_parse(path, cfg_ini_value, cfg_ini_bad, &c);
    if (st == GL_ERR_IO) {
        const char *err = strerror(errno);
        if (problem(cfg, cfg->seq++, "%s: cannot read the configuration file: %s", path, err))
            return GL_ERR_NOMEM;
        return set_msg(cfg, GL_ERR_IO, "genlab_config_load_ini: cannot read \"%s\": %s", path,
                       err);
    }
    return st;
}

/* ---- resolution ---- */

/* effective_raw — the value that wins for key: command line over files,
 * then the latest. NULL when none was given. */
static const gl_raw *effective_raw(const genlab_config *root, const char *key)
{
    const gl_raw *best = NULL;
    for (size_t i = 0; i < root->n_raws; i++) {
        const gl_raw *r = &root->raws[i];
        if (!strcmp(r->key, key) && (!best || r->src > best->src ||
                                     (r->src == best->src && r->seq > best->seq)))
            best = r;
    }
    return best;
}

static bool is_dead(const genlab_config *root, const char *key)
{
    for (size_t i = 0; i < root->n_dead; i++) {
        size_t len = strlen(root->dead[i]);
        if (!strncmp(key, root->dead[i], len) && key[len] == '.')
            return true;
    }
    return false;
}

/* bind — follow component parameter keys[i]: declare the named component's
 * parameters under its scope. A name not found is reported by validate;
 * its scope is remembered so that keys under it are not also reported. */
static genlab_status bind(genlab_config *root, size_t i)
{
    const gl_key *k = &root->keys[i];
    const gl_raw *r = effective_raw(root, k->key);
    const char *value = r ? r->value : k->def.def;
    if (!value || !gl_name_ok(value))
        return GL_OK;
    const char *scope = k->def.flags & GL_PARAM_SCOPE_BY_NAME ? value : k->def.name;
    const genlab_component *c = root->reg ? genlab_registry_find(root->reg, k->def.kind, value)
                                          : NULL;
    if (!c) {
        char *dead = strdup(scope);
        if (!dead ||
            !gl_grow((void **)&root->dead, &root->cap_dead, root->n_dead + 1, sizeof *root->dead)) {
            free(dead);
            return GL_ERR_NOMEM;
        }
        root->dead[root->n_dead++] = dead;
        return GL_OK;
    }
    const gl_scope *s = find_scope(root, scope);
    if (s && s->comp == c)
        return GL_OK;   /* bound again by another parameter of the same name
                         * (diffusion.schedule and sampler.schedule): shared */
    if (s) {
        char owner[256];
        if (s->comp)
            snprintf(owner, sizeof owner, "%s \"%s\" (bound by %s)",
                     genlab_kind_name(s->comp->kind), s->comp->name, s->bound_by);
        else
            snprintf(owner, sizeof owner, "the core's own parameters");
        return problem(root, r ? r->seq : SIZE_MAX - 1,
                       "%s: %s = \"%s\": cannot bind %s \"%s\" under \"%s.*\": that scope "
                       "already holds %s",
                       r ? r->origin : "default", k->key, value, genlab_kind_name(c->kind),
                       value, scope, owner);
    }
    genlab_status st = add_scope(root, scope, c, k->key);
    genlab_param_def d;
    for (uint32_t j = 0; st == GL_OK && genlab_component_param(c, j, &d); j++)
        st = add_key(root, scope, &d, c);
    return st;
}

/* levenshtein — edit distance, for "did you mean". */
static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[256];
    if (lb >= sizeof row / sizeof row[0])
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *leaf(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? dot + 1 : key;
}

/* suggest — the declared key closest to an unknown one, or NULL. The same
 * name in another scope ("gp_weight" for "loss.gp_weight") counts as one
 * edit. Accepts up to a third of the key's length (at least 2) edits. */
static const char *suggest(const genlab_config *root, const char *key)
{
    size_t best = SIZE_MAX, limit = strlen(key) / 3 > 2 ? strlen(key) / 3 : 2;
    const char *found = NULL;
    for (size_t i = 0; i < root->n_keys; i++) {
        const char *k = root->keys[i].key;
        size_t d = levenshtein(key, k);
        if (!strcmp(leaf(key), leaf(k)) && d > 1)
            d = 1;
        if (d < best) {
            best = d;
            found = k;
        }
    }
    return best <= limit ? found : NULL;
}

/* validate — the value of keys[i] (given or default): parse, check, keep. */
static genlab_status validate(genlab_config *root, size_t i)
{
    gl_key *k = &root->keys[i];
    const gl_raw *r = effective_raw(root, k->key);
    const char *value = r ? r->value : k->def.def;
    const char *origin = r ? r->origin : "default";
    size_t seq = r ? r->seq : SIZE_MAX;
    char why[512];
    if (!value)
        return problem(root, seq, "%s: required, and no value was given (%s)", k->key,
                       k->def.help);
    if (!gl_param_parse(&k->def, value, &k->v, why, sizeof why))
        return problem(root, seq, "%s: %s = \"%s\": %s", origin, k->key, value, why);
    if (k->def.type == GL_PARAM_COMPONENT && *value) {
        if (!root->reg)
            return problem(root, seq, "%s: %s = \"%s\": no plugin registry to look it up in",
                           origin, k->key, value);
        if (!genlab_registry_find(root->reg, k->def.kind, value)) {
            gl_buf b = {0};
            gl_registry_missing(root->reg, k->def.kind, value, &b);
            genlab_status st = problem(root, seq, "%s: %s = \"%s\": %s", origin, k->key, value,
                                       gl_buf_str(&b));
            gl_buf_free(&b);
            return b.oom ? GL_ERR_NOMEM : st;
        }
    }
    k->item.origin = origin;
    return GL_OK;
}

/* canonical — the stored text of a value: integers in decimal, floats in
 * the shortest form that reads back to the same double, bools as
 * true/false, text as given. */
static char *canonical(const gl_key *k, const char *given)
{
    char buf[64];
    switch (k->def.type) {
    case GL_PARAM_INT:
        snprintf(buf, sizeof buf, "%" PRId64, k->v.i);
        return strdup(buf);
    case GL_PARAM_FLOAT:
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, k->v.f);
            if (strtod(buf, NULL) == k->v.f)
                break;
        }
        return strdup(buf);
    case GL_PARAM_BOOL:
        return strdup(k->v.b ? "true" : "false");
    default:
        return strdup(given);
    }
}

static int cmp_problem(const void *a, const void *b)
{
    const gl_problem *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const gl_key *)a)->key, ((const gl_key *)b)->key);
}

/* finish — after a clean validation: canonical texts, items, sorted keys,
 * one view per scope over its contiguous range of keys. */
static genlab_status finish(genlab_config *root)
{
    for (size_t i = 0; i < root->n_keys; i++) {
        gl_key *k = &root->keys[i];
        const gl_raw *r = effective_raw(root, k->key);
        if (!(k->text = canonical(k, r ? r->value : k->def.def)))
            return GL_ERR_NOMEM;
    }
    qsort(root->keys, root->n_keys, sizeof *root->keys, cmp_key);
    for (size_t i = 0; i < root->n_keys; i++) {
        gl_key *k = &root->keys[i];
        k->item = (genlab_config_item){k->key, k->text, genlab_param_type_name(k->def.type),
                                       k->item.origin, k->def.help, k->def.type};
    }
    for (size_t i = 0; i < root->n_scopes; i++) {
        gl_scope *s = &root->scopes[i];
        if (!(s->view = calloc(1, sizeof *s->view)))
            return GL_ERR_NOMEM;
        size_t len = strlen(s->name), first = root->n_keys, count = 0;
        for (size_t j = 0; j < root->n_keys; j++)
            if (!strncmp(root->keys[j].key, s->name, len) && root->keys[j].key[len] == '.' &&
                count++ == 0)
                first = j;
        *s->view = (genlab_config){.root = root, .prefix = s->name, .first = first,
                                   .count = count};
    }
    root->first = 0;
    root->count = root->n_keys;
    root->resolved = true;
    return GL_OK;
}

genlab_status genlab_config_resolve(genlab_config *cfg, genlab_registry *reg)
{
    genlab_status st = building(cfg, "genlab_config_resolve");
    if (st != GL_OK)
        return st;
    cfg->attempted = true;
    cfg->reg = reg;
    /* bound components append their keys: one pass reaches them all */
    for (size_t i = 0; st == GL_OK && i < cfg->n_keys; i++)
        if (cfg->keys[i].def.type == GL_PARAM_COMPONENT)
            st = bind(cfg, i);
    for (size_t i = 0; st == GL_OK && i < cfg->n_raws; i++) {
        const gl_raw *r = &cfg->raws[i];
        if (find_key(cfg, r->key) || is_dead(cfg, r->key))
            continue;
        const char *near = suggest(cfg, r->key);
        st = problem(cfg, r->seq, "%s: unknown key \"%s\"%s%s%s", r->origin, r->key,
                     near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
    }
    for (size_t i = 0; st == GL_OK && i < cfg->n_keys; i++)
        st = validate(cfg, i);
    if (st != GL_OK)
        return set_msg(cfg, st, "genlab_config_resolve: out of memory");
    if (cfg->n_probs) {
        qsort(cfg->probs, cfg->n_probs, sizeof *cfg->probs, cmp_problem);
        gl_buf_clear(&cfg->msg);
        gl_buf_printf(&cfg->msg, "%zu problem%s in the configuration:", cfg->n_probs,
                      cfg->n_probs == 1 ? "" : "s");
        for (size_t i = 0; i < cfg->n_probs; i++)
            gl_buf_printf(&cfg->msg, "\n  %s", cfg->probs[i].text);
        cfg->status = GL_ERR_INVALID;
        return GL_ERR_INVALID;
    }
    if ((st = finish(cfg)) != GL_OK)
        return set_msg(cfg, st, "genlab_config_resolve: out of memory");
    gl_buf_clear(&cfg->msg);
    return GL_OK;
}

/* ---- getters ---- */

static int cmp_key_str(const void *key, const void *elem)
{
    return strcmp(key, ((const gl_key *)elem)->key);
}

/* lookup — the resolved key `name` relative to the view, checked to be of
 * one of the types wanted (a bit set of 1 << type). fn names the getter. */
static const gl_key *lookup(const genlab_config *cfg, const char *name, unsigned want,
                            const char *fn)
{
    genlab_config *root = cfg->root;
    if (!root->resolved) {
        sticky(root, GL_ERR_STATE, "%s: the configuration is not resolved", fn);
        return NULL;
    }
    char *key = join_key(cfg->prefix, name ? name : "");
    if (!key) {
        sticky(root, GL_ERR_NOMEM, "%s: out of memory", fn);
        return NULL;
    }
    const gl_key *k = bsearch(key, root->keys, root->n_keys, sizeof *root->keys, cmp_key_str);
    if (!k)
        sticky(root, GL_ERR_INVALID, "%s: no parameter \"%s\" is declared", fn, key);
    else if (!(want & 1u << k->def.type))
        sticky(root, GL_ERR_INVALID, "%s: \"%s\" is a parameter of type %s", fn, key,
               genlab_param_type_name(k->def.type));
    free(key);
    return k && want & 1u << k->def.type ? k : NULL;
}

int64_t genlab_config_int(const genlab_config *cfg, const char *key)
{
    const gl_key *k = lookup(cfg, key, 1u << GL_PARAM_INT, __func__);
    return k ? k->v.i : 0;
}

double genlab_config_float(const genlab_config *cfg, const char *key)
{
    const gl_key *k = lookup(cfg, key, 1u << GL_PARAM_FLOAT, __func__);
    return k ? k->v.f : NAN;
}

bool genlab_config_bool(const genlab_config *cfg, const char *key)
{
    const gl_key *k = lookup(cfg, key, 1u << GL_PARAM_BOOL, __func__);
    return k ? k->v.b : false;
}

const char *genlab_config_str(const genlab_config *cfg, const char *key)
{
    const gl_key *k = lookup(cfg, key,
                             1u << GL_PARAM_STRING | 1u << GL_PARAM_ENUM | 1u << GL_PARAM_COMPONENT,
                             __func__);
    return k ? k->text : NULL;
}

const genlab_config *genlab_config_scope(const genlab_config *cfg, const char *scope)
{
    const gl_scope *s = scope ? find_scope(cfg->root, scope) : NULL;
    return s ? s->view : NULL;
}

const genlab_config *genlab_config_root(const genlab_config *cfg) { return cfg->root; }

genlab_status genlab_config_component(const genlab_config *cfg, const char *ref,
                                      genlab_component_kind kind,
                                      const genlab_component **comp,
                                      const genlab_config **scope)
{
    *comp = NULL;
    *scope = NULL;
    const gl_key *k = lookup(cfg, ref, 1u << GL_PARAM_COMPONENT, __func__);
    if (!k)
        return GL_ERR_INVALID;
    if (k->def.kind != kind) {
        sticky(cfg->root, GL_ERR_INVALID, "%s: \"%s\" names a component of kind %s, not %s",
               __func__, k->key, genlab_kind_name(k->def.kind), genlab_kind_name(kind));
        return GL_ERR_INVALID;
    }
    if (!*k->text)
        return GL_OK;   /* an optional component left empty */
    const gl_scope *s =
        find_scope(cfg->root, k->def.flags & GL_PARAM_SCOPE_BY_NAME ? k->text : k->def.name);
    if (!s || !s->comp) {   /* a successful resolve bound every component parameter */
        sticky(cfg->root, GL_ERR_STATE, "%s: \"%s\" is not bound", __func__, k->key);
        return GL_ERR_STATE;
    }
    *comp = s->comp;
    *scope = s->view;
    return GL_OK;
}

/* ---- enumeration ---- */

size_t genlab_config_count(const genlab_config *cfg)
{
    return cfg->root->resolved ? cfg->count : 0;
}

const genlab_config_item *genlab_config_item_at(const genlab_config *cfg, size_t i)
{
    if (!cfg->root->resolved || i >= cfg->count)
        return NULL;
    return &cfg->root->keys[cfg->first + i].item;
}

char *genlab_config_json(const genlab_config *cfg)
{
    if (!cfg->root->resolved)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; o && i < cfg->count; i++) {
        const gl_key *k = &cfg->root->keys[cfg->first + i];
        json_t *v;
        switch (k->def.type) {
        case GL_PARAM_INT:   v = json_integer((json_int_t)k->v.i); break;
        case GL_PARAM_FLOAT: v = json_real(k->v.f); break;
        case GL_PARAM_BOOL:  v = json_boolean(k->v.b); break;
        default:             v = json_string(k->text); break;
        }
        if (!v || json_object_set_new(o, k->key, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    char *text = o ? json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}
