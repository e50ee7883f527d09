/* SPDX-License-Identifier: MIT
 *
 * loss_common.c — the reduction and objective check shared by the VAE
 * reconstruction losses (loss_common.h).
 */
#include <stdlib.h>
#include <string.h>

#include "loss_common.h"

const char *const vae_reduction_choices[] = {"sum", "mean", NULL};

genlab_status vae_loss_create(const genlab_host *host, const genlab_config *cfg, void **state)
{
    vae_loss *s = malloc(sizeof *s);
    if (!s)
        return genlab_errorf(host->ctx, GL_ERR_NOMEM, "loss: out of memory");
    s->mean = strcmp(genlab_config_str(cfg, "reduction"), "mean") == 0;
    *state = s;
    return GL_OK;
}

genlab_tensor *vae_loss_reduce(genlab_ctx *ctx, const vae_loss *s, genlab_tensor *l)
{
    if (!l)
        return NULL;
    if (s->mean)
        return genlab_mean_all(ctx, l);
    return genlab_scale(ctx, genlab_sum_all(ctx, l), 1.0f / (float)genlab_tensor_dim(l, 0));
}

bool vae_loss_main(genlab_ctx *ctx, const char *loss, const genlab_loss_args *args)
{
    if (args->objective == GL_OBJ_MAIN)
        return true;
    if (genlab_ctx_status(ctx) == GL_OK)
        genlab_errorf(ctx, GL_ERR_INVALID, "loss %s: objective %d is not defined: a VAE loss "
                      "has the main objective only", loss, (int)args->objective);
    return false;
}
