/* SPDX-License-Identifier: MIT
 *
 * gan.h — what the files of the GAN plugin share: the components each
 * file defines, listed by module.c. One file per component (a loss, an
 * architecture family, the trainer), so a new loss is a copy of one file
 * and one line here and in module.c.
 */
#ifndef GENLAB_PLUGIN_GAN_H
#define GENLAB_PLUGIN_GAN_H

#include "genlab/genlab.h"

/* architectures (arch_dcgan.c, arch_mlp.c, arch_resnet.c; shared code in
 * arch.h and libgenlab's seq_arch.h) */
extern const genlab_component gl_gan_dcgan28;
extern const genlab_component gl_gan_dcgan32;
extern const genlab_component gl_gan_dcgan64;
extern const genlab_component gl_gan_mlp28;
extern const genlab_component gl_gan_resnet32;

/* losses: one file each, loss_<name>.c */
extern const genlab_component gl_gan_bce;       /* "bce" */
extern const genlab_component gl_gan_lsgan;     /* "lsgan" */
extern const genlab_component gl_gan_wgan_gp;   /* "wgan-gp" */
extern const genlab_component gl_gan_hinge;     /* "hinge" */

/* trainer.c (its sampling side in trainer_sample.c) */
extern const genlab_component gl_gan_trainer;

#endif /* GENLAB_PLUGIN_GAN_H */
