-- SPDX-License-Identifier: MIT
--
-- batch-arch.sql — FID by architecture (rows) and batch size (columns), as
-- mean ± std over seeds: the shape of seed 001's Table 2 ("Performance
-- comparison across different batch sizes": DCGAN, VAE, Diffusion model
-- against batch=64, 128, 256).
--
-- Its sweep: doc/examples/sweeps/batch-arch.ini, which trains and scores every
-- point (`genlab sweep --config doc/examples/sweeps/batch-arch.ini --db D`, then
-- `genlab report batch-arch --db D`). FID (and IS) is Inception's when the store
-- has such scores, else the classifier's (view report_metric).
--
-- Produced by one sweep per architecture over train.batch with a few seeds,
-- e.g. `genlab sweep` over train.batch = 64, 128, 256 with three seeds for each
-- trainer, then `genlab score` on every run. The architecture is the
-- trainer (gan, vae, diffusion). Each run counts with its latest FID
-- (score_latest); runs that differ only by seed are one cell
-- (score_by_config, db/views.sql). A cell is "mean ± std" (the sample
-- standard deviation), or the value alone for one seed.
--
-- Runs of other sweeps (those whose points do not set train.batch) are left
-- out; runs outside sweeps are in.
--
-- Score protocol: FID as `genlab score` stores it; the report is refused
-- when the store's FIDs were measured under different protocols (feature
-- extractor, sample count, reference statistics, ...), and ends with the
-- protocol it used. When other parameters vary too, two configurations
-- fall in one cell and the pivot refuses; keep to one sweep per
-- architecture or filter with genlab query on score_by_config.
--
-- pivot: arch,batch,fid

SELECT c.trainer AS arch,
       (SELECT value FROM run_param WHERE run_id = c.first_run AND key = 'train.batch') AS batch,
       c.mean_std AS fid
  FROM score_by_config AS c
 WHERE c.metric = (SELECT metric FROM report_metric WHERE score = 'fid') AND c.n > 0
   AND (c.sweep IS NULL OR (SELECT json_type(sweep_point, '$."train.batch"') FROM runs
                            WHERE id = c.first_run) IS NOT NULL)
 ORDER BY arch, (SELECT num FROM run_param WHERE run_id = c.first_run AND key = 'train.batch');
