/* SPDX-License-Identifier: MIT
 *
 * inception_impl.h — what the two files of the FID Inception extractor
 * share with each other and with its test: the preprocessing rules
 * (inception_resize.c), the network without them, the weights and the list
 * of tensors a weights file must hold (inception_net.c,
 * inception_weights.c). Not installed, not seen by the metric components
 * (they use extractor.h).
 *
 * Sections: preprocessing, the network alone, the network's weights, the
 * weights file's tensors.
 */
#ifndef GENLAB_PLUGIN_METRICS_INCEPTION_IMPL_H
#define GENLAB_PLUGIN_METRICS_INCEPTION_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "extractor.h"
#include "genlab/genlab.h"

/* ---- preprocessing ---- */

/* The side of the network's input. */
#define MX_INCEPTION_SIDE 299

/* How images become the network's input (inception_resize.c says exactly). */
typedef enum mx_resize_rule {
    MX_RESIZE_PYTORCH_FID = 0,   /* bilinear, align_corners false, no antialias */
    MX_RESIZE_CLEAN_FID   = 1    /* clean-fid's "clean": 8-bit, Pillow bicubic in float */
} mx_resize_rule;

/* mx_inception_resize_rule — the rule called name ("pytorch-fid",
 * "clean-fid"), its protocol label ("pytorch-fid-bilinear-299", ...) into
 * *label (static). GL_ERR_INVALID naming the choices for another name. */
genlab_status mx_inception_resize_rule(genlab_ctx *ctx, const char *name, mx_resize_rule *rule,
                                       const char **label);

/* mx_inception_preprocess — images (n, C, H, W) float32 in [-1, 1], C 1
 * or 3 (checked by the caller), as the network's input (n, 3, 299, 299)
 * under rule: an arena tensor, or NULL with the error on ctx. */
genlab_tensor *mx_inception_preprocess(genlab_ctx *ctx, genlab_tensor *images,
                                       mx_resize_rule rule);

/* ---- the network alone ---- */

/* mx_inception_run — what x->features does after the preprocessing: the
 * network (an extractor mx_inception_open made) on input as it is,
 * (N, 3, H, W) float32 with H, W >= 75 (the network has room for any such
 * size; 299 is what features() gives it), into feat (N x 2048) and logits
 * (N x 1008, or NULL). Temporaries freed as in features(). GL_ERR_SHAPE
 * naming the shape otherwise. For the test, which checks the network on
 * inputs smaller (cheaper) than 299. */
genlab_status mx_inception_run(genlab_ctx *ctx, mx_extractor *x, genlab_tensor *input,
                               float *feat, float *logits);

/* mx_inception_set_chunk — how many images x's features() and
 * mx_inception_run put through the network at once (a larger batch runs
 * in chunks of this size): chunk >= 1, or 0 for the default, 10 (the
 * arena holds about 27 MB per image of it). For bench_inception --chunk
 * and the test of a batch of several chunks. */
void mx_inception_set_chunk(mx_extractor *x, int64_t chunk);

/* ---- the network's weights ---- */

#define MX_INCEPTION_CONVS    94     /* BasicConv2d modules */
#define MX_INCEPTION_FEATURES 2048   /* pool3 */
#define MX_INCEPTION_CLASSES  1008   /* logits */

/* A BasicConv2d as the forward uses it: its BatchNorm folded in. */
typedef struct mx_conv {
    genlab_tensor   *w;        /* (cout, cin, kh, kw), persistent */
    genlab_tensor   *b;        /* (cout), persistent */
    genlab_conv_opts opts;
} mx_conv;

typedef struct mx_weights {
    mx_conv        conv[MX_INCEPTION_CONVS];   /* in mx_inception_tensor's order */
    genlab_tensor *fc_w;                       /* (1008, 2048); fc.bias is checked, not kept */
    char           sha256[65];                 /* the file's, lowercase hex */
} mx_weights;

/* mx_inception_weights_load — read the weights file at path into *w
 * (inception_weights.c): checked against mx_inception_tensor's list,
 * BatchNorm folded into the convs. GL_ERR_IO when it cannot be read,
 * GL_ERR_FORMAT naming the file and the tensor when it is not the
 * network's weights, GL_ERR_NOMEM; on failure *w holds nothing. The
 * tensors are ctx's: free them with mx_inception_weights_free before
 * destroying ctx. */
genlab_status mx_inception_weights_load(genlab_ctx *ctx, const char *path, mx_weights *w);
void mx_inception_weights_free(mx_weights *w);

/* mx_inception_conv_opts — stride and padding of conv k (< 94), in the
 * network's order (inception_net.c). */
genlab_conv_opts mx_inception_conv_opts(int k);

/* ---- the weights file's tensors ---- */

/* How many tensors a weights file holds: five per BasicConv2d (conv
 * weight; BatchNorm weight, bias, running mean, running variance) for 94
 * of them, and the fc weight and bias. */
#define MX_INCEPTION_TENSORS (94 * 5 + 2)

/* mx_inception_tensor — the i-th tensor (0 <= i < MX_INCEPTION_TENSORS)
 * in pytorch-fid's state_dict order: its name into name (size bytes;
 * 64 are enough) and its shape into shape. Returns its number of
 * dimensions (1, 2 or 4), or 0 for i out of range. */
int mx_inception_tensor(int i, char *name, size_t size, int64_t shape[4]);

#endif /* GENLAB_PLUGIN_METRICS_INCEPTION_IMPL_H */
