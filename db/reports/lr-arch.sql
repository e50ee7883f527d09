-- SPDX-License-Identifier: MIT
--
-- lr-arch.sql — FID by architecture (rows) and learning rate (columns), as
-- mean ± std over seeds: the shape of seed 001's Table 3 ("Performance
-- comparison across different learning rates": DCGAN, VAE, Diffusion model
-- against lr 0.0001 to 0.01).
--
-- Its sweep: doc/examples/sweeps/lr-arch.ini, which trains and scores every
-- point (`genlab sweep --config doc/examples/sweeps/lr-arch.ini --db D`, then
-- `genlab report lr-arch --db D`). FID (and IS) is Inception's when the store
-- has such scores, else the classifier's (view report_metric).
--
-- Produced by one sweep per architecture over optim.lr with a few seeds,
-- e.g. `genlab sweep` over optim.lr = 1e-4, 2e-4, 5e-4, 1e-3, 5e-3, 1e-2 with three seeds for each
-- trainer, then `genlab score` on every run. The architecture is the
-- trainer (gan, vae, diffusion). Each run counts with its latest FID
-- (score_latest); runs that differ only by seed are one cell
-- (score_by_config, db/views.sql). A cell is "mean ± std" (the sample
-- standard deviation), or the value alone for one seed.
--
-- Runs of other sweeps (those whose points do not set optim.lr) are left
-- out; runs outside sweeps are in.
--
-- Score protocol: FID as `genlab score` stores it; the report is refused
-- when the store's FIDs were measured under different protocols (feature
-- extractor, sample count, reference statistics, ...), and ends with the
-- protocol it used. When other parameters vary too, two configurations
-- fall in one cell and the pivot refuses; keep to one sweep per
-- architecture or filter with genlab query on score_by_config.
--
-- pivot: arch,lr,fid

SELECT c.trainer AS arch,
       (SELECT value FROM run_param WHERE run_id = c.first_run AND key = 'optim.lr') AS lr,
       c.mean_std AS fid
  FROM score_by_config AS c
 WHERE c.metric = (SELECT metric FROM report_metric WHERE score = 'fid') AND c.n > 0
   AND (c.sweep IS NULL OR (SELECT json_type(sweep_point, '$."optim.lr"') FROM runs
                            WHERE id = c.first_run) IS NOT NULL)
 ORDER BY arch, (SELECT num FROM run_param WHERE run_id = c.first_run AND key = 'optim.lr');
