/* SPDX-License-Identifier: MIT
 *
 * schedule_noise.c — the noise schedules of the diffusion family as
 * `schedule` components (the diffusion trainer's diffusion.schedule; their
 * parameters under schedule.*). Each gives alpha-bar_t, the signal
 * fraction of x_t = sqrt(alpha-bar_t) x0 + sqrt(1 - alpha-bar_t) eps, at
 * the training timesteps t in [0, T), T being the horizon the owner
 * passes to create() (diffusion.timesteps):
 *
 *   linear         betas evenly spaced from beta_start to beta_end (DDPM,
 *                  Ho et al. 2020: 1e-4 to 0.02)
 *   scaled_linear  the square roots of the betas evenly spaced (latent
 *                  diffusion)
 *   cosine         squaredcos_cap_v2 (Nichol & Dhariwal 2021), each beta
 *                  capped at max_beta
 *
 * as diffusers' beta_schedule of the same names (dmath.c holds the
 * formulas; tests/test_diffusion_math.c checks them). The table is made
 * once at create(); at() reads it.
 *
 * Sections: state, the components.
 */
#include <stdlib.h>

#include "diffusion.h"
#include "dmath.h"

/* ---- state ---- */

typedef struct noise_sched {
    int64_t T;
    double  abar[];      /* (T) */
} noise_sched;

static genlab_status sched_create(const genlab_host *host, const genlab_config *cfg,
                                  int64_t horizon, diff_schedule_kind kind, const char *who,
                                  void **state)
{
    if (horizon < 1)
        return genlab_errorf(host->ctx, GL_ERR_INVALID, "schedule %s: the number of timesteps "
                             "is %lld, must be at least 1", who, (long long)horizon);
    double b0 = 0, b1 = 0, cap = 0;
    if (kind == DIFF_SCHED_COSINE) {
        cap = genlab_config_float(cfg, "max_beta");
    } else {
        b0 = genlab_config_float(cfg, "beta_start");
        b1 = genlab_config_float(cfg, "beta_end");
        if (b1 < b0)
            return genlab_errorf(host->ctx, GL_ERR_INVALID, "schedule %s: beta_end %g is below "
                                 "beta_start %g", who, b1, b0);
    }
    noise_sched *s = malloc(sizeof *s + (size_t)horizon * sizeof(double));
    if (!s)
        return genlab_errorf(host->ctx, GL_ERR_NOMEM, "schedule %s: out of memory for %lld "
                             "timesteps", who, (long long)horizon);
    s->T = horizon;
    diff_alpha_bar(kind, horizon, b0, b1, cap, s->abar);
    *state = s;
    return GL_OK;
}

/* at — alpha-bar at step, clamped into [0, T) (the ABI asks only for that
 * range; clamping keeps a stray caller finite) */
static double sched_at(void *state, int64_t step)
{
    const noise_sched *s = state;
    return s->abar[step < 0 ? 0 : step >= s->T ? s->T - 1 : step];
}

/* ---- the components ---- */

/* betas above 0.999 make alpha-bar reach 0, where x0 = (x - ...) / 0 */
static const genlab_param_def linear_params[] = {
    {.name = "beta_start", .type = GL_PARAM_FLOAT, .def = "0.0001", .min = "0", .max = "0.999",
     .help = "the first beta"},
    {.name = "beta_end", .type = GL_PARAM_FLOAT, .def = "0.02", .min = "0", .max = "0.999",
     .help = "the last beta"},
};

static const genlab_param_def cosine_params[] = {
    {.name = "max_beta", .type = GL_PARAM_FLOAT, .def = "0.999", .min = "0.0001",
     .max = "0.999", .help = "the cap of every beta (diffusers: 0.999)"},
};

#define SCHEDULE(ident, kind, label)                                                    \
    static genlab_status ident##_create(const genlab_host *host, const genlab_config *cfg, \
                                        int64_t horizon, void **state)                   \
    {                                                                                   \
        return sched_create(host, cfg, horizon, kind, label, state);                    \
    }                                                                                   \
    static const genlab_schedule_i ident##_iface = {                                    \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_schedule_i),  \
        .create = ident##_create, .destroy = free, .at = sched_at,                      \
    }

SCHEDULE(linear, DIFF_SCHED_LINEAR, "linear");
SCHEDULE(scaled, DIFF_SCHED_SCALED_LINEAR, "scaled_linear");
SCHEDULE(cosine, DIFF_SCHED_COSINE, "cosine");

const genlab_component gl_diff_linear = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SCHEDULE, .name = "linear",
    .doc = "noise schedule: alpha-bar of betas linear from beta_start to beta_end (DDPM)",
    GL_PARAMS(linear_params), .iface = &linear_iface,
};

const genlab_component gl_diff_scaled_linear = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SCHEDULE, .name = "scaled_linear",
    .doc = "noise schedule: alpha-bar of betas whose square roots are linear (latent diffusion)",
    GL_PARAMS(linear_params), .iface = &scaled_iface,
};

const genlab_component gl_diff_cosine = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SCHEDULE, .name = "cosine",
    .doc = "noise schedule: squaredcos_cap_v2, the cosine alpha-bar with betas capped at "
           "max_beta",
    GL_PARAMS(cosine_params), .iface = &cosine_iface,
};
