/* SPDX-License-Identifier: MIT
 *
 * mock_plugin.c — a test plugin with one component of every kind, each
 * named "mock", each small enough that a test can predict its numbers.
 * Built as a libtool module for `make check` only (never installed) and
 * driven through the loader by test_plugins, test_config, test_run and
 * test_cli.sh (genlab train).
 *
 * It is not an example of a useful model: the arch is y = scale * mean(x),
 * the loss a WGAN-like difference of means. It does exercise what real
 * plugins need: parameters in several types, a trainer that creates the
 * components it names (two archs bound to two scopes, a loss, a schedule,
 * a sampler), pulls n_critic batches per step, feeds a critic to the loss;
 * an init() that logs through the host. Its nan_at parameter makes one
 * step report a NaN loss, for the run loop's numeric check.
 *
 * Sections: arch, loss, schedule, sampler, trainer, metric, dataset,
 * backend, module.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/genlab.h"

/* ---- arch: y = scale * mean over each sample's elements ---- */

typedef struct arch {
    float            scale;
    genlab_arch_spec spec;
} arch;

static const genlab_param_def arch_params[] = {
    {.name = "scale", .type = GL_PARAM_FLOAT, .def = "1", .min = "-10", .max = "10",
     .help = "output = scale * mean(input)"},
};

static genlab_status arch_build(const genlab_host *host, const genlab_config *cfg,
                                const genlab_arch_spec *spec, genlab_params *params, void **state)
{
    (void)params;   /* the mock has no parameter tensors */
    if (spec->in_ndim < 1 || spec->out_ndim < 1)
        return genlab_errorf(host->ctx, GL_ERR_SHAPE, "arch mock: role %d needs shapes",
                             spec->role);
    arch *a = malloc(sizeof *a);
    if (!a)
        return GL_ERR_NOMEM;
    a->scale = (float)genlab_config_float(cfg, "scale");
    a->spec = *spec;
    *state = a;
    return GL_OK;
}

static genlab_tensor *arch_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                   genlab_tensor *t, genlab_tensor *y, bool training)
{
    (void)t, (void)y, (void)training;
    const arch *a = state;
    int64_t n = genlab_tensor_dim(x, 0);
    int64_t shape[GL_MAX_DIMS + 1] = {n}, per = 1;   /* per: elements of one output sample */
    for (int i = 0; i < a->spec.out_ndim; i++) {
        shape[i + 1] = a->spec.out_shape[i];
        per *= a->spec.out_shape[i];
    }
    genlab_tensor *m = genlab_mean(ctx, genlab_flatten(ctx, x, 1), 1, (const int[]){1}, true);
    genlab_tensor *out = genlab_expand(ctx, genlab_scale(ctx, m, a->scale), 2,
                                       (const int64_t[]){n, per});
    return genlab_reshape(ctx, out, a->spec.out_ndim + 1, shape);
}

static const genlab_arch_i arch_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_arch_i),
    .build = arch_build, .destroy = free, .forward = arch_forward,
};

static const genlab_component arch_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_ARCH, .name = "mock", .doc = "mean of the input times a scale",
    GL_PARAMS(arch_params), .iface = &arch_iface,
};

/* ---- loss: D = w (mean d_fake - mean d_real) + penalty * mean(critic(x_real)^2),
 *            G = -w mean d_fake ---- */

typedef struct loss {
    float weight, penalty;
} loss;

static const genlab_param_def loss_params[] = {
    {.name = "weight", .type = GL_PARAM_FLOAT, .def = "1", .min = "0", .help = "loss weight"},
    {.name = "penalty", .type = GL_PARAM_FLOAT, .def = "0", .min = "0",
     .help = "weight of mean(D(x_real)^2), through the critic"},
};

static const char *const loss_inputs[] = {"d_real", "d_fake", NULL};

static genlab_status loss_create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    (void)host;
    loss *l = malloc(sizeof *l);
    if (!l)
        return GL_ERR_NOMEM;
    l->weight = (float)genlab_config_float(cfg, "weight");
    l->penalty = (float)genlab_config_float(cfg, "penalty");
    *state = l;
    return GL_OK;
}

static genlab_tensor *loss_compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    const loss *l = state;
    genlab_tensor *d_real = genlab_loss_arg(args, "d_real");
    genlab_tensor *d_fake = genlab_loss_arg(args, "d_fake");
    if (!d_fake || (args->objective == GL_OBJ_DISCRIMINATOR && !d_real)) {
        genlab_errorf(ctx, GL_ERR_INVALID, "loss mock: input %s missing",
                      d_fake ? "d_real" : "d_fake");
        return NULL;
    }
    switch (args->objective) {
    case GL_OBJ_GENERATOR:
        return genlab_scale(ctx, genlab_mean_all(ctx, d_fake), -l->weight);
    case GL_OBJ_DISCRIMINATOR: {
        genlab_tensor *d = genlab_scale(ctx, genlab_sub(ctx, genlab_mean_all(ctx, d_fake),
                                                        genlab_mean_all(ctx, d_real)),
                                        l->weight);
        genlab_tensor *x_real = genlab_loss_arg(args, "x_real");
        if (l->penalty == 0.0f || !args->critic || !x_real)
            return d;
        genlab_tensor *c = args->critic(ctx, args->critic_ctx, x_real);
        return genlab_add(ctx, d, genlab_scale(ctx, genlab_mean_all(ctx, genlab_mul(ctx, c, c)),
                                               l->penalty));
    }
    default:
        genlab_errorf(ctx, GL_ERR_INVALID, "loss mock: objective %d is not defined",
                      (int)args->objective);
        return NULL;
    }
}

static const genlab_loss_i loss_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
    .inputs = loss_inputs, .create = loss_create, .destroy = free,
    .compute = loss_compute,
};

static const genlab_component loss_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS, .name = "mock", .doc = "difference of critic means",
    GL_PARAMS(loss_params), .iface = &loss_iface,
};

/* ---- schedule: linear from start to end over the horizon ---- */

typedef struct sched {
    double  start, end;
    int64_t horizon;
} sched;

static const genlab_param_def sched_params[] = {
    {.name = "start", .type = GL_PARAM_FLOAT, .def = "1", .help = "value at step 0"},
    {.name = "end", .type = GL_PARAM_FLOAT, .def = "0", .help = "value at the last step"},
};

static genlab_status sched_create(const genlab_host *host, const genlab_config *cfg,
                                  int64_t horizon, void **state)
{
    (void)host;
    sched *s = malloc(sizeof *s);
    if (!s)
        return GL_ERR_NOMEM;
    *s = (sched){genlab_config_float(cfg, "start"), genlab_config_float(cfg, "end"), horizon};
    *state = s;
    return GL_OK;
}

static double sched_at(void *state, int64_t step)
{
    const sched *s = state;
    double f = s->horizon > 1 ? (double)step / (double)(s->horizon - 1) : 0.0;
    return s->start + (s->end - s->start) * f;
}

static const genlab_schedule_i sched_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_schedule_i),
    .create = sched_create, .destroy = free, .at = sched_at,
};

static const genlab_component sched_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SCHEDULE, .name = "mock", .doc = "linear ramp",
    GL_PARAMS(sched_params), .iface = &sched_iface,
};

/* ---- sampler: x <- x - (1 - alpha_bar(t)) * model(x, t) over `steps` times ---- */

static const genlab_param_def sampler_params[] = {
    {.name = "steps", .type = GL_PARAM_INT, .def = "3", .min = "1", .max = "1000",
     .help = "reverse steps (independent of the training T)"},
};

static genlab_status sampler_create(const genlab_host *host, const genlab_config *cfg,
                                    void **state)
{
    (void)host;
    int64_t *steps = malloc(sizeof *steps);
    if (!steps)
        return GL_ERR_NOMEM;
    *steps = genlab_config_int(cfg, "steps");
    *state = steps;
    return GL_OK;
}

static genlab_tensor *sampler_run(genlab_ctx *ctx, void *state, const genlab_sampler_args *a)
{
    int64_t steps = *(const int64_t *)state, n = genlab_tensor_dim(a->x, 0);
    genlab_tensor *x = genlab_scale(ctx, a->x, 1.0f);
    for (int64_t k = steps - 1; k >= 0; k--) {
        int64_t t = steps > 1 ? k * (a->train_steps - 1) / (steps - 1) : 0;
        genlab_tensor *tt = genlab_full(ctx, 1, (const int64_t[]){n}, (float)t);
        genlab_tensor *eps = a->model(ctx, a->model_ctx, x, tt, a->y);
        float step_weight = (float)(1.0 - a->alpha_bar(a->schedule_ctx, t));
        x = genlab_sub(ctx, x, genlab_scale(ctx, eps, step_weight));
    }
    return x;
}

static const genlab_sampler_i sampler_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_sampler_i),
    .create = sampler_create, .destroy = free, .run = sampler_run,
};

static const genlab_component sampler_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SAMPLER, .name = "mock", .doc = "a toy reverse process",
    GL_PARAMS(sampler_params), .iface = &sampler_iface,
};

/* ---- trainer: a GAN-shaped step over the components it names ---- */

typedef struct trainer {
    const genlab_host *host;
    genlab_data_spec   data;
    int64_t            n_critic, z_dim, nan_at;
    const genlab_arch_i *arch_i;            /* both networks use the arch vtable */
    void               *g, *d;             /* their states */
    const genlab_loss_i *loss_i;
    void               *loss;
    const genlab_schedule_i *sched_i;
    void               *sched;
    const genlab_sampler_i *sampler_i;
    void               *sampler;
} trainer;

static const genlab_param_def trainer_params[] = {
    {.name = "generator", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = "mock",
     .help = "generator network"},
    {.name = "discriminator", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = "mock",
     .help = "critic network"},
    {.name = "loss", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_LOSS, .def = "mock",
     .help = "adversarial loss"},
    {.name = "schedule", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_SCHEDULE, .def = "mock",
     .help = "reported per step"},
    {.name = "sampler", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_SAMPLER, .def = "mock",
     .help = "used by sample()"},
    {.name = "n_critic", .type = GL_PARAM_INT, .def = "2", .min = "1", .max = "10",
     .help = "critic updates (batches) per step"},
    {.name = "z_dim", .type = GL_PARAM_INT, .def = "4", .min = "1", .max = "64",
     .help = "latent size"},
    {.name = "nan_at", .type = GL_PARAM_INT, .def = "-1", .min = "-1",
     .help = "report d_loss as NaN at this step (-1: never), to test the run loop"},
};

static void trainer_destroy(void *state)
{
    trainer *t = state;
    if (!t)
        return;
    if (t->g)
        t->arch_i->destroy(t->g);
    if (t->d)
        t->arch_i->destroy(t->d);
    if (t->loss_i && t->loss_i->destroy)
        t->loss_i->destroy(t->loss);
    if (t->sched_i && t->sched_i->destroy)
        t->sched_i->destroy(t->sched);
    if (t->sampler_i && t->sampler_i->destroy)
        t->sampler_i->destroy(t->sampler);
    free(t);
}

/* build_arch — bind component parameter `ref` (an arch) and build it. */
static genlab_status build_arch(trainer *t, const genlab_config *cfg, const char *ref,
                                const genlab_arch_spec *spec, void **state)
{
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = genlab_config_component(cfg, ref, GL_KIND_ARCH, &c, &scope);
    if (st != GL_OK)
        return st;
    t->arch_i = c->iface;
    return t->arch_i->build(t->host, scope, spec, NULL, state);
}

static genlab_status trainer_create(const genlab_host *host, const genlab_config *cfg,
                                    const genlab_data_spec *data, void **state)
{
    static const char *const provided[] = {"d_real", "d_fake", "x_real", "x_fake", NULL};
    trainer *t = calloc(1, sizeof *t);
    if (!t)
        return GL_ERR_NOMEM;
    t->host = host;
    t->data = *data;
    t->n_critic = genlab_config_int(cfg, "n_critic");
    t->z_dim = genlab_config_int(cfg, "z_dim");
    t->nan_at = genlab_config_int(cfg, "nan_at");
    genlab_arch_spec gs = {.role = GL_ROLE_GENERATOR, .in_ndim = 1, .in_shape = {t->z_dim},
                           .out_ndim = 3, .out_shape = {data->channels, data->height, data->width}};
    genlab_arch_spec ds = {.role = GL_ROLE_DISCRIMINATOR, .in_ndim = 3,
                           .in_shape = {data->channels, data->height, data->width},
                           .out_ndim = 1, .out_shape = {1}};
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = build_arch(t, cfg, "generator", &gs, &t->g);
    if (st == GL_OK)
        st = build_arch(t, cfg, "discriminator", &ds, &t->d);
    if (st == GL_OK &&
        (st = genlab_config_component(cfg, "loss", GL_KIND_LOSS, &c, &scope)) == GL_OK) {
        t->loss_i = c->iface;
        const char *missing = genlab_loss_missing_input(t->loss_i, provided);
        if (missing)
            st = genlab_errorf(host->ctx, GL_ERR_INVALID,
                               "trainer mock: loss \"%s\" needs input \"%s\", which this "
                               "trainer does not provide", c->name, missing);
        else if (t->loss_i->create)
            st = t->loss_i->create(host, scope, &t->loss);
    }
    if (st == GL_OK &&
        (st = genlab_config_component(cfg, "schedule", GL_KIND_SCHEDULE, &c, &scope)) == GL_OK) {
        t->sched_i = c->iface;
        if (t->sched_i->create)
            st = t->sched_i->create(host, scope, genlab_config_int(host->config, "train.steps"),
                                    &t->sched);
    }
    if (st == GL_OK &&
        (st = genlab_config_component(cfg, "sampler", GL_KIND_SAMPLER, &c, &scope)) == GL_OK) {
        t->sampler_i = c->iface;
        if (t->sampler_i->create)
            st = t->sampler_i->create(host, scope, &t->sampler);
    }
    if (st != GL_OK) {
        trainer_destroy(t);
        return st;
    }
    host->log(host, GL_LOG_INFO, "trainer mock: n_critic=%lld", (long long)t->n_critic);
    *state = t;
    return GL_OK;
}

static genlab_tensor *critic(genlab_ctx *ctx, void *critic_ctx, genlab_tensor *x)
{
    const trainer *t = critic_ctx;
    return t->arch_i->forward(ctx, t->d, x, NULL, NULL, true);
}

/* fake — n generated images from fresh latents. */
static genlab_tensor *fake(genlab_ctx *ctx, const trainer *t, int64_t n)
{
    genlab_tensor *z = genlab_randn(ctx, 2, (const int64_t[]){n, t->z_dim});
    return t->arch_i->forward(ctx, t->g, z, NULL, NULL, true);
}

static genlab_status trainer_step(genlab_ctx *ctx, void *state, int64_t step,
                                  const genlab_batch_source *data, genlab_step_metrics *out)
{
    trainer *t = state;
    genlab_tensor *d_loss = NULL;
    for (int64_t i = 0; i < t->n_critic; i++) {
        genlab_batch b;
        genlab_status st = data->next(ctx, data->context, &b);
        if (st != GL_OK)
            return st;
        genlab_tensor *x_fake = fake(ctx, t, genlab_tensor_dim(b.x, 0));
        genlab_named_tensor in[] = {{"d_real", critic(ctx, t, b.x)},
                                    {"d_fake", critic(ctx, t, x_fake)},
                                    {"x_real", b.x}, {"x_fake", x_fake}};
        genlab_loss_args args = {GL_OBJ_DISCRIMINATOR, 4, in, critic, t};
        d_loss = t->loss_i->compute(ctx, t->loss, &args);
    }
    genlab_named_tensor in[] = {{"d_fake", critic(ctx, t, fake(ctx, t, 2))}};
    genlab_loss_args args = {GL_OBJ_GENERATOR, 1, in, critic, t};
    genlab_tensor *g_loss = t->loss_i->compute(ctx, t->loss, &args);
    if (!d_loss || !g_loss)
        return genlab_ctx_status(ctx);
    genlab_step_metric(out, "d_loss", step == t->nan_at ? NAN : genlab_tensor_item(d_loss));
    genlab_step_metric(out, "g_loss", genlab_tensor_item(g_loss));
    genlab_step_metric(out, "schedule", t->sched_i->at(t->sched, step));
    return GL_OK;
}

/* denoise — the sampler's model: the generator has the wrong shape for it,
 * so the mock predicts the noise as half of x_t. */
static genlab_tensor *denoise(genlab_ctx *ctx, void *model_ctx, genlab_tensor *x_t,
                              genlab_tensor *tt, genlab_tensor *y)
{
    (void)model_ctx, (void)tt, (void)y;
    return genlab_scale(ctx, x_t, 0.5f);
}

static genlab_tensor *trainer_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y)
{
    const trainer *t = state;
    const genlab_data_spec *d = &t->data;
    genlab_tensor *x_T = genlab_tensor_new_persistent(
        ctx, GL_F32, 4, (const int64_t[]){n, d->channels, d->height, d->width});
    if (!x_T || genlab_rng_fill(ctx, x_T, GL_STREAM_DEFAULT, 1, 0.0f, 1.0f) != GL_OK) {
        genlab_tensor_free(x_T);
        return NULL;
    }
    genlab_sampler_args a = {x_T, y, 10, denoise, NULL, t->sched_i->at, t->sched};
    genlab_tensor *x0 = genlab_tanh(ctx, t->sampler_i->run(ctx, t->sampler, &a));
    genlab_tensor_free(x_T);
    return x0;
}

static const genlab_trainer_i trainer_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_trainer_i),
    .create = trainer_create, .destroy = trainer_destroy, .step = trainer_step,
    .sample = trainer_sample, /* visit: NULL, the mock cannot be checkpointed */
};

static const genlab_component trainer_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_TRAINER, .name = "mock", .doc = "a GAN-shaped step without updates",
    GL_PARAMS(trainer_params), .iface = &trainer_iface,
};

/* ---- metric: |mean(real) - mean(fake)| ---- */

typedef struct metric {
    double  sum[2];
    int64_t count[2], images[2];
} metric;

static genlab_status metric_create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    (void)host, (void)cfg;
    return (*state = calloc(1, sizeof(metric))) ? GL_OK : GL_ERR_NOMEM;
}

static genlab_status metric_add(genlab_ctx *ctx, void *state, genlab_metric_set set,
                                genlab_tensor *images)
{
    metric *m = state;
    if (!images)
        return genlab_ctx_status(ctx);
    const float *p = genlab_tensor_f32(images);
    for (int64_t i = 0; i < genlab_tensor_numel(images); i++)
        m->sum[set] += p[i];
    m->count[set] += genlab_tensor_numel(images);
    m->images[set] += genlab_tensor_dim(images, 0);
    return GL_OK;
}

static genlab_status metric_compute(genlab_ctx *ctx, void *state, genlab_score *scores, int max,
                                    int *n)
{
    const metric *m = state;
    if (max < 1 || !m->count[GL_SET_REAL] || !m->count[GL_SET_FAKE])
        return genlab_errorf(ctx, GL_ERR_STATE, "metric mock: needs real and fake images");
    scores[0] = (genlab_score){"mean_gap",
                               fabs(m->sum[GL_SET_REAL] / (double)m->count[GL_SET_REAL] -
                                    m->sum[GL_SET_FAKE] / (double)m->count[GL_SET_FAKE]),
                               m->images[GL_SET_FAKE]};
    *n = 1;
    return GL_OK;
}

static const char *metric_protocol(void *state)
{
    (void)state;
    return "{\"metric\":\"mock\",\"features\":\"pixel mean\"}";
}

static genlab_status metric_reset(void *state)
{
    *(metric *)state = (metric){0};
    return GL_OK;
}

static const genlab_metric_i metric_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_metric_i),
    .create = metric_create, .destroy = free, .add = metric_add, .compute = metric_compute,
    .protocol = metric_protocol, .reset = metric_reset,
};

static const genlab_component metric_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_METRIC, .name = "mock", .doc = "gap between pixel means",
    .iface = &metric_iface,
};

/* ---- dataset: item i is an image filled with -1 + 2 i / (n - 1), label i % 3 ---- */

typedef struct dataset {
    genlab_data_spec spec;
    double           noise;
    int64_t          fail_at;
    char             identity[64];
} dataset;

static const genlab_param_def dataset_params[] = {
    {.name = "n_items", .type = GL_PARAM_INT, .def = "100", .min = "2", .max = "1000000",
     .help = "number of items"},
    {.name = "size", .type = GL_PARAM_INT, .def = "4", .min = "1", .max = "64",
     .help = "image height and width"},
    {.name = "noise", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "1",
     .flags = GL_PARAM_AUGMENT, .help = "add uniform noise of this size from the data stream (an augmentation)"},
    {.name = "fail_at", .type = GL_PARAM_INT, .def = "-1", .min = "-1",
     .help = "fail reading item n (-1: never), to test the loader"},
};

static genlab_status dataset_init(const genlab_host *host, char *why, size_t why_size)
{
    (void)why, (void)why_size;
    host->log(host, GL_LOG_INFO, "dataset mock: ready");
    return GL_OK;
}

static genlab_status dataset_open(const genlab_host *host, const genlab_config *cfg,
                                  const char *split, genlab_data_spec *spec, void **state)
{
    if (strcmp(split, "train") != 0 && strcmp(split, "test") != 0)
        return genlab_errorf(host->ctx, GL_ERR_INVALID, "dataset mock: no split \"%s\"", split);
    dataset *d = malloc(sizeof *d);
    if (!d)
        return GL_ERR_NOMEM;
    int32_t size = (int32_t)genlab_config_int(cfg, "size");
    d->spec = (genlab_data_spec){1, size, size, 3, genlab_config_int(cfg, "n_items")};
    d->noise = genlab_config_float(cfg, "noise");
    d->fail_at = genlab_config_int(cfg, "fail_at");
    snprintf(d->identity, sizeof d->identity, "mock:%lld", (long long)d->spec.n_items);
    *spec = d->spec;
    *state = d;
    return GL_OK;
}

static genlab_status dataset_read(genlab_ctx *ctx, void *state, const int64_t *indices, int64_t n,
                                  genlab_batch *out)
{
    const dataset *d = state;
    const genlab_data_spec *s = &d->spec;
    out->x = genlab_tensor_new(ctx, GL_F32, 4,
                               (const int64_t[]){n, s->channels, s->height, s->width});
    out->y = genlab_tensor_new(ctx, GL_I32, 1, (const int64_t[]){n});
    if (!out->x || !out->y)
        return genlab_ctx_status(ctx);
    float *x = genlab_tensor_f32_mut(out->x);
    int32_t *y = genlab_tensor_data(out->y);
    int64_t per = (int64_t)s->channels * s->height * s->width;
    for (int64_t i = 0; i < n; i++) {
        if (indices[i] < 0 || indices[i] >= s->n_items)
            return genlab_errorf(ctx, GL_ERR_INVALID, "dataset mock: index %lld out of [0, %lld)",
                                 (long long)indices[i], (long long)s->n_items);
        if (indices[i] == d->fail_at)
            return genlab_errorf(ctx, GL_ERR_IO, "dataset mock: item %lld is unreadable",
                                 (long long)indices[i]);
        for (int64_t j = 0; j < per; j++)
            x[i * per + j] = (float)(-1.0 + 2.0 * (double)indices[i] / (double)(s->n_items - 1));
        y[i] = (int32_t)(indices[i] % 3);
    }
    if (d->noise > 0) {   /* an augmentation: drawn from the data stream */
        genlab_tensor *u = genlab_tensor_new(ctx, GL_F32, 1, (const int64_t[]){n * per});
        if (!u || genlab_rng_fill(ctx, u, GL_STREAM_DATA, 0, (float)-d->noise,
                                  (float)d->noise) != GL_OK)
            return genlab_ctx_status(ctx);
        for (int64_t j = 0; j < n * per; j++)
            x[j] += genlab_tensor_f32(u)[j];
    }
    return GL_OK;
}

static const char *dataset_identity(void *state) { return ((const dataset *)state)->identity; }

static const genlab_dataset_i dataset_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_dataset_i),
    .open = dataset_open, .close = free, .read = dataset_read, .identity = dataset_identity,
};

static const genlab_component dataset_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_DATASET, .name = "mock", .doc = "ramps of constant images",
    GL_PARAMS(dataset_params), .iface = &dataset_iface, .init = dataset_init,
};

/* ---- backend: the CPU backend under another component ---- */

static const genlab_backend_plugin_i backend_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_backend_plugin_i),
    .table = genlab_backend_cpu,
};

static const genlab_component backend_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_BACKEND, .name = "mock", .doc = "the CPU backend again",
    .iface = &backend_iface,
};

/* ---- module ---- */

static const genlab_component *const components[] = {
    &trainer_comp, &arch_comp, &loss_comp, &sampler_comp, &sched_comp,
    &metric_comp, &dataset_comp, &backend_comp, NULL,
};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "mock", .version = "1.2.3", .components = components,
};

GENLAB_PLUGIN(module)
