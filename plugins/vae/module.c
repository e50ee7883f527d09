/* SPDX-License-Identifier: MIT
 *
 * module.c — the VAE plugin's module descriptor: every component of
 * plugins/vae/ (declared in vae.h), and its one exported entry point.
 */
#include "vae.h"

static const genlab_component *const components[] = {
    &gl_vae_mlp28, &gl_vae_conv28, &gl_vae_conv32, &gl_vae_conv32_mse, &gl_vae_conv64,
    &gl_vae_mse, &gl_vae_bce, &gl_vae_l1,
    &gl_vae_beta_constant, &gl_vae_beta_linear, &gl_vae_beta_cyclical,
    &gl_vae_trainer,
    NULL,
};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "vae", .version = "0.1.0", .components = components,
};

GENLAB_PLUGIN(module)
