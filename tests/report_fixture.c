/* SPDX-License-Identifier: MIT
 *
 * report_fixture.c — writes the store tests/test_reports.sh runs the
 * shipped reports on, through the public store API only, and beside it
 * the rows each report must give (DIR/<report>.csv, as --format csv prints
 * them), computed here independently of SQLite: the mean and the sample
 * standard deviation by the two-pass formula over the seeds' values.
 *
 *   report_fixture DB DIR SAMPLE.png   the store, expected rows in DIR,
 *                                      SAMPLE.png recorded as run 1's grid
 *   report_fixture --mixed METRIC DB   adds a score of METRIC (fid, is)
 *                                      under another protocol
 *
 * The store holds sweeps shaped like the seeds' tables: batch size and
 * learning rate by architecture, Adam beta1, the GAN loss, models with IS
 * and FID; three or two seeds per point, one point with a single seed
 * (its cell is the value alone), one missing cell; curves with a NaN (a
 * gap in a plot) and image artifacts (one present, one missing) for the
 * HTML report. It is a test helper: it checks only its own calls.
 *
 * Sections: helpers, sweeps, expected rows, main.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/store.h"

/* ---- helpers ---- */

static genlab_store *store;
static const char *out_dir;

static void check(genlab_status st, const char *what)
{
    if (st != GL_OK) {
        fprintf(stderr, "report_fixture: %s: %s\n", what, genlab_store_errmsg(store));
        exit(1);
    }
}

/* score — a score under the one protocol every test score shares */
static void score(int64_t run, const char *metric, double value, bool higher)
{
    genlab_score_row s = {.step = 100, .metric = metric, .value = value,
                          .higher_is_better = higher, .n_samples = 500,
                          .feature_extractor = "inception-v3-tf", .ref_stats_id = "cats-train",
                          .resize = "bilinear-299", .ref_split = "train", .seed = 0,
                          .protocol_json = "{\"n\": 500}"};
    /* an earlier, worse evaluation: the reports take the latest */
    genlab_score_row early = s;
    early.step = 50;
    early.value = value + 100;
    check(genlab_store_score_add(store, run, &early, NULL), "score_add");
    check(genlab_store_score_add(store, run, &s, NULL), "score_add");
}

/* run — one run of a sweep: trainer, its point's parameter key=value,
 * extra fixed parameters, the seed; returns its id */
static int64_t run(const char *sweep, const char *trainer, const char *key, const char *value,
                   int seed)
{
    char point[256];
    snprintf(point, sizeof point, "{\"%s\": \"%s\", \"seed\": %d}", key, value, seed);
    genlab_run_info info = {.trainer = trainer, .seed = (uint64_t)seed, .has_seed = true,
                            .config_json = "{}", .sweep = sweep, .sweep_point = point};
    int64_t id;
    char uuid[37];
    check(genlab_store_run_begin(store, &info, &id, uuid), "run_begin");
    char seed_text[16];
    snprintf(seed_text, sizeof seed_text, "%d", seed);
    const char *arch = !strcmp(trainer, "gan") ? "gan.generator"
                       : !strcmp(trainer, "vae") ? "vae.encoder" : "diffusion.denoiser";
    const char *arch_value = !strcmp(trainer, "gan") ? "dcgan28"
                             : !strcmp(trainer, "vae") ? "vae-mlp28" : "unet";
    genlab_param_row p[] = {{key, value, "string"}, {"train.seed", seed_text, "int"},
                            {arch, arch_value, "string"}};
    check(genlab_store_run_params(store, id, p, strcmp(key, arch) ? 3 : 2), "run_params");
    for (int step = 0; step < 5; step++) {
        double d = step == 2 && seed == 1 ? NAN : 1.0 / (step + 1) + seed * 0.01;
        check(genlab_store_metric(store, id, step, "d_loss", d), "metric");
        check(genlab_store_metric(store, id, step, "g_loss", 2.0 - 0.1 * step), "metric");
    }
    check(genlab_store_run_end(store, id, GL_RUN_COMPLETED, GL_OK, NULL), "run_end");
    return id;
}

/* the value of seed s at a point whose base is b: spread unevenly so that
 * the mean and the std are not round numbers */
static double seed_value(double b, int s)
{
    static const double offset[] = {0, 0.3, 1.1, 2.6};
    return b + offset[s];
}

/* mean_std — "mean ± std" over n values as the views print it, or the
 * value alone for one; two-pass sample standard deviation */
static void mean_std(const double *v, int n, char *buf, size_t size)
{
    double mean = 0, ss = 0;
    for (int i = 0; i < n; i++)
        mean += v[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    if (n == 1)
        snprintf(buf, size, "%.4g", mean);
    else
        snprintf(buf, size, "%.4g ± %.2g", mean, sqrt(ss / (n - 1)));
}

/* ---- sweeps ---- */

/* A pivot table: rows are trainers, columns values of key; base[r][c] is
 * the point's base FID (0: no such point), seeds[r][c] its seed count. */
typedef struct grid {
    const char *report, *key, *col_name;
    int         nrow, ncol;
    const char *trainer[3];
    const char *value[4];
    double      base[3][4];
    int         seeds[3][4];
} grid;

static const grid grids[] = {
    {"batch-arch", "train.batch", "batch", 2, 3, {"gan", "vae"}, {"64", "128", "256"},
     {{346.0, 357.7, 370.3}, {120.8, 133.8, 0}}, {{3, 3, 3}, {2, 1, 0}}},
    {"lr-arch", "optim.lr", "lr", 2, 3, {"diffusion", "gan"}, {"1e-4", "5e-4", "1e-2"},
     {{147.2, 230.6, 0}, {38.6, 83.2, 412.7}}, {{2, 2, 0}, {2, 2, 3}}},
    {"beta1-arch", "optim.beta1", "beta1", 1, 4, {"vae"}, {"0", "0.3", "0.5", "0.7"},
     {{111.2, 123.2, 109.1, 127.2}}, {{2, 2, 2, 2}}},
};

static void write_grid(const grid *g)
{
    char sweep[64], path[4096];
    snprintf(path, sizeof path, "%s/%s.csv", out_dir, g->report);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "report_fixture: cannot write %s\n", path);
        exit(1);
    }
    fprintf(f, "arch");
    for (int c = 0; c < g->ncol; c++)
        fprintf(f, ",%s=%s", g->col_name, g->value[c]);
    fputs("\r\n", f);
    for (int r = 0; r < g->nrow; r++) {
        snprintf(sweep, sizeof sweep, "%s-%s", g->col_name, g->trainer[r]);
        fputs(g->trainer[r], f);
        for (int c = 0; c < g->ncol; c++) {
            double v[4];
            int n = g->seeds[r][c];
            for (int s = 1; s <= n; s++) {
                v[s - 1] = seed_value(g->base[r][c], s);
                score(run(sweep, g->trainer[r], g->key, g->value[c], s), "fid", v[s - 1],
                      false);
            }
            char cell[64] = "";
            if (n)
                mean_std(v, n, cell, sizeof cell);
            fprintf(f, ",%s", cell);
        }
        fputs("\r\n", f);
    }
    fclose(f);
}

/* ---- expected rows ---- */

/* gan-losses: loss → FID, best mean first; d_loss/g_loss the mean of the
 * runs' last values (step 4: 1/5 + seed/100 and 2 - 0.4) */
static void losses(void)
{
    static const char *const loss[] = {"bce", "lsgan", "hinge"};
    static const double base[] = {44.18, 35.73, 30.98};
    char path[4096];
    snprintf(path, sizeof path, "%s/gan-losses.csv", out_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        exit(1);
    fputs("loss,arch,fid,mean,std,seeds,d_loss,g_loss,runs,config\r\n", f);
    char rows[3][512];
    for (int l = 0; l < 3; l++) {
        double v[3];
        int64_t id[3];
        for (int s = 1; s <= 3; s++) {
            v[s - 1] = seed_value(base[l], s);
            id[s - 1] = run("losses", "gan", "gan.loss", loss[l], s);
            score(id[s - 1], "fid", v[s - 1], false);
        }
        char cell[64];
        mean_std(v, 3, cell, sizeof cell);
        double mean = (v[0] + v[1] + v[2]) / 3, ss = 0;
        for (int i = 0; i < 3; i++)
            ss += (v[i] - mean) * (v[i] - mean);
        /* runs and config hold commas and quotes: quoted as RFC 4180 says */
        snprintf(rows[l], sizeof rows[l],
                 "%s,dcgan28,%s,%.15g,%.15g,3,%.15g,%.15g,\"%lld,%lld,%lld\","
                 "\"losses {\"\"gan.loss\"\":\"\"%s\"\"}\"", loss[l],
                 cell, round(mean * 1e4) / 1e4, round(sqrt(ss / 2) * 1e4) / 1e4,
                 round((0.2 + 0.02) * 1e4) / 1e4, round(1.6 * 1e4) / 1e4, (long long)id[0],
                 (long long)id[1], (long long)id[2], loss[l]);
    }
    for (int l = 2; l >= 0; l--)   /* best (lowest) mean first */
        fprintf(f, "%s\r\n", rows[l]);
    fclose(f);
}

/* model-is-fid: two models, IS and FID over two seeds */
static void models(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/model-is-fid.csv", out_dir);
    FILE *f = fopen(path, "w");
    if (!f)
        exit(1);
    fputs("model,IS,FID,seeds\r\n", f);
    static const char *const trainer[] = {"gan", "vae"};
    static const char *const arch[] = {"gan.generator", "vae.encoder"};
    static const char *const value[] = {"dcgan28", "vae-mlp28"};
    static const double is[] = {6.02, 3.51}, fid[] = {37.6, 135.1};
    for (int m = 0; m < 2; m++) {
        double vi[2], vf[2];
        for (int s = 1; s <= 2; s++) {
            int64_t id = run("models", trainer[m], arch[m], value[m], s);
            score(id, "is", vi[s - 1] = seed_value(is[m], s), true);
            score(id, "fid", vf[s - 1] = seed_value(fid[m], s), false);
        }
        char ci[64], cf[64];
        mean_std(vi, 2, ci, sizeof ci);
        mean_std(vf, 2, cf, sizeof cf);
        fprintf(f, "%s %s,%s,%s,2\r\n", trainer[m], value[m], ci, cf);
    }
    fclose(f);
}

/* the samples of the first run: a PNG that stays (present) and a grid
 * removed after it was recorded (missing) */
static void artifacts(const char *png)
{
    check(genlab_store_artifact_add(store, 1, "grid", png, NULL, NULL), "artifact_add");
    char gone[4096];
    snprintf(gone, sizeof gone, "%s/gone-grid.png", out_dir);
    FILE *f = fopen(gone, "wb");
    if (!f || fputs("not an image", f) < 0 || fclose(f) != 0)
        exit(1);
    check(genlab_store_artifact_add(store, 1, "interpolation", gone, NULL, NULL),
          "artifact_add");
    remove(gone);
}

/* mixed — one score of metric under another protocol (1000 samples),
 * which the reports reading that metric must refuse */
static void mixed(const char *metric)
{
    genlab_score_row s = {.step = 100, .metric = metric, .value = 50, .n_samples = 1000,
                          .feature_extractor = "inception-v3-tf", .ref_stats_id = "cats-train",
                          .resize = "bilinear-299", .ref_split = "train", .seed = 0,
                          .protocol_json = "{\"n\": 1000}"};
    check(genlab_store_score_add(store, 1, &s, NULL), "score_add");
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--mixed")) {
        check(genlab_store_open(argv[3], false, &store), "open");
        mixed(argv[2]);
        check(genlab_store_close(store), "close");
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: report_fixture DB DIR SAMPLE.png | "
                        "report_fixture --mixed METRIC DB\n");
        return 2;
    }
    out_dir = argv[2];
    check(genlab_store_open(argv[1], false, &store), "open");
    for (size_t i = 0; i < sizeof grids / sizeof grids[0]; i++)
        write_grid(&grids[i]);
    losses();
    models();
    artifacts(argv[3]);
    check(genlab_store_close(store), "close");
    return 0;
}
