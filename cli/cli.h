/* SPDX-License-Identifier: MIT
 *
 * cli.h — what the genlab program's commands share: their entry points (the
 * dispatch table in genlab.c lists them), option parsing with the program's
 * usage rules, and locating and opening the experiment store.
 *
 * It is not a general argument library: options are long ("--db FILE" or
 * "--db=FILE"), except that an option named by one letter is written with
 * one dash ("-n 64"; -h is help), "--" ends the options, and
 * options and arguments may come in any order. The exit codes are the
 * program's: 0 success, 1 a runtime failure, 2 bad usage (or a bad
 * configuration), 130 a run interrupted by a signal.
 *
 * Sections: commands, help and usage errors, options, the store, plugins,
 * reports.
 */
#ifndef GENLAB_CLI_H
#define GENLAB_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "genlab/registry.h"
#include "genlab/store.h"

/* ---- commands ---- */

/* A command's entry point: argv[0] is the command's name, the rest its
 * arguments. Returns the process exit status. */
typedef int (*cli_handler)(int argc, char **argv);

int cmd_runs(int argc, char **argv);       /* cmd_store.c */
int cmd_show(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_train(int argc, char **argv);      /* cmd_train.c */
int cmd_sweep(int argc, char **argv);      /* cmd_sweep.c */
int cmd_plugins(int argc, char **argv);    /* cmd_plugins.c */
int cmd_selftest(int argc, char **argv);   /* cmd_selftest.c */
int cmd_sample(int argc, char **argv);     /* cmd_sample.c */
int cmd_interpolate(int argc, char **argv);
int cmd_stats(int argc, char **argv);      /* cmd_score.c */
int cmd_score(int argc, char **argv);
int cmd_fid(int argc, char **argv);
/* cli_score_check — genlab score's arguments (argv[0] "score", then as
 * on its command line) checked as genlab score checks them, its messages
 * printed on stderr; nothing is opened or run. Returns CLI_EXIT_OK or
 * genlab score's exit status (2: bad usage). argv is reordered. */
int cli_score_check(int argc, char **argv);
/* cli_score_rows — the names of the score rows that genlab score's
 * --metric list stores ("classifier-fid,pr": "classifier_fid,precision,
 * recall") into buf, comma-separated. Returns how many, 0 when a name is
 * unknown or buf is too small. */
int cli_score_rows(const char *list, char *buf, size_t size);
int cmd_plot(int argc, char **argv);       /* cmd_plot.c */

/* 130 = 128 + SIGINT, what a shell reports for a program killed by Ctrl-C:
 * a run stopped by a signal ends cleanly but exits as if it had been */
enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_INTERRUPTED = 130 };

/* ---- help and usage errors ---- */

/* A command's help. */
typedef struct cli_help {
    const char *command;   /* as typed after "genlab", e.g. "db merge" */
    const char *synopsis;  /* usage lines after "usage: ", '\n'-separated */
    const char *body;      /* description, options with defaults, examples */
    /* (optional) NULL, or prints more help after body (e.g. the reports
     * that exist now) */
    void (*more)(FILE *out);
} cli_help;

/* cli_help_print — the full help ("usage: ..." then the body) on out. */
void cli_help_print(const cli_help *help, FILE *out);

/* cli_usage_error — print "genlab CMD: <message>", the synopsis and a
 * pointer to --help on stderr. Returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_help *help, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cli_fail — print "genlab CMD: <message>" on stderr. Returns
 * CLI_EXIT_FAILURE. */
int cli_fail(const cli_help *help, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- options ---- */

/* One option of a command; every option takes a value. */
typedef struct cli_option {
    const char  *name;     /* without the dashes: "db" for --db; a one-letter
                              name "n" is -n (--n is accepted too) */
    const char **value;    /* OUT: the option's value (points into argv);
                              a repeated option keeps the last one */
} cli_option;

/* cli_parse — parse argv[1..argc-1] (argv[0] is the command's name) against
 * opts (terminated by an entry whose name is NULL). Arguments that are not
 * options are moved, in order, to the front of argv + 1; their count goes
 * to *npos. --help and -h print the help on stdout.
 * Returns -1 to go on, or the exit status to return now: CLI_EXIT_OK after
 * --help, CLI_EXIT_USAGE after an unknown option or a missing value (the
 * error is printed). */
int cli_parse(const cli_help *help, int argc, char **argv, const cli_option *opts, int *npos);

/* cli_take_flag — remove every value-less option flag ("--dry-run") from
 * argv[1..*argc-1] before a "--", before cli_parse (whose options all take
 * a value); *argc is updated. Returns whether it was there. */
bool cli_take_flag(int *argc, char **argv, const char *flag);

/* cli_parse_int — a decimal integer in [min, max] given as option opt;
 * prints a usage error and returns false when text is anything else. */
bool cli_parse_int(const cli_help *help, const char *opt, const char *text, long long min,
                   long long max, long long *out);

/* ---- the store ---- */

/* cli_db_path — the database a command works on: the --db value when
 * given (non-NULL), else $GENLAB_DB when set and non-empty, else
 * "genlab.db" in the current directory. */
const char *cli_db_path(const char *db_option);

/* cli_store_open — open the store at path for the command of help.
 * read_only: a read command; a missing file is then an error naming the path
 * (a read-write open would create it).
 * Returns the handle, or NULL after printing why (the caller exits with
 * CLI_EXIT_FAILURE). Close it with genlab_store_close. */
genlab_store *cli_store_open(const cli_help *help, const char *path, bool read_only);

/* ---- plugins ---- */

/* cli_build_tree — whether this program runs uninstalled from its build
 * tree (libtool keeps the real binary in .libs/); if so the build tree's
 * directory into out (size bytes). False when installed or when it does
 * not fit. */
bool cli_build_tree(char *out, size_t size);

/* cli_registry_open — a registry with every plugin of $GENLAB_PLUGIN_PATH,
 * the build tree's plugins/<group>/.libs (only when the program runs
 * uninstalled from its build tree) and the install directory loaded. A plugin that fails to load is a
 * warning ("genlab CMD: warning: <the loader's line>" on stderr), never an
 * error: the others are still usable. Warnings the plugins log later go to
 * stderr too (informational lines are dropped). Returns NULL after printing
 * why (out of memory). Free with genlab_registry_destroy. */
genlab_registry *cli_registry_open(const cli_help *help);

/* cli_run_ref_valid — text can name a run: an id, a uuid (prefix),
 * "last" (the newest run) or "last:TRAINER" (the newest run of that
 * trainer), so that a script can name the run it just made. */
bool cli_run_ref_valid(const char *text);

/* cli_resolve_run — the id of the run that text names (an id, a unique
 * uuid prefix, any case, or "last[:TRAINER]": the run with the highest id,
 * of that trainer); an exit status (message printed, listing the
 * candidates when the prefix is ambiguous) when none or several do. */
int cli_resolve_run(const cli_help *help, genlab_store *s, const char *text, long long *id);

/* What a command that continues or samples a run needs of its record. */
typedef struct cli_run_record {
    char uuid[37];
    char ckpt[PATH_MAX];      /* its newest checkpoint file that still exists */
} cli_run_record;

/* cli_run_load — the run that ref names (an id or uuid prefix, as
 * cli_resolve_run): its uuid and newest checkpoint into *out (OUT), and
 * every parameter it recorded set on cfg (declared with genlab_run_declare,
 * not yet resolved) as values of origin "the run <uuid>", which KEY=VALUE
 * arguments set later override. Returns CLI_EXIT_OK, or an exit status
 * after printing why: a ref that cannot name a run (usage), no such run, a
 * run without recorded parameters or without a checkpoint file left. */
int cli_run_load(const cli_help *help, genlab_store *s, const char *ref, genlab_config *cfg,
                 cli_run_record *out);

/* What --sampler NAME and --steps N ask of a run's model (genlab sample,
 * genlab score): the trainer's parameter "sampler" (a component of kind
 * sampler, as the diffusion trainer's diffusion.sampler) set to NAME, and
 * "sampler.steps", the chosen sampler's step count, to N. NULL members
 * keep the run's own. */
typedef struct cli_sampler_choice {
    const char *sampler, *steps;
} cli_sampler_choice;

/* cli_run_load_sampler — cli_run_load with choice c (NULL: none) applied
 * as values of origin "--sampler" / "--steps": with a sampler, the run's
 * recorded sampler.* values are left out (they are its own sampler's; the
 * new one starts from its defaults). A trainer without a "sampler"
 * parameter makes the configuration fail to resolve, naming the key.
 * Returns as cli_run_load. */
int cli_run_load_sampler(const cli_help *help, genlab_store *s, const char *ref,
                         genlab_config *cfg, cli_run_record *out, const cli_sampler_choice *c);

/* cli_run_sampler — the sampler a resolved run configuration samples with:
 * the trainer's "sampler" parameter and "sampler.steps" (NULL when the
 * sampler has none), as text owned by cfg. Returns false (both NULL) for a
 * trainer without one. */
bool cli_run_sampler(const genlab_config *cfg, const char **name, const char **steps);

/* cli_param_default — a parameter's default as help shows it: the text,
 * "(required)" when it has none, "(none)" for an optional component, ""
 * (two quotes) for an empty string. Static or d's own string. */
const char *cli_param_default(const genlab_param_def *d);

/* cli_param_allowed — what a parameter accepts, into buf (size n): a range
 * "[1, 10]", ">= 0" or "any" for numbers, "a | b" for an enum, "true |
 * false", "text", or "<kind> name" for a component. Returns buf. */
const char *cli_param_allowed(const genlab_param_def *d, char *buf, size_t n);

/* ---- reports ---- */

/* cli_html_site — the static web site of store s written into dir
 * (html_report.c; doc/reports.md describes it). Returns an exit status,
 * the error printed for help. */
int cli_html_site(const cli_help *help, genlab_store *s, const char *dir);

/* cli_sql_quote — text as an SQL string literal ('...' with quotes
 * doubled), malloc'd; NULL when out of memory. */
char *cli_sql_quote(const char *text);

#endif /* GENLAB_CLI_H */
