-- SPDX-License-Identifier: MIT
--
-- best_scores.sql — the best score of each metric for each trainer, as
-- mean ± std over seeds: the table a paper reports.
--
-- How it is computed:
--   1. each run's best value of each metric over its evaluation steps (min
--      or max as the score's higher_is_better says);
--   2. runs that differ only in their seed form one configuration: they
--      share the trainer, the metric's protocol (feature extractor and its
--      weights' hash, sample count, reference statistics and their hash,
--      resize rule, reference split) and every parameter whose key does not
--      end in "seed";
--   3. per configuration: n_seeds, mean, and the sample standard deviation
--      sqrt((sum(x^2) - sum(x)^2 / n) / (n - 1)) (SQLite has no stddev);
--      std is NULL for a single seed;
--   4. per trainer, metric and protocol, the configuration with the best
--      mean is reported.
-- Scores of every run count, whatever its status. sqrt needs SQLite's math
-- functions (built in since 3.35 unless disabled at compile time).

WITH per_run AS (
    SELECT r.trainer, s.metric, s.higher_is_better AS hib,
           s.feature_extractor, s.extractor_sha256, s.n_samples, s.ref_stats_id,
           s.ref_stats_sha256, s.resize, s.ref_split,
           r.id AS run_id,
           (SELECT group_concat(key || '=' || value, ' ')
              FROM (SELECT p.key, p.value FROM params AS p
                     WHERE p.run_id = r.id AND p.key NOT LIKE '%seed'
                     ORDER BY p.key)) AS config,
           CASE WHEN s.higher_is_better THEN max(s.value) ELSE min(s.value) END AS best
      FROM scores AS s JOIN runs AS r ON r.id = s.run_id
     GROUP BY r.id, s.metric, s.higher_is_better, s.feature_extractor, s.extractor_sha256,
              s.n_samples, s.ref_stats_id, s.ref_stats_sha256, s.resize, s.ref_split
),
per_config AS (
    SELECT trainer, metric, hib, feature_extractor, extractor_sha256, n_samples, ref_stats_id,
           ref_stats_sha256, resize, ref_split, config,
           count(best) AS n_seeds,
           avg(best)   AS mean,
           CASE WHEN count(best) > 1 THEN
               sqrt(max(0.0, (sum(best * best) - sum(best) * sum(best) / count(best))
                             / (count(best) - 1)))
           END         AS std,
           group_concat(run_id, ',') AS runs
      FROM per_run
     GROUP BY trainer, metric, hib, feature_extractor, extractor_sha256, n_samples,
              ref_stats_id, ref_stats_sha256, resize, ref_split, config
),
ranked AS (
    SELECT *, row_number() OVER (
               PARTITION BY trainer, metric, hib, feature_extractor, extractor_sha256,
                            n_samples, ref_stats_id, ref_stats_sha256, resize, ref_split
               ORDER BY CASE WHEN hib THEN -mean ELSE mean END) AS rank
      FROM per_config
)
SELECT trainer,
       metric,
       CASE WHEN std IS NULL THEN printf('%.4g', mean)
            ELSE printf('%.4g ± %.2g', mean, std) END AS "mean ± std",
       mean,
       std,
       n_seeds,
       n_samples,
       feature_extractor,
       ref_stats_id,
       config,
       runs
  FROM ranked
 WHERE rank = 1
 ORDER BY trainer, metric, feature_extractor, n_samples;
