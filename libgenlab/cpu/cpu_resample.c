/* SPDX-License-Identifier: MIT
 * cpu_resample.c — pooling and resampling kernels (not yet implemented). */
#include "cpu.h"
void gl_cpu_max_pool(void *s, const genlab_pool_desc *d, const float *x, float *y, int32_t *idx)
{ (void)s; (void)d; (void)x; (void)y; (void)idx; }
void gl_cpu_gather(void *s, const genlab_pool_desc *d, const float *x, const int32_t *idx, float *y)
{ (void)s; (void)d; (void)x; (void)idx; (void)y; }
void gl_cpu_scatter_add(void *s, const genlab_pool_desc *d, const float *x, const int32_t *idx, float *y)
{ (void)s; (void)d; (void)x; (void)idx; (void)y; }
void gl_cpu_upsample_nearest(void *s, const genlab_pool_desc *d, const float *x, float *y)
{ (void)s; (void)d; (void)x; (void)y; }
void gl_cpu_nearest_adjoint(void *s, const genlab_pool_desc *d, const float *x, float *y)
{ (void)s; (void)d; (void)x; (void)y; }
void gl_cpu_bilinear(void *s, const genlab_pool_desc *d, const float *x, float *y)
{ (void)s; (void)d; (void)x; (void)y; }
void gl_cpu_bilinear_adjoint(void *s, const genlab_pool_desc *d, const float *x, float *y)
{ (void)s; (void)d; (void)x; (void)y; }
