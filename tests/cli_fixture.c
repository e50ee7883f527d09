/* SPDX-License-Identifier: MIT
 *
 * cli_fixture.c — writes the small experiment stores that tests/test_cli.sh
 * runs the genlab program on, through the public store API only.
 *
 *   cli_fixture DB          four runs, described below; prints their uuids
 *                           (one a line, in id order)
 *   cli_fixture --bare N DB N runs with nothing but a trainer; prints their
 *                           uuids (for ambiguous uuid prefixes).
 *
 * It is a test helper, not a test: it checks nothing but its own calls,
 * and exits 1 with the store's message when one fails.
 *
 * Sections: helpers, the four runs, main.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/store.h"

/* ---- helpers ---- */

static genlab_store *store;

static void check(genlab_status st, const char *what)
{
    if (st != GL_OK) {
        fprintf(stderr, "cli_fixture: %s: %s\n", what, genlab_store_errmsg(store));
        genlab_store_close(store);
        exit(1);
    }
}

static int64_t begin(const char *name, const char *trainer, int64_t seed)
{
    genlab_run_info info = {.name = name, .trainer = trainer, .seed = seed, .has_seed = true,
                            .config_json = "{\"demo\": true}"};
    int64_t id;
    char uuid[37];
    check(genlab_store_run_begin(store, &info, &id, uuid), "run_begin");
    printf("%s\n", uuid);
    return id;
}

static void fid(int64_t run, int64_t step, double value)
{
    genlab_score_row s = {.step = step, .metric = "fid", .value = value, .n_samples = 10000,
                      .feature_extractor = "inception-v3-tf", .ref_stats_id = "cifar10-train",
                      .resize = "bilinear-299", .ref_split = "train", .seed = 0,
                      .protocol_json = "{\"n\": 10000}"};
    check(genlab_store_score_add(store, run, &s, NULL), "score_add");
}

/* ---- the four runs ---- */

/* 1: a GAN whose name has a comma and a quote (csv quoting) and whose
 *    architecture has a '|' (markdown escaping); curves, scores, an artifact
 * 2: the same GAN with another seed and learning rate (varying params)
 * 3: a VAE that failed
 * 4: a GAN interrupted early, without parameters */
static void four_runs(const char *db)
{
    int64_t r1 = begin("baseline, \"v1\"", "gan", 1);
    const genlab_param_row p1[] = {
        {"arch", "dcgan|wide", "string"}, {"optim.lr", "2e-4", "float"}, {"seed", "1", "int"}};
    check(genlab_store_run_params(store, r1, p1, 3), "run_params");
    for (int step = 0; step <= 20; step += 10) {
        check(genlab_store_metric(store, r1, step, "loss_d", 1.0 / (step + 1)), "metric");
        check(genlab_store_metric(store, r1, step, "loss_g", 2.0 + step), "metric");
    }
    fid(r1, 10, 40.5);
    fid(r1, 20, 31.25);
    /* an artifact needs a file to hash: a checkpoint stand-in beside the db */
    char path[4096];
    snprintf(path, sizeof path, "%s.ckpt", db);
    FILE *f = fopen(path, "wb");
    if (!f || fputs("weights", f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cli_fixture: cannot write %s\n", path);
        exit(1);
    }
    check(genlab_store_artifact_add(store, r1, "checkpoint", path, NULL, NULL), "artifact_add");
    check(genlab_store_run_end(store, r1, GL_RUN_COMPLETED, GL_OK, NULL), "run_end");

    int64_t r2 = begin("pipe|name", "gan", 2);
    const genlab_param_row p2[] = {
        {"arch", "dcgan|wide", "string"}, {"optim.lr", "1e-4", "float"}, {"seed", "2", "int"}};
    check(genlab_store_run_params(store, r2, p2, 3), "run_params");
    fid(r2, 20, 35.0);
    check(genlab_store_run_end(store, r2, GL_RUN_COMPLETED, GL_OK, NULL), "run_end");

    int64_t r3 = begin("vae try", "vae", 1);
    const genlab_param_row p3[] = {{"beta", "4", "float"}};
    check(genlab_store_run_params(store, r3, p3, 1), "run_params");
    check(genlab_store_metric(store, r3, 5, "elbo", NAN), "metric");
    check(genlab_store_run_end(store, r3, GL_RUN_FAILED, GL_ERR_NUMERIC, "loss is NaN at step 5"),
          "run_end");

    int64_t r4 = begin(NULL, "gan", 3);
    check(genlab_store_run_mark_interrupted(store, r4, NULL), "mark_interrupted");
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    long n_bare = 0;
    const char *db = argc == 2 ? argv[1] : NULL;
    if (argc == 4 && !strcmp(argv[1], "--bare")) {
        n_bare = strtol(argv[2], NULL, 10);
        db = argv[3];
    }
    if (!db || (argc == 4 && n_bare < 1)) {
        fprintf(stderr, "usage: cli_fixture DB | cli_fixture --bare N DB\n");
        return 2;
    }
    check(genlab_store_open(db, false, &store), "open");
    if (n_bare)
        for (long i = 0; i < n_bare; i++) {
            int64_t id = begin(NULL, "gan", i);
            check(genlab_store_run_end(store, id, GL_RUN_COMPLETED, GL_OK, NULL), "run_end");
        }
    else
        four_runs(db);
    check(genlab_store_close(store), "close");
    return 0;
}
