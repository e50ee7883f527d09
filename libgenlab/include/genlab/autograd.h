/* SPDX-License-Identifier: MIT
 *
 * autograd.h — reverse-mode differentiation over the define-by-run tape.
 *
 * Every op whose inputs require a gradient (and while grad mode is on)
 * appends a node to the context's tape. Each node's backward is written with
 * ordinary ops, so with create_graph the gradient is itself on the tape and
 * can be differentiated again — WGAN-GP's gradient penalty needs no special
 * case:
 *
 *     genlab_tensor *g;
 *     genlab_grad(ctx, 1, &d_out, NULL, 1, &x_hat, true, &g);
 *     penalty = mean((||g||_2 - 1)^2);  genlab_backward(ctx, penalty);
 *
 * The tape lives in the step arena and is cleared by genlab_ctx_step_begin.
 */
#ifndef GENLAB_AUTOGRAD_H
#define GENLAB_AUTOGRAD_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* genlab_backward — d(loss)/d(leaf) for every leaf reachable from loss that
 * requires grad and has a grad buffer, *added* into that buffer (zero the
 * buffers between steps). loss must have one element. The graph is kept, so
 * backward may be called again on another output of the same step. */
genlab_status genlab_backward(genlab_ctx *ctx, genlab_tensor *loss);

/* genlab_grad — gradients of outputs with respect to inputs, returned rather
 * than accumulated (torch.autograd.grad).
 * outputs, n_out:     tensors to differentiate.
 * grad_outputs:       weights for each output (same shapes), or NULL for ones.
 * inputs, n_in:       tensors to differentiate with respect to (leaves or not).
 * create_graph:       record the backward on the tape (for higher order).
 * grads:              OUT: n_in arena tensors; an input that does not affect
 *                     the outputs gets zeros.
 * Returns GL_OK or the first error (also on ctx). */
genlab_status genlab_grad(genlab_ctx *ctx, int n_out, genlab_tensor *const *outputs,
                          genlab_tensor *const *grad_outputs, int n_in,
                          genlab_tensor *const *inputs, bool create_graph,
                          genlab_tensor **grads);

/* genlab_set_grad_enabled — turn recording on or off; returns the previous
 * setting. With recording off, ops make no nodes (inference, EMA updates). */
bool genlab_set_grad_enabled(genlab_ctx *ctx, bool enabled);
bool genlab_grad_enabled(const genlab_ctx *ctx);

/* genlab_detach — a tensor sharing x's data with no history (no copy). */
genlab_tensor *genlab_detach(genlab_ctx *ctx, genlab_tensor *x);

/* genlab_tape_length — number of nodes on the tape (for tests and profiling). */
int64_t genlab_tape_length(const genlab_ctx *ctx);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_AUTOGRAD_H */
