/* SPDX-License-Identifier: MIT
 *
 * nn_spectral.c — spectral normalisation of a weight, as
 * torch.nn.utils.spectral_norm (PyTorch 1.13): one power iteration per
 * training forward with no gradient through u and v, then W / sigma with
 * sigma = u^T W v built from ops so that its gradient reaches W.
 *
 * Also the L2 normalisation helper it shares with the GL_INIT_UNIT rule.
 * Not here: which axis a layer normalises (nn_layers.c picks dim).
 */
#include <math.h>
#include <stdio.h>

#include "nn_impl.h"

genlab_status gl_l2_normalize_into(genlab_ctx *ctx, genlab_tensor *dst, genlab_tensor *x,
                                   float eps)
{
    bool prev = genlab_set_grad_enabled(ctx, false);
    float ss = genlab_tensor_item(genlab_sum_all(ctx, genlab_mul(ctx, x, x)));
    /* F.normalize: x / max(||x||, eps), the norm in float as torch computes it */
    genlab_tensor *y = genlab_div(ctx, x, genlab_tensor_scalar(ctx, fmaxf(sqrtf(ss), eps)));
    genlab_set_grad_enabled(ctx, prev);
    return y ? genlab_tensor_copy_into(ctx, dst, y) : ctx->status;
}

genlab_status genlab_spectral_norm_init(genlab_params *p, genlab_spectral_norm *sn,
                                        genlab_tensor *weight, int dim)
{
    if (!p)
        return GL_ERR_INVALID;
    genlab_ctx *ctx = p->ctx;
    if (ctx->status != GL_OK)
        return ctx->status;
    const char *name = gl_params_name_of(p, weight);
    if (!sn || !name)
        return genlab_errorf(ctx, GL_ERR_INVALID, "spectral_norm: %s", !sn ? "NULL sn"
                             : "the weight is not a parameter of this params object");
    if (p->finalized)
        return genlab_errorf(ctx, GL_ERR_STATE, "spectral_norm: %s after "
                             "genlab_params_finalize (wrap weights before)", name);
    if (weight->ndim < 2 || dim < 0 || dim >= weight->ndim) {
        char a[GL_SHAPE_BUF];
        return genlab_errorf(ctx, GL_ERR_INVALID, "spectral_norm: %s %s with dim %d (want a "
                             "weight of >= 2 dimensions and 0 <= dim < ndim)", name,
                             genlab_tensor_shape_str(weight, a, sizeof a), dim);
    }
    int64_t h = weight->shape[dim], w = weight->numel / h;
    char bname[GL_PARAM_NAME_MAX + 2];
    snprintf(bname, sizeof bname, "%s_u", name);
    genlab_tensor *u = genlab_params_declare_buffer(p, bname, 1, &h,
                                                    (genlab_init){GL_INIT_UNIT, 0.0f, 0.0f});
    snprintf(bname, sizeof bname, "%s_v", name);
    genlab_tensor *v = genlab_params_declare_buffer(p, bname, 1, &w,
                                                    (genlab_init){GL_INIT_UNIT, 0.0f, 0.0f});
    if (!u || !v)
        return ctx->status;
    *sn = (genlab_spectral_norm){.weight = weight, .u = u, .v = v, .dim = dim,
                                 .n_power_iterations = 1, .eps = 1e-12f};
    return GL_OK;
}

/* t (n) as an arena column (n, 1) holding a copy: the graph of this
 * forward must keep the u, v it used, even after the next forward's
 * power iteration overwrites the buffers (torch clones them likewise) */
static genlab_tensor *column_copy(genlab_ctx *ctx, genlab_tensor *t)
{
    int64_t shape[2] = {t->numel, 1};
    genlab_tensor *c = gl_new(ctx, GL_F32, 2, shape);
    return c && genlab_tensor_copy_into(ctx, c, t) == GL_OK ? c : NULL;
}

genlab_tensor *genlab_spectral_norm_weight(genlab_ctx *ctx, genlab_spectral_norm *sn,
                                           bool training)
{
    if (ctx->status != GL_OK)
        return NULL;
    if (!sn || !sn->u || !sn->weight) {
        genlab_errorf(ctx, GL_ERR_INVALID, "spectral_norm: not initialised "
                      "(genlab_spectral_norm_init)");
        return NULL;
    }
    genlab_tensor *w = sn->weight;
    if (!w->data || !sn->u->data) {
        genlab_errorf(ctx, GL_ERR_STATE, "spectral_norm: used before genlab_params_finalize");
        return NULL;
    }
    /* the weight as an (h, numel / h) matrix with axis dim first */
    int perm[GL_MAX_DIMS] = {sn->dim};
    for (int i = 0, k = 1; i < w->ndim; i++)
        if (i != sn->dim)
            perm[k++] = i;
    genlab_tensor *wp = sn->dim == 0 ? w : genlab_permute(ctx, w, perm);
    int64_t mshape[2] = {sn->u->numel, sn->v->numel};
    genlab_tensor *mat = genlab_reshape(ctx, wp, 2, mshape);
    if (!mat)
        return NULL;
    if (training) {
        bool prev = genlab_set_grad_enabled(ctx, false);
        for (int it = 0; it < sn->n_power_iterations && ctx->status == GL_OK; it++) {
            genlab_tensor *wtu = genlab_matmul(ctx, mat, column_copy(ctx, sn->u), true, false);
            if (gl_l2_normalize_into(ctx, sn->v, wtu, sn->eps) != GL_OK)
                break;
            genlab_tensor *wv = genlab_matmul(ctx, mat, column_copy(ctx, sn->v), false, false);
            gl_l2_normalize_into(ctx, sn->u, wv, sn->eps);
        }
        genlab_set_grad_enabled(ctx, prev);
    }
    genlab_tensor *u = column_copy(ctx, sn->u), *v = column_copy(ctx, sn->v);
    genlab_tensor *sigma = genlab_matmul(ctx, u, genlab_matmul(ctx, mat, v, false, false),
                                         true, false);   /* (1, 1) */
    return genlab_div(ctx, w, sigma);
}
