/* SPDX-License-Identifier: MIT
 *
 * module.c — the metrics plugin's module descriptor: every component of
 * plugins/metrics/ (declared in metrics.h), and its one exported entry
 * point.
 */
#include "metrics.h"

static const genlab_component *const components[] = {
    &gl_metrics_inception, &gl_metrics_classifier, &gl_metrics_classifier_trainer, NULL,
};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "metrics", .version = "0.1.0", .components = components,
};

GENLAB_PLUGIN(module)
