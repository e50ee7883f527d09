/* SPDX-License-Identifier: MIT
 *
 * optim.h — optimizers (placeholder until the optimizer module lands).
 */
#ifndef GENLAB_OPTIM_H
#define GENLAB_OPTIM_H
#include "tensor.h"
#endif
