-- SPDX-License-Identifier: MIT
--
-- schema.sql — the genlab experiment store, schema version 3.
--
-- This file creates a new, empty store. libgenlab embeds it at build time and
-- runs it inside one transaction; it is installed too, so that
-- `sqlite3 my.db < schema.sql` gives the same database. It is not a
-- migration: a store at an older version is upgraded by the migration list in
-- libgenlab/store.c, and when a migration is added this file is updated to the
-- resulting layout and its user_version (last line) raised to match
-- GL_STORE_SCHEMA_VERSION.
--
-- Conventions: times are ISO-8601 UTC text ("2026-01-31T12:00:00.123Z"),
-- except metrics.wall, a REAL Unix time in seconds (one per row: text would
-- double the table's size). JSON columns are checked with json_valid.
-- Every child table references runs(id) ON DELETE CASCADE, so deleting a run
-- deletes its rows (foreign keys are switched on by every genlab connection).
--
-- Sections: runs, params, metrics, scores, artifacts, identity and version.

-- ---- runs: one row per training (or evaluation) run ----
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT    NOT NULL UNIQUE,    -- identity across databases (merge key)
    name            TEXT,                        -- user label, not unique
    trainer         TEXT    NOT NULL,            -- trainer component, e.g. "gan"
    status          TEXT    NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    started         TEXT    NOT NULL,
    ended           TEXT,                        -- NULL while running
    seed            INTEGER,                     -- a uint64 seed is stored as its int64 bit pattern
    host            TEXT    NOT NULL,            -- with pid: stale-run detection
    pid             INTEGER NOT NULL,
    genlab_version  TEXT    NOT NULL,
    plugin_versions TEXT    CHECK (plugin_versions IS NULL OR json_valid(plugin_versions)),
    command_line    TEXT,
    config          TEXT    CHECK (config IS NULL OR json_valid(config)),
    dataset_hash    TEXT,
    -- a resumed run points at the run it continues; the uuid is the link
    -- (the parent may live in another machine's database), parent_id is that
    -- link resolved in this database, NULL until the parent is present
    parent_uuid     TEXT,
    parent_id       INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    error_code      INTEGER,                     -- genlab_status of a failed run (append-only codes)
    error_message   TEXT,
    -- schema version 3 (appended): the sweep that launched the run (its name,
    -- NULL outside sweeps) and the run's grid point in it, a canonical JSON
    -- object of the point's parameters and seed (what a re-run matches)
    sweep           TEXT,
    sweep_point     TEXT    CHECK (sweep_point IS NULL OR json_valid(sweep_point))
);
CREATE INDEX runs_trainer ON runs(trainer, status);
CREATE INDEX runs_running ON runs(status, host);     -- stale-run scan on open
CREATE INDEX runs_started ON runs(started);
CREATE INDEX runs_parent  ON runs(parent_uuid);
CREATE INDEX runs_sweep   ON runs(sweep, sweep_point);

-- ---- params: every resolved parameter of a run ----
CREATE TABLE params (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key    TEXT    NOT NULL,                 -- dotted name, e.g. "optim.lr"
    value  TEXT    NOT NULL,                 -- the value as text, exactly as resolved
    type   TEXT    NOT NULL,                 -- "int", "float", "bool", "string", ...
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_key ON params(key, value);  -- "runs where optim.lr = 2e-4"

-- ---- metrics: training curves (losses, lr, data time, step time) ----
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step   INTEGER NOT NULL,
    key    TEXT    NOT NULL,
    value  REAL,                             -- NULL for NaN (SQLite stores no NaN)
    wall   REAL    NOT NULL                  -- Unix time, seconds
);
CREATE INDEX metrics_curve ON metrics(run_id, key, step);

-- ---- scores: evaluation results with their full protocol ----
-- Two scores are comparable only under the same protocol; the columns hold
-- what reports group by, protocol holds everything (as the metric wrote it).
CREATE TABLE scores (
    id                 INTEGER PRIMARY KEY,
    run_id             INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step               INTEGER NOT NULL,
    metric             TEXT    NOT NULL,     -- "fid", "kid", "is", "precision", ...
    value              REAL,
    higher_is_better   INTEGER NOT NULL CHECK (higher_is_better IN (0, 1)),
    n_samples          INTEGER NOT NULL,
    feature_extractor  TEXT,                 -- e.g. "inception-v3-tf"
    extractor_sha256   TEXT,                 -- hash of the extractor's weights file
    ref_stats_id       TEXT,                 -- reference statistics (artifact hash or name)
    resize             TEXT,                 -- resize rule, e.g. "bilinear-299-pil"
    ref_split          TEXT,                 -- dataset split of the reference, e.g. "train"
    n_splits           INTEGER,              -- sample splits (Inception Score), 1 otherwise
    seed               INTEGER,              -- sampling seed
    protocol           TEXT    CHECK (protocol IS NULL OR json_valid(protocol)),
    created            TEXT    NOT NULL,
    -- schema version 2 (appended, where the migration's ALTER TABLE puts them)
    std                REAL,                 -- spread over splits/subsets (IS, KID); NULL: none
    n_real             INTEGER,              -- real images used; NULL: none, or a reference file
    ref_stats_sha256   TEXT,                 -- SHA-256 of the reference statistics file
    genlab_version     TEXT                  -- the genlab that measured the score
);
CREATE INDEX scores_run    ON scores(run_id, metric, step);
CREATE INDEX scores_metric ON scores(metric, feature_extractor, n_samples);

-- ---- artifacts: files a run produced (checkpoints, grids, statistics) ----
CREATE TABLE artifacts (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind    TEXT    NOT NULL,                -- "checkpoint", "grid", "stats", ...
    path    TEXT    NOT NULL,                -- as given when recorded
    sha256  TEXT    NOT NULL,                -- 64 lowercase hex digits
    bytes   INTEGER NOT NULL,
    created TEXT    NOT NULL
);
CREATE INDEX artifacts_run    ON artifacts(run_id, kind);
CREATE INDEX artifacts_sha256 ON artifacts(sha256);

-- ---- identity and version ----
PRAGMA application_id = 1196179778;   -- 0x474C4142, "GLAB": marks the file as a genlab store
PRAGMA user_version = 3;
