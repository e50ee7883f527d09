/* SPDX-License-Identifier: MIT
 *
 * store_query.c — read-only SQL on the experiment store: the query
 * connection and its authorizer, statement execution with a row callback,
 * and named reports found on a search path.
 *
 * Read-only is enforced three times over: the connection is opened with
 * SQLITE_OPEN_READONLY, its authorizer allows only SELECT, column reads,
 * functions and recursive CTEs (so ATTACH, which would give a writable
 * database, and pragmas, which can change settings, are refused at prepare
 * time with a message naming the action), and a statement that
 * sqlite3_stmt_readonly says would write is not run. This file never writes.
 *
 * Sections: authorizer, query connection, execution, reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

#define GL_REPORT_MAX_BYTES (1 << 20)   /* a report is a query, not a data file */

/* ---- authorizer ---- */

/* the statement kind each refused authorizer action stands for */
static const char *action_name(int action)
{
    switch (action) {
    case SQLITE_CREATE_INDEX:       return "CREATE INDEX";
    case SQLITE_CREATE_TABLE:       return "CREATE TABLE";
    case SQLITE_CREATE_TEMP_INDEX:  return "CREATE TEMP INDEX";
    case SQLITE_CREATE_TEMP_TABLE:  return "CREATE TEMP TABLE";
    case SQLITE_CREATE_TEMP_TRIGGER: return "CREATE TEMP TRIGGER";
    case SQLITE_CREATE_TEMP_VIEW:   return "CREATE TEMP VIEW";
    case SQLITE_CREATE_TRIGGER:     return "CREATE TRIGGER";
    case SQLITE_CREATE_VIEW:        return "CREATE VIEW";
    case SQLITE_DELETE:             return "DELETE FROM";
    case SQLITE_DROP_INDEX:         return "DROP INDEX";
    case SQLITE_DROP_TABLE:         return "DROP TABLE";
    case SQLITE_DROP_TEMP_INDEX:    return "DROP TEMP INDEX";
    case SQLITE_DROP_TEMP_TABLE:    return "DROP TEMP TABLE";
    case SQLITE_DROP_TEMP_TRIGGER:  return "DROP TEMP TRIGGER";
    case SQLITE_DROP_TEMP_VIEW:     return "DROP TEMP VIEW";
    case SQLITE_DROP_TRIGGER:       return "DROP TRIGGER";
    case SQLITE_DROP_VIEW:          return "DROP VIEW";
    case SQLITE_INSERT:             return "INSERT INTO";
    case SQLITE_PRAGMA:             return "PRAGMA";
    case SQLITE_TRANSACTION:        return "transaction";
    case SQLITE_UPDATE:             return "UPDATE";
    case SQLITE_ATTACH:             return "ATTACH";
    case SQLITE_DETACH:             return "DETACH";
    case SQLITE_ALTER_TABLE:        return "ALTER TABLE";
    case SQLITE_REINDEX:            return "REINDEX";
    case SQLITE_ANALYZE:            return "ANALYZE";
    case SQLITE_CREATE_VTABLE:      return "CREATE VIRTUAL TABLE";
    case SQLITE_DROP_VTABLE:        return "DROP VIRTUAL TABLE";
    case SQLITE_SAVEPOINT:          return "SAVEPOINT";
    }
    return "statement";
}

/* authorize — allow reading only; remember the first refusal of a prepare
 * in s->denied, worded like SQL ("PRAGMA user_version = 5", "INSERT INTO
 * runs", "ATTACH 'x.db'"). Sqlite stops at the first refusal, which may be
 * an implied action (CREATE TABLE is refused as its INSERT INTO
 * sqlite_master): the message quotes the statement too. */
static int authorize(void *user, int action, const char *a, const char *b, const char *dbname,
                     const char *trigger)
{
    (void)dbname;
    (void)trigger;
    genlab_store *s = user;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    }
    if (s->denied[0])
        return SQLITE_DENY;
    const char *name = action_name(action);
    if (action == SQLITE_PRAGMA && b)
        snprintf(s->denied, sizeof s->denied, "PRAGMA %s = %s", a, b);
    else if (action == SQLITE_UPDATE && b)
        snprintf(s->denied, sizeof s->denied, "UPDATE %s (column %s)", a, b);
    else if (action == SQLITE_ATTACH)
        snprintf(s->denied, sizeof s->denied, "ATTACH '%s'", a ? a : "");
    else if (action == SQLITE_ALTER_TABLE)
        snprintf(s->denied, sizeof s->denied, "ALTER TABLE %s", b ? b : "");
    else if (a && a[0])
        snprintf(s->denied, sizeof s->denied, "%s %s", name, a);
    else
        snprintf(s->denied, sizeof s->denied, "%s", name);
    return SQLITE_DENY;
}

genlab_status gl_store_guard_connection(genlab_store *s, sqlite3 *db)
{
    int rc = sqlite3_set_authorizer(db, authorize, s);
    if (rc == SQLITE_OK)
        rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    if (rc != SQLITE_OK)
        return gl_store_dberr(s, db, rc, "genlab_store_query", "guarding the query connection");
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    return GL_OK;
}

/* ---- query connection ---- */

/* query_connection — the handle's own connection when it was opened
 * read-only, else a second, read-only one opened on first use. */
static genlab_status query_connection(genlab_store *s, const char *fn, sqlite3 **out)
{
    if (!s->ro) {
        sqlite3 *db;
        genlab_status st = gl_store_connect(s, SQLITE_OPEN_READONLY, &db, fn);
        if (st == GL_OK && (st = gl_store_guard_connection(s, db)) != GL_OK)
            sqlite3_close(db);
        if (st != GL_OK)
            return st;
        s->ro = db;
    }
    *out = s->ro;
    return GL_OK;
}

/* ---- execution ---- */

/* run_statement — step q to its end, handing each row to row. */
static genlab_status run_statement(genlab_store *s, sqlite3 *db, sqlite3_stmt *q,
                                   genlab_store_row_fn row, void *user, const char *fn,
                                   const char *where)
{
    int n = sqlite3_column_count(q);
    const char **names = n ? malloc((size_t)n * sizeof *names) : NULL;
    const char **vals = n ? malloc((size_t)n * sizeof *vals) : NULL;
    if (n && (!names || !vals)) {
        free(names);
        free(vals);
        return gl_store_fail(s, GL_ERR_NOMEM, fn, "out of memory for %d columns", n);
    }
    for (int i = 0; i < n; i++)
        names[i] = sqlite3_column_name(q, i);
    genlab_status st = GL_OK;
    int rc = SQLITE_OK;
    while (st == GL_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            vals[i] = (const char *)sqlite3_column_text(q, i);
            if (!vals[i] && sqlite3_column_type(q, i) != SQLITE_NULL)
                st = gl_store_fail(s, GL_ERR_NOMEM, fn, "out of memory reading a row");
        }
        if (st == GL_OK && row && row(user, n, names, vals) != 0)
            st = gl_store_fail(s, GL_ERR_INTERRUPTED, fn, "query stopped by the row callback");
    }
    if (st == GL_OK && rc != SQLITE_DONE)
        st = gl_store_dberr(s, db, rc, fn, where);
    free(names);
    free(vals);
    return st;
}

/* run_sql — every statement of sql, in order, on the query connection.
 * origin names the report file in messages (NULL for a query). */
static genlab_status run_sql(genlab_store *s, const char *fn, const char *origin,
                             const char *sql, genlab_store_row_fn row, void *user)
{
    sqlite3 *db;
    genlab_status st = query_connection(s, fn, &db);
    if (st != GL_OK)
        return st;
    char where[600] = "";
    if (origin)
        snprintf(where, sizeof where, "in report file \"%.500s\"", origin);
    const char *in = origin ? " " : "", *at = origin ? where : "";
    const char *tail = sql;
    while (st == GL_OK && *tail) {
        sqlite3_stmt *q = NULL;
        s->denied[0] = '\0';
        while (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r')
            tail++;
        const char *start = tail;
        int rc = sqlite3_prepare_v2(db, tail, -1, &q, &tail);
        if (rc != SQLITE_OK && s->denied[0])
            return gl_store_fail(s, GL_ERR_DB, fn,
                                 "refused%s%s: \"%.*s\" needs %s, which is not allowed; queries "
                                 "are read-only (only SELECT statements run)", in, at,
                                 (int)strcspn(start, ";"), start, s->denied);
        if (rc != SQLITE_OK)
            return gl_store_dberr(s, db, rc, fn, origin ? where : NULL);
        if (!q)
            continue;   /* only white space or a comment was left */
        if (!sqlite3_stmt_readonly(q))
            st = gl_store_fail(s, GL_ERR_DB, fn,
                               "refused%s%s: \"%.200s\" would change the database; queries are "
                               "read-only (only SELECT statements run)", in, at, sqlite3_sql(q));
        else
            st = run_statement(s, db, q, row, user, fn, origin ? where : NULL);
        sqlite3_finalize(q);
    }
    return st == GL_OK ? gl_store_ok(s) : st;
}

genlab_status genlab_store_query(genlab_store *s, const char *sql, genlab_store_row_fn row,
                                 void *user)
{
    if (!s)
        return GL_ERR_INVALID;
    if (!sql)
        return gl_store_fail(s, GL_ERR_INVALID, __func__, "sql is NULL");
    return run_sql(s, __func__, NULL, sql, row, user);
}

/* ---- reports ---- */

const char *genlab_store_report_dir(void) { return GENLAB_DATADIR "/reports"; }

/* a report name is a file name stem: it cannot climb out of its directory */
static bool report_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* read_report — the whole file at path into *out (malloc'd, NUL-terminated).
 * Returns GL_OK, GL_ERR_IO with a message (errno ENOENT left in *missing). */
static genlab_status read_report(genlab_store *s, const char *fn, const char *path, char **out,
                                 bool *missing)
{
    *out = NULL;
    *missing = false;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *missing = errno == ENOENT;
        return gl_store_fail(s, GL_ERR_IO, fn, "cannot read report file \"%s\": %s", path,
                             strerror(errno));
    }
    char *text = malloc(GL_REPORT_MAX_BYTES + 1);
    if (!text) {
        fclose(f);
        return gl_store_fail(s, GL_ERR_NOMEM, fn, "out of memory reading \"%s\"", path);
    }
    size_t n = fread(text, 1, GL_REPORT_MAX_BYTES + 1, f);
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err || n > GL_REPORT_MAX_BYTES) {
        free(text);
        return gl_store_fail(s, GL_ERR_IO, fn, "report file \"%s\": %s", path,
                             err ? strerror(err) : "larger than 1 MiB");
    }
    text[n] = '\0';
    *out = text;
    return GL_OK;
}

genlab_status genlab_store_report(genlab_store *s, const char *name, const char *const *dirs,
                                  genlab_store_row_fn row, void *user)
{
    static const char fn[] = "genlab_store_report";
    if (!s)
        return GL_ERR_INVALID;
    if (!name || !report_name_ok(name))
        return gl_store_fail(s, GL_ERR_INVALID, fn,
                             "report name \"%.80s\" must be 1-64 letters, digits, '_' or '-'",
                             name ? name : "(null)");
    char searched[2048] = "";
    size_t used = 0;
    for (size_t i = 0;; i++) {
        const char *dir = dirs && dirs[i] ? dirs[i] : NULL;
        bool last = !dir;
        if (last)
            dir = genlab_store_report_dir();
        char path[4096 + 80];
        snprintf(path, sizeof path, "%s/%s.sql", dir, name);
        char *text;
        bool missing;
        genlab_status st = read_report(s, fn, path, &text, &missing);
        if (st == GL_OK) {
            st = run_sql(s, fn, path, text, row, user);
            free(text);
            return st;
        }
        if (!missing)
            return st;
        int w = snprintf(searched + used, sizeof searched - used, "%s%s", used ? ", " : "", dir);
        if (w > 0 && used + (size_t)w < sizeof searched)
            used += (size_t)w;
        if (last)
            break;
    }
    return gl_store_fail(s, GL_ERR_IO, fn, "no report \"%s\" (looked for %s.sql in: %s)", name,
                         name, searched);
}
