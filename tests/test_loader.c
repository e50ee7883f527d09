/* SPDX-License-Identifier: MIT
 *
 * test_loader.c — the run loop's data loader (libgenlab/loader.h) over a
 * dataset written here: item i is an image holding i (plus, optionally,
 * noise from the data stream), label i.
 *
 * Checked: every epoch is a permutation; drop_last drops the short batch
 * or returns it; prefetching changes nothing a batch holds; a loader
 * restarted at a saved position reads exactly the batches the original
 * reads next; read failures, wrong shapes from read() and a dataset
 * smaller than a batch under drop_last are errors naming the dataset.
 *
 * Sections: the dataset, order, prefetch and position, errors.
 */
#include "loader.h"
#include "testutil.h"

/* ---- the dataset ---- */

typedef struct items {
    genlab_data_spec spec;
    float            noise;      /* > 0: uniform noise from GL_STREAM_DATA */
    int64_t          fail_at;    /* item whose read fails; -1: none */
    bool             bad_shape;  /* read returns one row too few */
} items;

static genlab_status items_read(genlab_ctx *ctx, void *state, const int64_t *idx, int64_t n,
                                genlab_batch *out)
{
    items *d = state;
    int64_t rows = d->bad_shape ? n - 1 : n;
    out->x = genlab_tensor_new(ctx, GL_F32, 4, (const int64_t[]){rows, 1, 1, 2});
    out->y = genlab_tensor_new(ctx, GL_I32, 1, (const int64_t[]){rows});
    if (!out->x || !out->y)
        return genlab_ctx_status(ctx);
    float *x = genlab_tensor_f32_mut(out->x);
    int32_t *y = genlab_tensor_data(out->y);
    for (int64_t i = 0; i < rows; i++) {
        if (idx[i] == d->fail_at)
            return genlab_errorf(ctx, GL_ERR_IO, "item %lld: broken file", (long long)idx[i]);
        x[2 * i] = x[2 * i + 1] = (float)idx[i];
        y[i] = (int32_t)idx[i];
    }
    if (d->noise > 0)
        return genlab_rng_fill(ctx, genlab_reshape(ctx, out->x, 1, (const int64_t[]){2 * rows}),
                               GL_STREAM_DATA, 0, 0.0f, d->noise);
    return GL_OK;
}

static const genlab_dataset_i items_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_dataset_i),
    .read = items_read,
};

static gl_loader_options options(items *d, int64_t n_items, int64_t batch, bool drop_last,
                                 bool prefetch)
{
    d->spec = (genlab_data_spec){1, 1, 2, 0, n_items};
    if (!d->fail_at)
        d->fail_at = -1;
    return (gl_loader_options){.ds = &items_iface, .state = d, .name = "items", .spec = d->spec,
                               .seed = 7, .batch = batch, .drop_last = drop_last,
                               .prefetch = prefetch};
}

/* take — the next batch's labels into ids (returns its size); x0 gets the
 * first pixel of each image */
static int64_t take(genlab_ctx *ctx, gl_loader *l, int32_t *ids, float *x0)
{
    genlab_ctx_step_begin(ctx);
    genlab_batch b;
    ck_assert_int_eq(gl_loader_next(ctx, l, &b), GL_OK);
    int64_t n = genlab_tensor_dim(b.x, 0);
    ck_assert_int_eq(genlab_tensor_dim(b.y, 0), n);
    for (int64_t i = 0; i < n; i++) {
        ids[i] = ((const int32_t *)genlab_tensor_data(b.y))[i];
        if (x0)
            x0[i] = genlab_tensor_f32(b.x)[2 * i];
    }
    return n;
}

/* ---- order ---- */

/* {drop_last, batch sizes of the first epoch, then the next epoch's first} */
static const struct {
    bool    drop_last;
    int64_t sizes[4];
} order_cases[] = {
    {true, {4, 4, 4, 4}},     /* 10 items: 4, 4, (2 dropped), 4, 4 */
    {false, {4, 4, 2, 4}},    /* 10 items: 4, 4, 2, then 4 */
};

START_TEST(test_epoch_order)
{
    genlab_ctx *ctx = tu_ctx(1);
    items d = {0};
    gl_loader_options o = options(&d, 10, 4, order_cases[_i].drop_last, true);
    gl_loader *l;
    ck_assert_int_eq(gl_loader_create(ctx, &o, NULL, &l), GL_OK);
    for (int epoch = 0; epoch < 3; epoch++) {
        int seen[10] = {0};
        int64_t total = 0, batches = order_cases[_i].drop_last ? 2 : 3;
        for (int64_t k = 0; k < batches; k++) {
            int32_t ids[4];
            int64_t n = take(ctx, l, ids, NULL);
            ck_assert_int_eq(n, order_cases[_i].sizes[k]);
            for (int64_t i = 0; i < n; i++)
                seen[ids[i]]++;
            total += n;
        }
        for (int i = 0; i < 10; i++)   /* no item twice in an epoch */
            ck_assert_int_le(seen[i], 1);
        ck_assert_int_eq(total, order_cases[_i].drop_last ? 8 : 10);
    }
    gl_loader_destroy(l);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- prefetch and position ---- */

/* run — `batches` batches' labels and first pixels, from a loader started
 * at pos (NULL: the start); the position after them in *after */
static void run(bool prefetch, const gl_loader_pos *pos, int batches, int32_t *ids, float *x0,
                gl_loader_pos *after)
{
    genlab_ctx *ctx = tu_ctx(1);
    items d = {.noise = 0.5f};
    gl_loader_options o = options(&d, 7, 3, false, prefetch);
    gl_loader *l;
    ck_assert_int_eq(gl_loader_create(ctx, &o, pos, &l), GL_OK);
    for (int k = 0, at = 0; k < batches; k++) {   /* 7 items: batches of 3, 3, 1 */
        int64_t n = take(ctx, l, ids + at, x0 + at);
        ck_assert_int_eq(n, k % 3 == 2 ? 1 : 3);
        at += (int)n;
    }
    if (after)
        gl_loader_position(l, after);
    gl_loader_destroy(l);
    genlab_ctx_destroy(ctx);
}

START_TEST(test_prefetch_same_values)
{
    int32_t a[30] = {0}, b[30] = {0};
    float xa[30] = {0}, xb[30] = {0};
    run(true, NULL, 9, a, xa, NULL);    /* 21 items */
    run(false, NULL, 9, b, xb, NULL);
    /* bit-identical: the noise comes from the loader's own data stream */
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_mem_eq(xa, xb, sizeof xa);
    bool noisy = false;
    for (int i = 0; i < 21; i++)
        noisy = noisy || xa[i] != (float)a[i];
    ck_assert(noisy);
}
END_TEST

START_TEST(test_resume_position)
{
    /* 9 batches straight, versus 4 (stopping mid-epoch) + 5 from the saved
     * position, prefetching both times (so the first loader had read ahead) */
    int32_t all[30] = {0}, part[30] = {0};
    float xall[30] = {0}, xpart[30] = {0};
    gl_loader_pos pos;
    run(true, NULL, 9, all, xall, NULL);
    run(true, NULL, 4, part, xpart, &pos);
    ck_assert_int_eq(pos.epoch, 1);
    ck_assert_int_eq(pos.offset, 3);
    int32_t rest[15];
    float xrest[15];
    genlab_ctx *ctx = tu_ctx(1);
    items d = {.noise = 0.5f};
    gl_loader_options o = options(&d, 7, 3, false, true);
    gl_loader *l;
    ck_assert_int_eq(gl_loader_create(ctx, &o, &pos, &l), GL_OK);
    int64_t got = 0;
    for (int k = 0; k < 5; k++)
        got += take(ctx, l, rest + got, xrest + got);
    gl_loader_destroy(l);
    genlab_ctx_destroy(ctx);
    /* batches 4..8 of the straight run, after its first 3 + 3 + 1 + 3 items */
    int64_t before = 3 + 3 + 1 + 3;
    ck_assert_int_eq(got, 3 + 1 + 3 + 3 + 1);
    ck_assert_mem_eq(rest, all + before, (size_t)got * sizeof *rest);
    ck_assert_mem_eq(xrest, xall + before, (size_t)got * sizeof *xrest);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_read_failure)
{
    genlab_ctx *ctx = tu_ctx(1);
    items d = {.fail_at = 5};
    gl_loader_options o = options(&d, 10, 10, true, _i == 1);
    gl_loader *l;
    ck_assert_int_eq(gl_loader_create(ctx, &o, NULL, &l), GL_OK);
    for (int k = 0; k < 2; k++) {   /* the same failure every time */
        genlab_batch b;
        genlab_ctx_clear_error(ctx);
        ck_assert_int_eq(gl_loader_next(ctx, l, &b), GL_ERR_IO);
        ck_assert_str_eq(genlab_ctx_errmsg(ctx), "dataset \"items\": item 5: broken file");
    }
    gl_loader_destroy(l);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_bad_shape)
{
    genlab_ctx *ctx = tu_ctx(1);
    items d = {.bad_shape = true};
    gl_loader_options o = options(&d, 10, 4, true, false);
    gl_loader *l;
    ck_assert_int_eq(gl_loader_create(ctx, &o, NULL, &l), GL_OK);
    genlab_batch b;
    ck_assert_int_eq(gl_loader_next(ctx, l, &b), GL_ERR_SHAPE);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "dataset \"items\": read gave images (3, 1, 1, 2)"),
                  "%s", genlab_ctx_errmsg(ctx));
    gl_loader_destroy(l);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_too_few_items)
{
    genlab_ctx *ctx = tu_ctx(1);
    items d = {0};
    gl_loader_options o = options(&d, 3, 4, true, true);
    gl_loader *l;
    ck_assert_int_eq(gl_loader_create(ctx, &o, NULL, &l), GL_ERR_INVALID);
    ck_assert_ptr_null(l);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "has 3 items, fewer than a batch (4)"), "%s",
                  genlab_ctx_errmsg(ctx));
    genlab_ctx_clear_error(ctx);
    o.drop_last = false;   /* then every batch is the whole (short) epoch */
    ck_assert_int_eq(gl_loader_create(ctx, &o, NULL, &l), GL_OK);
    int32_t ids[4];
    ck_assert_int_eq(take(ctx, l, ids, NULL), 3);
    ck_assert_int_eq(take(ctx, l, ids, NULL), 3);
    gl_loader_destroy(l);
    genlab_ctx_destroy(ctx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loader");
    TCase *tc = tcase_create("loader");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_epoch_order, 0, sizeof order_cases / sizeof order_cases[0]);
    tcase_add_test(tc, test_prefetch_same_values);
    tcase_add_test(tc, test_resume_position);
    tcase_add_loop_test(tc, test_read_failure, 0, 2);   /* inline, then prefetched */
    tcase_add_test(tc, test_bad_shape);
    tcase_add_test(tc, test_too_few_items);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
