/* SPDX-License-Identifier: MIT
 *
 * loss_common.h — what the VAE reconstruction losses (loss_mse.c,
 * loss_bce.c, loss_l1.c) share: the reduction parameter, their state, and
 * the one place that reduces an elementwise loss, so that all three sum
 * and average alike.
 *
 * The reduction (loss.reduction, recorded with every run as each of its
 * parameters):
 *   sum   (default) the sum over the pixels of each image, averaged over
 *         the batch: -log p(x|z) per image for the Bernoulli loss (bce),
 *         the scale of the KL term it is added to, as in Kingma & Welling
 *         and pytorch/examples (which sum over the batch too; genlab
 *         averages, so the loss does not grow with the batch: seed 002's
 *         L = 1/N sum_n (L_recon + L_KL))
 *   mean  the mean over every element (PyTorch's default reduction): the
 *         reconstruction term then weighs 1/(C H W) of the sum's, which
 *         acts as a much larger beta
 * The trainer reports and evaluates with whatever the loss returns, so the
 * held-out ELBO of a run with `mean` is on that scale too.
 *
 * Not here: the formulas (one file each).
 */
#ifndef GENLAB_PLUGIN_VAE_LOSS_COMMON_H
#define GENLAB_PLUGIN_VAE_LOSS_COMMON_H

#include "vae.h"

extern const char *const vae_reduction_choices[];   /* "sum", "mean", NULL */

/* The reduction parameter, in each loss's table. */
#define VAE_REDUCTION_PARAM                                                                  \
    {.name = "reduction", .type = GL_PARAM_ENUM, .def = "sum",                               \
     .choices = vae_reduction_choices,                                                       \
     .help = "sum: over each image's pixels, mean over the batch; mean: over every element"}

/* A loss's state: its reduction. */
typedef struct vae_loss {
    bool mean;   /* reduction = mean */
} vae_loss;

/* vae_loss_create — every VAE loss's create(): reads loss.reduction. */
genlab_status vae_loss_create(const genlab_host *host, const genlab_config *cfg, void **state);

/* vae_loss_reduce — the elementwise loss l (N, ...) reduced as the state
 * says: sum_all(l) / N, or mean_all(l). NULL for a NULL l. */
genlab_tensor *vae_loss_reduce(genlab_ctx *ctx, const vae_loss *s, genlab_tensor *l);

/* vae_loss_main — whether args asks for the main objective; otherwise
 * false after recording GL_ERR_INVALID "loss <loss>: objective ... is not
 * defined: a VAE loss has the main objective only" (unless ctx holds an
 * error already). */
bool vae_loss_main(genlab_ctx *ctx, const char *loss, const genlab_loss_args *args);

#endif /* GENLAB_PLUGIN_VAE_LOSS_COMMON_H */
