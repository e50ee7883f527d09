/* SPDX-License-Identifier: MIT
 *
 * output.h — query results printed in one of four formats, shared by the
 * commands that print rows (runs, show, query, report).
 *
 *   table     aligned columns for a terminal: numeric columns right-aligned,
 *             control characters shown as \n, \t, \xHH, NULL as empty
 *   csv       RFC 4180: CRLF line ends, a field with a comma, quote, CR or
 *             LF is quoted and its quotes doubled; NULL is an empty field
 *   markdown  a pipe table; |, \, `, * and < are backslash-escaped, line
 *             breaks become <br>
 *   latex     a booktabs tabular (\toprule, \midrule, \bottomrule; needs
 *             \usepackage{booktabs}): numeric columns right-aligned, the
 *             ten special characters escaped (\& \% \$ \# \_ \{ \}
 *             \textbackslash{} \textasciitilde{} \textasciicircum{}),
 *             control characters as spaces, invalid UTF-8 as U+FFFD
 *   html      a <table> element with <thead> and <tbody>: & < > " ' as
 *             entities, line breaks as <br>, numeric cells of class "num",
 *             invalid UTF-8 as U+FFFD
 *   json      an array of objects, one per row, written by jansson; values
 *             are strings (SQLite's text of the value: the store returns no
 *             types) or null; invalid UTF-8 becomes U+FFFD; a repeated
 *             column name gets a suffix (_2, _3, ...)
 *
 * Rows arrive through cli_output_row, which has the shape of
 * genlab_store_row_fn so that a formatter is handed to the store directly.
 * A query of several statements gives several result sets: a set whose
 * columns differ from the previous one starts a new table (after a blank
 * line) or, in JSON, simply continues the array. table and markdown hold
 * their rows until the set ends (the column widths depend on every row);
 * csv and json stream.
 *
 * It is not a pager and does not truncate wide values.
 *
 * "text" is another name of table. A pivot (cli_pivot) sits in front of
 * an output and turns long rows into a wide table; a note (cli_note_print)
 * is a line of text under a table, such as a report's score protocol.
 *
 * Sections: formats, output, notes, pivot.
 */
#ifndef GENLAB_CLI_OUTPUT_H
#define GENLAB_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

/* ---- formats ---- */

typedef enum cli_format {
    CLI_FORMAT_TABLE,
    CLI_FORMAT_CSV,
    CLI_FORMAT_MARKDOWN,
    CLI_FORMAT_JSON,
    CLI_FORMAT_LATEX,
    CLI_FORMAT_HTML
} cli_format;

/* The names cli_format_parse accepts, for help and error messages. */
#define CLI_FORMAT_NAMES "table (or text), csv, markdown, json, latex, html"

/* cli_format_parse — the format called name. Returns false (leaving *out)
 * for an unknown name. */
bool cli_format_parse(const char *name, cli_format *out);

/* ---- output ---- */

typedef struct cli_output cli_output;

/* cli_output_new — a formatter writing to out (not owned; stays open).
 * Returns NULL when out of memory. Free with cli_output_free. */
cli_output *cli_output_new(FILE *out, cli_format format);

/* cli_output_row — take one row (a genlab_store_row_fn: pass the
 * cli_output as user). names and values have ncol entries; a NULL value is
 * SQL NULL. Nothing is kept pointing into the arrays.
 * Returns 0, or 1 after a failure (out of memory, a write error), which
 * stops a store query; cli_output_error says what it was. */
int cli_output_row(void *output, int ncol, const char *const *names,
                   const char *const *values);

/* cli_output_finish — print what is held and end the output (closes the
 * JSON array; an empty one is "[]"). Call once, after the last row.
 * Returns 0, or -1 after a failure (see cli_output_error). */
int cli_output_finish(cli_output *o);

/* cli_output_rows — rows taken so far, over all result sets. */
long long cli_output_rows(const cli_output *o);

/* cli_output_error — why a call failed ("" when none did). Owned by o. */
const char *cli_output_error(const cli_output *o);

/* cli_output_free — release o (what it held unprinted is dropped). NULL is
 * a no-op. */
void cli_output_free(cli_output *o);

/* ---- notes ---- */

/* cli_note_print — text (one or more lines) under a table printed in
 * format to out: as it is for table, a paragraph for markdown, "% "
 * comment lines for latex, a <p class="note"> for html (escaped); for csv
 * and json, which a program reads, on stderr instead. */
void cli_note_print(FILE *out, cli_format format, const char *text);

/* cli_html_text — text written to out escaped as the html format escapes
 * a cell (&, <, >, quotes as entities, line breaks as <br>); NULL is "".
 * Returns 0, or -1 when out of memory. */
int cli_html_text(FILE *out, const char *text);

/* ---- pivot ---- */

/* A pivot takes rows with the columns ROW, COL and VALUE (and others,
 * ignored) and gives out one row per distinct ROW value: its first column
 * is ROW, then one column "COL=v" per distinct COL value v holding VALUE
 * (NULL where no row had that pair). Rows keep the order in which ROW
 * values first came; columns too, unless every COL value is a number, when
 * they are sorted by it. Two rows with the same ROW and COL are an error
 * (the pivot would have to drop one). SQLite has no PIVOT; this is it. */
typedef struct cli_pivot cli_pivot;

/* cli_pivot_new — a pivot for spec "ROW,COL,VALUE" (three column names)
 * writing into out (not owned). NULL when out of memory; a malformed spec
 * gives a pivot whose cli_pivot_error says so (and that takes no rows). */
cli_pivot *cli_pivot_new(cli_output *out, const char *spec);

/* cli_pivot_row — take one row (a genlab_store_row_fn: pass the pivot as
 * user). Returns 0, or 1 after an error (cli_pivot_error). */
int cli_pivot_row(void *pivot, int ncol, const char *const *names,
                  const char *const *values);

/* cli_pivot_finish — hand the wide rows to the output (which the caller
 * then finishes). Returns 0 or -1 (cli_pivot_error). */
int cli_pivot_finish(cli_pivot *p);

/* cli_pivot_error — what went wrong ("" when nothing did). Owned by p. */
const char *cli_pivot_error(const cli_pivot *p);

/* cli_pivot_free — release p; NULL is a no-op. */
void cli_pivot_free(cli_pivot *p);

#endif /* GENLAB_CLI_OUTPUT_H */
