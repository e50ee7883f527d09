/* SPDX-License-Identifier: MIT
 *
 * output.c — the table, csv, markdown, latex, html and json formatters
 * behind cli_output (output.h says what each format promises), notes under
 * a table, and the pivot that turns long rows into a wide table.
 *
 * Sections: text helpers, result sets, table, markdown, latex and html,
 * csv, json, output, notes, pivot.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "output.h"

struct cli_output {
    FILE      *out;
    cli_format format;
    int        ncol;      /* columns of the current result set (0: none begun) */
    char     **names;     /* (ncol) its column names, as given */
    bool      *numeric;   /* (ncol) every non-NULL value so far is a number */
    bool      *valued;    /* (ncol) some value so far is not NULL */
    char     **cells;     /* (held * ncol) escaped cells, NULL for SQL NULL
                             (table and markdown hold their rows) */
    size_t     held, cap; /* rows in cells, rows it has room for */
    int        sets;      /* result sets begun */
    long long  rows;
    char       err[128];
};

static int fail(cli_output *o, const char *what)
{
    if (!o->err[0])
        snprintf(o->err, sizeof o->err, "%s", what);
    return 1;
}

/* ---- text helpers ---- */

/* utf8_seq — the length of the valid UTF-8 sequence at s (RFC 3629: no
 * overlong forms, surrogates or code points past U+10FFFF), 0 if invalid.
 * *cp: the code point. A NUL ends a sequence early (invalid), never read past. */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
    uint32_t c = s[0], min;
    size_t n;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, c &= 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0)
        n = 3, c &= 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, c &= 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

/* text_width — terminal columns of valid UTF-8 text: one per code point
 * (wide CJK characters are counted as one; genlab's own data has none) */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* is_number — s is a decimal number as SQLite prints one: [-+]digits[.digits][e[-+]digits] */
static bool is_number(const char *s)
{
    size_t digits = 0;
    s += *s == '-' || *s == '+';
    for (; *s >= '0' && *s <= '9'; s++)
        digits++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits++;
    if (!digits)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        s += *s == '-' || *s == '+';
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* escape — s rewritten for the format (a malloc'd string, NULL when out of
 * memory). table: control characters, C1 controls and invalid bytes as
 * escapes, so that no value can move the cursor or change the terminal;
 * markdown: the characters that end a cell or start inline markup
 * backslash-escaped, line breaks as <br>; latex: its ten special
 * characters as commands, control characters as spaces; html: the five
 * markup characters as entities, line breaks as <br>. latex and html
 * replace invalid UTF-8 bytes with U+FFFD. */
static char *escape(cli_format format, const char *s)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (!m)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t n = utf8_seq(p, &cp);
        if (format == CLI_FORMAT_LATEX) {
            static const char special[] = "&%$#_{}";
            if (*p == '\\')
                fputs("\\textbackslash{}", m);
            else if (*p == '~')
                fputs("\\textasciitilde{}", m);
            else if (*p == '^')
                fputs("\\textasciicircum{}", m);
            else if (*p && strchr(special, *p))
                fprintf(m, "\\%c", *p);
            else if (*p < 0x20 || *p == 0x7F)
                fputc(' ', m);   /* a line break would end the row */
            else if (n == 0)
                fputs("\xEF\xBF\xBD", m);   /* U+FFFD: LaTeX stops on invalid UTF-8 */
            else
                fwrite(p, 1, n, m);
        } else if (format == CLI_FORMAT_HTML) {
            if (*p == '&')
                fputs("&amp;", m);
            else if (*p == '<')
                fputs("&lt;", m);
            else if (*p == '>')
                fputs("&gt;", m);
            else if (*p == '"')
                fputs("&quot;", m);
            else if (*p == '\'')
                fputs("&#39;", m);
            else if (*p == '\n')
                fputs("<br>", m);
            else if (*p < 0x20 || *p == 0x7F)
                fputc(' ', m);
            else if (n == 0)
                fputs("\xEF\xBF\xBD", m);
            else
                fwrite(p, 1, n, m);
        } else if (format == CLI_FORMAT_MARKDOWN) {
            if (*p == '\r' && p[1] == '\n')
                n = 1;   /* CR LF is one line break: the LF writes it */
            else if (*p == '\n' || *p == '\r')
                fputs("<br>", m);
            else if (strchr("|\\`*<", *p))
                fprintf(m, "\\%c", *p);
            else if (*p < 0x20 || *p == 0x7F)
                fputc(' ', m);
            else
                fwrite(p, 1, n ? n : 1, m);
        } else if (*p == '\n' || *p == '\t' || *p == '\r') {
            fprintf(m, "\\%c", *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r');
        } else if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            for (size_t i = 0; i < (n ? n : 1); i++)
                fprintf(m, "\\x%02X", p[i]);
        } else {
            fwrite(p, 1, n, m);
        }
        p += n ? n : 1;
    }
    if (fclose(m) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- result sets ---- */

static void free_cells(cli_output *o)
{
    for (size_t i = 0; i < o->held * (size_t)o->ncol; i++)
        free(o->cells[i]);
    o->held = 0;
}

static void print_held(cli_output *o);

/* end_set — print (when print) what the current set holds and forget its
 * columns. */
static void end_set(cli_output *o, bool print)
{
    if (print && o->held)
        print_held(o);
    free_cells(o);
    for (int j = 0; j < o->ncol; j++)
        free(o->names[j]);
    free(o->names);
    free(o->numeric);
    free(o->valued);
    free(o->cells);
    o->names = o->cells = NULL;
    o->numeric = o->valued = NULL;
    o->ncol = 0;
    o->cap = 0;
}

static bool same_columns(const cli_output *o, int ncol, const char *const *names)
{
    if (ncol != o->ncol)
        return false;
    for (int j = 0; j < ncol; j++)
        if (strcmp(names[j], o->names[j]))
            return false;
    return true;
}

static void csv_line(cli_output *o, int ncol, const char *const *fields);

/* begin_set — take the columns of a new result set. */
static int begin_set(cli_output *o, int ncol, const char *const *names)
{
    end_set(o, true);
    o->names = calloc((size_t)ncol, sizeof *o->names);
    o->numeric = calloc((size_t)ncol, sizeof *o->numeric);
    o->valued = calloc((size_t)ncol, sizeof *o->valued);
    if (!o->names || !o->numeric || !o->valued) {
        free(o->names);
        free(o->numeric);
        free(o->valued);
        o->names = NULL;
        o->numeric = o->valued = NULL;
        return fail(o, "out of memory");
    }
    o->ncol = ncol;
    for (int j = 0; j < ncol; j++) {
        o->numeric[j] = true;
        if (!(o->names[j] = strdup(names[j])))
            return fail(o, "out of memory");
    }
    if (o->sets++ && o->format != CLI_FORMAT_JSON)
        fputc('\n', o->out);
    if (o->format == CLI_FORMAT_CSV)
        csv_line(o, ncol, names);
    return 0;
}

/* ---- table, markdown, latex and html ---- */

static int hold_row(cli_output *o, const char *const *values)
{
    if (o->held == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        char **cells = realloc(o->cells, cap * (size_t)o->ncol * sizeof *cells);
        if (!cells)
            return fail(o, "out of memory");
        o->cells = cells;
        o->cap = cap;
    }
    char **row = o->cells + o->held * (size_t)o->ncol;
    for (int j = 0; j < o->ncol; j++)
        row[j] = NULL;
    o->held++;   /* counted now: free_cells frees a partly filled row too */
    for (int j = 0; j < o->ncol; j++) {
        if (!values[j])
            continue;
        o->valued[j] = true;
        o->numeric[j] = o->numeric[j] && is_number(values[j]);
        if (!(row[j] = escape(o->format, values[j])))
            return fail(o, "out of memory");
    }
    return 0;
}

/* print one line of cells; right: per column, align right. A table line
 * ends at its last non-blank character. */
static void print_cells(cli_output *o, char *const *cells, const size_t *width,
                        const bool *right)
{
    bool md = o->format == CLI_FORMAT_MARKDOWN;
    int blanks = 0;   /* table: blanks owed before the next non-empty text */
    if (md)
        fputs("|", o->out);
    for (int j = 0; j < o->ncol; j++) {
        const char *c = cells[j] ? cells[j] : "";
        int pad = (int)(width[j] - text_width(c));
        if (md) {
            fprintf(o->out, " %*s%s%*s |", right[j] ? pad : 0, "", c, right[j] ? 0 : pad, "");
            continue;
        }
        blanks += (j ? 2 : 0) + (right[j] ? pad : 0);
        if (*c) {
            fprintf(o->out, "%*s%s", blanks, "", c);
            blanks = 0;
        }
        blanks += right[j] ? 0 : pad;
    }
    fputc('\n', o->out);
}

/* print_latex — the held rows as a booktabs tabular: numeric columns
 * right-aligned, NULL as an empty cell */
static void print_latex(cli_output *o)
{
    FILE *f = o->out;
    fputs("\\begin{tabular}{", f);
    for (int j = 0; j < o->ncol; j++)
        fputc(o->numeric[j] && o->valued[j] ? 'r' : 'l', f);
    fputs("}\n\\toprule\n", f);
    for (int j = 0; j < o->ncol; j++) {
        char *h = escape(o->format, o->names[j]);
        if (!h) {
            fail(o, "out of memory");
            return;
        }
        fprintf(f, "%s%s", j ? " & " : "", h);
        free(h);
    }
    fputs(" \\\\\n\\midrule\n", f);
    for (size_t i = 0; i < o->held; i++) {
        for (int j = 0; j < o->ncol; j++) {
            const char *c = o->cells[i * (size_t)o->ncol + (size_t)j];
            fprintf(f, "%s%s", j ? " & " : "", c ? c : "");
        }
        fputs(" \\\\\n", f);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", f);
}

/* print_html — the held rows as a table element: numeric cells have the
 * class "num" (for right alignment in a style sheet), NULL is empty */
static void print_html(cli_output *o)
{
    FILE *f = o->out;
    fputs("<table>\n<thead><tr>", f);
    for (int j = 0; j < o->ncol; j++) {
        char *h = escape(o->format, o->names[j]);
        if (!h) {
            fail(o, "out of memory");
            return;
        }
        fprintf(f, "<th>%s</th>", h);
        free(h);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    for (size_t i = 0; i < o->held; i++) {
        fputs("<tr>", f);
        for (int j = 0; j < o->ncol; j++) {
            const char *c = o->cells[i * (size_t)o->ncol + (size_t)j];
            fprintf(f, "<td%s>%s</td>", o->numeric[j] && o->valued[j] ? " class=\"num\"" : "",
                    c ? c : "");
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

/* print_held — the held rows as an aligned table, a markdown table, a
 * LaTeX tabular or an HTML table */
static void print_held(cli_output *o)
{
    if (o->format == CLI_FORMAT_LATEX) {
        print_latex(o);
        return;
    }
    if (o->format == CLI_FORMAT_HTML) {
        print_html(o);
        return;
    }
    bool md = o->format == CLI_FORMAT_MARKDOWN;
    size_t n = (size_t)o->ncol;
    size_t *width = calloc(n, sizeof *width);
    bool *right = calloc(n, sizeof *right);
    char **head = calloc(n, sizeof *head), **rule = calloc(n, sizeof *rule);
    bool ok = width && right && head && rule;
    for (size_t j = 0; ok && j < n; j++) {
        right[j] = o->numeric[j] && o->valued[j];
        ok = (head[j] = escape(o->format, o->names[j])) != NULL;
        width[j] = ok ? text_width(head[j]) : 0;
        for (size_t i = 0; ok && i < o->held; i++) {
            const char *c = o->cells[i * n + j];
            size_t w = c ? text_width(c) : 0;
            width[j] = w > width[j] ? w : width[j];
        }
        if (md && width[j] < 3)
            width[j] = 3;   /* the shortest delimiter row cell, "---" */
        if (ok && (rule[j] = malloc(width[j] + 1))) {
            memset(rule[j], '-', width[j]);
            rule[j][width[j]] = '\0';
            if (md && right[j])
                rule[j][width[j] - 1] = ':';
        }
        ok = ok && rule[j];
    }
    if (ok) {
        print_cells(o, head, width, right);
        print_cells(o, rule, width, right);
        for (size_t i = 0; i < o->held; i++)
            print_cells(o, o->cells + i * n, width, right);
    } else {
        fail(o, "out of memory");
    }
    for (size_t j = 0; j < n && head && rule; j++) {
        free(head[j]);
        free(rule[j]);
    }
    free(width);
    free(right);
    free(head);
    free(rule);
}

/* ---- csv ---- */

static void csv_line(cli_output *o, int ncol, const char *const *fields)
{
    for (int j = 0; j < ncol; j++) {
        const char *f = fields[j] ? fields[j] : "";
        if (j)
            fputc(',', o->out);
        if (!strpbrk(f, ",\"\r\n")) {
            fputs(f, o->out);
            continue;
        }
        fputc('"', o->out);
        for (; *f; f++) {
            if (*f == '"')
                fputc('"', o->out);
            fputc(*f, o->out);
        }
        fputc('"', o->out);
    }
    fputs("\r\n", o->out);
}

/* ---- json ---- */

/* json_text — a JSON string of s, invalid UTF-8 bytes replaced by U+FFFD
 * (jansson accepts only valid UTF-8). NULL when out of memory. */
static json_t *json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char *clean = malloc(3 * strlen(s) + 1), *d = clean;   /* each bad byte: 3 bytes */
    if (!clean)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t cp;
        size_t n = utf8_seq(p, &cp);
        if (n) {
            memcpy(d, p, n);
            d += n;
            p += n;
        } else {
            memcpy(d, "\xEF\xBF\xBD", 3);
            d += 3;
            p++;
        }
    }
    *d = '\0';
    j = json_string(clean);
    free(clean);
    return j;
}

/* json_key — name, or name_2, name_3, ... when obj already has it; the
 * result is in buf or is name itself */
static const char *json_key(json_t *obj, const char *name, char *buf, size_t size)
{
    const char *key = name;
    for (int k = 2; json_object_get(obj, key); k++) {
        snprintf(buf, size, "%s_%d", name, k);
        key = buf;
    }
    return key;
}

static int json_row(cli_output *o, int ncol, const char *const *names, const char *const *values)
{
    json_t *obj = json_object();
    bool ok = obj != NULL;
    for (int j = 0; ok && j < ncol; j++) {
        json_t *k = json_text(names[j]);   /* a key must be valid UTF-8 too */
        json_t *v = values[j] ? json_text(values[j]) : json_null();
        char buf[512];
        ok = k && v &&
             json_object_set_new(obj, json_key(obj, json_string_value(k), buf, sizeof buf), v) == 0;
        if (k && v)
            v = NULL;   /* set_new took it over, on failure too */
        json_decref(k);
        json_decref(v);
    }
    if (ok) {
        fputs(o->rows ? ",\n" : "[\n", o->out);
        ok = json_dumpf(obj, o->out, 0) == 0;
    }
    json_decref(obj);
    return ok ? 0 : fail(o, "out of memory");
}

/* ---- output ---- */

bool cli_format_parse(const char *name, cli_format *out)
{
    static const struct { const char *name; cli_format format; } formats[] = {
        {"table", CLI_FORMAT_TABLE},
        {"text", CLI_FORMAT_TABLE},
        {"latex", CLI_FORMAT_LATEX},
        {"html", CLI_FORMAT_HTML},
        {"csv", CLI_FORMAT_CSV},
        {"markdown", CLI_FORMAT_MARKDOWN},
        {"json", CLI_FORMAT_JSON},
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(name, formats[i].name)) {
            *out = formats[i].format;
            return true;
        }
    return false;
}

cli_output *cli_output_new(FILE *out, cli_format format)
{
    cli_output *o = calloc(1, sizeof *o);
    if (o) {
        o->out = out;
        o->format = format;
    }
    return o;
}

int cli_output_row(void *output, int ncol, const char *const *names, const char *const *values)
{
    cli_output *o = output;
    if (o->err[0])
        return 1;
    int rc = 0;
    if (o->format == CLI_FORMAT_JSON)
        rc = json_row(o, ncol, names, values);
    else if (!(o->sets && same_columns(o, ncol, names)) && begin_set(o, ncol, names))
        rc = 1;
    else if (o->format == CLI_FORMAT_CSV)
        csv_line(o, ncol, values);
    else
        rc = hold_row(o, values);
    if (rc == 0 && ferror(o->out))
        rc = fail(o, "write error");
    o->rows += rc == 0;
    return rc;
}

int cli_output_finish(cli_output *o)
{
    end_set(o, true);
    if (o->format == CLI_FORMAT_JSON)
        fputs(o->rows ? "\n]\n" : "[]\n", o->out);
    if (fflush(o->out) != 0 || ferror(o->out))
        fail(o, "write error");
    return o->err[0] ? -1 : 0;
}

long long cli_output_rows(const cli_output *o) { return o->rows; }

const char *cli_output_error(const cli_output *o) { return o->err; }

void cli_output_free(cli_output *o)
{
    if (!o)
        return;
    end_set(o, false);
    free(o);
}

/* ---- notes ---- */

void cli_note_print(FILE *out, cli_format format, const char *text)
{
    char *t = format == CLI_FORMAT_TABLE || format == CLI_FORMAT_CSV ||
                      format == CLI_FORMAT_JSON
                  ? strdup(text)
                  : escape(format, text);
    if (!t)
        return;
    switch (format) {
    case CLI_FORMAT_TABLE:
        fprintf(out, "\n%s\n", t);
        break;
    case CLI_FORMAT_MARKDOWN:
        fprintf(out, "\n%s\n", t);
        break;
    case CLI_FORMAT_LATEX:
        fprintf(out, "%% %s\n", t);
        break;
    case CLI_FORMAT_HTML:
        fprintf(out, "<p class=\"note\">%s</p>\n", t);
        break;
    case CLI_FORMAT_CSV:
    case CLI_FORMAT_JSON:
        fprintf(stderr, "%s\n", t);   /* stdout is data a program reads */
        break;
    }
    free(t);
}

/* ---- pivot ---- */

/* One distinct value of the pivot's row or column field. */
typedef struct pivot_key {
    char  *text;   /* NULL for SQL NULL */
    size_t first;  /* order of first appearance */
} pivot_key;

struct cli_pivot {
    cli_output *out;
    char       *field[3];      /* ROW, COL, VALUE column names */
    int         index[3];      /* their columns in the rows (-1: not found yet) */
    pivot_key  *rows, *cols;
    size_t      nrows, ncols, caprows, capcols;
    struct cell { size_t r, c; char *value; } *cells;
    size_t      ncells, capcells;
    char        err[256];
};

static void pivot_failf(cli_pivot *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pivot_failf(cli_pivot *p, const char *fmt, ...)
{
    if (p->err[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
}

cli_pivot *cli_pivot_new(cli_output *out, const char *spec)
{
    cli_pivot *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->out = out;
    const char *s = spec;
    for (int k = 0; k < 3; k++) {
        size_t n = strcspn(s, ",");
        if (n == 0 || (k < 2 && s[n] != ',') || (k == 2 && s[n] != '\0')) {
            snprintf(p->err, sizeof p->err,
                     "--pivot '%.100s' is not ROW,COL,VALUE (three column names)", spec);
            return p;
        }
        if (!(p->field[k] = strndup(s, n))) {
            snprintf(p->err, sizeof p->err, "out of memory");
            return p;
        }
        s += n + (k < 2);
    }
    return p;
}

const char *cli_pivot_error(const cli_pivot *p) { return p->err; }

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* pivot_key_of — the index of text among keys, added when new; SIZE_MAX
 * when out of memory */
static size_t pivot_key_of(pivot_key **keys, size_t *n, size_t *cap, const char *text)
{
    for (size_t i = 0; i < *n; i++)
        if (same_text((*keys)[i].text, text))
            return i;
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        pivot_key *k = realloc(*keys, c * sizeof *k);
        if (!k)
            return SIZE_MAX;
        *keys = k;
        *cap = c;
    }
    char *t = text ? strdup(text) : NULL;
    if (text && !t)
        return SIZE_MAX;
    (*keys)[*n] = (pivot_key){t, *n};
    return (*n)++;
}

int cli_pivot_row(void *pivot, int ncol, const char *const *names, const char *const *values)
{
    cli_pivot *p = pivot;
    if (p->err[0])
        return 1;
    for (int k = 0; k < 3; k++) {
        p->index[k] = -1;
        for (int j = 0; j < ncol && p->index[k] < 0; j++)
            if (!strcmp(names[j], p->field[k]))
                p->index[k] = j;
        if (p->index[k] < 0) {
            pivot_failf(p, "--pivot: the result has no column '%.80s' (first column: '%.80s')",
                        p->field[k], ncol ? names[0] : "");
            return 1;
        }
    }
    size_t r = pivot_key_of(&p->rows, &p->nrows, &p->caprows, values[p->index[0]]);
    size_t c = pivot_key_of(&p->cols, &p->ncols, &p->capcols, values[p->index[1]]);
    if (r == SIZE_MAX || c == SIZE_MAX) {
        pivot_failf(p, "out of memory");
        return 1;
    }
    for (size_t i = 0; i < p->ncells; i++)
        if (p->cells[i].r == r && p->cells[i].c == c) {
            const char *rv = values[p->index[0]], *cv = values[p->index[1]];
            pivot_failf(p, "--pivot: two rows have the same row and column values (%.100s, "
                        "%.100s); add the column that tells them apart to the query",
                        rv ? rv : "NULL", cv ? cv : "NULL");
            return 1;
        }
    if (p->ncells == p->capcells) {
        size_t cap = p->capcells ? 2 * p->capcells : 64;
        void *cells = realloc(p->cells, cap * sizeof *p->cells);
        if (!cells) {
            pivot_failf(p, "out of memory");
            return 1;
        }
        p->cells = cells;
        p->capcells = cap;
    }
    const char *v = values[p->index[2]];
    char *copy = v ? strdup(v) : NULL;
    if (v && !copy) {
        pivot_failf(p, "out of memory");
        return 1;
    }
    p->cells[p->ncells++] = (struct cell){r, c, copy};
    return 0;
}

/* numeric column values sort as numbers ("64" before "128"), others keep
 * the order in which the query gave them */
static int compare_numeric_keys(const void *a, const void *b)
{
    double x = strtod(((const pivot_key *)a)->text, NULL);
    double y = strtod(((const pivot_key *)b)->text, NULL);
    return (x > y) - (x < y);
}

int cli_pivot_finish(cli_pivot *p)
{
    if (p->err[0])
        return -1;
    bool numeric = p->ncols > 0;
    for (size_t c = 0; c < p->ncols; c++)
        numeric = numeric && p->cols[c].text && is_number(p->cols[c].text);
    size_t *order = calloc(p->ncols + 1, sizeof *order);   /* column index -> position */
    const char **names = calloc(p->ncols + 1, sizeof *names);
    const char **row = calloc(p->ncols + 1, sizeof *row);
    char **heads = calloc(p->ncols + 1, sizeof *heads);
    int rc = order && names && row && heads ? 0 : -1;
    if (rc == 0 && numeric)
        qsort(p->cols, p->ncols, sizeof *p->cols, compare_numeric_keys);
    for (size_t c = 0; rc == 0 && c < p->ncols; c++) {
        order[p->cols[c].first] = c;
        const char *v = p->cols[c].text ? p->cols[c].text : "NULL";
        size_t len = strlen(p->field[1]) + strlen(v) + 2;
        if (!(heads[c] = malloc(len)))
            rc = -1;
        else
            snprintf(heads[c], len, "%s=%s", p->field[1], v);
        names[c + 1] = heads[c];
    }
    names[0] = p->field[0];
    for (size_t r = 0; rc == 0 && r < p->nrows; r++) {
        row[0] = p->rows[r].text;
        for (size_t c = 0; c < p->ncols; c++)
            row[c + 1] = NULL;
        for (size_t i = 0; i < p->ncells; i++)
            if (p->cells[i].r == r)
                row[order[p->cells[i].c] + 1] = p->cells[i].value;
        if (cli_output_row(p->out, (int)p->ncols + 1, names, row))
            rc = -1;
    }
    if (rc != 0 && !p->err[0])
        snprintf(p->err, sizeof p->err, "%s",
                 cli_output_error(p->out)[0] ? cli_output_error(p->out) : "out of memory");
    for (size_t c = 0; heads && c < p->ncols; c++)
        free(heads[c]);
    free(heads);
    free(order);
    free(names);
    free(row);
    return rc;
}

void cli_pivot_free(cli_pivot *p)
{
    if (!p)
        return;
    for (int k = 0; k < 3; k++)
        free(p->field[k]);
    for (size_t i = 0; i < p->nrows; i++)
        free(p->rows[i].text);
    for (size_t i = 0; i < p->ncols; i++)
        free(p->cols[i].text);
    for (size_t i = 0; i < p->ncells; i++)
        free(p->cells[i].value);
    free(p->rows);
    free(p->cols);
    free(p->cells);
    free(p);
}

/* ---- html text ---- */

int cli_html_text(FILE *out, const char *text)
{
    char *t = escape(CLI_FORMAT_HTML, text ? text : "");
    if (!t)
        return -1;
    fputs(t, out);
    free(t);
    return 0;
}
