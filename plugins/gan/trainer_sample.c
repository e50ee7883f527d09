/* SPDX-License-Identifier: MIT
 *
 * trainer_sample.c — the sampling side of the GAN trainer: images from
 * given latents (the trainer's generate()), from fresh ones (sample()), and
 * the files a run leaves in <run_dir>/samples/: a grid of G(fixed noise)
 * every sample_every steps and after the last, and after the last a strip
 * of linear interpolations between pairs of the fixed latents (seed 001:
 * ten frames, both ends included).
 *
 * Sampling changes nothing a resumed run depends on: it draws no random
 * numbers (the fixed noise is a tensor of the trainer's), runs G in eval
 * mode (no BatchNorm statistics updated) without recording, and swaps the
 * EMA weights in and out exactly (a swap of floats).
 *
 * It is not the training step (trainer.c).
 *
 * Sections: generation, files of a run.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "trainer.h"

/* ---- generation ---- */

int64_t gan_latent_dim(void *state) { return ((const gan_trainer *)state)->z_dim; }

genlab_tensor *gan_generate(genlab_ctx *ctx, void *state, genlab_tensor *z, genlab_tensor *y)
{
    (void)y;
    gan_trainer *t = state;
    if (!z || genlab_ctx_status(ctx) != GL_OK)
        return NULL;
    if (genlab_tensor_ndim(z) != 2 || genlab_tensor_dim(z, 1) != t->z_dim ||
        genlab_tensor_dtype(z) != GL_F32) {
        char s[96];   /* a 5-axis shape in text */
        genlab_errorf(ctx, GL_ERR_SHAPE, "trainer gan: generate: z is %s, needs (N, %lld) "
                      "float32", genlab_tensor_shape_str(z, s, sizeof s), (long long)t->z_dim);
        return NULL;
    }
    bool grad = genlab_set_grad_enabled(ctx, false);
    if (t->ema)
        genlab_ema_swap(ctx, t->ema);
    genlab_params_set_training(t->g.params, false);
    genlab_tensor *x = t->g.arch->forward(ctx, t->g.state, z, NULL, NULL, false);
    genlab_params_set_training(t->g.params, true);
    if (t->ema)
        genlab_ema_swap(ctx, t->ema);
    genlab_set_grad_enabled(ctx, grad);
    return x;
}

genlab_tensor *gan_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y)
{
    const gan_trainer *t = state;
    return gan_generate(ctx, state, genlab_randn(ctx, 2, (const int64_t[]){n, t->z_dim}), y);
}

/* ---- files of a run ---- */

/* The strip: STRIP_ROWS pairs of fixed latents (fewer when sample_n is
 * small), STRIP_STEPS frames each. */
#define STRIP_ROWS  8
#define STRIP_STEPS 10

/* save — x as a grid (4-D) or strips (5-D) at <dir>/samples/<kind>-<done>.png,
 * recorded as an artifact of that kind */
static genlab_status save(genlab_ctx *ctx, const gan_trainer *t, const char *dir, const char *kind,
                          const char *file, int64_t done, genlab_tensor *x)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/samples", dir);
    if (n < 0 || n >= (int)sizeof path)
        return genlab_errorf(ctx, GL_ERR_INVALID, "trainer gan: the path %s/samples is too long",
                             dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return genlab_errorf(ctx, GL_ERR_IO, "trainer gan: cannot create %s: %s", path,
                             strerror(errno));
    n = snprintf(path, sizeof path, "%s/samples/%s-%08lld.png", dir, file, (long long)done);
    if (n < 0 || n >= (int)sizeof path)
        return genlab_errorf(ctx, GL_ERR_INVALID, "trainer gan: the path %s/samples is too long",
                             dir);
    genlab_status st = genlab_save_grid(ctx, path, x, NULL);
    genlab_status (*artifact)(const genlab_host *, const char *, const char *) =
        GL_IFACE_GET(t->host, genlab_host, artifact);
    return st == GL_OK && artifact ? artifact(t->host, kind, path) : st;
}

/* strip — G along the segments from fixed latent i to fixed latent k + i
 * (i < k), as (STRIP_STEPS, k, C, H, W) frames */
static genlab_tensor *strip(genlab_ctx *ctx, gan_trainer *t, int64_t k)
{
    genlab_tensor *path = genlab_lerp_steps(ctx, genlab_slice(ctx, t->eval_z, 0, 0, k),
                                            genlab_slice(ctx, t->eval_z, 0, k, k), STRIP_STEPS);
    genlab_tensor *x = gan_generate(
        ctx, t, genlab_reshape(ctx, path, 2, (const int64_t[]){STRIP_STEPS * k, t->z_dim}), NULL);
    const genlab_data_spec *d = &t->data;
    return genlab_reshape(ctx, x, 5,
                          (const int64_t[]){STRIP_STEPS, k, d->channels, d->height, d->width});
}

genlab_status gan_samples_after(genlab_ctx *ctx, gan_trainer *t, int64_t done)
{
    const char *dir = GL_IFACE_GET(t->host, genlab_host, run_dir);
    bool last = done == t->steps;
    if (!dir || !(last || (t->sample_every && done % t->sample_every == 0)))
        return GL_OK;
    genlab_status st =
        save(ctx, t, dir, "grid", "step", done, gan_generate(ctx, t, t->eval_z, NULL));
    int64_t k = t->sample_n / 2 < STRIP_ROWS ? t->sample_n / 2 : STRIP_ROWS;
    if (st == GL_OK && last && k > 0)
        st = save(ctx, t, dir, "strip", "interp", done, strip(ctx, t, k));
    return st;
}
