/* SPDX-License-Identifier: MIT
 *
 * vae.h — what the files of the VAE plugin share: the components each file
 * defines, listed by module.c. One file per component or family (the
 * architectures, a loss, the beta schedules, the trainer), so a new loss is
 * a copy of one file and one line here and in module.c.
 *
 * Names: every component carries the family's prefix ("vae-mlp28",
 * "vae-bce", "beta-linear"), because component names are unique per kind
 * among everything loaded and the GAN plugin already has an arch "mlp28"
 * and a loss "bce" (and a diffusion plugin will want "linear").
 */
#ifndef GENLAB_PLUGIN_VAE_H
#define GENLAB_PLUGIN_VAE_H

#include "genlab/genlab.h"

/* architectures (arch_mlp.c, arch_conv.c; shared code in arch.h and
 * libgenlab's seq_arch.h) */
extern const genlab_component gl_vae_mlp28;      /* "vae-mlp28" */
extern const genlab_component gl_vae_conv28;     /* "vae-conv28" */
extern const genlab_component gl_vae_conv32;     /* "vae-conv32" */
extern const genlab_component gl_vae_conv32_mse; /* "vae-conv32-mse" */
extern const genlab_component gl_vae_conv64;     /* "vae-conv64" */

/* reconstruction losses: one file each, loss_<name>.c (shared code in
 * loss_common.h / loss_common.c) */
extern const genlab_component gl_vae_mse;        /* "vae-mse" */
extern const genlab_component gl_vae_bce;        /* "vae-bce" */
extern const genlab_component gl_vae_l1;         /* "vae-l1" */

/* beta schedules (schedule_beta.c) */
extern const genlab_component gl_vae_beta_constant;  /* "beta-constant" */
extern const genlab_component gl_vae_beta_linear;    /* "beta-linear" */
extern const genlab_component gl_vae_beta_cyclical;  /* "beta-cyclical" */

/* trainer.c (its evaluation side in trainer_eval.c) */
extern const genlab_component gl_vae_trainer;    /* "vae" */

#endif /* GENLAB_PLUGIN_VAE_H */
