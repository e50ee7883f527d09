/* SPDX-License-Identifier: MIT
 *
 * cpu_conv_dispatch.c — the CPU backend's convolution kernels as the vtable
 * sees them: each call goes to oneDNN (cpu_conv_dnnl.c) or to im2col +
 * OpenBLAS (cpu_conv.c), by a fixed rule on the pass and the shapes.
 *
 * The rule is static on purpose: a choice by timing at run time would make
 * the bits of a run depend on the machine's load. It was decided from the
 * measurements written next to it; a oneDNN call that oneDNN refuses falls
 * back to im2col. Without oneDNN (configure --without-dnnl, or not found)
 * everything is im2col.
 *
 * Not here: the kernels themselves.
 *
 * Sections: the rule, the kernels.
 */
#include "config.h"

#include "cpu.h"

/* ---- the rule ----
 * Measured with bench/bench_conv --conv im2col|dnnl|dnnl-blocked (batch 64,
 * 2 threads, 2 vCPUs of an AMD EPYC Zen 4 with AVX-512, OpenBLAS 0.3.21,
 * oneDNN 2.6.3; per kernel the fastest of 2 alternating runs, ms), on the
 * DCGAN layers and the U-Net 3x3 layers of bench/README.md. Shapes below
 * are the kernel's conv desc x (Cin x H) -> y (Cout x Ho), whatever the op
 * (a conv_transpose2d's forward is the backward data of the conv from its
 * output to its input). Columns: forward / backward data / backward weight.
 *
 *   desc (kernel, stride)            im2col             oneDNN plain       oneDNN blocked
 *   3x32 -> 64x16 (5, 2)  d32.1      4.5 / 3.8 / 5.0    1.4 / 1.2 / 1.6    0.7 / 3.8 / 0.7
 *   3x64 -> 64x32 (4, 2)  d64.1      5.1 / 5.0 / 7.2    3.1 / 3.7 / 8.7    2.4 / 11.0 / 2.6
 *   3x32 -> 128x16 (4, 2) g32.5      5.0 / 3.2 / 6.2    1.5 / 1.2 / 1.4    1.0 / 5.1 / 1.0
 *   3x32 -> 64x32 (3, 1)  u32.1      3.2 / 3.5 / 4.8    1.5 / 2.2 / 5.1    1.7 / 6.5 / 1.8
 *   64x16 -> 128x8 (5, 2) d32.2      19.8 / 23.0 / 17.3 10.9 / 10.5 / 12.4 7.3 / 6.9 / 8.1
 *   128x8 -> 256x4 (5, 2) d32.3      14.8 / 16.2 / 11.8 11.7 / 11.3 / 11.3 6.5 / 6.0 / 7.8
 *   64x32 -> 128x16 (4, 2) d64.2     36.8 / 32.0 / 33.3 28.3 / 27.7 / 28.5 19.6 / 20.1 / 20.1
 *   128x16 -> 256x8 (4, 2) d64.3     26.4 / 26.7 / 28.7 24.8 / 27.7 / 25.9 19.0 / 18.3 / 18.3
 *   256x8 -> 512x4 (4, 2) d64.4      24.7 / 25.5 / 24.2 28.5 / 32.5 / 23.7 17.7 / 17.1 / 20.2
 *   64x32 -> 128x16 (4, 2) g64.4     32.8 / 31.2 / 33.4 26.3 / 27.5 / 27.0 19.6 / 20.0 / 20.1
 *   128x16 -> 256x8 (4, 2) g32.4     38.0 / 42.5 / 36.6 24.1 / 29.7 / 25.4 17.9 / 17.9 / 19.2
 *   64x32 -> 64x32 (3, 1) u32.2      36.5 / 35.7 / 46.9 30.3 / 35.7 / 84.8 22.7 / 22.8 / 27.0
 *   128x16 -> 128x16 (3, 1) u16.1    31.8 / 31.2 / 31.9 27.1 / 28.7 / 27.5 20.6 / 20.6 / 22.8
 *   256x8 -> 256x8 (3, 1) u8.1       29.0 / 29.3 / 28.2 25.8 / 26.6 / 26.6 18.5 / 18.4 / 21.0
 *   64x32 -> 3x32 (3, 1)  u32.3      17.0 / 17.4 / 28.4 10.2 / 15.6 / 14.4 8.2 / 6.3 / 7.3
 *   128x16 -> 64x16 (1, 1) u16.2     1.9 / 1.9 / 3.6    1.2 / 1.2 / 1.5    1.8 / 1.8 / 1.9
 *   256x4 -> 512x2 (5, 2) d32.4      10.0 / 10.4 / 10.0 49.0 / 46.0 / 10.1 8.7 / 8.2 / 11.2
 *   512x4 -> 1024x2 (4, 2) g32.2     23.4 / 27.3 / 23.7 131 / 138 / 23.7   25.5 / 29.9 / 95.8
 *   1024x2 -> 100x1 (2, 1) g32.1     0.4 / 0.3 / 0.3    1.1 / 1.2 / 4.0    1.0 / 0.8 / 1.2
 *   (g64.1, d64.5, fully connected like g32.1: im2col 3-100x faster)
 *
 * Hence, with groups 1 and dilation 1 (the shapes measured):
 *   - outputs under 16 pixels (2x2, and the fully connected 1x1): im2col,
 *     whose one GEMM over the batch is as fast or faster (d32.4 forward
 *     and data were 15-20% faster blocked, g32.2's 10% slower, and both
 *     weight gradients slower; the fully connected layers far slower);
 *   - 1x1 kernels, stride 1: oneDNN plain (straight GEMMs, 1.3-2.4x);
 *   - inputs of fewer than 16 channels (images): blocked forward and
 *     weight gradient (2-7x), plain data gradient (1.3-3x: blocked pads
 *     gx's 3 channels to 16 and is the slowest there);
 *   - everything else: blocked, 1.2-2.3x faster than im2col on every pass.
 * Grouped, depthwise and dilated convolutions were not measured: im2col.
 * Blocked runs reorder x, w and y into buffers the size of the tensors;
 * above the workspace cap (64 MiB by default) the call falls back to
 * im2col, which chunks the batch. */

/* channels per oneDNN block in its AVX-512 layouts (nChw16c) */
#define GL_DNNL_BLOCK 16
/* output pixels below which im2col's batch-wide GEMM is as fast */
#define GL_DNNL_MIN_OUT_PIXELS 16

#ifdef HAVE_DNNL
static gl_conv_impl rule(gl_conv_pass pass, const genlab_conv_desc *d)
{
    if (d->groups != 1 || d->dh != 1 || d->dw != 1 || d->ho * d->wo < GL_DNNL_MIN_OUT_PIXELS)
        return GL_CONV_IM2COL;
    if (d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1)
        return GL_CONV_DNNL;
    if (d->cin < GL_DNNL_BLOCK && pass == GL_CONV_BACKWARD_DATA)
        return GL_CONV_DNNL;
    return GL_CONV_DNNL_BLOCKED;
}
#endif

gl_conv_impl gl_cpu_conv_choose(const gl_cpu_state *st, gl_conv_pass pass,
                                const genlab_conv_desc *d)
{
#ifdef HAVE_DNNL
    if (d->n == 0)   /* nothing to compute: im2col's early return */
        return GL_CONV_IM2COL;
    return st->conv_impl != GL_CONV_AUTO ? st->conv_impl : rule(pass, d);
#else
    (void)st, (void)pass, (void)d;
    return GL_CONV_IM2COL;
#endif
}

/* ---- the kernels ---- */

typedef void (*im2col_kernel)(gl_cpu_state *st, const genlab_conv_desc *d, const float *a,
                              const float *b, float *out);

static const im2col_kernel im2col[3] = {
    [GL_CONV_FORWARD] = gl_cpu_im2col_forward,
    [GL_CONV_BACKWARD_DATA] = gl_cpu_im2col_backward_data,
    [GL_CONV_BACKWARD_WEIGHT] = gl_cpu_im2col_backward_weight,
};

static void conv(void *state, gl_conv_pass pass, const genlab_conv_desc *d, const float *a,
                 const float *b, float *out)
{
    gl_cpu_state *st = state;
    gl_conv_impl impl = gl_cpu_conv_choose(st, pass, d);
#ifdef HAVE_DNNL
    if (impl != GL_CONV_IM2COL &&
        !gl_cpu_dnnl_conv(st, pass, impl == GL_CONV_DNNL_BLOCKED, d, a, b, out))
        impl = GL_CONV_IM2COL;
#endif
    st->conv_runs[impl]++;
    if (impl == GL_CONV_IM2COL)
        im2col[pass](st, d, a, b, out);
}

void gl_cpu_conv2d_forward(void *state, const genlab_conv_desc *d, const float *x,
                           const float *w, float *y)
{
    conv(state, GL_CONV_FORWARD, d, x, w, y);
}

void gl_cpu_conv2d_backward_data(void *state, const genlab_conv_desc *d, const float *gy,
                                 const float *w, float *gx)
{
    conv(state, GL_CONV_BACKWARD_DATA, d, gy, w, gx);
}

void gl_cpu_conv2d_backward_weight(void *state, const genlab_conv_desc *d, const float *x,
                                   const float *gy, float *gw)
{
    conv(state, GL_CONV_BACKWARD_WEIGHT, d, x, gy, gw);
}
