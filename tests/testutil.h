/* SPDX-License-Identifier: MIT
 *
 * testutil.h — helpers shared by the Check suites: a context per test, and
 * the suite runner main() that prints Check's summary and sets the exit code.
 */
#ifndef GENLAB_TESTUTIL_H
#define GENLAB_TESTUTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

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

/* An op error case: f builds something that must fail with status, and the
 * context's message must contain want. */
typedef struct tu_err_case {
    const char    *want;     /* substring of the message */
    genlab_status  status;
    genlab_tensor *(*f)(genlab_ctx *ctx);
} tu_err_case;

/* tu_check_error — run one error case on a fresh context; clearing the error
 * must bring the context back to GL_OK. */
static inline void tu_check_error(const tu_err_case *e)
{
    genlab_ctx *ctx = tu_ctx(1);
    ck_assert_ptr_null(e->f(ctx));
    ck_assert_int_eq(genlab_ctx_status(ctx), e->status);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), e->want) != NULL, "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), e->want);
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_OK);
    genlab_ctx_destroy(ctx);
}

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
