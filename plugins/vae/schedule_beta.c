/* SPDX-License-Identifier: MIT
 *
 * schedule_beta.c — the weights of the KL term, beta in loss = recon +
 * beta KL, as `schedule` components (the vae trainer's vae.beta; their
 * parameters under beta.*):
 *
 *   beta-constant  beta = value at every step (1: the plain ELBO; > 1:
 *                  beta-VAE, Higgins et al. 2017).
 *   beta-linear    from start to end linearly over `epochs` epochs, then
 *                  end (KL annealing, Bowman et al. 2016; seed 000: 0 to
 *                  0.8 over 20 epochs). Fractional epochs count: the value
 *                  rises at every step, not once per epoch. An epoch is
 *                  the owner's (set_epoch_steps); without one, a step.
 *   beta-cyclical  `cycles` cycles over the run (the horizon, train.steps),
 *                  each rising linearly from start to end over its first
 *                  `ratio` of steps and staying at end for the rest (Fu et
 *                  al., "Cyclical Annealing Schedule", NAACL 2019: M = 4,
 *                  R = 0.5).
 *
 * Schedules are pure functions of the step (plugin.h): a resumed run gets
 * the same betas without saving anything.
 *
 * Sections: constant, linear, cyclical.
 */
#include <math.h>
#include <stdlib.h>

#include "vae.h"

/* A schedule's state: every parameter any of the three reads. */
typedef struct beta_sched {
    double  value, start, end, epochs, ratio;
    int64_t cycles, horizon;
    int64_t epoch_steps;   /* steps per epoch (set_epoch_steps); 1 until told */
} beta_sched;

static beta_sched *sched_new(const genlab_host *host, const char *who)
{
    beta_sched *s = calloc(1, sizeof *s);
    if (!s)
        genlab_errorf(host->ctx, GL_ERR_NOMEM, "schedule %s: out of memory", who);
    else
        s->epoch_steps = 1;
    return s;
}

/* ---- constant ---- */

static const genlab_param_def constant_params[] = {
    {.name = "value", .type = GL_PARAM_FLOAT, .def = "1", .min = "0", .max = "1000",
     .help = "the weight of the KL term at every step (1: the ELBO)"},
};

static genlab_status constant_create(const genlab_host *host, const genlab_config *cfg,
                                     int64_t horizon, void **state)
{
    (void)horizon;
    beta_sched *s = sched_new(host, "beta-constant");
    if (!s)
        return GL_ERR_NOMEM;
    s->value = genlab_config_float(cfg, "value");
    *state = s;
    return GL_OK;
}

static double constant_at(void *state, int64_t step)
{
    (void)step;
    return ((const beta_sched *)state)->value;
}

static const genlab_schedule_i constant_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_schedule_i),
    .create = constant_create, .destroy = free, .at = constant_at,
};

const genlab_component gl_vae_beta_constant = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SCHEDULE, .name = "beta-constant",
    .doc = "a constant KL weight beta (1: the ELBO; > 1: beta-VAE)",
    GL_PARAMS(constant_params), .iface = &constant_iface,
};

/* ---- linear ---- */

#define START_END_PARAMS(start_, end_)                                                    \
    {.name = "start", .type = GL_PARAM_FLOAT, .def = start_, .min = "0", .max = "1000",   \
     .help = "the weight at the first step"},                                             \
    {.name = "end", .type = GL_PARAM_FLOAT, .def = end_, .min = "0", .max = "1000",       \
     .help = "the weight reached at the end of the rise"}

static const genlab_param_def linear_params[] = {
    START_END_PARAMS("0", "1"),
    {.name = "epochs", .type = GL_PARAM_FLOAT, .def = "10", .min = "0", .max = "1e9",
     .help = "epochs of the rise from start to end (0: end from the first step)"},
};

static genlab_status linear_create(const genlab_host *host, const genlab_config *cfg,
                                   int64_t horizon, void **state)
{
    (void)horizon;
    beta_sched *s = sched_new(host, "beta-linear");
    if (!s)
        return GL_ERR_NOMEM;
    s->start = genlab_config_float(cfg, "start");
    s->end = genlab_config_float(cfg, "end");
    s->epochs = genlab_config_float(cfg, "epochs");
    *state = s;
    return GL_OK;
}

static void linear_set_epoch_steps(void *state, int64_t steps)
{
    ((beta_sched *)state)->epoch_steps = steps >= 1 ? steps : 1;
}

static double linear_at(void *state, int64_t step)
{
    const beta_sched *s = state;
    double rise = s->epochs * (double)s->epoch_steps;   /* in steps */
    double f = rise > 0.0 ? fmin((double)step / rise, 1.0) : 1.0;
    return s->start + (s->end - s->start) * f;
}

static const genlab_schedule_i linear_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_schedule_i),
    .create = linear_create, .destroy = free, .at = linear_at,
    .set_epoch_steps = linear_set_epoch_steps,
};

const genlab_component gl_vae_beta_linear = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SCHEDULE, .name = "beta-linear",
    .doc = "KL annealing: beta from start to end linearly over N epochs (seed 000: 0 to 0.8 "
           "over 20)",
    GL_PARAMS(linear_params), .iface = &linear_iface,
};

/* ---- cyclical ---- */

static const genlab_param_def cyclical_params[] = {
    START_END_PARAMS("0", "1"),
    {.name = "cycles", .type = GL_PARAM_INT, .def = "4", .min = "1", .max = "1000000",
     .help = "cycles over the run (train.steps)"},
    {.name = "ratio", .type = GL_PARAM_FLOAT, .def = "0.5", .min = "0", .max = "1",
     .help = "the part of each cycle spent rising (the rest stays at end)"},
};

static genlab_status cyclical_create(const genlab_host *host, const genlab_config *cfg,
                                     int64_t horizon, void **state)
{
    if (horizon < 1)
        return genlab_errorf(host->ctx, GL_ERR_INVALID, "schedule beta-cyclical: it needs the "
                             "run's length to place its cycles (horizon %lld)",
                             (long long)horizon);
    beta_sched *s = sched_new(host, "beta-cyclical");
    if (!s)
        return GL_ERR_NOMEM;
    s->start = genlab_config_float(cfg, "start");
    s->end = genlab_config_float(cfg, "end");
    s->cycles = genlab_config_int(cfg, "cycles");
    s->ratio = genlab_config_float(cfg, "ratio");
    s->horizon = horizon;
    *state = s;
    return GL_OK;
}

static double cyclical_at(void *state, int64_t step)
{
    const beta_sched *s = state;
    double period = (double)s->horizon / (double)s->cycles;   /* steps */
    double pos = fmod((double)step, period) / period;          /* [0, 1) in its cycle */
    double f = s->ratio > 0.0 ? fmin(pos / s->ratio, 1.0) : 1.0;
    return s->start + (s->end - s->start) * f;
}

static const genlab_schedule_i cyclical_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_schedule_i),
    .create = cyclical_create, .destroy = free, .at = cyclical_at,
};

const genlab_component gl_vae_beta_cyclical = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SCHEDULE, .name = "beta-cyclical",
    .doc = "cyclical KL annealing: cycles rising from start to end (Fu et al., 2019)",
    GL_PARAMS(cyclical_params), .iface = &cyclical_iface,
};
