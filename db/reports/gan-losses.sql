-- SPDX-License-Identifier: MIT
--
-- gan-losses.sql — one row per completed GAN run, grouped by its loss: the
-- architecture and dataset, how many steps, the losses and critic outputs
-- at its last logged step, and how long it took. The table that compares
-- losses (bce, lsgan, wgan-gp, hinge) trained under otherwise equal
-- settings; filter on the other columns to keep settings equal.
--
-- "d_real" and "d_fake" are the critic's mean outputs on real and
-- generated images at the last logged step (raw scores: logits for bce,
-- unbounded for wgan-gp and hinge). "ms_per_step" is the mean step time of
-- the logged points.

SELECT (SELECT value FROM params WHERE run_id = r.id AND key = 'gan.loss')      AS loss,
       (SELECT value FROM params WHERE run_id = r.id AND key = 'gan.generator') AS arch,
       (SELECT value FROM params WHERE run_id = r.id AND key = 'train.dataset') AS dataset,
       r.id                                                                     AS run,
       (SELECT max(step) + 1 FROM metrics WHERE run_id = r.id)                  AS steps,
       (SELECT round(value, 4) FROM metrics WHERE run_id = r.id AND key = 'd_loss'
         ORDER BY step DESC LIMIT 1)                                            AS d_loss,
       (SELECT round(value, 4) FROM metrics WHERE run_id = r.id AND key = 'g_loss'
         ORDER BY step DESC LIMIT 1)                                            AS g_loss,
       (SELECT round(value, 4) FROM metrics WHERE run_id = r.id AND key = 'gp'
         ORDER BY step DESC LIMIT 1)                                            AS gp,
       (SELECT round(value, 3) FROM metrics WHERE run_id = r.id AND key = 'd_real'
         ORDER BY step DESC LIMIT 1)                                            AS d_real,
       (SELECT round(value, 3) FROM metrics WHERE run_id = r.id AND key = 'd_fake'
         ORDER BY step DESC LIMIT 1)                                            AS d_fake,
       (SELECT round(avg(value) * 1000, 1) FROM metrics
         WHERE run_id = r.id AND key = 'step_time')                             AS ms_per_step,
       round((julianday(r.ended) - julianday(r.started)) * 86400.0, 1)          AS seconds
  FROM runs AS r
 WHERE r.trainer = 'gan' AND r.status = 'completed'
 ORDER BY loss, r.id;
