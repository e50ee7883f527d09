-- SPDX-License-Identifier: MIT
--
-- gan-losses.sql — FID by GAN loss, as mean ± std over seeds, best first:
-- the shape of seed 000's loss comparison (vanilla GAN, LSGAN, WGAN-GP,
-- hinge: "Loss function ... FID") and seed 001's Table 5 ("Performance
-- comparison across different loss functions": method → FID Score).
--
-- Its sweep: doc/examples/sweeps/gan-losses.ini, which trains and scores every
-- point (`genlab sweep --config doc/examples/sweeps/gan-losses.ini --db D`, then
-- `genlab report gan-losses --db D`). FID (and IS) is Inception's when the store
-- has such scores, else the classifier's (view report_metric).
--
-- Produced by a sweep of the GAN trainer over gan.loss (bce, lsgan,
-- wgan-gp, hinge) with a few seeds, then `genlab score` on every run.
-- Each run counts with its latest FID (score_latest); runs that differ only
-- by seed form one row (score_by_config, db/views.sql); "config" shows the
-- rest of the configuration, so that rows whose other settings differ can
-- be told apart. "fid" is "mean ± std" (sample standard deviation) or the
-- value alone for one seed; d_loss and g_loss are the mean over the seeds
-- of each run's last logged value.
--
-- Runs of other sweeps (those whose points do not set gan.loss) are left
-- out; runs outside sweeps are in.
--
-- Score protocol: FID as `genlab score` stores it; the report is refused
-- when the store's FIDs were measured under different protocols, and ends
-- with the protocol it used.
--
-- metrics: fid

WITH last_losses AS (   -- each scored GAN run's last logged losses
    SELECT rc.run_id, rc.sweep, rc.config,
           (SELECT value FROM metrics WHERE run_id = rc.run_id AND key = 'd_loss'
             ORDER BY step DESC LIMIT 1) AS d_loss,
           (SELECT value FROM metrics WHERE run_id = rc.run_id AND key = 'g_loss'
             ORDER BY step DESC LIMIT 1) AS g_loss
      FROM run_config AS rc
     WHERE rc.trainer = 'gan'
       AND rc.run_id IN (SELECT run_id FROM score_latest
                          WHERE metric = (SELECT metric FROM report_metric WHERE score = 'fid'))
)
SELECT (SELECT value FROM run_param WHERE run_id = c.first_run AND key = 'gan.loss')      AS loss,
       (SELECT value FROM run_param WHERE run_id = c.first_run AND key = 'gan.generator') AS arch,
       c.mean_std                                                                        AS fid,
       round(c.mean, 4)                                                                  AS mean,
       round(c.std, 4)                                                                   AS std,
       c.n                                                                               AS seeds,
       (SELECT round(avg(d_loss), 4) FROM last_losses AS l
         WHERE l.config IS c.config AND l.sweep IS c.sweep)                              AS d_loss,
       (SELECT round(avg(g_loss), 4) FROM last_losses AS l
         WHERE l.config IS c.config AND l.sweep IS c.sweep)                              AS g_loss,
       c.runs                                                                            AS runs,
       c.config                                                                          AS config
  FROM score_by_config AS c
 WHERE c.trainer = 'gan' AND c.n > 0
   AND c.metric = (SELECT metric FROM report_metric WHERE score = 'fid')
   AND (c.sweep IS NULL OR (SELECT json_type(sweep_point, '$."gan.loss"') FROM runs
                            WHERE id = c.first_run) IS NOT NULL)
 ORDER BY c.mean, loss;
