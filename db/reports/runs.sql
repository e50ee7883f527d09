-- SPDX-License-Identifier: MIT
--
-- runs.sql — one row per run, newest first: who and what it was, how it
-- ended, how long it took, how far it got, and its parameters.
--
-- "params" lists every resolved parameter as key=value, sorted by key (the
-- set differs between trainers, so no fixed columns can hold them).
-- "seconds" is NULL while a run is running; "resumed_from" is the first 8
-- characters of the parent run's uuid.

SELECT r.id,
       substr(r.uuid, 1, 8)                                   AS uuid,
       r.name,
       r.trainer,
       r.status,
       r.started,
       round((julianday(r.ended) - julianday(r.started)) * 86400.0, 1) AS seconds,
       r.seed,
       (SELECT max(m.step) FROM metrics AS m WHERE m.run_id = r.id) AS last_step,
       substr(r.parent_uuid, 1, 8)                            AS resumed_from,
       r.host,
       (SELECT group_concat(key || '=' || value, ' ')
          FROM (SELECT p.key, p.value FROM params AS p
                 WHERE p.run_id = r.id ORDER BY p.key))      AS params,
       r.error_message                                        AS error
  FROM runs AS r
 ORDER BY r.id DESC;
