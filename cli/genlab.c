/* SPDX-License-Identifier: MIT
 *
 * genlab.c — the genlab command: parses arguments and calls libgenlab.
 * It is the only place that prints to the user and chooses exit codes:
 * 0 success, 1 a run failed, 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genlab/genlab.h"
#include "selftest.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: genlab [--help] [--version] COMMAND [ARGS]\n"
            "\n"
            "genlab trains and compares deep generative models of images.\n"
            "\n"
            "commands:\n"
            "  selftest    train two small networks end to end and report loss and speed\n"
            "  version     print the library version\n"
            "\n"
            "'genlab COMMAND --help' describes a command.\n");
}

static void selftest_usage(FILE *out)
{
    fprintf(out,
            "usage: genlab selftest [--seed N] [--threads N] [--steps N]\n"
            "\n"
            "Trains a 2-8-1 MLP on XOR and a small conv net (conv, batch norm, pooling,\n"
            "group norm, linear) that over-fits one batch of 32 random images, and\n"
            "reports losses, ms/step and images/s. Exit status 0 when both converge.\n"
            "\n"
            "  --seed N      random seed (default 1)\n"
            "  --threads N   kernel threads (default: all cores)\n"
            "  --steps N     conv-net training steps (default 150)\n");
}

/* parse a non-negative integer option value; false with a message if bad */
static bool parse_count(const char *opt, const char *text, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text ? text : "", &end, 10);
    if (!text || *text == '\0' || *end != '\0' || errno || v < 0 || v > max) {
        fprintf(stderr, "genlab selftest: %s needs an integer in [0, %lld], got '%s'\n", opt, max,
                text ? text : "");
        return false;
    }
    *out = v;
    return true;
}

/* a one-line progress bar on a terminal, a line every 25 steps otherwise */
static void progress(int step, int total, double loss, void *user)
{
    bool tty = *(bool *)user;
    if (tty) {
        int width = 30, done = total ? step * width / total : width;
        fprintf(stderr, "\r  convnet [%.*s%*s] %d/%d loss %.4f", done,
                "##############################", width - done, "", step, total, loss);
        if (step == total)
            fputc('\n', stderr);
    } else if (step % 25 == 0 || step == total) {
        fprintf(stderr, "  convnet step %d/%d loss %.4f\n", step, total, loss);
    }
}

static int cmd_selftest(int argc, char **argv)
{
    long long seed = 1, threads = 0, steps = 150;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            selftest_usage(stdout);
            return 0;
        }
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        long long *dst = !strcmp(a, "--seed") ? &seed : !strcmp(a, "--threads") ? &threads
                         : !strcmp(a, "--steps") ? &steps : NULL;
        long long max = dst == &threads ? 1024 : dst == &steps ? 1000000 : INT64_MAX;
        if (!dst)
            fprintf(stderr, "genlab selftest: unknown option '%s'\n", a);
        if (!dst || !parse_count(a, val, max, dst)) {
            selftest_usage(stderr);
            return 2;
        }
        i++;
    }
    char err[512];
    selftest_result r;
    printf("genlab %s selftest (seed %lld)\n", genlab_version(), seed);
    if (selftest_xor((uint64_t)seed, (int)threads, 2000, &r, err, sizeof err) != GL_OK) {
        fprintf(stderr, "genlab selftest: xor: %s\n", err);
        return 1;
    }
    bool xor_ok = r.final_loss < 0.01;
    printf("xor      %s: loss %.4f -> %.4f in %d Adam steps, %.3f ms/step\n",
           xor_ok ? "ok" : "FAILED", r.first_loss, r.final_loss, r.steps, r.ms_per_step);
    bool tty = isatty(STDERR_FILENO);
    if (selftest_convnet((uint64_t)seed, (int)threads, (int)steps, &r, progress, &tty, err,
                         sizeof err) != GL_OK) {
        fprintf(stderr, "genlab selftest: convnet: %s\n", err);
        return 1;
    }
    bool conv_ok = r.final_loss < 0.05;
    printf("convnet  %s: loss %.4f -> %.4f in %d steps, %.2f ms/step, %.0f images/s, "
           "%" PRId64 " parameters\n",
           conv_ok ? "ok" : "FAILED", r.first_loss, r.final_loss, r.steps, r.ms_per_step,
           r.ms_per_step > 0 ? 32 * 1000.0 / r.ms_per_step : 0.0, r.n_params);
    return xor_ok && conv_ok ? 0 : 1;
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
    if (!strcmp(argv[1], "selftest"))
        return cmd_selftest(argc - 1, argv + 1);
    fprintf(stderr, "genlab: unknown command '%s' (see genlab --help)\n", argv[1]);
    return 2;
}
