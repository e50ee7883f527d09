/* SPDX-License-Identifier: MIT
 *
 * sampler.h — what the two samplers (sampler_ddpm.c, sampler_ddim.c)
 * share: the parameters both have, their state, and the reverse loop
 * (sampler_common.c), so that DDPM and DDIM visit timesteps, call the
 * model, draw noise and keep memory bounded alike and differ only in the
 * update of one step.
 *
 * The shared parameters (under sampler.*):
 *   steps         the number of reverse steps (its own, not the training T)
 *   spacing       leading | trailing | linspace: which timesteps, as
 *                 diffusers' timestep_spacing
 *   steps_offset  added to leading timesteps (diffusers' steps_offset)
 *   clip_sample   clip the predicted x0 into [-clip_range, clip_range]
 *   clip_range
 *
 * Internal to plugins/diffusion; not installed.
 */
#ifndef GENLAB_PLUGIN_DIFFUSION_SAMPLER_H
#define GENLAB_PLUGIN_DIFFUSION_SAMPLER_H

#include "diffusion.h"
#include "dmath.h"

extern const char *const diff_spacing_choices[];   /* "leading", "trailing", "linspace", NULL */

/* The shared parameters, first in each sampler's table; def_steps is the
 * sampler's own default step count (text). */
#define DIFF_SAMPLER_PARAMS(def_steps)                                                       \
    {.name = "steps", .type = GL_PARAM_INT, .def = def_steps, .min = "1", .max = "100000",   \
     .help = "reverse steps (at most the training timesteps)"},                              \
    {.name = "spacing", .type = GL_PARAM_ENUM, .def = "leading",                             \
     .choices = diff_spacing_choices,                                                        \
     .help = "which timesteps: leading, trailing or linspace (diffusers' timestep_spacing)"},\
    {.name = "steps_offset", .type = GL_PARAM_INT, .def = "0", .min = "0", .max = "100000",  \
     .help = "added to leading timesteps (diffusers' steps_offset)"},                        \
    {.name = "clip_sample", .type = GL_PARAM_BOOL, .def = "true",                            \
     .help = "clip the predicted x0 into [-clip_range, clip_range]"},                        \
    {.name = "clip_range", .type = GL_PARAM_FLOAT, .def = "1", .min = "0.001", .max = "1000",\
     .help = "the bound of clip_sample"}

/* One reverse step's update of x (in place) from the step's input. */
typedef void (*diff_update_fn)(const void *sampler, diff_step_in *in, float *x);

/* A sampler's state: the shared parameters and its own. */
typedef struct diff_sampler {
    const char    *name;         /* "ddpm", "ddim": for messages */
    int64_t        steps, offset;
    diff_spacing   spacing;
    bool           clip;
    double         clip_range;
    diff_variance  variance;     /* ddpm */
    double         eta;          /* ddim */
    bool           noisy;        /* the update takes noise (ddpm; ddim with eta > 0) */
    bool           final_one;    /* ddim: abar past the end is 1 (set_alpha_to_one), else abar[0] */
    diff_update_fn update;
} diff_sampler;

/* diff_sampler_new — a state with the shared parameters read from cfg;
 * NULL after an error on host->ctx. Freed with free(). */
diff_sampler *diff_sampler_new(const genlab_host *host, const genlab_config *cfg,
                               const char *name, diff_update_fn update);

/* diff_sampler_run — the sampler's run(): the timesteps of s over
 * a->train_steps, and for each the model's noise prediction at x_t and
 * s->update to the previous timestep, with standard normal noise from the
 * context's default stream where s->noisy (none at t = 0). Arena memory is
 * rewound after every step; x is kept in a persistent tensor. Returns x_0
 * as an arena tensor, or NULL (error on ctx: timesteps that do not fit
 * the training T are named). */
genlab_tensor *diff_sampler_run(genlab_ctx *ctx, void *state, const genlab_sampler_args *a);

#endif /* GENLAB_PLUGIN_DIFFUSION_SAMPLER_H */
