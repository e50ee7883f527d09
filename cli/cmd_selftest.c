/* SPDX-License-Identifier: MIT
 *
 * cmd_selftest.c — `genlab selftest`: runs the self-test trainings of
 * selftest.c and prints their losses, accuracy and speed. The trainings themselves
 * are in selftest.c (the end-to-end suite runs them too); this file is
 * options, progress, printing and the pass thresholds.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "progress.h"
#include "selftest.h"

static const cli_help help = {
    .command = "selftest",
    .synopsis = "genlab selftest [--seed N] [--threads N] [--steps N] [--data-steps N]",
    .body =
        "Trains a 2-8-1 MLP on XOR and a small conv net (conv, batch norm, pooling,\n"
        "group norm, linear) that over-fits one batch of 32 random images, then the\n"
        "same conv net, wider, on the default dataset: Fashion-MNIST from Debian's\n"
        "dataset-fashion-mnist package, read by the idx plugin, classifying the first\n"
        "2,000 test images at the end. Reports losses, accuracy, ms/step and images/s.\n"
        "Progress goes to stderr: a progress bar on a terminal, a line every 25 steps\n"
        "otherwise. Without the dataset package the last run is skipped, saying so.\n"
        "Exit status 0 when every run that ran converged (Fashion-MNIST: at least 70%\n"
        "test accuracy), 1 otherwise.\n"
        "\n"
        "options:\n"
        "  --seed N         random seed (default 1)\n"
        "  --threads N      kernel threads (default 0: all cores)\n"
        "  --steps N        over-fitting conv-net steps (default 150)\n"
        "  --data-steps N   Fashion-MNIST steps of 64 images (default 300; 0 skips it)\n"
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

/* fashion — the Fashion-MNIST run and its line; false when it ran and
 * failed or did not learn */
static bool fashion(uint64_t seed, int threads, int steps)
{
    if (steps == 0)
        return true;
    genlab_registry *reg = cli_registry_open(&help);
    if (!reg)
        return false;
    char err[512];
    selftest_data_result d;
    cli_progress progress;
    cli_progress_start(&progress, stderr, "fashion", steps, 25);
    genlab_status st = selftest_fashion(reg, seed, threads, steps, &d, on_step, &progress, err,
                                        sizeof err);
    cli_progress_finish(&progress);
    genlab_registry_destroy(reg);
    if (st == GL_ERR_IO) {   /* the package is not installed: say so, do not pretend */
        printf("fashion  SKIPPED: %s (install Debian's dataset-fashion-mnist)\n", err);
        return true;
    }
    if (st != GL_OK) {
        cli_fail(&help, "fashion: %s", err);
        return false;
    }
    bool ok = d.accuracy >= 0.70;
    printf("fashion  %s: %" PRId64 " + %" PRId64 " images, %d classes; loss %.4f -> %.4f in %d "
           "steps of 64, test accuracy %.1f%% (first %" PRId64 "), %.2f ms/step (%.2f reading), "
           "%.0f images/s\n",
           ok ? "ok" : "FAILED", d.train_items, d.test_items, d.classes, d.run.first_loss,
           d.run.final_loss, d.run.steps, 100 * d.accuracy, d.eval_items, d.run.ms_per_step,
           d.read_ms_per_step, d.run.ms_per_step > 0 ? 64 * 1000.0 / d.run.ms_per_step : 0.0);
    return ok;
}

int cmd_selftest(int argc, char **argv)
{
    const char *seed_s = "1", *threads_s = "0", *steps_s = "150", *data_steps_s = "300";
    const cli_option opts[] = {
        {"seed", &seed_s}, {"threads", &threads_s}, {"steps", &steps_s},
        {"data-steps", &data_steps_s}, {NULL, NULL},
    };
    int npos, rc = cli_parse(&help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (npos > 0)
        return cli_usage_error(&help, "unexpected argument '%s'", argv[1]);
    long long seed, threads, steps, data_steps;
    if (!cli_parse_int(&help, "--seed", seed_s, 0, INT64_MAX, &seed) ||
        !cli_parse_int(&help, "--threads", threads_s, 0, 1024, &threads) ||
        !cli_parse_int(&help, "--steps", steps_s, 0, 1000000, &steps) ||
        !cli_parse_int(&help, "--data-steps", data_steps_s, 0, 1000000, &data_steps))
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
    fflush(stdout);
    return xor_ok && conv_ok && fashion((uint64_t)seed, (int)threads, (int)data_steps)
               ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
