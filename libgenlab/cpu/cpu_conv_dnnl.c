/* SPDX-License-Identifier: MIT
 *
 * cpu_conv_dnnl.c — the CPU convolution kernels through oneDNN (its 2.x C
 * API, Debian's libdnnl-dev): forward, backward data and backward weight of
 * a 2-D convolution with any stride, padding, dilation and groups, on the
 * backend's NCHW / OIHW tensors. Built only when configure finds oneDNN
 * (HAVE_DNNL); cpu_conv_dispatch.c decides when it runs.
 *
 * oneDNN works on primitives made for one shape: making one JIT-compiles
 * code (about a millisecond), so they are kept in a per-state cache keyed
 * by (pass, layout, whole conv desc), bounded at GL_DNNL_CACHE entries with
 * the least recently used one evicted. A shape oneDNN refuses is cached too,
 * so that it is not tried again on every call.
 *
 * Two layouts (the dispatcher picks per shape, see there for the numbers):
 * plain, where oneDNN runs on the tensors as they are (mostly its own
 * im2col + GEMM: it has no fast direct kernel for NCHW), and blocked, where
 * oneDNN chooses its layouts (nChw16c and blocked weights, for its JIT
 * direct kernels) and the tensors are reordered into them and the result
 * back, in buffers taken from the backend's workspace (gl_cpu_scratch)
 * together with oneDNN's scratchpad. Nothing outside this file sees a
 * blocked layout.
 *
 * Threads: oneDNN runs on OpenMP (libgomp) with omp_get_max_threads()
 * threads, an ICV of the calling thread: it is set to the backend's count
 * around each call (primitive creation included, which fixes the work
 * split) and restored after. With a fixed thread count oneDNN's results are
 * the same bits on every run (tests/test_ops_conv.c checks it). Unlike
 * im2col's, they are not independent of the thread count: on the layers of
 * bench/README.md, 1 and 2 threads gave the same forward and data gradient
 * bits, but different weight gradients (oneDNN splits that sum over images
 * by thread) on 11 of the 20 layers it serves, within rounding.
 *
 * A forward may take a bias, added by oneDNN's kernel as it writes y (the
 * plain backend conv has none: the op adds it).
 *
 * Not here: the choice between implementations (cpu_conv_dispatch.c),
 * validation.
 *
 * Sections: the primitive cache, making a primitive, running one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "cpu.h"

/* ---- the primitive cache ---- */

/* The three tensors of a pass, by their place in the forward convolution. */
enum { ROLE_X, ROLE_W, ROLE_Y, ROLES };

/* Per pass: oneDNN's name for each role (memory query, execution argument),
 * and the roles of the kernel's arguments a, b (read) and out (written). */
static const struct pass_roles {
    dnnl_query_t query[ROLES];
    int          arg[ROLES];
    int          a, b, out;
} pass_roles[3] = {
    [GL_CONV_FORWARD] = {{dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md},
                         {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
                         ROLE_X, ROLE_W, ROLE_Y},
    [GL_CONV_BACKWARD_DATA] = {{dnnl_query_diff_src_md, dnnl_query_weights_md,
                                dnnl_query_diff_dst_md},
                               {DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST},
                               ROLE_Y, ROLE_W, ROLE_X},
    [GL_CONV_BACKWARD_WEIGHT] = {{dnnl_query_src_md, dnnl_query_diff_weights_md,
                                  dnnl_query_diff_dst_md},
                                 {DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST},
                                 ROLE_X, ROLE_Y, ROLE_W},
};

typedef struct dnnl_entry {
    gl_conv_pass     pass;            /* the key: pass, layout, bias, geometry */
    bool             blocked;
    bool             bias;            /* forward only: the bias added in the kernel */
    genlab_conv_desc d;
    bool             ok;              /* oneDNN made the primitive (else: fall back) */
    uint64_t         used;            /* clock of the last use */
    dnnl_primitive_t conv;
    dnnl_primitive_t reorder[ROLES];  /* plain <-> the conv's layout; NULL when equal */
    dnnl_memory_t    user[ROLES];     /* the caller's plain tensors (handles set per call) */
    dnnl_memory_t    inner[ROLES];    /* what conv reads and writes: user[r] or a buffer */
    dnnl_memory_t    scratchpad;
    dnnl_memory_t    bias_mem;        /* (cout), the caller's; NULL without bias */
    size_t           offset[ROLES];   /* of inner[r]'s buffer in the workspace */
    size_t           scratch_offset;
    size_t           ws_bytes;        /* reorder buffers and scratchpad */
} dnnl_entry;

struct gl_dnnl {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    uint64_t      clock;
    int           n;
    dnnl_entry    e[GL_DNNL_CACHE];
};

static void entry_free(dnnl_entry *e)
{
    for (int r = 0; r < ROLES; r++) {
        if (e->inner[r] != e->user[r])
            dnnl_memory_destroy(e->inner[r]);
        dnnl_memory_destroy(e->user[r]);
        dnnl_primitive_destroy(e->reorder[r]);
    }
    dnnl_memory_destroy(e->scratchpad);
    dnnl_memory_destroy(e->bias_mem);
    dnnl_primitive_destroy(e->conv);
    memset(e, 0, sizeof *e);
}

void gl_cpu_dnnl_release(gl_cpu_state *st)
{
    struct gl_dnnl *g = st->dnnl;
    if (!g)
        return;
    for (int i = 0; i < g->n; i++)
        entry_free(&g->e[i]);
    dnnl_stream_destroy(g->stream);
    dnnl_engine_destroy(g->engine);
    free(g);
    st->dnnl = NULL;
}

int gl_cpu_dnnl_cached(const gl_cpu_state *st)
{
    return st->dnnl ? st->dnnl->n : 0;
}

static struct gl_dnnl *dnnl_open(gl_cpu_state *st)
{
    if (st->dnnl)
        return st->dnnl;
    struct gl_dnnl *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (dnnl_engine_create(&g->engine, dnnl_cpu, 0) != dnnl_success) {
        free(g);
        return NULL;
    }
    if (dnnl_stream_create(&g->stream, g->engine, dnnl_stream_default_flags) != dnnl_success) {
        dnnl_engine_destroy(g->engine);
        free(g);
        return NULL;
    }
    return st->dnnl = g;
}

/* ---- making a primitive ---- */

/* oneDNN's right (bottom) padding for an axis: it requires
 * (in + pl + pr - extent) / s + 1 == out and pr > -s, so any pr in
 * [lo, lo + s - 1] gives out; the closest to 0. When rows past the last
 * window are left over (conv_transpose2d's output_padding, truncated
 * outputs) lo is negative, and below -s + 1 oneDNN refuses the shape. */
static int64_t pad_right(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t dil)
{
    const int64_t lo = (out - 1) * s + (k - 1) * dil + 1 - in - p;
    return lo >= 0 ? lo : lo + s - 1 < 0 ? lo + s - 1 : 0;
}

#define TRY(expr)                         \
    do {                                  \
        if ((expr) != dnnl_success)       \
            goto fail;                    \
    } while (0)

/* Fill e (its key set) with the primitive and memory objects; false if
 * oneDNN refuses (e then holds nothing to free). */
static bool entry_make(struct gl_dnnl *g, dnnl_entry *e)
{
    const genlab_conv_desc *d = &e->d;
    const struct pass_roles *pr = &pass_roles[e->pass];
    const int64_t grp = d->groups;
    dnnl_memory_desc_t user_md[ROLES], conv_md[ROLES];
    const dnnl_dims_t x_dims = {d->n, d->cin, d->h, d->w}, y_dims = {d->n, d->cout, d->ho, d->wo};
    const dnnl_dims_t w_dims = {d->cout, d->cin, d->kh, d->kw};
    const dnnl_dims_t gw_dims = {grp, d->cout / grp, d->cin / grp, d->kh, d->kw};
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t fwd_pd = NULL, pd = NULL;
    dnnl_convolution_desc_t cd;
    dnnl_memory_desc_t bias_md;
    const dnnl_dims_t b_dims = {d->cout};

    TRY(dnnl_memory_desc_init_by_tag(&user_md[ROLE_X], 4, x_dims, dnnl_f32, dnnl_nchw));
    TRY(dnnl_memory_desc_init_by_tag(&user_md[ROLE_Y], 4, y_dims, dnnl_f32, dnnl_nchw));
    /* genlab's (cout, cin/g, kh, kw) is goihw's memory order */
    TRY(grp > 1 ? dnnl_memory_desc_init_by_tag(&user_md[ROLE_W], 5, gw_dims, dnnl_f32, dnnl_goihw)
                : dnnl_memory_desc_init_by_tag(&user_md[ROLE_W], 4, w_dims, dnnl_f32, dnnl_oihw));
    for (int r = 0; r < ROLES; r++) {
        conv_md[r] = user_md[r];
        if (e->blocked)
            TRY(dnnl_memory_desc_init_by_tag(&conv_md[r], user_md[r].ndims, user_md[r].dims,
                                             dnnl_f32, dnnl_format_tag_any));
    }
    const dnnl_dims_t strides = {d->sh, d->sw}, dilates = {d->dh - 1, d->dw - 1};
    const dnnl_dims_t pad_l = {d->ph, d->pw};
    const dnnl_dims_t pad_r = {pad_right(d->h, d->ho, d->kh, d->sh, d->ph, d->dh),
                               pad_right(d->w, d->wo, d->kw, d->sw, d->pw, d->dw)};

    TRY(dnnl_primitive_attr_create(&attr));
    TRY(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    /* backward primitives need the forward one as a hint (its layouts) */
    if (e->bias) {
        TRY(dnnl_memory_desc_init_by_tag(&bias_md, 1, b_dims, dnnl_f32, dnnl_a));
        TRY(dnnl_memory_create(&e->bias_mem, &bias_md, g->engine, DNNL_MEMORY_NONE));
    }
    TRY(dnnl_dilated_convolution_forward_desc_init(
        &cd, dnnl_forward_training, dnnl_convolution_direct, &conv_md[ROLE_X], &conv_md[ROLE_W],
        e->bias ? &bias_md : NULL, &conv_md[ROLE_Y], strides, dilates, pad_l, pad_r));
    TRY(dnnl_primitive_desc_create(&fwd_pd, &cd, attr, g->engine, NULL));
    if (e->pass == GL_CONV_FORWARD) {
        pd = fwd_pd;
        fwd_pd = NULL;
    } else {
        if (e->pass == GL_CONV_BACKWARD_DATA)
            TRY(dnnl_dilated_convolution_backward_data_desc_init(
                &cd, dnnl_convolution_direct, &conv_md[ROLE_X], &conv_md[ROLE_W],
                &conv_md[ROLE_Y], strides, dilates, pad_l, pad_r));
        else
            TRY(dnnl_dilated_convolution_backward_weights_desc_init(
                &cd, dnnl_convolution_direct, &conv_md[ROLE_X], &conv_md[ROLE_W], NULL,
                &conv_md[ROLE_Y], strides, dilates, pad_l, pad_r));
        TRY(dnnl_primitive_desc_create(&pd, &cd, attr, g->engine, fwd_pd));
    }
    TRY(dnnl_primitive_create(&e->conv, pd));

    size_t ws = 0;
    for (int r = 0; r < ROLES; r++) {
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, pr->query[r], 0);
        if (!md)
            goto fail;
        TRY(dnnl_memory_create(&e->user[r], &user_md[r], g->engine, DNNL_MEMORY_NONE));
        if (dnnl_memory_desc_equal(md, &user_md[r])) {
            e->inner[r] = e->user[r];
            continue;
        }
        TRY(dnnl_memory_create(&e->inner[r], md, g->engine, DNNL_MEMORY_NONE));
        e->offset[r] = ws;
        ws += (dnnl_memory_desc_get_size(md) + 63) / 64 * 64;
        dnnl_primitive_desc_t rpd = NULL;
        const bool out = r == pr->out;
        TRY(dnnl_reorder_primitive_desc_create(&rpd, out ? md : &user_md[r], g->engine,
                                               out ? &user_md[r] : md, g->engine, NULL));
        const dnnl_status_t made = dnnl_primitive_create(&e->reorder[r], rpd);
        dnnl_primitive_desc_destroy(rpd);
        TRY(made);
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (!smd)
        goto fail;
    TRY(dnnl_memory_create(&e->scratchpad, smd, g->engine, DNNL_MEMORY_NONE));
    e->scratch_offset = ws;
    e->ws_bytes = ws + dnnl_memory_desc_get_size(smd);
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(fwd_pd);
    dnnl_primitive_attr_destroy(attr);
    return true;

fail:
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_desc_destroy(fwd_pd);
    dnnl_primitive_attr_destroy(attr);
    const dnnl_entry key = {.pass = e->pass, .blocked = e->blocked, .bias = e->bias, .d = e->d};
    entry_free(e);
    *e = key;
    return false;
}

/* ---- running one ---- */

/* The entry for the key, made (or remade in the least recently used slot)
 * on a miss. */
static dnnl_entry *entry_get(struct gl_dnnl *g, gl_conv_pass pass, bool blocked, bool bias,
                             const genlab_conv_desc *d)
{
    dnnl_entry *e = NULL;
    for (int i = 0; i < g->n && !e; i++)
        if (g->e[i].pass == pass && g->e[i].blocked == blocked && g->e[i].bias == bias &&
            memcmp(&g->e[i].d, d, sizeof *d) == 0)
            e = &g->e[i];
    if (!e) {
        if (g->n < GL_DNNL_CACHE) {
            e = &g->e[g->n++];
        } else {
            e = &g->e[0];
            for (int i = 1; i < g->n; i++)
                if (g->e[i].used < e->used)
                    e = &g->e[i];
            entry_free(e);
        }
        *e = (dnnl_entry){.pass = pass, .blocked = blocked, .bias = bias, .d = *d};
        e->ok = entry_make(g, e);
    }
    e->used = ++g->clock;
    return e;
}

/* Run the reorders into the conv's layouts, the conv, and the reorder of the
 * result back. */
static bool entry_run(struct gl_dnnl *g, const dnnl_entry *e, const struct pass_roles *pr)
{
    for (int r = 0; r < ROLES; r++) {
        if (!e->reorder[r] || r == pr->out)
            continue;
        const dnnl_exec_arg_t in[2] = {{DNNL_ARG_FROM, e->user[r]}, {DNNL_ARG_TO, e->inner[r]}};
        if (dnnl_primitive_execute(e->reorder[r], g->stream, 2, in) != dnnl_success)
            return false;
    }
    const dnnl_exec_arg_t args[ROLES + 2] = {{pr->arg[ROLE_X], e->inner[ROLE_X]},
                                             {pr->arg[ROLE_W], e->inner[ROLE_W]},
                                             {pr->arg[ROLE_Y], e->inner[ROLE_Y]},
                                             {DNNL_ARG_SCRATCHPAD, e->scratchpad},
                                             {DNNL_ARG_BIAS, e->bias_mem}};
    if (dnnl_primitive_execute(e->conv, g->stream, e->bias ? ROLES + 2 : ROLES + 1, args) !=
        dnnl_success)
        return false;
    if (e->reorder[pr->out]) {
        const dnnl_exec_arg_t back[2] = {{DNNL_ARG_FROM, e->inner[pr->out]},
                                         {DNNL_ARG_TO, e->user[pr->out]}};
        if (dnnl_primitive_execute(e->reorder[pr->out], g->stream, 2, back) != dnnl_success)
            return false;
    }
    return dnnl_stream_wait(g->stream) == dnnl_success;
}

bool gl_cpu_dnnl_conv(gl_cpu_state *st, gl_conv_pass pass, bool blocked,
                      const genlab_conv_desc *d, const float *a, const float *b,
                      const float *bias, float *out)
{
    struct gl_dnnl *g = dnnl_open(st);
    if (!g)
        return false;
#ifdef _OPENMP
    /* oneDNN sizes its parallel regions, and splits work when it makes a
     * primitive, by this thread's nthreads ICV */
    const int saved_threads = omp_get_max_threads();
    omp_set_num_threads(st->threads);
#endif
    const struct pass_roles *pr = &pass_roles[pass];
    const dnnl_entry *e = entry_get(g, pass, blocked, bias != NULL, d);
    const size_t cap = st->conv_ws_max ? st->conv_ws_max : GL_DNNL_WS_DEFAULT;
    char *ws = e->ok && e->ws_bytes <= cap
                   ? (char *)gl_cpu_scratch(st, e->ws_bytes ? e->ws_bytes : sizeof(float))
                   : NULL;
    bool done = false;
    if (ws) {
        void *role_ptr[ROLES];
        role_ptr[pr->a] = (void *)a;   /* only read: oneDNN's handles are not const */
        role_ptr[pr->b] = (void *)b;
        role_ptr[pr->out] = out;
        done = dnnl_memory_set_data_handle(e->scratchpad, ws + e->scratch_offset) == dnnl_success;
        if (done && bias)
            done = dnnl_memory_set_data_handle(e->bias_mem, (void *)bias) == dnnl_success;
        for (int r = 0; r < ROLES && done; r++) {
            done = dnnl_memory_set_data_handle(e->user[r], role_ptr[r]) == dnnl_success;
            if (done && e->inner[r] != e->user[r])
                done = dnnl_memory_set_data_handle(e->inner[r], ws + e->offset[r]) ==
                       dnnl_success;
        }
        done = done && entry_run(g, e, pr);
    }
#ifdef _OPENMP
    omp_set_num_threads(saved_threads);
#endif
    return done;
}
