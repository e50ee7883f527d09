/* SPDX-License-Identifier: MIT
 *
 * run_impl.h — what the run loop's files share: the state of one run
 * (run.c sets it up and loops; run_ckpt.c saves and restores it).
 *
 * Internal to libgenlab; not installed.
 */
#ifndef GENLAB_RUN_IMPL_H
#define GENLAB_RUN_IMPL_H

#include "genlab/genlab.h"
#include "loader.h"

/* The trainer's batch source. */
typedef struct gl_data {
    gl_loader  *loader;          /* NULL: no dataset configured */
    const char *trainer;         /* for the message when there is no data */
    double      seconds;         /* time spent in next(), reset per step */
} gl_data;

/* Everything a run holds. */
typedef struct gl_run {
    genlab_registry     *reg;
    const genlab_config *cfg;
    genlab_store        *store;
    genlab_run_options   opt;
    genlab_run_result   *out;

    int64_t              steps, log_every, ckpt_every, ckpt_keep;
    int64_t              first_step;      /* 0, or where a resumed run goes on */
    bool                 model;           /* genlab_model_open: the trainer and its
                                           * tensors only (no loader, no run state) */
    uint64_t             seed;
    genlab_lr_schedule   lr;
    genlab_ctx          *ctx;
    genlab_host          host;
    const genlab_component *trainer_c;
    const genlab_trainer_i *trainer;
    void                *trainer_state;
    const genlab_component *dataset_c;
    const genlab_dataset_i *dataset;
    void                *dataset_state;
    genlab_data_spec     spec;
    const char          *dataset_hash;    /* NULL: unknown */
    gl_data              data;
    gl_loader_pos        resume_pos;      /* the checkpoint's data position */
    genlab_loss_scaler  *scaler;          /* train.loss_scale (kind none when off;
                                           * NULL for a model) */
    int64_t              last_ckpt;       /* steps done at the last checkpoint */
    char                *ckpt_dir;        /* NULL until the run's row exists */
} gl_run;

/* gl_run_fail — record status and message in the result (the first one
 * stays) and return the status that is recorded. */
genlab_status gl_run_fail(gl_run *r, genlab_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* gl_run_why — the context's message, or the status's text when it has none */
const char *gl_run_why(const gl_run *r, genlab_status st);

/* gl_now_seconds — a monotonic clock */
double gl_now_seconds(void);

/* gl_run_ckpt_restore — (run_ckpt.c) load opt.resume_from into the trainer
 * and (unless r->model) the context, and set first_step and resume_pos.
 * Before the row. */
genlab_status gl_run_ckpt_restore(gl_run *r);

/* gl_run_ckpt_dir — (run_ckpt.c) decide and create the run's checkpoint
 * directory (after the row: the default names the uuid). */
genlab_status gl_run_ckpt_dir(gl_run *r);

/* gl_run_ckpt_save — (run_ckpt.c) write the checkpoint after `done` steps,
 * record it as an artifact and prune old ones. No-op for a trainer that
 * cannot be checkpointed. */
genlab_status gl_run_ckpt_save(gl_run *r, int64_t done);

#endif /* GENLAB_RUN_IMPL_H */
