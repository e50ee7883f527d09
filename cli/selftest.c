/* SPDX-License-Identifier: MIT
 *
 * selftest.c — two end-to-end training runs on the engine (see selftest.h).
 * They exercise layers, autograd, the optimizer and the step arena the way
 * a model family does, at a size that runs in seconds.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "selftest.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t fnv1a(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* one model: its context, parameters and optimizer */
typedef struct run {
    genlab_ctx    *ctx;
    genlab_params *params;
    genlab_optim  *optim;
} run;

static genlab_status run_open(run *r, uint64_t seed, int threads)
{
    genlab_ctx_options o = {.seed = seed, .n_threads = threads};
    memset(r, 0, sizeof *r);
    genlab_status st = genlab_ctx_create(&o, &r->ctx);
    return st != GL_OK ? st : genlab_params_create(r->ctx, &r->params);
}

static genlab_status run_ready(run *r, double lr)
{
    genlab_status st = genlab_params_finalize(r->ctx, r->params);
    if (st != GL_OK)
        return st;
    genlab_optim_options o = genlab_optim_defaults(GL_OPTIM_ADAM);
    o.lr = lr;
    return genlab_optim_create(r->ctx, r->params, &o, &r->optim);
}

/* the error of a failed run into err, then free everything */
static genlab_status run_close(run *r, genlab_status st, selftest_result *res, char *err,
                               size_t err_size)
{
    if (st != GL_OK)
        snprintf(err, err_size, "%s", r->ctx ? genlab_ctx_errmsg(r->ctx) : genlab_status_str(st));
    else if (res) {
        res->n_params = genlab_params_numel(r->params);
        res->params_hash = fnv1a(genlab_params_data(r->params),
                                 (size_t)res->n_params * sizeof(float));
    }
    genlab_optim_destroy(r->optim);
    genlab_params_destroy(r->params);
    genlab_ctx_destroy(r->ctx);
    return st;
}

/* backward and one optimizer step on loss */
static genlab_status train_step(run *r, genlab_tensor *loss)
{
    genlab_params_zero_grad(r->params);
    genlab_status st = genlab_backward(r->ctx, loss);
    return st != GL_OK ? st : genlab_optim_step(r->ctx, r->optim);
}

/* ---- XOR ---- */

genlab_status selftest_xor(uint64_t seed, int threads, int max_steps, selftest_result *res,
                           char *err, size_t err_size)
{
    static const float xs[] = {0, 0, 0, 1, 1, 0, 1, 1}, ts[] = {0, 1, 1, 0};
    static const int64_t xshape[] = {4, 2}, tshape[] = {4, 1};
    run r;
    genlab_linear_layer l1, l2;
    memset(res, 0, sizeof *res);
    genlab_status st = run_open(&r, seed, threads);
    if (st == GL_OK)
        st = genlab_linear_layer_init(r.params, &l1, "fc1", 2, 8, true);
    if (st == GL_OK)
        st = genlab_linear_layer_init(r.params, &l2, "fc2", 8, 1, true);
    if (st == GL_OK)
        st = run_ready(&r, 0.02);
    double t0 = now_ms();
    for (int step = 0; st == GL_OK && step <= max_steps; step++) {
        genlab_ctx *ctx = r.ctx;
        genlab_ctx_step_begin(ctx);
        genlab_tensor *x = genlab_tensor_from(ctx, 2, xshape, xs);
        genlab_tensor *t = genlab_tensor_from(ctx, 2, tshape, ts);
        genlab_tensor *h = genlab_tanh(ctx, genlab_linear_layer_forward(ctx, &l1, x));
        genlab_tensor *loss = genlab_mse_loss(ctx, genlab_linear_layer_forward(ctx, &l2, h), t,
                                              GL_REDUCE_MEAN);
        if (!loss) {
            st = genlab_ctx_status(ctx);
            break;
        }
        double l = genlab_tensor_item(loss);
        if (step == 0)
            res->first_loss = l;
        res->final_loss = l;
        res->steps = step;
        if (l < 0.01 || step == max_steps)
            break;
        st = train_step(&r, loss);
    }
    res->ms_per_step = res->steps ? (now_ms() - t0) / res->steps : 0;
    return run_close(&r, st, res, err, err_size);
}

/* ---- a small conv net over-fits one batch ---- */

typedef struct convnet {
    genlab_conv2d_layer       c1, c2;
    genlab_batch_norm2d_layer bn;
    genlab_group_norm_layer   gn;
    genlab_linear_layer       fc;
} convnet;

static genlab_status convnet_build(genlab_params *p, convnet *m)
{
    static const genlab_conv_opts pad1 = {.padding = {1, 1}};
    static const genlab_conv_opts down = {.stride = {2, 2}, .padding = {1, 1}};
    genlab_status st = genlab_conv2d_layer_init(p, &m->c1, "c1", 1, 8, 3, 3, &pad1, false);
    if (st == GL_OK)
        st = genlab_batch_norm2d_layer_init(p, &m->bn, "bn", 8, true);
    if (st == GL_OK)
        st = genlab_conv2d_layer_init(p, &m->c2, "c2", 8, 16, 3, 3, &down, true);
    if (st == GL_OK)
        st = genlab_group_norm_layer_init(p, &m->gn, "gn", 4, 16, true);
    if (st == GL_OK)
        st = genlab_linear_layer_init(p, &m->fc, "fc", 16, 4, true);
    return st;
}

/* (N, 1, 16, 16) -> logits (N, 4) */
static genlab_tensor *convnet_forward(genlab_ctx *ctx, convnet *m, genlab_tensor *x)
{
    genlab_tensor *h = genlab_relu(ctx, genlab_batch_norm2d_layer_forward(
                                            ctx, &m->bn, genlab_conv2d_layer_forward(ctx, &m->c1, x)));
    h = genlab_avg_pool2d(ctx, h, 2, 2, 0);                                   /* (N, 8, 8, 8) */
    h = genlab_conv2d_layer_forward(ctx, &m->c2, h);                          /* (N, 16, 4, 4) */
    h = genlab_leaky_relu(ctx, genlab_group_norm_layer_forward(ctx, &m->gn, h), 0.2f);
    return genlab_linear_layer_forward(ctx, &m->fc, genlab_global_avg_pool(ctx, h));
}

genlab_status selftest_convnet(uint64_t seed, int threads, int steps, selftest_result *res,
                               selftest_progress progress, void *user, char *err,
                               size_t err_size)
{
    enum { N = 32, K = 4 };
    static const int64_t xshape[] = {N, 1, 16, 16}, lshape[] = {N};
    run r;
    convnet m;
    memset(res, 0, sizeof *res);
    genlab_status st = run_open(&r, seed, threads);
    if (st == GL_OK)
        st = convnet_build(r.params, &m);
    if (st == GL_OK)
        st = run_ready(&r, 1e-2);
    /* the batch: persistent, drawn once from the data stream */
    genlab_tensor *x = st == GL_OK ? genlab_tensor_new_persistent(r.ctx, GL_F32, 4, xshape) : NULL;
    genlab_tensor *labels = x ? genlab_tensor_new_persistent(r.ctx, GL_I32, 1, lshape) : NULL;
    if (st == GL_OK && labels) {
        st = genlab_rng_fill(r.ctx, x, GL_STREAM_DATA, 1, 0.0f, 1.0f);
        int32_t *lp = genlab_tensor_data(labels);
        for (int i = 0; i < N; i++)
            lp[i] = i % K;   /* balanced classes; the images are the random part */
    } else if (st == GL_OK) {
        st = genlab_ctx_status(r.ctx);
    }
    double t0 = now_ms();
    for (int step = 0; st == GL_OK && step <= steps; step++) {
        genlab_ctx_step_begin(r.ctx);
        genlab_tensor *loss = genlab_cross_entropy(r.ctx, convnet_forward(r.ctx, &m, x), labels,
                                                   GL_REDUCE_MEAN);
        if (!loss) {
            st = genlab_ctx_status(r.ctx);
            break;
        }
        double l = genlab_tensor_item(loss);
        if (step == 0)
            res->first_loss = l;
        res->final_loss = l;
        res->steps = step;
        if (progress)
            progress(step, steps, l, user);
        if (step == steps)
            break;
        st = train_step(&r, loss);
    }
    res->ms_per_step = res->steps ? (now_ms() - t0) / res->steps : 0;
    genlab_tensor_free(x);
    genlab_tensor_free(labels);
    return run_close(&r, st, res, err, err_size);
}
