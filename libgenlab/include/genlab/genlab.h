/* SPDX-License-Identifier: MIT
 *
 * genlab.h — the whole public API of libgenlab in one include.
 *
 * genlab is a research harness for deep generative models of images. This
 * header pulls in the engine: contexts and errors (context.h), tensors
 * (tensor.h), ops (ops.h), autograd (autograd.h), random numbers (rng.h),
 * layers (nn.h), optimizers (optim.h), the backend interface (backend.h),
 * the experiment store (store.h), the plugin ABI (plugin.h), plugin loading
 * (registry.h), typed configuration (config.h), the run loop (run.h), sweeps
 * (sweep.h), images
 * (image.h), the image pipeline of datasets (dataset.h) and checkpoints
 * (checkpoint.h).
 * Anything not declared in these headers is not part of the API.
 */
#ifndef GENLAB_GENLAB_H
#define GENLAB_GENLAB_H

#define GENLAB_VERSION_STRING "0.1.0"

#include "status.h"
#include "context.h"
#include "tensor.h"
#include "autograd.h"
#include "ops.h"
#include "rng.h"
#include "backend.h"
#include "nn.h"
#include "optim.h"
#include "store.h"
#include "plugin.h"
#include "registry.h"
#include "config.h"
#include "run.h"
#include "sweep.h"
#include "image.h"
#include "dataset.h"
#include "checkpoint.h"
#include "scores.h"
#include "npz.h"
#include "seq_arch.h"

/* genlab_version — the library's version string (may differ from the header's). */
const char *genlab_version(void);

#endif /* GENLAB_GENLAB_H */
