/* SPDX-License-Identifier: MIT
 *
 * module.c — the diffusion plugin's module descriptor: every component of
 * plugins/diffusion/ (declared in diffusion.h), and its one exported entry
 * point.
 */
#include "diffusion.h"

static const genlab_component *const components[] = {
    &gl_diff_linear, &gl_diff_scaled_linear, &gl_diff_cosine,
    &gl_diff_ddpm, &gl_diff_ddim,
    &gl_diff_unet,
    &gl_diff_trainer,
    NULL,
};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "diffusion", .version = "0.1.0", .components = components,
};

GENLAB_PLUGIN(module)
