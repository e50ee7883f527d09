/* SPDX-License-Identifier: MIT
 *
 * genlab.c — the genlab command: parses arguments and calls libgenlab.
 * It is the only place that prints to the user and chooses exit codes.
 */
#include <stdio.h>
#include <string.h>

#include "genlab/genlab.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: genlab [--help] [--version] COMMAND [ARGS]\n"
            "\n"
            "genlab trains and compares deep generative models of images.\n"
            "\n"
            "commands:\n"
            "  version     print the library version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("genlab %s\n", genlab_version());
        return 0;
    }
    fprintf(stderr, "genlab: unknown command '%s' (see genlab --help)\n", argv[1]);
    return 2;
}
