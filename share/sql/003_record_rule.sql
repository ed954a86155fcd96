-- sentry event log, schema version 3.
--
-- A record names the rule of Linux that decided its outcome, where one did:
-- why a setpgid or setsid failed, which step of the search for a new parent
-- chose the adopter, what the receiver's disposition made of a signal, a
-- thread killed by another thread's exec. `rule` lists them with a sentence
-- each (the same words `inspect explain` and `replay` use). Rows written at
-- versions 1 and 2 hold 0 (none).
ALTER TABLE record ADD COLUMN rule INTEGER NOT NULL DEFAULT 0;

CREATE TABLE rule (id INTEGER PRIMARY KEY, name TEXT NOT NULL, meaning TEXT NOT NULL);

-- Records with their kind's and rule's names.
DROP VIEW record_named;
CREATE VIEW record_named AS
SELECT r.run_id, r.seq, r.idx, r.time_ns - run.start_time_ns AS ts, k.name AS kind, r.utid, r.tid,
       r.other_utid, r.other_tid, r.value, r.value2, r.detail, u.name AS rule
FROM record r JOIN record_kind k ON k.id = r.kind JOIN run ON run.run_id = r.run_id
LEFT JOIN rule u ON u.id = r.rule;

-- Process groups the kernel found newly orphaned with a stopped member, one
-- row per group and moment. leader_pid was the receiver of the signals in
-- versions 1 and 2; it is the group's leader (the process whose pid is the
-- group's id) while it was still a member then, NULL once it had died or
-- left; receivers lists the members the kernel sent them to.
DROP VIEW orphaned_group;
CREATE VIEW orphaned_group AS
SELECT s.run_id, s.seq, s.ts, pgm.pgid,
       (SELECT p.pid FROM process p
        JOIN process_group_member m ON m.run_id = p.run_id AND m.upid = p.upid
        WHERE p.run_id = s.run_id AND p.pid = pgm.pgid AND m.pgid = pgm.pgid
          AND m.join_ts <= s.ts AND (m.leave_ts IS NULL OR m.leave_ts > s.ts)
          AND (p.exit_ts IS NULL OR p.exit_ts > s.ts)
        LIMIT 1) AS leader_pid,
       group_concat(DISTINCT s.receiver_tid) AS receivers,
       group_concat(sn.name, '+') AS signals
FROM signal s
JOIN thread t ON t.run_id = s.run_id AND t.utid = s.receiver_utid
JOIN process_group_member pgm ON pgm.run_id = s.run_id AND pgm.upid = t.upid
  AND pgm.join_ts <= s.ts AND (pgm.leave_ts IS NULL OR pgm.leave_ts >= s.ts)
JOIN signal_name sn ON sn.signo = s.signo
WHERE s.delivered = 0 AND s.cause = 0
GROUP BY s.run_id, s.seq, pgm.pgid;

-- A signal cause of version 3: the user quit a `sentry run --step`.
INSERT OR IGNORE INTO signal_cause VALUES (9, 'killed by the sentry: the user quit while stepping');

-- The process tree is walked from each parent to its children (the
-- process_tree view, `inspect tree`): without this index each step of the
-- walk searched all of the run's processes, which made the walk quadratic.
CREATE INDEX process_by_parent ON process(run_id, parent_upid);
