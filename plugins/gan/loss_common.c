/* SPDX-License-Identifier: MIT
 *
 * loss_common.c — the objective check shared by the GAN losses
 * (loss_common.h).
 */
#include "loss_common.h"

genlab_tensor *gl_gan_loss_undefined(genlab_ctx *ctx, const char *loss,
                                     genlab_loss_objective objective)
{
    static const char *const names[] = {"main", "discriminator", "generator"};
    const char *what = (unsigned)objective < sizeof names / sizeof names[0] ? names[objective]
                                                                            : "(unknown)";
    genlab_errorf(ctx, GL_ERR_INVALID,
                  "loss %s: objective %s (%d) is not defined: a GAN loss has the discriminator "
                  "and generator objectives", loss, what, (int)objective);
    return NULL;
}
