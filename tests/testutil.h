/* SPDX-License-Identifier: MIT
 *
 * testutil.h — helpers shared by the Check suites: a context per test, and
 * the suite runner main() that prints Check's summary and sets the exit code.
 */
#ifndef GENLAB_TESTUTIL_H
#define GENLAB_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

#include "genlab/genlab.h"

/* tu_ctx — a context with the given seed; fails the test if creation fails. */
static inline genlab_ctx *tu_ctx(uint64_t seed)
{
    genlab_ctx_options o = {.seed = seed};
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    return ctx;
}

/* tu_shape — a compound literal helper: TU_SHAPE(2, 3) */
#define TU_SHAPE(...) ((const int64_t[]){__VA_ARGS__})

/* tu_run — run one suite; returns the process exit status. */
static inline int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
