/* SPDX-License-Identifier: MIT
 *
 * selftest.h — the self-test runs behind `genlab selftest`: two small
 * networks trained end to end on the engine, whose results the test suite
 * also checks (tests/test_e2e.c).
 */
#ifndef GENLAB_SELFTEST_H
#define GENLAB_SELFTEST_H

#include <stddef.h>
#include <stdint.h>

#include "genlab/genlab.h"

typedef struct selftest_result {
    int      steps;          /* optimizer steps taken */
    double   first_loss;     /* loss before the first step */
    double   final_loss;     /* loss at the end */
    double   ms_per_step;    /* wall time per training step */
    int64_t  n_params;       /* floats in the parameter block */
    uint64_t params_hash;    /* FNV-1a of the final parameter bytes */
} selftest_result;

/* called after every step with the loss (may be NULL) */
typedef void (*selftest_progress)(int step, int total, double loss, void *user);

/* selftest_xor — a 2-8-1 tanh MLP fits XOR with Adam (lr 0.02, MSE) until
 * the loss is below 0.01 or max_steps. threads: 0 = default. */
genlab_status selftest_xor(uint64_t seed, int threads, int max_steps, selftest_result *r,
                           char *err, size_t err_size);

/* selftest_convnet — a small conv net (conv, batch norm, relu, avg pool,
 * strided conv, group norm, leaky relu, global pool, linear) over-fits one
 * batch of 32 random 1x16x16 images with random labels of 4 classes, with
 * cross-entropy and Adam (lr 1e-2), for `steps` steps. */
genlab_status selftest_convnet(uint64_t seed, int threads, int steps, selftest_result *r,
                               selftest_progress progress, void *user, char *err,
                               size_t err_size);

/* What the Fashion-MNIST run measured. */
typedef struct selftest_data_result {
    selftest_result run;
    int64_t  train_items, test_items;
    int32_t  classes;
    double   read_ms_per_step;   /* of run.ms_per_step, in the dataset's read() */
    int64_t  eval_items;         /* the first test items classified */
    double   accuracy;           /* on them, in [0, 1] */
} selftest_data_result;

/* selftest_fashion — the conv net (16 and 32 channels, its linear head on
 * all 32 x 7 x 7 features) learns the default
 * dataset: the idx plugin's (Debian's Fashion-MNIST, 60,000 + 10,000 gray
 * 28x28 images, 10 classes) from reg, for `steps` Adam steps (lr 3e-3) of
 * 64 items drawn uniformly from the data stream, then classifies the first
 * 2,000 test images. Errors (no idx plugin, dataset files missing) come
 * back as a status and the message in err. */
genlab_status selftest_fashion(genlab_registry *reg, uint64_t seed, int threads, int steps,
                               selftest_data_result *r, selftest_progress progress, void *user,
                               char *err, size_t err_size);

#endif
