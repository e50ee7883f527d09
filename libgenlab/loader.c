/* SPDX-License-Identifier: MIT
 *
 * loader.c — the run loop's data loader (loader.h): data order, the ring of
 * prefetched batches and the thread that fills it, and the position saved
 * in checkpoints.
 *
 * Sections: order, producing a batch, the prefetch thread, the loader.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "loader.h"

/* Two slots: the batch being consumed's successor is read while a step
 * runs; more would only hold memory, since reading is sequential. */
#define GL_LOADER_SLOTS 2

typedef struct gl_slot {
    float        *x;                 /* (batch, C, H, W) */
    int32_t      *y;                 /* (batch) */
    int64_t       n;                 /* items in this batch */
    bool          has_y;
    gl_loader_pos after;             /* where the next batch starts */
    genlab_status st;                /* GL_OK, or why the read failed */
    char          msg[1024];
} gl_slot;

struct gl_loader {
    gl_loader_options o;
    int64_t       per;               /* floats per item */
    genlab_ctx   *rctx;              /* the reader's context (its data stream) */

    /* the producer's cursor: the next batch to read */
    int64_t      *perm;              /* (n_items) the order of epoch p_epoch */
    int64_t      *idx;               /* (batch) */
    int64_t       p_epoch, p_offset;

    gl_slot       slots[GL_LOADER_SLOTS];
    int           head, count;       /* oldest produced slot; produced, unconsumed */
    bool          stop, threaded, done;   /* done: the thread has exited */
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    pthread_t     thread;

    gl_loader_pos consumed;          /* where the batch after the last consumed starts */
};

/* ---- order ---- */

/* shuffle — Fisher-Yates over perm for this epoch. Draw i uses Philox
 * counter (i, stream GL_STREAM_DATA, epoch + 1): the context's streams
 * always have 0 in the last counter word, so none of its draws repeats
 * these. A 64-bit draw reduced modulo i + 1 is biased by at most
 * n / 2^64: nothing a dataset can show. */
static void shuffle(int64_t *perm, int64_t n, uint64_t seed, int64_t epoch)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (int64_t i = 0; i < n; i++)
        perm[i] = i;
    for (int64_t i = n - 1; i > 0; i--) {
        uint64_t c = (uint64_t)i, e = (uint64_t)epoch + 1;
        const uint32_t ctr[4] = {(uint32_t)c, (uint32_t)(c >> 32), GL_STREAM_DATA, (uint32_t)e};
        uint32_t r[4];
        genlab_philox(ctr, key, r);
        int64_t j = (int64_t)((((uint64_t)r[1] << 32) | r[0]) % (uint64_t)(i + 1));
        int64_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
}

/* next_indices — the items of the next batch into l->idx; returns how many.
 * A new epoch starts when the current one is used up, or (drop_last) when
 * what is left of it is less than a batch. */
static int64_t next_indices(gl_loader *l)
{
    int64_t n = l->o.spec.n_items;
    if (l->p_epoch < 0 || l->p_offset >= n || (l->o.drop_last && n - l->p_offset < l->o.batch)) {
        shuffle(l->perm, n, l->o.seed, ++l->p_epoch);
        l->p_offset = 0;
    }
    int64_t m = n - l->p_offset < l->o.batch ? n - l->p_offset : l->o.batch;
    memcpy(l->idx, l->perm + l->p_offset, (size_t)m * sizeof *l->idx);
    l->p_offset += m;
    return m;
}

/* ---- producing a batch ---- */

/* check_batch — what read() returned is what the spec promised */
static genlab_status check_batch(gl_loader *l, const genlab_batch *b, int64_t n)
{
    const genlab_data_spec *s = &l->o.spec;
    const int64_t want[4] = {n, s->channels, s->height, s->width};
    char got[96];
    if (!b->x || genlab_tensor_dtype(b->x) != GL_F32 || genlab_tensor_ndim(b->x) != 4 ||
        genlab_tensor_dim(b->x, 0) != want[0] || genlab_tensor_dim(b->x, 1) != want[1] ||
        genlab_tensor_dim(b->x, 2) != want[2] || genlab_tensor_dim(b->x, 3) != want[3])
        return genlab_errorf(l->rctx, GL_ERR_SHAPE,
                             "read gave images %s, not float32 (%" PRId64 ", %d, %d, %d)",
                             b->x ? genlab_tensor_shape_str(b->x, got, sizeof got) : "(none)", n,
                             s->channels, s->height, s->width);
    if (b->y && (genlab_tensor_dtype(b->y) != GL_I32 || genlab_tensor_ndim(b->y) != 1 ||
                 genlab_tensor_dim(b->y, 0) != n))
        return genlab_errorf(l->rctx, GL_ERR_SHAPE,
                             "read gave labels %s, not int32 (%" PRId64 ")",
                             genlab_tensor_shape_str(b->y, got, sizeof got), n);
    return GL_OK;
}

/* produce — read the next batch into slot s (which only the producer
 * touches until it is counted) */
static void produce(gl_loader *l, gl_slot *s)
{
    int64_t n = next_indices(l);
    genlab_ctx_step_begin(l->rctx);
    genlab_batch b = {NULL, NULL};
    genlab_status st = l->o.ds->read(l->rctx, l->o.state, l->idx, n, &b);
    if (st == GL_OK)
        st = genlab_ctx_status(l->rctx);
    if (st == GL_OK)
        st = check_batch(l, &b, n);
    s->st = st;
    if (st != GL_OK) {
        const char *why = genlab_ctx_errmsg(l->rctx);
        snprintf(s->msg, sizeof s->msg, "dataset \"%s\": %s", l->o.name,
                 *why ? why : genlab_status_str(st));
        return;
    }
    s->n = n;
    memcpy(s->x, genlab_tensor_f32(b.x), (size_t)(n * l->per) * sizeof *s->x);
    s->has_y = b.y != NULL;
    if (b.y)
        memcpy(s->y, genlab_tensor_data(b.y), (size_t)n * sizeof *s->y);
    uint64_t seed;
    s->after.epoch = l->p_epoch;
    s->after.offset = l->p_offset;
    genlab_rng_state(l->rctx, &seed, s->after.data_rng);
}

/* ---- the prefetch thread ---- */

static void *prefetch_main(void *arg)
{
    gl_loader *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stop && l->count == GL_LOADER_SLOTS)
            pthread_cond_wait(&l->cv, &l->mu);
        if (l->stop)
            break;
        gl_slot *s = &l->slots[(l->head + l->count) % GL_LOADER_SLOTS];
        pthread_mutex_unlock(&l->mu);
        produce(l, s);
        pthread_mutex_lock(&l->mu);
        l->count++;
        pthread_cond_broadcast(&l->cv);
        if (s->st != GL_OK)   /* later batches are not wanted: next() stops here */
            break;
    }
    l->done = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* ---- the loader ---- */

genlab_status gl_loader_create(genlab_ctx *ctx, const gl_loader_options *opt,
                               const gl_loader_pos *pos, gl_loader **out)
{
    *out = NULL;
    const genlab_data_spec *s = &opt->spec;
    if (opt->drop_last && s->n_items < opt->batch)
        return genlab_errorf(ctx, GL_ERR_INVALID,
                             "dataset \"%s\" has %" PRId64 " items, fewer than a batch (%" PRId64
                             "): with train.drop_last = true no batch is left (set "
                             "train.drop_last = false or a smaller train.batch)",
                             opt->name, s->n_items, opt->batch);
    gl_loader *l = calloc(1, sizeof *l);
    if (!l)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "data loader: out of memory");
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->o = *opt;
    l->per = (int64_t)s->channels * s->height * s->width;
    uint64_t seed;
    genlab_ctx_options co = {.seed = opt->seed, .n_threads = 1};
    bool ok = genlab_ctx_create(&co, &l->rctx) == GL_OK;
    l->perm = malloc((size_t)s->n_items * sizeof *l->perm);
    l->idx = malloc((size_t)opt->batch * sizeof *l->idx);
    ok = ok && l->perm && l->idx;
    for (int i = 0; ok && i < GL_LOADER_SLOTS; i++) {
        l->slots[i].x = malloc((size_t)(opt->batch * l->per) * sizeof(float));
        l->slots[i].y = malloc((size_t)opt->batch * sizeof(int32_t));
        ok = l->slots[i].x && l->slots[i].y;
    }
    if (!ok) {
        gl_loader_destroy(l);
        return genlab_errorf(ctx, GL_ERR_NOMEM, "data loader: out of memory for batches of %"
                             PRId64 " x %" PRId64 " floats", opt->batch, l->per);
    }
    if (pos) {
        l->consumed = *pos;
        genlab_rng_restore(l->rctx, opt->seed, pos->data_rng);
        if (pos->epoch >= 0)
            shuffle(l->perm, s->n_items, opt->seed, pos->epoch);
    } else {
        l->consumed.epoch = -1;
        genlab_rng_state(l->rctx, &seed, l->consumed.data_rng);
    }
    l->p_epoch = l->consumed.epoch;
    l->p_offset = l->consumed.offset;
    if (opt->prefetch) {
        if (pthread_create(&l->thread, NULL, prefetch_main, l) != 0) {
            gl_loader_destroy(l);
            return genlab_errorf(ctx, GL_ERR_STATE, "data loader: cannot start the prefetch "
                                 "thread");
        }
        l->threaded = true;
    }
    *out = l;
    return GL_OK;
}

void gl_loader_destroy(gl_loader *l)
{
    if (!l)
        return;
    if (l->threaded) {
        pthread_mutex_lock(&l->mu);
        l->stop = true;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    for (int i = 0; i < GL_LOADER_SLOTS; i++) {
        free(l->slots[i].x);
        free(l->slots[i].y);
    }
    free(l->perm);
    free(l->idx);
    genlab_ctx_destroy(l->rctx);
    free(l);
}

genlab_status gl_loader_next(genlab_ctx *ctx, gl_loader *l, genlab_batch *out)
{
    *out = (genlab_batch){NULL, NULL};
    gl_slot *s;
    if (l->threaded) {
        pthread_mutex_lock(&l->mu);
        while (l->count == 0 && !l->done)
            pthread_cond_wait(&l->cv, &l->mu);
        s = l->count ? &l->slots[l->head] : NULL;
        pthread_mutex_unlock(&l->mu);
        if (!s)   /* only after destroy began; never in a step */
            return genlab_errorf(ctx, GL_ERR_STATE, "data loader: stopped");
    } else {
        s = &l->slots[l->head];
        if (l->count == 0) {
            produce(l, s);
            l->count = 1;
        }
    }
    if (s->st != GL_OK)   /* stays at the head: every later call fails the same way */
        return genlab_errorf(ctx, s->st, "%s", s->msg);
    const genlab_data_spec *sp = &l->o.spec;
    /* uninitialised: the copy below fills them */
    out->x = gl_new(ctx, GL_F32, 4, (const int64_t[]){s->n, sp->channels, sp->height, sp->width});
    if (s->has_y)
        out->y = gl_new(ctx, GL_I32, 1, (const int64_t[]){s->n});
    if (!out->x || (s->has_y && !out->y))
        return genlab_ctx_status(ctx);
    memcpy(genlab_tensor_data(out->x), s->x, (size_t)(s->n * l->per) * sizeof(float));
    if (s->has_y)
        memcpy(genlab_tensor_data(out->y), s->y, (size_t)s->n * sizeof(int32_t));
    l->consumed = s->after;
    pthread_mutex_lock(&l->mu);
    l->head = (l->head + 1) % GL_LOADER_SLOTS;
    l->count--;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return GL_OK;
}

void gl_loader_position(const gl_loader *l, gl_loader_pos *out) { *out = l->consumed; }
