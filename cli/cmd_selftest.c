/* SPDX-License-Identifier: MIT
 *
 * cmd_selftest.c — `genlab selftest`: runs the two self-test trainings of
 * selftest.c and prints their losses and speed. The trainings themselves
 * are in selftest.c (the end-to-end suite runs them too); this file is
 * options, progress, printing and the pass thresholds.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "progress.h"
#include "selftest.h"

static const cli_help help = {
    .command = "selftest",
    .synopsis = "genlab selftest [--seed N] [--threads N] [--steps N]",
    .body =
        "Trains a 2-8-1 MLP on XOR and a small conv net (conv, batch norm, pooling,\n"
        "group norm, linear) that over-fits one batch of 32 random images, and\n"
        "reports losses, ms/step and images/s. The conv net's progress goes to\n"
        "stderr: a progress bar on a terminal, a line every 25 steps otherwise.\n"
        "Exit status 0 when both converge, 1 when one does not.\n"
        "\n"
        "options:\n"
        "  --seed N      random seed (default 1)\n"
        "  --threads N   kernel threads (default 0: all cores)\n"
        "  --steps N     conv-net training steps (default 150)\n"
        "\n"
        "example:\n"
        "  genlab selftest --threads 4 --steps 300\n",
};

/* selftest_progress adapter: the conv net reports every step */
static void on_step(int step, int total, double loss, void *user)
{
    (void)total;
    cli_progress_update(user, step, loss);
}

int cmd_selftest(int argc, char **argv)
{
    const char *seed_s = "1", *threads_s = "0", *steps_s = "150";
    const cli_option opts[] = {
        {"seed", &seed_s}, {"threads", &threads_s}, {"steps", &steps_s}, {NULL, NULL},
    };
    int npos, rc = cli_parse(&help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (npos > 0)
        return cli_usage_error(&help, "unexpected argument '%s'", argv[1]);
    long long seed, threads, steps;
    if (!cli_parse_int(&help, "--seed", seed_s, 0, INT64_MAX, &seed) ||
        !cli_parse_int(&help, "--threads", threads_s, 0, 1024, &threads) ||
        !cli_parse_int(&help, "--steps", steps_s, 0, 1000000, &steps))
        return CLI_EXIT_USAGE;

    char err[512];
    selftest_result r;
    printf("genlab %s selftest (seed %lld)\n", genlab_version(), seed);
    fflush(stdout);   /* before the progress on stderr, when both go to one file */
    if (selftest_xor((uint64_t)seed, (int)threads, 2000, &r, err, sizeof err) != GL_OK)
        return cli_fail(&help, "xor: %s", err);
    bool xor_ok = r.final_loss < 0.01;
    printf("xor      %s: loss %.4f -> %.4f in %d Adam steps, %.3f ms/step\n",
           xor_ok ? "ok" : "FAILED", r.first_loss, r.final_loss, r.steps, r.ms_per_step);
    fflush(stdout);

    cli_progress progress;
    cli_progress_start(&progress, stderr, "convnet", steps, 25);
    genlab_status st = selftest_convnet((uint64_t)seed, (int)threads, (int)steps, &r, on_step,
                                        &progress, err, sizeof err);
    cli_progress_finish(&progress);
    if (st != GL_OK)
        return cli_fail(&help, "convnet: %s", err);
    bool conv_ok = r.final_loss < 0.05;
    printf("convnet  %s: loss %.4f -> %.4f in %d steps, %.2f ms/step, %.0f images/s, "
           "%" PRId64 " parameters\n",
           conv_ok ? "ok" : "FAILED", r.first_loss, r.final_loss, r.steps, r.ms_per_step,
           r.ms_per_step > 0 ? 32 * 1000.0 / r.ms_per_step : 0.0, r.n_params);
    return xor_ok && conv_ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
