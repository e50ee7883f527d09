-- SPDX-License-Identifier: MIT
--
-- vae-beta.sql — one row per completed VAE run, grouped by its beta
-- schedule: the table that compares a constant KL weight with annealing
-- (beta-linear, beta-cyclical) under otherwise equal settings; filter on the
-- other columns (arch, loss, dataset, steps) to keep them equal.
--
-- "schedule" is the beta component with its parameters; "recon", "kl" and
-- "beta" are the means over the last 10% of the logged steps (the curves
-- are noisy batch by batch), in nats per image for the default reduction;
-- "kl_early" is the mean KL over the first 10%, where annealing differs
-- most (a low beta lets the KL grow before it is weighed). "elbo" and
-- "iwae" are the held-out bounds the trainer recorded after its last step
-- (higher is better; iwae only with vae.iw_k > 1), on as many images as
-- "eval_n" says.
--
-- metrics: elbo,iwae

WITH runs_vae AS (
    SELECT r.id, r.name, r.started, r.ended,
           (SELECT max(step) + 1 FROM metrics WHERE run_id = r.id) AS steps
      FROM runs AS r
     WHERE r.trainer = 'vae' AND r.status = 'completed'
),
param AS (
    SELECT run_id, key, value FROM params
)
SELECT (SELECT value FROM param WHERE run_id = v.id AND key = 'vae.beta')
       || coalesce(' ' || (SELECT group_concat(substr(key, 6) || '=' || value, ' ')
                             FROM param WHERE run_id = v.id AND key LIKE 'beta.%'), '')
                                                                        AS schedule,
       (SELECT value FROM param WHERE run_id = v.id AND key = 'vae.encoder') AS arch,
       (SELECT value FROM param WHERE run_id = v.id AND key = 'vae.loss')    AS loss,
       v.id                                                                  AS run,
       v.name                                                                AS name,
       v.steps                                                               AS steps,
       (SELECT round(avg(value), 2) FROM metrics WHERE run_id = v.id AND key = 'recon'
           AND step >= v.steps * 0.9)                                        AS recon,
       (SELECT round(avg(value), 2) FROM metrics WHERE run_id = v.id AND key = 'kl'
           AND step >= v.steps * 0.9)                                        AS kl,
       (SELECT round(avg(value), 2) FROM metrics WHERE run_id = v.id AND key = 'kl'
           AND step < v.steps * 0.1)                                         AS kl_early,
       (SELECT round(avg(value), 3) FROM metrics WHERE run_id = v.id AND key = 'beta'
           AND step >= v.steps * 0.9)                                        AS beta,
       (SELECT round(value, 2) FROM scores WHERE run_id = v.id AND metric = 'elbo'
         ORDER BY step DESC LIMIT 1)                                         AS elbo,
       (SELECT round(value, 2) FROM scores WHERE run_id = v.id AND metric = 'iwae'
         ORDER BY step DESC LIMIT 1)                                         AS iwae,
       (SELECT n_samples FROM scores WHERE run_id = v.id AND metric = 'elbo'
         ORDER BY step DESC LIMIT 1)                                         AS eval_n,
       round((julianday(v.ended) - julianday(v.started)) * 86400.0, 1)       AS seconds
  FROM runs_vae AS v
 ORDER BY schedule, v.id;
