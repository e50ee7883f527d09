/* SPDX-License-Identifier: MIT
 *
 * strided.c — building the strided walks that backend kernels execute:
 * broadcasting binary ops, broadcast copies and reductions.
 */
#include <string.h>

#include "internal.h"

void gl_walk_coalesce(genlab_strided *s)
{
    genlab_strided o;
    memset(&o, 0, sizeof o);
    int n = 0;
    for (int k = 0; k < s->ndim; k++) {
        if (s->shape[k] == 1)
            continue;
        if (n > 0) {
            int p = n - 1;
            int64_t len = s->shape[k];
            if (o.dst_stride[p] == s->dst_stride[k] * len &&
                o.src_stride[p] == s->src_stride[k] * len &&
                o.src2_stride[p] == s->src2_stride[k] * len) {
                o.shape[p] *= len;
                o.dst_stride[p] = s->dst_stride[k];
                o.src_stride[p] = s->src_stride[k];
                o.src2_stride[p] = s->src2_stride[k];
                continue;
            }
        }
        o.shape[n] = s->shape[k];
        o.dst_stride[n] = s->dst_stride[k];
        o.src_stride[n] = s->src_stride[k];
        o.src2_stride[n] = s->src2_stride[k];
        n++;
    }
    if (n == 0) {            /* a single element */
        o.shape[0] = 1;
        o.dst_stride[0] = o.src_stride[0] = o.src2_stride[0] = 1;
        n = 1;
    }
    o.ndim = n;
    *s = o;
}

void gl_walk_bcast(genlab_strided *s, const genlab_tensor *out, const genlab_tensor *a,
                   const genlab_tensor *b)
{
    memset(s, 0, sizeof *s);
    s->ndim = out->ndim;
    memcpy(s->shape, out->shape, sizeof s->shape);
    gl_contig_strides(out->ndim, out->shape, s->dst_stride);
    gl_bcast_strides(out->ndim, out->shape, a->ndim, a->shape, s->src_stride);
    if (b)
        gl_bcast_strides(out->ndim, out->shape, b->ndim, b->shape, s->src2_stride);
    gl_walk_coalesce(s);
}

void gl_walk_reduce(genlab_strided *s, const genlab_tensor *x, int out_ndim,
                    const int64_t *out_shape)
{
    memset(s, 0, sizeof *s);
    s->ndim = x->ndim;
    memcpy(s->shape, x->shape, sizeof s->shape);
    gl_contig_strides(x->ndim, x->shape, s->src_stride);
    gl_bcast_strides(x->ndim, x->shape, out_ndim, out_shape, s->dst_stride);
    gl_walk_coalesce(s);
}
