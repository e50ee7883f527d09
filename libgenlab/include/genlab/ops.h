/* SPDX-License-Identifier: MIT
 *
 * ops.h — the differentiable operations.
 *
 * Every op takes the context first and returns a new arena tensor, or NULL
 * with a sticky error on the context (see context.h); a NULL input makes the
 * op return NULL and keep the first error. Inputs are never modified.
 * Every op records itself on the autograd tape when grad mode is on and an
 * input requires grad; its backward is built from these same ops, so all of
 * them can be differentiated twice.
 *
 * Broadcasting follows NumPy: shapes are aligned at the right, and a
 * dimension of 1 (or a missing one) stretches to the other's size.
 *
 * Sections: elementwise, activations, reductions, shape, linear algebra,
 * convolution, pooling and resampling, normalisation, softmax and losses.
 */
#ifndef GENLAB_OPS_H
#define GENLAB_OPS_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- elementwise (broadcasting) ---- */
genlab_tensor *genlab_add(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b);
genlab_tensor *genlab_sub(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b);
genlab_tensor *genlab_mul(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b);
genlab_tensor *genlab_div(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b);
/* genlab_scale — s * x. genlab_affine — s * x + c (c broadcast as a scalar). */
genlab_tensor *genlab_scale(genlab_ctx *ctx, genlab_tensor *x, float s);
genlab_tensor *genlab_affine(genlab_ctx *ctx, genlab_tensor *x, float s, float c);

/* ---- activations and elementwise functions ---- */
genlab_tensor *genlab_relu(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_leaky_relu(genlab_ctx *ctx, genlab_tensor *x, float slope);
genlab_tensor *genlab_silu(genlab_ctx *ctx, genlab_tensor *x);
/* genlab_gelu — exact GELU, x * Phi(x) (PyTorch's default, approximate='none'). */
genlab_tensor *genlab_gelu(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_tanh(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_sigmoid(genlab_ctx *ctx, genlab_tensor *x);
/* genlab_softplus — log(1 + exp(x)), computed without overflow. */
genlab_tensor *genlab_softplus(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_exp(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_log(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_sqrt(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_abs(genlab_ctx *ctx, genlab_tensor *x);
/* genlab_pow — x^p for a constant exponent p. */
genlab_tensor *genlab_pow(genlab_ctx *ctx, genlab_tensor *x, float p);
/* genlab_dropout — zero each element with probability p and scale the rest
 * by 1/(1-p) when training; identity otherwise. Uses the context RNG. */
genlab_tensor *genlab_dropout(genlab_ctx *ctx, genlab_tensor *x, float p, bool training);
/* genlab_lerp_steps — `steps` points evenly spaced on the segment from a to
 * b, endpoints included: out[t] = (1 - w_t) a + w_t b with w_t = t / (steps
 * - 1), of shape (steps, a's shape); out[0] is a and out[steps - 1] is b
 * exactly. A linear latent interpolation (seed 001: z1, 8 points between,
 * z2 for steps = 10). a and b of one shape (at most GL_MAX_DIMS - 1 axes);
 * steps in [2, 2^20]. */
genlab_tensor *genlab_lerp_steps(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b,
                                 int64_t steps);

/* ---- reductions ---- */
/* genlab_sum / genlab_mean — over the listed axes (negative allowed);
 * keepdim keeps them as size 1. n_axes = 0 reduces over all axes. */
genlab_tensor *genlab_sum(genlab_ctx *ctx, genlab_tensor *x, int n_axes, const int *axes,
                          bool keepdim);
genlab_tensor *genlab_mean(genlab_ctx *ctx, genlab_tensor *x, int n_axes, const int *axes,
                           bool keepdim);
/* genlab_sum_all / genlab_mean_all — to a 0-d scalar. */
genlab_tensor *genlab_sum_all(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_mean_all(genlab_ctx *ctx, genlab_tensor *x);

/* ---- shape ---- */
/* genlab_reshape — same data, new shape; one entry may be -1 (inferred). */
genlab_tensor *genlab_reshape(genlab_ctx *ctx, genlab_tensor *x, int ndim, const int64_t *shape);
/* genlab_flatten — keep axes before start_axis, merge the rest into one. */
genlab_tensor *genlab_flatten(genlab_ctx *ctx, genlab_tensor *x, int start_axis);
/* genlab_permute — reorder axes: output axis i is input axis perm[i]. */
genlab_tensor *genlab_permute(genlab_ctx *ctx, genlab_tensor *x, const int *perm);
/* genlab_expand — broadcast x to shape. genlab_sum_to — the reverse: sum the
 * broadcast axes away so that the result has shape. */
genlab_tensor *genlab_expand(genlab_ctx *ctx, genlab_tensor *x, int ndim, const int64_t *shape);
genlab_tensor *genlab_sum_to(genlab_ctx *ctx, genlab_tensor *x, int ndim, const int64_t *shape);
/* genlab_concat — join n tensors along axis (other dims equal). */
genlab_tensor *genlab_concat(genlab_ctx *ctx, int n, genlab_tensor *const *xs, int axis);
/* genlab_slice — x[..., start:start+len, ...] along axis (a copy). */
genlab_tensor *genlab_slice(genlab_ctx *ctx, genlab_tensor *x, int axis, int64_t start,
                            int64_t len);
/* genlab_split — n consecutive slices along axis with the given sizes.
 * outs: OUT: n tensors. Returns GL_OK or the error. */
genlab_status genlab_split(genlab_ctx *ctx, genlab_tensor *x, int axis, int n,
                           const int64_t *sizes, genlab_tensor **outs);
/* genlab_pad_axis — zeros before and after x along axis (the adjoint of slice). */
genlab_tensor *genlab_pad_axis(genlab_ctx *ctx, genlab_tensor *x, int axis, int64_t before,
                               int64_t after);

/* ---- linear algebra ---- */
/* genlab_matmul — op(a) @ op(b), op = transpose when the flag is set.
 * 2-D: (M,K)@(K,N). 3-D: batched over the first axis (equal batch sizes). */
genlab_tensor *genlab_matmul(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b,
                             bool trans_a, bool trans_b);
/* genlab_linear — x (N, in) @ w^T (w: (out, in)) + b (out) ; b may be NULL. */
genlab_tensor *genlab_linear(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                             genlab_tensor *b);

/* ---- convolution ---- */
typedef struct genlab_conv_opts {
    int stride[2];          /* (h, w); 0 means 1 */
    int padding[2];         /* zero padding (h, w) */
    int dilation[2];        /* 0 means 1 */
    int output_padding[2];  /* conv_transpose2d only: extra size on one side */
    int groups;             /* 0 means 1 */
} genlab_conv_opts;

/* genlab_conv2d — x (N, Cin, H, W), w (Cout, Cin/groups, kh, kw), b (Cout) or NULL. */
genlab_tensor *genlab_conv2d(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                             genlab_tensor *b, const genlab_conv_opts *opts);
/* genlab_conv_transpose2d — x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw),
 * b (Cout) or NULL; the adjoint of conv2d with the same options. */
genlab_tensor *genlab_conv_transpose2d(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                                       genlab_tensor *b, const genlab_conv_opts *opts);
/* genlab_conv2d_weight — the weight gradient of conv2d as an op: for x
 * (N, Cin, H, W) and gy (N, Cout, Ho, Wo), returns (Cout, Cin/groups, kh, kw).
 * Exposed because the backward of conv2d and conv_transpose2d uses it. */
genlab_tensor *genlab_conv2d_weight(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gy,
                                    int kh, int kw, const genlab_conv_opts *opts);

/* ---- pooling and resampling (NCHW) ---- */
/* genlab_avg_pool2d — count_include_pad semantics, as PyTorch's default. */
genlab_tensor *genlab_avg_pool2d(genlab_ctx *ctx, genlab_tensor *x, int k, int stride, int pad);
/* genlab_avg_pool2d_v2 — genlab_avg_pool2d with PyTorch's count_include_pad
 * choice. true: every window's sum over k^2 (genlab_avg_pool2d). false: over
 * the number of its entries inside x, the padding not counted (TensorFlow's
 * average pool, which the FID Inception network uses). The same argument
 * checks and errors as genlab_avg_pool2d; differentiable twice. */
genlab_tensor *genlab_avg_pool2d_v2(genlab_ctx *ctx, genlab_tensor *x, int k, int stride,
                                    int pad, bool count_include_pad);
genlab_tensor *genlab_max_pool2d(genlab_ctx *ctx, genlab_tensor *x, int k, int stride, int pad);
/* global pools: (N, C, H, W) -> (N, C) */
genlab_tensor *genlab_global_avg_pool(genlab_ctx *ctx, genlab_tensor *x);
genlab_tensor *genlab_global_sum_pool(genlab_ctx *ctx, genlab_tensor *x);
/* genlab_upsample_nearest — integer factor in both directions. */
genlab_tensor *genlab_upsample_nearest(genlab_ctx *ctx, genlab_tensor *x, int scale);
/* genlab_upsample_bilinear — to (out_h, out_w); align_corners as in PyTorch. */
genlab_tensor *genlab_upsample_bilinear(genlab_ctx *ctx, genlab_tensor *x, int64_t out_h,
                                        int64_t out_w, bool align_corners);

/* ---- normalisation ---- */
/* genlab_batch_norm — x (N, C, ...). training: normalise with batch
 * statistics and, if running_mean/var are given, update them in place
 * (momentum as in PyTorch, unbiased variance); eval: use the running stats.
 * gamma/beta (C) may be NULL (no affine). Training mode is one op where
 * the backend has the fused kernels (CPU, CUDA): the forward writes y once
 * and the backward is one kernel call, unless the backward itself is being
 * recorded (create_graph), when it is composed of public ops; eval mode is
 * composed. Differentiable twice either way. Returns a new arena tensor,
 * or NULL with a sticky error (bad shapes, eps or momentum, eval without
 * running stats, one value per channel when training). */
genlab_tensor *genlab_batch_norm(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *gamma,
                                 genlab_tensor *beta, genlab_tensor *running_mean,
                                 genlab_tensor *running_var, bool training, float momentum,
                                 float eps);
/* genlab_group_norm — x (N, C, ...), C divisible by groups; gamma/beta (C) or
 * NULL. genlab_group_norm_act with GL_ACT_NONE. */
genlab_tensor *genlab_group_norm(genlab_ctx *ctx, genlab_tensor *x, int groups,
                                 genlab_tensor *gamma, genlab_tensor *beta, float eps);
/* Activations a normalisation may apply to its own output (one pass). */
typedef enum genlab_act {
    GL_ACT_NONE = 0,
    GL_ACT_SILU = 1          /* x * sigmoid(x) */
} genlab_act;
/* genlab_group_norm_act — act(genlab_group_norm(x, groups, gamma, beta,
 * eps)) as one op: x (N, C, ...), C divisible by groups; gamma/beta (C) or
 * NULL (no affine); act GL_ACT_NONE or GL_ACT_SILU. Where the backend has
 * the fused kernels (CPU, CUDA), the forward reads x twice (statistics,
 * then the output: the group is still in cache) and writes y once, and the backward is one kernel too, unless the backward itself is
 * being recorded (create_graph: gradient penalties), when it is composed
 * of public ops and stays differentiable. Returns a new arena tensor, or
 * NULL with a sticky error (bad shapes, groups, eps or act). */
genlab_tensor *genlab_group_norm_act(genlab_ctx *ctx, genlab_tensor *x, int groups,
                                     genlab_tensor *gamma, genlab_tensor *beta, float eps,
                                     genlab_act act);
/* genlab_layer_norm — normalise over the last n_axes axes; gamma/beta have
 * the shape of those axes, or NULL. */
genlab_tensor *genlab_layer_norm(genlab_ctx *ctx, genlab_tensor *x, int n_axes,
                                 genlab_tensor *gamma, genlab_tensor *beta, float eps);

/* ---- softmax and losses ---- */
genlab_tensor *genlab_softmax(genlab_ctx *ctx, genlab_tensor *x, int axis);
genlab_tensor *genlab_log_softmax(genlab_ctx *ctx, genlab_tensor *x, int axis);

typedef enum genlab_reduction {
    GL_REDUCE_MEAN = 0,  /* mean over all elements (PyTorch default) */
    GL_REDUCE_SUM  = 1,
    GL_REDUCE_NONE = 2   /* elementwise, shape of the input */
} genlab_reduction;

/* genlab_bce_with_logits — binary cross-entropy on logits, target in [0,1]. */
genlab_tensor *genlab_bce_with_logits(genlab_ctx *ctx, genlab_tensor *logits,
                                      genlab_tensor *target, genlab_reduction red);
genlab_tensor *genlab_mse_loss(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *target,
                               genlab_reduction red);
genlab_tensor *genlab_l1_loss(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *target,
                              genlab_reduction red);
/* genlab_cross_entropy — logits (N, K), labels (N) int32 in [0, K). Mean/sum
 * over N; NONE gives (N). */
genlab_tensor *genlab_cross_entropy(genlab_ctx *ctx, genlab_tensor *logits,
                                    genlab_tensor *labels, genlab_reduction red);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_OPS_H */
