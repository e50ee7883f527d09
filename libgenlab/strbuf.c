/* SPDX-License-Identifier: MIT
 *
 * strbuf.c — growing buffers: arrays (gl_grow) and the text buffer used to
 * build multi-line messages (loader failures, configuration problems).
 * Not a general string library.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "plugin_impl.h"

bool gl_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 8;
    while (cap2 < need)
        cap2 *= 2;
    void *q = realloc(*p, cap2 * elem);
    if (!q)
        return false;
    *p = q;
    *cap = cap2;
    return true;
}

void gl_buf_vprintf(gl_buf *b, const char *fmt, va_list ap)
{
    if (b->oom)
        return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_list aq;
        va_copy(aq, ap);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, aq);
        va_end(aq);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return;
        }
        if (!b->s)
            s[0] = '\0';
        b->s = s;
        b->cap = cap;
    }
}

void gl_buf_printf(gl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gl_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *gl_buf_str(const gl_buf *b) { return b->s ? b->s : ""; }

void gl_buf_clear(gl_buf *b)
{
    b->len = 0;
    b->oom = false;
    if (b->s)
        b->s[0] = '\0';
}

void gl_buf_free(gl_buf *b)
{
    free(b->s);
    *b = (gl_buf){0};
}
