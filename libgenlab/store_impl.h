/* SPDX-License-Identifier: MIT
 *
 * store_impl.h — the experiment store's handle and the helpers its source
 * files share (store.c: open, errors, runs, metrics, scores, artifacts;
 * store_query.c: read-only queries and reports; store_merge.c: merge).
 * Not installed. Tests include it to reach the migration hook and the
 * sqlite3 handle (to provoke errors such as a full database).
 *
 * Sections: handle, errors and transactions, open hook for tests.
 */
#ifndef GENLAB_STORE_IMPL_H
#define GENLAB_STORE_IMPL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genlab/store.h"

/* ---- handle ---- */

/* One buffered metric point; its key lives in the handle's key pool. */
typedef struct gl_metric_row {
    int64_t run, step;
    double  value, wall;
    size_t  key_off;
} gl_metric_row;

/* Longest message kept: a long path plus the text around it. */
#define GL_STORE_MSG 6144

struct genlab_store {
    sqlite3 *db;          /* main connection (read-only when read_only) */
    sqlite3 *ro;          /* query connection: db when read_only, else opened on demand */
    char    *path;
    bool     read_only;
    int      busy_ms;
    int      stale;       /* runs marked interrupted by the open */

    /* metric buffer (see genlab_store_metric) */
    gl_metric_row *rows;
    size_t   n_rows, cap_rows;
    char    *keys;        /* NUL-terminated keys, back to back */
    size_t   keys_len, keys_cap;
    size_t   flush_rows;
    double   flush_seconds;
    size_t   attempt_rows;    /* n_rows at the last failed write */
    double   attempt_time;    /* monotonic seconds of the last write attempt */
    int64_t  known_run;       /* last run id seen to exist (0: none) */
    sqlite3_stmt *ins_metric;

    char denied[512];     /* what the query authorizer refused first */
    char msg[GL_STORE_MSG];
};

/* ---- errors and transactions ---- */

/* gl_store_fail — set "fn: "path": <fmt>" as the handle's message and return
 * status. */
genlab_status gl_store_fail(genlab_store *s, genlab_status status, const char *fn,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* gl_store_dberr — turn sqlite result rc on connection db into a status and a
 * message "fn: "path": what: <explanation> (<sqlite3_errmsg>)". The sqlite
 * message is copied at once; busy, read-only, full-disk, I/O and foreign-key
 * errors get a sentence saying what happened. what may be NULL. */
genlab_status gl_store_dberr(genlab_store *s, sqlite3 *db, int rc, const char *fn,
                             const char *what);

/* gl_store_exec — run constant SQL (no values) on the main connection;
 * what (may be NULL) says in a failure message what was being done. */
genlab_status gl_store_exec(genlab_store *s, const char *sql, const char *fn, const char *what);

/* gl_store_begin — BEGIN IMMEDIATE: take the write lock now (waiting up to the
 * busy timeout) so that a transaction never fails half-way on a lock. */
genlab_status gl_store_begin(genlab_store *s, const char *fn, const char *what);
genlab_status gl_store_commit(genlab_store *s, const char *fn, const char *what);
/* gl_store_rollback — roll back if a transaction is open; keeps the message. */
void gl_store_rollback(genlab_store *s);

/* gl_store_writable — GL_ERR_STATE with a message on a read-only handle. */
genlab_status gl_store_writable(genlab_store *s, const char *fn);

/* gl_store_ok — clear the message; returns GL_OK. */
genlab_status gl_store_ok(genlab_store *s);

/* gl_store_connect — sqlite3_open_v2(path, flags) with extended result codes
 * and the handle's busy timeout; a failure closes the connection. */
genlab_status gl_store_connect(genlab_store *s, int flags, sqlite3 **out, const char *fn);

/* gl_store_guard_connection — make db a query connection: an authorizer
 * that allows only reading (store_query.c), no ATTACH, defensive mode. */
genlab_status gl_store_guard_connection(genlab_store *s, sqlite3 *db);

/* ---- open hook for tests ---- */

/* A forward migration: SQL that upgrades version `version - 1` to `version`
 * and ends with "PRAGMA user_version = <version>;". */
typedef struct gl_store_migration {
    int         version;
    const char *name;
    const char *sql;
} gl_store_migration;

/* gl_store_open_with — genlab_store_open with a given migration list (the
 * library's own list otherwise): a store is created from schema.sql and then
 * migrated up to the last entry's version. */
genlab_status gl_store_open_with(const char *path, bool read_only,
                                 const gl_store_migration *migrations, size_t n_migrations,
                                 genlab_store **out);

#endif /* GENLAB_STORE_IMPL_H */
