/* SPDX-License-Identifier: MIT
 *
 * cuda_alloc.c — the CUDA backend's caching allocator of managed memory.
 *
 * Requests are rounded to a size class (512 bytes up to 1 MiB, then 2 MiB
 * steps); a freed block goes to a free list and serves the next request of a
 * class it covers without wasting more than half of itself. So the engine's
 * arena chunks, parameter blocks and workspaces are allocated once, in the
 * first steps, and a steady-state step never calls cudaMallocManaged.
 *
 * A managed allocation larger than the device's free memory would be
 * oversubscribed (paged between host and device, and on some systems the
 * card hangs): a request that does not fit releases the cache, and fails
 * (NULL: the engine reports out of memory) when it still does not fit.
 *
 * Not here: the conv workspace's policy (cuda_conv.c grows it through
 * gl_cuda_workspace).
 *
 * Sections: size classes, get and put (and prefetch), workspace, release.
 */
#include <stdlib.h>

#include "cuda_impl.h"

/* Memory left to the driver, cuDNN's own buffers and other processes. */
#define GL_CUDA_RESERVE ((size_t)512 << 20)

/* ---- size classes ---- */

static size_t size_class(size_t bytes)
{
    const size_t small = 512, big = (size_t)2 << 20;
    if (bytes == 0)
        bytes = 1;
    if (bytes <= ((size_t)1 << 20))
        return (bytes + small - 1) / small * small;
    return (bytes + big - 1) / big * big;
}

static bool push(gl_cuda_block **list, size_t *n, size_t *cap, gl_cuda_block b)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        gl_cuda_block *p = realloc(*list, c * sizeof *p);
        if (!p)
            return false;
        *list = p;
        *cap = c;
    }
    (*list)[(*n)++] = b;
    return true;
}

/* ---- get and put ---- */

/* release_cache — cudaFree every cached block (to make room) */
static void release_cache(gl_cuda *st)
{
    gl_cuda_alloc *a = &st->alloc;
    if (a->n_free)
        cudaStreamSynchronize(st->stream);   /* queued kernels may still use them */
    for (size_t i = 0; i < a->n_free; i++)
        cudaFree(a->free_list[i].ptr);
    a->n_free = 0;
    a->cached = 0;
}

static bool fits(size_t bytes)
{
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess)
        return false;
    return free_b > GL_CUDA_RESERVE && bytes <= free_b - GL_CUDA_RESERVE;
}

/* new_block — a fresh managed block, preferring the device and prefetched
 * there so that its first kernel does not fault page by page */
static void *new_block(gl_cuda *st, size_t bytes)
{
    if (!fits(bytes)) {
        release_cache(st);
        if (!fits(bytes))
            return NULL;
    }
    void *p = NULL;
    if (cudaMallocManaged(&p, bytes, cudaMemAttachGlobal) != cudaSuccess)
        return NULL;
#if CUDART_VERSION >= 13000
    struct cudaMemLocation dev = {.type = cudaMemLocationTypeDevice, .id = st->device};
    cudaMemAdvise(p, bytes, cudaMemAdviseSetPreferredLocation, dev);
#else
    cudaMemAdvise(p, bytes, cudaMemAdviseSetPreferredLocation, st->device);
#endif
    gl_cuda_prefetch(st, p, bytes);
    return p;
}

void gl_cuda_prefetch(gl_cuda *st, const void *ptr, size_t bytes)
{
#if CUDART_VERSION >= 13000
    struct cudaMemLocation dev = {.type = cudaMemLocationTypeDevice, .id = st->device};
    cudaError_t e = cudaMemPrefetchAsync(ptr, bytes, dev, 0, st->stream);
#else
    cudaError_t e = cudaMemPrefetchAsync(ptr, bytes, st->device, st->stream);
#endif
    /* only a hint: a failure (a device without concurrent managed access)
     * must not stay as the last error, which the next launch check reads */
    if (e != cudaSuccess)
        cudaGetLastError();
}

void *gl_cuda_alloc_get(gl_cuda *st, size_t bytes)
{
    gl_cuda_alloc *a = &st->alloc;
    const size_t want = size_class(bytes);
    /* the smallest cached block of at least want and at most twice it */
    size_t best = a->n_free;
    for (size_t i = 0; i < a->n_free; i++) {
        size_t b = a->free_list[i].bytes;
        if (b >= want && b <= 2 * want && (best == a->n_free || b < a->free_list[best].bytes))
            best = i;
    }
    gl_cuda_block blk;
    if (best < a->n_free) {
        blk = a->free_list[best];
        a->free_list[best] = a->free_list[--a->n_free];
        a->cached -= blk.bytes;
    } else {
        blk = (gl_cuda_block){new_block(st, want), want};
        if (!blk.ptr)
            return NULL;
    }
    if (!push(&a->live, &a->n_live, &a->cap_live, blk)) {
        push(&a->free_list, &a->n_free, &a->cap_free, blk);   /* back to the cache */
        a->cached += blk.bytes;
        return NULL;
    }
    a->in_use += blk.bytes;
    if (a->in_use + a->cached > a->peak)
        a->peak = a->in_use + a->cached;
    return blk.ptr;
}

void gl_cuda_alloc_put(gl_cuda *st, void *ptr)
{
    gl_cuda_alloc *a = &st->alloc;
    if (!ptr)
        return;
    for (size_t i = a->n_live; i-- > 0;) {   /* the newest first: arena chunks, temporaries */
        if (a->live[i].ptr != ptr)
            continue;
        gl_cuda_block blk = a->live[i];
        a->live[i] = a->live[--a->n_live];
        a->in_use -= blk.bytes;
        if (push(&a->free_list, &a->n_free, &a->cap_free, blk)) {
            a->cached += blk.bytes;
        } else {
            cudaStreamSynchronize(st->stream);
            cudaFree(blk.ptr);
        }
        return;
    }
}

/* ---- workspace ---- */

void *gl_cuda_workspace(gl_cuda *st, size_t bytes)
{
    if (bytes <= st->ws_bytes)
        return st->ws;
    gl_cuda_alloc_put(st, st->ws);
    st->ws = gl_cuda_alloc_get(st, bytes);
    st->ws_bytes = st->ws ? bytes : 0;
    return st->ws;
}

/* ---- release ---- */

void gl_cuda_alloc_release(gl_cuda *st)
{
    gl_cuda_alloc *a = &st->alloc;
    gl_cuda_alloc_put(st, st->ws);
    st->ws = NULL;
    st->ws_bytes = 0;
    release_cache(st);
    /* blocks the engine did not free (a leak in the caller) go too */
    for (size_t i = 0; i < a->n_live; i++)
        cudaFree(a->live[i].ptr);
    free(a->free_list);
    free(a->live);
    *a = (gl_cuda_alloc){0};
}
