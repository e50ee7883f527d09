/* SPDX-License-Identifier: MIT
 *
 * fit_plugin.c — a test plugin with one trainer, "fit": a linear classifier
 * trained with Adam and an EMA, its inputs noised from the context's
 * random stream. It is small, but it has every kind of state a resumed run
 * must restore, and a visit() that presents it (genlab_params_visit,
 * genlab_optim_visit, genlab_ema_visit): tests/test_run.c checks that a run
 * resumed from its checkpoint matches the uninterrupted run bit for bit.
 * (The mock plugin keeps one component per kind, without checkpoints.)
 */
#include <stdlib.h>

#include "genlab/genlab.h"

typedef struct fit {
    genlab_params      *p;
    genlab_linear_layer fc;
    genlab_optim       *opt;
    genlab_ema         *ema;
    int64_t             per;
} fit;

static void fit_destroy(void *state)
{
    fit *f = state;
    if (!f)
        return;
    genlab_ema_destroy(f->ema);
    genlab_optim_destroy(f->opt);
    genlab_params_destroy(f->p);
    free(f);
}

static genlab_status fit_create(const genlab_host *host, const genlab_config *cfg,
                                const genlab_data_spec *data, void **state)
{
    (void)cfg;
    fit *f = calloc(1, sizeof *f);
    if (!f)
        return GL_ERR_NOMEM;
    f->per = (int64_t)data->channels * data->height * data->width;
    genlab_optim_options o;
    genlab_status st = genlab_run_optim(host->ctx, host->config, &o, NULL);
    if (st == GL_OK)
        st = genlab_params_create(host->ctx, &f->p);
    if (st == GL_OK)
        st = genlab_linear_layer_init(f->p, &f->fc, "fc", (int)f->per,
                                      data->n_classes > 1 ? data->n_classes : 2, true);
    if (st == GL_OK)
        st = genlab_params_finalize(host->ctx, f->p);
    if (st == GL_OK)
        st = genlab_optim_create(host->ctx, f->p, &o, &f->opt);
    if (st == GL_OK)
        st = genlab_ema_create(host->ctx, f->p, 0.9, &f->ema);
    if (st != GL_OK) {
        fit_destroy(f);
        return st;
    }
    *state = f;
    return GL_OK;
}

static genlab_status fit_step(genlab_ctx *ctx, void *state, int64_t step,
                              const genlab_batch_source *data, genlab_step_metrics *out)
{
    (void)step;
    fit *f = state;
    genlab_batch b;
    genlab_status st = data->next(ctx, data->context, &b);
    if (st != GL_OK)
        return st;
    int64_t n = genlab_tensor_dim(b.x, 0);
    genlab_tensor *x = genlab_reshape(ctx, b.x, 2, (const int64_t[]){n, f->per});
    x = genlab_add(ctx, x, genlab_scale(ctx, genlab_randn(ctx, 2, (const int64_t[]){n, f->per}),
                                        0.1f));
    genlab_tensor *loss = genlab_cross_entropy(ctx, genlab_linear_layer_forward(ctx, &f->fc, x),
                                               b.y, GL_REDUCE_MEAN);
    genlab_params_zero_grad(f->p);
    if ((st = genlab_backward(ctx, loss)) != GL_OK || (st = genlab_optim_step(ctx, f->opt)) != GL_OK ||
        (st = genlab_ema_update(ctx, f->ema)) != GL_OK)
        return st;
    genlab_step_metric(out, "loss", genlab_tensor_item(loss));
    genlab_step_metric(out, "w0", genlab_params_data(f->p)[0]);
    return GL_OK;
}

static genlab_tensor *fit_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y)
{
    (void)state, (void)y;
    return genlab_randn(ctx, 4, (const int64_t[]){n, 1, 1, 1});
}

static genlab_status fit_visit(void *state, genlab_visit_fn fn, void *user)
{
    fit *f = state;
    genlab_status st = genlab_params_visit(f->p, "model", fn, user);
    if (st == GL_OK)
        st = genlab_optim_visit(f->opt, "model.optim", fn, user);
    return st == GL_OK ? genlab_ema_visit(f->ema, "model.ema", fn, user) : st;
}

static const genlab_trainer_i fit_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_trainer_i),
    .create = fit_create, .destroy = fit_destroy, .step = fit_step, .sample = fit_sample,
    .visit = fit_visit,
};

static const genlab_component fit_comp = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_TRAINER, .name = "fit", .doc = "a linear classifier with Adam and EMA",
    .iface = &fit_iface,
};

static const genlab_component *const components[] = {&fit_comp, NULL};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "fit", .version = "1.0.0", .components = components,
};

GENLAB_PLUGIN(module)
