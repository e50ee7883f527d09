/* SPDX-License-Identifier: MIT
 *
 * loss_common.c — the input and objective checks shared by the GAN losses
 * (loss_common.h).
 */
#include <stdio.h>

#include "loss_common.h"

genlab_tensor *gl_gan_loss_input(genlab_ctx *ctx, const char *loss, const genlab_loss_args *args,
                                 const char *name)
{
    genlab_tensor *t = genlab_loss_arg(args, name);
    if (t || genlab_ctx_status(ctx) != GL_OK)
        return t;
    /* the names the trainer did give: the fix is usually a typo or a
     * trainer that cannot feed this loss */
    char gave[256] = "none";
    size_t used = 0;
    for (int i = 0; i < args->n_tensors && used < sizeof gave; i++) {
        int w = snprintf(gave + used, sizeof gave - used, "%s%s", i ? ", " : "",
                         args->tensors[i].name);
        used += w > 0 ? (size_t)w : 0;
    }
    genlab_errorf(ctx, GL_ERR_INVALID, "loss %s: input %s missing (the trainer gave: %s)", loss,
                  name, gave);
    return NULL;
}

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
