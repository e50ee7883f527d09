/* SPDX-License-Identifier: MIT
 *
 * autograd.c — the tape and reverse-mode passes (backward and grad).
 *
 * Nodes are appended to ctx->tape in creation order, which is a topological
 * order. A pass (1) marks, sweeping the tape forwards, every tensor that
 * depends on a tensor we differentiate with respect to ("reaches"), then (2)
 * sweeps backwards calling each reaching node's backward with its
 * accumulated output gradient. Per-pass state lives in the tensors, tagged
 * with the pass number, so nothing has to be cleared between passes.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- recording ---- */

static bool tape_push(genlab_ctx *ctx, gl_node *node)
{
    if (ctx->tape_len == ctx->tape_cap) {
        int64_t cap = ctx->tape_cap ? ctx->tape_cap * 2 : 1024;
        gl_node **t = realloc(ctx->tape, (size_t)cap * sizeof *t);
        if (!t)
            return false;
        ctx->tape = t;
        ctx->tape_cap = cap;
    }
    ctx->tape[ctx->tape_len++] = node;
    return true;
}

gl_node *gl_record(genlab_ctx *ctx, const gl_op *op, genlab_tensor **out, int n_in,
                   genlab_tensor *const *in)
{
    if (!*out || !ctx->grad_enabled)
        return NULL;
    bool any = false;
    for (int i = 0; i < n_in; i++)
        any |= in[i] && in[i]->requires_grad;
    if (!any)
        return NULL;
    gl_node *node = gl_arena_alloc(&ctx->meta, sizeof *node);
    genlab_tensor **ins = gl_arena_alloc(&ctx->meta, (size_t)n_in * sizeof *ins);
    if (!node || !ins || !tape_push(ctx, node)) {
        genlab_errorf(ctx, GL_ERR_NOMEM, "%s: out of memory recording the tape", op->name);
        *out = NULL;
        return NULL;
    }
    memset(node, 0, sizeof *node);
    memcpy(ins, in, (size_t)n_in * sizeof *ins);
    node->op = op;
    node->out = *out;
    node->n_in = n_in;
    node->in = ins;
    (*out)->node = node;
    (*out)->requires_grad = true;
    return node;
}

bool gl_needs_grad(const genlab_ctx *ctx, const gl_node *node, int i)
{
    const genlab_tensor *t = node->in[i];
    return t && t->pass == ctx->pass && t->reaches;
}

bool genlab_set_grad_enabled(genlab_ctx *ctx, bool enabled)
{
    bool prev = ctx->grad_enabled;
    ctx->grad_enabled = enabled;
    return prev;
}

bool genlab_grad_enabled(const genlab_ctx *ctx) { return ctx->grad_enabled; }

int64_t genlab_tape_length(const genlab_ctx *ctx) { return ctx->tape_len; }

genlab_tensor *genlab_detach(genlab_ctx *ctx, genlab_tensor *x)
{
    if (!x || ctx->status != GL_OK)
        return NULL;
    return gl_view(ctx, x, x->ndim, x->shape);
}

/* ---- passes ---- */

static void pass_touch(genlab_ctx *ctx, genlab_tensor *t, bool reaches)
{
    if (t->pass != ctx->pass) {
        t->pass = ctx->pass;
        t->reaches = false;
        t->gacc = NULL;
    }
    t->reaches |= reaches;
}

static bool reaches(const genlab_ctx *ctx, const genlab_tensor *t)
{
    return t && t->pass == ctx->pass && t->reaches;
}

/* accumulate g into t's pass gradient (an op, so it is recorded under create_graph) */
static void accumulate(genlab_ctx *ctx, genlab_tensor *t, genlab_tensor *g, bool into_leaf)
{
    if (into_leaf && !t->node && t->grad) {
        ctx->be->axpy(ctx->be_state, gl_f32(t->grad), gl_f32(g), g->numel, 1.0f);
        return;
    }
    t->gacc = t->gacc ? genlab_add(ctx, t->gacc, g) : g;
}

/* Run one pass. inputs == NULL: backward mode, the targets are every leaf
 * with requires_grad and a grad buffer, and gradients go into those buffers. */
static genlab_status run_pass(genlab_ctx *ctx, int n_out, genlab_tensor *const *outputs,
                              genlab_tensor *const *grad_outputs, int n_in,
                              genlab_tensor *const *inputs, bool create_graph)
{
    const bool leaf_mode = inputs == NULL;
    const int64_t end = ctx->tape_len;
    ctx->pass++;

    for (int i = 0; i < n_in; i++)
        pass_touch(ctx, inputs[i], true);
    for (int64_t k = 0; k < end; k++) {
        gl_node *node = ctx->tape[k];
        bool any = false;
        for (int i = 0; i < node->n_in; i++) {
            genlab_tensor *t = node->in[i];
            if (!t)
                continue;
            if (leaf_mode && !t->node && t->requires_grad && t->grad)
                pass_touch(ctx, t, true);
            any |= reaches(ctx, t);
        }
        pass_touch(ctx, node->out, any);
    }

    for (int i = 0; i < n_out; i++) {
        genlab_tensor *o = outputs[i];
        genlab_tensor *g = grad_outputs && grad_outputs[i] ? grad_outputs[i]
                                                           : genlab_ones_like(ctx, o);
        if (!g)
            return ctx->status;
        if (g->numel != o->numel) {
            char a[GL_SHAPE_BUF], b[GL_SHAPE_BUF];
            return genlab_errorf(ctx, GL_ERR_SHAPE, "grad: output %s vs grad_output %s",
                                 genlab_tensor_shape_str(o, a, sizeof a),
                                 genlab_tensor_shape_str(g, b, sizeof b));
        }
        pass_touch(ctx, o, false);
        accumulate(ctx, o, g, false);
    }

    bool prev = genlab_set_grad_enabled(ctx, create_graph);
    for (int64_t k = end - 1; k >= 0 && ctx->status == GL_OK; k--) {
        gl_node *node = ctx->tape[k];
        genlab_tensor *out = node->out;
        if (!reaches(ctx, out) || !out->gacc)
            continue;
        genlab_tensor *gx[node->n_in > 0 ? node->n_in : 1];
        memset(gx, 0, sizeof gx);
        node->op->backward(ctx, node, out->gacc, gx);
        for (int i = 0; i < node->n_in && ctx->status == GL_OK; i++) {
            if (!gx[i] || !gl_needs_grad(ctx, node, i))
                continue;
            if (gx[i]->numel != node->in[i]->numel) {
                char a[GL_SHAPE_BUF], b[GL_SHAPE_BUF];
                genlab_errorf(ctx, GL_ERR_STATE,
                              "%s backward: gradient %s for input %d of shape %s",
                              node->op->name, genlab_tensor_shape_str(gx[i], a, sizeof a), i,
                              genlab_tensor_shape_str(node->in[i], b, sizeof b));
                break;
            }
            accumulate(ctx, node->in[i], gx[i], leaf_mode);
        }
    }
    genlab_set_grad_enabled(ctx, prev);
    return ctx->status;
}

genlab_status genlab_backward(genlab_ctx *ctx, genlab_tensor *loss)
{
    if (!loss)
        return ctx->status != GL_OK ? ctx->status
                                    : genlab_errorf(ctx, GL_ERR_INVALID, "backward: NULL loss");
    if (loss->numel != 1) {
        char a[GL_SHAPE_BUF];
        return genlab_errorf(ctx, GL_ERR_SHAPE, "backward: loss must have one element, got %s",
                             genlab_tensor_shape_str(loss, a, sizeof a));
    }
    return run_pass(ctx, 1, &loss, NULL, 0, NULL, false);
}

genlab_status genlab_grad(genlab_ctx *ctx, int n_out, genlab_tensor *const *outputs,
                          genlab_tensor *const *grad_outputs, int n_in,
                          genlab_tensor *const *inputs, bool create_graph,
                          genlab_tensor **grads)
{
    if (ctx->status != GL_OK)
        return ctx->status;
    if (n_out < 1 || n_in < 1 || !outputs || !inputs || !grads)
        return genlab_errorf(ctx, GL_ERR_INVALID, "grad: need at least one output and input");
    for (int i = 0; i < n_out; i++)
        if (!outputs[i])
            return genlab_errorf(ctx, GL_ERR_INVALID, "grad: output %d is NULL", i);
    for (int i = 0; i < n_in; i++)
        if (!inputs[i])
            return genlab_errorf(ctx, GL_ERR_INVALID, "grad: input %d is NULL", i);
    genlab_status st = run_pass(ctx, n_out, outputs, grad_outputs, n_in, inputs, create_graph);
    if (st != GL_OK)
        return st;
    for (int i = 0; i < n_in; i++) {
        grads[i] = inputs[i]->gacc ? inputs[i]->gacc : genlab_zeros_like(ctx, inputs[i]);
        if (!grads[i])
            return ctx->status;
    }
    return GL_OK;
}
