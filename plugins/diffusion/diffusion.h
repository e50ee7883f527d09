/* SPDX-License-Identifier: MIT
 *
 * diffusion.h — what the files of the diffusion plugin share: the
 * components each file defines, listed by module.c. One file per
 * component or family: the noise schedules (schedule_noise.c), the two
 * samplers (sampler_ddpm.c, sampler_ddim.c, their loop in
 * sampler_common.c), the UNet denoiser (arch_unet.c) and the trainer
 * (trainer.c, its sampling side in trainer_sample.c); the arithmetic they
 * share is dmath.h's.
 *
 * Names: the schedules are "linear", "scaled_linear" and "cosine" (the
 * VAE's beta schedules are prefixed "beta-", so they do not clash).
 */
#ifndef GENLAB_PLUGIN_DIFFUSION_H
#define GENLAB_PLUGIN_DIFFUSION_H

#include "genlab/genlab.h"

/* noise schedules (schedule_noise.c) */
extern const genlab_component gl_diff_linear;         /* "linear" */
extern const genlab_component gl_diff_scaled_linear;  /* "scaled_linear" */
extern const genlab_component gl_diff_cosine;         /* "cosine" */

/* samplers (sampler_ddpm.c, sampler_ddim.c) */
extern const genlab_component gl_diff_ddpm;           /* "ddpm" */
extern const genlab_component gl_diff_ddim;           /* "ddim" */

/* the denoiser (arch_unet.c) */
extern const genlab_component gl_diff_unet;           /* "unet" */

/* trainer.c (its sampling side in trainer_sample.c) */
extern const genlab_component gl_diff_trainer;        /* "diffusion" */

#endif /* GENLAB_PLUGIN_DIFFUSION_H */
