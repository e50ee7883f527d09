/* SPDX-License-Identifier: MIT
 *
 * store.h — the experiment store: runs, parameters, training curves, scores
 * and artifacts in one SQLite database (schema: db/schema.sql).
 *
 * A store is a handle on one database file. Opened read-write it records
 * runs; opened read-only it only answers queries (SELECT statements, checked
 * by an authorizer) and reports. It is not an ORM: analysis is SQL, and the
 * reports in db/reports/ are plain SQL files.
 *
 * Error model (as sqlite's): every function returns a genlab_status, and a
 * failure leaves a message on the handle, retrievable with
 * genlab_store_errmsg() until the next call on that handle. Messages name the
 * function and the database path. The library never prints or exits.
 * Multi-row writes are single transactions: a failure leaves no half-written
 * state. Every SQL value is a bound parameter.
 *
 * Concurrency: any number of processes may write one database (WAL mode;
 * a writer waits up to the busy timeout, 10 s by default, for another's
 * transaction). One handle is used by one thread at a time. A handle must not
 * be used across fork(): the child opens its own.
 *
 * Signals: this API is not async-signal-safe. A signal handler only sets a
 * flag; the training loop, seeing it, calls genlab_store_run_mark_interrupted
 * (which flushes buffered metrics first) and returns.
 *
 * Sections: handle, runs, metrics, scores and artifacts, queries and reports,
 * merge.
 */
#ifndef GENLAB_STORE_H
#define GENLAB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- handle ---- */

typedef struct genlab_store genlab_store;

/* GENLAB_STORE_SCHEMA_VERSION — the schema version (PRAGMA user_version)
 * this library writes. Older stores are migrated on a read-write open; newer
 * ones are refused. */
#define GENLAB_STORE_SCHEMA_VERSION 3

/* genlab_store_open — open (read-write: create if missing) a store.
 * path:      database file (not ":memory:": a store needs WAL, hence a file).
 * read_only: true: open with SQLITE_OPEN_READONLY for queries and reports
 *            only (no migration, no stale-run check; writes return
 *            GL_ERR_STATE). false: create the file if needed, switch it to
 *            WAL, create the schema or migrate an older one (one transaction)
 *            and mark stale runs interrupted (see genlab_store_stale_runs).
 * out:       OUT: the handle. Like sqlite3_open, a handle is returned even
 *            when the open fails (except GL_ERR_NOMEM and a NULL argument,
 *            where *out is NULL) so that genlab_store_errmsg() can explain;
 *            always release it with genlab_store_close.
 * Returns GL_OK; GL_ERR_INVALID (NULL path or out); GL_ERR_NOMEM; GL_ERR_IO
 * (cannot open or create the file, disk full); GL_ERR_FORMAT (not a
 * database, or not a genlab store); GL_ERR_DB (schema newer than this
 * genlab, an older schema opened read-only, a read-only file opened
 * read-write, locked past the busy timeout, a failed migration). */
genlab_status genlab_store_open(const char *path, bool read_only, genlab_store **out);

/* genlab_store_close — flush buffered metrics, then close. NULL is a no-op.
 * Returns the flush's status (the handle is freed whatever it is): GL_OK, or
 * the reason buffered rows were lost. Leaves running runs as they are. */
genlab_status genlab_store_close(genlab_store *store);

/* genlab_store_errmsg — the message of the last failed call on store, ""
 * after a success. Owned by the handle; valid until its next call. A NULL
 * store gives a static message. Thread-safety: as the handle. */
const char *genlab_store_errmsg(const genlab_store *store);

/* genlab_store_path — the path the store was opened with (owned by it). */
const char *genlab_store_path(const genlab_store *store);

/* genlab_store_set_busy_timeout — how long a write waits for another
 * process's transaction before failing with GL_ERR_DB ("database is locked").
 * ms: milliseconds, >= 0 (the default is 10000). */
genlab_status genlab_store_set_busy_timeout(genlab_store *store, int ms);

/* genlab_store_stale_runs — how many runs the read-write open marked
 * 'interrupted' because they were left 'running' by a process that no longer
 * exists on this host (same host name, kill(pid, 0) gives ESRCH). Runs of
 * other hosts are never touched: their processes cannot be checked. */
int genlab_store_stale_runs(const genlab_store *store);

/* ---- runs ---- */

/* Final states of a run (stored as text in runs.status). */
typedef enum genlab_run_status {
    GL_RUN_COMPLETED   = 1,
    GL_RUN_FAILED      = 2,
    GL_RUN_INTERRUPTED = 3
} genlab_run_status;

/* What run_begin records. Zero-initialise, then set; every string may be
 * NULL (stored as NULL) except trainer. JSON strings must be valid JSON. */
typedef struct genlab_run_info {
    const char *name;             /* user label */
    const char *trainer;          /* required: trainer component name */
    int64_t     seed;             /* a uint64_t seed may be cast; its bits are kept */
    bool        has_seed;         /* false: seed stored as NULL */
    const char *command_line;     /* the command as typed (for re-running) */
    const char *config_json;      /* the resolved configuration, JSON */
    const char *plugin_versions_json;  /* the modules used, with their versions:
                                          the run loop stores genlab_registry_json's
                                          [{"name": ..., "version": ...}, ...] */
    const char *dataset_hash;
    const char *parent_uuid;      /* resumed run: the uuid of the run it continues
                                     (it may be in another database) */
    const char *sweep;            /* the sweep that launched the run, or NULL */
    const char *sweep_point;      /* its grid point in the sweep: a JSON object,
                                     NULL outside sweeps */
} genlab_run_info;

/* genlab_store_run_begin — insert a run with status 'running', the current
 * UTC time, this host's name and pid, and the library version.
 * out_id:   OUT (may be NULL): the run's id in this database.
 * out_uuid: OUT (may be NULL): its uuid (version 4, from getrandom), 36
 *           characters plus the terminating NUL.
 * Returns GL_OK, GL_ERR_INVALID (no trainer, malformed parent_uuid),
 * GL_ERR_STATE (read-only store), GL_ERR_IO (no random bytes for the uuid),
 * GL_ERR_DB (invalid JSON, locked, ...). */
genlab_status genlab_store_run_begin(genlab_store *store, const genlab_run_info *info,
                                     int64_t *out_id, char out_uuid[37]);

/* One resolved parameter. */
typedef struct genlab_param_row {
    const char *key;      /* e.g. "optim.lr" */
    const char *value;    /* its value as text, stored verbatim */
    const char *type;     /* e.g. "float" */
} genlab_param_row;

/* genlab_store_run_params — record n parameters of run_id in one transaction
 * (all or none). A key already recorded for the run is an error (GL_ERR_DB,
 * naming the key). */
genlab_status genlab_store_run_params(genlab_store *store, int64_t run_id,
                                      const genlab_param_row *rows, size_t n);

/* genlab_store_run_end — flush buffered metrics, then set the run's final
 * status, end time and (for failures) error code and message.
 * code:    the genlab_status that ended a failed run, GL_OK otherwise.
 * message: error text or NULL.
 * Returns GL_ERR_STATE if the run is not 'running' (already ended, or marked
 * stale by another process), GL_ERR_INVALID for an unknown run. */
genlab_status genlab_store_run_end(genlab_store *store, int64_t run_id, genlab_run_status status,
                                   genlab_status code, const char *message);

/* genlab_store_run_mark_interrupted — run_end(GL_RUN_INTERRUPTED,
 * GL_ERR_INTERRUPTED, reason). For the CLI, from normal context, after its
 * signal handler set a flag. reason may be NULL ("interrupted"). */
genlab_status genlab_store_run_mark_interrupted(genlab_store *store, int64_t run_id,
                                                const char *reason);

/* ---- metrics ---- */

/* genlab_store_metric — buffer one training-curve point (run, step, key,
 * value, and the current Unix time). The buffer is written in one
 * transaction when it holds flush_rows rows or flush_seconds have passed
 * since the last write (checked here, so a write happens inside this call),
 * and by flush, run_end and close. Cost: a copy of the key and two clock
 * reads (bench/bench_store measures it). A NaN value is stored as NULL.
 * On a failed write the rows stay buffered and the next attempt waits for
 * another flush_rows rows or flush_seconds. */
genlab_status genlab_store_metric(genlab_store *store, int64_t run_id, int64_t step,
                                  const char *key, double value);

/* genlab_store_flush — write the buffered metrics now (one transaction). */
genlab_status genlab_store_flush(genlab_store *store);

/* genlab_store_set_metric_flush — the write thresholds of the metric buffer.
 * rows: >= 1 (default 1000); seconds: >= 0 (default 5; 0: every call). */
genlab_status genlab_store_set_metric_flush(genlab_store *store, size_t rows, double seconds);

/* ---- scores and artifacts ---- */

/* One evaluation result and its protocol. Zero-initialise, then set;
 * strings may be NULL except metric. Members are appended only. */
typedef struct genlab_score_row {
    int64_t     step;
    const char *metric;             /* "fid", "is", "classifier_fid", ... */
    double      value;              /* the score (a mean over splits or subsets) */
    bool        higher_is_better;   /* false for FID/KID, true for IS/precision */
    int64_t     n_samples;          /* generated images it is computed from */
    const char *feature_extractor;  /* e.g. "inception-v3-fid" */
    const char *extractor_sha256;   /* its weights' hash */
    const char *ref_stats_id;       /* reference statistics identifier */
    const char *resize;             /* resize rule */
    const char *ref_split;          /* reference dataset split */
    int64_t     n_splits;           /* splits (IS) or subsets (KID); 0: NULL */
    int64_t     seed;               /* sampling seed */
    const char *protocol_json;      /* the full protocol, JSON */
    /* schema version 2 */
    bool        has_std;            /* false: std is stored as NULL */
    double      std;                /* spread over splits or subsets (IS, KID) */
    int64_t     n_real;             /* real images the score used; 0: NULL (none, or a
                                     * reference .npz that does not say) */
    const char *ref_stats_sha256;   /* the reference statistics file's SHA-256 */
    const char *genlab_version;     /* the genlab that measured it; NULL: this
                                     * library's genlab_version() */
} genlab_score_row;

/* genlab_store_score_add — insert one score of run_id. out_id may be NULL. */
genlab_status genlab_store_score_add(genlab_store *store, int64_t run_id,
                                     const genlab_score_row *score, int64_t *out_id);

/* genlab_store_scores_add — insert n scores of run_id in one transaction:
 * all or none (an evaluation's scores are recorded together). A score
 * without metric is GL_ERR_INVALID (nothing written); else as
 * genlab_store_score_add. */
genlab_status genlab_store_scores_add(genlab_store *store, int64_t run_id,
                                      const genlab_score_row *scores, size_t n);

/* genlab_store_artifact_add — hash the file at path (SHA-256, nettle) and
 * record it as an artifact of run_id.
 * kind:       "checkpoint", "grid", "stats", ...
 * out_id:     OUT (may be NULL): the artifact's id.
 * out_sha256: OUT (may be NULL): the digest, 64 lowercase hex digits + NUL.
 * Returns GL_ERR_IO (naming the file) when it cannot be read. */
genlab_status genlab_store_artifact_add(genlab_store *store, int64_t run_id, const char *kind,
                                        const char *path, int64_t *out_id, char out_sha256[65]);

/* ---- queries and reports ---- */

/* A row of a query. names and values have ncol entries; a value is NULL for
 * SQL NULL, else the column as text. Both arrays are valid only during the
 * call. Return 0 to continue, non-zero to stop the query. */
typedef int (*genlab_store_row_fn)(void *user, int ncol, const char *const *names,
                                   const char *const *values);

/* genlab_store_query — run read-only SQL (one or more statements separated by
 * ';') and call row for every result row. The SQL runs on a connection opened
 * with SQLITE_OPEN_READONLY (the handle's own when opened read-only, a second
 * one otherwise: buffered metrics are not visible until flushed) whose
 * authorizer allows only SELECT, reads, functions and recursive CTEs: INSERT,
 * UPDATE, DELETE, ATTACH, CREATE, DROP, transactions and pragmas fail with
 * GL_ERR_DB and a message saying which action was refused.
 * row: may be NULL (statements are run, rows dropped).
 * Returns GL_ERR_INTERRUPTED when row returned non-zero. */
genlab_status genlab_store_query(genlab_store *store, const char *sql, genlab_store_row_fn row,
                                 void *user);

/* genlab_store_report — run the report NAME: the file NAME.sql from the first
 * directory of dirs that has it, else from the installed reports
 * ($(pkgdatadir)/reports), through genlab_store_query.
 * name: letters, digits, '_' and '-' only (no paths).
 * dirs: NULL-terminated list searched first (the user's directory), or NULL.
 * Returns GL_ERR_INVALID for a bad name, GL_ERR_IO when no directory has it
 * (the message lists those searched), else as genlab_store_query. */
genlab_status genlab_store_report(genlab_store *store, const char *name,
                                  const char *const *dirs, genlab_store_row_fn row, void *user);

/* genlab_store_report_dir — the installed reports directory (static). */
const char *genlab_store_report_dir(void);

/* ---- merge ---- */

/* What a merge added (per call, summed over its inputs). */
typedef struct genlab_merge_stats {
    int64_t runs_added, runs_skipped;   /* skipped: uuid already present */
    int64_t params, metrics, scores, artifacts;
} genlab_merge_stats;

/* genlab_store_merge — fold other stores into this one (opened read-write).
 * Runs are keyed by uuid: a run whose uuid is already here is skipped with
 * all its rows (it is not updated), so merging twice adds nothing. Copied
 * rows get the new run ids; parent links are resolved by uuid, also for
 * parents that arrive in a later merge. Each input is merged in its own
 * transaction (it is ATTACHed and only read); an input must be at this
 * library's schema version (open it read-write once to migrate it).
 * stats: OUT (may be NULL): counts, zeroed first.
 * Returns GL_ERR_INVALID when an input is this store's own file, GL_ERR_IO
 * when one is missing; on failure the inputs before it stay merged. */
genlab_status genlab_store_merge(genlab_store *store, const char *const *in_paths, size_t n_in,
                                 genlab_merge_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_STORE_H */
