/* SPDX-License-Identifier: MIT
 *
 * nn.h — layers built on ops (placeholder until the layer module lands).
 */
#ifndef GENLAB_NN_H
#define GENLAB_NN_H
#include "ops.h"
#endif
