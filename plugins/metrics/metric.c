/* SPDX-License-Identifier: MIT
 *
 * metric.c — the metric components "inception" and "classifier": one
 * feature extractor each (extractor.h), the same arithmetic behind both.
 *
 *   add(set, images)   the extractor runs once per batch; its features go
 *                      where the asked-for scores need them: streamed into
 *                      float64 statistics for FID, kept in memory (float32
 *                      rows) for KID and precision/recall, and the generated
 *                      images' logits kept for IS
 *   compute()          every asked-for score, in the order fid, is, kid,
 *                      precision, recall (<genlab/scores.h> does the maths)
 *   protocol()         a JSON object saying exactly how: the extractor and
 *                      its weights' SHA-256, the resize rule, the reference
 *                      (a .npz and its SHA-256, or "real images" and their
 *                      count), image counts, splits, subsets, k, seed, the
 *                      statistics' precision and the genlab version
 *   statistics(set)    the mean and covariance FID uses (genlab stats)
 *
 * FID compares the generated set with the reference file `ref` (pytorch-
 * fid's .npz of mu and sigma) when one is given, else with the real images
 * added. The classifier component names its scores "classifier_fid",
 * "classifier_is", ...: a report filtering on metric = 'fid' never meets a
 * classifier's number.
 *
 * Not here: the extractors (inception*.c, classifier.c), the scores'
 * arithmetic (libgenlab/scores*.c), sampling and data (the caller's).
 *
 * Sections: parameters, files, state, add, compute, protocol, the
 * components.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "genlab/npz.h"
#include "genlab/scores.h"
#include "metrics.h"

/* ---- parameters ---- */

static const char *const resize_choices[] = {"pytorch-fid", "clean-fid", NULL};

/* the parameters both components share, after their own */
#define MX_COMMON_PARAMS                                                                      \
    {.name = "ref", .type = GL_PARAM_STRING, .def = "",                                        \
     .help = "reference statistics for FID (a .npz of mu, sigma); \"\": the real images "     \
             "added"},                                                                         \
    {.name = "is_splits", .type = GL_PARAM_INT, .def = "10", .min = "1", .max = "1000",        \
     .help = "IS: splits of the generated images (mean and std over them)"},                  \
    {.name = "kid_subsets", .type = GL_PARAM_INT, .def = "100", .min = "1", .max = "100000",   \
     .help = "KID: random subsets (mean and std over them)"},                                 \
    {.name = "kid_subset_size", .type = GL_PARAM_INT, .def = "1000", .min = "2",               \
     .max = "10000000", .help = "KID: images of each set per subset"},                        \
    {.name = "pr_k", .type = GL_PARAM_INT, .def = "3", .min = "1", .max = "1000",              \
     .help = "precision/recall: the k of the k-NN radii"},                                    \
    {.name = "seed", .type = GL_PARAM_INT, .def = "0", .min = "0",                             \
     .max = "9223372036854775807", .help = "KID: seed of the subsets"}

static const genlab_param_def inception_params[] = {
    {.name = "weights", .type = GL_PARAM_STRING, .def = NULL,
     .help = "the FID Inception weights, safetensors (tools/convert_inception_weights.py)"},
    {.name = "resize", .type = GL_PARAM_ENUM, .def = "pytorch-fid", .choices = resize_choices,
     .help = "resize to 299: pytorch-fid (bilinear) or clean-fid (PIL bicubic)"},
    {.name = "scores", .type = GL_PARAM_STRING, .def = "fid,is",
     .help = "comma-separated, among fid, is, kid, pr (precision and recall)"},
    MX_COMMON_PARAMS,
};

static const genlab_param_def classifier_params[] = {
    {.name = "weights", .type = GL_PARAM_STRING, .def = NULL,
     .help = "a checkpoint of the trainer classifier (genlab train train.trainer=classifier)"},
    {.name = "scores", .type = GL_PARAM_STRING, .def = "fid",
     .help = "comma-separated, among fid, is, kid, pr (precision and recall)"},
    MX_COMMON_PARAMS,
};

/* The scores, in the order compute() writes them; pr gives two. */
enum { S_FID = 1u, S_IS = 2u, S_KID = 4u, S_PR = 8u };
static const struct {
    const char *name;   /* in the scores parameter */
    unsigned    bit;
} score_names[] = {{"fid", S_FID}, {"is", S_IS}, {"kid", S_KID}, {"pr", S_PR}};
#define N_SCORE_NAMES (sizeof score_names / sizeof score_names[0])

/* What sets the two components apart. */
typedef struct mx_kind {
    const char *component;   /* "inception", "classifier" */
    const char *prefix;      /* of its score names: "", "classifier_" */
    genlab_status (*open)(genlab_ctx *ctx, const genlab_config *cfg, mx_extractor **out);
} mx_kind;

/* parse_scores — the scores parameter as bits; an unknown or repeated name
 * or an empty list is GL_ERR_INVALID naming it */
static genlab_status parse_scores(genlab_ctx *ctx, const char *component, const char *text,
                                  unsigned *out)
{
    *out = 0;
    const char *p = text;
    do {
        size_t len = strcspn(p, ",");
        unsigned bit = 0;
        for (size_t i = 0; i < N_SCORE_NAMES && !bit; i++)
            if (strlen(score_names[i].name) == len && !strncmp(score_names[i].name, p, len))
                bit = score_names[i].bit;
        if (!bit || (*out & bit))
            return genlab_errorf(ctx, GL_ERR_INVALID,
                                 "metric %s: scores=\"%s\": %s \"%.*s\" (choose among fid, is, "
                                 "kid, pr, each once)", component, text,
                                 bit ? "repeated" : "unknown score", (int)len, p);
        *out |= bit;
        p += len + (p[len] == ',');
    } while (p[-1] == ',' || *p);
    return GL_OK;
}

/* ---- files ---- */

genlab_status mx_sha256_file(genlab_ctx *ctx, const char *what, const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int err = f ? 0 : errno;
        if (f)
            fclose(f);
        return genlab_errorf(ctx, GL_ERR_IO, "%s \"%s\": %s", what, path,
                             err ? strerror(err) : "not a regular file");
    }
    struct sha256_ctx h;
    sha256_init(&h);
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&h, n, buf);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err)
        return genlab_errorf(ctx, GL_ERR_IO, "%s \"%s\": reading: %s", what, path, strerror(err));
    unsigned char d[SHA256_DIGEST_SIZE];
    sha256_digest(&h, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return GL_OK;
}

/* ---- state ---- */

/* Features of one set kept in memory (KID, precision/recall): n rows. */
typedef struct rows {
    float  *data;
    int64_t n, cap;     /* rows */
} rows;

typedef struct mx_metric {
    const genlab_host   *host;
    const mx_kind       *kind;
    mx_extractor        *x;
    unsigned             scores;
    int64_t              is_splits, kid_subsets, kid_subset_size, pr_k;
    uint64_t             seed;
    char                *ref;              /* the .npz path, or NULL */
    char                 ref_sha256[65];
    double              *ref_mu, *ref_sigma;
    int64_t              n[2];             /* images added per set */
    genlab_feature_stats *stats[2];        /* NULL where no statistics are kept */
    rows                 feat[2];          /* kept when kid or pr is asked for */
    rows                 logits;           /* of the generated images, for IS */
    float               *batch, *batch_logits;   /* one batch's extractor output */
    int64_t              batch_cap;
    double              *mu, *sigma;       /* statistics()'s output */
    char                 names[5][32];     /* score names with the kind's prefix */
    char               **protocols;        /* every protocol() string, freed at destroy */
    size_t               n_protocols;
} mx_metric;

static bool keeps_rows(const mx_metric *m) { return m->scores & (S_KID | S_PR); }

/* keeps_stats — FID's statistics of set: the generated images always, the
 * real ones when no reference file takes their place */
static bool keeps_stats(const mx_metric *m, genlab_metric_set set)
{
    return (m->scores & S_FID) && (set == GL_SET_FAKE || !m->ref);
}

static void free_accumulators(mx_metric *m)
{
    for (int s = 0; s < 2; s++) {
        genlab_fstats_free(m->stats[s]);
        m->stats[s] = NULL;
        free(m->feat[s].data);
        m->feat[s] = (rows){0};
        m->n[s] = 0;
    }
    free(m->logits.data);
    m->logits = (rows){0};
}

static void mx_destroy(void *state)
{
    mx_metric *m = state;
    if (!m)
        return;
    free_accumulators(m);
    if (m->x)
        m->x->destroy(m->x);
    for (size_t i = 0; i < m->n_protocols; i++)
        free(m->protocols[i]);
    free(m->protocols);
    free(m->ref);
    free(m->ref_mu);
    free(m->ref_sigma);
    free(m->batch);
    free(m->batch_logits);
    free(m->mu);
    free(m->sigma);
    free(m);
}

/* make_stats — empty statistics for the sets that keep them */
static genlab_status make_stats(genlab_ctx *ctx, mx_metric *m)
{
    genlab_status st = GL_OK;
    for (int s = 0; st == GL_OK && s < 2; s++)
        if (keeps_stats(m, (genlab_metric_set)s))
            st = genlab_fstats_create(ctx, m->x->dim, &m->stats[s]);
    return st;
}

/* load_ref — the reference statistics of path: mu (dim) and sigma (dim x
 * dim) as the extractor's dim, and the file's SHA-256 */
static genlab_status load_ref(genlab_ctx *ctx, mx_metric *m, const char *path)
{
    genlab_status st = mx_sha256_file(ctx, "reference statistics", path, m->ref_sha256);
    genlab_npz *z = NULL;
    if (st == GL_OK)
        st = genlab_npz_open(ctx, path, &z);
    if (st != GL_OK)
        return st;
    const genlab_npz_array *mu = genlab_npz_get(z, "mu"), *sigma = genlab_npz_get(z, "sigma");
    int64_t d = m->x->dim;
    if (!mu || !sigma || mu->ndim != 1 || mu->shape[0] != d || sigma->ndim != 2 ||
        sigma->shape[0] != d || sigma->shape[1] != d) {
        genlab_npz_close(z);
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "reference statistics \"%s\": needs mu (%lld) and sigma (%lld, "
                             "%lld), the statistics of %s features; %s", path, (long long)d,
                             (long long)d, (long long)d, m->x->name,
                             !mu || !sigma ? "it lacks mu or sigma"
                                           : "they have other shapes (another extractor's?)");
    }
    m->ref_mu = malloc((size_t)d * sizeof *m->ref_mu);
    m->ref_sigma = malloc((size_t)(d * d) * sizeof *m->ref_sigma);
    m->ref = strdup(path);
    if (m->ref_mu && m->ref_sigma && m->ref) {
        memcpy(m->ref_mu, mu->data, (size_t)d * sizeof *m->ref_mu);
        memcpy(m->ref_sigma, sigma->data, (size_t)(d * d) * sizeof *m->ref_sigma);
    }
    genlab_npz_close(z);
    return m->ref_mu && m->ref_sigma && m->ref
               ? GL_OK
               : genlab_errorf(ctx, GL_ERR_NOMEM, "metric %s: out of memory for the reference "
                               "statistics", m->kind->component);
}

static genlab_status mx_create(const genlab_host *host, const genlab_config *cfg,
                               const mx_kind *kind, void **state)
{
    genlab_ctx *ctx = host->ctx;
    mx_metric *m = calloc(1, sizeof *m);
    if (!m)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "metric %s: out of memory", kind->component);
    m->host = host;
    m->kind = kind;
    m->is_splits = genlab_config_int(cfg, "is_splits");
    m->kid_subsets = genlab_config_int(cfg, "kid_subsets");
    m->kid_subset_size = genlab_config_int(cfg, "kid_subset_size");
    m->pr_k = genlab_config_int(cfg, "pr_k");
    m->seed = (uint64_t)genlab_config_int(cfg, "seed");
    const char *ref = genlab_config_str(cfg, "ref");
    for (size_t i = 0; i < 5; i++)
        snprintf(m->names[i], sizeof m->names[i], "%s%s", kind->prefix,
                 (const char *const[]){"fid", "is", "kid", "precision", "recall"}[i]);
    genlab_status st = parse_scores(ctx, kind->component, genlab_config_str(cfg, "scores"),
                                    &m->scores);
    if (st == GL_OK)
        st = kind->open(ctx, cfg, &m->x);
    if (st == GL_OK && (m->scores & S_IS) && m->x->n_logits < 1)
        st = genlab_errorf(ctx, GL_ERR_INVALID, "metric %s: IS needs class logits, which the "
                           "extractor %s does not give", kind->component, m->x->name);
    if (st == GL_OK && ref && *ref)
        st = load_ref(ctx, m, ref);
    if (st == GL_OK)
        st = make_stats(ctx, m);
    if (st != GL_OK) {
        mx_destroy(m);
        return st;
    }
    *state = m;
    return GL_OK;
}

/* ---- add ---- */

/* grow — room for n more float rows of width in r (doubling) */
static bool grow(rows *r, int64_t n, int64_t width)
{
    if (r->n + n <= r->cap)
        return true;
    int64_t cap = r->cap ? r->cap : 1024;
    while (cap < r->n + n)
        cap *= 2;
    float *p = realloc(r->data, (size_t)(cap * width) * sizeof *p);
    if (!p)
        return false;
    r->data = p;
    r->cap = cap;
    return true;
}

static genlab_status mx_add(genlab_ctx *ctx, void *state, genlab_metric_set set,
                            genlab_tensor *images)
{
    mx_metric *m = state;
    const char *c = m->kind->component;
    if (!images)
        return genlab_ctx_status(ctx) != GL_OK ? genlab_ctx_status(ctx) : GL_ERR_INVALID;
    if (set != GL_SET_REAL && set != GL_SET_FAKE)
        return genlab_errorf(ctx, GL_ERR_INVALID, "metric %s: add: unknown set %d", c, (int)set);
    if (set == GL_SET_REAL && !keeps_stats(m, set) && !keeps_rows(m))
        return genlab_errorf(ctx, GL_ERR_STATE, "metric %s: real images are of no use here: FID "
                             "takes its reference from \"%s\"%s", c, m->ref ? m->ref : "",
                             m->scores & S_FID ? "" : " (and FID is not asked for)");
    int64_t n = genlab_tensor_ndim(images) >= 1 ? genlab_tensor_dim(images, 0) : 0;
    int64_t d = m->x->dim, k = m->x->n_logits;
    bool want_logits = set == GL_SET_FAKE && (m->scores & S_IS);
    if (n > m->batch_cap) {
        free(m->batch);
        free(m->batch_logits);
        m->batch = malloc((size_t)(n * d) * sizeof *m->batch);
        m->batch_logits = k ? malloc((size_t)(n * k) * sizeof *m->batch_logits) : NULL;
        m->batch_cap = m->batch && (m->batch_logits || !k) ? n : 0;
        if (!m->batch_cap)
            return genlab_errorf(ctx, GL_ERR_NOMEM, "metric %s: out of memory for a batch of "
                                 "%lld", c, (long long)n);
    }
    genlab_status st = m->x->features(ctx, m->x, images, m->batch,
                                      want_logits ? m->batch_logits : NULL);
    if (st != GL_OK)
        return st;
    if (m->stats[set] && (st = genlab_fstats_add(ctx, m->stats[set], m->batch, n)) != GL_OK)
        return st;
    if (keeps_rows(m)) {
        if (!grow(&m->feat[set], n, d))
            return genlab_errorf(ctx, GL_ERR_NOMEM, "metric %s: out of memory keeping %lld "
                                 "feature rows", c, (long long)(m->feat[set].n + n));
        memcpy(m->feat[set].data + m->feat[set].n * d, m->batch, (size_t)(n * d) * sizeof(float));
        m->feat[set].n += n;
    }
    if (want_logits) {
        if (!grow(&m->logits, n, k))
            return genlab_errorf(ctx, GL_ERR_NOMEM, "metric %s: out of memory keeping %lld "
                                 "logit rows", c, (long long)(m->logits.n + n));
        memcpy(m->logits.data + m->logits.n * k, m->batch_logits, (size_t)(n * k) * sizeof(float));
        m->logits.n += n;
    }
    m->n[set] += n;
    return GL_OK;
}

/* ---- compute ---- */

/* finish — set's statistics into m->mu / m->sigma; warns (through the
 * host's log) when the covariance is singular */
static genlab_status finish(genlab_ctx *ctx, mx_metric *m, genlab_metric_set set)
{
    const char *c = m->kind->component, *what = set == GL_SET_REAL ? "real" : "generated";
    int64_t d = m->x->dim;
    if (!m->stats[set])
        return genlab_errorf(ctx, GL_ERR_STATE, "metric %s: keeps no statistics of the %s "
                             "images (%s)", c, what,
                             m->scores & S_FID ? "FID uses the reference file" : "no FID asked");
    if (m->n[set] < 2)
        return genlab_errorf(ctx, GL_ERR_STATE, "metric %s: %lld %s images: statistics need at "
                             "least 2", c, (long long)m->n[set], what);
    if (!m->mu)
        m->mu = malloc((size_t)d * sizeof *m->mu);
    if (!m->sigma)
        m->sigma = malloc((size_t)(d * d) * sizeof *m->sigma);
    if (!m->mu || !m->sigma)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "metric %s: out of memory for a %lld x %lld "
                             "covariance", c, (long long)d, (long long)d);
    bool singular = false;
    genlab_status st = genlab_fstats_finish(ctx, m->stats[set], m->mu, m->sigma, &singular);
    if (st == GL_OK && singular)
        m->host->log(m->host, GL_LOG_WARN,
                     "metric %s: %lld %s images for %lld features: their covariance is "
                     "singular, so FID stays finite but is biased upward; use at least %lld "
                     "images", c, (long long)m->n[set], what, (long long)d, (long long)(d + 1));
    return st;
}

static genlab_status mx_statistics(genlab_ctx *ctx, void *state, genlab_metric_set set,
                                   int64_t *dim, const double **mu, const double **sigma)
{
    mx_metric *m = state;
    if (set != GL_SET_REAL && set != GL_SET_FAKE)
        return genlab_errorf(ctx, GL_ERR_INVALID, "metric %s: statistics: unknown set %d",
                             m->kind->component, (int)set);
    genlab_status st = finish(ctx, m, set);
    if (st != GL_OK)
        return st;
    *dim = m->x->dim;
    *mu = m->mu;
    *sigma = m->sigma;
    return GL_OK;
}

/* fid — the generated images against the reference file or the real ones */
static genlab_status fid(genlab_ctx *ctx, mx_metric *m, double *out)
{
    int64_t d = m->x->dim;
    genlab_status st = GL_OK;
    double *mu_r = m->ref_mu, *sigma_r = m->ref_sigma;
    if (!m->ref) {
        if ((st = finish(ctx, m, GL_SET_REAL)) != GL_OK)
            return st;
        mu_r = m->mu;
        sigma_r = m->sigma;
        m->mu = m->sigma = NULL;   /* the real set's: kept while the fake's are made */
    }
    if ((st = finish(ctx, m, GL_SET_FAKE)) == GL_OK)
        st = genlab_frechet_distance(ctx, d, mu_r, sigma_r, m->mu, m->sigma, out);
    if (!m->ref) {
        free(mu_r);
        free(sigma_r);
    }
    return st;
}

static genlab_status mx_compute(genlab_ctx *ctx, void *state, genlab_score *scores, int max,
                                int *n)
{
    mx_metric *m = state;
    const char *c = m->kind->component;
    int want = !!(m->scores & S_FID) + !!(m->scores & S_IS) + !!(m->scores & S_KID) +
               2 * !!(m->scores & S_PR);
    *n = 0;
    if (max < want)
        return genlab_errorf(ctx, GL_ERR_INVALID, "metric %s: compute: room for %d scores, %d "
                             "asked for", c, max, want);
    int64_t nf = m->n[GL_SET_FAKE], nr = m->n[GL_SET_REAL];
    genlab_status st = GL_OK;
    genlab_score s;
    if (m->scores & S_FID) {
        s = (genlab_score){.name = m->names[0], .n_samples = nf, .n_real = m->ref ? 0 : nr};
        if ((st = fid(ctx, m, &s.value)) != GL_OK)
            return st;
        scores[(*n)++] = s;
    }
    if (m->scores & S_IS) {
        s = (genlab_score){.name = m->names[1], .n_samples = nf, .has_std = true,
                           .higher_is_better = true};
        if (nf < m->is_splits)
            return genlab_errorf(ctx, GL_ERR_STATE, "metric %s: IS: %lld generated images for "
                                 "%lld splits", c, (long long)nf, (long long)m->is_splits);
        st = genlab_inception_score(ctx, m->logits.data, m->logits.n, m->x->n_logits,
                                    (int)m->is_splits, &s.value, &s.std);
        if (st != GL_OK)
            return st;
        scores[(*n)++] = s;
    }
    if (m->scores & S_KID) {
        s = (genlab_score){.name = m->names[2], .n_samples = nf, .n_real = nr, .has_std = true};
        st = genlab_kid(ctx, m->feat[GL_SET_REAL].data, nr, m->feat[GL_SET_FAKE].data, nf,
                        m->x->dim, (int)m->kid_subsets, m->kid_subset_size, m->seed, &s.value,
                        &s.std);
        if (st != GL_OK)
            return st;
        scores[(*n)++] = s;
    }
    if (m->scores & S_PR) {
        genlab_score p = {.name = m->names[3], .n_samples = nf, .n_real = nr,
                          .higher_is_better = true};
        genlab_score r = p;
        r.name = m->names[4];
        st = genlab_precision_recall(ctx, m->feat[GL_SET_REAL].data, nr,
                                     m->feat[GL_SET_FAKE].data, nf, m->x->dim, (int)m->pr_k,
                                     &p.value, &r.value);
        if (st != GL_OK)
            return st;
        scores[(*n)++] = p;
        scores[(*n)++] = r;
    }
    return GL_OK;
}

static genlab_status mx_reset(void *state)
{
    mx_metric *m = state;
    free_accumulators(m);
    return make_stats(m->host->ctx, m);
}

/* ---- protocol ---- */

/* set_int / set_str — o[key] = v; false when out of memory */
static bool set_int(json_t *o, const char *key, int64_t v)
{
    return json_object_set_new(o, key, json_integer(v)) == 0;
}

static bool set_str(json_t *o, const char *key, const char *v)
{
    return json_object_set_new(o, key, json_string(v)) == 0;
}

/* protocol_json — the protocol as a new JSON string (malloc), or NULL */
static char *protocol_json(const mx_metric *m)
{
    json_t *o = json_object(), *list = json_array(), *ref = json_object();
    bool ok = o && list && ref;
    for (size_t i = 0; ok && i < N_SCORE_NAMES; i++)
        if (m->scores & score_names[i].bit)
            ok = json_array_append_new(list, json_string(score_names[i].name)) == 0;
    ok = ok && set_str(o, "metric", m->kind->component) &&
         json_object_set(o, "scores", list) == 0 &&
         set_str(o, "feature_extractor", m->x->name) &&
         set_str(o, "weights_sha256", m->x->sha256) && set_str(o, "resize", m->x->resize) &&
         set_int(o, "feature_dim", m->x->dim) && set_int(o, "n_fake", m->n[GL_SET_FAKE]) &&
         set_int(o, "n_real", m->n[GL_SET_REAL]);
    if (ok && (m->scores & S_FID)) {
        ok = (m->ref ? set_str(ref, "kind", "npz") && set_str(ref, "path", m->ref) &&
                           set_str(ref, "sha256", m->ref_sha256)
                     : set_str(ref, "kind", "real images") &&
                           set_int(ref, "n", m->n[GL_SET_REAL])) &&
             json_object_set(o, "fid_reference", ref) == 0 &&
             set_str(o, "statistics", "float64 mean and unbiased covariance") &&
             set_str(o, "fid_sqrtm", "symmetric eigendecomposition, negative eigenvalues "
                                     "clipped to 0");
    }
    if (ok && (m->scores & S_IS))
        ok = set_int(o, "is_splits", m->is_splits) && set_int(o, "is_logits", m->x->n_logits) &&
             set_str(o, "is_feature", m->x->logits);
    if (ok && (m->scores & S_KID))
        ok = set_int(o, "kid_subsets", m->kid_subsets) &&
             set_int(o, "kid_subset_size", m->kid_subset_size) &&
             set_str(o, "kid_kernel", "(x.y / dim + 1)^3, unbiased MMD^2") &&
             set_str(o, "kid_sampling", "genlab Philox, without replacement");
    if (ok && (m->scores & S_PR))
        ok = set_int(o, "pr_k", m->pr_k);
    if (ok && (m->scores & S_KID))
        ok = set_int(o, "seed", (int64_t)m->seed);
    ok = ok && set_str(o, "genlab_version", genlab_version());
    char *s = ok ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    json_decref(list);
    json_decref(ref);
    return s;
}

/* mx_protocol — the protocol as it stands (counts included); every string
 * handed out stays valid until destroy, as the ABI promises */
static const char *mx_protocol(void *state)
{
    mx_metric *m = state;
    char *s = protocol_json(m);
    if (!s)
        return NULL;
    if (m->n_protocols && !strcmp(m->protocols[m->n_protocols - 1], s)) {
        free(s);
        return m->protocols[m->n_protocols - 1];
    }
    char **list = realloc(m->protocols, (m->n_protocols + 1) * sizeof *list);
    if (!list) {
        free(s);
        return NULL;
    }
    m->protocols = list;
    list[m->n_protocols++] = s;
    return s;
}

/* ---- the components ---- */

static genlab_status open_inception(genlab_ctx *ctx, const genlab_config *cfg, mx_extractor **out)
{
    return mx_inception_open(ctx, genlab_config_str(cfg, "weights"),
                             genlab_config_str(cfg, "resize"), out);
}

static genlab_status open_classifier(genlab_ctx *ctx, const genlab_config *cfg,
                                     mx_extractor **out)
{
    return mx_classifier_open(ctx, genlab_config_str(cfg, "weights"), out);
}

static const mx_kind inception_kind = {"inception", "", open_inception};
static const mx_kind classifier_kind = {"classifier", "classifier_", open_classifier};

static genlab_status create_inception(const genlab_host *host, const genlab_config *cfg,
                                      void **state)
{
    return mx_create(host, cfg, &inception_kind, state);
}

static genlab_status create_classifier(const genlab_host *host, const genlab_config *cfg,
                                       void **state)
{
    return mx_create(host, cfg, &classifier_kind, state);
}

#define MX_IFACE(create_fn)                                                                 \
    {.abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_metric_i),           \
     .create = create_fn, .destroy = mx_destroy, .add = mx_add, .compute = mx_compute,       \
     .protocol = mx_protocol, .reset = mx_reset, .statistics = mx_statistics}

static const genlab_metric_i inception_iface = MX_IFACE(create_inception);
static const genlab_metric_i classifier_iface = MX_IFACE(create_classifier);

const genlab_component gl_metrics_inception = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_METRIC, .name = "inception",
    .doc = "FID, IS, KID, precision/recall on FID Inception v3 features (pytorch-fid's)",
    GL_PARAMS(inception_params), .iface = &inception_iface,
};

const genlab_component gl_metrics_classifier = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_METRIC, .name = "classifier",
    .doc = "classifier-fid (and IS, KID, PR) on a classifier genlab trained: no download",
    GL_PARAMS(classifier_params), .iface = &classifier_iface,
};
