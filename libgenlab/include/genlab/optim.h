/* SPDX-License-Identifier: MIT
 *
 * optim.h — optimizers, learning-rate schedules, gradient clipping and an
 * exponential moving average of the parameters.
 *
 * Everything here walks the flat blocks of a finalized genlab_params
 * (nn.h): an optimizer step is one loop over genlab_params_numel floats,
 * with its state (momentum, Adam moments) in flat blocks of the same size
 * and layout, so checkpoints save and restore it with one copy per block.
 * The update rules reproduce torch.optim of PyTorch 1.13 (SGD, Adam, AdamW,
 * the default single-tensor path) and torch.nn.utils.clip_grad_norm_.
 *
 * The loops run on host memory (the CPU backend) with OpenMP; each element
 * is updated independently, so results do not depend on the thread count.
 * (A non-CPU backend will need an optimizer-step kernel in its vtable.)
 * Thread-safety: one thread at a time per optimizer / EMA, as the context.
 * Not here: the parameters themselves (nn.h), checkpoint files.
 *
 * Loss scaling (torch.cuda.amp.GradScaler's rules) keeps the gradients of
 * reduced-precision compute (context.h: f16) from underflowing: the loss
 * is multiplied by a scale before the backward pass, the gradient block
 * divided by it before the optimizer step, and a step whose gradients are
 * not finite is skipped while the scale backs off.
 *
 * Sections: optimizers, learning-rate schedules, gradient clipping, EMA,
 * loss scaling.
 */
#ifndef GENLAB_OPTIM_H
#define GENLAB_OPTIM_H

#include <stdbool.h>
#include <stdint.h>

#include "nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- optimizers ---- */

typedef enum genlab_optim_kind {
    GL_OPTIM_SGD   = 0,  /* torch.optim.SGD (dampening 0) */
    GL_OPTIM_ADAM  = 1,  /* torch.optim.Adam (weight decay as L2 on the gradient) */
    GL_OPTIM_ADAMW = 2   /* torch.optim.AdamW (decoupled weight decay) */
} genlab_optim_kind;

/* Hyperparameters. Take genlab_optim_defaults(kind) and change what you need;
 * fields a kind does not use are ignored. Each is validated by
 * genlab_optim_create, with a message naming the key. */
typedef struct genlab_optim_options {
    genlab_optim_kind kind;
    double lr;            /* "lr" >= 0 */
    double momentum;      /* "momentum" >= 0 (SGD) */
    bool   nesterov;      /* "nesterov" (SGD; needs momentum > 0) */
    double beta1, beta2;  /* "beta1", "beta2" in [0, 1) (Adam, AdamW) */
    double eps;           /* "eps" > 0 (Adam, AdamW) */
    double weight_decay;  /* "weight_decay" >= 0 */
} genlab_optim_options;

/* genlab_optim_defaults — PyTorch's defaults for kind: Adam lr 1e-3, betas
 * (0.9, 0.999), eps 1e-8, weight_decay 0; AdamW the same with weight_decay
 * 1e-2; SGD momentum 0, no nesterov, weight_decay 0 and lr 1e-2 (PyTorch has
 * no default lr for SGD). An unknown kind gives the Adam values with that kind. */
genlab_optim_options genlab_optim_defaults(genlab_optim_kind kind);

typedef struct genlab_optim genlab_optim;

/* genlab_optim_create — an optimizer over all parameters of p (finalized,
 * and it must outlive the optimizer). State blocks start at zero, step 0.
 * out: OUT: the optimizer, freed with genlab_optim_destroy.
 * Returns GL_OK; GL_ERR_INVALID naming the key of a bad hyperparameter
 * ("adam: beta2 = 1 is outside [0, 1)"); GL_ERR_STATE when p is not
 * finalized; GL_ERR_NOMEM. Errors are also recorded on ctx. */
genlab_status genlab_optim_create(genlab_ctx *ctx, genlab_params *p,
                                  const genlab_optim_options *opts, genlab_optim **out);

/* genlab_optim_destroy — free the optimizer and its state. NULL is a no-op. */
void genlab_optim_destroy(genlab_optim *o);

/* genlab_optim_step — one update of every parameter from the gradient block
 * (which it does not clear: call genlab_params_zero_grad). Increments the
 * step count first, as PyTorch, so Adam's bias correction of the first step
 * uses t = 1. Returns GL_OK, or the sticky status of ctx if one is set (a
 * failed forward or backward), in which case nothing changes. */
genlab_status genlab_optim_step(genlab_ctx *ctx, genlab_optim *o);

/* genlab_optim_set_lr — the learning rate of the following steps (feed it
 * genlab_lr_at). GL_ERR_INVALID unless lr is finite and >= 0. */
genlab_status genlab_optim_set_lr(genlab_ctx *ctx, genlab_optim *o, double lr);
double        genlab_optim_lr(const genlab_optim *o);

/* The optimizer's state, for checkpoints: buffers[i] has numel floats laid
 * out like the parameter block (entry k belongs to parameter element k). */
typedef struct genlab_optim_state {
    int64_t     step;         /* steps taken */
    int64_t     numel;        /* floats in each buffer (= genlab_params_numel) */
    int         n_buffers;    /* 0 (SGD without momentum), 1 (SGD), 2 (Adam, AdamW) */
    const char *names[2];     /* PyTorch's state keys: "momentum_buffer"; "exp_avg", "exp_avg_sq" */
    float      *buffers[2];   /* owned by the optimizer; write into them to restore */
} genlab_optim_state;

/* genlab_optim_get_state — fill *out (pointers stay valid until destroy). */
void genlab_optim_get_state(genlab_optim *o, genlab_optim_state *out);

/* genlab_optim_set_step — restore the step count (after loading buffers).
 * GL_ERR_INVALID when step < 0. */
genlab_status genlab_optim_set_step(genlab_ctx *ctx, genlab_optim *o, int64_t step);

/* genlab_optim_visit — the optimizer's state for checkpoints: each buffer
 * as "<prefix>.<PyTorch's key>" ("G.optim.exp_avg", laid out like the
 * parameter block, one (numel) tensor) and the step count as
 * "<prefix>.step", a one-element int32 tensor (so at most 2^31 - 1 steps;
 * GL_ERR_UNSUPPORTED beyond). What fn writes is taken as the new state. */
genlab_status genlab_optim_visit(genlab_optim *o, const char *prefix, genlab_visit_fn fn,
                                 void *user);

/* ---- learning-rate schedules ---- */

typedef enum genlab_lr_kind {
    GL_LR_CONSTANT = 0,  /* base_lr after warm-up */
    GL_LR_LINEAR   = 1,  /* base_lr -> final_lr linearly between warm-up end and total_steps */
    GL_LR_COSINE   = 2   /* cosine from base_lr to final_lr (eta_min), as CosineAnnealingLR */
} genlab_lr_kind;

/* A schedule over 0-based step numbers. With warmup_steps = W > 0, steps
 * 0..W-1 ramp linearly: lr = base_lr * (step + 1) / W. Decay then runs over
 * D = total_steps - W steps: with t = step - W (clamped to D),
 *   linear: base_lr + (final_lr - base_lr) * t / D
 *   cosine: final_lr + (base_lr - final_lr) * (1 + cos(pi * t / D)) / 2
 * and stays at final_lr from step total_steps on. */
typedef struct genlab_lr_schedule {
    genlab_lr_kind kind;
    double         base_lr;       /* >= 0 */
    double         final_lr;      /* >= 0; unused by CONSTANT */
    int64_t        warmup_steps;  /* >= 0 */
    int64_t        total_steps;   /* > warmup_steps for LINEAR and COSINE; unused by CONSTANT */
} genlab_lr_schedule;

/* genlab_lr_schedule_check — GL_OK, or GL_ERR_INVALID with a message naming
 * the bad field. */
genlab_status genlab_lr_schedule_check(genlab_ctx *ctx, const genlab_lr_schedule *s);

/* genlab_lr_at — the learning rate of step (negative steps count as 0).
 * A pure function; NAN for a schedule that genlab_lr_schedule_check refuses. */
double genlab_lr_at(const genlab_lr_schedule *s, int64_t step);

/* ---- gradient clipping ---- */

/* genlab_clip_grad_norm — torch.nn.utils.clip_grad_norm_ (L2) over the whole
 * gradient block: computes the total norm; if max_norm / (norm + 1e-6) < 1,
 * multiplies every gradient by it.
 * total_norm: OUT (may be NULL): the norm before clipping.
 * Returns GL_OK; GL_ERR_INVALID unless max_norm is finite and > 0;
 * GL_ERR_NUMERIC (gradients untouched) when the norm is NaN or infinite. */
genlab_status genlab_clip_grad_norm(genlab_ctx *ctx, genlab_params *p, double max_norm,
                                    float *total_norm);

/* ---- exponential moving average of the parameters ---- */

typedef struct genlab_ema genlab_ema;

/* genlab_ema_create — a shadow block holding a copy of p's parameters now.
 * Buffers (BatchNorm statistics) are not averaged: the model's own are used.
 * decay in [0, 1]. out: OUT, freed with genlab_ema_destroy (before p). */
genlab_status genlab_ema_create(genlab_ctx *ctx, genlab_params *p, double decay,
                                genlab_ema **out);
void          genlab_ema_destroy(genlab_ema *e);

/* genlab_ema_update — shadow = decay * shadow + (1 - decay) * params; call
 * after each optimizer step. GL_ERR_STATE while swapped in. */
genlab_status genlab_ema_update(genlab_ctx *ctx, genlab_ema *e);

/* genlab_ema_swap — exchange the shadow and the live parameters, e.g. to
 * evaluate or sample with the averaged weights; a second call swaps back.
 * genlab_ema_swapped tells which side is live. */
genlab_status genlab_ema_swap(genlab_ctx *ctx, genlab_ema *e);
bool          genlab_ema_swapped(const genlab_ema *e);

/* genlab_ema_copy_to — write the averaged weights into another params object
 * with the same layout (same parameter count and sizes), e.g. a separate
 * evaluation copy of the generator. GL_ERR_SHAPE on a layout mismatch. */
genlab_status genlab_ema_copy_to(genlab_ctx *ctx, const genlab_ema *e, genlab_params *dst);

/* For checkpoints: the shadow block (numel floats, owned by e; it holds the
 * live training weights while swapped, so save un-swapped), its size and the
 * number of updates so far (restorable). */
float        *genlab_ema_shadow(genlab_ema *e);
int64_t       genlab_ema_numel(const genlab_ema *e);
int64_t       genlab_ema_updates(const genlab_ema *e);
void          genlab_ema_set_updates(genlab_ema *e, int64_t n);
/* genlab_ema_visit — the EMA for checkpoints: the shadow weights as
 * "<prefix>.shadow" (laid out like the parameter block) and the update
 * count as "<prefix>.updates" (one-element int32, as genlab_optim_visit).
 * GL_ERR_STATE while swapped (the shadow is live in the block then). */
genlab_status genlab_ema_visit(genlab_ema *e, const char *prefix, genlab_visit_fn fn,
                               void *user);

/* ---- loss scaling ---- */

typedef enum genlab_loss_scale_kind {
    GL_LOSS_SCALE_NONE    = 0,   /* no scaling: gradients used as they come */
    GL_LOSS_SCALE_FIXED   = 1,   /* one scale for the whole run; a step with
                                  * non-finite gradients is skipped */
    GL_LOSS_SCALE_DYNAMIC = 2    /* GradScaler: grows after growth_interval
                                  * finite steps in a row, backs off (and the
                                  * step is skipped) on a non-finite one */
} genlab_loss_scale_kind;

/* Take genlab_loss_scale_defaults(kind) and change what you need. */
typedef struct genlab_loss_scale_options {
    genlab_loss_scale_kind kind;
    double  init_scale;        /* > 0, finite as a float (65536: GradScaler's
                                * init_scale); the fixed kind's scale */
    double  growth_factor;     /* > 1 (2.0); dynamic only */
    double  backoff_factor;    /* in (0, 1) (0.5); dynamic only */
    int64_t growth_interval;   /* >= 1 (2000); dynamic only */
} genlab_loss_scale_options;

/* genlab_loss_scale_defaults — GradScaler's defaults for kind. */
genlab_loss_scale_options genlab_loss_scale_defaults(genlab_loss_scale_kind kind);

/* genlab_loss_scale_auto — the scaling a computation in precision p needs
 * (train.loss_scale=auto): dynamic under f16, whose gradients underflow,
 * else none (bf16 has float32's range). */
genlab_loss_scale_options genlab_loss_scale_auto(genlab_precision p);

/* genlab_loss_scale_parse — the text of a loss-scale setting: "none",
 * "dynamic" or a positive number (a fixed scale, written as strtod reads
 * it). OUT: *o, genlab_loss_scale_defaults of the kind, with a number as
 * its init_scale. Returns false (o untouched) for any other text, a number
 * that is not finite as a float, or one <= 0. */
bool genlab_loss_scale_parse(const char *text, genlab_loss_scale_options *o);

typedef struct genlab_loss_scaler genlab_loss_scaler;

/* genlab_loss_scaler_create — a scaler at its initial scale, no step seen.
 * out: OUT, freed with genlab_loss_scaler_destroy.
 * Returns GL_OK; GL_ERR_INVALID naming the first bad option
 * ("loss scale: backoff_factor = 1 is outside (0, 1)"); GL_ERR_NOMEM.
 * Errors are also recorded on ctx. */
genlab_status genlab_loss_scaler_create(genlab_ctx *ctx, const genlab_loss_scale_options *o,
                                        genlab_loss_scaler **out);
void          genlab_loss_scaler_destroy(genlab_loss_scaler *s);

/* genlab_loss_scaler_enabled — whether s scales (a kind other than none;
 * false for NULL). */
bool genlab_loss_scaler_enabled(const genlab_loss_scaler *s);

/* genlab_loss_scaler_apply — loss * the current scale, recorded on the
 * tape (the tensor to call genlab_backward on); loss itself when s is NULL
 * or does not scale. NULL when loss is NULL (sticky error). */
genlab_tensor *genlab_loss_scaler_apply(genlab_ctx *ctx, const genlab_loss_scaler *s,
                                        genlab_tensor *loss);

/* genlab_loss_scaler_unscale — after a backward of an applied loss:
 * multiply p's gradient block by 1 / scale (GradScaler's inv_scale, a
 * float: exact for powers of two) and test it with one sum over the block
 * (in the backend's double accumulators) and one scalar read: a NaN or
 * infinite gradient makes the sum non-finite, and so does a finite block
 * whose sum leaves the float range (no gradient worth a step does).
 * finite: OUT: whether the block is finite; when not, the step is to be
 * skipped and the scaler remembers it for genlab_loss_scaler_update. Each
 * block once per backward (unscaling twice divides twice). Without scaling
 * (s NULL or kind none), *finite = true and nothing is read or changed.
 * Returns GL_OK, or the sticky status (nothing done; *finite = false). */
genlab_status genlab_loss_scaler_unscale(genlab_ctx *ctx, genlab_loss_scaler *s,
                                         genlab_params *p, bool *finite);

/* genlab_loss_scaler_update — the end of a training step (GradScaler's
 * update()): when a block unscaled since the last update was not finite,
 * the step counts as skipped, the scale is multiplied by backoff_factor
 * (dynamic) and the run of finite steps restarts; otherwise the run grows
 * by one and after growth_interval finite steps the scale is multiplied by
 * growth_factor, unless that would overflow a float. Returns true when the
 * step used the scaler (a block was unscaled since the last update); false
 * changes nothing (a step that never unscaled, or s NULL / kind none). */
bool genlab_loss_scaler_update(genlab_loss_scaler *s);

/* A scaler's state, for checkpoints and curves. */
typedef struct genlab_loss_scale_state {
    float   scale;            /* the scale the next loss is multiplied by (1: none) */
    int64_t growth_tracker;   /* finite steps in a row since the last change */
    int64_t skipped;          /* steps skipped so far */
} genlab_loss_scale_state;

/* genlab_loss_scaler_get_state — *out from s (NULL: scale 1, zeros). */
void genlab_loss_scaler_get_state(const genlab_loss_scaler *s, genlab_loss_scale_state *out);

/* genlab_loss_scaler_set_state — restore a state (a resumed run). Returns
 * GL_OK; GL_ERR_INVALID with a message on ctx (s unchanged) when the scale
 * is not a positive finite float or a count is negative, or when s is NULL
 * or does not scale. */
genlab_status genlab_loss_scaler_set_state(genlab_ctx *ctx, genlab_loss_scaler *s,
                                           const genlab_loss_scale_state *in);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_OPTIM_H */
