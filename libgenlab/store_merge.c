/* SPDX-License-Identifier: MIT
 *
 * store_merge.c — folding other stores (one per machine of a cluster sweep)
 * into this one.
 *
 * Runs are identified by uuid, never by id: ids are per database. A run is
 * copied with all its rows only if its uuid is new here, which makes a merge
 * idempotent; an existing run is never updated (a merge is not a sync). Each
 * input is ATTACHed to the main connection and copied with INSERT ... SELECT
 * statements inside one transaction, so an input is merged entirely or not
 * at all. All SQL here is constant; the input's file name is bound.
 *
 * Sections: checks on an input, copying one input, the public entry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store_impl.h"

/* ---- checks on an input ---- */

/* check_input — the input exists, is not this store's file, and is a genlab
 * store at this library's schema version (a read-only open checks it). */
static genlab_status check_input(genlab_store *s, const char *in, const char *fn)
{
    struct stat a, b;
    if (stat(in, &a) != 0)
        return gl_store_fail(s, GL_ERR_IO, fn, "cannot merge \"%s\": %s", in, strerror(errno));
    if (stat(s->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return gl_store_fail(s, GL_ERR_INVALID, fn,
                             "cannot merge \"%s\" into itself (it is this store's file)", in);
    genlab_store *probe = NULL;
    genlab_status st = genlab_store_open(in, true, &probe);
    if (st != GL_OK) {
        if (probe)
            gl_store_fail(s, st, fn, "input rejected: %s", genlab_store_errmsg(probe));
        else
            gl_store_fail(s, st, fn, "cannot open input \"%s\"", in);
    }
    genlab_store_close(probe);
    return st;
}

/* ---- copying one input ---- */

/* The steps of a merge, run in order on the main connection with "src"
 * attached. temp.merge_new lists the input's runs whose uuid is new here and
 * their ids in both databases; child rows follow it. */
static const struct {
    const char *sql;
    int stat;   /* which count its changes add to (-1: none) */
} gl_merge_steps[] = {
    {"CREATE TEMP TABLE IF NOT EXISTS merge_new "
     "(src_id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, dst_id INTEGER)", -1},
    {"DELETE FROM temp.merge_new", -1},
    {"INSERT INTO temp.merge_new (src_id, uuid) SELECT id, uuid FROM src.runs "
     "WHERE uuid NOT IN (SELECT uuid FROM main.runs)", -1},
    {"INSERT INTO main.runs (uuid, name, trainer, status, started, ended, seed, host, pid, "
     "genlab_version, plugin_versions, command_line, config, dataset_hash, parent_uuid, "
     "error_code, error_message, sweep, sweep_point) "
     "SELECT r.uuid, r.name, r.trainer, r.status, r.started, r.ended, r.seed, r.host, r.pid, "
     "r.genlab_version, r.plugin_versions, r.command_line, r.config, r.dataset_hash, "
     "r.parent_uuid, r.error_code, r.error_message, r.sweep, r.sweep_point "
     "FROM src.runs AS r JOIN temp.merge_new AS n ON n.src_id = r.id ORDER BY r.id", 0},
    {"UPDATE temp.merge_new SET dst_id = (SELECT id FROM main.runs WHERE uuid = merge_new.uuid)",
     -1},
    {"INSERT INTO main.params (run_id, key, value, type) "
     "SELECT n.dst_id, p.key, p.value, p.type "
     "FROM src.params AS p JOIN temp.merge_new AS n ON n.src_id = p.run_id", 1},
    {"INSERT INTO main.metrics (run_id, step, key, value, wall) "
     "SELECT n.dst_id, m.step, m.key, m.value, m.wall "
     "FROM src.metrics AS m JOIN temp.merge_new AS n ON n.src_id = m.run_id "
     "ORDER BY m.rowid", 2},
    {"INSERT INTO main.scores (run_id, step, metric, value, higher_is_better, n_samples, "
     "feature_extractor, extractor_sha256, ref_stats_id, resize, ref_split, n_splits, seed, "
     "protocol, created, std, n_real, ref_stats_sha256, genlab_version) "
     "SELECT n.dst_id, c.step, c.metric, c.value, c.higher_is_better, c.n_samples, "
     "c.feature_extractor, c.extractor_sha256, c.ref_stats_id, c.resize, c.ref_split, "
     "c.n_splits, c.seed, c.protocol, c.created, c.std, c.n_real, c.ref_stats_sha256, "
     "c.genlab_version "
     "FROM src.scores AS c JOIN temp.merge_new AS n ON n.src_id = c.run_id ORDER BY c.id", 3},
    {"INSERT INTO main.artifacts (run_id, kind, path, sha256, bytes, created) "
     "SELECT n.dst_id, a.kind, a.path, a.sha256, a.bytes, a.created "
     "FROM src.artifacts AS a JOIN temp.merge_new AS n ON n.src_id = a.run_id ORDER BY a.id",
     4},
    /* resolve every unresolved parent link, including those of runs merged
     * earlier whose parent arrives only now */
    {"UPDATE main.runs SET parent_id = (SELECT p.id FROM main.runs AS p "
     "WHERE p.uuid = runs.parent_uuid) "
     "WHERE parent_id IS NULL AND parent_uuid IS NOT NULL", -1},
};

/* merge_one — attach in as "src", copy its new runs, detach. */
static genlab_status merge_one(genlab_store *s, const char *in, genlab_merge_stats *stats,
                               const char *fn)
{
    char what[600];
    snprintf(what, sizeof what, "merging \"%.500s\"", in);
    sqlite3_stmt *q;
    int rc = sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS src", -1, &q, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(q, 1, in, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return gl_store_dberr(s, s->db, rc, fn, what);

    int64_t src_runs = 0, *counts[] = {&stats->runs_added, &stats->params, &stats->metrics,
                                       &stats->scores, &stats->artifacts};
    genlab_status st = gl_store_begin(s, fn, what);
    if (st == GL_OK) {
        rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM src.runs", -1, &q, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
            src_runs = sqlite3_column_int64(q, 0);
            rc = SQLITE_OK;
        }
        sqlite3_finalize(q);
        if (rc != SQLITE_OK)
            st = gl_store_dberr(s, s->db, rc, fn, what);
    }
    int64_t added = 0;
    for (size_t i = 0; st == GL_OK && i < sizeof gl_merge_steps / sizeof gl_merge_steps[0]; i++) {
        rc = sqlite3_exec(s->db, gl_merge_steps[i].sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            st = gl_store_dberr(s, s->db, rc, fn, what);
        else if (gl_merge_steps[i].stat >= 0) {
            int64_t n = sqlite3_changes(s->db);
            *counts[gl_merge_steps[i].stat] += n;
            if (gl_merge_steps[i].stat == 0)
                added = n;
        }
    }
    if (st == GL_OK)
        st = gl_store_commit(s, fn, what);
    else
        gl_store_rollback(s);
    if (st == GL_OK)
        stats->runs_skipped += src_runs - added;
    /* outside any transaction now, so the detach cannot fail */
    sqlite3_exec(s->db, "DETACH DATABASE src", NULL, NULL, NULL);
    return st;
}

/* ---- the public entry ---- */

genlab_status genlab_store_merge(genlab_store *s, const char *const *in_paths, size_t n_in,
                                 genlab_merge_stats *stats)
{
    static const char fn[] = "genlab_store_merge";
    genlab_merge_stats local;
    if (!s)
        return GL_ERR_INVALID;
    genlab_status st = gl_store_writable(s, fn);
    if (st != GL_OK)
        return st;
    if (n_in && !in_paths)
        return gl_store_fail(s, GL_ERR_INVALID, fn, "in_paths is NULL");
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    for (size_t i = 0; i < n_in; i++) {
        if (!in_paths[i])
            return gl_store_fail(s, GL_ERR_INVALID, fn, "input %zu is NULL", i);
        st = check_input(s, in_paths[i], fn);
        if (st == GL_OK)
            st = merge_one(s, in_paths[i], stats, fn);
        if (st != GL_OK)
            return st;
    }
    return gl_store_ok(s);
}
