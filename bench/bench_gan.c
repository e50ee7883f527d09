/* SPDX-License-Identifier: MIT
 *
 * bench_gan.c — full GAN training iterations with the gan plugin's own
 * trainer, timed the way ../shared/bench/torch_ref.py times PyTorch's: one
 * iteration is the trainer's step() — n_critic D steps and one G step, with
 * optimizer updates — at batch 64 on random images in [-1, 1].
 *
 *   bench_gan [--steps N] [--warmup N] [--threads N] MODEL...
 *
 * MODEL is one of torch_ref.py's names:
 *   dcgan28          dcgan28 G and D, bce              (1x28x28)
 *   mlp28            mlp28, bce                        (1x28x28)
 *   dcgan32          dcgan32 (seed 002), bce           (3x32x32)
 *   dcgan64          dcgan64, bce                      (3x64x64)
 *   lsgan64          dcgan64, lsgan                    (3x64x64)
 *   resnet32_wgangp  resnet32, wgan-gp, n_critic 5     (3x32x32)
 * Prints one TSV line per model: model, ms/iteration (median of the timed
 * iterations, as torch_ref.py), images/s (batch / ms), peak RSS (MiB), the
 * fastest iteration (bench_trainer.h, shared with bench_vae.c). Plugins
 * come from the build tree (GL_BENCH_PLUGIN_DIRS) unless
 * GENLAB_PLUGIN_PATH is set.
 */
#include "bench_trainer.h"

#ifndef GL_BENCH_PLUGIN_DIRS
#error "GL_BENCH_PLUGIN_DIRS (the build tree's plugin directories) must be defined"
#endif

#define GAN(arch, loss, n_critic) \
    {"train.trainer=gan", "gan.generator=" arch, "gan.discriminator=" arch, "gan.loss=" loss, \
     "gan.n_critic=" n_critic, NULL}

static const bt_model models[] = {
    {"dcgan28", GAN("dcgan28", "bce", "1"), 1, 28, 10, 2},
    {"mlp28", GAN("mlp28", "bce", "1"), 1, 28, 20, 2},
    {"dcgan32", GAN("dcgan32", "bce", "1"), 3, 32, 8, 2},
    {"dcgan64", GAN("dcgan64", "bce", "1"), 3, 64, 6, 2},
    {"lsgan64", GAN("dcgan64", "lsgan", "1"), 3, 64, 4, 1},
    {"resnet32_wgangp", GAN("resnet32", "wgan-gp", "5"), 3, 32, 3, 1},
};

int main(int argc, char **argv)
{
    return bt_main("bench_gan", GL_BENCH_PLUGIN_DIRS, models, sizeof models / sizeof *models,
                   argc, argv);
}
