/* SPDX-License-Identifier: MIT
 *
 * sampler_ddim.c — the sampler "ddim" (Song et al., "Denoising Diffusion
 * Implicit Models", 2021; diffusers' DDIMScheduler): x_prev =
 * sqrt(abar_prev) x0 + sqrt(1 - abar_prev - sigma^2) eps + sigma z with
 * sigma = eta sqrt(the posterior variance between the two timesteps):
 * eta = 0 is deterministic, eta = 1 DDPM-like. Past the last timestep
 * abar_prev is 1 (set_alpha_to_one), or abar_0 with set_alpha_to_one off.
 *
 * Not here: the loop (sampler_common.c), the formulas (dmath.c).
 */
#include <stdlib.h>

#include "sampler.h"

static const genlab_param_def params[] = {
    DIFF_SAMPLER_PARAMS("100"),
    {.name = "eta", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "1",
     .help = "the weight of each step's noise (0: deterministic DDIM; 1: DDPM's variance)"},
    {.name = "set_alpha_to_one", .type = GL_PARAM_BOOL, .def = "true",
     .help = "alpha-bar past the last timestep is 1 (else alpha-bar at t = 0)"},
};

static void ddim_update(const void *sampler, diff_step_in *in, float *x)
{
    diff_ddim_step(in, ((const diff_sampler *)sampler)->eta, x);
}

static genlab_status ddim_create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    diff_sampler *s = diff_sampler_new(host, cfg, "ddim", ddim_update);
    if (!s)
        return genlab_ctx_status(host->ctx);
    s->eta = genlab_config_float(cfg, "eta");
    s->noisy = s->eta > 0;
    s->final_one = genlab_config_bool(cfg, "set_alpha_to_one");
    *state = s;
    return GL_OK;
}

static const genlab_sampler_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_sampler_i),
    .create = ddim_create, .destroy = free, .run = diff_sampler_run,
};

const genlab_component gl_diff_ddim = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SAMPLER, .name = "ddim",
    .doc = "DDIM sampling with eta (0: deterministic) and its own number of steps",
    GL_PARAMS(params), .iface = &iface,
};
