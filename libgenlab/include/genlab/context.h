/* SPDX-License-Identifier: MIT
 *
 * context.h — the genlab context: everything a computation hangs off.
 *
 * A context owns the compute backend, the step arena (where every temporary
 * tensor of a training step lives), the autograd tape, the random-number
 * state and the last error. There is no global mutable state: two contexts in
 * one process are independent. A context is used by one thread at a time;
 * kernels parallelise internally.
 *
 * Error model ("sticky" errors): ops return a tensor pointer, or NULL on
 * failure after recording a status and a message on the context. An op given
 * a NULL input returns NULL at once and keeps the first error, so a long
 * chain of ops is written without checks and tested once at the end:
 *
 *     genlab_tensor *h = genlab_relu(ctx, genlab_linear(ctx, x, w, b));
 *     if (!h) return genlab_ctx_status(ctx);     // first failure's code
 *
 * genlab_ctx_errmsg() then names the op and the offending shapes or values.
 * The error stays until genlab_ctx_clear_error().
 */
#ifndef GENLAB_CONTEXT_H
#define GENLAB_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct genlab_ctx genlab_ctx;

/* Options for genlab_ctx_create. Zero-initialise, then set what you need. */
typedef struct genlab_ctx_options {
    uint64_t    seed;          /* RNG seed; results depend only on it (and the backend) */
    int         n_threads;     /* kernel threads; 0 = OpenMP default */
    size_t      arena_bytes;   /* first arena chunk; 0 = 64 MiB. Grows as needed. */
    const char *backend;       /* "cpu", "cuda" (any backend plugin's name), or
                                * "auto" / NULL: the best backend plugin of
                                * registry whose probe() accepts this machine,
                                * else "cpu" (the reason logged once through
                                * the registry's logger). Without a registry
                                * only "cpu" exists. */
    struct genlab_registry *registry; /* where backend plugins are looked up
                                * (registry.h); NULL = none. Not owned; must
                                * outlive the context. */
} genlab_ctx_options;

/* genlab_ctx_create — make a context.
 * opt:  options, or NULL for defaults (seed 0).
 * out:  OUT: the new context, to be freed with genlab_ctx_destroy.
 * Returns GL_OK, GL_ERR_NOMEM, GL_ERR_UNSUPPORTED for an unknown backend or
 * a named one whose probe() refuses this machine (the reason is then on the
 * registry: genlab_registry_errmsg), or the backend's init() failure. */
genlab_status genlab_ctx_create(const genlab_ctx_options *opt, genlab_ctx **out);

/* genlab_ctx_destroy — free the context, its arena and its tape. NULL is a no-op.
 * Persistent tensors (genlab_tensor_new_persistent) must be freed before. */
void genlab_ctx_destroy(genlab_ctx *ctx);

/* genlab_ctx_status — the sticky status: GL_OK or the first error since the
 * last genlab_ctx_clear_error. */
genlab_status genlab_ctx_status(const genlab_ctx *ctx);

/* genlab_ctx_errmsg — the message of the sticky error ("" when GL_OK).
 * Owned by the context; valid until the next call that sets or clears it. */
const char *genlab_ctx_errmsg(const genlab_ctx *ctx);

/* genlab_ctx_clear_error — forget the sticky error (e.g. after reporting it). */
void genlab_ctx_clear_error(genlab_ctx *ctx);

/* genlab_errorf — record an error on ctx (printf-style message) unless one is
 * already recorded, and return status. For library and plugin code:
 *     return genlab_errorf(ctx, GL_ERR_SHAPE, "linear: x %s vs w %s", a, b); */
genlab_status genlab_errorf(genlab_ctx *ctx, genlab_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* genlab_ctx_step_begin — start a new step: frees every arena tensor and the
 * autograd tape in O(1) (the arena's memory is kept, so a steady-state
 * training loop does not call malloc). Pointers to arena tensors from the
 * previous step become invalid. Persistent tensors are untouched. */
void genlab_ctx_step_begin(genlab_ctx *ctx);

/* genlab_ctx_mark / genlab_ctx_rewind — a scope inside a step: rewind
 * frees every arena tensor made, and forgets every op recorded, since the
 * mark, so a step that runs several sub-steps (a GAN critic's n_critic
 * updates) needs the memory of one of them, not of all. The arena keeps
 * the memory for reuse. Tensors made before the mark stay valid, as do
 * persistent tensors; RNG streams are not rewound. The mark is valid until
 * the next genlab_ctx_step_begin. Its fields are private. */
typedef struct genlab_arena_pos {
    void  *chunk;
    size_t chunk_used, used;
} genlab_arena_pos;
typedef struct genlab_ctx_mark {
    genlab_arena_pos meta, data;
    int64_t          tape_len;
} genlab_ctx_mark;
genlab_ctx_mark genlab_ctx_mark_get(const genlab_ctx *ctx);
void genlab_ctx_rewind(genlab_ctx *ctx, const genlab_ctx_mark *mark);

/* genlab_ctx_arena_bytes — bytes in use in the arena / its high-water mark. */
size_t genlab_ctx_arena_used(const genlab_ctx *ctx);
size_t genlab_ctx_arena_peak(const genlab_ctx *ctx);

/* genlab_ctx_backend_name — the name of the backend the context runs on. */
const char *genlab_ctx_backend_name(const genlab_ctx *ctx);

/* genlab_ctx_device_name — the device the context's backend runs on (the
 * GPU's name for "cuda"), else the backend's name. Owned by the context. */
const char *genlab_ctx_device_name(const genlab_ctx *ctx);

/* genlab_ctx_device_memory_peak — the most device memory (bytes) the
 * context's backend has held, or 0 for a backend without device memory
 * (the CPU: see genlab_ctx_arena_peak). */
size_t genlab_ctx_device_memory_peak(const genlab_ctx *ctx);

/* genlab_ctx_backend_notes — the backend's account of its own choices so
 * far (lines of text, e.g. the CUDA backend's convolution algorithms per
 * shape), for benchmark logs; "" when it has none. Owned by the context,
 * valid until the next call. */
const char *genlab_ctx_backend_notes(genlab_ctx *ctx);

/* genlab_ctx_synchronize — wait until every kernel queued on the context has
 * finished (a no-op on the CPU). The host accessors (tensor.h) do it
 * themselves; timers around a step call it. */
void genlab_ctx_synchronize(genlab_ctx *ctx);

/* genlab_ctx_threads — number of threads kernels use. */
int genlab_ctx_threads(const genlab_ctx *ctx);

/* The compute type of a context's matrix products and convolutions. Tensors
 * stay float32 whatever it is (a model's parameter block is its float32
 * master copy): only the arithmetic inside gemm and the convolution kernels
 * changes. Every other kernel computes in float32. */
typedef enum genlab_precision {
    GL_PRECISION_FP32 = 0,   /* float32 products (the default) */
    GL_PRECISION_TF32 = 1,   /* float32 operands rounded to TF32 (10 mantissa
                              * bits) inside the product, float32 sums */
    GL_PRECISION_BF16 = 2,   /* operands as bfloat16 (8 mantissa bits, float32's
                              * range), float32 sums */
    GL_PRECISION_F16  = 3,   /* operands as IEEE half (11 mantissa bits, largest
                              * 65504), float32 sums: gradients may underflow,
                              * hence loss scaling (optim.h) */
    GL_PRECISION_COUNT
} genlab_precision;

/* genlab_precision_names — "fp32", "tf32", "bf16", "f16" in the enum's
 * order, then NULL (the choices of a setting such as train.precision). */
extern const char *const genlab_precision_names[GL_PRECISION_COUNT + 1];

/* genlab_precision_name — genlab_precision_names[p]; NULL for a value
 * outside the enum. Static text. */
const char *genlab_precision_name(genlab_precision p);

/* genlab_ctx_set_precision — the compute type of the context's following
 * gemm and convolution kernels (a backend's optional set_precision,
 * backend.h). fp32 is always accepted. A new context computes in fp32,
 * except that a CUDA context starts in tf32 under GENLAB_CUDA_TF32=1 (the
 * same setting, made by the backend at init); a run sets train.precision
 * explicitly, so its record is what it computed in.
 * Returns GL_OK; GL_ERR_INVALID for a value outside the enum;
 * GL_ERR_UNSUPPORTED when the backend cannot compute so (the CPU computes
 * in fp32 only), with a message on ctx that starts "precision=NAME" so a
 * caller may prefix the scope of its setting ("train."): "precision=f16
 * needs a backend with reduced-precision compute; the cpu backend computes
 * in fp32". Nothing changes on failure. */
genlab_status genlab_ctx_set_precision(genlab_ctx *ctx, genlab_precision p);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_CONTEXT_H */
