-- SPDX-License-Identifier: MIT
--
-- samplers.sql — one row per diffusion run and FID-like metric: the same
-- trained model scored under DDPM with 1000 steps and DDIM with 100 steps
-- side by side (seed 000: "DDPM ... FID 34.73 with 1000 sampling steps,
-- DDIM ... 38.32 with only 100"), as `genlab score RUN --sampler ddpm
-- --steps 1000` and `--sampler ddim --steps 100` record them.
--
-- The sampler and its step count come from each score's protocol
-- (generated.sampler, generated.sampler_steps), the sampling time from
-- generated.seconds (wall seconds to make the n_samples images, so
-- "ms_per_image" compares the samplers on the machine that scored them).
-- "metric" is fid (Inception) or classifier_fid; a row only pairs scores of
-- one metric and feature extractor, and each side is the newest such score.
-- "speedup" is DDPM's time per image over DDIM's.
--
-- metrics: fid,classifier_fid

WITH s AS (
    SELECT sc.id, sc.run_id, sc.metric, sc.feature_extractor, sc.value, sc.n_samples,
           json_extract(sc.protocol, '$.generated.sampler')       AS sampler,
           json_extract(sc.protocol, '$.generated.sampler_steps') AS steps,
           json_extract(sc.protocol, '$.generated.seconds')       AS seconds
      FROM scores AS sc
      JOIN runs AS r ON r.id = sc.run_id
     WHERE r.trainer = 'diffusion' AND sc.metric IN ('fid', 'classifier_fid')
),
newest AS (
    SELECT * FROM s
     WHERE id = (SELECT max(id) FROM s AS o
                  WHERE o.run_id = s.run_id AND o.metric = s.metric
                    AND o.feature_extractor IS s.feature_extractor
                    AND o.sampler IS s.sampler AND o.steps IS s.steps)
),
ddpm AS (SELECT * FROM newest WHERE sampler = 'ddpm' AND steps = 1000),
ddim AS (SELECT * FROM newest WHERE sampler = 'ddim' AND steps = 100)
SELECT r.id                                                     AS run,
       coalesce(r.name, substr(r.uuid, 1, 8))                   AS name,
       coalesce(p.metric, i.metric)                             AS metric,
       round(p.value, 2)                                        AS ddpm1000_fid,
       round(1000.0 * p.seconds / p.n_samples, 1)               AS ddpm1000_ms_per_image,
       round(i.value, 2)                                        AS ddim100_fid,
       round(1000.0 * i.seconds / i.n_samples, 1)              AS ddim100_ms_per_image,
       round((p.seconds / p.n_samples) / (i.seconds / i.n_samples), 1) AS speedup,
       coalesce(p.n_samples, i.n_samples)                       AS n_samples
  FROM runs AS r
  JOIN ddpm AS p ON p.run_id = r.id
  LEFT JOIN ddim AS i ON i.run_id = r.id AND i.metric = p.metric
                     AND i.feature_extractor IS p.feature_extractor
UNION ALL
-- runs scored with DDIM-100 only
SELECT r.id, coalesce(r.name, substr(r.uuid, 1, 8)), i.metric, NULL, NULL, round(i.value, 2),
       round(1000.0 * i.seconds / i.n_samples, 1), NULL, i.n_samples
  FROM runs AS r
  JOIN ddim AS i ON i.run_id = r.id
 WHERE NOT EXISTS (SELECT 1 FROM ddpm AS p WHERE p.run_id = r.id AND p.metric = i.metric
                      AND p.feature_extractor IS i.feature_extractor)
 ORDER BY 1, 3;
