/* SPDX-License-Identifier: MIT
 *
 * tensor.h — n-dimensional arrays: creation, shape, data access.
 *
 * A tensor is float32 (or uint8/int32 for images and labels), up to
 * GL_MAX_DIMS dimensions, dense and contiguous in row-major (NCHW) order.
 *
 * Lifetimes. Two kinds of tensors exist:
 *   - arena tensors (genlab_tensor_new, and every op result) live until the
 *     next genlab_ctx_step_begin; never free them.
 *   - persistent tensors (genlab_tensor_new_persistent, model parameters)
 *     live until genlab_tensor_free / their model is destroyed.
 * Handles are opaque; shapes are read with the accessors below.
 */
#ifndef GENLAB_TENSOR_H
#define GENLAB_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "context.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GL_MAX_DIMS 5

typedef enum genlab_dtype {
    GL_F32 = 0,  /* float32: every differentiable tensor */
    GL_U8  = 1,  /* uint8: decoded images */
    GL_I32 = 2   /* int32: labels, indices */
} genlab_dtype;

typedef struct genlab_tensor genlab_tensor;

/* genlab_tensor_new — an arena tensor of the given shape, zero-filled.
 * Returns NULL (sticky error on ctx) on a bad shape or out of memory. */
genlab_tensor *genlab_tensor_new(genlab_ctx *ctx, genlab_dtype dtype, int ndim,
                                 const int64_t *shape);

/* genlab_tensor_new_persistent — like genlab_tensor_new but heap-allocated;
 * free with genlab_tensor_free. */
genlab_tensor *genlab_tensor_new_persistent(genlab_ctx *ctx, genlab_dtype dtype,
                                            int ndim, const int64_t *shape);

/* genlab_visit_fn — called once per named persistent tensor (a network's
 * parameters, optimizer moments, EMA weights) by the *_visit functions and
 * a trainer's visit(), for checkpoints: the callee reads the tensor to save
 * it or overwrites its values to restore it. Returns GL_OK to go on; any
 * other status stops the visit and is returned by it. */
typedef genlab_status (*genlab_visit_fn)(void *user, const char *name, genlab_tensor *t);

/* genlab_tensor_free — free a persistent tensor. NULL and arena tensors are a no-op. */
void genlab_tensor_free(genlab_tensor *t);

/* genlab_tensor_from — an arena float32 tensor holding a copy of data. */
genlab_tensor *genlab_tensor_from(genlab_ctx *ctx, int ndim, const int64_t *shape,
                                  const float *data);

/* genlab_tensor_scalar — a 0-d float32 arena tensor holding value. */
genlab_tensor *genlab_tensor_scalar(genlab_ctx *ctx, float value);

/* genlab_full / genlab_zeros_like / genlab_ones_like — filled arena tensors. */
genlab_tensor *genlab_full(genlab_ctx *ctx, int ndim, const int64_t *shape, float value);
genlab_tensor *genlab_zeros_like(genlab_ctx *ctx, const genlab_tensor *t);
genlab_tensor *genlab_ones_like(genlab_ctx *ctx, const genlab_tensor *t);

/* Shape and data accessors. genlab_tensor_dim accepts negative axes
 * (-1 = last). Data pointers are to host memory on the CPU backend. */
genlab_dtype genlab_tensor_dtype(const genlab_tensor *t);
int          genlab_tensor_ndim(const genlab_tensor *t);
int64_t      genlab_tensor_dim(const genlab_tensor *t, int axis);
int64_t      genlab_tensor_numel(const genlab_tensor *t);
void        *genlab_tensor_data(genlab_tensor *t);
const float *genlab_tensor_f32(const genlab_tensor *t);
float       *genlab_tensor_f32_mut(genlab_tensor *t);

/* genlab_tensor_item — value of a one-element float tensor (NAN if not one). */
float genlab_tensor_item(const genlab_tensor *t);

/* genlab_tensor_copy_into — copy src's values into dst (same numel and dtype).
 * Does not record autograd. */
genlab_status genlab_tensor_copy_into(genlab_ctx *ctx, genlab_tensor *dst,
                                      const genlab_tensor *src);

/* genlab_tensor_shape_str — "(64, 3, 32, 32)" into buf (for messages). */
const char *genlab_tensor_shape_str(const genlab_tensor *t, char *buf, size_t size);

/* Autograd flags. A leaf with requires_grad and a grad buffer receives
 * gradients from genlab_backward. */
void           genlab_tensor_set_requires_grad(genlab_tensor *t, bool on);
bool           genlab_tensor_requires_grad(const genlab_tensor *t);
/* genlab_tensor_grad — the leaf's gradient buffer (NULL if none). */
genlab_tensor *genlab_tensor_grad(const genlab_tensor *t);
/* genlab_tensor_set_grad — attach a gradient buffer (same shape) to a leaf;
 * genlab_backward adds into it. The caller keeps ownership of grad. */
genlab_status  genlab_tensor_set_grad(genlab_ctx *ctx, genlab_tensor *t, genlab_tensor *grad);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_TENSOR_H */
