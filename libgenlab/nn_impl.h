/* SPDX-License-Identifier: MIT
 *
 * nn_impl.h — the body of genlab_params and the helpers the nn and optim
 * source files share. Not installed: outside the core, genlab_params is an
 * opaque handle (nn.h).
 */
#ifndef GENLAB_NN_IMPL_H
#define GENLAB_NN_IMPL_H

#include "internal.h"

/* One declared tensor: a parameter (with a gradient view) or a buffer. */
typedef struct gl_param_entry {
    char          *name;     /* owned */
    genlab_tensor *t;        /* view into the data or buffer block (owned header) */
    genlab_tensor *g;        /* view into the gradient block; NULL for buffers */
    genlab_init    init;
} gl_param_entry;

/* A growable list of entries; one for parameters, one for buffers. */
typedef struct gl_param_list {
    gl_param_entry *e;
    int64_t         n, cap;
    int64_t         numel;   /* sum of the entries' numel = the block's size */
    float          *block;   /* one allocation (backend memory), NULL before finalize */
} gl_param_list;

struct genlab_params {
    genlab_ctx   *ctx;
    gl_param_list param;     /* trainable: data block */
    gl_param_list buf;       /* non-trainable buffers */
    float        *grad;      /* (param.numel), same layout as param.block */
    bool          finalized;
    bool          training;
};

/* gl_params_name_of — the name of trainable parameter t in p, or NULL when
 * t is not one of p's parameters (buffers included). */
const char *gl_params_name_of(const genlab_params *p, const genlab_tensor *t);

/* gl_l2_normalize_into — dst = x / max(||x||_2, eps) (torch.nn.functional.
 * normalize), x an arena or persistent float tensor with dst's numel; dst may
 * be x. Records nothing on the tape. Returns GL_OK or the sticky error. */
genlab_status gl_l2_normalize_into(genlab_ctx *ctx, genlab_tensor *dst, genlab_tensor *x,
                                   float eps);

#endif /* GENLAB_NN_IMPL_H */
