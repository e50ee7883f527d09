/* SPDX-License-Identifier: MIT
 *
 * sampler_ddpm.c — the sampler "ddpm" (Ho et al., "Denoising Diffusion
 * Probabilistic Models", 2020; diffusers' DDPMScheduler): ancestral
 * sampling from the posterior q(x_prev | x_t, x0) with x0 predicted (and
 * clipped), and fresh noise at every step but the last, of variance
 * fixed_small (the posterior's, beta~_t) or fixed_large (beta_t). With
 * steps = T it is the original sampler; fewer steps stride T // steps.
 *
 * Not here: the loop (sampler_common.c), the formulas (dmath.c).
 */
#include <stdlib.h>
#include <string.h>

#include "sampler.h"

static const char *const variance_choices[] = {"fixed_small", "fixed_large", NULL};

static const genlab_param_def params[] = {
    DIFF_SAMPLER_PARAMS("1000"),
    {.name = "variance", .type = GL_PARAM_ENUM, .def = "fixed_small",
     .choices = variance_choices,
     .help = "the noise of each step: fixed_small (the posterior's) or fixed_large (beta_t)"},
};

static void ddpm_update(const void *sampler, diff_step_in *in, float *x)
{
    diff_ddpm_step(in, ((const diff_sampler *)sampler)->variance, x);
}

static genlab_status ddpm_create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    diff_sampler *s = diff_sampler_new(host, cfg, "ddpm", ddpm_update);
    if (!s)
        return genlab_ctx_status(host->ctx);
    s->variance = strcmp(genlab_config_str(cfg, "variance"), "fixed_large") == 0
                      ? DIFF_VAR_FIXED_LARGE : DIFF_VAR_FIXED_SMALL;
    s->noisy = true;
    s->final_one = true;   /* diffusers' DDPM: alpha_prod_t_prev = 1 past the end */
    *state = s;
    return GL_OK;
}

static const genlab_sampler_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_sampler_i),
    .create = ddpm_create, .destroy = free, .run = diff_sampler_run,
};

const genlab_component gl_diff_ddpm = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_SAMPLER, .name = "ddpm",
    .doc = "DDPM ancestral sampling (fixed_small / fixed_large variance, x0 clipping)",
    GL_PARAMS(params), .iface = &iface,
};
