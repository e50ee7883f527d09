/* SPDX-License-Identifier: MIT
 *
 * inception_net.c — the FID Inception extractor (mx_inception_open):
 * Inception v3 exactly as pytorch-fid's FIDInceptionV3 computes it, from
 * the weights file tools/convert_inception_weights.py makes of
 * pytorch-fid's pt_inception-2015-12-05-6726825d.pth (the TensorFlow FID
 * graph's weights).
 *
 * The network is torchvision's Inception3 (num_classes 1008, no auxiliary
 * logits, no input transform) with pytorch-fid's FID blocks:
 *   stem      Conv2d_1a_3x3 (stride 2), 2a, 2b (pad 1), max pool 3/2,
 *             Conv2d_3b_1x1, Conv2d_4a_3x3, max pool 3/2
 *   Mixed_5b..5d  FIDInceptionA: 1x1 | 1x1, 5x5 | 1x1, 3x3, 3x3 | average
 *             pool 3/1/1 *without counting the padding* (TensorFlow's),
 *             then 1x1
 *   Mixed_6a  InceptionB: 3x3/2 | 1x1, 3x3, 3x3/2 | max pool 3/2
 *   Mixed_6b..6e  FIDInceptionC: the 7x7 factorised into 1x7 and 7x1
 *             convs, the same padding-excluding average pool
 *   Mixed_7a  InceptionD
 *   Mixed_7b  FIDInceptionE_1 (padding-excluding average pool)
 *   Mixed_7c  FIDInceptionE_2: a *max* pool 3/1/1 in the pool branch
 *   pool3     the mean over the 8x8 map: 2048 features
 *   logits    fc 2048 -> 1008 on the pool3 features *without its bias*:
 *             torch-fidelity's "logits_unbiased" (x @ fc.weight^T), the
 *             feature its Inception Score uses (a bias shifts every
 *             logit of a class alike, which changes the softmax, so IS
 *             with and without it differ); dropout is the identity in
 *             eval mode
 * Every BasicConv2d is conv (no bias) + BatchNorm (eps 0.001, eval mode:
 * the running statistics) + ReLU; inception_weights.c folds the BatchNorm
 * into the conv when it reads the weights file, whose tensors this file
 * lists (mx_inception_tensor).
 *
 * Every activation kept until the end of a forward would fill the arena
 * with 215 MB per image: each block's output is kept past a rewind of
 * everything else the block made (forward()).
 *
 * Not here: reading the weights (inception_weights.c), the preprocessing
 * (inception_resize.c), the statistics and scores made of the features
 * (libgenlab/scores*.c).
 *
 * Sections: architecture, the convs and the weights file's tensors,
 * forward, the extractor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extractor.h"
#include "inception_impl.h"

/* ---- architecture ---- */

#define IC_CONVS    MX_INCEPTION_CONVS
#define IC_FEATURES MX_INCEPTION_FEATURES
#define IC_CLASSES  MX_INCEPTION_CLASSES
/* the smallest input side every layer has room for (75 -> 37 -> 35 -> 17
 * -> 15 -> 7 -> 3 -> 1) */
#define IC_MIN_SIDE 75

/* Images per forward by default; a larger batch runs in chunks of this
 * size (mx_inception_set_chunk changes it). The
 * arena holds one block's temporaries at a time (forward()), about 27 MB
 * per image at the peak: 311 MB for 10. Larger chunks were no faster
 * (bench_inception, batch 50, 2 threads: chunks of 10, 25 and 50 within
 * the noise, 10 the least CPU time and page faults) — at 50 the big stem
 * convs exceed oneDNN's workspace cap and fall back to im2col. */
#define IC_CHUNK 10

/* channel counts in a conv row that the block supplies */
enum { IC_IN = -1, IC_ARG = -2 };

/* One BasicConv2d of a block: torchvision's module name, channels (a
 * number, or the block's input or argument), kernel, stride, padding. */
typedef struct ic_conv_def {
    const char *name;
    int cin, cout;
    int kh, kw, stride, ph, pw;
} ic_conv_def;

static const ic_conv_def stem_convs[] = {
    /* name              cin  cout kh kw  s  ph pw */
    {"Conv2d_1a_3x3",      3,   32, 3, 3, 2, 0, 0},
    {"Conv2d_2a_3x3",     32,   32, 3, 3, 1, 0, 0},
    {"Conv2d_2b_3x3",     32,   64, 3, 3, 1, 1, 1},
    {"Conv2d_3b_1x1",     64,   80, 1, 1, 1, 0, 0},
    {"Conv2d_4a_3x3",     80,  192, 3, 3, 1, 0, 0},
};

static const ic_conv_def a_convs[] = {   /* argument: pool_features */
    {"branch1x1",      IC_IN,  64,     1, 1, 1, 0, 0},
    {"branch5x5_1",    IC_IN,  48,     1, 1, 1, 0, 0},
    {"branch5x5_2",    48,     64,     5, 5, 1, 2, 2},
    {"branch3x3dbl_1", IC_IN,  64,     1, 1, 1, 0, 0},
    {"branch3x3dbl_2", 64,     96,     3, 3, 1, 1, 1},
    {"branch3x3dbl_3", 96,     96,     3, 3, 1, 1, 1},
    {"branch_pool",    IC_IN,  IC_ARG, 1, 1, 1, 0, 0},
};

static const ic_conv_def b_convs[] = {
    {"branch3x3",      IC_IN, 384, 3, 3, 2, 0, 0},
    {"branch3x3dbl_1", IC_IN,  64, 1, 1, 1, 0, 0},
    {"branch3x3dbl_2", 64,     96, 3, 3, 1, 1, 1},
    {"branch3x3dbl_3", 96,     96, 3, 3, 2, 0, 0},
};

static const ic_conv_def c_convs[] = {   /* argument: channels_7x7 */
    {"branch1x1",      IC_IN,  192,    1, 1, 1, 0, 0},
    {"branch7x7_1",    IC_IN,  IC_ARG, 1, 1, 1, 0, 0},
    {"branch7x7_2",    IC_ARG, IC_ARG, 1, 7, 1, 0, 3},
    {"branch7x7_3",    IC_ARG, 192,    7, 1, 1, 3, 0},
    {"branch7x7dbl_1", IC_IN,  IC_ARG, 1, 1, 1, 0, 0},
    {"branch7x7dbl_2", IC_ARG, IC_ARG, 7, 1, 1, 3, 0},
    {"branch7x7dbl_3", IC_ARG, IC_ARG, 1, 7, 1, 0, 3},
    {"branch7x7dbl_4", IC_ARG, IC_ARG, 7, 1, 1, 3, 0},
    {"branch7x7dbl_5", IC_ARG, 192,    1, 7, 1, 0, 3},
    {"branch_pool",    IC_IN,  192,    1, 1, 1, 0, 0},
};

static const ic_conv_def d_convs[] = {
    {"branch3x3_1",   IC_IN, 192, 1, 1, 1, 0, 0},
    {"branch3x3_2",   192,   320, 3, 3, 2, 0, 0},
    {"branch7x7x3_1", IC_IN, 192, 1, 1, 1, 0, 0},
    {"branch7x7x3_2", 192,   192, 1, 7, 1, 0, 3},
    {"branch7x7x3_3", 192,   192, 7, 1, 1, 3, 0},
    {"branch7x7x3_4", 192,   192, 3, 3, 2, 0, 0},
};

static const ic_conv_def e_convs[] = {
    {"branch1x1",       IC_IN, 320, 1, 1, 1, 0, 0},
    {"branch3x3_1",     IC_IN, 384, 1, 1, 1, 0, 0},
    {"branch3x3_2a",    384,   384, 1, 3, 1, 0, 1},
    {"branch3x3_2b",    384,   384, 3, 1, 1, 1, 0},
    {"branch3x3dbl_1",  IC_IN, 448, 1, 1, 1, 0, 0},
    {"branch3x3dbl_2",  448,   384, 3, 3, 1, 1, 1},
    {"branch3x3dbl_3a", 384,   384, 1, 3, 1, 0, 1},
    {"branch3x3dbl_3b", 384,   384, 3, 1, 1, 1, 0},
    {"branch_pool",     IC_IN, 192, 1, 1, 1, 0, 0},
};

/* forward of a block from its first conv (forward section) */
typedef genlab_tensor *(*ic_block_fn)(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);

static genlab_tensor *basic(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);
static genlab_tensor *conv_pool_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);
static genlab_tensor *a_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);
static genlab_tensor *b_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);
static genlab_tensor *c_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);
static genlab_tensor *d_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);
static genlab_tensor *e1_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);
static genlab_tensor *e2_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x);

#define CONVS(a) a, (int)(sizeof a / sizeof a[0])

/* The blocks in order: torchvision's attribute name ("" for the stem,
 * whose convs are top-level modules: each is a block of its own, with the
 * max pool after it where there is one), the input channels and the
 * argument of the block's constructor. */
static const struct ic_block {
    const char        *name;
    int                cin, arg;
    const ic_conv_def *convs;
    int                n_convs;
    ic_block_fn        forward;
} blocks[] = {
    {"",         3,    0,   stem_convs + 0,    1, basic},
    {"",         32,   0,   stem_convs + 1,    1, basic},
    {"",         32,   0,   stem_convs + 2,    1, conv_pool_fwd},
    {"",         64,   0,   stem_convs + 3,    1, basic},
    {"",         80,   0,   stem_convs + 4,    1, conv_pool_fwd},
    {"Mixed_5b", 192,  32,  CONVS(a_convs),    a_fwd},
    {"Mixed_5c", 256,  64,  CONVS(a_convs),    a_fwd},
    {"Mixed_5d", 288,  64,  CONVS(a_convs),    a_fwd},
    {"Mixed_6a", 288,  0,   CONVS(b_convs),    b_fwd},
    {"Mixed_6b", 768,  128, CONVS(c_convs),    c_fwd},
    {"Mixed_6c", 768,  160, CONVS(c_convs),    c_fwd},
    {"Mixed_6d", 768,  160, CONVS(c_convs),    c_fwd},
    {"Mixed_6e", 768,  192, CONVS(c_convs),    c_fwd},
    {"Mixed_7a", 768,  0,   CONVS(d_convs),    d_fwd},
    {"Mixed_7b", 1280, 0,   CONVS(e_convs),    e1_fwd},
    {"Mixed_7c", 2048, 0,   CONVS(e_convs),    e2_fwd},
};

#define IC_BLOCKS ((int)(sizeof blocks / sizeof blocks[0]))

/* ---- the convs and the weights file's tensors ---- */

/* A conv of the network, resolved: its module path and its geometry. */
typedef struct ic_conv_at {
    char name[48];        /* "Mixed_5b.branch1x1", "Conv2d_1a_3x3" */
    int  cin, cout, kh, kw, stride, ph, pw;
} ic_conv_at;

static int resolve(int v, const struct ic_block *b)
{
    return v == IC_IN ? b->cin : v == IC_ARG ? b->arg : v;
}

/* conv k (< IC_CONVS) of the network, in order */
static ic_conv_at conv_at(int k)
{
    const struct ic_block *b = blocks;
    while (k >= b->n_convs)
        k -= b++->n_convs;
    const ic_conv_def *d = &b->convs[k];
    ic_conv_at c = {.cin = resolve(d->cin, b), .cout = resolve(d->cout, b), .kh = d->kh,
                    .kw = d->kw, .stride = d->stride, .ph = d->ph, .pw = d->pw};
    snprintf(c.name, sizeof c.name, "%s%s%s", b->name, *b->name ? "." : "", d->name);
    return c;
}

/* the four BatchNorm tensors of a conv, in state_dict order */
static const char *const bn_part[4] = {"bn.weight", "bn.bias", "bn.running_mean",
                                       "bn.running_var"};

int mx_inception_tensor(int i, char *name, size_t size, int64_t shape[4])
{
    if (i < 0 || i >= MX_INCEPTION_TENSORS)
        return 0;
    if (i >= 5 * IC_CONVS) {
        bool weight = i == 5 * IC_CONVS;
        snprintf(name, size, weight ? "fc.weight" : "fc.bias");
        shape[0] = IC_CLASSES;
        shape[1] = IC_FEATURES;
        return weight ? 2 : 1;
    }
    ic_conv_at c = conv_at(i / 5);
    int part = i % 5;
    snprintf(name, size, "%s.%s", c.name, part ? bn_part[part - 1] : "conv.weight");
    shape[0] = c.cout;
    if (part)
        return 1;
    shape[1] = c.cin;
    shape[2] = c.kh;
    shape[3] = c.kw;
    return 4;
}

genlab_conv_opts mx_inception_conv_opts(int k)
{
    ic_conv_at at = conv_at(k);
    return (genlab_conv_opts){.stride = {at.stride, at.stride}, .padding = {at.ph, at.pw}};
}

/* ---- forward ---- */

/* BasicConv2d: conv (BatchNorm folded in) + ReLU */
static genlab_tensor *basic(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x)
{
    return genlab_relu(ctx, genlab_conv2d(ctx, x, c->w, c->b, &c->opts));
}

/* TensorFlow's 3x3 average pool of the FID blocks: padding not counted */
static genlab_tensor *avg_excl(genlab_ctx *ctx, genlab_tensor *x)
{
    return genlab_avg_pool2d_v2(ctx, x, 3, 1, 1, false);
}

/* the stem's convs before its two max pools */
static genlab_tensor *conv_pool_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x)
{
    return genlab_max_pool2d(ctx, basic(ctx, c, x), 3, 2, 0);
}

static genlab_tensor *a_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x)
{
    genlab_tensor *br[4] = {
        basic(ctx, &c[0], x),
        basic(ctx, &c[2], basic(ctx, &c[1], x)),
        basic(ctx, &c[5], basic(ctx, &c[4], basic(ctx, &c[3], x))),
        basic(ctx, &c[6], avg_excl(ctx, x)),
    };
    return genlab_concat(ctx, 4, br, 1);
}

static genlab_tensor *b_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x)
{
    genlab_tensor *br[3] = {
        basic(ctx, &c[0], x),
        basic(ctx, &c[3], basic(ctx, &c[2], basic(ctx, &c[1], x))),
        genlab_max_pool2d(ctx, x, 3, 2, 0),
    };
    return genlab_concat(ctx, 3, br, 1);
}

static genlab_tensor *c_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x)
{
    genlab_tensor *dbl = basic(ctx, &c[4], x);
    for (int i = 5; i <= 8; i++)
        dbl = basic(ctx, &c[i], dbl);
    genlab_tensor *br[4] = {
        basic(ctx, &c[0], x),
        basic(ctx, &c[3], basic(ctx, &c[2], basic(ctx, &c[1], x))),
        dbl,
        basic(ctx, &c[9], avg_excl(ctx, x)),
    };
    return genlab_concat(ctx, 4, br, 1);
}

static genlab_tensor *d_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x)
{
    genlab_tensor *b7 = basic(ctx, &c[2], x);
    for (int i = 3; i <= 5; i++)
        b7 = basic(ctx, &c[i], b7);
    genlab_tensor *br[3] = {
        basic(ctx, &c[1], basic(ctx, &c[0], x)),
        b7,
        genlab_max_pool2d(ctx, x, 3, 2, 0),
    };
    return genlab_concat(ctx, 3, br, 1);
}

/* InceptionE with its pool branch's pool already applied to x. The two
 * inner concatenations and the outer one are one concatenation of six. */
static genlab_tensor *e_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x,
                            genlab_tensor *pooled)
{
    genlab_tensor *b3 = basic(ctx, &c[1], x);
    genlab_tensor *dbl = basic(ctx, &c[5], basic(ctx, &c[4], x));
    genlab_tensor *br[6] = {
        basic(ctx, &c[0], x),
        basic(ctx, &c[2], b3),
        basic(ctx, &c[3], b3),
        basic(ctx, &c[6], dbl),
        basic(ctx, &c[7], dbl),
        basic(ctx, &c[8], pooled),
    };
    return genlab_concat(ctx, 6, br, 1);
}

static genlab_tensor *e1_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x)
{
    return e_fwd(ctx, c, x, avg_excl(ctx, x));
}

/* FIDInceptionE_2: a max pool where InceptionE has an average pool */
static genlab_tensor *e2_fwd(genlab_ctx *ctx, const mx_conv *c, genlab_tensor *x)
{
    return e_fwd(ctx, c, x, genlab_max_pool2d(ctx, x, 3, 1, 1));
}

/* ---- the extractor ---- */

typedef struct ic_net {
    mx_extractor   base;            /* first: what the caller holds */
    mx_resize_rule rule;
    int64_t        chunk;           /* images per forward */
    mx_weights     w;
} ic_net;

/* y kept past a rewind to mark: copied into a persistent tensor, which
 * replaces *keep (the previous block's output, now read); NULL with the
 * error on ctx */
static genlab_tensor *keep_past(genlab_ctx *ctx, const genlab_ctx_mark *mark, genlab_tensor *y,
                                genlab_tensor **keep)
{
    genlab_tensor *p = NULL;
    if (y) {
        int64_t shape[4];
        for (int d = 0; d < 4; d++)
            shape[d] = genlab_tensor_dim(y, d);
        p = genlab_tensor_new_persistent(ctx, GL_F32, 4, shape);
        if (p && genlab_tensor_copy_into(ctx, p, y) != GL_OK) {
            genlab_tensor_free(p);
            p = NULL;
        }
    }
    genlab_ctx_rewind(ctx, mark);
    genlab_tensor_free(*keep);
    *keep = p;
    return p;
}

/* x (n, 3, 299, 299), made after mark -> pool3 features (n, 2048) and
 * *logits (n, 1008, unbiased) when logits is not NULL, made after mark; each
 * block's output kept in a persistent tensor, everything else the block
 * made rewound */
static genlab_tensor *forward(genlab_ctx *ctx, const ic_net *net, const genlab_ctx_mark *mark,
                              genlab_tensor *x, genlab_tensor **logits)
{
    const mx_conv *c = net->w.conv;
    genlab_tensor *keep = NULL;
    for (int b = 0; b < IC_BLOCKS && x; c += blocks[b++].n_convs)
        x = keep_past(ctx, mark, blocks[b].forward(ctx, c, x), &keep);
    genlab_tensor *pool = genlab_global_avg_pool(ctx, x);
    if (logits)
        *logits = genlab_linear(ctx, pool, net->w.fc_w, NULL);
    genlab_tensor_free(keep);
    return pool;
}

/* images, checked, in chunks of net->chunk through the preprocessing (when
 * preprocess) and the network into feat and logits (may be NULL) */
static genlab_status extract(genlab_ctx *ctx, const ic_net *net, genlab_tensor *images,
                             bool preprocess, float *feat, float *logits)
{
    const int64_t n = genlab_tensor_dim(images, 0);
    genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
    bool grad = genlab_set_grad_enabled(ctx, false);
    const int64_t chunk = net->chunk;
    for (int64_t start = 0; start < n && genlab_ctx_status(ctx) == GL_OK; start += chunk) {
        int64_t m = n - start < chunk ? n - start : chunk;
        genlab_tensor *part = m == n ? images : genlab_slice(ctx, images, 0, start, m);
        if (preprocess)
            part = mx_inception_preprocess(ctx, part, net->rule);
        genlab_tensor *lg = NULL;
        genlab_tensor *pool = forward(ctx, net, &mark, part, logits ? &lg : NULL);
        if (pool && (!logits || lg)) {
            memcpy(feat + start * IC_FEATURES, genlab_tensor_f32(pool),
                   (size_t)(m * IC_FEATURES) * sizeof *feat);
            if (logits)
                memcpy(logits + start * IC_CLASSES, genlab_tensor_f32(lg),
                       (size_t)(m * IC_CLASSES) * sizeof *logits);
        }
        genlab_ctx_rewind(ctx, &mark);
    }
    genlab_set_grad_enabled(ctx, grad);
    return genlab_ctx_status(ctx);
}

/* GL_OK when images is (N, C, H, W) float32 with C in {c1, c2} and H, W
 * at least min_side; else the error, naming the shape and what is wanted */
static genlab_status check_images(genlab_ctx *ctx, const char *who, const genlab_tensor *images,
                                  int c1, int c2, int64_t min_side, const char *want)
{
    if (!images)
        return genlab_ctx_status(ctx) != GL_OK
                   ? genlab_ctx_status(ctx)
                   : genlab_errorf(ctx, GL_ERR_INVALID, "%s: no images", who);
    bool ok = genlab_tensor_dtype(images) == GL_F32 && genlab_tensor_ndim(images) == 4;
    for (int d = 0; ok && d < 4; d++)
        ok = genlab_tensor_dim(images, d) >= (d < 2 ? 1 : min_side);
    if (ok && (genlab_tensor_dim(images, 1) == c1 || genlab_tensor_dim(images, 1) == c2))
        return GL_OK;
    char b[96];
    return genlab_errorf(ctx, GL_ERR_SHAPE, "%s: images %s must be %s", who,
                         genlab_tensor_shape_str(images, b, sizeof b), want);
}

static genlab_status ic_features(genlab_ctx *ctx, mx_extractor *x, genlab_tensor *images,
                                 float *feat, float *logits)
{
    genlab_status st = check_images(ctx, x->name, images, 1, 3, 1,
                                    "(N, C, H, W) float32 with C 1 (gray) or 3 (RGB)");
    return st != GL_OK ? st : extract(ctx, (const ic_net *)x, images, true, feat, logits);
}

genlab_status mx_inception_run(genlab_ctx *ctx, mx_extractor *x, genlab_tensor *input,
                               float *feat, float *logits)
{
    genlab_status st = check_images(ctx, x->name, input, 3, 3, IC_MIN_SIDE,
                                    "(N, 3, H, W) float32 with H, W >= 75");
    return st != GL_OK ? st : extract(ctx, (const ic_net *)x, input, false, feat, logits);
}

void mx_inception_set_chunk(mx_extractor *x, int64_t chunk)
{
    ((ic_net *)x)->chunk = chunk < 1 ? IC_CHUNK : chunk;
}

static void ic_destroy(mx_extractor *x)
{
    if (!x)
        return;
    ic_net *net = (ic_net *)x;
    mx_inception_weights_free(&net->w);
    free(net);
}

genlab_status mx_inception_open(genlab_ctx *ctx, const char *weights, const char *resize,
                                mx_extractor **out)
{
    *out = NULL;
    mx_resize_rule rule;
    const char *label;
    genlab_status st = mx_inception_resize_rule(ctx, resize, &rule, &label);
    if (st != GL_OK)
        return st;
    ic_net *net = calloc(1, sizeof *net);
    if (!net)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "inception: out of memory");
    net->base = (mx_extractor){.name = "inception-v3-fid", .resize = label, .dim = IC_FEATURES,
                               .n_logits = IC_CLASSES, .logits = "fc-without-bias",
                               .features = ic_features,
                               .destroy = ic_destroy};
    net->rule = rule;
    net->chunk = IC_CHUNK;
    st = mx_inception_weights_load(ctx, weights, &net->w);
    memcpy(net->base.sha256, net->w.sha256, sizeof net->base.sha256);
    if (st != GL_OK) {
        ic_destroy(&net->base);
        return st;
    }
    *out = &net->base;
    return GL_OK;
}
