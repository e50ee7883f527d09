/* SPDX-License-Identifier: MIT
 *
 * internal.h — struct bodies and helpers shared by the core's source files.
 * Not installed: plugins see only the opaque handles of the public headers.
 *
 * Sections: arena, tensor, tape node, context, op helpers.
 */
#ifndef GENLAB_INTERNAL_H
#define GENLAB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genlab/genlab.h"

/* ---- arena: bump allocator reset once per step ---- */

typedef struct gl_chunk gl_chunk;
typedef struct gl_arena {
    gl_chunk *chunks;     /* in use, newest first */
    gl_chunk *spare;      /* emptied by a rewind; reused before a new chunk is made */
    size_t    used;       /* bytes handed out since the last reset */
    size_t    peak;       /* high-water mark of used */
    size_t    first;      /* size of the first chunk */
    const genlab_backend_i *be;  /* NULL: host memory (malloc) */
    void     *be_state;
} gl_arena;

void  gl_arena_init(gl_arena *a, size_t first, const genlab_backend_i *be, void *be_state);
/* gl_arena_alloc — 64-byte aligned memory, NULL when out of memory. */
void *gl_arena_alloc(gl_arena *a, size_t bytes);
/* gl_arena_reset — forget every allocation; several chunks are merged into
 * one so that the next step fits without a new allocation. */
void  gl_arena_reset(gl_arena *a);
void  gl_arena_release(gl_arena *a);
/* gl_arena_pos / gl_arena_rewind — where the arena stands; forget every
 * allocation made since then (a scope inside one step: a reset in between
 * makes the position invalid). */
genlab_arena_pos gl_arena_pos(const gl_arena *a);
void  gl_arena_rewind(gl_arena *a, genlab_arena_pos pos);

/* ---- tensor ---- */

typedef struct gl_node gl_node;

struct genlab_tensor {
    genlab_dtype   dtype;
    int            ndim;
    int64_t        shape[GL_MAX_DIMS];
    int64_t        numel;
    void          *data;          /* backend memory */
    genlab_ctx    *ctx;           /* context that made it */
    bool           persistent;    /* heap tensor: freed with genlab_tensor_free */
    bool           owns_data;     /* persistent and data is its own allocation */
    bool           requires_grad;
    gl_node       *node;          /* op that made it; NULL for leaves */
    genlab_tensor *grad;          /* leaf gradient buffer (backward adds here) */
    /* bookkeeping of one autograd pass (valid when pass == ctx->pass) */
    uint64_t       pass;
    bool           reaches;       /* depends on one of the pass's inputs */
    genlab_tensor *gacc;          /* gradient accumulated so far */
};

static inline float *gl_f32(const genlab_tensor *t) { return (float *)t->data; }

/* ---- tape node ---- */

/* gl_backward_fn — given the output gradient gy, set gx[i] to the gradient
 * for input i, or leave it NULL when the input needs none
 * (gl_needs_grad(node, i) says which). Written with public ops only, so it
 * is recorded on the tape when the pass creates a graph. */
typedef void (*gl_backward_fn)(genlab_ctx *ctx, gl_node *node, genlab_tensor *gy,
                               genlab_tensor **gx);

typedef struct gl_op {
    const char    *name;
    gl_backward_fn backward;
} gl_op;

struct gl_node {
    const gl_op    *op;
    genlab_tensor  *out;
    int             n_in;
    genlab_tensor **in;        /* n_in inputs (arena array) */
    genlab_tensor  *saved[3];  /* extra tensors the backward needs */
    float           f[4];      /* op scalars */
    int64_t         i[12];     /* op integers */
};

/* ---- context ---- */

struct genlab_ctx {
    const genlab_backend_i *be;
    void           *be_state;
    gl_arena        meta;      /* tensor structs, nodes (host) */
    gl_arena        data;      /* tensor data (backend memory) */
    gl_node       **tape;      /* nodes in creation order */
    int64_t         tape_len, tape_cap;
    bool            grad_enabled;
    uint64_t        pass;      /* autograd pass counter */
    uint64_t        seed;
    uint64_t        rng_offset[GL_STREAM_COUNT];
    genlab_status   status;
    char            errmsg[512];
    /* be->synchronize when the backend has one (its memory is not always
     * the host's to touch), else NULL: see gl_sync */
    void          (*be_sync)(void *state);
    /* be->adam when the backend has one (optim.c) */
    void          (*be_adam)(void *state, float *w, const float *g, float *m, float *v,
                             int64_t n, const genlab_adam_scalars *s);
};

/* gl_sync — before host code reads or writes backend memory: waits for the
 * context's queued kernels (a no-op on the CPU). */
static inline void gl_sync(const genlab_ctx *ctx)
{
    if (ctx->be_sync)
        ctx->be_sync(ctx->be_state);
}

/* ---- op helpers ---- */

/* gl_new — an uninitialised arena float tensor (data not zeroed). */
genlab_tensor *gl_new(genlab_ctx *ctx, genlab_dtype dtype, int ndim, const int64_t *shape);
/* gl_new_like — uninitialised, same shape and dtype as t. */
genlab_tensor *gl_new_like(genlab_ctx *ctx, const genlab_tensor *t);
/* gl_view — a tensor header sharing x's data with a new shape (same numel). */
genlab_tensor *gl_view(genlab_ctx *ctx, genlab_tensor *x, int ndim, const int64_t *shape);

/* gl_tensor_wrap — a persistent tensor header over memory owned by someone
 * else (owns_data = false): genlab_tensor_free frees the header only. data
 * may be NULL and set later (parameter blocks carve their views this way:
 * nn_params.c). Returns NULL with a sticky error on a bad shape or no memory. */
genlab_tensor *gl_tensor_wrap(genlab_ctx *ctx, genlab_dtype dtype, int ndim,
                              const int64_t *shape, void *data);

/* gl_visit_floats — fn(user, "<prefix><suffix>", a (numel) float32 tensor
 * over data): a state block seen as one tensor for checkpoints.
 * gl_visit_count — fn(user, "<prefix><suffix>", a one-element int32 tensor
 * holding *count), then *count = what the tensor holds (so a restoring fn
 * sets it). GL_ERR_UNSUPPORTED for a count over 2^31 - 1 or a restored one
 * below 0. Both return fn's status, or GL_ERR_NOMEM / GL_ERR_INVALID (a
 * name over 255 characters) with a message on ctx. */
genlab_status gl_visit_floats(genlab_ctx *ctx, const char *prefix, const char *suffix,
                              float *data, int64_t numel, genlab_visit_fn fn, void *user);
genlab_status gl_visit_count(genlab_ctx *ctx, const char *prefix, const char *suffix,
                             int64_t *count, genlab_visit_fn fn, void *user);

/* gl_check_f32 — sticky error unless t is float32 (names op and argument). */
bool gl_check_f32(genlab_ctx *ctx, const char *op, const char *arg, const genlab_tensor *t);

/* gl_record — if grad mode is on and any input requires grad, make a node
 * for out and return it (to fill f/i/saved); else NULL. The inputs array is
 * copied. On allocation failure, sets the sticky error, returns NULL and
 * clears *out (so the caller returns NULL). */
gl_node *gl_record(genlab_ctx *ctx, const gl_op *op, genlab_tensor **out, int n_in,
                   genlab_tensor *const *in);
/* gl_needs_grad — whether the current pass wants a gradient for input i. */
bool gl_needs_grad(const genlab_ctx *ctx, const gl_node *node, int i);

/* gl_shape_eq — same ndim and dims. gl_shape_str — like genlab_tensor_shape_str
 * for raw shapes. */
bool        gl_shape_eq(const genlab_tensor *a, const genlab_tensor *b);
const char *gl_dims_str(int ndim, const int64_t *shape, char *buf, size_t size);

/* gl_broadcast_shape — NumPy broadcast of two shapes into out (ndim returned
 * in *ondim); false if incompatible. */
bool gl_broadcast_shape(int an, const int64_t *as, int bn, const int64_t *bs, int *ondim,
                        int64_t *out);
/* gl_contig_strides — row-major strides of shape, right-aligned into ndim
 * dims, with 0 where the source has size 1 (broadcast) or is missing. */
void gl_bcast_strides(int ndim, const int64_t *shape, int sndim, const int64_t *sshape,
                      int64_t *strides);
void gl_contig_strides(int ndim, const int64_t *shape, int64_t *strides);

/* gl_normalize_axis — map a possibly negative axis into [0, ndim); -1 if out of range. */
int gl_normalize_axis(int axis, int ndim);

#define GL_SHAPE_BUF 96

/* ---- strided walks (strided.c) ---- */

/* gl_walk_coalesce — drop size-1 axes and merge neighbours that are
 * contiguous in all three stride arrays, so kernels get long inner loops. */
void gl_walk_coalesce(genlab_strided *s);
/* gl_walk_bcast — the walk over out's shape reading a and b with broadcast
 * strides (b may be NULL), writing out contiguously; coalesced. */
void gl_walk_bcast(genlab_strided *s, const genlab_tensor *out, const genlab_tensor *a,
                   const genlab_tensor *b);
/* gl_walk_reduce — walk over x's shape; dst strides are those of the
 * contiguous out_shape (right-aligned, size-1 or missing axes get 0). */
void gl_walk_reduce(genlab_strided *s, const genlab_tensor *x, int out_ndim,
                    const int64_t *out_shape);

/* gl_reduce_max_keepdim — max over one axis, keepdim, no autograd node
 * (used to stabilise softmax; the max is a constant there). */
genlab_tensor *gl_reduce_max_keepdim(genlab_ctx *ctx, genlab_tensor *x, int axis);
/* gl_unary_const — y = f(x) as a constant (no autograd node): masks. */
genlab_tensor *gl_unary_const(genlab_ctx *ctx, genlab_unary_kind kind, float alpha,
                              genlab_tensor *x);

#endif /* GENLAB_INTERNAL_H */
