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
 * oneDNN 2.6.3), per kernel the fastest of 5 runs (each layer run under the
 * three implementations in turn, five times, at three moments of a day of
 * shared load), in ms, on the DCGAN layers and U-Net 3x3 layers of
 * bench/README.md. The shapes are the kernel's conv desc x (Cin x H) -> y
 * (Cout x Ho), kernel and stride, whatever the op (conv_transpose2d's
 * forward is the backward data of the conv from its output to its input).
 * Columns: forward / backward data / backward weight.
 *
 *   desc (kernel, stride)    layer  im2col             oneDNN plain       oneDNN blocked
 *   inputs of 3 channels:
 *   3x32 -> 64x16 (5, 2)     d32.1  1.6 / 1.7 / 2.2    1.2 / 1.2 / 1.5    0.7 / 3.8 / 0.7
 *   3x64 -> 64x32 (4, 2)     d64.1  5.1 / 4.9 / 6.6    3.1 / 3.7 / 8.5    2.4 / 11.0 / 2.6
 *   3x64 -> 64x32 (4, 2)     g64.5  5.0 / 4.9 / 6.6    3.0 / 3.5 / 7.7    2.3 / 11.0 / 2.7
 *   3x32 -> 128x16 (4, 2)    g32.5  1.8 / 1.8 / 2.6    1.2 / 1.2 / 1.4    1.0 / 5.1 / 1.0
 *   3x32 -> 64x32 (3, 1)     u32.1  3.2 / 3.5 / 4.8    1.5 / 2.2 / 5.1    1.6 / 6.5 / 1.6
 *   outputs of 16 pixels or more:
 *   64x16 -> 128x8 (5, 2)    d32.2  12.2 / 14.4 / 12.0 10.8 / 10.5 / 11.7 6.6 / 6.7 / 7.4
 *   128x8 -> 256x4 (5, 2)    d32.3  10.4 / 12.0 / 9.8  11.7 / 11.3 / 11.2 6.5 / 6.0 / 7.8
 *   64x32 -> 128x16 (4, 2)   d64.2  36.8 / 32.0 / 33.3 28.1 / 27.7 / 27.4 19.6 / 20.1 / 20.1
 *   64x32 -> 128x16 (4, 2)   g64.4  32.8 / 31.2 / 33.4 26.3 / 27.2 / 27.0 19.6 / 19.9 / 20.1
 *   128x16 -> 256x8 (4, 2)   d64.3  26.4 / 26.7 / 26.3 24.2 / 27.6 / 25.9 18.1 / 18.0 / 18.3
 *   128x16 -> 256x8 (4, 2)   g64.3  25.9 / 25.9 / 25.5 24.0 / 27.6 / 25.4 17.6 / 17.7 / 18.4
 *   128x16 -> 256x8 (4, 2)   g32.4  26.4 / 26.5 / 25.7 24.1 / 27.6 / 25.4 17.6 / 17.9 / 18.4
 *   256x8 -> 512x4 (4, 2)    d64.4  24.3 / 25.5 / 24.2 28.5 / 32.2 / 23.7 17.7 / 17.1 / 20.2
 *   256x8 -> 512x4 (4, 2)    g64.2  24.5 / 25.2 / 23.9 28.6 / 32.1 / 23.6 17.7 / 17.0 / 20.7
 *   256x8 -> 512x4 (4, 2)    g32.3  23.6 / 24.2 / 23.6 29.0 / 32.6 / 26.2 18.2 / 17.2 / 21.0
 *   64x32 -> 64x32 (3, 1)    u32.2  35.6 / 35.3 / 46.9 30.3 / 35.7 / 84.8 22.6 / 22.7 / 26.7
 *   128x16 -> 128x16 (3, 1)  u16.1  31.8 / 31.2 / 31.9 27.1 / 28.7 / 27.5 20.6 / 20.6 / 22.8
 *   256x8 -> 256x8 (3, 1)    u8.1   29.0 / 29.3 / 28.2 25.8 / 26.6 / 26.6 18.5 / 18.4 / 21.0
 *   64x32 -> 3x32 (3, 1)     u32.3  17.0 / 16.9 / 27.1 10.2 / 15.6 / 14.4 8.2 / 6.3 / 7.3
 *   1x1 kernel:
 *   128x16 -> 64x16 (1, 1)   u16.2  1.9 / 1.9 / 3.6    1.2 / 1.2 / 1.4    1.8 / 1.8 / 1.9
 *   outputs under 16 pixels:
 *   256x4 -> 512x2 (5, 2)    d32.4  10.0 / 10.0 / 9.9  46.3 / 44.4 / 9.9  8.7 / 8.2 / 11.2
 *   512x4 -> 1024x2 (4, 2)   g32.2  23.4 / 27.1 / 23.7 131 / 138 / 23.7   25.5 / 29.1 / 95.8
 *   1024x2 -> 100x1 (2, 1)   g32.1  0.4 / 0.3 / 0.3    1.1 / 1.2 / 4.0    1.0 / 0.8 / 1.2
 *   512x4 -> 100x1 (4, 1)    g64.1  0.9 / 0.6 / 0.6    2.1 / 1.9 / 7.0    2.1 / 1.6 / 2.2
 *   512x4 -> 1x1 (4, 1)      d64.5  0.0 / 0.0 / 0.0    5.6 / 29.8 / 3.9   0.3 / 0.2 / 0.3
 *
 * Hence, with groups 1 and dilation 1 (the shapes measured):
 *   - outputs under 16 pixels (2x2, and the fully connected 1x1): im2col,
 *     whose one GEMM over the batch is as fast or faster (blocked was 15%
 *     faster on d32.4's forward and data but 10% slower on g32.2's, and
 *     slower on both weight gradients; 2.5x or more slower on the fully
 *     connected layers). Blocked forward and data with an im2col weight
 *     gradient was tried there: each pass alone was the fastest (d32.4:
 *     8.6 / 8.2 / 9.8 ms) but the training pass slower (33-37 ms against
 *     31 with either implementation throughout; g32.2: 84-86 against
 *     76-85), as OpenBLAS's and OpenMP's idle threads spin on the cores
 *     the other pool's threads need (bench/README.md), so the three
 *     passes of a layer stay on one thread pool;
 *   - 1x1 kernels, stride 1: oneDNN plain (straight GEMMs, 1.6-2.6x);
 *   - inputs of fewer than 16 channels (images): blocked forward (1.8-2.3x)
 *     and weight gradient (2.4-3.1x), plain data gradient (1.3-1.6x:
 *     blocked pads gx's 3 channels to a block of 16 and is the slowest);
 *   - everything else: blocked, 1.1-2.0x faster than im2col on every pass.
 * Grouped, depthwise and dilated convolutions were not measured: im2col.
 * Blocked runs reorder x, w and y into buffers the size of the tensors;
 * above the workspace cap (GL_DNNL_WS_DEFAULT, 256 MiB) the call falls
 * back to im2col, which chunks the batch. */

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

/* y[n, c, :] += bias[c], after an im2col forward (oneDNN adds it itself) */
static void add_bias(const gl_cpu_state *st, const genlab_conv_desc *d, const float *bias,
                     float *y)
{
    const int64_t planes = d->n * d->cout, hw = d->ho * d->wo;
#pragma omp parallel for num_threads(st->threads) if (planes * hw > 32768) schedule(static)
    for (int64_t p = 0; p < planes; p++) {
        const float b = bias[p % d->cout];
        float *yp = y + p * hw;
#pragma omp simd
        for (int64_t j = 0; j < hw; j++)
            yp[j] += b;
    }
}

/* bias: (cout) for the forward, else NULL */
static void conv(void *state, gl_conv_pass pass, const genlab_conv_desc *d, const float *a,
                 const float *b, const float *bias, float *out)
{
    gl_cpu_state *st = state;
    gl_conv_impl impl = gl_cpu_conv_choose(st, pass, d);
#ifdef HAVE_DNNL
    if (impl != GL_CONV_IM2COL &&
        !gl_cpu_dnnl_conv(st, pass, impl == GL_CONV_DNNL_BLOCKED, d, a, b, bias, out))
        impl = GL_CONV_IM2COL;
#endif
    st->conv_runs[impl]++;
    if (impl == GL_CONV_IM2COL) {
        im2col[pass](st, d, a, b, out);
        if (bias)
            add_bias(st, d, bias, out);
    }
}

void gl_cpu_conv2d_forward(void *state, const genlab_conv_desc *d, const float *x,
                           const float *w, float *y)
{
    conv(state, GL_CONV_FORWARD, d, x, w, NULL, y);
}

void gl_cpu_conv2d_forward_bias(void *state, const genlab_conv_desc *d, const float *x,
                                const float *w, const float *b, float *y)
{
    conv(state, GL_CONV_FORWARD, d, x, w, b, y);
}

void gl_cpu_conv2d_backward_data(void *state, const genlab_conv_desc *d, const float *gy,
                                 const float *w, float *gx)
{
    conv(state, GL_CONV_BACKWARD_DATA, d, gy, w, NULL, gx);
}

void gl_cpu_conv2d_backward_weight(void *state, const genlab_conv_desc *d, const float *x,
                                   const float *gy, float *gw)
{
    conv(state, GL_CONV_BACKWARD_WEIGHT, d, x, gy, NULL, gw);
}
