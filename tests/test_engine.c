/* SPDX-License-Identifier: MIT
 *
 * test_engine.c — contexts, the step arena, the tape and its passes
 * (backward, grad, create_graph, no-grad, detach) and the Philox RNG.
 */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

/* ---- context and arena ---- */

START_TEST(test_ctx_lifecycle)
{
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(NULL, &ctx), GL_OK);
    ck_assert_str_eq(genlab_ctx_backend_name(ctx), "cpu");
    ck_assert_int_ge(genlab_ctx_threads(ctx), 1);
    genlab_ctx_destroy(ctx);
    genlab_ctx_destroy(NULL);   /* a no-op */
    genlab_ctx_options o = {.backend = "no-such-backend"};
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_ERR_UNSUPPORTED);
    ck_assert_ptr_null(ctx);
    ck_assert_str_eq(genlab_status_str(GL_ERR_SHAPE), "shape mismatch");
    ck_assert_str_eq(genlab_status_str((genlab_status)999), "unknown status");
}
END_TEST

/* a steady-state loop reuses the arena: after the first step, no growth */
START_TEST(test_arena_steady)
{
    genlab_ctx_options o = {.arena_bytes = 4096};   /* force several chunks in step 1 */
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    size_t peak1 = 0;
    const void *chunk = NULL;
    for (int step = 0; step < 4; step++) {
        genlab_ctx_step_begin(ctx);
        genlab_tensor *x = genlab_randn(ctx, 2, TU_SHAPE(64, 100));
        for (int i = 0; i < 10; i++)
            x = genlab_tanh(ctx, x);
        ck_assert_ptr_nonnull(x);
        if (step == 0)
            peak1 = genlab_ctx_arena_peak(ctx);
        if (step == 1)
            chunk = ctx->data.chunks;
        if (step >= 1) {
            ck_assert_ptr_eq(ctx->data.chunks, chunk);          /* same memory */
            ck_assert_ptr_null(*(void **)ctx->data.chunks);     /* a single chunk */
        }
    }
    ck_assert_uint_eq(genlab_ctx_arena_peak(ctx), peak1);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a rewind frees a sub-step's tensors and tape: n sub-steps peak at the
 * memory of one, what came before the mark stays valid, and a backward
 * through it after the rewind gives the gradient it gives without one */
START_TEST(test_arena_rewind)
{
    genlab_ctx_options o = {.arena_bytes = 4096};   /* sub-steps span several chunks */
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    genlab_tensor *w = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(100));
    genlab_tensor *gw = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(100));
    float *wp = genlab_tensor_f32_mut(w);
    for (int i = 0; i < 100; i++)
        wp[i] = 0.01f * (float)i - 0.5f;
    genlab_tensor_set_requires_grad(w, true);
    ck_assert_int_eq(genlab_tensor_set_grad(ctx, w, gw), GL_OK);
    float want[100];
    for (int step = 0; step < 3; step++) {
        genlab_ctx_step_begin(ctx);
        memset(genlab_tensor_f32_mut(gw), 0, 100 * sizeof(float));
        genlab_tensor *kept = genlab_tanh(ctx, w);
        size_t used = genlab_ctx_arena_used(ctx), peak_one = 0;
        int64_t tape = ctx->tape_len;
        for (int sub = 0; sub < (step == 0 ? 0 : 4); sub++) {
            genlab_ctx_mark mark = genlab_ctx_mark_get(ctx);
            genlab_tensor *x = genlab_randn(ctx, 2, TU_SHAPE(64, 100));
            for (int i = 0; i < 10; i++)
                x = genlab_tanh(ctx, genlab_mul(ctx, x, w));
            ck_assert_ptr_nonnull(x);
            genlab_ctx_rewind(ctx, &mark);
            ck_assert_uint_eq(genlab_ctx_arena_used(ctx), used);
            ck_assert_int_eq(ctx->tape_len, tape);
            if (sub == 0)
                peak_one = genlab_ctx_arena_peak(ctx);
            else
                ck_assert_uint_eq(genlab_ctx_arena_peak(ctx), peak_one);
        }
        ck_assert_int_eq(genlab_backward(ctx, genlab_sum_all(ctx, genlab_mul(ctx, kept, kept))),
                         GL_OK);
        if (step == 0)
            memcpy(want, genlab_tensor_f32(gw), sizeof want);
        else
            ck_assert_mem_eq(genlab_tensor_f32(gw), want, sizeof want);
    }
    genlab_tensor_free(gw);
    genlab_tensor_free(w);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- autograd ---- */

START_TEST(test_backward_accumulates)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *w = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(3));
    genlab_tensor *gw = genlab_tensor_new_persistent(ctx, GL_F32, 1, TU_SHAPE(3));
    float *wp = genlab_tensor_f32_mut(w);
    wp[0] = 1; wp[1] = 2; wp[2] = 3;
    genlab_tensor_set_requires_grad(w, true);
    ck_assert_int_eq(genlab_tensor_set_grad(ctx, w, gw), GL_OK);
    for (int step = 0; step < 2; step++) {
        genlab_ctx_step_begin(ctx);
        /* loss = sum(w * w) used twice: gradient 2w + 2w */
        genlab_tensor *sq = genlab_mul(ctx, w, w);
        genlab_tensor *loss = genlab_add(ctx, genlab_sum_all(ctx, sq), genlab_sum_all(ctx, sq));
        ck_assert_int_eq(genlab_backward(ctx, loss), GL_OK);
    }
    /* two steps accumulate: 2 * 4w */
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq(genlab_tensor_f32(gw)[i], 8.0f * wp[i]);
    genlab_tensor_free(w);
    genlab_tensor_free(gw);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_grad_api)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = genlab_tensor_from(ctx, 1, TU_SHAPE(2), (const float[]){3, -1});
    genlab_tensor *unrelated = genlab_tensor_from(ctx, 1, TU_SHAPE(2), (const float[]){1, 1});
    genlab_tensor_set_requires_grad(x, true);
    genlab_tensor_set_requires_grad(unrelated, true);
    genlab_tensor *h = genlab_mul(ctx, x, x);              /* intermediate */
    genlab_tensor *y = genlab_sum_all(ctx, genlab_mul(ctx, h, x));   /* sum x^3 */
    genlab_tensor *in[3] = {x, h, unrelated}, *g[3];
    ck_assert_int_eq(genlab_grad(ctx, 1, &y, NULL, 3, in, true, g), GL_OK);
    /* dy/dx = 3x^2 ; dy/dh = x ; unrelated -> zeros */
    ck_assert_float_eq_tol(genlab_tensor_f32(g[0])[0], 27.0f, 1e-5);
    ck_assert_float_eq_tol(genlab_tensor_f32(g[1])[1], -1.0f, 1e-6);
    ck_assert_float_eq(genlab_tensor_f32(g[2])[0], 0.0f);
    ck_assert(genlab_tensor_requires_grad(g[0]));           /* create_graph */
    /* second derivative: d/dx sum(3x^2) = 6x */
    genlab_tensor *s = genlab_sum_all(ctx, g[0]), *gg;
    ck_assert_int_eq(genlab_grad(ctx, 1, &s, NULL, 1, &x, false, &gg), GL_OK);
    ck_assert_float_eq_tol(genlab_tensor_f32(gg)[0], 18.0f, 1e-5);
    ck_assert_float_eq_tol(genlab_tensor_f32(gg)[1], -6.0f, 1e-5);
    ck_assert(!genlab_tensor_requires_grad(gg));
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_no_grad_and_detach)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = genlab_tensor_from(ctx, 1, TU_SHAPE(2), (const float[]){1, 2});
    genlab_tensor_set_requires_grad(x, true);
    int64_t before = genlab_tape_length(ctx);
    ck_assert(genlab_set_grad_enabled(ctx, false));
    genlab_tensor *y = genlab_exp(ctx, x);
    ck_assert(!genlab_tensor_requires_grad(y));
    ck_assert_int_eq(genlab_tape_length(ctx), before);
    genlab_set_grad_enabled(ctx, true);
    genlab_tensor *d = genlab_detach(ctx, genlab_exp(ctx, x));
    ck_assert(!genlab_tensor_requires_grad(d));
    /* gradient through detach is zero: only the direct path counts */
    genlab_tensor *l = genlab_sum_all(ctx, genlab_mul(ctx, d, x)), *g;
    ck_assert_int_eq(genlab_grad(ctx, 1, &l, NULL, 1, &x, false, &g), GL_OK);
    ck_assert_float_eq_tol(genlab_tensor_f32(g)[1], expf(2.0f), 1e-5);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_backward_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *x = genlab_full(ctx, 1, TU_SHAPE(3), 1.0f);
    ck_assert_int_eq(genlab_backward(ctx, x), GL_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(genlab_ctx_errmsg(ctx), "loss must have one element, got (3)"));
    genlab_ctx_clear_error(ctx);
    genlab_tensor *g;
    ck_assert_int_eq(genlab_grad(ctx, 1, &x, NULL, 0, NULL, false, &g), GL_ERR_INVALID);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- random numbers ---- */

/* Known-answer vectors of Philox-4x32-10 from the Random123 distribution (kat_vectors). */
START_TEST(test_philox_kat)
{
    static const struct { uint32_t ctr[4], key[2], out[4]; } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint32_t out[4];
        genlab_philox(kat[i].ctr, kat[i].key, out);
        for (int k = 0; k < 4; k++)
            ck_assert_uint_eq(out[k], kat[i].out[k]);
    }
}
END_TEST

START_TEST(test_rng_determinism)
{
    float a[1000], b[1000];
    for (int t = 1; t <= 2; t++) {
        genlab_ctx_options o = {.seed = 42, .n_threads = t};
        genlab_ctx *ctx = NULL;
        ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
        /* the same numbers whether drawn at once or in two parts */
        genlab_tensor *x = t == 1 ? genlab_randn(ctx, 1, TU_SHAPE(1000)) : NULL;
        if (t == 1) {
            memcpy(a, genlab_tensor_f32(x), sizeof a);
        } else {
            genlab_tensor *p = genlab_randn(ctx, 1, TU_SHAPE(300));
            genlab_tensor *q = genlab_randn(ctx, 1, TU_SHAPE(700));
            memcpy(b, genlab_tensor_f32(p), 300 * sizeof(float));
            memcpy(b + 300, genlab_tensor_f32(q), 700 * sizeof(float));
        }
        genlab_ctx_destroy(ctx);
    }
    ck_assert(memcmp(a, b, sizeof a) == 0);
    double mean = 0, var = 0;
    for (int i = 0; i < 1000; i++)
        mean += a[i] / 1000.0;
    for (int i = 0; i < 1000; i++)
        var += (a[i] - mean) * (a[i] - mean) / 999.0;
    /* 1000 standard normals: mean within 4 sigma (0.126), variance within ~0.2 */
    ck_assert_double_lt(fabs(mean), 0.126);
    ck_assert_double_lt(fabs(var - 1.0), 0.2);
}
END_TEST

START_TEST(test_rng_streams_and_ranges)
{
    genlab_ctx *ctx = tu_ctx(5);
    genlab_tensor *u = genlab_rand(ctx, 1, TU_SHAPE(4096), -2.0f, 3.0f);
    genlab_tensor *bern = genlab_bernoulli(ctx, 1, TU_SHAPE(4096), 0.25f);
    double ones = 0;
    for (int i = 0; i < 4096; i++) {
        float v = genlab_tensor_f32(u)[i], b = genlab_tensor_f32(bern)[i];
        ck_assert(v >= -2.0f && v < 3.0f);
        ck_assert(b == 0.0f || b == 1.0f);
        ones += b;
    }
    /* 4096 draws of p = 0.25: sd = 27.7; allow 5 sd */
    ck_assert_double_lt(fabs(ones - 1024.0), 139.0);
    /* draws from the dropout stream do not shift the default stream */
    uint64_t seed, off[GL_STREAM_COUNT];
    genlab_rng_state(ctx, &seed, off);
    genlab_tensor *n1 = genlab_randn(ctx, 1, TU_SHAPE(8));
    genlab_rng_restore(ctx, seed, off);
    genlab_tensor *m = genlab_tensor_new(ctx, GL_F32, 1, TU_SHAPE(64));
    ck_assert_int_eq(genlab_rng_fill(ctx, m, GL_STREAM_DROPOUT, 0, 0, 1), GL_OK);
    genlab_tensor *n2 = genlab_randn(ctx, 1, TU_SHAPE(8));
    ck_assert(memcmp(genlab_tensor_f32(n1), genlab_tensor_f32(n2), 8 * sizeof(float)) == 0);
    ck_assert_ptr_null(genlab_bernoulli(ctx, 1, TU_SHAPE(2), 1.5f));
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_ERR_INVALID);
    genlab_ctx_destroy(ctx);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("context");
    tcase_add_test(tc, test_ctx_lifecycle);
    tcase_add_test(tc, test_arena_steady);
    tcase_add_test(tc, test_arena_rewind);
    suite_add_tcase(s, tc);
    tc = tcase_create("autograd");
    tcase_add_test(tc, test_backward_accumulates);
    tcase_add_test(tc, test_grad_api);
    tcase_add_test(tc, test_no_grad_and_detach);
    tcase_add_test(tc, test_backward_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("rng");
    tcase_add_test(tc, test_philox_kat);
    tcase_add_test(tc, test_rng_determinism);
    tcase_add_test(tc, test_rng_streams_and_ranges);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
