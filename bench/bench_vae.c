/* SPDX-License-Identifier: MIT
 *
 * bench_vae.c — full VAE training steps with the vae plugin's own trainer,
 * timed the way ../shared/bench/torch_ref.py times PyTorch's: one
 * iteration is the trainer's step() — encoder, reparameterisation,
 * decoder, reconstruction loss + KL, backward, Adam on both networks — at
 * batch 64 on random images in [-1, 1] (mapped to [0, 1] by the trainer
 * for a sigmoid output: torch_ref.py's torch.rand for vae28).
 *
 *   bench_vae [--steps N] [--warmup N] [--threads N] MODEL...
 *
 * MODEL is one of torch_ref.py's names:
 *   vae28   vae-mlp28 (784-400-20), vae-bce, Adam 1e-3             (1x28x28)
 *   vae64   vae-conv64 (VAE64, z 100), tanh output, vae-mse, Adam
 *           2e-4 with beta1 0.5                                     (3x64x64)
 * Prints one TSV line per model: model, ms/iteration (median of the timed
 * iterations, as torch_ref.py), images/s (batch / ms), peak RSS (MiB), the
 * fastest iteration (bench_trainer.h, shared with bench_gan.c). The
 * trainer's grids and ELBO need a run directory, which a bench has not:
 * only steps are timed, as torch_ref.py times them. Plugins come from the
 * build tree (GL_BENCH_PLUGIN_DIRS) unless GENLAB_PLUGIN_PATH is set.
 */
#include "bench_trainer.h"

#ifndef GL_BENCH_PLUGIN_DIRS
#error "GL_BENCH_PLUGIN_DIRS (the build tree's plugin directories) must be defined"
#endif

static const bt_model models[] = {
    {"vae28",
     {"train.trainer=vae", "vae.encoder=vae-mlp28", "vae.decoder=vae-mlp28", "vae.loss=vae-bce",
      "vae.z_dim=20", "optim.lr=1e-3", NULL},
     1, 28, 30, 2},
    {"vae64",
     {"train.trainer=vae", "vae.encoder=vae-conv64", "vae.decoder=vae-conv64",
      "vae.loss=vae-mse", "vae.output=tanh", "vae.z_dim=100", "optim.lr=2e-4",
      "optim.beta1=0.5", NULL},
     3, 64, 8, 2},
};

int main(int argc, char **argv)
{
    return bt_main("bench_vae", GL_BENCH_PLUGIN_DIRS, models, sizeof models / sizeof *models,
                   argc, argv);
}
