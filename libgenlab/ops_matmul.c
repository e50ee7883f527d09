/* SPDX-License-Identifier: MIT
 *
 * ops_matmul.c — matrix products (plain and batched) and the linear layer op.
 *
 * For C = op(A) op(B) the gradients are gA = gC op(B)^T and gB = op(A)^T gC,
 * transposed back when the operand was used transposed; both are matmuls
 * again, so the op is differentiable to any order.
 */
#include "internal.h"

/* node->i[0] trans_a, i[1] trans_b */
static void matmul_backward(genlab_ctx *ctx, gl_node *n, genlab_tensor *gc, genlab_tensor **gx)
{
    genlab_tensor *a = n->in[0], *b = n->in[1];
    bool ta = n->i[0], tb = n->i[1];
    if (gl_needs_grad(ctx, n, 0))
        gx[0] = ta ? genlab_matmul(ctx, b, gc, tb, true) : genlab_matmul(ctx, gc, b, false, !tb);
    if (gl_needs_grad(ctx, n, 1))
        gx[1] = tb ? genlab_matmul(ctx, gc, a, true, ta) : genlab_matmul(ctx, a, gc, !ta, false);
}

static const gl_op op_matmul = {"matmul", matmul_backward};

genlab_tensor *genlab_matmul(genlab_ctx *ctx, genlab_tensor *a, genlab_tensor *b,
                             bool trans_a, bool trans_b)
{
    if (!a || !b || ctx->status != GL_OK)
        return NULL;
    if (!gl_check_f32(ctx, "matmul", "a", a) || !gl_check_f32(ctx, "matmul", "b", b))
        return NULL;
    char sa[GL_SHAPE_BUF], sb[GL_SHAPE_BUF];
    int nd = a->ndim;
    bool ok = (nd == 2 || nd == 3) && b->ndim == nd && (nd == 2 || a->shape[0] == b->shape[0]);
    int o = nd - 2;   /* offset of the matrix axes */
    int64_t m = 0, k = 0, kb = 0, n = 0;
    if (ok) {
        m = trans_a ? a->shape[o + 1] : a->shape[o];
        k = trans_a ? a->shape[o] : a->shape[o + 1];
        kb = trans_b ? b->shape[o + 1] : b->shape[o];
        n = trans_b ? b->shape[o] : b->shape[o + 1];
        ok = k == kb;
    }
    if (!ok) {
        genlab_errorf(ctx, GL_ERR_SHAPE, "matmul: a %s%s and b %s%s do not multiply",
                      genlab_tensor_shape_str(a, sa, sizeof sa), trans_a ? "^T" : "",
                      genlab_tensor_shape_str(b, sb, sizeof sb), trans_b ? "^T" : "");
        return NULL;
    }
    int64_t batch = nd == 3 ? a->shape[0] : 1;
    int64_t shape[3] = {batch, m, n};
    genlab_tensor *c = gl_new(ctx, GL_F32, nd, nd == 3 ? shape : shape + 1);
    if (!c)
        return NULL;
    if (k == 0)
        ctx->be->fill(ctx->be_state, gl_f32(c), c->numel, 0.0f);
    else if (c->numel > 0)
        ctx->be->gemm(ctx->be_state, trans_a, trans_b, m, n, k, 1.0f, gl_f32(a), a->shape[o + 1],
                      m * k, gl_f32(b), b->shape[o + 1], k * n, 0.0f, gl_f32(c), n, m * n, batch);
    genlab_tensor *in[2] = {a, b};
    gl_node *node = gl_record(ctx, &op_matmul, &c, 2, in);
    if (node) {
        node->i[0] = trans_a;
        node->i[1] = trans_b;
    }
    return c;
}

genlab_tensor *genlab_linear(genlab_ctx *ctx, genlab_tensor *x, genlab_tensor *w,
                             genlab_tensor *b)
{
    if (!x || !w || ctx->status != GL_OK)
        return NULL;
    if (x->ndim != 2 || w->ndim != 2 || x->shape[1] != w->shape[1] ||
        (b && (b->ndim != 1 || b->shape[0] != w->shape[0]))) {
        char sx[GL_SHAPE_BUF], sw[GL_SHAPE_BUF], sbb[GL_SHAPE_BUF];
        genlab_errorf(ctx, GL_ERR_SHAPE, "linear: x %s, w %s, b %s (want (N, in), (out, in), (out))",
                      genlab_tensor_shape_str(x, sx, sizeof sx),
                      genlab_tensor_shape_str(w, sw, sizeof sw),
                      b ? genlab_tensor_shape_str(b, sbb, sizeof sbb) : "none");
        return NULL;
    }
    genlab_tensor *y = genlab_matmul(ctx, x, w, false, true);
    return b ? genlab_add(ctx, y, b) : y;
}
