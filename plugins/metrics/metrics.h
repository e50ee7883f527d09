/* SPDX-License-Identifier: MIT
 *
 * metrics.h — what the files of the metrics plugin share: the components
 * module.c lists, and the one helper both the metric components and the
 * classifier need (a file's SHA-256, which names weights and reference
 * statistics in every protocol).
 *
 *   metric.c      the metric components "inception" and "classifier":
 *                 features of real and generated images (extractor.h),
 *                 then FID, IS, KID, precision/recall (<genlab/scores.h>),
 *                 and the protocol that goes with every score
 *   classifier.c  the small convolutional classifier of classifier-fid:
 *                 the trainer "classifier" that trains it, and
 *                 mx_classifier_open, which reads its checkpoint back as a
 *                 feature extractor
 *   inception*.c  the FID Inception v3 (mx_inception_open)
 *
 * Internal to plugins/metrics; not installed.
 */
#ifndef GENLAB_PLUGIN_METRICS_H
#define GENLAB_PLUGIN_METRICS_H

#include "extractor.h"

/* metric.c */
extern const genlab_component gl_metrics_inception;    /* metric "inception" */
extern const genlab_component gl_metrics_classifier;   /* metric "classifier" */

/* classifier.c */
extern const genlab_component gl_metrics_classifier_trainer;   /* trainer "classifier" */

/* mx_sha256_file — the SHA-256 of the file at path, as 64 lowercase hex
 * digits and a NUL in hex. what names the file's role in a message
 * ("weights", "reference statistics"): GL_ERR_IO naming it, the path and
 * the system's reason when it cannot be read or is not a regular file. */
genlab_status mx_sha256_file(genlab_ctx *ctx, const char *what, const char *path, char hex[65]);

#endif /* GENLAB_PLUGIN_METRICS_H */
