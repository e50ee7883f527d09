/* SPDX-License-Identifier: MIT
 *
 * trainer.c — the diffusion trainer "diffusion" (Ho et al., "Denoising
 * Diffusion Probabilistic Models", 2020): a denoiser (an arch component in
 * a parameter block of its own with the core's optim.* Adam, warm-up
 * included: optim.warmup), a noise schedule component giving alpha-bar
 * over diffusion.timesteps training times, a sampler component (with its
 * own step count) for every image the trainer makes, gradient clipping and
 * an optional EMA of the denoiser used for sampling. One step, on one
 * batch x0 of N images:
 *
 *     t ~ U{0, ..., T - 1} per image;  eps ~ N(0, I)
 *     x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps
 *     target = eps | x0 | v = sqrt(abar_t) eps - sqrt(1 - abar_t) x0
 *                                                  (diffusion.prediction)
 *     loss = mean((denoiser(x_t, t) - target)^2)   -> backward (of the loss
 *     times the run's loss scale), clip the gradient norm, Adam, EMA update
 *
 * It reports loss, lr and grad_norm (the norm before clipping; none for a
 * step that loss scaling skipped).
 *
 * Not here: the sampling side (trainer_sample.c), the network, schedule
 * and samplers (their own components).
 *
 * Sections: parameters, create and destroy, the step, checkpoints, the
 * component.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer.h"

/* ---- parameters ---- */

static const char *const prediction_choices[] = {"epsilon", "sample", "v_prediction", NULL};

static const genlab_param_def params[] = {
    {.name = "denoiser", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = "unet",
     .help = "the denoiser's architecture (its parameters under denoiser.*)"},
    {.name = "schedule", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_SCHEDULE, .def = "linear",
     .help = "the noise schedule (its parameters under schedule.*)"},
    {.name = "sampler", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_SAMPLER, .def = "ddpm",
     .help = "the sampler of every image made (its parameters, steps included, under sampler.*)"},
    {.name = "timesteps", .type = GL_PARAM_INT, .def = "1000", .min = "2", .max = "100000",
     .help = "training timesteps T (diffusers' num_train_timesteps)"},
    {.name = "prediction", .type = GL_PARAM_ENUM, .def = "epsilon",
     .choices = prediction_choices,
     .help = "what the denoiser predicts: epsilon (the noise), sample (x0) or v_prediction"},
    {.name = "ema", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "1",
     .help = "decay of the denoiser's moving average, used for sampling (0: off; 0.9999)"},
    {.name = "grad_clip", .type = GL_PARAM_FLOAT, .def = "1", .min = "0", .max = "1000000",
     .help = "the gradient's largest L2 norm (0: no clipping)"},
    {.name = "sample_every", .type = GL_PARAM_INT, .def = "1000", .min = "0",
     .max = "1000000000000",
     .help = "steps between sample grids and denoising strips (0: only after the last step)"},
    {.name = "sample_n", .type = GL_PARAM_INT, .def = "64", .min = "1", .max = "4096",
     .help = "images in a sample grid (its fixed x_T)"},
};

/* ---- create and destroy ---- */

static void diff_destroy(void *state)
{
    diff_trainer *t = state;
    if (!t)
        return;
    genlab_tensor_free(t->eval_x);
    genlab_ema_destroy(t->ema);
    if (t->sampler_i && t->sampler_i->destroy)
        t->sampler_i->destroy(t->sampler);
    if (t->sched_i && t->sched_i->destroy)
        t->sched_i->destroy(t->sched);
    genlab_net_destroy(&t->net);
    free(t);
}

/* bind — component parameter ref of cfg: its vtable and scope */
static genlab_status bind(diff_trainer *t, const genlab_config *cfg, const char *ref,
                          genlab_component_kind kind, const genlab_component **c,
                          const genlab_config **scope)
{
    genlab_status st = genlab_config_component(cfg, ref, kind, c, scope);
    if (st != GL_OK)
        return genlab_errorf(t->host->ctx, st, "trainer diffusion: %s: %s", ref,
                             genlab_config_errmsg(cfg));
    return GL_OK;
}

/* create_parts — the schedule over T and the sampler */
static genlab_status create_parts(diff_trainer *t, const genlab_config *cfg)
{
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = bind(t, cfg, "schedule", GL_KIND_SCHEDULE, &c, &scope);
    if (st != GL_OK)
        return st;
    t->sched_i = c->iface;
    if (t->sched_i->create && (st = t->sched_i->create(t->host, scope, t->T, &t->sched)) != GL_OK)
        return st;
    if ((st = bind(t, cfg, "sampler", GL_KIND_SAMPLER, &c, &scope)) != GL_OK)
        return st;
    t->sampler_i = c->iface;
    t->sampler_name = c->name;
    return t->sampler_i->create ? t->sampler_i->create(t->host, scope, &t->sampler) : GL_OK;
}

static genlab_status diff_create(const genlab_host *host, const genlab_config *cfg,
                                 const genlab_data_spec *data, void **state)
{
    diff_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return genlab_errorf(host->ctx, GL_ERR_NOMEM, "trainer diffusion: out of memory");
    genlab_ctx *ctx = host->ctx;
    const char *pred = genlab_config_str(cfg, "prediction");
    t->host = host;
    t->data = *data;
    t->T = genlab_config_int(cfg, "timesteps");
    t->pred = !strcmp(pred, "sample") ? DIFF_PRED_SAMPLE
              : !strcmp(pred, "v_prediction") ? DIFF_PRED_V : DIFF_PRED_EPSILON;
    t->grad_clip = genlab_config_float(cfg, "grad_clip");
    double ema = genlab_config_float(cfg, "ema");
    genlab_optim_options opt;
    genlab_lr_schedule sched;
    genlab_status st = genlab_trainer_run_read(host, cfg, &t->run, &opt, &sched);
    const genlab_arch_spec spec = {
        .role = GL_ROLE_DENOISER, .in_ndim = 3,
        .in_shape = {data->channels, data->height, data->width}, .out_ndim = 3,
        .out_shape = {data->channels, data->height, data->width}, .timestep = true};
    if (st == GL_OK)
        st = genlab_net_create(host, cfg, "denoiser", &spec, &opt, &sched, 0,
                               "trainer diffusion", &t->net);
    if (st == GL_OK && ema > 0)
        st = genlab_ema_create(ctx, t->net.params, ema, &t->ema);
    if (st == GL_OK)
        st = create_parts(t, cfg);
    /* the grids' x_T: drawn once from a stream of their own, so they are
     * the same for every run of a seed, and checkpointed */
    if (st == GL_OK) {
        t->eval_x = genlab_tensor_new_persistent(
            ctx, GL_F32, 4, (const int64_t[]){t->run.sample_n, data->channels, data->height,
                                              data->width});
        st = t->eval_x ? genlab_rng_fill(ctx, t->eval_x, GL_STREAM_EVAL, 1, 0.0f, 1.0f)
                       : genlab_ctx_status(ctx);
    }
    if (st != GL_OK) {
        diff_destroy(t);
        return st;
    }
    host->log(host, GL_LOG_INFO, "trainer diffusion: denoiser %lld parameters, T %lld, "
              "prediction %s, sampler %s%s", (long long)genlab_params_numel(t->net.params),
              (long long)t->T, pred, t->sampler_name, t->ema ? ", EMA" : "");
    *state = t;
    return GL_OK;
}

/* ---- the step ---- */

/* The inputs of one step: times t (N,) and per-image coefficients
 * sqrt(abar_t), sqrt(1 - abar_t) as (N, 1, 1, 1). */
typedef struct noising {
    genlab_tensor *t, *sa, *sb;
} noising;

static noising draw_times(genlab_ctx *ctx, const diff_trainer *t, int64_t n)
{
    noising z = {genlab_rand(ctx, 1, &n, 0.0f, (float)t->T),
                 genlab_tensor_new(ctx, GL_F32, 4, (const int64_t[]){n, 1, 1, 1}),
                 genlab_tensor_new(ctx, GL_F32, 4, (const int64_t[]){n, 1, 1, 1})};
    if (!z.t || !z.sa || !z.sb)
        return (noising){0};
    float *tv = genlab_tensor_f32_mut(z.t), *a = genlab_tensor_f32_mut(z.sa),
          *b = genlab_tensor_f32_mut(z.sb);
    for (int64_t i = 0; i < n; i++) {
        /* floor of U[0, T), kept below T where float rounding reached it */
        int64_t k = (int64_t)tv[i];
        k = k < t->T ? k : t->T - 1;
        double ab = t->sched_i->at(t->sched, k);
        tv[i] = (float)k;
        a[i] = (float)sqrt(ab);
        b[i] = (float)sqrt(1.0 - ab);
    }
    return z;
}

/* target — what the denoiser regresses at x_t (diffusers' get_velocity for v) */
static genlab_tensor *target(genlab_ctx *ctx, const diff_trainer *t, const noising *z,
                             genlab_tensor *x0, genlab_tensor *eps)
{
    if (t->pred == DIFF_PRED_EPSILON)
        return eps;
    if (t->pred == DIFF_PRED_SAMPLE)
        return x0;
    return genlab_sub(ctx, genlab_mul(ctx, z->sa, eps), genlab_mul(ctx, z->sb, x0));
}

static genlab_status diff_step(genlab_ctx *ctx, void *state, int64_t step,
                               const genlab_batch_source *data, genlab_step_metrics *out)
{
    diff_trainer *t = state;
    genlab_batch b;
    genlab_status st = data->next(ctx, data->context, &b);
    if (st != GL_OK)
        return st;
    int64_t n = genlab_tensor_dim(b.x, 0);
    noising z = draw_times(ctx, t, n);
    genlab_tensor *eps = genlab_randn(ctx, 4, (const int64_t[]){n, t->data.channels,
                                                                t->data.height, t->data.width});
    genlab_tensor *x_t = genlab_add(ctx, genlab_mul(ctx, z.sa, b.x), genlab_mul(ctx, z.sb, eps));
    genlab_params_zero_grad(t->net.params);
    genlab_tensor *pred = t->net.arch->forward(ctx, t->net.state, x_t, z.t, NULL, true);
    genlab_tensor *loss = genlab_mse_loss(ctx, pred, target(ctx, t, &z, b.x, eps), GL_REDUCE_MEAN);
    if (!loss)
        return genlab_ctx_status(ctx);
    float norm = 0;
    bool finite = true;
    /* clipping reads the true gradients: unscaled first, and left alone
     * (the step is skipped) when the scaled ones overflowed. Without
     * clipping the norm is still measured: a bound no norm reaches */
    if ((st = genlab_backward(ctx, genlab_net_scale_loss(ctx, &t->net, loss))) != GL_OK ||
        (st = genlab_net_unscale(ctx, &t->net, &finite)) != GL_OK ||
        (finite && (st = genlab_clip_grad_norm(ctx, t->net.params,
                                               t->grad_clip > 0 ? t->grad_clip : 1e30,
                                               &norm)) != GL_OK) ||
        (st = genlab_net_step(ctx, &t->net, step)) != GL_OK)
        return st;
    if (t->ema && (st = genlab_ema_update(ctx, t->ema)) != GL_OK)
        return st;
    genlab_step_metric(out, "loss", genlab_tensor_item(loss));
    genlab_step_metric(out, "lr", genlab_optim_lr(t->net.optim));
    if (finite)   /* a skipped step has no norm (the run counts it as skipped) */
        genlab_step_metric(out, "grad_norm", norm);
    return diff_after_step(ctx, t, step + 1);
}

/* ---- checkpoints ---- */

/* Names: U.params.*, U.optim.*, U.ema.* (with an EMA), and eval.x, the
 * grids' x_T. */
static genlab_status diff_visit(void *state, genlab_visit_fn fn, void *user)
{
    diff_trainer *t = state;
    genlab_status st = genlab_params_visit(t->net.params, "U", fn, user);
    if (st == GL_OK)
        st = genlab_optim_visit(t->net.optim, "U.optim", fn, user);
    if (st == GL_OK && t->ema)
        st = genlab_ema_visit(t->ema, "U.ema", fn, user);
    return st == GL_OK ? fn(user, "eval.x", t->eval_x) : st;
}

/* ---- the component ---- */

static const genlab_trainer_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_trainer_i),
    .create = diff_create, .destroy = diff_destroy, .step = diff_step, .sample = diff_sample,
    .visit = diff_visit, .latent_dim = diff_latent_dim, .generate = diff_generate,
};

const genlab_component gl_diff_trainer = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_TRAINER, .name = "diffusion",
    .doc = "a diffusion model: denoiser arch, noise schedule, sampler (ddpm/ddim), "
           "eps/x0/v targets, EMA, grad clipping",
    GL_PARAMS(params), .iface = &iface,
};
