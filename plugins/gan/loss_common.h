/* SPDX-License-Identifier: MIT
 *
 * loss_common.h — the objective check every GAN loss of this plugin
 * makes, so that all of them word the error alike: an objective the loss
 * does not define. (A missing input: genlab_loss_input, plugin.h.)
 *
 * Not here: anything a loss computes. Each loss_<name>.c holds its whole
 * formula and reads on its own; these helpers only fail politely.
 */
#ifndef GENLAB_PLUGIN_GAN_LOSS_COMMON_H
#define GENLAB_PLUGIN_GAN_LOSS_COMMON_H

#include "genlab/genlab.h"

/* gl_gan_loss_undefined — record GL_ERR_INVALID "loss <loss>: objective
 * <objective> is not defined ..." on ctx (unless an error is already there)
 * and return NULL: the default branch of a loss's switch on the
 * objective. */
genlab_tensor *gl_gan_loss_undefined(genlab_ctx *ctx, const char *loss,
                                     genlab_loss_objective objective);

#endif /* GENLAB_PLUGIN_GAN_LOSS_COMMON_H */
