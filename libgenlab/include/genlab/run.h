/* SPDX-License-Identifier: MIT
 *
 * run.h — the run loop: one training run from a registry of plugins, a
 * resolved configuration and an open experiment store.
 *
 * The core's own parameters (train.*, optim.*) are declared with the same
 * machinery as a component's (genlab_run_declare), so they are validated,
 * documented and recorded like every other value. A run then goes:
 *
 *     genlab_config_create(&cfg);
 *     genlab_run_declare(cfg);                    // train.*, optim.*
 *     genlab_config_load_ini(cfg, "exp.ini");     // and/or genlab_config_set_args
 *     if (genlab_config_resolve(cfg, reg) != GL_OK)
 *         ...report genlab_config_errmsg(cfg): nothing was written...
 *     genlab_run_result r;
 *     genlab_run_train(reg, cfg, store, &opts, &r);
 *
 * genlab_run_train first sets everything up — the context (train.seed,
 * train.threads), the dataset (train.dataset, split "train") and the
 * trainer (train.trainer) with the components it names — and only when
 * all of that worked inserts the run's row, so a configuration a plugin
 * refuses leaves no run behind. It then records every resolved parameter
 * (defaults included) and loops over the steps: genlab_ctx_step_begin, the
 * trainer's step, the step's scalars checked finite, curves logged through
 * the store's buffered metric logger, a progress callback. The run ends
 * 'completed', 'failed' (the status and message stored) or, when the
 * caller's stop flag is set, 'interrupted' between two steps with every
 * buffered metric written first.
 *
 * Data: the core owns the data order. A batch is train.batch items of a
 * per-epoch permutation of the dataset drawn from Philox keyed by
 * train.seed (counters disjoint from the context's streams), so the order
 * depends only on the seed. An epoch's last, incomplete batch is dropped
 * (train.drop_last, the default) or returned short. With train.prefetch
 * (the default) a thread reads the next batch while a step runs; the
 * dataset's augmentations draw from a data stream of the loader's own, so
 * prefetching never changes which values a batch holds.
 *
 * Checkpoints: a trainer with a visit() callback is checkpointed every
 * train.ckpt_every steps, at the end, and when the run is interrupted (a
 * failed run keeps its last good one), into train.ckpt_dir (default
 * "checkpoints/<uuid>" in the store's directory) as
 * step-<12 digits>.safetensors (checkpoint.h), keeping the train.ckpt_keep
 * newest; each is recorded as an artifact of kind "checkpoint". A file
 * holds every tensor the trainer visits and, as metadata, the steps done,
 * the context's RNG state, the data loader's position (epoch, offset, its
 * data stream), the trainer's name, the dataset's hash, the loss
 * scaler's state (with scaling) and the configuration. A run started with
 * opt->resume_from restores all of that
 * before its first step and goes on from there: with the same
 * configuration and thread count it produces bit for bit the values the
 * original run would have (tests/test_run.c checks this), and it is
 * recorded as a new run whose parent_uuid is the original's. The
 * checkpoint must match: the same trainer, the same dataset hash, the same
 * tensor names, dtypes and shapes; any difference is an error naming it.
 *
 * Curves (the metrics table), at step 0, every train.log_every steps, at
 * the last step, and at the last step done when a run stops early (a
 * non-finite step is logged too, its bad value as NULL): each scalar the
 * trainer reported under its own name, "lr" (the learning rate the optim.*
 * keys give at that step, unless the trainer reported "lr" itself),
 * "data_time" and "step_time" (seconds per step, averaged over the steps
 * since the previous logged one; data time is the time spent fetching
 * batches), and with loss scaling "loss_scale" (the scale the step's
 * losses were multiplied by) and "skipped_steps" (the steps so far whose
 * gradients were not finite, so their optimizer updates were left out and
 * the scale backed off; a skipped step is no error, but a non-finite loss
 * a trainer reports still is). Steps are numbered from 0, as the trainer
 * sees them.
 *
 * Host services of a run (plugin.h): once the run's row exists, the host
 * the trainer was created with offers run_dir (the checkpoint directory,
 * for a trainer with visit()), artifact(), which records a file the
 * trainer wrote (a sample grid) in the run's artifacts, and score(), which
 * records a score the trainer computed (a VAE's held-out ELBO).
 *
 * A trained model: genlab_model_open brings a run's trainer back from a
 * checkpoint without a run, for `genlab sample` and `genlab interpolate`.
 *
 * Not here: evaluation (scores); what sampling means is the trainer's.
 * Not thread-safe: one run per registry, configuration and store at a time.
 *
 * Sections: the core's parameters, running, a trained model, for trainers:
 * networks, for trainers: samples of a run.
 */
#ifndef GENLAB_RUN_H
#define GENLAB_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "image.h"
#include "optim.h"
#include "plugin.h"
#include "registry.h"
#include "status.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the core's parameters ---- */

/* The keys genlab_run_declare declares (defaults and ranges):
 *
 *   train.trainer   component (trainer), required: what one step is; its
 *                   parameters live under its own name (mock.*, gan.*)
 *   train.dataset   component (dataset), default none: the data; its
 *                   parameters live under dataset.*. A trainer that pulls
 *                   a batch without one fails its first step
 *   train.steps     int, 1000, [1, 10^12]: optimisation steps
 *   train.batch     int, 64, [1, 65536]: items per batch
 *   train.seed      int, 0, [0, 2^63 - 1]: seeds the context and data order
 *   train.threads   int, 0, [0, 1024]: kernel threads (0: OpenMP's default)
 *   train.backend   string, "auto": cpu, cuda (a loaded backend plugin) or
 *                   auto (genlab_ctx_options.backend); the run's parameters
 *                   record the backend used ("auto" resolved)
 *   train.device    string, "": not read; the run's parameters record the
 *                   device used (the GPU's name, or "cpu")
 *   train.precision enum fp32 | tf32 | bf16 | f16, fp32: the compute type of
 *                   matrix products and convolutions (genlab_ctx_set_precision;
 *                   parameters and every tensor stay float32). A backend
 *                   without it (the CPU computes in fp32 only) fails the run
 *                   at setup: "train.precision=f16 needs a backend with
 *                   reduced-precision compute; the cpu backend computes in fp32"
 *   train.loss_scale string, "auto": none, dynamic (GradScaler's rules:
 *                   optim.h), a positive number (a fixed scale), or auto
 *                   (dynamic under f16, else none); any other text fails the
 *                   run at setup, naming the key and the value. Recorded
 *                   resolved ("auto" as none or dynamic)
 *   train.loss_scale_init float, 65536, [1e-30, 3.4e38]: the first scale of
 *                   dynamic scaling
 *   train.log_every int, 10, [1, 10^9]: steps between logged curve points
 *   train.name      string, "": the run's label (stored NULL when empty)
 *   train.drop_last bool, true: drop each epoch's incomplete last batch
 *   train.prefetch  bool, true: read ahead on a thread of its own
 *   train.ckpt_every int, 1000, [0, 10^12]: steps between checkpoints (0:
 *                   only at the end and when interrupted)
 *   train.ckpt_keep int, 3, [1, 10^6]: the newest checkpoints kept
 *   train.ckpt_dir  string, "": where they go (default checkpoints/<uuid>
 *                   beside the store)
 *   optim.name      enum adam | adamw | sgd, adam
 *   optim.lr        float, 1e-3, [0, 10]: base learning rate
 *   optim.beta1     float, 0.9, [0, 1]   (Adam, AdamW; 1 is refused by the
 *   optim.beta2     float, 0.999, [0, 1]  optimizer itself)
 *   optim.eps       float, 1e-8, [1e-30, 1]
 *   optim.momentum  float, 0, [0, 1] (SGD)
 *   optim.nesterov  bool, false (SGD)
 *   optim.weight_decay float, 0, [0, 10] (PyTorch's AdamW uses 1e-2: set it)
 *   optim.schedule  enum constant | linear | cosine, constant
 *   optim.warmup    int, 0, [0, 10^12]: linear warm-up steps
 *   optim.final_lr  float, 0, [0, 10]: where linear and cosine end
 */

/* genlab_run_declare — declare the keys above on cfg (before resolve).
 * Returns GL_OK, or genlab_config_declare's status (GL_ERR_STATE after
 * resolve, GL_ERR_INVALID when declared twice, GL_ERR_NOMEM); the message
 * is on cfg. */
genlab_status genlab_run_declare(genlab_config *cfg);

/* genlab_run_param — core parameter i (0 <= i), in the order above, for
 * help texts. scope: OUT (may be NULL): "train" or "optim" (static).
 * out: OUT: a copy of the definition (its strings are static).
 * Returns false when i is past the last one. Thread-safe. */
bool genlab_run_param(size_t i, const char **scope, genlab_param_def *out);

/* genlab_run_optim — the optimizer and learning-rate schedule the optim.*
 * keys of a resolved configuration describe, for trainers (read from
 * host->config) and for the "lr" curve, so the two agree.
 * cfg:   any view of the configuration (its root is read).
 * opts:  OUT (may be NULL): genlab_optim_defaults(optim.name) with every
 *        optim.* value applied.
 * sched: OUT (may be NULL): optim.schedule, optim.lr, optim.final_lr,
 *        optim.warmup, and train.steps as its total.
 * Returns GL_OK; GL_ERR_INVALID with a message on ctx for a schedule that
 * genlab_lr_schedule_check refuses (warm-up not shorter than the run), or
 * when the keys are not declared (then also recorded on cfg). */
genlab_status genlab_run_optim(genlab_ctx *ctx, const genlab_config *cfg,
                               genlab_optim_options *opts, genlab_lr_schedule *sched);

/* ---- running ---- */

/* Called once the run's row exists (before the first step), e.g. to print
 * the uuid. */
typedef void (*genlab_run_started_fn)(void *user, int64_t run_id, const char *uuid);

/* Called after each step with the number of steps done (1..total), the
 * total, and the step's loss: its scalar named "loss", else its first
 * scalar, else NaN. Cheap callbacks only: it runs in the loop. */
typedef void (*genlab_run_progress_fn)(void *user, int64_t step, int64_t total, double loss);

/* What the caller adds to a run. Zero-initialise, then set; all optional. */
typedef struct genlab_run_options {
    const char *command_line;        /* stored with the run (for re-running) */
    /* stop — checked before each step: non-zero ends the run 'interrupted'.
     * Meant to be set by a signal handler (the only thing one may do). */
    volatile sig_atomic_t *stop;
    genlab_run_started_fn  started;
    genlab_run_progress_fn progress;
    void                  *user;     /* passed to both callbacks */
    /* resume_from — a checkpoint this run continues from (see "Checkpoints"
     * above); NULL starts from step 0. parent_uuid is stored with the new
     * run as the run it continues (may be NULL). */
    const char            *resume_from;
    const char            *parent_uuid;
    /* sweep, sweep_point — the sweep that launches the run and its point
     * (a JSON object, sweep.h), stored as runs.sweep and runs.sweep_point
     * so that a re-run sweep finds the points done; NULL outside sweeps */
    const char            *sweep;
    const char            *sweep_point;
} genlab_run_options;

/* What a run did. Members are appended only. */
typedef struct genlab_run_result {
    int64_t           run_id;        /* 0: no run row was written */
    char              uuid[37];      /* "" when no row was written */
    genlab_run_status status;        /* the row's final status; 0 when none */
    genlab_status     code;          /* what genlab_run_train returned */
    int64_t           steps_done;    /* steps that completed */
    int64_t           steps_total;   /* train.steps (0 if never read) */
    double            loss;          /* the last progress loss; NaN if none */
    double            seconds;       /* wall time of the step loop */
    double            step_seconds;  /* of which inside the trainer's step() */
    double            log_seconds;   /* of which logging curves (the store's
                                        buffered logger, flushes included) */
    char              message[1024]; /* why it failed or stopped; "" if completed */
    int64_t           skipped_steps; /* steps whose optimizer updates loss scaling
                                        left out (gradients not finite), resumed
                                        runs' included; 0 without scaling */
} genlab_run_result;

/* genlab_run_train — run one training run.
 * reg:   the registry cfg was resolved with (components are looked up in it).
 * cfg:   a configuration declared with genlab_run_declare and resolved.
 * store: open read-write; the run's rows go there.
 * opt:   callbacks, stop flag, command line; NULL for none.
 * out:   OUT: what happened (always filled, also on failure).
 * Returns:
 *   GL_OK               the run completed (status GL_RUN_COMPLETED);
 *   GL_ERR_INTERRUPTED  *opt->stop was set: the run is 'interrupted' after
 *                       out->steps_done steps, every curve point written;
 *   GL_ERR_NUMERIC      a step reported a NaN or infinite scalar: the run
 *                       is 'failed', the message naming the scalar and the
 *                       step;
 *   another status      a failure. With out->run_id == 0 nothing was
 *                       written: cfg not resolved or without the core keys
 *                       (GL_ERR_STATE), a schedule refused, the context,
 *                       dataset or trainer could not be created (the
 *                       plugin's status), the row could not be inserted.
 *                       Otherwise the run is 'failed' with the status and
 *                       message (a step's error, a store error).
 * The message is in out->message. The library prints nothing; plugins log
 * through the registry's logger. */
genlab_status genlab_run_train(genlab_registry *reg, const genlab_config *cfg, genlab_store *store,
                               const genlab_run_options *opt, genlab_run_result *out);

/* ---- a trained model ---- */

/* A run's trainer with a checkpoint's tensors loaded, for sampling. Opaque. */
typedef struct genlab_model genlab_model;

/* genlab_model_open — create the trainer that a resolved configuration
 * (the run's recorded parameters) describes, as genlab_run_train does: the
 * context (train.threads), the dataset opened for its shape (it stays open;
 * nothing is read from it), the trainer and the components it names; then
 * load every tensor of the checkpoint at path into it, with the checks of a
 * resume (the same trainer; every tensor present with its shape and dtype;
 * none left over) but not the run's state: no step, data position or RNG
 * state is taken from the file, and train.steps does not matter. No store
 * is involved and nothing is written.
 * seed:  seeds the context's random numbers (the latents sample() draws).
 * out:   OUT: the model, freed with genlab_model_close.
 * err:   OUT (may be NULL): the reason on failure, "" on success (err_size
 *        bytes at most).
 * Returns GL_OK; GL_ERR_UNSUPPORTED for a trainer without visit();
 * GL_ERR_INVALID / GL_ERR_FORMAT / GL_ERR_IO for a checkpoint that does
 * not fit or cannot be read; the dataset's or trainer's status when they
 * cannot be created. */
genlab_status genlab_model_open(genlab_registry *reg, const genlab_config *cfg, const char *path,
                                uint64_t seed, genlab_model **out, char *err, size_t err_size);

/* genlab_model_close — destroy the trainer, close the dataset, free the
 * context. NULL is a no-op. */
void genlab_model_close(genlab_model *m);

/* genlab_model_ctx — the model's context: pass it to the trainer's
 * callbacks; its arena holds their results until genlab_ctx_step_begin.
 * Owned by the model. */
genlab_ctx *genlab_model_ctx(const genlab_model *m);

/* genlab_model_trainer — the trainer's vtable, and its state in *state
 * (OUT, may be NULL), for sample() and the optional generate(). Owned by
 * the model. */
const genlab_trainer_i *genlab_model_trainer(const genlab_model *m, void **state);

/* genlab_model_data — the shape of the data the model was trained on. */
const genlab_data_spec *genlab_model_data(const genlab_model *m);

/* ---- for trainers: components and networks ----
 *
 * What every trainer does alike with the components it names: bind one
 * through one of its GL_PARAM_COMPONENT parameters; for an arch, build it
 * into a parameter block of its own, optimise that block with the core's
 * optim.* settings and checkpoint both; for a loss, refuse one that needs
 * an input the trainer does not give. Implemented in
 * libgenlab/run_trainer.c. */

/* genlab_trainer_component — the component that parameter ref of cfg (the
 * trainer's scope) names, which must be of kind, and the view of its
 * parameters (OUT: *c, *scope; genlab_config_component). who names the
 * trainer in the message of a failure: "WHO: REF: <the configuration's
 * message>" on host->ctx. Returns GL_OK or the configuration's status. */
genlab_status genlab_trainer_component(const genlab_host *host, const genlab_config *cfg,
                                       const char *ref, genlab_component_kind kind,
                                       const char *who, const genlab_component **c,
                                       const genlab_config **scope);

/* The settings every trainer that draws sample grids reads alike. Embed
 * one in the trainer's state; genlab_trainer_run_read fills it. */
typedef struct genlab_trainer_run {
    int64_t steps;          /* train.steps: the last grid's step */
    int64_t sample_every;   /* the trainer's sample_every (0: only after the last step) */
    int64_t sample_n;       /* the trainer's sample_n: the images of a grid */
} genlab_trainer_run;

/* genlab_trainer_run_read — r from cfg (the trainer's scope: its
 * sample_every and sample_n parameters) and host->config (train.steps),
 * and the core's optimizer and schedule (genlab_run_optim on host->config;
 * OUT: *opt, *sched, which may be NULL). Returns GL_OK or
 * genlab_run_optim's failure (message on host->ctx). */
genlab_status genlab_trainer_run_read(const genlab_host *host, const genlab_config *cfg,
                                      genlab_trainer_run *r, genlab_optim_options *opt,
                                      genlab_lr_schedule *sched);

/* genlab_trainer_sample_due — whether a trainer draws its grids after
 * `done` steps: inside a run (the host has a run_dir), every sample_every
 * steps and after the last (r->steps). */
bool genlab_trainer_sample_due(const genlab_host *host, const genlab_trainer_run *r,
                               int64_t done);

/* One loss component of a trainer. Zero-initialise;
 * genlab_trainer_loss_destroy frees one however far create got. */
typedef struct genlab_trainer_loss {
    const genlab_loss_i *iface;
    void                *state;   /* the loss's (NULL: stateless) */
    const char          *name;    /* the component's name (static) */
} genlab_trainer_loss;

/* genlab_trainer_loss_create — bind the loss that parameter ref of cfg
 * names (genlab_trainer_component), refuse it when it needs an input that
 * is not in provided (a NULL-terminated list of the names the trainer
 * gives): GL_ERR_INVALID "WHO: loss \"NAME\" needs input \"IN\", which this
 * trainer does not provide (it gives A, B, C)"; else create it with its
 * parameters. l: OUT. Returns GL_OK or the failure (message on
 * host->ctx); free l with genlab_trainer_loss_destroy either way. */
genlab_status genlab_trainer_loss_create(const genlab_host *host, const genlab_config *cfg,
                                         const char *ref, const char *const *provided,
                                         const char *who, genlab_trainer_loss *l);

/* genlab_trainer_loss_destroy — destroy the loss's state; l is left
 * zeroed. NULL is a no-op. */
void genlab_trainer_loss_destroy(genlab_trainer_loss *l);

/* One network of a trainer. Zero-initialise; genlab_net_destroy frees a
 * network however far genlab_net_create got. */
typedef struct genlab_net {
    const genlab_arch_i *arch;
    void                *state;    /* the arch's; NULL until built */
    genlab_params       *params;
    genlab_optim        *optim;
    genlab_lr_schedule   lr;       /* the core's schedule from this network's base rate */
    genlab_loss_scaler  *scaler;   /* the run's (host->loss_scaler; not owned), shared
                                    * by a trainer's networks; NULL: no scaling */
    bool                 unscaled; /* this backward's gradients are unscaled ... */
    bool                 finite;   /* ... and finite (genlab_net_unscale) */
} genlab_net;

/* genlab_net_create — bind component parameter ref (an arch) of cfg (the
 * trainer's scope), build it for spec into a new parameter block,
 * finalize the block (initialising it from the context's init stream) and
 * give it an optimizer: opt, with base learning rate lr (0: opt's own) on
 * the schedule sched, and the run's loss scaler (host->loss_scaler, when
 * the host has one). who names the trainer in messages ("trainer gan").
 * n: OUT (zero-initialised by the caller). Returns GL_OK or the first
 * failure (message on host->ctx); free n with genlab_net_destroy either
 * way. */
genlab_status genlab_net_create(const genlab_host *host, const genlab_config *cfg,
                                const char *ref, const genlab_arch_spec *spec,
                                const genlab_optim_options *opt, const genlab_lr_schedule *sched,
                                double lr, const char *who, genlab_net *n);

/* genlab_net_destroy — destroy the arch's state, the optimizer and the
 * block; n is left zeroed. NULL is a no-op. */
void genlab_net_destroy(genlab_net *n);

/* Loss scaling (train.loss_scale): a trainer calls genlab_backward on
 * genlab_net_scale_loss(loss), then genlab_net_step for each network the
 * loss reaches; genlab_net_step divides the gradients by the scale and
 * leaves out the optimizer step when they are not finite (the run loop
 * then backs the scale off; run.c). A trainer that reads its gradients
 * before the step (clipping) calls genlab_net_unscale first and touches
 * them only when they are finite. Without scaling, all three cost nothing:
 * the loss is returned as it is and every step is taken. */

/* genlab_net_scale_loss — loss times the scale of n's scaler (recorded on
 * the tape), or loss itself without scaling. The networks of a trainer
 * share the run's scaler, so a loss that reaches several is scaled through
 * any of them. NULL when loss is NULL. */
genlab_tensor *genlab_net_scale_loss(genlab_ctx *ctx, const genlab_net *n, genlab_tensor *loss);

/* genlab_net_unscale — after the backward of a scaled loss, n's gradients
 * divided by the scale and tested (genlab_loss_scaler_unscale), once per
 * backward: later calls before genlab_net_step give the first answer.
 * finite: OUT (may be NULL): whether they are finite (true without
 * scaling). Returns GL_OK or the sticky status. */
genlab_status genlab_net_unscale(genlab_ctx *ctx, genlab_net *n, bool *finite);

/* genlab_net_step — one optimizer step of n from its gradients (filled by
 * the caller's backward), at the learning rate of `step` on its schedule:
 * with loss scaling, after genlab_net_unscale, and none at all (GL_OK, a
 * skipped step: the optimizer's step count and state unchanged) when the
 * gradients are not finite. */
genlab_status genlab_net_step(genlab_ctx *ctx, genlab_net *n, int64_t step);

/* genlab_net_visit — what a checkpoint holds of n, for a trainer's
 * visit(): its parameters and buffers under prefix (genlab_params_visit:
 * "G.params.*", "G.buffers.*"), then its optimizer's state under
 * "<prefix>.optim" (genlab_optim_visit). Returns GL_OK or fn's first
 * failure. */
genlab_status genlab_net_visit(genlab_net *n, const char *prefix, genlab_visit_fn fn, void *user);

/* ---- for trainers: samples of a run ----
 *
 * What every trainer that draws images does alike: interpolate between
 * latents through its generate(), and leave grids in the run's directory as
 * artifacts. Implemented in libgenlab/run_trainer.c. */

/* A trainer's generate() (plugin.h): images (n, C, H, W) from latents z
 * (n, D); labels y may be NULL. */
typedef genlab_tensor *(*genlab_generate_fn)(genlab_ctx *ctx, void *state, genlab_tensor *z,
                                             genlab_tensor *y);

/* genlab_fixed_latents — a trainer's fixed latents (the noise of its
 * sample grids): a persistent (n, z_dim) float32 tensor of N(0, 1) draws
 * from the context's GL_STREAM_EVAL stream, which no training step reads,
 * so that they are the same for every run of a seed whatever its other
 * settings (a checkpoint keeps them too). Free with genlab_tensor_free.
 * NULL on failure (error on ctx). */
genlab_tensor *genlab_fixed_latents(genlab_ctx *ctx, int64_t n, int64_t z_dim);

/* genlab_latents_ok — the first check of a generate(): whether z is
 * (N, z_dim) float32; false after recording GL_ERR_SHAPE on ctx ("WHO:
 * generate: z is SHAPE, needs (N, Z) float32") otherwise, and false
 * without a new error when z is NULL or ctx holds one. */
bool genlab_latents_ok(genlab_ctx *ctx, const char *who, const genlab_tensor *z, int64_t z_dim);

/* genlab_interpolate — the images along the segments from a[i] to b[i]
 * (a, b: (k, D) float32 latents of generate's size), `steps` frames each,
 * both ends included (genlab_lerp_steps): generate(state) on all
 * steps * k points in one call, as (steps, k, C, H, W) frames, which
 * genlab_image_strips shows as k rows. An arena tensor, or NULL (error on
 * ctx: as genlab_lerp_steps or generate; generate NULL is GL_ERR_INVALID). */
genlab_tensor *genlab_interpolate(genlab_ctx *ctx, genlab_generate_fn generate, void *state,
                                  genlab_tensor *a, genlab_tensor *b, int64_t steps);

/* genlab_run_save_grid — x written as a grid ((N, C, H, W):
 * genlab_image_grid) or strips ((T, N, C, H, W): genlab_image_strips) to
 * <host->run_dir>/samples/<file>-<step, 8 digits>.png, the samples
 * directory made when missing, and recorded through host->artifact as an
 * artifact of kind ("grid", "strip", "recon"). who names the caller in
 * messages ("trainer gan"); opt NULL means genlab_grid_defaults(). A no-op
 * returning GL_OK where the host has no run_dir (outside a run). Returns
 * GL_OK, or GL_ERR_IO / GL_ERR_INVALID (a path too long) / the grid's or
 * the store's status, with a message on ctx naming the file. */
genlab_status genlab_run_save_grid(genlab_ctx *ctx, const genlab_host *host, const char *who,
                                   const char *kind, const char *file, int64_t step,
                                   const genlab_tensor *x, const genlab_grid_options *opt);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_RUN_H */
