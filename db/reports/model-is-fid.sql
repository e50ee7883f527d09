-- SPDX-License-Identifier: MIT
--
-- model-is-fid.sql — Inception Score and FID per model, as mean ± std over
-- seeds: the shape of seed 002's Table 1 ("Model | Inception Score (IS) |
-- Fréchet Inception Distance (FID)": DCGAN and VAE on CIFAR-10).
--
-- Its sweep: doc/examples/sweeps/model-is-fid.ini, which trains and scores every
-- point (`genlab sweep --config doc/examples/sweeps/model-is-fid.ini --db D`, then
-- `genlab report model-is-fid --db D`). FID (and IS) is Inception's when the store
-- has such scores, else the classifier's (view report_metric).
--
-- Produced by training each model with a few seeds (a sweep over
-- train.seed, or one sweep per model), then `genlab score --metric is,fid`
-- on every run. "model" is the trainer and its architecture component
-- (gan.generator, vae.encoder or diffusion.denoiser). Each run counts with
-- its latest score of each metric (score_latest); runs that differ only by
-- seed form one row (score_by_config, db/views.sql). IS: higher is better;
-- FID: lower is better. Configurations without an IS score are left out.
--
-- Score protocol: IS and FID as `genlab score` stores them; the report is
-- refused when the store's scores of one metric were measured under
-- different protocols, and ends with the protocols it used.
--
-- metrics: fid,is

SELECT c.trainer || coalesce(' ' || (SELECT value FROM run_param
                                      WHERE run_id = c.first_run
                                        AND key IN ('gan.generator', 'vae.encoder',
                                                    'diffusion.denoiser')), '') AS model,
       max(CASE WHEN c.metric = (SELECT metric FROM report_metric WHERE score = 'is')
                THEN c.mean_std END)                                            AS "IS",
       max(CASE WHEN c.metric = (SELECT metric FROM report_metric WHERE score = 'fid')
                THEN c.mean_std END)                                            AS "FID",
       max(c.n)                                                                 AS seeds
  FROM score_by_config AS c
 WHERE c.metric IN (SELECT metric FROM report_metric) AND c.n > 0
 GROUP BY c.trainer, c.sweep, c.config
HAVING max(c.metric = (SELECT metric FROM report_metric WHERE score = 'is'))   -- configurations scored with IS
 ORDER BY model, min(c.first_run);
