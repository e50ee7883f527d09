/* SPDX-License-Identifier: MIT
 *
 * plugin_impl.h — what the plugin loader (plugin_loader.c) and the
 * configuration (config.c) share inside libgenlab, and the INI reader the
 * sweeps (sweep.c) share with the configuration. Not installed.
 *
 * Sections: growing buffers, parameter definitions and values, INI files.
 */
#ifndef GENLAB_PLUGIN_IMPL_H
#define GENLAB_PLUGIN_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genlab/config.h"
#include "genlab/plugin.h"
#include "genlab/registry.h"

/* ---- growing buffers (strbuf.c) ---- */

/* gl_grow — make the array *p (of *cap elements of elem bytes) hold at
 * least need elements, doubling. false when out of memory (*p unchanged). */
bool gl_grow(void **p, size_t *cap, size_t need, size_t elem);

/* A NUL-terminated string that grows as text is appended. Zero-initialise
 * it; s stays NULL until the first append. After an allocation failure
 * `oom` is set and further appends are ignored, so a message is built
 * without a check per line and tested once. */
typedef struct gl_buf {
    char  *s;
    size_t len, cap;
    bool   oom;
} gl_buf;

void gl_buf_printf(gl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gl_buf_vprintf(gl_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* gl_buf_str — the text so far ("" when nothing was appended). */
const char *gl_buf_str(const gl_buf *b);
void gl_buf_clear(gl_buf *b);   /* empty it, keep the memory */
void gl_buf_free(gl_buf *b);

/* ---- parameter definitions and values (config.c) ---- */

typedef union gl_value {
    int64_t i;
    double  f;
    bool    b;
} gl_value;

/* gl_name_ok — a component or parameter name: one segment of [a-z0-9_-]
 * starting with a letter. gl_scope_ok — dotted segments of the same. */
bool gl_name_ok(const char *name);
bool gl_scope_ok(const char *scope);

/* gl_param_parse — parse text as a value of d's type and check it against
 * d's range or choices (component names are checked by the caller, against
 * a registry). On failure, why (size n) says what is wrong without naming
 * the key ("expected a float", "out of range (allowed: >= 0)"). */
bool gl_param_parse(const genlab_param_def *d, const char *text, gl_value *v, char *why,
                    size_t n);

/* gl_param_def_check — a definition is usable: name syntax, known type,
 * help present, bounds parse and are ordered, choices present for enums,
 * the default (if any) parses and lies in range. why as above. */
bool gl_param_def_check(const genlab_param_def *d, char *why, size_t n);

/* gl_registry_missing — append to b why kind/name is not in reg:
 * 'no loss named "x" (known: a, b)'. Used by find and the configuration. */
/* gl_registry_note — a line about the choice of a backend (ctx.c): as a
 * warning through the registry's logger when logged, at most once per
 * registry (a run makes several contexts); else as the registry's message
 * (genlab_registry_errmsg), for the caller that reports the failure.
 * reg NULL: nothing. */
void gl_registry_note(genlab_registry *reg, bool logged, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void gl_registry_missing(const genlab_registry *reg, genlab_component_kind kind,
                         const char *name, gl_buf *b);

/* ---- INI files (config.c) ---- */

/* Called for each "key = value" line (section "" before any [section]);
 * false stops the reading (out of memory). */
typedef bool (*gl_ini_value_fn)(void *user, const char *section, const char *name,
                                const char *value, int lineno);
/* Called for each malformed line, what saying why without the file and
 * line ("malformed line \"x\" (expected ...)", "line longer than N
 * characters", "malformed line: empty key"); false stops the reading. */
typedef bool (*gl_ini_bad_fn)(void *user, int lineno, const char *what);

/* gl_ini_parse — read the INI file at path with libinih's syntax, reporting
 * every malformed line (inih alone reports only the first) with its number.
 * Returns GL_OK; GL_ERR_FORMAT when some line was malformed (the others
 * were still read); GL_ERR_IO when the file cannot be opened (errno says
 * why); GL_ERR_NOMEM when a callback returned false. */
genlab_status gl_ini_parse(const char *path, gl_ini_value_fn on_value, gl_ini_bad_fn on_bad,
                           void *user);

#endif /* GENLAB_PLUGIN_IMPL_H */
