/* SPDX-License-Identifier: MIT
 *
 * trainer.c — the VAE trainer "vae" (Kingma & Welling, "Auto-Encoding
 * Variational Bayes", 2014): an encoder and a decoder (two arch
 * components, each in a parameter block of its own with its own Adam on
 * the core's optim.* settings), a reconstruction loss component and a beta
 * schedule component. One step, on one batch x:
 *
 *     xm = x in the decoder's pixel space (vae.output: sigmoid [0, 1], tanh [-1, 1])
 *     (mu, logvar) = encoder(xm);  z = mu + exp(logvar / 2) eps,  eps ~ N(0, I)
 *     logits = decoder(z);  recon = sigmoid or tanh of logits
 *     recon_loss = loss(x = xm, recon, logits, mean, logvar)
 *     kl = mean over the batch of 0.5 sum_j (mu^2 + exp(logvar) - 1 - logvar)
 *     loss = recon_loss + beta(step) kl          -> backward, Adam on both
 *
 * Free bits (vae.free_bits = lambda > 0; Kingma et al., "Improved
 * Variational Inference with Inverse Autoregressive Flow", 2016): the KL
 * term of the loss becomes sum_j max(lambda, KL_j), KL_j the batch mean of
 * latent j's KL, so no dimension is pushed below lambda nats (the reported
 * kl stays the true one).
 *
 * It reports loss (the total), recon, kl, beta and lr (the optimizers'
 * shared rate). The schedule's epochs are the run's: the dataset's items
 * over train.batch (rounded as train.drop_last says).
 *
 * Not here: the evaluation side (trainer_eval.c), the networks (arch
 * components), the losses and schedules (their own components).
 *
 * Sections: parameters, the model, create and destroy, the step,
 * checkpoints, the component.
 */
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* ---- parameters ---- */

static const char *const output_choices[] = {"sigmoid", "tanh", NULL};
static const char *const anomaly_choices[] = {"elbo", "recon", NULL};

static const genlab_param_def params[] = {
    {.name = "encoder", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = "vae-mlp28",
     .help = "the encoder's architecture (its parameters under encoder.*)"},
    {.name = "decoder", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = "vae-mlp28",
     .help = "the decoder's architecture (its parameters under decoder.*)"},
    {.name = "loss", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_LOSS, .def = "vae-bce",
     .help = "the reconstruction loss (its parameters under loss.*)"},
    {.name = "beta", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_SCHEDULE,
     .def = "beta-constant", .help = "the KL weight's schedule (its parameters under beta.*)"},
    {.name = "z_dim", .type = GL_PARAM_INT, .def = "20", .min = "1", .max = "65536",
     .help = "latent size"},
    {.name = "output", .type = GL_PARAM_ENUM, .def = "sigmoid", .choices = output_choices,
     .help = "the decoder's output activation: sigmoid (pixels in [0, 1]) or tanh ([-1, 1])"},
    {.name = "free_bits", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "100",
     .help = "KL floor in nats per latent dimension (0: off)"},
    {.name = "sample_every", .type = GL_PARAM_INT, .def = "1000", .min = "0",
     .max = "1000000000000",
     .help = "steps between sample and reconstruction grids (0: only after the last step)"},
    {.name = "sample_n", .type = GL_PARAM_INT, .def = "64", .min = "1", .max = "4096",
     .help = "images in a prior-sample grid (its fixed latents)"},
    {.name = "eval_split", .type = GL_PARAM_STRING, .def = "test",
     .help = "the dataset split of reconstructions, interpolations and the ELBO"},
    {.name = "eval_n", .type = GL_PARAM_INT, .def = "10000", .min = "0",
     .max = "1000000000",
     .help = "held-out images of the final ELBO score (fewer if the split has fewer; 0: none)"},
    {.name = "iw_k", .type = GL_PARAM_INT, .def = "0", .min = "0", .max = "100000",
     .help = "samples per image of the importance-weighted bound score (0, 1: none)"},
    {.name = "anomaly", .type = GL_PARAM_ENUM, .def = "elbo", .choices = anomaly_choices,
     .help = "anomaly score of an image: -ELBO or the reconstruction loss (at z = mean)"},
};

/* ---- the model ---- */

genlab_tensor *vae_to_model(genlab_ctx *ctx, const vae_trainer *t, genlab_tensor *x)
{
    return t->tanh ? x : genlab_affine(ctx, x, 0.5f, 0.5f);
}

vae_posterior vae_encode(genlab_ctx *ctx, vae_trainer *t, genlab_tensor *xm, bool training)
{
    genlab_tensor *stats = t->enc.arch->forward(ctx, t->enc.state, xm, NULL, NULL, training);
    return (vae_posterior){genlab_slice(ctx, stats, 1, 0, t->z_dim),
                           genlab_slice(ctx, stats, 1, t->z_dim, t->z_dim)};
}

vae_decoded vae_decode(genlab_ctx *ctx, vae_trainer *t, genlab_tensor *z, bool training)
{
    genlab_tensor *logits = t->dec.arch->forward(ctx, t->dec.state, z, NULL, NULL, training);
    return (vae_decoded){logits, t->tanh ? genlab_tanh(ctx, logits) : genlab_sigmoid(ctx, logits)};
}

genlab_tensor *vae_reparam(genlab_ctx *ctx, vae_posterior q, genlab_tensor *eps)
{
    return genlab_add(ctx, q.mu,
                      genlab_mul(ctx, eps, genlab_exp(ctx, genlab_scale(ctx, q.logvar, 0.5f))));
}

/* kl_elements — each latent's KL, 0.5 (mu^2 + exp(logvar) - 1 - logvar),
 * as (N, z_dim) */
static genlab_tensor *kl_elements(genlab_ctx *ctx, vae_posterior q)
{
    genlab_tensor *e = genlab_sub(ctx, genlab_add(ctx, genlab_mul(ctx, q.mu, q.mu),
                                                  genlab_exp(ctx, q.logvar)),
                                  genlab_affine(ctx, q.logvar, 1.0f, 1.0f));
    return genlab_scale(ctx, e, 0.5f);
}

genlab_tensor *vae_kl_items(genlab_ctx *ctx, vae_posterior q)
{
    return genlab_sum(ctx, kl_elements(ctx, q), 1, (const int[]){1}, false);
}

genlab_tensor *vae_recon_loss(genlab_ctx *ctx, vae_trainer *t, genlab_tensor *xm,
                              vae_decoded d, vae_posterior q)
{
    if (!xm || !d.logits || !d.recon || !q.mu || !q.logvar)
        return NULL;
    const genlab_named_tensor in[] = {{"x", xm}, {"recon", d.recon}, {"logits", d.logits},
                                      {"mean", q.mu}, {"logvar", q.logvar}};
    const genlab_loss_args args = {GL_OBJ_MAIN, 5, in, NULL, NULL};
    return t->loss.iface->compute(ctx, t->loss.state, &args);
}

genlab_status vae_recon_items(genlab_ctx *ctx, vae_trainer *t, genlab_tensor *xm,
                              vae_decoded d, vae_posterior q, double *out)
{
    int64_t n = xm ? genlab_tensor_dim(xm, 0) : 0;
    for (int64_t i = 0; i < n && genlab_ctx_status(ctx) == GL_OK; i++) {
        /* each image's tensors go as soon as its value is read */
        genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
        vae_decoded di = {genlab_slice(ctx, d.logits, 0, i, 1), genlab_slice(ctx, d.recon, 0, i, 1)};
        vae_posterior qi = {genlab_slice(ctx, q.mu, 0, i, 1), genlab_slice(ctx, q.logvar, 0, i, 1)};
        genlab_tensor *l = vae_recon_loss(ctx, t, genlab_slice(ctx, xm, 0, i, 1), di, qi);
        out[i] = l ? genlab_tensor_item(l) : 0.0;
        genlab_ctx_rewind(ctx, &mark);
    }
    return genlab_ctx_status(ctx);
}

/* ---- create and destroy ---- */

static void vae_destroy(void *state)
{
    vae_trainer *t = state;
    if (!t)
        return;
    if (t->test)
        t->test_i->close(t->test);
    genlab_tensor_free(t->eval_z);
    if (t->beta_i && t->beta_i->destroy)
        t->beta_i->destroy(t->beta);
    genlab_trainer_loss_destroy(&t->loss);
    genlab_net_destroy(&t->dec);
    genlab_net_destroy(&t->enc);
    free(t);
}

/* create_loss — bind and create the loss, refusing one this trainer cannot
 * feed, and a Bernoulli loss (one on logits) with pixels in [-1, 1] */
static genlab_status create_loss(vae_trainer *t, const genlab_config *cfg)
{
    static const char *const provided[] = {"x", "recon", "logits", "mean", "logvar", NULL};
    static const char *const no_logits[] = {"x", "recon", "mean", "logvar", NULL};
    genlab_status st = genlab_trainer_loss_create(t->host, cfg, "loss", provided, "trainer vae",
                                                  &t->loss);
    if (st == GL_OK && t->tanh && genlab_loss_missing_input(t->loss.iface, no_logits))
        return genlab_errorf(t->host->ctx, GL_ERR_INVALID, "trainer vae: loss \"%s\" takes "
                             "logits (a Bernoulli likelihood on pixels in [0, 1]), which a tanh "
                             "output does not make: set vae.output=sigmoid or another loss",
                             t->loss.name);
    return st;
}

/* create_beta — bind and create the beta schedule over train.steps, and
 * tell it the run's epoch: the dataset's items in batches */
static genlab_status create_beta(vae_trainer *t, const genlab_config *cfg)
{
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = genlab_trainer_component(t->host, cfg, "beta", GL_KIND_SCHEDULE,
                                                "trainer vae", &c, &scope);
    if (st != GL_OK)
        return st;
    t->beta_i = c->iface;
    if (t->beta_i->create &&
        (st = t->beta_i->create(t->host, scope, t->run.steps, &t->beta)) != GL_OK)
        return st;
    void (*set_epoch_steps)(void *, int64_t) =
        GL_IFACE_GET(t->beta_i, genlab_schedule_i, set_epoch_steps);
    if (set_epoch_steps) {
        int64_t batch = genlab_config_int(t->host->config, "train.batch");
        bool drop = genlab_config_bool(t->host->config, "train.drop_last");
        int64_t per = drop ? t->data.n_items / batch : (t->data.n_items + batch - 1) / batch;
        set_epoch_steps(t->beta, per > 0 ? per : 1);
    }
    return GL_OK;
}

/* open_test — the held-out split of the run's dataset, which must hold
 * images of the training shape; none without a dataset */
static genlab_status open_test(vae_trainer *t, const genlab_config *cfg)
{
    const genlab_component *c;
    const genlab_config *scope;
    genlab_ctx *ctx = t->host->ctx;
    genlab_status st = genlab_config_component(t->host->config, "train.dataset",
                                               GL_KIND_DATASET, &c, &scope);
    if (st != GL_OK || !c)
        return st;
    const char *split = t->eval_split = genlab_config_str(cfg, "eval_split");
    genlab_data_spec spec;
    t->test_i = c->iface;
    if ((st = t->test_i->open(t->host, scope, split, &spec, &t->test)) != GL_OK) {
        t->test = NULL;
        return genlab_errorf(ctx, st, "trainer vae: vae.eval_split = %s: %s", split,
                             genlab_ctx_errmsg(ctx));
    }
    const genlab_data_spec *d = &t->data;
    if (spec.channels != d->channels || spec.height != d->height || spec.width != d->width)
        return genlab_errorf(ctx, GL_ERR_SHAPE, "trainer vae: split %s holds %dx%dx%d images, "
                             "the training data %dx%dx%d", split, (int)spec.channels,
                             (int)spec.height, (int)spec.width, (int)d->channels,
                             (int)d->height, (int)d->width);
    t->test_n = spec.n_items;
    return GL_OK;
}

static genlab_status vae_create(const genlab_host *host, const genlab_config *cfg,
                                const genlab_data_spec *data, void **state)
{
    vae_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return genlab_errorf(host->ctx, GL_ERR_NOMEM, "trainer vae: out of memory");
    genlab_ctx *ctx = host->ctx;
    t->host = host;
    t->data = *data;
    t->z_dim = genlab_config_int(cfg, "z_dim");
    t->tanh = strcmp(genlab_config_str(cfg, "output"), "tanh") == 0;
    t->anomaly_elbo = strcmp(genlab_config_str(cfg, "anomaly"), "elbo") == 0;
    t->free_bits = genlab_config_float(cfg, "free_bits");
    t->eval_n = genlab_config_int(cfg, "eval_n");
    t->iw_k = genlab_config_int(cfg, "iw_k");
    genlab_optim_options opt;
    genlab_lr_schedule sched;
    genlab_status st = genlab_trainer_run_read(host, cfg, &t->run, &opt, &sched);
    /* networks in a fixed order: the encoder's initial weights, then the
     * decoder's, from the context's init stream */
    const genlab_arch_sizes sizes = {t->z_dim, data->channels, data->height, data->width};
    genlab_arch_spec es, ds;
    genlab_arch_image_spec(GL_ROLE_ENCODER, &sizes, &es);
    genlab_arch_image_spec(GL_ROLE_DECODER, &sizes, &ds);
    if (st == GL_OK)
        st = genlab_net_create(host, cfg, "encoder", &es, &opt, &sched, 0, "trainer vae", &t->enc);
    if (st == GL_OK)
        st = genlab_net_create(host, cfg, "decoder", &ds, &opt, &sched, 0, "trainer vae", &t->dec);
    if (st == GL_OK)
        st = create_loss(t, cfg);
    if (st == GL_OK)
        st = create_beta(t, cfg);
    if (st == GL_OK)
        st = open_test(t, cfg);
    /* the prior grid's latents, checkpointed */
    if (st == GL_OK && !(t->eval_z = genlab_fixed_latents(ctx, t->run.sample_n, t->z_dim)))
        st = genlab_ctx_status(ctx);
    if (st != GL_OK) {
        vae_destroy(t);
        return st;
    }
    host->log(host, GL_LOG_INFO, "trainer vae: encoder %lld parameters, decoder %lld, z %lld, "
              "loss %s", (long long)genlab_params_numel(t->enc.params),
              (long long)genlab_params_numel(t->dec.params), (long long)t->z_dim, t->loss.name);
    *state = t;
    return GL_OK;
}

/* ---- the step ---- */

/* kl_term — the KL term of the loss from the elements e (N, z_dim): the
 * batch mean of each image's sum, or with free bits sum_j max(lambda,
 * mean_n e_nj) = sum_j (lambda + relu(mean_n e_nj - lambda)) */
static genlab_tensor *kl_term(genlab_ctx *ctx, const vae_trainer *t, genlab_tensor *e)
{
    if (!e)
        return NULL;
    if (t->free_bits <= 0.0)
        return genlab_scale(ctx, genlab_sum_all(ctx, e), 1.0f / (float)genlab_tensor_dim(e, 0));
    float lambda = (float)t->free_bits;
    genlab_tensor *per_dim = genlab_mean(ctx, e, 1, (const int[]){0}, false);
    genlab_tensor *above = genlab_relu(ctx, genlab_affine(ctx, per_dim, 1.0f, -lambda));
    return genlab_sum_all(ctx, genlab_affine(ctx, above, 1.0f, lambda));
}

static genlab_status vae_step(genlab_ctx *ctx, void *state, int64_t step,
                              const genlab_batch_source *data, genlab_step_metrics *out)
{
    vae_trainer *t = state;
    genlab_batch b;
    genlab_status st = data->next(ctx, data->context, &b);
    if (st != GL_OK)
        return st;
    genlab_params_zero_grad(t->enc.params);
    genlab_params_zero_grad(t->dec.params);
    genlab_tensor *xm = vae_to_model(ctx, t, b.x);
    vae_posterior q = vae_encode(ctx, t, xm, true);
    int64_t n = genlab_tensor_dim(b.x, 0);
    genlab_tensor *eps = genlab_randn(ctx, 2, (const int64_t[]){n, t->z_dim});
    vae_decoded d = vae_decode(ctx, t, vae_reparam(ctx, q, eps), true);
    genlab_tensor *recon = vae_recon_loss(ctx, t, xm, d, q);
    genlab_tensor *e = kl_elements(ctx, q);
    double beta = t->beta_i->at(t->beta, step);
    genlab_tensor *loss = genlab_add(ctx, recon, genlab_scale(ctx, kl_term(ctx, t, e),
                                                              (float)beta));
    if (!loss)
        return genlab_ctx_status(ctx);
    /* one loss reaches both networks: scaled once (they share the run's
     * scaler), each unscaled and stepped on its own */
    if ((st = genlab_backward(ctx, genlab_net_scale_loss(ctx, &t->enc, loss))) != GL_OK ||
        (st = genlab_net_step(ctx, &t->enc, step)) != GL_OK ||
        (st = genlab_net_step(ctx, &t->dec, step)) != GL_OK)
        return st;
    genlab_step_metric(out, "loss", genlab_tensor_item(loss));
    genlab_step_metric(out, "recon", genlab_tensor_item(recon));
    /* the true KL, free bits or not */
    genlab_step_metric(out, "kl", genlab_tensor_item(genlab_sum_all(ctx, e)) / (double)n);
    genlab_step_metric(out, "beta", beta);
    genlab_step_metric(out, "lr", genlab_optim_lr(t->enc.optim));
    return vae_after_step(ctx, t, step + 1);
}

/* ---- checkpoints ---- */

/* Names: E.params.*, E.buffers.*, E.optim.* (the encoder), D.* (the
 * decoder), and eval.z, the prior grid's latents. */
static genlab_status vae_visit(void *state, genlab_visit_fn fn, void *user)
{
    vae_trainer *t = state;
    genlab_status st = genlab_net_visit(&t->enc, "E", fn, user);
    if (st == GL_OK)
        st = genlab_net_visit(&t->dec, "D", fn, user);
    return st == GL_OK ? fn(user, "eval.z", t->eval_z) : st;
}

/* ---- the component ---- */

static const genlab_trainer_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_trainer_i),
    .create = vae_create, .destroy = vae_destroy, .step = vae_step, .sample = vae_sample,
    .visit = vae_visit, .latent_dim = vae_latent_dim, .generate = vae_generate,
    .anomaly_score = vae_anomaly_score,
};

const genlab_component gl_vae_trainer = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_TRAINER, .name = "vae",
    .doc = "a VAE: encoder and decoder archs, a reconstruction loss, a beta schedule, "
           "free bits, ELBO scores",
    GL_PARAMS(params), .iface = &iface,
};
