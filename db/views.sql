-- SPDX-License-Identifier: MIT
--
-- views.sql — the views reports and queries are written on: a run's
-- parameters, its configuration (what stays when the seed is taken away),
-- its latest score per metric and protocol, and those scores as mean ± std
-- over seeds per configuration.
--
-- These are TEMP views: libgenlab creates them on every read-only query
-- connection (genlab query, genlab report) before it is locked down, so a
-- store file never holds them. Old stores get them too, a merge never sees
-- them, and changing one needs no schema version. The aggregate
-- stdev(x), the sample standard deviation (n - 1 in the denominator, NULL
-- for fewer than two values), is registered on the same connection.
-- libgenlab embeds this file at build time; it is installed beside
-- schema.sql for reading.
--
-- A protocol key ("protocol_key") is the text of the score columns that
-- must agree for two scores to share a column: feature extractor and its
-- weights' hash, sample count, reference statistics and their hash, resize
-- rule and reference split. The seed and the genlab version may differ.
--
-- Sections: parameters and configurations, scores, scores over seeds,
-- the reports' metrics and FID by parameter.

-- ---- parameters and configurations ----

-- run_param: one row per run and parameter; num is the value as a number
-- when it reads as one (for ordering: "64" < "128"), else NULL
CREATE TEMP VIEW run_param AS
SELECT run_id, key, value, type,
       CASE WHEN value GLOB '*[0-9]*' AND value NOT GLOB '*[^0-9.eE+-]*'
            THEN CAST(value AS REAL) END AS num
  FROM params;

-- run_config: each run's configuration, the text that runs differing only
-- by their seed share. In a sweep it is the sweep's name and the run's
-- grid point without its seed; outside one, the run's parameters whose key
-- does not end in "seed", as key=value sorted by key.
CREATE TEMP VIEW run_config AS
SELECT r.id AS run_id, r.trainer, r.sweep,
       CASE WHEN r.sweep_point IS NOT NULL AND json_valid(r.sweep_point) THEN
                r.sweep || ' ' || json_remove(r.sweep_point, '$.seed', '$."train.seed"')
            ELSE (SELECT group_concat(key || '=' || value, ' ')
                    FROM (SELECT p.key, p.value FROM params AS p
                           WHERE p.run_id = r.id AND p.key NOT LIKE '%seed'
                           ORDER BY p.key))
       END AS config
  FROM runs AS r;

-- ---- scores ----

-- score_latest: each run's score at its last evaluation step, per metric
-- and protocol (the newest row when a step was scored twice)
CREATE TEMP VIEW score_latest AS
WITH keyed AS (
    SELECT s.*,
           coalesce(feature_extractor, '') || '|' || coalesce(extractor_sha256, '') || '|' ||
           coalesce(n_samples, '') || '|' || coalesce(ref_stats_id, '') || '|' ||
           coalesce(ref_stats_sha256, '') || '|' || coalesce(resize, '') || '|' ||
           coalesce(ref_split, '') AS protocol_key
      FROM scores AS s
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY run_id, metric, protocol_key
                                 ORDER BY step DESC, id DESC) AS rn
      FROM keyed
)
SELECT id, run_id, step, metric, value, higher_is_better, n_samples, feature_extractor,
       extractor_sha256, ref_stats_id, ref_stats_sha256, resize, ref_split, n_splits, seed,
       protocol, protocol_key
  FROM ranked WHERE rn = 1;

-- ---- scores over seeds ----

-- score_by_config: per trainer, configuration, metric and protocol: how
-- many runs (seeds), the mean of their latest scores, the sample standard
-- deviation (NULL for one run), "mean ± std" as text, the first run (to
-- read the configuration's parameters from) and the runs, comma-separated
CREATE TEMP VIEW score_by_config AS
SELECT c.trainer, c.sweep, c.config, s.metric, s.higher_is_better, s.protocol_key,
       s.feature_extractor, s.n_samples, s.ref_stats_id, s.resize, s.ref_split,
       count(s.value)  AS n,
       avg(s.value)    AS mean,
       stdev(s.value)  AS std,
       CASE WHEN count(s.value) = 0 THEN NULL
            WHEN count(s.value) = 1 THEN printf('%.4g', avg(s.value))
            ELSE printf('%.4g ± %.2g', avg(s.value), stdev(s.value)) END AS mean_std,
       min(s.run_id)   AS first_run,
       group_concat(s.run_id, ',') AS runs
  FROM score_latest AS s JOIN run_config AS c ON c.run_id = s.run_id
 GROUP BY c.trainer, c.sweep, c.config, s.metric, s.higher_is_better, s.protocol_key;

-- best_per_group: per trainer, metric and protocol, the configuration with
-- the best mean (lowest, or highest when higher is better)
CREATE TEMP VIEW best_per_group AS
SELECT * FROM (
    SELECT *, row_number() OVER (
               PARTITION BY trainer, metric, protocol_key
               ORDER BY CASE WHEN higher_is_better THEN -mean ELSE mean END, config) AS rank
      FROM score_by_config WHERE n > 0)
 WHERE rank = 1;

-- ---- the reports' metrics ----

-- report_metric: which score rows a report shows as "fid" and "is":
-- Inception's (fid, is) when the store holds any, else the classifier's
-- (classifier_fid, classifier_is), which a sweep scores without
-- downloading Inception's weights (doc/examples/sweeps). One metric per
-- report, so that its column never mixes the two.
CREATE TEMP VIEW report_metric AS
SELECT b.score,
       CASE WHEN EXISTS (SELECT 1 FROM scores WHERE metric = b.score) THEN b.score
            ELSE 'classifier_' || b.score END AS metric
  FROM (SELECT 'fid' AS score UNION ALL SELECT 'is') AS b;

-- fid_by_param: the report's FID (report_metric) of each configuration,
-- mean ± std over seeds, once for each of its parameters (key, value, num
-- as in run_param): a report of FID against one parameter keeps the rows of
-- that key (batch-arch, lr-arch, beta1-arch). A configuration of a sweep
-- whose points do not set the key is left out, as that sweep studied
-- something else; runs outside sweeps are in.
CREATE TEMP VIEW fid_by_param AS
SELECT c.trainer AS arch, p.key, p.value, p.num, c.mean_std AS fid, c.sweep, c.first_run
  FROM score_by_config AS c JOIN run_param AS p ON p.run_id = c.first_run
 WHERE c.metric = (SELECT metric FROM report_metric WHERE score = 'fid') AND c.n > 0
   AND (c.sweep IS NULL OR (SELECT json_type(sweep_point, '$."' || p.key || '"') FROM runs
                            WHERE id = c.first_run) IS NOT NULL);
