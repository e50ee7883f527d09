/* SPDX-License-Identifier: MIT
 *
 * extractor.h — the feature extractors of the metrics plugin, as the
 * metric components see them: something that turns images in [-1, 1]
 * into one feature row (and optionally one row of class logits) per
 * image, and says exactly what it is (name, weights hash, resize rule) so
 * every score can carry it in its protocol.
 *
 * Two extractors implement this:
 *   inception.c   Inception v3 in pytorch-fid's "FID" variant: 2048 pool3
 *                 features and 1008 logits, weights from a safetensors file
 *                 the user supplies (tools/convert_inception_weights.py);
 *   classifier.c  a small convolutional classifier genlab trains on a
 *                 labelled dataset; its penultimate layer is the feature
 *                 ("classifier-fid", download-free).
 *
 * Sections: the extractor, the two constructors.
 */
#ifndef GENLAB_PLUGIN_METRICS_EXTRACTOR_H
#define GENLAB_PLUGIN_METRICS_EXTRACTOR_H

#include "genlab/genlab.h"

/* ---- the extractor ---- */

typedef struct mx_extractor mx_extractor;
struct mx_extractor {
    const char *name;          /* "inception-v3-fid", "classifier-<arch>" */
    char        sha256[65];    /* the weights file's SHA-256, lowercase hex */
    const char *resize;        /* the preprocessing rule, e.g. "pytorch-fid-bilinear-299",
                                * "clean-fid-bicubic-299", "none-28" */
    int64_t     dim;           /* feature values per image (2048) */
    int64_t     n_logits;      /* logits per image (1008); 0: none (no IS) */
    const char *logits;        /* what the logits are, for IS's protocol: the
                                * Inception's "fc-without-bias" (torch-fidelity's
                                * logits_unbiased), the classifier's "fc" */
    /* features — images (N, C, H, W) float32 in [-1, 1] (C 1 or 3; a gray
     * image is repeated to RGB where the network wants 3 channels; any
     * H, W the preprocessing accepts) into feat (N x dim) and, when
     * logits is not NULL, logits (N x n_logits), host row-major. Frees
     * its own temporaries before returning (genlab_ctx_mark_get /
     * genlab_ctx_rewind), so images and everything made before the call
     * stay valid. Errors on ctx, naming the image shape when it is
     * unsupported. */
    genlab_status (*features)(genlab_ctx *ctx, mx_extractor *x, genlab_tensor *images,
                              float *feat, float *logits);
    void (*destroy)(mx_extractor *x);
};

/* ---- the two constructors ---- */

/* mx_inception_open — the FID Inception from a safetensors weights file.
 * resize: "pytorch-fid" (bilinear to 299, align_corners false, no
 * antialias — torch's F.interpolate as pytorch-fid calls it) or
 * "clean-fid" (clean-fid's PIL bicubic resize of each channel in float).
 * Refuses (GL_ERR_FORMAT naming the file and the first offending tensor) a
 * file whose tensor names or shapes are not the network's. */
genlab_status mx_inception_open(genlab_ctx *ctx, const char *weights, const char *resize,
                                mx_extractor **out);

/* mx_classifier_open — the classifier-fid extractor from the checkpoint
 * of a classifier genlab trained (classifier.c says how). */
genlab_status mx_classifier_open(genlab_ctx *ctx, const char *weights, mx_extractor **out);

#endif /* GENLAB_PLUGIN_METRICS_EXTRACTOR_H */
