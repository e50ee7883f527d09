/* SPDX-License-Identifier: MIT
 *
 * loss_common.h — the two checks every GAN loss of this plugin makes, so
 * that all of them word their errors alike: an input the trainer did not
 * give, and an objective the loss does not define.
 *
 * Not here: anything a loss computes. Each loss_<name>.c holds its whole
 * formula and reads on its own; these helpers only fail politely.
 */
#ifndef GENLAB_PLUGIN_GAN_LOSS_COMMON_H
#define GENLAB_PLUGIN_GAN_LOSS_COMMON_H

#include "genlab/genlab.h"

/* gl_gan_loss_input — the tensor called name in args.
 * loss: the component's name, for the message ("wgan-gp").
 * Returns the (trainer-owned) tensor, or NULL: after an earlier error on
 * ctx (kept), or after recording GL_ERR_INVALID "loss <loss>: input <name>
 * missing (the trainer gave: <names>)" when args has no such tensor or
 * holds NULL under that name. */
genlab_tensor *gl_gan_loss_input(genlab_ctx *ctx, const char *loss, const genlab_loss_args *args,
                                 const char *name);

/* gl_gan_loss_undefined — record GL_ERR_INVALID "loss <loss>: objective
 * <objective> is not defined ..." on ctx (unless an error is already there)
 * and return NULL: the default branch of a loss's switch on the
 * objective. */
genlab_tensor *gl_gan_loss_undefined(genlab_ctx *ctx, const char *loss,
                                     genlab_loss_objective objective);

#endif /* GENLAB_PLUGIN_GAN_LOSS_COMMON_H */
