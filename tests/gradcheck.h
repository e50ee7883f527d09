/* SPDX-License-Identifier: MIT
 *
 * gradcheck.h — gradient checks against central finite differences, first
 * and second order, shared by the op test suites.
 *
 * A case is a function f(inputs) -> output. The checked scalar is
 * L = sum(f(x) * R) for a fixed random R, so every output element counts.
 * First order compares dL/dx from genlab_grad with (L(x+e) - L(x-e)) / 2e.
 * Second order checks the Hessian-vector product: G = sum_i <dL/dx_i, S_i>
 * with create_graph, then dG/dx against finite differences of G, where G is
 * evaluated with first-order gradients only.
 */
#ifndef GENLAB_TEST_GRADCHECK_H
#define GENLAB_TEST_GRADCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "genlab/genlab.h"

#define GC_MAX_INPUTS 6

typedef genlab_tensor *(*gc_fn)(genlab_ctx *ctx, genlab_tensor **x, void *user);

typedef struct gc_opts {
    double eps;        /* finite-difference step; 0 = 1e-2 */
    /* |analytic - numeric| <= atol + rtol |numeric|. Defaults 1e-3 and 5e-3:
     * with eps 1e-2 in float32 the central difference is accurate to about
     * 1e-4 relative (truncation eps^2, round-off 1e-7 |L| / eps); every suite
     * passes at 5e-4 / 2e-3, and 5e-3 still catches a gradient off by 1 %. */
    double atol;       /* 0 = 1e-3 */
    double rtol;       /* 0 = 5e-3 */
    int    max_checks; /* entries checked per input (spread evenly); 0 = 64 */
    bool   second;     /* also check second order */
    bool   no_grad[GC_MAX_INPUTS]; /* inputs that are not differentiated (labels, targets) */
} gc_opts;

/* gc_check — run the checks. inputs are persistent float tensors (their
 * values are perturbed and restored). Returns true on success; on failure
 * msg names the input, the entry, both values. */
bool gc_check(genlab_ctx *ctx, gc_fn f, void *user, int n_in, genlab_tensor **inputs,
              const gc_opts *opts, char *msg, size_t msg_size);

/* gc_input — a persistent tensor with values uniform in [lo, hi), pushed at
 * least `margin` away from every value in kinks[0..n_kinks) (for ops with
 * kinks such as relu at 0). Drawn from a fixed generator, not the context. */
genlab_tensor *gc_input(genlab_ctx *ctx, int ndim, const int64_t *shape, float lo, float hi,
                        unsigned seed);
void gc_avoid(genlab_tensor *t, const float *kinks, int n_kinks, float margin);

#endif
