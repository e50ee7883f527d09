/* SPDX-License-Identifier: MIT
 *
 * inception_weights.c — reading the FID Inception's weights file: the
 * safetensors file tools/convert_inception_weights.py makes of pytorch-fid's
 * pt_inception-2015-12-05-6726825d.pth, holding the state_dict of
 * pytorch-fid's model under its names (Conv2d_1a_3x3.conv.weight, ...,
 * Mixed_7c.branch_pool.bn.running_var, fc.weight, fc.bias; the list is
 * mx_inception_tensor's). BatchNorm num_batches_tracked entries are
 * ignored. A file with a tensor the network does not have, or missing one,
 * or with a wrong dtype or shape, is refused with GL_ERR_FORMAT naming the
 * file and the tensor.
 *
 * Each BatchNorm (eval mode: its running statistics) is folded into the
 * conv before it: w' = w * s and b' = beta - mean * s per output channel
 * with s = gamma / sqrt(var + eps), eps 0.001, in double. That is equal in
 * exact arithmetic and differs from PyTorch's separate BatchNorm only by
 * float rounding (the golden test bounds it).
 *
 * The file is read once, into memory: its SHA-256 (nettle, which genlab
 * records with every score) and the tensors come from the same bytes.
 *
 * Not here: the network (inception_net.c).
 *
 * Sections: the file, checks, folding, loading.
 */
#include <errno.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "inception_impl.h"

#define IC_CONVS    MX_INCEPTION_CONVS
#define IC_FEATURES MX_INCEPTION_FEATURES
#define IC_CLASSES  MX_INCEPTION_CLASSES
#define IC_BN_EPS   0.001

/* The largest file read: the real one has 95 MB; a file far larger is not
 * it, and is refused before its size is allocated. */
#define IC_MAX_FILE ((int64_t)1 << 30)

/* ---- the file ---- */

/* the whole file at path into *buf (malloc'd, *size bytes) */
static genlab_status read_file(genlab_ctx *ctx, const char *path, uint8_t **buf, size_t *size)
{
    *buf = NULL;
    *size = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return genlab_errorf(ctx, GL_ERR_IO, "inception: cannot open the weights file \"%s\": "
                             "%s", path, strerror(errno));
    struct stat sb;
    genlab_status st = GL_OK;
    if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode))
        st = genlab_errorf(ctx, GL_ERR_IO, "inception: the weights file \"%s\" is not a "
                           "regular file", path);
    else if ((int64_t)sb.st_size > IC_MAX_FILE)
        st = genlab_errorf(ctx, GL_ERR_FORMAT, "inception: the weights file \"%s\" has %lld "
                           "bytes, more than any FID Inception weights (95 MB)", path,
                           (long long)sb.st_size);
    uint8_t *b = st == GL_OK ? malloc(sb.st_size ? (size_t)sb.st_size : 1) : NULL;
    if (st == GL_OK && !b)
        st = genlab_errorf(ctx, GL_ERR_NOMEM, "inception: out of memory for the %lld bytes of "
                           "\"%s\"", (long long)sb.st_size, path);
    if (st == GL_OK && fread(b, 1, (size_t)sb.st_size, fp) != (size_t)sb.st_size)
        st = genlab_errorf(ctx, GL_ERR_IO, "inception: cannot read the weights file \"%s\"",
                           path);
    fclose(fp);
    if (st != GL_OK) {
        free(b);
        return st;
    }
    *buf = b;
    *size = (size_t)sb.st_size;
    return GL_OK;
}

/* the SHA-256 of size bytes at data, lowercase hex */
static void sha256_hex(const uint8_t *data, size_t size, char hex[65])
{
    struct sha256_ctx h;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&h);
    sha256_update(&h, size, data);
    sha256_digest(&h, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* ---- checks ---- */

/* The weights file being read, for messages. */
typedef struct ic_file {
    genlab_ctx        *ctx;
    const genlab_ckpt *ck;
    const char        *path;
} ic_file;

#define IC_HINT "tools/convert_inception_weights.py makes it from pytorch-fid's " \
                "pt_inception-2015-12-05-6726825d.pth"

/* the first tensor of the file the network does not have; a
 * "<conv>.bn.num_batches_tracked" (PyTorch's BatchNorm counter, unused in
 * eval mode) of one of its convs is not counted as one */
static genlab_status check_extra(const ic_file *f)
{
    char (*names)[64] = malloc(MX_INCEPTION_TENSORS * sizeof *names);
    if (!names)
        return genlab_errorf(f->ctx, GL_ERR_NOMEM, "inception: out of memory");
    int64_t shape[4];
    for (int i = 0; i < MX_INCEPTION_TENSORS; i++)
        mx_inception_tensor(i, names[i], sizeof names[i], shape);
    static const char nbt[] = "bn.num_batches_tracked";
    genlab_status st = GL_OK;
    genlab_ckpt_entry e;
    for (size_t i = 0; st == GL_OK && genlab_ckpt_entry_at(f->ck, i, &e); i++) {
        size_t n = strlen(e.name), k = sizeof nbt - 1;
        /* "<conv>.bn.num_batches_tracked" is known when "<conv>.conv.weight" is */
        char conv[64] = "";
        if (n > k && n - k + 11 < sizeof conv && strcmp(e.name + n - k, nbt) == 0)
            snprintf(conv, sizeof conv, "%.*sconv.weight", (int)(n - k), e.name);
        bool known = false;
        for (int j = 0; !known && j < MX_INCEPTION_TENSORS; j++)
            known = strcmp(e.name, names[j]) == 0 || strcmp(conv, names[j]) == 0;
        if (!known)
            st = genlab_errorf(f->ctx, GL_ERR_FORMAT, "inception: weights file \"%s\" has a "
                               "tensor \"%s\" that the FID Inception does not have: not "
                               "pytorch-fid's FID Inception weights (" IC_HINT ")", f->path,
                               e.name);
    }
    free(names);
    return st;
}

/* "(32, 3, 3, 3)" into buf (22 bytes per dimension are enough) */
static const char *dims_str(int ndim, const int64_t *shape, char *buf, size_t size)
{
    size_t at = (size_t)snprintf(buf, size, "(");
    for (int d = 0; d < ndim && at < size; d++)
        at += (size_t)snprintf(buf + at, size - at, "%s%lld", d ? ", " : "",
                               (long long)shape[d]);
    if (at < size)
        snprintf(buf + at, size - at, ")");
    return buf;
}

/* copy the tensor called name, which must be F32 of this shape, to dst
 * (NULL: only check that the file has it so) */
static genlab_status read_tensor(const ic_file *f, const char *name, int ndim,
                                 const int64_t *shape, float *dst)
{
    genlab_ckpt_entry e;
    bool found = false;
    for (size_t i = 0; !found && genlab_ckpt_entry_at(f->ck, i, &e); i++)
        found = strcmp(e.name, name) == 0;
    if (!found)
        return genlab_errorf(f->ctx, GL_ERR_FORMAT, "inception: weights file \"%s\" has no "
                             "tensor \"%s\": not pytorch-fid's FID Inception weights (" IC_HINT
                             ")", f->path, name);
    if (strcmp(e.dtype, "F32") != 0)
        return genlab_errorf(f->ctx, GL_ERR_FORMAT, "inception: weights file \"%s\": tensor "
                             "\"%s\" is %s, not F32", f->path, name, e.dtype);
    bool same = e.ndim == ndim;
    for (int d = 0; same && d < ndim; d++)
        same = e.shape[d] == shape[d];
    if (!same) {
        char got[GL_CKPT_MAX_DIMS * 22], want[4 * 22];
        return genlab_errorf(f->ctx, GL_ERR_FORMAT, "inception: weights file \"%s\": tensor "
                             "\"%s\" has shape %s but the FID Inception's is %s", f->path, name,
                             dims_str(e.ndim, e.shape, got, sizeof got),
                             dims_str(ndim, shape, want, sizeof want));
    }
    if (dst)
        memcpy(dst, e.data, e.nbytes);
    return GL_OK;
}

/* a persistent float tensor of shape, or NULL with the error on ctx */
static genlab_tensor *param(genlab_ctx *ctx, int ndim, const int64_t *shape)
{
    return genlab_tensor_new_persistent(ctx, GL_F32, ndim, shape);
}

/* ---- folding ---- */

/* conv k: its weight and its four BatchNorm vectors, folded into c */
static genlab_status load_conv(const ic_file *f, int k, mx_conv *c)
{
    char name[64];
    int64_t shape[4];
    mx_inception_tensor(5 * k, name, sizeof name, shape);
    const int64_t cout = shape[0], fan = shape[1] * shape[2] * shape[3];
    if (!(c->w = param(f->ctx, 4, shape)) || !(c->b = param(f->ctx, 1, shape)))
        return genlab_ctx_status(f->ctx);
    /* gamma, beta, mean, var: cout each */
    float *bn = malloc(4 * (size_t)cout * sizeof *bn);
    if (!bn)
        return genlab_errorf(f->ctx, GL_ERR_NOMEM, "inception: out of memory");
    float *w = genlab_tensor_f32_mut(c->w), *b = genlab_tensor_f32_mut(c->b);
    genlab_status st = read_tensor(f, name, 4, shape, w);
    for (int p = 0; p < 4 && st == GL_OK; p++) {
        mx_inception_tensor(5 * k + 1 + p, name, sizeof name, shape);
        st = read_tensor(f, name, 1, shape, bn + p * cout);
    }
    const float *gamma = bn, *beta = bn + cout, *mean = bn + 2 * cout, *var = bn + 3 * cout;
    for (int64_t o = 0; o < cout && st == GL_OK; o++) {
        double v = (double)var[o] + IC_BN_EPS;
        if (!(v > 0.0) || !isfinite(v)) {
            st = genlab_errorf(f->ctx, GL_ERR_FORMAT, "inception: weights file \"%s\": tensor "
                               "\"%s\" has the variance %g at %lld", f->path, name,
                               (double)var[o], (long long)o);
            break;
        }
        double s = gamma[o] / sqrt(v);
        for (int64_t j = 0; j < fan; j++)
            w[o * fan + j] = (float)(w[o * fan + j] * s);
        b[o] = (float)(beta[o] - mean[o] * s);
    }
    free(bn);
    c->opts = mx_inception_conv_opts(k);
    return st;
}


/* ---- loading ---- */

/* every tensor of the file into net */
static genlab_status load(const ic_file *f, mx_weights *net)
{
    genlab_status st = check_extra(f);
    for (int k = 0; k < IC_CONVS && st == GL_OK; k++)
        st = load_conv(f, k, &net->conv[k]);
    if (st != GL_OK)
        return st;
    int64_t shape[4] = {IC_CLASSES, IC_FEATURES};
    if (!(net->fc_w = param(f->ctx, 2, shape)))
        return genlab_ctx_status(f->ctx);
    st = read_tensor(f, "fc.weight", 2, shape, genlab_tensor_f32_mut(net->fc_w));
    /* the bias is part of pytorch-fid's file (a file without it is not
     * that file), but the logits leave it out: torch-fidelity's IS feature */
    return st == GL_OK ? read_tensor(f, "fc.bias", 1, shape, NULL) : st;
}

void mx_inception_weights_free(mx_weights *w)
{
    for (int k = 0; k < IC_CONVS; k++) {
        genlab_tensor_free(w->conv[k].w);
        genlab_tensor_free(w->conv[k].b);
    }
    genlab_tensor_free(w->fc_w);
    *w = (mx_weights){0};
}

genlab_status mx_inception_weights_load(genlab_ctx *ctx, const char *path, mx_weights *w)
{
    *w = (mx_weights){0};
    uint8_t *buf;
    size_t size;
    genlab_status st = read_file(ctx, path, &buf, &size);
    if (st != GL_OK)
        return st;
    sha256_hex(buf, size, w->sha256);
    genlab_ckpt *ck = NULL;
    st = genlab_ckpt_parse(ctx, buf, size, path, &ck);
    free(buf);   /* the checkpoint has its own copy */
    if (st == GL_OK)
        st = load(&(ic_file){ctx, ck, path}, w);
    genlab_ckpt_close(ck);
    if (st != GL_OK)
        mx_inception_weights_free(w);
    return st;
}
