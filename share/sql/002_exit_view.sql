-- sentry event log, schema version 2.
--
-- The exit-state timeline was a table holding a copy of four kinds of
-- `record` row (half a row more per record, written on the live path). It
-- is now a view over `record` with the same columns and rows, so writing
-- a run costs less and files written at version 1 lose nothing: their
-- `record` rows hold every step.
DROP TABLE exit;

-- The exit-state timeline of every task: one row per step.
--   step         exit_initiated, zombie, parent_notified or reaped
--   ts           ns since the run started
--   upid         the task's process (0: unknown to the log)
--   wait_status  the status word (exit_initiated, zombie, reaped)
--   group_exit   exit_initiated: 1 for exit_group or a fatal signal
--   other_utid   parent_notified: the parent; reaped: the reaper (NULL: none)
--   signo        parent_notified: the signal sent (0: none)
--   reap_cause   reaped: why (see reap_cause)
CREATE VIEW exit AS
SELECT r.run_id, r.seq, r.time_ns - run.start_time_ns AS ts, r.utid,
       coalesce(t.upid, 0) AS upid, r.tid,
       CASE r.kind WHEN 3 THEN 'exit_initiated' WHEN 4 THEN 'zombie'
                   WHEN 5 THEN 'parent_notified' ELSE 'reaped' END AS step,
       CASE WHEN r.kind = 5 THEN NULL ELSE r.value END AS wait_status,
       CASE WHEN r.kind = 3 THEN r.value2 END AS group_exit,
       CASE WHEN r.kind IN (5, 6) THEN nullif(r.other_utid, 0) END AS other_utid,
       CASE WHEN r.kind = 5 THEN r.value END AS signo,
       CASE WHEN r.kind = 6 THEN r.value2 END AS reap_cause
FROM record r
JOIN run ON run.run_id = r.run_id
LEFT JOIN thread t ON t.run_id = r.run_id AND t.utid = r.utid
WHERE r.kind BETWEEN 3 AND 6;
