/* SPDX-License-Identifier: MIT
 *
 * selftest.c — end-to-end training runs on the engine (see selftest.h):
 * XOR, a conv net over-fitting one batch, and the same conv net learning
 * Fashion-MNIST through the idx dataset plugin. They exercise layers,
 * autograd, the optimizer, the step arena and the data path the way a model
 * family does, at a size that runs in seconds.
 *
 * Sections: runs, XOR, conv net, Fashion-MNIST.
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

/* ---- runs ---- */

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

/* ---- conv net: over-fits one batch ---- */

typedef struct convnet {
    genlab_conv2d_layer       c1, c2;
    genlab_batch_norm2d_layer bn;
    genlab_group_norm_layer   gn;
    genlab_linear_layer       fc;
    bool                      flat;   /* head on all features, not their global mean */
} convnet;

/* convnet_build — width w: w and 2w channels; k classes. hw: 0 for a head
 * on the globally pooled features, else the input's height x width for a
 * head on all of them (a stronger classifier) */
static genlab_status convnet_build(genlab_params *p, convnet *m, int w, int k, int hw)
{
    m->flat = hw > 0;
    static const genlab_conv_opts pad1 = {.padding = {1, 1}};
    static const genlab_conv_opts down = {.stride = {2, 2}, .padding = {1, 1}};
    genlab_status st = genlab_conv2d_layer_init(p, &m->c1, "c1", 1, w, 3, 3, &pad1, false);
    if (st == GL_OK)
        st = genlab_batch_norm2d_layer_init(p, &m->bn, "bn", w, true);
    if (st == GL_OK)
        st = genlab_conv2d_layer_init(p, &m->c2, "c2", w, 2 * w, 3, 3, &down, true);
    if (st == GL_OK)
        st = genlab_group_norm_layer_init(p, &m->gn, "gn", 4, 2 * w, true);
    if (st == GL_OK)
        st = genlab_linear_layer_init(p, &m->fc, "fc", m->flat ? 2 * w * hw / 16 : 2 * w, k, true);
    return st;
}

/* (N, 1, H, W) -> logits (N, k); H and W even */
static genlab_tensor *convnet_forward(genlab_ctx *ctx, convnet *m, genlab_tensor *x)
{
    genlab_tensor *h = genlab_relu(ctx, genlab_batch_norm2d_layer_forward(
                                            ctx, &m->bn, genlab_conv2d_layer_forward(ctx, &m->c1, x)));
    h = genlab_avg_pool2d(ctx, h, 2, 2, 0);                                 /* (N, w, H/2, W/2) */
    h = genlab_conv2d_layer_forward(ctx, &m->c2, h);                        /* (N, 2w, H/4, W/4) */
    h = genlab_leaky_relu(ctx, genlab_group_norm_layer_forward(ctx, &m->gn, h), 0.2f);
    h = m->flat ? genlab_reshape(ctx, h, 2, (const int64_t[]){genlab_tensor_dim(x, 0), -1})
                : genlab_global_avg_pool(ctx, h);
    return genlab_linear_layer_forward(ctx, &m->fc, h);
}

/* convnet_loss — the cross-entropy of m on (x, labels), noted in res as
 * its first (step 0) and latest loss; NULL with the error on ctx */
static genlab_tensor *convnet_loss(genlab_ctx *ctx, convnet *m, genlab_tensor *x,
                                   genlab_tensor *labels, selftest_result *res, int step)
{
    genlab_tensor *loss = genlab_cross_entropy(ctx, convnet_forward(ctx, m, x), labels,
                                               GL_REDUCE_MEAN);
    if (loss) {
        res->final_loss = genlab_tensor_item(loss);
        if (step == 0)
            res->first_loss = res->final_loss;
    }
    return loss;
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
        st = convnet_build(r.params, &m, 8, K, 0);
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
        genlab_tensor *loss = convnet_loss(r.ctx, &m, x, labels, res, step);
        if (!loss) {
            st = genlab_ctx_status(r.ctx);
            break;
        }
        res->steps = step;
        if (progress)
            progress(step, steps, res->final_loss, user);
        if (step == steps)
            break;
        st = train_step(&r, loss);
    }
    res->ms_per_step = res->steps ? (now_ms() - t0) / res->steps : 0;
    genlab_tensor_free(x);
    genlab_tensor_free(labels);
    return run_close(&r, st, res, err, err_size);
}

/* ---- Fashion-MNIST: the conv net learns the default dataset ---- */

/* The dataset: a component parameter, so the idx plugin's own defaults
 * (Debian's Fashion-MNIST) apply and its checks run as in a training run. */
static const genlab_param_def fashion_params[] = {
    {.name = "dataset", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_DATASET, .def = "idx",
     .help = "the data the self-test learns"},
};

/* one split of the dataset, open */
typedef struct split {
    const genlab_dataset_i *ds;
    void                   *state;
    genlab_data_spec        spec;
} split;

static genlab_status open_split(const genlab_host *host, const genlab_config *cfg,
                                const char *name, split *sp)
{
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = genlab_config_component(cfg, "selftest.dataset", GL_KIND_DATASET, &c,
                                               &scope);
    if (st != GL_OK)
        return genlab_errorf(host->ctx, st, "%s", genlab_config_errmsg(cfg));
    sp->ds = c->iface;
    return sp->ds->open(host, scope, name, &sp->spec, &sp->state);
}

/* accuracy — the share of the first n test items the model classifies right */
static genlab_status accuracy(genlab_ctx *ctx, run *r, convnet *m, split *test, int64_t n,
                              double *out)
{
    enum { B = 250 };
    int64_t idx[B], right = 0;
    bool was = genlab_set_grad_enabled(ctx, false);
    genlab_params_set_training(r->params, false);
    genlab_status st = GL_OK;
    for (int64_t at = 0; st == GL_OK && at < n; at += B) {
        int64_t k = n - at < B ? n - at : B;
        for (int64_t i = 0; i < k; i++)
            idx[i] = at + i;
        genlab_ctx_step_begin(ctx);
        genlab_batch b = {NULL, NULL};
        if ((st = test->ds->read(ctx, test->state, idx, k, &b)) != GL_OK)
            break;
        genlab_tensor *logits = convnet_forward(ctx, m, b.x);
        if (!logits || !b.y) {
            st = logits ? genlab_errorf(ctx, GL_ERR_INVALID, "the test split has no labels")
                        : genlab_ctx_status(ctx);
            break;
        }
        const float *p = genlab_tensor_f32(logits);
        const int32_t *y = genlab_tensor_data(b.y);
        int64_t classes = genlab_tensor_dim(logits, 1);
        for (int64_t i = 0; i < k; i++) {
            int64_t best = 0;
            for (int64_t j = 1; j < classes; j++)
                best = p[i * classes + j] > p[i * classes + best] ? j : best;
            right += best == y[i];
        }
    }
    genlab_params_set_training(r->params, true);
    genlab_set_grad_enabled(ctx, was);
    *out = n ? (double)right / (double)n : 0;
    return st;
}

genlab_status selftest_fashion(genlab_registry *reg, uint64_t seed, int threads, int steps,
                               selftest_data_result *res, selftest_progress progress, void *user,
                               char *err, size_t err_size)
{
    enum { N = 64, EVAL = 2000 };
    memset(res, 0, sizeof *res);
    run r;
    convnet m;
    split train = {0}, test = {0};
    genlab_config *cfg = NULL;
    genlab_host host;
    genlab_status st = run_open(&r, seed, threads);
    if (st == GL_OK && (genlab_config_create(&cfg) != GL_OK ||
                        genlab_config_declare(cfg, "selftest", fashion_params, 1) != GL_OK ||
                        genlab_config_resolve(cfg, reg) != GL_OK))
        st = genlab_errorf(r.ctx, GL_ERR_INVALID, "%s",
                           cfg ? genlab_config_errmsg(cfg) : "out of memory");
    if (st == GL_OK) {
        genlab_host_init(&host, reg, r.ctx, cfg);
        st = open_split(&host, cfg, "train", &train);
    }
    if (st == GL_OK)
        st = open_split(&host, cfg, "test", &test);
    if (st == GL_OK && train.spec.channels != 1)
        st = genlab_errorf(r.ctx, GL_ERR_SHAPE, "expected gray images, got %d channels",
                           train.spec.channels);
    if (st == GL_OK)
        st = convnet_build(r.params, &m, 16, train.spec.n_classes,
                           train.spec.height * train.spec.width);
    if (st == GL_OK)
        st = run_ready(&r, 3e-3);
    res->train_items = train.spec.n_items;
    res->test_items = test.spec.n_items;
    res->classes = train.spec.n_classes;
    /* batches of items drawn uniformly from the data stream */
    int64_t idx[N];
    double t0 = now_ms(), read_ms = 0;
    for (int step = 0; st == GL_OK && step < steps; step++) {
        genlab_ctx_step_begin(r.ctx);
        genlab_tensor *u = genlab_tensor_new(r.ctx, GL_F32, 1, (const int64_t[]){N});
        if (!u || (st = genlab_rng_fill(r.ctx, u, GL_STREAM_DATA, 0, 0.0f, 1.0f)) != GL_OK)
            break;
        for (int i = 0; i < N; i++)
            idx[i] = (int64_t)(genlab_tensor_f32(u)[i] * (float)train.spec.n_items) %
                     train.spec.n_items;
        double t_read = now_ms();
        genlab_batch b = {NULL, NULL};
        if ((st = train.ds->read(r.ctx, train.state, idx, N, &b)) != GL_OK)
            break;
        read_ms += now_ms() - t_read;
        genlab_tensor *loss = convnet_loss(r.ctx, &m, b.x, b.y, &res->run, step);
        if (!loss) {
            st = genlab_ctx_status(r.ctx);
            break;
        }
        res->run.steps = step + 1;
        if (progress)
            progress(step + 1, steps, res->run.final_loss, user);
        st = train_step(&r, loss);
    }
    res->run.ms_per_step = res->run.steps ? (now_ms() - t0) / res->run.steps : 0;
    res->read_ms_per_step = res->run.steps ? read_ms / res->run.steps : 0;
    if (st == GL_OK)
        st = accuracy(r.ctx, &r, &m, &test, test.spec.n_items < EVAL ? test.spec.n_items : EVAL,
                      &res->accuracy);
    res->eval_items = test.spec.n_items < EVAL ? test.spec.n_items : EVAL;
    if (train.state)
        train.ds->close(train.state);
    if (test.state)
        test.ds->close(test.state);
    genlab_config_destroy(cfg);
    return run_close(&r, st, &res->run, err, err_size);
}
