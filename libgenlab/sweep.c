/* SPDX-License-Identifier: MIT
 *
 * sweep.c — a sweep file read (libinih, through config.c's line-numbered
 * reader), checked and expanded into points with their canonical JSON
 * (sweep.h has the format and the rules).
 *
 * It runs nothing and knows no store: a point is the "key=value"
 * arguments that make it from the base config, checked by resolving the
 * configuration genlab train would build (genlab_run_declare, the base
 * config, the arguments) against the registry. The first problem found
 * ends the load; its message names the file and line.
 *
 * Sections: the sweep object, values, reading the file, checking,
 * points, the public API.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "genlab/rng.h"
#include "genlab/run.h"
#include "genlab/sweep.h"
#include "plugin_impl.h"

/* ---- the sweep object ---- */

/* Bounds on what one file may ask for: far above any real sweep, low
 * enough that the counts and the duplicate check stay cheap. */
#define SW_MAX_POINTS 100000
#define SW_MAX_SEEDS  10000

typedef enum sw_dist {
    SW_LIST = 0,      /* a grid's values, or a choice */
    SW_UNIFORM,
    SW_LOGUNIFORM,
    SW_INT
} sw_dist;

/* One swept key. */
typedef struct sw_param {
    char    *key;
    int      line;
    bool     random;      /* from [random], else [grid] */
    sw_dist  dist;
    char   **values;      /* SW_LIST: the values, trimmed */
    size_t   n_values;
    char    *lo_text, *hi_text;   /* the distributions' ends as written */
    double   lo, hi;
} sw_param;

/* One [fixed] value. */
typedef struct sw_fixed {
    char *key, *value;
    int   line;
} sw_fixed;

typedef struct sw_point {
    genlab_sweep_point pub;
    char             **args;   /* pub.args, owned */
} sw_point;

/* The [score] section: the public view and what it owns. */
typedef struct sw_score {
    genlab_sweep_score pub;
    bool               given;    /* the file has a [score] section */
    int                line;     /* its first key's line */
    char              *metric;
    char             **args;     /* pub.args */
} sw_score;

struct genlab_sweep {
    char         *path;
    char         *name, *config;
    int           name_line, config_line, seeds_line, mode_line, samples_line, rseed_line;
    bool          random;           /* mode = random */
    int64_t       samples;
    uint64_t      random_seed;
    int64_t      *seeds;
    size_t        n_seeds;
    sw_param     *params;
    size_t        n_params, cap_params;
    sw_fixed     *fixed;
    size_t        n_fixed, cap_fixed;
    sw_point     *points;
    size_t        n_points, cap_points;
    sw_score      score;
    genlab_registry *reg;
    genlab_status st;               /* the first problem's */
    gl_buf        msg;
};

/* fail — record the first problem: "PATH:LINE: ..." (line 0: "PATH: ...").
 * Later problems are dropped. Returns the recorded status. */
static genlab_status fail(genlab_sweep *s, genlab_status st, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static genlab_status fail(genlab_sweep *s, genlab_status st, int line, const char *fmt, ...)
{
    if (s->st != GL_OK)
        return s->st;
    s->st = st;
    gl_buf_clear(&s->msg);
    if (line > 0)
        gl_buf_printf(&s->msg, "%s:%d: ", s->path, line);
    else
        gl_buf_printf(&s->msg, "%s: ", s->path);
    va_list ap;
    va_start(ap, fmt);
    gl_buf_vprintf(&s->msg, fmt, ap);
    va_end(ap);
    if (s->msg.oom)
        s->st = GL_ERR_NOMEM;
    return s->st;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- values ---- */

/* parse_i64 — all of text (spaces around allowed) as an integer in
 * [min, max] */
static bool parse_i64(const char *text, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    end += strspn(end, " \t");
    if (end == text || *end || errno || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    end += strspn(end, " \t");
    if (end == text || *end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* split_list — the comma-separated items of text[0..len), each trimmed,
 * into *out (n items). Returns GL_OK; GL_ERR_FORMAT when an item is empty
 * (or the list); GL_ERR_NOMEM. *out is NULL after a failure. */
static genlab_status split_list(const char *text, size_t len, char ***out, size_t *n)
{
    size_t count = 1;
    for (size_t i = 0; i < len; i++)
        count += text[i] == ',';
    *n = 0;
    if (!(*out = calloc(count, sizeof **out)))
        return GL_ERR_NOMEM;
    genlab_status st = GL_OK;
    for (size_t start = 0; st == GL_OK && *n < count; (*n)++) {
        size_t end = start;
        while (end < len && text[end] != ',')
            end++;
        size_t a = start, b = end;
        while (a < b && (text[a] == ' ' || text[a] == '\t'))
            a++;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t'))
            b--;
        if (a == b)
            st = GL_ERR_FORMAT;
        else if (!((*out)[*n] = strndup(text + a, b - a)))
            st = GL_ERR_NOMEM;
        start = end + 1;
    }
    if (st != GL_OK) {
        free_strings(*out, *n);
        *out = NULL, *n = 0;
    }
    return st;
}

/* The distributions of [random], by the name before their '('. */
static const struct {
    const char *name;
    sw_dist     dist;
} dists[] = {
    {"uniform", SW_UNIFORM}, {"loguniform", SW_LOGUNIFORM}, {"int", SW_INT}, {"choice", SW_LIST},
};

/* ---- reading the file ---- */

/* parse_seeds — "a..b" (both included) or "a, b, c" */
static genlab_status parse_seeds(genlab_sweep *s, const char *text, int line)
{
    const char *dots = strstr(text, "..");
    int64_t a, b;
    char head[32];
    if (dots) {
        int n = (int)(dots - text);
        snprintf(head, sizeof head, "%.*s", n < 31 ? n : 31, text);
        if (!parse_i64(head, 0, INT64_MAX, &a) || !parse_i64(dots + 2, 0, INT64_MAX, &b))
            return fail(s, GL_ERR_FORMAT, line, "seeds = \"%s\": expected a range A..B of "
                        "integers >= 0", text);
        if (b < a)
            return fail(s, GL_ERR_FORMAT, line, "seeds = \"%s\": the range ends before it "
                        "starts", text);
        if (b - a >= SW_MAX_SEEDS)
            return fail(s, GL_ERR_FORMAT, line, "seeds = \"%s\": more than %d seeds", text,
                        SW_MAX_SEEDS);
        if (!(s->seeds = malloc((size_t)(b - a + 1) * sizeof *s->seeds)))
            return GL_ERR_NOMEM;
        for (int64_t v = a; v <= b; v++)
            s->seeds[s->n_seeds++] = v;
        return GL_OK;
    }
    char **items;
    size_t n;
    genlab_status st = split_list(text, strlen(text), &items, &n);
    if (st == GL_ERR_NOMEM)
        return st;
    if (st != GL_OK || n > SW_MAX_SEEDS)
        st = fail(s, GL_ERR_FORMAT, line, "seeds = \"%s\": expected A..B or a list of integers "
                  ">= 0 (at most %d)", text, SW_MAX_SEEDS);
    else if (!(s->seeds = malloc(n * sizeof *s->seeds)))
        st = GL_ERR_NOMEM;
    for (size_t i = 0; st == GL_OK && i < n; i++) {
        if (!parse_i64(items[i], 0, INT64_MAX, &s->seeds[i]))
            st = fail(s, GL_ERR_FORMAT, line, "seeds: \"%s\" is not an integer >= 0", items[i]);
        for (size_t j = 0; st == GL_OK && j < i; j++)
            if (s->seeds[j] == s->seeds[i])
                st = fail(s, GL_ERR_FORMAT, line, "seeds: %s is listed twice", items[i]);
        s->n_seeds = i + 1;
    }
    free_strings(items, n);
    return st;
}

/* set_once — a [sweep] key's text, refused when given twice */
static genlab_status set_once(genlab_sweep *s, char **dst, int *dst_line, const char *key,
                              const char *value, int line)
{
    if (*dst_line)
        return fail(s, GL_ERR_FORMAT, line, "[sweep] %s is given twice (first on line %d)", key,
                    *dst_line);
    *dst_line = line;
    if (dst && !(*dst = strdup(value)))
        return GL_ERR_NOMEM;
    return GL_OK;
}

static genlab_status sweep_key(genlab_sweep *s, const char *key, const char *value, int line)
{
    int64_t v;
    if (!strcmp(key, "name")) {
        genlab_status st = set_once(s, &s->name, &s->name_line, key, value, line);
        if (st == GL_OK && (!*value || strspn(value, "abcdefghijklmnopqrstuvwxyz"
                                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
                                               != strlen(value) || *value == '.'))
            st = fail(s, GL_ERR_FORMAT, line, "name = \"%s\": use letters, digits, '.', '_' "
                      "and '-' (it names files), not starting with '.'", value);
        return st;
    }
    if (!strcmp(key, "config"))
        return set_once(s, &s->config, &s->config_line, key, value, line);
    if (!strcmp(key, "seeds")) {
        genlab_status st = set_once(s, NULL, &s->seeds_line, key, value, line);
        return st == GL_OK ? parse_seeds(s, value, line) : st;
    }
    if (!strcmp(key, "mode")) {
        genlab_status st = set_once(s, NULL, &s->mode_line, key, value, line);
        if (st == GL_OK && strcmp(value, "grid") && strcmp(value, "random"))
            st = fail(s, GL_ERR_FORMAT, line, "mode = \"%s\": expected grid or random", value);
        s->random = !strcmp(value, "random");
        return st;
    }
    if (!strcmp(key, "samples")) {
        genlab_status st = set_once(s, NULL, &s->samples_line, key, value, line);
        if (st == GL_OK && !parse_i64(value, 1, SW_MAX_POINTS, &s->samples))
            st = fail(s, GL_ERR_FORMAT, line, "samples = \"%s\": expected an integer in [1, %d]",
                      value, SW_MAX_POINTS);
        return st;
    }
    if (!strcmp(key, "random_seed")) {
        genlab_status st = set_once(s, NULL, &s->rseed_line, key, value, line);
        if (st != GL_OK)
            return st;
        if (!parse_i64(value, 0, INT64_MAX, &v))
            return fail(s, GL_ERR_FORMAT, line, "random_seed = \"%s\": expected an integer >= 0",
                        value);
        s->random_seed = (uint64_t)v;
        return st;
    }
    return fail(s, GL_ERR_FORMAT, line, "unknown key \"%s\" in [sweep] (known: name, config, "
                "seeds, mode, samples, random_seed)", key);
}

/* parse_dist — "name(a, b, ...)" into p; false (nothing set) when value
 * is not of that form, which makes it a plain list */
static genlab_status parse_dist(genlab_sweep *s, sw_param *p, const char *value, bool *is_dist)
{
    size_t len = strlen(value);
    const char *open = strchr(value, '(');
    *is_dist = false;
    if (!open || len < 2 || value[len - 1] != ')')
        return GL_OK;
    size_t name_len = (size_t)(open - value);
    for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++)
        if (strlen(dists[i].name) == name_len && !strncmp(dists[i].name, value, name_len))
            p->dist = dists[i].dist, *is_dist = true;
    if (!*is_dist)
        return fail(s, GL_ERR_FORMAT, p->line, "%s = \"%s\": unknown distribution (known: "
                    "uniform, loguniform, int, choice)", p->key, value);
    if (!p->random)
        return fail(s, GL_ERR_FORMAT, p->line, "%s = \"%s\": distributions are for [random] "
                    "(mode = random); a grid lists its values", p->key, value);
    char **items;
    size_t n;
    genlab_status st = split_list(open + 1, (size_t)(value + len - 1 - (open + 1)), &items, &n);
    if (st == GL_ERR_NOMEM)
        return st;
    if (p->dist == SW_LIST) {
        p->values = items, p->n_values = n;
        return st == GL_OK ? st : fail(s, GL_ERR_FORMAT, p->line, "%s = \"%s\": an empty value",
                                       p->key, value);
    }
    bool is_int = p->dist == SW_INT;
    int64_t ia = 0, ib = 0;
    if (st != GL_OK || n != 2 ||
        (is_int ? !parse_i64(items[0], INT64_MIN, INT64_MAX, &ia) ||
                  !parse_i64(items[1], INT64_MIN, INT64_MAX, &ib)
                : !parse_double(items[0], &p->lo) || !parse_double(items[1], &p->hi)))
        st = fail(s, GL_ERR_FORMAT, p->line, "%s = \"%s\": expected %.*s(A, B) with %s A and B",
                  p->key, value, (int)name_len, value, is_int ? "integer" : "numbers");
    if (is_int)
        p->lo = (double)ia, p->hi = (double)ib;
    if (st == GL_OK && p->hi < p->lo)
        st = fail(s, GL_ERR_FORMAT, p->line, "%s = \"%s\": the range ends before it starts",
                  p->key, value);
    if (st == GL_OK && p->dist == SW_LOGUNIFORM && p->lo <= 0)
        st = fail(s, GL_ERR_FORMAT, p->line, "%s = \"%s\": loguniform needs 0 < A", p->key,
                  value);
    if (st == GL_OK) {
        p->lo_text = items[0], p->hi_text = items[1];
        items[0] = items[1] = NULL;
    }
    free_strings(items, n);
    return st;
}

static genlab_status param_key(genlab_sweep *s, bool random, const char *key, const char *value,
                               int line)
{
    for (size_t i = 0; i < s->n_params; i++)
        if (!strcmp(s->params[i].key, key))
            return fail(s, GL_ERR_FORMAT, line, "%s is swept twice (first on line %d)", key,
                        s->params[i].line);
    if (!strcmp(key, "train.seed"))
        return fail(s, GL_ERR_FORMAT, line, "train.seed is swept with [sweep] seeds = ...");
    if (!gl_grow((void **)&s->params, &s->cap_params, s->n_params + 1, sizeof *s->params))
        return GL_ERR_NOMEM;
    sw_param *p = &s->params[s->n_params];
    *p = (sw_param){.key = strdup(key), .line = line, .random = random};
    if (!p->key)
        return GL_ERR_NOMEM;
    s->n_params++;
    bool is_dist;
    genlab_status st = parse_dist(s, p, value, &is_dist);
    if (st != GL_OK || is_dist)
        return st;
    genlab_status st2 = split_list(value, strlen(value), &p->values, &p->n_values);
    if (st2 == GL_ERR_NOMEM)
        return st2;
    if (st2 != GL_OK)
        return fail(s, GL_ERR_FORMAT, line, "%s = \"%s\": %s", key, value,
                    *value ? "an empty value in the list" : "an empty list");
    return GL_OK;
}

static genlab_status fixed_key(genlab_sweep *s, const char *key, const char *value, int line)
{
    if (!strcmp(key, "train.seed"))
        return fail(s, GL_ERR_FORMAT, line, "train.seed is set with [sweep] seeds = ...");
    if (!gl_grow((void **)&s->fixed, &s->cap_fixed, s->n_fixed + 1, sizeof *s->fixed))
        return GL_ERR_NOMEM;
    sw_fixed *f = &s->fixed[s->n_fixed++];
    *f = (sw_fixed){strdup(key), strdup(value), line};
    return f->key && f->value ? GL_OK : GL_ERR_NOMEM;
}

/* split_blanks — text's words (separated by blanks and tabs) into *out */
static genlab_status split_blanks(const char *text, char ***out, size_t *n)
{
    size_t cap = 0;
    *out = NULL, *n = 0;
    for (const char *p = text + strspn(text, " \t"); *p; p += strspn(p, " \t")) {
        size_t len = strcspn(p, " \t");
        if (!gl_grow((void **)out, &cap, *n + 1, sizeof **out) || !((*out)[*n] = strndup(p, len)))
            return GL_ERR_NOMEM;
        (*n)++;
        p += len;
    }
    return GL_OK;
}

/* score_key — a [score] key: metric (a list without empty items or
 * blanks), n (an integer >= 1), args (words); each once */
static genlab_status score_key(genlab_sweep *s, const char *key, const char *value, int line)
{
    sw_score *sc = &s->score;
    genlab_sweep_score *pub = &sc->pub;
    int *at = !strcmp(key, "metric") ? &pub->metric_line
            : !strcmp(key, "n")      ? &pub->n_line
            : !strcmp(key, "args")   ? &pub->args_line : NULL;
    if (!at)
        return fail(s, GL_ERR_FORMAT, line, "unknown key \"%s\" in [score] (known: metric, n, "
                    "args)", key);
    if (*at)
        return fail(s, GL_ERR_FORMAT, line, "[score] %s is given twice (first on line %d)", key,
                    *at);
    *at = line;
    if (at == &pub->metric_line) {
        size_t len = strlen(value);
        if (!len || value[0] == ',' || value[len - 1] == ',' || strstr(value, ",,") ||
            strpbrk(value, " \t"))
            return fail(s, GL_ERR_FORMAT, line, "[score] metric = \"%s\": expected genlab "
                        "score's --metric list (names separated by commas, no blanks)", value);
        return (sc->metric = strdup(value)) ? GL_OK : GL_ERR_NOMEM;
    }
    if (at == &pub->n_line)
        return parse_i64(value, 1, INT64_MAX, &pub->n)
                   ? GL_OK
                   : fail(s, GL_ERR_FORMAT, line, "[score] n = \"%s\": expected an integer >= 1",
                          value);
    genlab_status st = split_blanks(value, &sc->args, &pub->n_args);
    pub->args = (const char *const *)sc->args;
    return st;
}

static bool on_value(void *user, const char *section, const char *name, const char *value,
                     int lineno)
{
    genlab_sweep *s = user;
    genlab_status st = GL_OK;
    if (s->st != GL_OK)
        return true;   /* the first problem is the one reported */
    if (!strcmp(section, "sweep"))
        st = sweep_key(s, name, value, lineno);
    else if (!strcmp(section, "grid") || !strcmp(section, "random"))
        st = param_key(s, !strcmp(section, "random"), name, value, lineno);
    else if (!strcmp(section, "fixed"))
        st = fixed_key(s, name, value, lineno);
    else if (!strcmp(section, "score")) {
        if (!s->score.given)
            s->score.given = true, s->score.line = lineno;
        st = score_key(s, name, value, lineno);
    } else if (!*section)
        st = fail(s, GL_ERR_FORMAT, lineno, "\"%s\" is outside any section (sections: [sweep], "
                  "[grid], [random], [fixed], [score])", name);
    else
        st = fail(s, GL_ERR_FORMAT, lineno, "unknown section [%s] (known: sweep, grid, random, "
                  "fixed, score)", section);
    return st != GL_ERR_NOMEM;
}

static bool on_bad(void *user, int lineno, const char *what)
{
    return fail(user, GL_ERR_FORMAT, lineno, "%s", what) != GL_ERR_NOMEM;
}

/* ---- checking ---- */

/* check_whole — what no single line shows: a name, the sections that fit
 * the mode, something to sweep, the base config readable */
static genlab_status check_whole(genlab_sweep *s)
{
    if (!s->name)
        return fail(s, GL_ERR_FORMAT, 0, "no name: a sweep file needs [sweep] name = NAME");
    for (size_t i = 0; i < s->n_params; i++)
        if (s->params[i].random != s->random)
            return fail(s, GL_ERR_FORMAT, s->params[i].line, "%s is in [%s] but the mode is %s "
                        "(parameters go in [%s])", s->params[i].key,
                        s->params[i].random ? "random" : "grid", s->random ? "random" : "grid",
                        s->random ? "random" : "grid");
    if (s->random && !s->samples_line)
        return fail(s, GL_ERR_FORMAT, s->mode_line, "mode = random needs samples = N");
    if (!s->random && (s->samples_line || s->rseed_line))
        return fail(s, GL_ERR_FORMAT, s->samples_line ? s->samples_line : s->rseed_line,
                    "%s is for mode = random", s->samples_line ? "samples" : "random_seed");
    if (s->score.given && !s->score.metric)
        return fail(s, GL_ERR_FORMAT, s->score.line, "[score] needs metric = LIST (genlab "
                    "score's --metric)");
    s->score.pub.metric = s->score.metric;
    if (s->n_params == 0 && (s->random || s->n_seeds == 0))
        return fail(s, GL_ERR_FORMAT, 0, "nothing to sweep: [%s] is empty%s",
                    s->random ? "random" : "grid", s->random ? "" : " and there are no seeds");
    if (s->config) {
        const char *slash = strrchr(s->path, '/');
        char *full = NULL;
        if (s->config[0] != '/' && slash &&
            asprintf(&full, "%.*s/%s", (int)(slash - s->path), s->path, s->config) < 0)
            return GL_ERR_NOMEM;
        if (full) {
            free(s->config);
            s->config = full;
        }
        if (access(s->config, R_OK) != 0)
            return fail(s, GL_ERR_IO, s->config_line, "config: cannot read \"%s\": %s",
                        s->config, strerror(errno));
    }
    return GL_OK;
}

/* ---- points ---- */

/* draw — a uniform number in [0, 1) for draw d of parameter j: Philox keyed
 * by the random seed, counter (d, j), so a draw does not depend on the
 * others */
static double draw(const genlab_sweep *s, uint64_t d, size_t j)
{
    uint32_t ctr[4] = {(uint32_t)d, (uint32_t)(d >> 32), (uint32_t)j, 0};
    uint32_t key[2] = {(uint32_t)s->random_seed, (uint32_t)(s->random_seed >> 32)};
    uint32_t out[4];
    genlab_philox(ctr, key, out);
    uint64_t bits = ((uint64_t)out[0] << 32 | out[1]) >> 11;
    return (double)bits * 0x1p-53;
}

/* sample_text — the text of draw u in [0, 1) from p: four significant
 * digits (readable labels), unless rounding left the range */
static void sample_text(const sw_param *p, double u, char *buf, size_t n)
{
    if (p->dist == SW_INT) {
        double v = floor(p->lo + u * (p->hi - p->lo + 1));
        snprintf(buf, n, "%.0f", v > p->hi ? p->hi : v);
        return;
    }
    double v = p->dist == SW_LOGUNIFORM ? exp(log(p->lo) + u * (log(p->hi) - log(p->lo)))
                                        : p->lo + u * (p->hi - p->lo);
    v = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
    snprintf(buf, n, "%.4g", v);
    double back = strtod(buf, NULL);
    if (back < p->lo || back > p->hi)
        snprintf(buf, n, "%.17g", v);
}

/* The values of one point being built: one text per parameter, the seed. */
typedef struct sw_draft {
    const char **values;   /* n_params */
    const char  *seed;     /* NULL: the config's own train.seed */
    int          seed_line;
} sw_draft;

/* resolved — the canonical text of key in a resolved configuration */
static const char *resolved(const genlab_config *cfg, const char *key)
{
    for (size_t i = 0; i < genlab_config_count(cfg); i++) {
        const genlab_config_item *it = genlab_config_item_at(cfg, i);
        if (!strcmp(it->key, key))
            return it->value;
    }
    return NULL;
}

/* make_point — resolve the draft as genlab train would; with keep, append
 * the point (arguments, canonical JSON, label) unless an identical one is
 * there (random mode: dropped; grid: refused) */
static genlab_status make_point(genlab_sweep *s, const sw_draft *d, bool keep)
{
    genlab_config *cfg = NULL;
    char origin[4096 + 48];
    genlab_status st = genlab_config_create(&cfg);
    if (st == GL_OK)
        st = genlab_run_declare(cfg);
    if (st == GL_OK && s->config)
        genlab_config_load_ini(cfg, s->config);   /* its problems come out of resolve */
    for (size_t i = 0; st == GL_OK && i < s->n_fixed + s->n_params + (d->seed != NULL); i++) {
        bool fixed = i < s->n_fixed, param = !fixed && i < s->n_fixed + s->n_params;
        size_t j = i - s->n_fixed;
        int line = fixed ? s->fixed[i].line : param ? s->params[j].line : d->seed_line;
        snprintf(origin, sizeof origin, "%s:%d", s->path, line);
        st = genlab_config_set(cfg, fixed ? s->fixed[i].key : param ? s->params[j].key
                                                                    : "train.seed",
                               fixed ? s->fixed[i].value : param ? d->values[j] : d->seed,
                               origin);
    }
    if (st == GL_OK && genlab_config_resolve(cfg, s->reg) != GL_OK) {
        gl_buf label = {0};
        for (size_t j = 0; j < s->n_params; j++)
            gl_buf_printf(&label, "%s%s=%s", j ? " " : "", s->params[j].key, d->values[j]);
        if (d->seed)
            gl_buf_printf(&label, "%strain.seed=%s", s->n_params ? " " : "", d->seed);
        st = fail(s, GL_ERR_INVALID, 0, "the point %s does not resolve: %s", gl_buf_str(&label),
                  genlab_config_errmsg(cfg));
        if (label.oom)
            st = GL_ERR_NOMEM;
        gl_buf_free(&label);
    }
    if (st != GL_OK || !keep) {
        genlab_config_destroy(cfg);
        return st;
    }
    /* the arguments, the JSON and the label from the resolved values */
    size_t n_args = s->n_fixed + s->n_params + (d->seed != NULL);
    char **args = calloc(n_args, sizeof *args);
    json_t *obj = json_object();
    gl_buf label = {0};
    bool ok = args && obj;
    for (size_t i = 0; ok && i < n_args; i++) {
        bool fixed = i < s->n_fixed, param = !fixed && i < s->n_fixed + s->n_params;
        const char *key = fixed ? s->fixed[i].key
                        : param ? s->params[i - s->n_fixed].key : "train.seed";
        const char *value = fixed ? s->fixed[i].value : resolved(cfg, key);
        ok = value && asprintf(&args[i], "%s=%s", key, value) >= 0;
        if (!ok)
            args[i] = NULL;
    }
    const char *seed = resolved(cfg, "train.seed");
    for (size_t j = 0; ok && j <= s->n_params; j++) {
        const char *key = j < s->n_params ? s->params[j].key : "train.seed";
        const char *value = j < s->n_params ? resolved(cfg, key) : seed;
        ok = value && json_object_set_new(obj, key, json_string(value)) == 0;
        gl_buf_printf(&label, "%s%s=%s", j ? " " : "", key, value ? value : "");
    }
    char *json = ok ? json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref(obj);
    genlab_config_destroy(cfg);
    for (size_t i = 0; json && i < s->n_points; i++) {
        if (strcmp(s->points[i].pub.json, json))
            continue;
        if (!s->random)
            st = fail(s, GL_ERR_FORMAT, 0, "the points %zu and %zu (from 1) are the same (%s): "
                      "a list names one value twice", i + 1, s->n_points + 1,
                      gl_buf_str(&label));
        free(json);
        free_strings(args, n_args);
        gl_buf_free(&label);
        return st;   /* a repeated random draw counts once */
    }
    sw_point p = {{(const char *const *)args, n_args, json, label.s}, args};
    if (!json || label.oom || !label.s ||
        !gl_grow((void **)&s->points, &s->cap_points, s->n_points + 1, sizeof *s->points)) {
        free(json);
        free_strings(args, n_args);
        gl_buf_free(&label);
        return GL_ERR_NOMEM;
    }
    s->points[s->n_points++] = p;
    return GL_OK;
}

/* with_seeds — make_point for each seed (or once, without seeds) */
static genlab_status with_seeds(genlab_sweep *s, sw_draft *d)
{
    char text[32];
    genlab_status st = GL_OK;
    d->seed_line = s->seeds_line;
    for (size_t k = 0; st == GL_OK && k < (s->n_seeds ? s->n_seeds : 1); k++) {
        if (s->n_seeds)
            snprintf(text, sizeof text, "%" PRId64, s->seeds[k]);
        d->seed = s->n_seeds ? text : NULL;
        st = make_point(s, d, true);
    }
    return st;
}

/* expand_grid — every combination, the last key fastest */
static genlab_status expand_grid(genlab_sweep *s, sw_draft *d)
{
    size_t combos = 1;
    for (size_t j = 0; j < s->n_params; j++) {
        if (combos > SW_MAX_POINTS / s->params[j].n_values)
            return fail(s, GL_ERR_FORMAT, 0, "more than %d points", SW_MAX_POINTS);
        combos *= s->params[j].n_values;
    }
    if (s->n_seeds && combos > SW_MAX_POINTS / s->n_seeds)
        return fail(s, GL_ERR_FORMAT, 0, "more than %d points", SW_MAX_POINTS);
    genlab_status st = GL_OK;
    for (size_t c = 0; st == GL_OK && c < combos; c++) {
        for (size_t j = s->n_params, rest = c; j-- > 0; rest /= s->params[j].n_values)
            d->values[j] = s->params[j].values[rest % s->params[j].n_values];
        st = with_seeds(s, d);
    }
    return st;
}

/* expand_random — samples draws, each with every seed; first every end of
 * every range and every choice is resolved in the first draw's point, so
 * that a bad bound is refused whatever is drawn */
static genlab_status expand_random(genlab_sweep *s, sw_draft *d)
{
    char (*texts)[32] = calloc(s->n_params, sizeof *texts);
    if (!texts)
        return GL_ERR_NOMEM;
    genlab_status st = GL_OK;
    if (s->n_seeds && (size_t)s->samples > SW_MAX_POINTS / s->n_seeds)
        st = fail(s, GL_ERR_FORMAT, s->samples_line, "more than %d points", SW_MAX_POINTS);
    for (int64_t k = -1; st == GL_OK && k < s->samples; k++) {
        uint64_t at = k < 0 ? 0 : (uint64_t)k;
        for (size_t j = 0; j < s->n_params; j++) {
            const sw_param *p = &s->params[j];
            double u = draw(s, at, j);
            if (p->dist == SW_LIST)
                d->values[j] = p->values[(size_t)(u * (double)p->n_values) % p->n_values];
            else
                sample_text(p, u, texts[j], sizeof texts[j]), d->values[j] = texts[j];
        }
        if (k >= 0) {
            st = with_seeds(s, d);
            continue;
        }
        char first[32];
        snprintf(first, sizeof first, "%" PRId64, s->n_seeds ? s->seeds[0] : 0);
        d->seed = s->n_seeds ? first : NULL;
        d->seed_line = s->seeds_line;
        for (size_t j = 0; st == GL_OK && j < s->n_params; j++) {
            const sw_param *p = &s->params[j];
            const char *drawn = d->values[j];
            size_t n_ends = p->dist == SW_LIST ? p->n_values : 2;
            for (size_t e = 0; st == GL_OK && e < n_ends; e++) {
                d->values[j] = p->dist == SW_LIST ? p->values[e] : e ? p->hi_text : p->lo_text;
                st = make_point(s, d, false);
            }
            d->values[j] = drawn;
        }
    }
    free(texts);
    return st;
}

/* ---- the public API ---- */

genlab_status genlab_sweep_load(const char *path, genlab_registry *reg, genlab_sweep **out)
{
    if (!out)
        return GL_ERR_INVALID;
    *out = NULL;
    if (!path)
        return GL_ERR_INVALID;
    genlab_sweep *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return GL_ERR_NOMEM;
    }
    *out = s;
    s->reg = reg;
    genlab_status st = gl_ini_parse(path, on_value, on_bad, s);
    if (st == GL_ERR_IO)
        return fail(s, GL_ERR_IO, 0, "cannot read the sweep file: %s", strerror(errno));
    if (st == GL_ERR_NOMEM || s->st != GL_OK)
        return st == GL_ERR_NOMEM ? (s->st = GL_ERR_NOMEM) : s->st;
    if ((st = check_whole(s)) != GL_OK)
        return s->st = st;
    sw_draft d = {.values = calloc(s->n_params ? s->n_params : 1, sizeof *d.values)};
    if (!d.values)
        return s->st = GL_ERR_NOMEM;
    st = s->random ? expand_random(s, &d) : expand_grid(s, &d);
    free(d.values);
    if (st != GL_OK) {
        s->st = st;
        return st;
    }
    gl_buf_clear(&s->msg);
    return GL_OK;
}

void genlab_sweep_destroy(genlab_sweep *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_params; i++) {
        free(s->params[i].key);
        free_strings(s->params[i].values, s->params[i].n_values);
        free(s->params[i].lo_text);
        free(s->params[i].hi_text);
    }
    for (size_t i = 0; i < s->n_fixed; i++) {
        free(s->fixed[i].key);
        free(s->fixed[i].value);
    }
    for (size_t i = 0; i < s->n_points; i++) {
        free_strings(s->points[i].args, s->points[i].pub.n_args);
        free((char *)s->points[i].pub.json);
        free((char *)s->points[i].pub.label);
    }
    free(s->score.metric);
    free_strings(s->score.args, s->score.pub.n_args);
    free(s->params);
    free(s->fixed);
    free(s->points);
    free(s->seeds);
    free(s->name);
    free(s->config);
    free(s->path);
    gl_buf_free(&s->msg);
    free(s);
}

const char *genlab_sweep_errmsg(const genlab_sweep *s)
{
    if (!s)
        return "genlab_sweep: no sweep (NULL, or out of memory)";
    return s->st == GL_ERR_NOMEM && !s->msg.len ? "out of memory" : gl_buf_str(&s->msg);
}

const char *genlab_sweep_name(const genlab_sweep *s) { return s ? s->name : NULL; }

const char *genlab_sweep_config(const genlab_sweep *s) { return s ? s->config : NULL; }

const genlab_sweep_score *genlab_sweep_scoring(const genlab_sweep *s)
{
    return s && s->st == GL_OK && s->score.given ? &s->score.pub : NULL;
}

size_t genlab_sweep_count(const genlab_sweep *s)
{
    return s && s->st == GL_OK ? s->n_points : 0;
}

const genlab_sweep_point *genlab_sweep_point_at(const genlab_sweep *s, size_t i)
{
    return i < genlab_sweep_count(s) ? &s->points[i].pub : NULL;
}
