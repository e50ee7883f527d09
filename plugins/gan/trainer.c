/* SPDX-License-Identifier: MIT
 *
 * trainer.c — the GAN trainer "gan": a generator and a discriminator (two
 * arch components, each in a parameter block of its own with its own Adam),
 * an adversarial loss component, n_critic discriminator updates per
 * generator update, an optional EMA of the generator for sampling, and a
 * fixed evaluation noise for sample grids. One step:
 *
 *     n_critic times: a real batch; z ~ N(0, 1); x_fake = G(z);
 *                     D loss(D(x_real), D(x_fake detached)) -> Adam on D
 *     once:           G loss(D(x_fake)) -> Adam on G; EMA update
 *
 * It reports d_loss and g_loss, d_real and d_fake (the critic's mean raw
 * output on real and generated images: logits for bce), lr (G's), lr_d,
 * and the loss's own scalars (last_metrics: WGAN-GP's gp) of the last
 * critic update.
 *
 * The generator's step reuses the last critic step's x_fake (its forward
 * is kept on the tape; the earlier critic steps run G without recording),
 * as pytorch/examples DCGAN does: one generator forward fewer per step,
 * and with n_critic = 1 exactly torch_ref.py's iteration.
 *
 * Learning rates follow the core's optim.* keys (genlab_run_optim):
 * optim.schedule, warm-up and final_lr apply to both networks, each from
 * its own base rate (lr_g / lr_d, 0 meaning optim.lr) — seed 002's linear
 * decay is optim.schedule=linear. Real-image augmentation (a random
 * horizontal flip) belongs to the dataset (dataset.flip), not here.
 *
 * It is not the sampling side (trainer_sample.c), nor an architecture or a
 * loss (their own components and files).
 *
 * Sections: parameters, networks, create and destroy, the step,
 * checkpoints, the component.
 */
#include <stdlib.h>

#include "trainer.h"

/* ---- parameters ---- */

static const genlab_param_def params[] = {
    {.name = "generator", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = "dcgan28",
     .help = "the generator's architecture (its parameters under generator.*)"},
    {.name = "discriminator", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH,
     .def = "dcgan28",
     .help = "the discriminator's architecture (its parameters under discriminator.*)"},
    {.name = "loss", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_LOSS, .def = "bce",
     .help = "the adversarial loss (its parameters under loss.*)"},
    {.name = "z_dim", .type = GL_PARAM_INT, .def = "100", .min = "1", .max = "65536",
     .help = "latent size (z ~ N(0, 1))"},
    {.name = "n_critic", .type = GL_PARAM_INT, .def = "1", .min = "1", .max = "100",
     .help = "discriminator updates (batches) per generator update (WGAN-GP: 5)"},
    {.name = "lr_g", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "10",
     .help = "the generator's learning rate (0: optim.lr)"},
    {.name = "lr_d", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "10",
     .help = "the discriminator's learning rate (0: optim.lr)"},
    {.name = "ema", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "1",
     .help = "decay of the generator's moving average, used for sampling (0: off; 0.999)"},
    {.name = "sample_every", .type = GL_PARAM_INT, .def = "1000", .min = "0",
     .max = "1000000000000",
     .help = "steps between fixed-noise sample grids (0: only after the last step)"},
    {.name = "sample_n", .type = GL_PARAM_INT, .def = "64", .min = "1", .max = "4096",
     .help = "images in a sample grid (the fixed noise's size)"},
};

/* ---- networks ---- */

/* net_update — backward from loss (times the run's loss scale) into n's
 * gradients (zeroed first by the caller, before its forward) and one
 * optimizer step at step's rate (left out when the scaled gradients
 * overflowed) */
static genlab_status net_update(genlab_ctx *ctx, genlab_net *n, genlab_tensor *loss, int64_t step)
{
    genlab_status st = genlab_backward(ctx, genlab_net_scale_loss(ctx, n, loss));
    return st == GL_OK ? genlab_net_step(ctx, n, step) : st;
}

/* ---- create and destroy ---- */

/* what the trainer gives its loss (genlab_trainer_loss_create) */
static const char *const loss_inputs[] = {"d_real", "d_fake", "x_real", "x_fake", NULL};

static void gan_destroy(void *state)
{
    gan_trainer *t = state;
    if (!t)
        return;
    genlab_tensor_free(t->eval_z);
    genlab_ema_destroy(t->ema);
    genlab_trainer_loss_destroy(&t->loss);
    genlab_net_destroy(&t->d);
    genlab_net_destroy(&t->g);
    free(t);
}

static genlab_status gan_create(const genlab_host *host, const genlab_config *cfg,
                                const genlab_data_spec *data, void **state)
{
    gan_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return genlab_errorf(host->ctx, GL_ERR_NOMEM, "trainer gan: out of memory");
    genlab_ctx *ctx = host->ctx;
    t->host = host;
    t->data = *data;
    t->z_dim = genlab_config_int(cfg, "z_dim");
    t->n_critic = genlab_config_int(cfg, "n_critic");
    double ema = genlab_config_float(cfg, "ema");
    genlab_optim_options opt;
    genlab_lr_schedule sched;
    genlab_status st = genlab_trainer_run_read(host, cfg, &t->run, &opt, &sched);
    /* networks in a fixed order: G's initial weights, then D's, from the
     * context's init stream */
    const genlab_arch_sizes sizes = {t->z_dim, data->channels, data->height, data->width};
    genlab_arch_spec gs, ds;
    genlab_arch_image_spec(GL_ROLE_GENERATOR, &sizes, &gs);
    genlab_arch_image_spec(GL_ROLE_DISCRIMINATOR, &sizes, &ds);
    if (st == GL_OK)
        st = genlab_net_create(host, cfg, "generator", &gs, &opt, &sched,
                               genlab_config_float(cfg, "lr_g"), "trainer gan", &t->g);
    if (st == GL_OK)
        st = genlab_net_create(host, cfg, "discriminator", &ds, &opt, &sched,
                               genlab_config_float(cfg, "lr_d"), "trainer gan", &t->d);
    if (st == GL_OK)
        st = genlab_trainer_loss_create(host, cfg, "loss", loss_inputs, "trainer gan", &t->loss);
    if (st == GL_OK && ema > 0)
        st = genlab_ema_create(ctx, t->g.params, ema, &t->ema);
    /* the fixed noise of the grids, checkpointed */
    if (st == GL_OK && !(t->eval_z = genlab_fixed_latents(ctx, t->run.sample_n, t->z_dim)))
        st = genlab_ctx_status(ctx);
    if (st != GL_OK) {
        gan_destroy(t);
        return st;
    }
    host->log(host, GL_LOG_INFO, "trainer gan: G %lld parameters, D %lld, n_critic %lld%s",
              (long long)genlab_params_numel(t->g.params),
              (long long)genlab_params_numel(t->d.params), (long long)t->n_critic,
              t->ema ? ", EMA of G" : "");
    *state = t;
    return GL_OK;
}

/* ---- the step ---- */

/* critic — D on the tape, in training mode (also the loss's critic()) */
static genlab_tensor *critic(genlab_ctx *ctx, void *critic_ctx, genlab_tensor *x)
{
    const gan_trainer *t = critic_ctx;
    return t->d.arch->forward(ctx, t->d.state, x, NULL, NULL, true);
}

/* What the critic's last update reports besides the generator's loss. */
typedef struct step_vals {
    double              d_loss, d_real, d_fake;
    genlab_step_metrics loss;      /* the loss's own scalars (WGAN-GP's "gp") */
} step_vals;

static double mean_of(genlab_ctx *ctx, genlab_tensor *x)
{
    return genlab_tensor_item(genlab_mean_all(ctx, genlab_detach(ctx, x)));
}

/* d_step — one discriminator update on the next batch. keep_fake: G's
 * forward is recorded and *x_fake kept for the generator's step; else G
 * runs without recording. */
static genlab_status d_step(genlab_ctx *ctx, gan_trainer *t, int64_t step,
                            const genlab_batch_source *data, bool keep_fake,
                            genlab_tensor **x_fake, step_vals *v)
{
    genlab_batch b;
    genlab_status st = data->next(ctx, data->context, &b);
    if (st != GL_OK)
        return st;
    int64_t n = genlab_tensor_dim(b.x, 0);
    genlab_tensor *z = genlab_randn(ctx, 2, (const int64_t[]){n, t->z_dim});
    bool grad = genlab_set_grad_enabled(ctx, keep_fake && genlab_grad_enabled(ctx));
    genlab_tensor *fake = t->g.arch->forward(ctx, t->g.state, z, NULL, NULL, true);
    genlab_set_grad_enabled(ctx, grad);
    /* what follows is the D update alone: its tensors and tape go when it
     * is done, and G's step reuses their memory */
    genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
    genlab_tensor *fake_d = genlab_detach(ctx, fake);
    genlab_params_zero_grad(t->d.params);
    genlab_tensor *d_real = critic(ctx, t, b.x), *d_fake = critic(ctx, t, fake_d);
    const genlab_named_tensor in[] = {
        {"d_real", d_real}, {"d_fake", d_fake}, {"x_real", b.x}, {"x_fake", fake_d}};
    const genlab_loss_args args = {GL_OBJ_DISCRIMINATOR, 4, in, critic, t};
    genlab_tensor *loss = d_real && d_fake ? t->loss.iface->compute(ctx, t->loss.state, &args) : NULL;
    if (loss) {
        *v = (step_vals){.d_loss = genlab_tensor_item(loss), .d_real = mean_of(ctx, d_real),
                         .d_fake = mean_of(ctx, d_fake)};
        void (*last_metrics)(void *, genlab_step_metrics *) =
            GL_IFACE_GET(t->loss.iface, genlab_loss_i, last_metrics);
        if (last_metrics)
            last_metrics(t->loss.state, &v->loss);
        st = net_update(ctx, &t->d, loss, step);
    }
    genlab_ctx_rewind(ctx, &mark);
    *x_fake = fake;
    return st != GL_OK ? st : genlab_ctx_status(ctx);
}

static genlab_status gan_step(genlab_ctx *ctx, void *state, int64_t step,
                              const genlab_batch_source *data, genlab_step_metrics *out)
{
    gan_trainer *t = state;
    genlab_tensor *x_fake = NULL;
    step_vals v = {0};
    genlab_status st = GL_OK;
    /* the critic steps before the last keep nothing: each one's tensors
     * and tape go, so n_critic steps need the memory of one */
    for (int64_t k = 0; st == GL_OK && k < t->n_critic - 1; k++) {
        genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
        st = d_step(ctx, t, step, data, false, &x_fake, &v);
        genlab_ctx_rewind(ctx, &mark);
    }
    if (st == GL_OK)
        st = d_step(ctx, t, step, data, true, &x_fake, &v);
    if (st != GL_OK)
        return st;

    genlab_params_zero_grad(t->g.params);
    const genlab_named_tensor in[] = {{"d_fake", critic(ctx, t, x_fake)}, {"x_fake", x_fake}};
    const genlab_loss_args args = {GL_OBJ_GENERATOR, 2, in, critic, t};
    genlab_tensor *g_loss = in[0].t ? t->loss.iface->compute(ctx, t->loss.state, &args) : NULL;
    if (!g_loss)
        return genlab_ctx_status(ctx);
    if ((st = net_update(ctx, &t->g, g_loss, step)) != GL_OK)
        return st;
    if (t->ema && (st = genlab_ema_update(ctx, t->ema)) != GL_OK)
        return st;

    genlab_step_metric(out, "d_loss", v.d_loss);
    genlab_step_metric(out, "g_loss", genlab_tensor_item(g_loss));
    genlab_step_metric(out, "d_real", v.d_real);
    genlab_step_metric(out, "d_fake", v.d_fake);
    genlab_step_metric(out, "lr", genlab_optim_lr(t->g.optim));
    genlab_step_metric(out, "lr_d", genlab_optim_lr(t->d.optim));
    for (int i = 0; i < v.loss.n; i++)
        genlab_step_metric(out, v.loss.name[i], v.loss.value[i]);
    return gan_samples_after(ctx, t, step + 1);
}

/* ---- checkpoints ---- */

/* Names: G.params.*, G.buffers.*, G.optim.*, G.ema.* (with an EMA),
 * D.params.*, D.buffers.*, D.optim.*, and eval.z, the fixed noise. */
static genlab_status gan_visit(void *state, genlab_visit_fn fn, void *user)
{
    gan_trainer *t = state;
    genlab_status st = genlab_net_visit(&t->g, "G", fn, user);
    if (st == GL_OK && t->ema)
        st = genlab_ema_visit(t->ema, "G.ema", fn, user);
    if (st == GL_OK)
        st = genlab_net_visit(&t->d, "D", fn, user);
    return st == GL_OK ? fn(user, "eval.z", t->eval_z) : st;
}

/* ---- the component ---- */

static const genlab_trainer_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_trainer_i),
    .create = gan_create, .destroy = gan_destroy, .step = gan_step, .sample = gan_sample,
    .visit = gan_visit, .latent_dim = gan_latent_dim, .generate = gan_generate,
};

const genlab_component gl_gan_trainer = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_TRAINER, .name = "gan",
    .doc = "a GAN: generator and discriminator archs, a loss, n_critic, EMA, sample grids",
    GL_PARAMS(params), .iface = &iface,
};
