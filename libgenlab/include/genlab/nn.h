/* SPDX-License-Identifier: MIT
 *
 * nn.h — model parameters in one contiguous block, and the layers built on
 * them (Linear, Conv2d, ConvTranspose2d, BatchNorm2d, GroupNorm, LayerNorm,
 * spectral normalisation), and sequential networks of them.
 *
 * Parameters follow llm.c: every trainable tensor of a model lives in ONE
 * float block, their gradients in a second block of the same size, so an
 * optimizer step, an EMA update, a checkpoint or an all-reduce is one loop
 * over one array. Building is two-phase:
 *
 *     genlab_params *p;  genlab_params_create(ctx, &p);
 *     genlab_linear_layer fc1, fc2;                       // declare ...
 *     genlab_linear_layer_init(p, &fc1, "fc1", 2, 8, true);
 *     genlab_linear_layer_init(p, &fc2, "fc2", 8, 1, true);
 *     genlab_params_finalize(ctx, p);                     // ... then allocate + init
 *     y = genlab_linear_layer_forward(ctx, &fc2,
 *             genlab_tanh(ctx, genlab_linear_layer_forward(ctx, &fc1, x)));
 *
 * Declaring returns the parameter's tensor handle at once (so layers keep
 * plain pointers), but its data exists only after genlab_params_finalize,
 * which makes the allocations, points every tensor into its block, attaches
 * the gradient views and runs the initialisers from the context's
 * GL_STREAM_INIT random stream. Non-trainable buffers (BatchNorm running
 * statistics, spectral-norm vectors) live in a third block of the same
 * object: they are saved in checkpoints but never optimised.
 *
 * Layer structs are plain structs of tensor pointers that the caller embeds
 * in its model; they own nothing (the params object does), so there is no
 * layer destructor. Not here: optimizers (optim.h), the ops themselves
 * (ops.h), checkpoint files.
 *
 * Thread-safety: as its context, a params object and its layers are used by
 * one thread at a time.
 *
 * Sections: initialisation rules, the params object, training mode,
 * spectral normalisation, layers, sequential networks.
 */
#ifndef GENLAB_NN_H
#define GENLAB_NN_H

#include <stdbool.h>
#include <stdint.h>

#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- initialisation rules ---- */

/* How genlab_params_finalize fills a tensor. Random rules draw from the
 * context's GL_STREAM_INIT stream, in declaration order (parameters first,
 * then buffers), so the same seed and the same architecture give the same
 * bytes. */
typedef enum genlab_init_kind {
    GL_INIT_CONSTANT = 0,  /* every element = a */
    GL_INIT_UNIFORM  = 1,  /* U[a, b) */
    GL_INIT_NORMAL   = 2,  /* N(mean a, std b) */
    GL_INIT_UNIT     = 3   /* N(0, 1) draws divided by max(||x||_2, 1e-12): a random
                              unit vector (spectral-norm u and v, as PyTorch) */
} genlab_init_kind;

typedef struct genlab_init {
    genlab_init_kind kind;
    float            a, b;   /* meaning depends on kind, see above */
} genlab_init;

static inline genlab_init genlab_init_constant(float value)
{
    genlab_init r = {GL_INIT_CONSTANT, value, 0.0f};
    return r;
}
static inline genlab_init genlab_init_uniform(float lo, float hi)
{
    genlab_init r = {GL_INIT_UNIFORM, lo, hi};
    return r;
}
static inline genlab_init genlab_init_normal(float mean, float std)
{
    genlab_init r = {GL_INIT_NORMAL, mean, std};
    return r;
}

/* genlab_init_fan_in — PyTorch's fan_in of a weight shape
 * (torch.nn.init._calculate_fan_in_and_fan_out): shape[1] * prod(shape[2:]).
 * For a Linear weight (out, in) that is in; for Conv2d (Cout, Cin/g, kh, kw)
 * Cin/g*kh*kw; for ConvTranspose2d (Cin, Cout/g, kh, kw) it is Cout/g*kh*kw.
 * Returns 0 when ndim < 2. */
int64_t genlab_init_fan_in(int ndim, const int64_t *shape);

/* genlab_init_torch_default — U(-1/sqrt(fan_in), 1/sqrt(fan_in)), which is
 * what PyTorch's kaiming_uniform_(a=sqrt(5)) gives Linear and Conv weights and
 * what their biases get; the constant 0 when fan_in is 0 (as PyTorch's bias). */
genlab_init genlab_init_torch_default(int64_t fan_in);

/* ---- the params object ---- */

typedef struct genlab_params genlab_params;

/* genlab_params_create — an empty params object bound to ctx (declarations
 * report errors there; the blocks are allocated in ctx's backend memory).
 * out: OUT: the object, freed with genlab_params_destroy (before ctx).
 * Returns GL_OK or GL_ERR_NOMEM / GL_ERR_INVALID (also on ctx when it is not NULL). */
genlab_status genlab_params_create(genlab_ctx *ctx, genlab_params **out);

/* genlab_params_destroy — free the blocks, every tensor handle and name. The
 * handles returned by declare and by the accessors die with it. NULL is a no-op. */
void genlab_params_destroy(genlab_params *p);

#define GL_PARAM_NAME_MAX 256   /* bytes in a name, with its terminating NUL */

/* genlab_params_declare — declare a trainable parameter before finalize.
 * name:  unique among the object's parameters and buffers, e.g. "conv1.weight"
 *        (copied; at most GL_PARAM_NAME_MAX - 1 bytes).
 * shape: ndim (1..GL_MAX_DIMS) positive sizes.
 * init:  its initialisation rule (genlab_params_set_init may change it later).
 * Returns the parameter's tensor, owned by p; it can be stored right away but
 * holds data only after genlab_params_finalize. NULL with a sticky error on
 * ctx for a bad name or shape, a duplicate name, or a call after finalize
 * (GL_ERR_STATE). */
genlab_tensor *genlab_params_declare(genlab_params *p, const char *name, int ndim,
                                     const int64_t *shape, genlab_init init);

/* genlab_params_declare_buffer — the same for a non-trainable buffer (no
 * gradient, not seen by optimizers, saved in checkpoints). */
genlab_tensor *genlab_params_declare_buffer(genlab_params *p, const char *name, int ndim,
                                            const int64_t *shape, genlab_init init);

/* genlab_params_set_init — before finalize, give every parameter whose name
 * matches the shell pattern (fnmatch(3), '*' also matches '.') a new rule.
 * This is how an architecture overrides PyTorch's defaults, e.g. DCGAN:
 *     genlab_params_set_init(p, "*conv*.weight", genlab_init_normal(0, 0.02f));
 *     genlab_params_set_init(p, "*bn*.weight",   genlab_init_normal(1, 0.02f));
 * Rules set later win. Buffers are never matched (their rule is part of what
 * they mean). Returns GL_OK; GL_ERR_INVALID when nothing matches (a typo
 * must not silently leave the default), GL_ERR_STATE after finalize. */
genlab_status genlab_params_set_init(genlab_params *p, const char *pattern, genlab_init init);

/* genlab_params_finalize — allocate the parameter, gradient and buffer
 * blocks (one allocation each), point every declared tensor into its block
 * in declaration order without padding (parameter i+1 starts where i ends),
 * mark parameters requires_grad with their slice of the gradient block
 * attached (genlab_backward adds into it), zero the gradients and run the
 * initialisers. ctx must be the one p was created with.
 * Returns GL_OK; the sticky status if a declaration failed earlier;
 * GL_ERR_STATE if called twice; GL_ERR_NOMEM. */
genlab_status genlab_params_finalize(genlab_ctx *ctx, genlab_params *p);

/* Accessors. Indices run over parameters in declaration order; an index out
 * of range gives NULL. Pointers and names are owned by p and stay valid until
 * genlab_params_destroy; data/grad/buffer pointers are NULL before finalize
 * (and for an object with nothing declared). Data is host memory on the CPU
 * backend. */
int64_t        genlab_params_count(const genlab_params *p);  /* parameter tensors */
int64_t        genlab_params_numel(const genlab_params *p);  /* floats in the block */
const char    *genlab_params_name(const genlab_params *p, int64_t i);
genlab_tensor *genlab_params_tensor(const genlab_params *p, int64_t i);
float         *genlab_params_data(genlab_params *p);         /* (numel) */
float         *genlab_params_grad(genlab_params *p);         /* (numel) */
int64_t        genlab_params_buffer_count(const genlab_params *p);
int64_t        genlab_params_buffer_numel(const genlab_params *p);
const char    *genlab_params_buffer_name(const genlab_params *p, int64_t i);
genlab_tensor *genlab_params_buffer_tensor(const genlab_params *p, int64_t i);
float         *genlab_params_buffer_data(genlab_params *p);  /* (buffer_numel) */
bool           genlab_params_finalized(const genlab_params *p);

/* genlab_params_find — the parameter or buffer called name, or NULL. */
/* genlab_params_visit — fn for each parameter as "<prefix>.params.<name>"
 * and each buffer as "<prefix>.buffers.<name>", in declaration order (a
 * finalized block). For checkpoints: names are stable, and other tools
 * read the weights tensor by tensor. Returns GL_OK or fn's first failure;
 * GL_ERR_STATE before finalize. */
genlab_status genlab_params_visit(genlab_params *p, const char *prefix, genlab_visit_fn fn,
                                  void *user);

genlab_tensor *genlab_params_find(const genlab_params *p, const char *name);

/* genlab_params_zero_grad — set the whole gradient block to 0 (once per
 * step, before backward: gradients accumulate). No-op before finalize. */
void genlab_params_zero_grad(genlab_params *p);

/* ---- training mode ---- */

/* genlab_params_set_training — the model-wide train/eval switch (PyTorch's
 * module.train()/eval()), read by the layers whose behaviour depends on it:
 * BatchNorm2d (batch vs running statistics, running-stat updates) and
 * spectral norm (power iteration only when training). A new object is in
 * training mode. */
void genlab_params_set_training(genlab_params *p, bool training);
bool genlab_params_training(const genlab_params *p);

/* ---- spectral normalisation ---- */

/* Spectral normalisation of a weight (Miyato et al. 2018), exactly as
 * torch.nn.utils.spectral_norm: W is viewed as a matrix with axis `dim`
 * first (h rows, w = numel / h columns); buffers u (h) and v (w) start as
 * random unit vectors; each training forward runs n_power_iterations of
 *     v = normalize(W^T u),  u = normalize(W v)     (no gradient through u, v)
 * and returns W / sigma with sigma = u^T W v computed with ops, so the
 * gradient flows through sigma as in PyTorch. In eval mode the stored u, v
 * are used as they are. */
typedef struct genlab_spectral_norm {
    genlab_tensor *weight;           /* the raw parameter W */
    genlab_tensor *u;                /* (h) buffer "<weight name>_u"; NULL: not enabled */
    genlab_tensor *v;                /* (w) buffer "<weight name>_v" */
    int            dim;              /* 0 for Linear/Conv2d, 1 for ConvTranspose2d */
    int            n_power_iterations; /* 1 */
    float          eps;              /* 1e-12, in normalize */
} genlab_spectral_norm;

/* genlab_spectral_norm_init — wrap weight (a parameter of p, ndim >= 2)
 * before finalize: declares the u and v buffers after its name.
 * sn: OUT: filled in. Returns GL_OK, or GL_ERR_INVALID (weight not in p, bad
 * dim) / GL_ERR_STATE (after finalize), also on p's context. */
genlab_status genlab_spectral_norm_init(genlab_params *p, genlab_spectral_norm *sn,
                                        genlab_tensor *weight, int dim);

/* genlab_spectral_norm_weight — W / sigma (an arena tensor), updating u and
 * v first when training. NULL with a sticky error on failure. */
genlab_tensor *genlab_spectral_norm_weight(genlab_ctx *ctx, genlab_spectral_norm *sn,
                                           bool training);

/* ---- layers ----
 *
 * Each layer: a struct with its tensors (shape comments give the layout),
 * `<layer>_init(p, layer, name, ...)` which declares "<name>.weight" and
 * friends in p with PyTorch's default initialisation and returns a status
 * (GL_OK, or GL_ERR_INVALID for a bad size, also on p's context), and
 * `<layer>_forward(ctx, layer, x)` which returns an arena tensor or NULL
 * with a sticky error (NULL x, wrong input shape, p not finalized).
 * Layers read the train/eval mode of the params object they were declared in. */

/* Linear: y = x W^T + b for x (*, in) -> (*, out). Weight and bias
 * U(-1/sqrt(in), 1/sqrt(in)). */
typedef struct genlab_linear_layer {
    genlab_params       *params;
    genlab_tensor       *weight;   /* (out, in) */
    genlab_tensor       *bias;     /* (out), or NULL */
    int64_t              in, out;
    genlab_spectral_norm sn;       /* sn.u == NULL: off */
} genlab_linear_layer;

genlab_status  genlab_linear_layer_init(genlab_params *p, genlab_linear_layer *l,
                                        const char *name, int in, int out, bool bias);
/* genlab_linear_layer_spectral_norm — normalise the weight (dim 0); before finalize. */
genlab_status  genlab_linear_layer_spectral_norm(genlab_linear_layer *l);
genlab_tensor *genlab_linear_layer_forward(genlab_ctx *ctx, genlab_linear_layer *l,
                                           genlab_tensor *x);

/* Conv2d: x (N, cin, H, W) -> (N, cout, Ho, Wo). opts NULL means stride 1,
 * no padding, dilation 1, groups 1 (output_padding must be 0). Weight and bias
 * U(-1/sqrt(fan_in), ..), fan_in = cin/groups * kh * kw. */
typedef struct genlab_conv2d_layer {
    genlab_params       *params;
    genlab_tensor       *weight;   /* (cout, cin/groups, kh, kw) */
    genlab_tensor       *bias;     /* (cout), or NULL */
    int64_t              cin, cout, kh, kw;
    genlab_conv_opts     opts;
    genlab_spectral_norm sn;       /* dim 0 */
} genlab_conv2d_layer;

genlab_status  genlab_conv2d_layer_init(genlab_params *p, genlab_conv2d_layer *l,
                                        const char *name, int cin, int cout, int kh, int kw,
                                        const genlab_conv_opts *opts, bool bias);
genlab_status  genlab_conv2d_layer_spectral_norm(genlab_conv2d_layer *l);
genlab_tensor *genlab_conv2d_layer_forward(genlab_ctx *ctx, genlab_conv2d_layer *l,
                                           genlab_tensor *x);
/* genlab_conv2d_layer_forward_shift — forward(x) + shift viewed as (N,
 * cout, 1, 1): shift (N, cout) is added to the bias first, so the output
 * takes one add pass instead of two and the bias's gradient is summed from
 * the small (N, cout) one (a UNet block's time embedding). shift NULL:
 * genlab_conv2d_layer_forward. Sticky GL_ERR_SHAPE unless shift is (N,
 * cout) for x (N, cin, H, W). */
genlab_tensor *genlab_conv2d_layer_forward_shift(genlab_ctx *ctx, genlab_conv2d_layer *l,
                                                 genlab_tensor *x, genlab_tensor *shift);

/* ConvTranspose2d: x (N, cin, H, W) -> (N, cout, Ho, Wo). Weight and bias
 * U(-1/sqrt(fan_in), ..) with PyTorch's fan_in of this weight layout,
 * cout/groups * kh * kw. output_padding must be below stride or dilation. */
typedef struct genlab_conv_transpose2d_layer {
    genlab_params       *params;
    genlab_tensor       *weight;   /* (cin, cout/groups, kh, kw) */
    genlab_tensor       *bias;     /* (cout), or NULL */
    int64_t              cin, cout, kh, kw;
    genlab_conv_opts     opts;
    genlab_spectral_norm sn;       /* dim 1, as PyTorch does for ConvTranspose */
} genlab_conv_transpose2d_layer;

genlab_status  genlab_conv_transpose2d_layer_init(genlab_params *p,
                                                  genlab_conv_transpose2d_layer *l,
                                                  const char *name, int cin, int cout, int kh,
                                                  int kw, const genlab_conv_opts *opts,
                                                  bool bias);
genlab_status  genlab_conv_transpose2d_layer_spectral_norm(genlab_conv_transpose2d_layer *l);
genlab_tensor *genlab_conv_transpose2d_layer_forward(genlab_ctx *ctx,
                                                     genlab_conv_transpose2d_layer *l,
                                                     genlab_tensor *x);

/* BatchNorm2d: x (N, C, H, W). Training: batch statistics, and the running
 * statistics updated in place (momentum, unbiased variance); eval: running
 * statistics. weight 1, bias 0, running_mean 0, running_var 1. */
typedef struct genlab_batch_norm2d_layer {
    genlab_params *params;
    genlab_tensor *weight;         /* (C), or NULL when not affine */
    genlab_tensor *bias;           /* (C), or NULL when not affine */
    genlab_tensor *running_mean;   /* (C) buffer */
    genlab_tensor *running_var;    /* (C) buffer */
    int64_t        channels;
    float          momentum;       /* 0.1 */
    float          eps;            /* 1e-5 */
} genlab_batch_norm2d_layer;

genlab_status  genlab_batch_norm2d_layer_init(genlab_params *p, genlab_batch_norm2d_layer *l,
                                              const char *name, int channels, bool affine);
genlab_tensor *genlab_batch_norm2d_layer_forward(genlab_ctx *ctx, genlab_batch_norm2d_layer *l,
                                                 genlab_tensor *x);

/* GroupNorm: x (N, C, ...), C divisible by groups. weight 1, bias 0. */
typedef struct genlab_group_norm_layer {
    genlab_params *params;
    genlab_tensor *weight;         /* (C), or NULL when not affine */
    genlab_tensor *bias;           /* (C), or NULL when not affine */
    int64_t        groups, channels;
    float          eps;            /* 1e-5 */
} genlab_group_norm_layer;

genlab_status  genlab_group_norm_layer_init(genlab_params *p, genlab_group_norm_layer *l,
                                            const char *name, int groups, int channels,
                                            bool affine);
genlab_tensor *genlab_group_norm_layer_forward(genlab_ctx *ctx, genlab_group_norm_layer *l,
                                               genlab_tensor *x);
/* genlab_group_norm_layer_forward_act — act(forward(x)) as one fused op
 * (genlab_group_norm_act): the GroupNorm + SiLU pairs of a UNet. */
genlab_tensor *genlab_group_norm_layer_forward_act(genlab_ctx *ctx, genlab_group_norm_layer *l,
                                                   genlab_tensor *x, genlab_act act);

/* LayerNorm: normalise over the last ndim axes, which must equal shape
 * (PyTorch's normalized_shape). weight 1, bias 0 (elementwise affine). */
typedef struct genlab_layer_norm_layer {
    genlab_params *params;
    genlab_tensor *weight;         /* (shape), or NULL when not affine */
    genlab_tensor *bias;           /* (shape), or NULL when not affine */
    int            ndim;
    int64_t        shape[GL_MAX_DIMS];
    float          eps;            /* 1e-5 */
} genlab_layer_norm_layer;

genlab_status  genlab_layer_norm_layer_init(genlab_params *p, genlab_layer_norm_layer *l,
                                            const char *name, int ndim, const int64_t *shape,
                                            bool affine);
genlab_tensor *genlab_layer_norm_layer_forward(genlab_ctx *ctx, genlab_layer_norm_layer *l,
                                               genlab_tensor *x);

/* ---- sequential networks ----
 *
 * A network that is a plain chain of layers — Linear, Conv2d or
 * ConvTranspose2d, each followed by an optional BatchNorm, an activation
 * and dropout — described layer by layer, then run as one forward. This is
 * how the DCGANs, the MLPs and the VAEs of the plugins are written in a few
 * lines each:
 *
 *     genlab_seq s;
 *     genlab_seq_init(ctx, &s, p, "arch mlp", 784, 0, 0);   // flat input
 *     genlab_seq_add(&s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc1", 400,
 *                                                 .bias = true, .act = GL_SEQ_RELU});
 *     genlab_seq_add(&s, &(genlab_seq_def){GL_SEQ_LINEAR, "fc2", 40, .bias = true});
 *     genlab_params_finalize(ctx, p);
 *     y = genlab_seq_forward(ctx, &s, x, true);              // (N, 40)
 *
 * The running shape is per sample: (c) features, or (c, h, w) maps. A conv
 * takes a flat input as (c, 1, 1); a Linear flattens a map; genlab_seq_view
 * reinterprets features as a map, as PyTorch's .view after a Linear. The
 * struct is plain data owning nothing (the params object owns the tensors):
 * embed it, and drop it with the params. */

#define GL_SEQ_MAX 12                 /* layers in one sequential network */
#define GL_SEQ_LRELU_SLOPE 0.2f       /* LeakyReLU's slope unless a layer gives one */

typedef enum genlab_seq_op {
    GL_SEQ_LINEAR = 0,                /* flattens its input */
    GL_SEQ_CONV   = 1,
    GL_SEQ_DECONV = 2                 /* ConvTranspose2d */
} genlab_seq_op;

typedef enum genlab_seq_act {
    GL_SEQ_NONE    = 0,
    GL_SEQ_RELU    = 1,
    GL_SEQ_LRELU   = 2,               /* the layer's slope */
    GL_SEQ_TANH    = 3,
    GL_SEQ_SIGMOID = 4
} genlab_seq_act;

/* One layer as a network describes it. Members after `bias` are optional
 * (designated initialisers leave them zero). */
typedef struct genlab_seq_def {
    genlab_seq_op op;
    const char   *name;           /* parameter prefix: "conv1" -> "conv1.weight" */
    int64_t       cout;           /* output channels (features for GL_SEQ_LINEAR) */
    int           k, stride, pad; /* square kernel; unused by GL_SEQ_LINEAR */
    bool          bias;
    const char   *norm;           /* BatchNorm's name ("bn1"), or NULL: none. After a
                                   * GL_SEQ_LINEAR it is PyTorch's BatchNorm1d */
    bool          norm_after_act; /* activation, then BatchNorm (seed 002's D) */
    genlab_seq_act act;
    float         dropout;        /* probability; 0: none */
    float         slope;          /* GL_SEQ_LRELU's negative slope; 0: GL_SEQ_LRELU_SLOPE */
    int           out_pad;        /* GL_SEQ_DECONV's output_padding (< stride) */
} genlab_seq_def;

/* One built layer. */
typedef struct genlab_seq_layer {
    genlab_seq_op op;
    union {
        genlab_linear_layer           fc;
        genlab_conv2d_layer           conv;
        genlab_conv_transpose2d_layer deconv;
    };
    bool                      has_norm, norm_after_act;
    genlab_batch_norm2d_layer bn;
    genlab_seq_act            act;
    float                     dropout, slope;
    int64_t                   in[3];   /* (C, H, W) a conv reshapes a flat input to */
} genlab_seq_layer;

/* A sequential network being built, then run. */
typedef struct genlab_seq {
    genlab_ctx      *ctx;         /* for build errors */
    genlab_params   *p;
    char             who[384];    /* what build errors start with */
    bool             sn;          /* spectral-normalise every weight added from now */
    bool             has_norm;    /* some layer has a BatchNorm */
    int              n;
    genlab_seq_layer l[GL_SEQ_MAX];
    int64_t          c, h, w;     /* the running shape: (c) when h == 0 */
} genlab_seq;

/* genlab_seq_init — an empty network on p taking per-sample inputs of
 * (c) features (h = w = 0) or (c, h, w) maps. who (copied, truncated to
 * fit) starts every message of a failed add or view: an arch passes its
 * genlab_arch_refusal. Returns GL_OK; GL_ERR_INVALID (also on ctx) for a
 * NULL s or p, or a size below 1 (h and w may both be 0). */
genlab_status genlab_seq_init(genlab_ctx *ctx, genlab_seq *s, genlab_params *p, const char *who,
                              int64_t c, int64_t h, int64_t w);

/* genlab_seq_add — append a layer taking the running shape, declaring its
 * tensors in s->p (with spectral norm on its weight when s->sn), and
 * advance the running shape. A map the layer cannot take (a side below 1)
 * is GL_ERR_SHAPE "<who>: the image is too small: NAME (kernel k, stride
 * s, padding p) gets a HxW map"; more than GL_SEQ_MAX layers is
 * GL_ERR_INVALID. Returns GL_OK or the error (also on s->ctx; an earlier
 * error on s->ctx is returned at once). */
genlab_status genlab_seq_add(genlab_seq *s, const genlab_seq_def *d);

/* genlab_seq_view — reinterpret the running shape as (c, h, w) (h = w = 0:
 * (c) features), as PyTorch's view between a Linear and a conv. Returns
 * GL_OK, or GL_ERR_INVALID (on s->ctx) when the sizes differ. */
genlab_status genlab_seq_view(genlab_seq *s, int64_t c, int64_t h, int64_t w);

/* genlab_seq_forward — run the layers on x (N, ...) and return the result
 * reshaped to (N, out_shape[0..out_ndim)) — an arch's spec output — or,
 * with out_ndim 0, as the last layer makes it: (N, c) or (N, c, h, w).
 * training: batch statistics and dropout; it sets the params' train/eval
 * mode (spectral norm's power iteration reads it). Returns an arena
 * tensor, or NULL (error on ctx; NULL x gives NULL). */
genlab_tensor *genlab_seq_forward(genlab_ctx *ctx, genlab_seq *s, genlab_tensor *x,
                                  bool training, int out_ndim, const int64_t *out_shape);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_NN_H */
