/* SPDX-License-Identifier: MIT
 *
 * trainer_eval.c — the evaluation side of the VAE trainer: images from
 * given latents (generate()), from the prior (sample()), the per-image
 * anomaly score, the files a run leaves in <run_dir>/samples/ (prior
 * samples of fixed latents, held-out images above their reconstructions,
 * interpolations between held-out images' posterior means), and the
 * held-out ELBO (and the importance-weighted bound) recorded as scores of
 * the run after its last step.
 *
 * Everything here runs the networks in eval mode (BatchNorm's running
 * statistics, none updated) with grad recording off, and draws random
 * numbers only from the GL_STREAM_EVAL stream (the ELBO's latent draws),
 * which no training step reads: evaluating changes nothing a resumed run
 * depends on.
 *
 * The bounds. With r(x, z) the loss component's value for one image (for
 * vae-bce with the sum reduction, -log p(x|z) exactly; for vae-mse and
 * vae-l1, up to a constant):
 *   ELBO(x)   = -r(x, z_1) - KL(q(z|x) || N(0, I)),  z_1 ~ q(z|x), KL in
 *               closed form
 *   IWAE_K(x) = log (1/K) sum_k exp(-r(x, z_k) + log N(z_k; 0, I)
 *                                    - log q(z_k|x))          (Burda et al. 2016)
 *             with log N(z; 0, I) - log q(z|x) = 0.5 sum_j (eps_j^2 + logvar_j
 *             - z_j^2) for z = mu + exp(logvar / 2) eps (the log 2 pi terms
 *             cancel); IWAE_K >= ELBO in expectation, and rises with K
 *             towards log p(x).
 * Both are averaged over the first vae.eval_n images of vae.eval_split.
 *
 * It is not the training step (trainer.c).
 *
 * Sections: generation, anomaly scores, held-out images, bounds, after a
 * step.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "trainer.h"

/* ---- generation ---- */

int64_t vae_latent_dim(void *state) { return ((const vae_trainer *)state)->z_dim; }

/* to_signed — decoder outputs (model space) as images in [-1, 1] */
static genlab_tensor *to_signed(genlab_ctx *ctx, const vae_trainer *t, genlab_tensor *recon)
{
    return t->tanh ? recon : genlab_affine(ctx, recon, 2.0f, -1.0f);
}

genlab_tensor *vae_generate(genlab_ctx *ctx, void *state, genlab_tensor *z, genlab_tensor *y)
{
    (void)y;
    vae_trainer *t = state;
    if (!genlab_latents_ok(ctx, "trainer vae", z, t->z_dim))
        return NULL;
    bool grad = genlab_set_grad_enabled(ctx, false);
    genlab_tensor *x = to_signed(ctx, t, vae_decode(ctx, t, z, false).recon);
    genlab_set_grad_enabled(ctx, grad);
    return x;
}

genlab_tensor *vae_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y)
{
    const vae_trainer *t = state;
    return vae_generate(ctx, state, genlab_randn(ctx, 2, (const int64_t[]){n, t->z_dim}), y);
}

/* ---- anomaly scores ---- */

genlab_tensor *vae_anomaly_score(genlab_ctx *ctx, void *state, genlab_tensor *x)
{
    vae_trainer *t = state;
    if (!x || genlab_ctx_status(ctx) != GL_OK)
        return NULL;
    const genlab_data_spec *d = &t->data;
    if (genlab_tensor_ndim(x) != 4 || genlab_tensor_dim(x, 1) != d->channels ||
        genlab_tensor_dim(x, 2) != d->height || genlab_tensor_dim(x, 3) != d->width ||
        genlab_tensor_dtype(x) != GL_F32) {
        char s[96];
        genlab_errorf(ctx, GL_ERR_SHAPE, "trainer vae: anomaly_score: x is %s, needs (N, %d, "
                      "%d, %d) float32", genlab_tensor_shape_str(x, s, sizeof s),
                      (int)d->channels, (int)d->height, (int)d->width);
        return NULL;
    }
    int64_t n = genlab_tensor_dim(x, 0);
    double *v = malloc((size_t)n * sizeof *v);
    float *f = malloc((size_t)n * sizeof *f);
    if (!v || !f) {
        free(v), free(f);
        genlab_errorf(ctx, GL_ERR_NOMEM, "trainer vae: anomaly_score: out of memory");
        return NULL;
    }
    bool grad = genlab_set_grad_enabled(ctx, false);
    genlab_tensor *xm = vae_to_model(ctx, t, x);
    vae_posterior q = vae_encode(ctx, t, xm, false);
    vae_decoded dec = vae_decode(ctx, t, q.mu, false);
    genlab_tensor *kl = t->anomaly_elbo ? vae_kl_items(ctx, q) : NULL;
    genlab_tensor *out = NULL;
    if (vae_recon_items(ctx, t, xm, dec, q, v) == GL_OK) {
        const float *k = kl ? genlab_tensor_f32(kl) : NULL;
        for (int64_t i = 0; i < n; i++)
            f[i] = (float)(v[i] + (k ? k[i] : 0.0));
        out = genlab_tensor_from(ctx, 1, (const int64_t[]){n}, f);
    }
    genlab_set_grad_enabled(ctx, grad);
    free(v), free(f);
    return out;
}

/* ---- held-out images ---- */

/* read_test — held-out items [first, first + n) as a batch x in [-1, 1] */
static genlab_tensor *read_test(genlab_ctx *ctx, vae_trainer *t, int64_t first, int64_t n)
{
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    if (!idx) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "trainer vae: out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        idx[i] = first + i;
    genlab_batch b = {0};
    genlab_status st = t->test_i->read(ctx, t->test, idx, n, &b);
    free(idx);
    return st == GL_OK ? b.x : NULL;
}

/* The reconstruction grid: RECON_COLS images a row, each row of held-out
 * images above a row of their reconstructions, at most RECON_MAX images;
 * the interpolation strip: STRIP_ROWS pairs of held-out images, STRIP_STEPS
 * frames each (both ends included). */
#define RECON_COLS  8
#define RECON_MAX   32
#define STRIP_ROWS  8
#define STRIP_STEPS 10

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* recon_grid — the first k held-out images interleaved row by row with
 * their reconstructions (decoded posterior means); *cols: images a row */
static genlab_tensor *recon_grid(genlab_ctx *ctx, vae_trainer *t, int64_t k, int32_t *cols)
{
    int64_t c = min64(k, RECON_COLS);
    k -= k % c;   /* whole rows only */
    genlab_tensor *x = read_test(ctx, t, 0, k);
    vae_posterior q = vae_encode(ctx, t, vae_to_model(ctx, t, x), false);
    genlab_tensor *y = to_signed(ctx, t, vae_decode(ctx, t, q.mu, false).recon);
    genlab_tensor *rows[2 * RECON_MAX];
    int n = 0;
    for (int64_t r = 0; r < k; r += c) {
        rows[n++] = genlab_slice(ctx, x, 0, r, c);
        rows[n++] = genlab_slice(ctx, y, 0, r, c);
    }
    *cols = (int32_t)c;
    return genlab_concat(ctx, n, rows, 0);
}

/* interp_strip — decoded interpolations between the posterior means of
 * held-out images i and k + i, i < k */
static genlab_tensor *interp_strip(genlab_ctx *ctx, vae_trainer *t, int64_t k)
{
    genlab_tensor *x = read_test(ctx, t, 0, 2 * k);
    vae_posterior q = vae_encode(ctx, t, vae_to_model(ctx, t, x), false);
    return genlab_interpolate(ctx, vae_generate, t, genlab_slice(ctx, q.mu, 0, 0, k),
                              genlab_slice(ctx, q.mu, 0, k, k), STRIP_STEPS);
}

/* ---- bounds ---- */

#define EVAL_BATCH 100   /* held-out images per forward */

/* What the bounds sum over the held-out images. */
typedef struct bound_sums {
    double  elbo, iwae;   /* sums over images */
    int64_t n;
} bound_sums;

/* log_weights — for one batch and one draw k: log w_ik = -r_i + 0.5
 * sum_j (eps_ij^2 + logvar_ij - z_ij^2) into lw[i * K + k] */
static void log_weights(const genlab_tensor *eps, const genlab_tensor *z, vae_posterior q,
                        const double *r, int64_t n, int64_t dz, int64_t k, int64_t K,
                        double *lw)
{
    const float *e = genlab_tensor_f32(eps), *zz = genlab_tensor_f32(z),
                *lv = genlab_tensor_f32(q.logvar);
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < dz; j++) {
            double ej = e[i * dz + j], zj = zz[i * dz + j], lj = lv[i * dz + j];
            s += ej * ej + lj - zj * zj;
        }
        lw[i * K + k] = -r[i] + 0.5 * s;
    }
}

/* bounds_batch — add held-out items [first, first + n) to *b */
static genlab_status bounds_batch(genlab_ctx *ctx, vae_trainer *t, int64_t first, int64_t n,
                                  int64_t K, double *r, double *lw, bound_sums *b)
{
    genlab_tensor *xm = vae_to_model(ctx, t, read_test(ctx, t, first, n));
    vae_posterior q = vae_encode(ctx, t, xm, false);
    genlab_tensor *kl = vae_kl_items(ctx, q);
    for (int64_t k = 0; k < K && genlab_ctx_status(ctx) == GL_OK; k++) {
        genlab_tensor *eps = genlab_tensor_new(ctx, GL_F32, 2, (const int64_t[]){n, t->z_dim});
        if (!eps || genlab_rng_fill(ctx, eps, GL_STREAM_EVAL, 1, 0.0f, 1.0f) != GL_OK)
            break;
        genlab_tensor *z = vae_reparam(ctx, q, eps);
        vae_decoded d = vae_decode(ctx, t, z, false);
        if (vae_recon_items(ctx, t, xm, d, q, r) != GL_OK)
            break;
        if (k == 0)
            for (int64_t i = 0; i < n; i++)
                b->elbo -= r[i] + genlab_tensor_f32(kl)[i];
        if (K > 1)
            log_weights(eps, z, q, r, n, t->z_dim, k, K, lw);
    }
    for (int64_t i = 0; K > 1 && i < n && genlab_ctx_status(ctx) == GL_OK; i++) {
        double top = lw[i * K];
        for (int64_t k = 1; k < K; k++)
            top = fmax(top, lw[i * K + k]);
        double sum = 0.0;   /* log-sum-exp shifted by the largest term */
        for (int64_t k = 0; k < K; k++)
            sum += exp(lw[i * K + k] - top);
        b->iwae += top + log(sum) - log((double)K);
    }
    b->n += n;
    return genlab_ctx_status(ctx);
}

/* bounds — the mean ELBO (and IWAE_K for K = iw_k > 1) over the first
 * eval_n held-out images, recorded as the scores "elbo" (and "iwae") */
static genlab_status bounds(genlab_ctx *ctx, vae_trainer *t, int64_t done)
{
    genlab_status (*score)(const genlab_host *, int64_t, const char *, double, bool, int64_t,
                           const char *) = GL_IFACE_GET(t->host, genlab_host, score);
    int64_t n = min64(t->eval_n, t->test_n), K = t->iw_k > 1 ? t->iw_k : 1;
    if (!score || n < 1)
        return GL_OK;
    double *r = malloc(EVAL_BATCH * sizeof *r), *lw = malloc(EVAL_BATCH * K * sizeof *lw);
    if (!r || !lw) {
        free(r), free(lw);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "trainer vae: out of memory for the bounds");
    }
    bound_sums b = {0};
    genlab_status st = GL_OK;
    for (int64_t first = 0; st == GL_OK && first < n; first += EVAL_BATCH) {
        /* each batch's tensors go when its sums are taken */
        genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
        st = bounds_batch(ctx, t, first, min64(EVAL_BATCH, n - first), K, r, lw, &b);
        genlab_ctx_rewind(ctx, &mark);
    }
    free(r), free(lw);
    char protocol[512];
    snprintf(protocol, sizeof protocol, "{\"split\": \"%s\", \"images\": %lld, \"samples\": %lld, "
             "\"loss\": \"%s\", \"output\": \"%s\", \"kl\": \"analytic\", \"stream\": \"eval\"}",
             t->eval_split, (long long)n, (long long)K,
             t->loss.name, t->tanh ? "tanh" : "sigmoid");
    if (st == GL_OK)
        st = score(t->host, done, "elbo", b.elbo / (double)b.n, true, b.n, protocol);
    if (st == GL_OK && K > 1)
        st = score(t->host, done, "iwae", b.iwae / (double)b.n, true, b.n, protocol);
    if (st == GL_OK)
        t->host->log(t->host, GL_LOG_INFO, "trainer vae: held-out ELBO %.4f over %lld images%s",
                     b.elbo / (double)b.n, (long long)b.n, K > 1 ? " (and IWAE)" : "");
    return st;
}

/* ---- after a step ---- */

genlab_status vae_after_step(genlab_ctx *ctx, vae_trainer *t, int64_t done)
{
    if (!genlab_trainer_sample_due(t->host, &t->run, done))
        return GL_OK;
    bool last = done == t->run.steps;
    bool grad = genlab_set_grad_enabled(ctx, false);
    genlab_status st = genlab_run_save_grid(ctx, t->host, "trainer vae", "grid", "step", done,
                                            vae_generate(ctx, t, t->eval_z, NULL), NULL);
    int64_t k = min64(min64(t->run.sample_n, RECON_MAX), t->test_n);
    if (st == GL_OK && t->test && k > 0) {
        genlab_grid_options opt = genlab_grid_defaults();
        genlab_tensor *grid = recon_grid(ctx, t, k, &opt.ncol);
        st = genlab_run_save_grid(ctx, t->host, "trainer vae", "recon", "recon", done, grid,
                                  &opt);
    }
    k = min64(STRIP_ROWS, t->test_n / 2);
    if (st == GL_OK && last && t->test && k > 0)
        st = genlab_run_save_grid(ctx, t->host, "trainer vae", "strip", "interp", done,
                                  interp_strip(ctx, t, k), NULL);
    if (st == GL_OK && last && t->test)
        st = bounds(ctx, t, done);
    genlab_set_grad_enabled(ctx, grad);
    return st;
}
