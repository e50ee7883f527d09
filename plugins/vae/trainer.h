/* SPDX-License-Identifier: MIT
 *
 * trainer.h — what the two files of the VAE trainer share: its state
 * (trainer.c creates it and steps it), the model's pieces both use (the
 * pixel space, the encoder's statistics, the per-image KL and losses), and
 * the evaluation side (trainer_eval.c: decoding given latents, sample(),
 * the anomaly score, the images a run leaves, the held-out ELBO).
 *
 * Internal to plugins/vae; not installed.
 *
 * Sections: state, the model, trainer_eval.c.
 */
#ifndef GENLAB_PLUGIN_VAE_TRAINER_H
#define GENLAB_PLUGIN_VAE_TRAINER_H

#include "vae.h"

/* ---- state ---- */

typedef struct vae_trainer {
    const genlab_host       *host;
    genlab_data_spec         data;
    genlab_net               enc, dec;     /* run.h: arch, parameters, Adam, lr */
    genlab_trainer_loss      loss;         /* run.h: the reconstruction loss */
    const genlab_schedule_i *beta_i;
    void                    *beta;         /* the beta schedule's state */
    int64_t                  z_dim, eval_n, iw_k;
    genlab_trainer_run       run;          /* train.steps, sample_every, sample_n */
    bool                     tanh;         /* output tanh, pixels in [-1, 1]; else sigmoid, [0, 1] */
    bool                     anomaly_elbo; /* anomaly score -ELBO; else reconstruction error */
    double                   free_bits;    /* nats per latent dimension; 0: off */
    genlab_tensor           *eval_z;       /* (sample_n, z_dim) persistent: the prior grid's latents */
    /* the held-out split (vae.eval_split): reconstructions, interpolations,
     * the ELBO; NULL without a dataset */
    const genlab_dataset_i  *test_i;
    void                    *test;
    int64_t                  test_n;
    const char              *eval_split;   /* owned by the configuration */
} vae_trainer;

/* ---- the model ---- */

/* vae_to_model — x (N, C, H, W) in [-1, 1], as batches are, in the
 * decoder's pixel space: (x + 1) / 2 for a sigmoid output, x for tanh. */
genlab_tensor *vae_to_model(genlab_ctx *ctx, const vae_trainer *t, genlab_tensor *x);

/* The encoder's output split into q(z|x)'s mean and log-variance. */
typedef struct vae_posterior {
    genlab_tensor *mu, *logvar;   /* (N, z_dim) each */
} vae_posterior;

/* vae_encode — the encoder on xm (model space) in the given mode;
 * posterior fields NULL on error (on ctx). */
vae_posterior vae_encode(genlab_ctx *ctx, vae_trainer *t, genlab_tensor *xm, bool training);

/* The decoder's output: logits (before the activation) and recon (after). */
typedef struct vae_decoded {
    genlab_tensor *logits, *recon;  /* (N, C, H, W) each */
} vae_decoded;

/* vae_decode — the decoder on z in the given mode, with the output
 * activation; fields NULL on error (on ctx). */
vae_decoded vae_decode(genlab_ctx *ctx, vae_trainer *t, genlab_tensor *z, bool training);

/* vae_reparam — z = mu + exp(logvar / 2) eps: a draw from q(z|x) that is
 * differentiable in mu and logvar (the reparameterisation trick); eps
 * (N, z_dim) standard normal. */
genlab_tensor *vae_reparam(genlab_ctx *ctx, vae_posterior q, genlab_tensor *eps);

/* vae_kl_items — KL(q(z|x) || N(0, I)) of each image, in closed form:
 * 0.5 sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j), as (N). */
genlab_tensor *vae_kl_items(genlab_ctx *ctx, vae_posterior q);

/* vae_recon_loss — the loss component on xm and d (its inputs x, recon,
 * logits, mean, logvar), a 0-d tensor: its reduction's batch mean. */
genlab_tensor *vae_recon_loss(genlab_ctx *ctx, vae_trainer *t, genlab_tensor *xm,
                              vae_decoded d, vae_posterior q);

/* vae_recon_items — the loss of each image i < N alone (the loss on
 * one-image slices, so the per-image values are what the batch loss
 * averages) into out[i]. Returns GL_OK or the error on ctx. */
genlab_status vae_recon_items(genlab_ctx *ctx, vae_trainer *t, genlab_tensor *xm,
                              vae_decoded d, vae_posterior q, double *out);

/* ---- trainer_eval.c ---- */

/* vae_latent_dim — the trainer's latent_dim(): z_dim. */
int64_t vae_latent_dim(void *state);

/* vae_generate — the trainer's generate(): the decoder in eval mode with
 * grad recording off on latents z (N, z_dim), its output mapped to
 * [-1, 1]. Labels are ignored (unconditional). The training mode is back
 * in place when it returns. */
genlab_tensor *vae_generate(genlab_ctx *ctx, void *state, genlab_tensor *z, genlab_tensor *y);

/* vae_sample — the trainer's sample(): vae_generate on n latents from the
 * prior N(0, I), drawn from the context's default stream. */
genlab_tensor *vae_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y);

/* vae_anomaly_score — the trainer's anomaly_score(): per image of x
 * ([-1, 1]) the reconstruction loss of decoding the posterior mean, plus
 * (vae.anomaly = elbo) its KL: the negative ELBO at z = mean, so that an
 * image always gets the same score. Eval mode, no recording. */
genlab_tensor *vae_anomaly_score(genlab_ctx *ctx, void *state, genlab_tensor *x);

/* vae_after_step — after `done` steps: every sample_every steps and after
 * the last, <run_dir>/samples/step-<done>.png (the decoder on the fixed
 * prior latents, artifact "grid") and recon-<done>.png (held-out images
 * above their reconstructions, "recon"); after the last also
 * interp-<done>.png (decoded interpolations between the posterior means
 * of pairs of held-out images, "strip") and the held-out ELBO (and the
 * importance-weighted bound with vae.iw_k samples) as scores of the run.
 * No-op outside a run (no run directory). */
genlab_status vae_after_step(genlab_ctx *ctx, vae_trainer *t, int64_t done);

#endif /* GENLAB_PLUGIN_VAE_TRAINER_H */
