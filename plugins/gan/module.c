/* SPDX-License-Identifier: MIT
 *
 * module.c — the GAN plugin's module descriptor: every component of
 * plugins/gan/ (declared in gan.h), and its one exported entry point.
 */
#include "gan.h"

static const genlab_component *const components[] = {
    &gl_gan_bce, &gl_gan_lsgan, &gl_gan_wgan_gp, &gl_gan_hinge,
    &gl_gan_dcgan28, &gl_gan_dcgan32, &gl_gan_dcgan64, &gl_gan_mlp28, &gl_gan_resnet32,
    &gl_gan_trainer,
    NULL,
};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "gan", .version = "0.1.0", .components = components,
};

GENLAB_PLUGIN(module)
