/* SPDX-License-Identifier: MIT
 *
 * classifier.c — classifier-fid, the download-free metric: a small
 * convolutional classifier genlab trains itself on a labelled dataset
 * (Fashion-MNIST, MNIST, CIFAR-10), whose penultimate layer is the feature
 * the metric component "classifier" computes FID (and, if asked, IS, KID,
 * precision/recall) on.
 *
 * The network, for C x S x S images (C 1 or 3, S a multiple of 4: 28 for
 * the MNIST family, 32 for CIFAR):
 *
 *     conv 3x3, 32, pad 1 -> ReLU -> max pool 2
 *     conv 3x3, 64, pad 1 -> ReLU -> max pool 2
 *     flatten (64 (S/4)^2) -> linear 128          <- the feature (before its ReLU)
 *     ReLU -> linear K                            <- the logits (K classes)
 *
 * 421,642 parameters for 28 x 28 x 1 and 10 classes. The feature is the
 * linear layer's output before the ReLU: every one of its 128 values varies
 * (a ReLU would leave dead units whose variance is 0 in both sets).
 *
 * Training is the trainer "classifier" (genlab train train.trainer=classifier
 * train.dataset=idx): cross-entropy with the optimizer of optim.* (Adam by
 * default), reporting loss and the batch's accuracy; after the last step it
 * records the accuracy on the first classifier.eval_n images of the
 * dataset's test split as the run's score "test_accuracy", so how good a
 * classifier is stays with it (genlab show). Its checkpoint, written
 * by the run loop, is the classifier's weights file: mx_classifier_open
 * reads "model.params.*" from it, infers C, S and K from the shapes, and
 * refuses a file that is not a checkpoint of this trainer. The file's
 * SHA-256 names the extractor ("classifier:<12 hex digits>"), so scores of
 * two classifiers never share a protocol.
 *
 * Not here: the metric arithmetic (metric.c, <genlab/scores.h>).
 *
 * Sections: the network, the trainer, the extractor.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* ---- the network ---- */

#define CLF_C1      32    /* channels of the first convolution */
#define CLF_C2      64    /* of the second */
#define CLF_FEATURE 128   /* the penultimate layer: the feature's size */

typedef struct clf_net {
    genlab_params      *p;
    genlab_conv2d_layer conv1;   /* (32, C, 3, 3) */
    genlab_conv2d_layer conv2;   /* (64, 32, 3, 3) */
    genlab_linear_layer fc1;     /* (128, 64 (S/4)^2) */
    genlab_linear_layer fc2;     /* (K, 128) */
    int64_t             channels, side, classes;
} clf_net;

/* clf_shape_ok — the image shapes the network is built for */
static bool clf_shape_ok(int64_t channels, int64_t height, int64_t width)
{
    return (channels == 1 || channels == 3) && height == width && height >= 4 &&
           height <= 256 && height % 4 == 0;
}

/* clf_build — the network for channels x side x side images and classes
 * classes, initialised from ctx's init stream (PyTorch's defaults) */
static genlab_status clf_build(genlab_ctx *ctx, clf_net *n, int64_t channels, int64_t side,
                               int64_t classes)
{
    n->channels = channels;
    n->side = side;
    n->classes = classes;
    const genlab_conv_opts same = {.padding = {1, 1}};
    int64_t flat = CLF_C2 * (side / 4) * (side / 4);
    genlab_status st = genlab_params_create(ctx, &n->p);
    if (st == GL_OK)
        st = genlab_conv2d_layer_init(n->p, &n->conv1, "conv1", (int)channels, CLF_C1, 3, 3,
                                      &same, true);
    if (st == GL_OK)
        st = genlab_conv2d_layer_init(n->p, &n->conv2, "conv2", CLF_C1, CLF_C2, 3, 3, &same,
                                      true);
    if (st == GL_OK)
        st = genlab_linear_layer_init(n->p, &n->fc1, "fc1", (int)flat, CLF_FEATURE, true);
    if (st == GL_OK)
        st = genlab_linear_layer_init(n->p, &n->fc2, "fc2", CLF_FEATURE, (int)classes, true);
    return st == GL_OK ? genlab_params_finalize(ctx, n->p) : st;
}

/* clf_forward — logits (N, K) of x (N, C, S, S); the feature (N, 128) in
 * *feature when it is not NULL */
static genlab_tensor *clf_forward(genlab_ctx *ctx, clf_net *n, genlab_tensor *x,
                                  genlab_tensor **feature)
{
    genlab_tensor *h = genlab_relu(ctx, genlab_conv2d_layer_forward(ctx, &n->conv1, x));
    h = genlab_max_pool2d(ctx, h, 2, 2, 0);
    h = genlab_relu(ctx, genlab_conv2d_layer_forward(ctx, &n->conv2, h));
    h = genlab_max_pool2d(ctx, h, 2, 2, 0);
    genlab_tensor *f = genlab_linear_layer_forward(ctx, &n->fc1, genlab_flatten(ctx, h, 1));
    if (feature)
        *feature = f;
    return genlab_linear_layer_forward(ctx, &n->fc2, genlab_relu(ctx, f));
}

/* ---- the trainer ---- */

typedef struct clf_trainer {
    const genlab_host *host;
    clf_net            net;
    genlab_optim      *optim;
    genlab_lr_schedule lr;
    int64_t            steps;    /* train.steps: the last one is evaluated */
    int64_t            eval_n;   /* test images of the final accuracy (0: none) */
} clf_trainer;

static const genlab_param_def clf_params[] = {
    {.name = "eval_n", .type = GL_PARAM_INT, .def = "10000", .min = "0", .max = "1000000000",
     .help = "test-split images of the final test_accuracy score (fewer if it has fewer; 0: "
             "none)"},
};

/* images per batch of the final evaluation */
#define CLF_EVAL_BATCH 500

static void clf_destroy(void *state)
{
    clf_trainer *t = state;
    if (!t)
        return;
    genlab_optim_destroy(t->optim);
    genlab_params_destroy(t->net.p);
    free(t);
}

static genlab_status clf_create(const genlab_host *host, const genlab_config *cfg,
                                const genlab_data_spec *data, void **state)
{
    genlab_ctx *ctx = host->ctx;
    if (!clf_shape_ok(data->channels, data->height, data->width) || data->n_classes < 2)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "trainer classifier: needs labelled (at least 2 classes) square "
                             "images of 1 or 3 channels whose side is a multiple of 4 (28 or "
                             "32); the dataset has %" PRId32 " x %" PRId32 " x %" PRId32
                             " images and %" PRId32 " classes",
                             data->channels, data->height, data->width, data->n_classes);
    clf_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "trainer classifier: out of memory");
    t->host = host;
    t->steps = genlab_config_int(host->config, "train.steps");
    t->eval_n = genlab_config_int(cfg, "eval_n");
    genlab_optim_options opt;
    genlab_status st = genlab_run_optim(ctx, host->config, &opt, &t->lr);
    if (st == GL_OK)
        st = clf_build(ctx, &t->net, data->channels, data->height, data->n_classes);
    if (st == GL_OK)
        st = genlab_optim_create(ctx, t->net.p, &opt, &t->optim);
    if (st != GL_OK) {
        clf_destroy(t);
        return st;
    }
    host->log(host, GL_LOG_INFO, "trainer classifier: %lld parameters, %" PRId32 " classes",
              (long long)genlab_params_numel(t->net.p), data->n_classes);
    *state = t;
    return GL_OK;
}

/* accuracy — the fraction of rows of logits (N, K) whose largest value is
 * at the label */
static double accuracy(const genlab_tensor *logits, const genlab_tensor *labels)
{
    int64_t n = genlab_tensor_dim(logits, 0), k = genlab_tensor_dim(logits, 1), right = 0;
    const float *l = genlab_tensor_f32(logits);
    const int32_t *y = genlab_tensor_data((genlab_tensor *)labels);
    for (int64_t i = 0; i < n; i++) {
        int64_t best = 0;
        for (int64_t j = 1; j < k; j++)
            if (l[i * k + j] > l[i * k + best])
                best = j;
        right += best == y[i];
    }
    return n ? (double)right / (double)n : 0;
}

/* test_accuracy — the accuracy on the first eval_n images of the run's
 * dataset's test split, recorded as the run's score "test_accuracy" after
 * step done and logged; nothing outside a run (no score service) or with
 * eval_n 0 */
static genlab_status test_accuracy(genlab_ctx *ctx, clf_trainer *t, int64_t done)
{
    genlab_status (*score)(const genlab_host *, int64_t, const char *, double, bool, int64_t,
                           const char *) = GL_IFACE_GET(t->host, genlab_host, score);
    const genlab_component *c;
    const genlab_config *scope;
    if (!score || t->eval_n < 1)
        return GL_OK;
    genlab_status st = genlab_config_component(t->host->config, "train.dataset", GL_KIND_DATASET,
                                               &c, &scope);
    if (st != GL_OK || !c)
        return st;
    const genlab_dataset_i *ds = c->iface;
    genlab_data_spec spec;
    void *test;
    if ((st = ds->open(t->host, scope, "test", &spec, &test)) != GL_OK)
        return genlab_errorf(ctx, st, "trainer classifier: the test split: %s",
                             genlab_ctx_errmsg(ctx));
    int64_t n = spec.n_items < t->eval_n ? spec.n_items : t->eval_n, idx[CLF_EVAL_BATCH];
    double right = 0;
    bool grad = genlab_set_grad_enabled(ctx, false);
    for (int64_t first = 0; first < n && st == GL_OK; first += CLF_EVAL_BATCH) {
        int64_t m = n - first < CLF_EVAL_BATCH ? n - first : CLF_EVAL_BATCH;
        for (int64_t i = 0; i < m; i++)
            idx[i] = first + i;
        genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
        genlab_batch b = {0};
        st = ds->read(ctx, test, idx, m, &b);
        if (st == GL_OK && !b.y)
            st = genlab_errorf(ctx, GL_ERR_INVALID, "trainer classifier: the test split has no "
                               "labels");
        genlab_tensor *logits = st == GL_OK ? clf_forward(ctx, &t->net, b.x, NULL) : NULL;
        if (st == GL_OK)
            st = genlab_ctx_status(ctx);
        if (st == GL_OK)
            right += accuracy(logits, b.y) * (double)m;
        genlab_ctx_rewind(ctx, &mark);
    }
    genlab_set_grad_enabled(ctx, grad);
    ds->close(test);
    if (st != GL_OK || n < 1)
        return st;
    char protocol[96];
    snprintf(protocol, sizeof protocol, "{\"split\":\"test\",\"n\":%lld}", (long long)n);
    t->host->log(t->host, GL_LOG_INFO, "trainer classifier: test accuracy %.2f %% on %lld images",
                 100.0 * right / (double)n, (long long)n);
    return score(t->host, done, "test_accuracy", right / (double)n, true, n, protocol);
}

static genlab_status clf_step(genlab_ctx *ctx, void *state, int64_t step,
                              const genlab_batch_source *data, genlab_step_metrics *out)
{
    clf_trainer *t = state;
    genlab_batch b;
    genlab_status st = data->next(ctx, data->context, &b);
    if (st != GL_OK)
        return st;
    if (!b.y)
        return genlab_errorf(ctx, GL_ERR_INVALID, "trainer classifier: the batch has no labels "
                             "(an unlabelled dataset)");
    genlab_params_zero_grad(t->net.p);
    genlab_tensor *logits = clf_forward(ctx, &t->net, b.x, NULL);
    genlab_tensor *loss = genlab_cross_entropy(ctx, logits, b.y, GL_REDUCE_MEAN);
    if (!loss)
        return genlab_ctx_status(ctx);
    if ((st = genlab_backward(ctx, loss)) != GL_OK ||
        (st = genlab_optim_set_lr(ctx, t->optim, genlab_lr_at(&t->lr, step))) != GL_OK ||
        (st = genlab_optim_step(ctx, t->optim)) != GL_OK)
        return st;
    genlab_step_metric(out, "loss", genlab_tensor_item(loss));
    genlab_step_metric(out, "acc", accuracy(logits, b.y));
    return step + 1 == t->steps ? test_accuracy(ctx, t, step + 1) : GL_OK;
}

static genlab_tensor *clf_sample(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y)
{
    (void)state, (void)n, (void)y;
    genlab_errorf(ctx, GL_ERR_UNSUPPORTED, "trainer classifier: a classifier generates no "
                  "images (its checkpoint is the weights of classifier-fid)");
    return NULL;
}

/* Names: model.params.{conv1,conv2,fc1,fc2}.{weight,bias}, model.optim.* */
static genlab_status clf_visit(void *state, genlab_visit_fn fn, void *user)
{
    clf_trainer *t = state;
    genlab_status st = genlab_params_visit(t->net.p, "model", fn, user);
    return st == GL_OK ? genlab_optim_visit(t->optim, "model.optim", fn, user) : st;
}

static const genlab_trainer_i trainer_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_trainer_i),
    .create = clf_create, .destroy = clf_destroy, .step = clf_step, .sample = clf_sample,
    .visit = clf_visit,
};

const genlab_component gl_metrics_classifier_trainer = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_TRAINER, .name = "classifier",
    .doc = "the small CNN of classifier-fid (its checkpoint: the metric's weights)",
    GL_PARAMS(clf_params), .iface = &trainer_iface,
};

/* ---- the extractor ---- */

typedef struct clf_extractor {
    mx_extractor base;
    clf_net      net;
    char         name[32];     /* "classifier:<12 hex digits>" */
    char         resize[32];   /* "none-28x28" */
} clf_extractor;

static void clf_x_destroy(mx_extractor *x)
{
    clf_extractor *c = (clf_extractor *)x;
    if (!c)
        return;
    genlab_params_destroy(c->net.p);
    free(c);
}

static genlab_status clf_features(genlab_ctx *ctx, mx_extractor *x, genlab_tensor *images,
                                  float *feat, float *logits)
{
    clf_extractor *c = (clf_extractor *)x;
    clf_net *n = &c->net;
    if (!images)
        return genlab_ctx_status(ctx) != GL_OK ? genlab_ctx_status(ctx) : GL_ERR_INVALID;
    char s[96];   /* a 5-axis shape in text */
    int64_t ch = genlab_tensor_ndim(images) == 4 ? genlab_tensor_dim(images, 1) : 0;
    if (genlab_tensor_ndim(images) != 4 || genlab_tensor_dtype(images) != GL_F32 ||
        genlab_tensor_dim(images, 2) != n->side || genlab_tensor_dim(images, 3) != n->side ||
        !(ch == n->channels || (ch == 1 && n->channels == 3)))
        return genlab_errorf(ctx, GL_ERR_SHAPE,
                             "extractor %s: takes (N, %lld, %lld, %lld) float32 images (what it "
                             "was trained on%s), not %s; classifier-fid does not resize: train "
                             "a classifier on images of this size",
                             c->name, (long long)n->channels, (long long)n->side,
                             (long long)n->side, n->channels == 3 ? "; gray is repeated to RGB" : "",
                             genlab_tensor_shape_str(images, s, sizeof s));
    int64_t count = genlab_tensor_dim(images, 0);
    genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
    bool grad = genlab_set_grad_enabled(ctx, false);
    genlab_tensor *in = images;
    if (ch != n->channels)
        in = genlab_expand(ctx, images, 4,
                           (const int64_t[]){count, n->channels, n->side, n->side});
    genlab_tensor *f = NULL;
    genlab_tensor *l = clf_forward(ctx, n, in, &f);
    genlab_set_grad_enabled(ctx, grad);
    genlab_status st = genlab_ctx_status(ctx);
    if (st == GL_OK && l && f) {
        memcpy(feat, genlab_tensor_f32(f), (size_t)(count * CLF_FEATURE) * sizeof *feat);
        if (logits)
            memcpy(logits, genlab_tensor_f32(l), (size_t)(count * n->classes) * sizeof *logits);
    }
    genlab_ctx_rewind(ctx, &mark);
    return st;
}

/* entry_shape — the shape of checkpoint entry name, which must have ndim
 * axes; a missing entry or another rank is GL_ERR_FORMAT naming the file */
static genlab_status entry_shape(genlab_ctx *ctx, const genlab_ckpt *ck, const char *name,
                                 int ndim, int64_t *shape)
{
    genlab_ckpt_entry e;
    genlab_status st = genlab_ckpt_find(ctx, ck, name, &e);
    if (st != GL_OK)
        return st;
    if (e.ndim != ndim || strcmp(e.dtype, "F32") != 0)
        return genlab_errorf(ctx, GL_ERR_FORMAT, "classifier weights \"%s\": \"%s\" is a %d-axis "
                             "%s tensor, not a %d-axis F32 one: not a classifier genlab trained",
                             genlab_ckpt_path(ck), name, e.ndim, e.dtype, ndim);
    memcpy(shape, e.shape, (size_t)ndim * sizeof *shape);
    return GL_OK;
}

/* read_net — the network's sizes from ck's shapes, the network built, and
 * every parameter read into it (each checked for its exact shape) */
static genlab_status read_net(genlab_ctx *ctx, const genlab_ckpt *ck, clf_net *n)
{
    const char *path = genlab_ckpt_path(ck);
    const char *trainer = genlab_ckpt_meta(ck, "genlab.trainer");
    if (!trainer || strcmp(trainer, "classifier") != 0)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "classifier weights \"%s\": not a checkpoint of the trainer "
                             "classifier (%s%s%s); train one with genlab train "
                             "train.trainer=classifier", path,
                             trainer ? "its trainer is \"" : "it names no trainer",
                             trainer ? trainer : "", trainer ? "\"" : "");
    int64_t c1[4] = {0}, f1[2] = {0}, f2[2] = {0};
    genlab_status st = entry_shape(ctx, ck, "model.params.conv1.weight", 4, c1);
    if (st == GL_OK)
        st = entry_shape(ctx, ck, "model.params.fc1.weight", 2, f1);
    if (st == GL_OK)
        st = entry_shape(ctx, ck, "model.params.fc2.weight", 2, f2);
    if (st != GL_OK)
        return st;
    /* fc1 takes 64 (S/4)^2 values: S from the square root */
    int64_t q = 0;
    while ((q + 1) * (q + 1) * CLF_C2 <= f1[1])
        q++;
    int64_t side = 4 * q;
    if (q * q * CLF_C2 != f1[1] || !clf_shape_ok(c1[1], side, side) || f2[0] < 2 ||
        f2[0] > 100000 || f1[0] != CLF_FEATURE || f2[1] != CLF_FEATURE)
        return genlab_errorf(ctx, GL_ERR_FORMAT,
                             "classifier weights \"%s\": conv1.weight (%lld, %lld, ...), "
                             "fc1.weight (%lld, %lld) and fc2.weight (%lld, %lld) fit no "
                             "classifier genlab builds", path, (long long)c1[0],
                             (long long)c1[1], (long long)f1[0], (long long)f1[1],
                             (long long)f2[0], (long long)f2[1]);
    if ((st = clf_build(ctx, n, c1[1], side, f2[0])) != GL_OK)
        return st;
    char name[GL_PARAM_NAME_MAX + 16];
    for (int64_t i = 0; st == GL_OK && i < genlab_params_count(n->p); i++) {
        snprintf(name, sizeof name, "model.params.%s", genlab_params_name(n->p, i));
        st = genlab_ckpt_read_tensor(ctx, ck, name, genlab_params_tensor(n->p, i));
    }
    genlab_params_set_training(n->p, false);
    return st;
}

genlab_status mx_classifier_open(genlab_ctx *ctx, const char *weights, mx_extractor **out)
{
    *out = NULL;
    if (!weights || !*weights)
        return genlab_errorf(ctx, GL_ERR_INVALID, "classifier: no weights file given (the "
                             "checkpoint of a run of the trainer classifier)");
    clf_extractor *c = calloc(1, sizeof *c);
    if (!c)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "classifier: out of memory");
    genlab_ckpt *ck = NULL;
    genlab_status st = mx_sha256_file(ctx, "classifier weights", weights, c->base.sha256);
    if (st == GL_OK)
        st = genlab_ckpt_open(ctx, weights, &ck);
    if (st == GL_OK)
        st = read_net(ctx, ck, &c->net);
    genlab_ckpt_close(ck);
    if (st != GL_OK) {
        clf_x_destroy(&c->base);
        return st;
    }
    snprintf(c->name, sizeof c->name, "classifier:%.12s", c->base.sha256);
    snprintf(c->resize, sizeof c->resize, "none-%lldx%lld", (long long)c->net.side,
             (long long)c->net.side);
    c->base.name = c->name;
    c->base.resize = c->resize;
    c->base.dim = CLF_FEATURE;
    c->base.n_logits = c->net.classes;
    c->base.logits = "fc";
    c->base.features = clf_features;
    c->base.destroy = clf_x_destroy;
    *out = &c->base;
    return GL_OK;
}
