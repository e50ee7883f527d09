/* SPDX-License-Identifier: MIT
 *
 * run_trainer.c — what trainers share (run.h, "for trainers"): binding
 * their components, their losses (refused when they need an input the
 * trainer does not give), the settings of their runs (and when their
 * grids are due), their networks (an arch component built into a
 * parameter block with its optimizer and the run's loss scaler, stepped
 * (a step whose scaled gradients are not finite left out) and
 * checkpointed), and the samples of a run (fixed latents; the check of a
 * generate()'s latents; images along latent interpolations through a
 * trainer's generate(); grids written into the run's directory and
 * recorded as its artifacts). The
 * GAN, VAE and diffusion trainers (plugins/) use them, so each builds,
 * steps and writes alike.
 *
 * Not here: the grids themselves (image_grid.c), the run loop (run.c).
 *
 * Sections: components and networks, samples.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "genlab/nn.h"
#include "genlab/ops.h"
#include "genlab/optim.h"
#include "genlab/rng.h"
#include "genlab/run.h"

/* ---- components and networks ---- */

genlab_status genlab_trainer_component(const genlab_host *host, const genlab_config *cfg,
                                       const char *ref, genlab_component_kind kind,
                                       const char *who, const genlab_component **c,
                                       const genlab_config **scope)
{
    genlab_status st = genlab_config_component(cfg, ref, kind, c, scope);
    if (st != GL_OK)
        return genlab_errorf(host->ctx, st, "%s: %s: %s", who, ref, genlab_config_errmsg(cfg));
    return GL_OK;
}

genlab_status genlab_trainer_run_read(const genlab_host *host, const genlab_config *cfg,
                                      genlab_trainer_run *r, genlab_optim_options *opt,
                                      genlab_lr_schedule *sched)
{
    r->sample_every = genlab_config_int(cfg, "sample_every");
    r->sample_n = genlab_config_int(cfg, "sample_n");
    r->steps = genlab_config_int(host->config, "train.steps");
    return genlab_run_optim(host->ctx, host->config, opt, sched);
}

bool genlab_trainer_sample_due(const genlab_host *host, const genlab_trainer_run *r,
                               int64_t done)
{
    if (!GL_IFACE_GET(host, genlab_host, run_dir))
        return false;
    return done == r->steps || (r->sample_every && done % r->sample_every == 0);
}

genlab_status genlab_trainer_loss_create(const genlab_host *host, const genlab_config *cfg,
                                         const char *ref, const char *const *provided,
                                         const char *who, genlab_trainer_loss *l)
{
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = genlab_trainer_component(host, cfg, ref, GL_KIND_LOSS, who, &c, &scope);
    if (st != GL_OK)
        return st;
    l->iface = c->iface;
    l->name = c->name;
    const char *missing = genlab_loss_missing_input(l->iface, provided);
    if (missing) {
        char gives[256] = "";
        size_t used = 0;
        for (int i = 0; provided[i] && used < sizeof gives; i++)
            used += (size_t)snprintf(gives + used, sizeof gives - used, "%s%s", i ? ", " : "",
                                     provided[i]);
        return genlab_errorf(host->ctx, GL_ERR_INVALID, "%s: loss \"%s\" needs input \"%s\", "
                             "which this trainer does not provide (it gives %s)", who, c->name,
                             missing, gives);
    }
    return l->iface->create ? l->iface->create(host, scope, &l->state) : GL_OK;
}

void genlab_trainer_loss_destroy(genlab_trainer_loss *l)
{
    if (!l)
        return;
    if (l->iface && l->iface->destroy)
        l->iface->destroy(l->state);
    *l = (genlab_trainer_loss){0};
}

genlab_status genlab_net_create(const genlab_host *host, const genlab_config *cfg,
                                const char *ref, const genlab_arch_spec *spec,
                                const genlab_optim_options *opt, const genlab_lr_schedule *sched,
                                double lr, const char *who, genlab_net *n)
{
    genlab_ctx *ctx = host->ctx;
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = genlab_trainer_component(host, cfg, ref, GL_KIND_ARCH, who, &c, &scope);
    if (st != GL_OK)
        return st;
    n->arch = c->iface;
    if ((st = genlab_params_create(ctx, &n->params)) != GL_OK)
        return st;
    if ((st = n->arch->build(host, scope, spec, n->params, &n->state)) != GL_OK) {
        n->state = NULL;
        return st;
    }
    if ((st = genlab_params_finalize(ctx, n->params)) != GL_OK)
        return st;
    genlab_optim_options o = *opt;
    n->lr = *sched;
    if (lr > 0)
        o.lr = n->lr.base_lr = lr;
    n->scaler = GL_IFACE_GET(host, genlab_host, loss_scaler);
    return genlab_optim_create(ctx, n->params, &o, &n->optim);
}

void genlab_net_destroy(genlab_net *n)
{
    if (!n)
        return;
    if (n->state)
        n->arch->destroy(n->state);
    genlab_optim_destroy(n->optim);
    genlab_params_destroy(n->params);
    *n = (genlab_net){0};
}

genlab_tensor *genlab_net_scale_loss(genlab_ctx *ctx, const genlab_net *n, genlab_tensor *loss)
{
    return genlab_loss_scaler_apply(ctx, n->scaler, loss);
}

genlab_status genlab_net_unscale(genlab_ctx *ctx, genlab_net *n, bool *finite)
{
    if (!n->unscaled) {
        genlab_status st = genlab_loss_scaler_unscale(ctx, n->scaler, n->params, &n->finite);
        if (st != GL_OK)
            return st;
        n->unscaled = true;
    }
    if (finite)
        *finite = n->finite;
    return GL_OK;
}

genlab_status genlab_net_step(genlab_ctx *ctx, genlab_net *n, int64_t step)
{
    bool finite;
    genlab_status st = genlab_net_unscale(ctx, n, &finite);
    n->unscaled = false;   /* the next backward's gradients are scaled again */
    if (st == GL_OK)
        st = genlab_optim_set_lr(ctx, n->optim, genlab_lr_at(&n->lr, step));
    return st == GL_OK && finite ? genlab_optim_step(ctx, n->optim) : st;
}

genlab_status genlab_net_visit(genlab_net *n, const char *prefix, genlab_visit_fn fn, void *user)
{
    char optim[GL_PARAM_NAME_MAX];
    snprintf(optim, sizeof optim, "%s.optim", prefix);
    genlab_status st = genlab_params_visit(n->params, prefix, fn, user);
    return st == GL_OK ? genlab_optim_visit(n->optim, optim, fn, user) : st;
}

/* ---- samples ---- */

genlab_tensor *genlab_fixed_latents(genlab_ctx *ctx, int64_t n, int64_t z_dim)
{
    genlab_tensor *z = genlab_tensor_new_persistent(ctx, GL_F32, 2, (const int64_t[]){n, z_dim});
    if (z && genlab_rng_fill(ctx, z, GL_STREAM_EVAL, 1, 0.0f, 1.0f) != GL_OK) {
        genlab_tensor_free(z);
        return NULL;
    }
    return z;
}

bool genlab_latents_ok(genlab_ctx *ctx, const char *who, const genlab_tensor *z, int64_t z_dim)
{
    if (!z || genlab_ctx_status(ctx) != GL_OK)
        return false;
    if (genlab_tensor_ndim(z) == 2 && genlab_tensor_dim(z, 1) == z_dim &&
        genlab_tensor_dtype(z) == GL_F32)
        return true;
    char s[96];   /* a 5-axis shape in text */
    genlab_errorf(ctx, GL_ERR_SHAPE, "%s: generate: z is %s, needs (N, %lld) float32", who,
                  genlab_tensor_shape_str(z, s, sizeof s), (long long)z_dim);
    return false;
}

genlab_tensor *genlab_interpolate(genlab_ctx *ctx, genlab_generate_fn generate, void *state,
                                  genlab_tensor *a, genlab_tensor *b, int64_t steps)
{
    if (!generate) {
        genlab_errorf(ctx, GL_ERR_INVALID, "genlab_interpolate: no generate function");
        return NULL;
    }
    if (!a || !b)
        return NULL;
    if (genlab_tensor_ndim(a) != 2) {
        char s[96];
        genlab_errorf(ctx, GL_ERR_SHAPE, "genlab_interpolate: latents %s, want (k, D)",
                      genlab_tensor_shape_str(a, s, sizeof s));
        return NULL;
    }
    genlab_tensor *path = genlab_lerp_steps(ctx, a, b, steps);
    if (!path)
        return NULL;
    int64_t k = genlab_tensor_dim(a, 0), d = genlab_tensor_dim(a, 1);
    genlab_tensor *x =
        generate(ctx, state, genlab_reshape(ctx, path, 2, (const int64_t[]){steps * k, d}), NULL);
    if (!x)
        return NULL;
    if (genlab_tensor_ndim(x) != 4 || genlab_tensor_dim(x, 0) != steps * k) {
        char s[96];
        genlab_errorf(ctx, GL_ERR_SHAPE, "genlab_interpolate: generate gave %s for %lld latents, "
                      "want (%lld, C, H, W)", genlab_tensor_shape_str(x, s, sizeof s),
                      (long long)(steps * k), (long long)(steps * k));
        return NULL;
    }
    return genlab_reshape(ctx, x, 5,
                          (const int64_t[]){steps, k, genlab_tensor_dim(x, 1),
                                            genlab_tensor_dim(x, 2), genlab_tensor_dim(x, 3)});
}

genlab_status genlab_run_save_grid(genlab_ctx *ctx, const genlab_host *host, const char *who,
                                   const char *kind, const char *file, int64_t step,
                                   const genlab_tensor *x, const genlab_grid_options *opt)
{
    const char *dir = GL_IFACE_GET(host, genlab_host, run_dir);
    if (!dir)
        return GL_OK;
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/samples", dir);
    if (n < 0 || n >= (int)sizeof path)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: the path %s/samples is too long", who,
                             dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return genlab_errorf(ctx, GL_ERR_IO, "%s: cannot create %s: %s", who, path,
                             strerror(errno));
    n = snprintf(path, sizeof path, "%s/samples/%s-%08lld.png", dir, file, (long long)step);
    if (n < 0 || n >= (int)sizeof path)
        return genlab_errorf(ctx, GL_ERR_INVALID, "%s: the path %s/samples is too long", who,
                             dir);
    genlab_status st = genlab_save_grid(ctx, path, x, opt);
    genlab_status (*artifact)(const genlab_host *, const char *, const char *) =
        GL_IFACE_GET(host, genlab_host, artifact);
    return st == GL_OK && artifact ? artifact(host, kind, path) : st;
}
