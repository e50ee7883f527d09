/* SPDX-License-Identifier: MIT
 *
 * arena.c — the step arena: a bump allocator over a list of chunks.
 *
 * Every temporary of a training step (op results, tape nodes) is carved from
 * here and the whole arena is reset in O(1) at the start of the next step.
 * When a step needs more than the current chunks hold, a new chunk is added;
 * at the next reset all chunks are merged into one large enough for the
 * peak, so a steady-state loop performs no allocation at all.
 *
 * A rewind to an earlier position (a scope inside a step) empties the
 * chunks made since then and keeps them as spares: the next sub-step fills
 * them again instead of allocating.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define GL_ALIGN 64

struct gl_chunk {
    gl_chunk *next;
    void     *mem;     /* GL_ALIGN-aligned block */
    size_t    size;
    size_t    used;
};

static void *chunk_mem_alloc(gl_arena *a, size_t bytes)
{
    if (a->be)
        return a->be->alloc(a->be_state, bytes);
    void *p = NULL;
    return posix_memalign(&p, GL_ALIGN, bytes) == 0 ? p : NULL;
}

static void chunk_mem_free(gl_arena *a, void *p)
{
    if (a->be)
        a->be->free(a->be_state, p);
    else
        free(p);
}

static gl_chunk *chunk_new(gl_arena *a, size_t size)
{
    gl_chunk *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    c->mem = chunk_mem_alloc(a, size);
    if (!c->mem) {
        free(c);
        return NULL;
    }
    c->size = size;
    c->used = 0;
    c->next = NULL;
    return c;
}

void gl_arena_init(gl_arena *a, size_t first, const genlab_backend_i *be, void *be_state)
{
    memset(a, 0, sizeof *a);
    a->first = first;
    a->be = be;
    a->be_state = be_state;
}

/* a spare chunk that holds need bytes, unlinked from the spare list */
static gl_chunk *spare_take(gl_arena *a, size_t need)
{
    for (gl_chunk **it = &a->spare; *it; it = &(*it)->next) {
        gl_chunk *c = *it;
        if (c->size >= need) {
            *it = c->next;
            return c;
        }
    }
    return NULL;
}

void *gl_arena_alloc(gl_arena *a, size_t bytes)
{
    size_t need = (bytes + GL_ALIGN - 1) & ~(size_t)(GL_ALIGN - 1);
    if (need == 0)
        need = GL_ALIGN;
    gl_chunk *c = a->chunks;
    if (!c || c->size - c->used < need) {
        gl_chunk *n = spare_take(a, need);
        if (!n) {
            size_t size = a->first;
            if (c && c->size > size)
                size = c->size;    /* grow geometrically-ish: at least the last chunk */
            if (size < need)
                size = need;
            if (!(n = chunk_new(a, size)))
                return NULL;
        }
        n->next = c;
        a->chunks = c = n;
    }
    void *p = (unsigned char *)c->mem + c->used;
    c->used += need;
    a->used += need;
    if (a->used > a->peak)
        a->peak = a->used;
    return p;
}

genlab_arena_pos gl_arena_pos(const gl_arena *a)
{
    return (genlab_arena_pos){a->chunks, a->chunks ? a->chunks->used : 0, a->used};
}

void gl_arena_rewind(gl_arena *a, genlab_arena_pos pos)
{
    while (a->chunks && a->chunks != pos.chunk) {
        gl_chunk *c = a->chunks;
        a->chunks = c->next;
        c->used = 0;
        c->next = a->spare;
        a->spare = c;
    }
    if (a->chunks)
        a->chunks->used = pos.chunk_used;
    a->used = pos.used;
}

static size_t chunks_free(gl_arena *a, gl_chunk *c)
{
    size_t total = 0;
    while (c) {
        gl_chunk *next = c->next;
        total += c->size;
        chunk_mem_free(a, c->mem);
        free(c);
        c = next;
    }
    return total;
}

void gl_arena_reset(gl_arena *a)
{
    gl_chunk *c = a->chunks;
    if ((c && c->next) || (a->spare && (c || a->spare->next))) {
        /* merge: one chunk as large as all of them together */
        size_t total = chunks_free(a, a->chunks) + chunks_free(a, a->spare);
        a->spare = NULL;
        a->chunks = chunk_new(a, total);   /* on failure the next alloc retries */
    } else if (c) {
        c->used = 0;
    } else if (a->spare) {
        a->chunks = a->spare;
        a->spare = NULL;
    }
    a->used = 0;
}

void gl_arena_release(gl_arena *a)
{
    chunks_free(a, a->chunks);
    chunks_free(a, a->spare);
    a->chunks = a->spare = NULL;
    a->used = 0;
}
