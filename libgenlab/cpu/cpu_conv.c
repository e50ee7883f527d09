/* SPDX-License-Identifier: MIT
 * cpu_conv.c — convolution kernels (not yet implemented). */
#include "cpu.h"
void gl_cpu_conv2d_forward(void *s, const genlab_conv_desc *d, const float *x, const float *w, float *y)
{ (void)s; (void)d; (void)x; (void)w; (void)y; }
void gl_cpu_conv2d_backward_data(void *s, const genlab_conv_desc *d, const float *gy, const float *w, float *gx)
{ (void)s; (void)d; (void)gy; (void)w; (void)gx; }
void gl_cpu_conv2d_backward_weight(void *s, const genlab_conv_desc *d, const float *x, const float *gy, float *gw)
{ (void)s; (void)d; (void)x; (void)gy; (void)gw; }
