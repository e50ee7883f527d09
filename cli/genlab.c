/* SPDX-License-Identifier: MIT
 *
 * genlab.c — the genlab program's entry point: the table of commands, the
 * top-level --help and --version, and dispatch. The commands live in
 * cmd_<group>.c (cli.h declares them); this file holds no command logic.
 *
 * The program is the only place that prints to the user and chooses exit
 * codes: 0 success, 1 a runtime failure (a run that failed, a missing
 * database, an SQL error), 2 bad usage or configuration, 130 a run
 * interrupted by SIGINT or SIGTERM.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "genlab/genlab.h"

static int cmd_version(int argc, char **argv);

/* The commands, in the order --help lists them. */
static const struct command {
    const char *name;
    cli_handler run;
    const char *summary;
} commands[] = {
    {"train", cmd_train, "train a model from plugin components; record the run in the store"},
    {"plugins", cmd_plugins, "list the plugins' components, or show one's parameters"},
    {"runs", cmd_runs, "list the runs in the experiment store"},
    {"show", cmd_show, "show one run: parameters, last metrics, scores, artifacts"},
    {"query", cmd_query, "run a read-only SQL query on the store"},
    {"report", cmd_report, "run a named report (an SQL file) on the store"},
    {"db", cmd_db, "manage store files (merge)"},
    {"selftest", cmd_selftest, "train two small networks end to end; report loss and speed"},
    {"version", cmd_version, "print the library version"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: genlab [--help] [--version] COMMAND [ARGS]\n"
                 "\n"
                 "genlab trains and compares deep generative models of images.\n"
                 "\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n"
                 "'genlab COMMAND --help' describes a command; 'man genlab' has them all.\n"
                 "The store commands use ./genlab.db unless --db FILE or GENLAB_DB says otherwise.\n");
}

static const cli_help version_help = {
    .command = "version",
    .synopsis = "genlab version",
    .body = "Prints the version of genlab and its library (the same as genlab --version).\n"
            "\n"
            "example:\n"
            "  genlab version\n",
};

static int cmd_version(int argc, char **argv)
{
    const cli_option opts[] = {{NULL, NULL}};
    int npos, rc = cli_parse(&version_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (npos > 0)
        return cli_usage_error(&version_help, "unexpected argument '%s'", argv[1]);
    printf("genlab %s\n", genlab_version());
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(name, "--version"))
        name = "version";
    const struct command *cmd = NULL;
    for (size_t i = 0; i < N_COMMANDS && !cmd; i++)
        if (!strcmp(name, commands[i].name))
            cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr, "genlab: unknown %s '%s'\n", name[0] == '-' ? "option" : "command", name);
        fprintf(stderr, "usage: genlab [--help] [--version] COMMAND [ARGS]\n"
                        "Try 'genlab --help' for the list of commands.\n");
        return CLI_EXIT_USAGE;
    }
    int rc = cmd->run(argc - 1, argv + 1);
    /* a full disk or a closed pipe must not pass for success */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "genlab %s: error writing the output\n", name);
        return CLI_EXIT_FAILURE;
    }
    return rc;
}
