-- sentry event log, schema version 1.
--
-- One file holds many runs of `sentry run`. Two raw tables are the truth:
-- `observation` (what the host showed, enough to rebuild the model exactly:
-- `sentry replay --db` reads it) and `record` (what the model did with each
-- observation). The other tables are the same facts arranged for questions,
-- named as Perfetto's trace processor names its tables where it has the
-- concept (process/thread with never-reused upid/utid beside the host's
-- pid/tid). Every table is keyed by run_id first.
--
-- Times: `ts` columns are nanoseconds since the run started (the run's
-- start_ts is wall-clock nanoseconds since the Unix epoch); the raw tables
-- keep the sentry's CLOCK_MONOTONIC time as `time_ns`.
--
-- Names of numbers (signals, errnos, record kinds, reap causes, stop kinds,
-- wait codes and options) are in the lookup tables at the end; the views
-- join them, so plain `sqlite3` reads everything without custom functions.

-- One row per `sentry run`.
CREATE TABLE run (
  run_id INTEGER PRIMARY KEY,           -- 1, 2, … in the order runs started
  command TEXT NOT NULL,                -- argv joined by spaces, for reading
  argv TEXT NOT NULL,                   -- argv as a JSON array of strings
  cwd TEXT NOT NULL,                    -- the sentry's working directory
  start_ts INTEGER NOT NULL,            -- wall clock, ns since the Unix epoch
  start_time_ns INTEGER NOT NULL,       -- CLOCK_MONOTONIC at start: raw time_ns - this = ts
  end_ts INTEGER,                       -- wall clock at the end; NULL while running
  exit_code INTEGER,                    -- the sentry's exit code (128+N: killed by signal N)
  state TEXT NOT NULL CHECK (state IN ('running', 'finished', 'interrupted')),
  sentry_version TEXT NOT NULL,
  sentry_pid INTEGER NOT NULL,          -- with sentry_start and boot_id: is it still running?
  sentry_start INTEGER NOT NULL,        -- the sentry's start time in clock ticks since boot
  boot_id TEXT NOT NULL,                -- /proc/sys/kernel/random/boot_id of the host
  hostname TEXT NOT NULL,
  pidns INTEGER NOT NULL DEFAULT 0,     -- 1: the workload ran in a PID namespace of its own
  observations INTEGER NOT NULL DEFAULT 0,  -- written so far (updated with each batch)
  records INTEGER NOT NULL DEFAULT 0,
  divergences INTEGER NOT NULL DEFAULT 0
);

-- Every observation, in order: its kind, the thread it concerns and its
-- values in columns a..g, text and list, whose meaning depends on the kind
-- (observation_kind says what each means). Replay reads them back exactly.
CREATE TABLE observation (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  seq INTEGER NOT NULL,                 -- 1-based position in the run
  time_ns INTEGER NOT NULL,             -- CLOCK_MONOTONIC of the sentry
  kind TEXT NOT NULL,                   -- clone, exec, exit_begin, wait_done, … (observation_kind)
  tid INTEGER NOT NULL,                 -- the host tid it concerns (clone: the caller)
  a INTEGER NOT NULL, b INTEGER NOT NULL, c INTEGER NOT NULL, d INTEGER NOT NULL,
  e INTEGER NOT NULL, f INTEGER NOT NULL, g INTEGER NOT NULL,
  text TEXT,                            -- comm (task_existing, exec)
  list TEXT,                            -- a JSON array: argv, or a clone's nested tids
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- Every record, in order. What subject/other/value/value2 mean depends on
-- the kind: see record_kind.meaning.
CREATE TABLE record (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  seq INTEGER NOT NULL,                 -- the observation that produced it
  idx INTEGER NOT NULL,                 -- its position among that observation's records
  time_ns INTEGER NOT NULL,
  kind INTEGER NOT NULL REFERENCES record_kind(id),
  utid INTEGER,                         -- subject task (never reused within the run)
  tid INTEGER,                          -- subject's host tid
  other_utid INTEGER,                   -- the other party (0: none)
  other_tid INTEGER,
  value INTEGER NOT NULL,
  value2 INTEGER NOT NULL,
  detail TEXT NOT NULL,                 -- words; always set for divergences
  PRIMARY KEY (run_id, seq, idx)
) WITHOUT ROWID;

-- One row per task (thread) the model saw.
CREATE TABLE thread (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  utid INTEGER NOT NULL,                -- never reused within the run
  tid INTEGER NOT NULL,                 -- host (root namespace) tid
  ns_tids TEXT NOT NULL,                -- its tid in each PID namespace, outermost first ("4711 1")
  upid INTEGER NOT NULL,                -- its process
  creator_utid INTEGER,                 -- the thread that cloned it (NULL: it existed before)
  clone_flags INTEGER,                  -- as passed to clone (NULL: unknown)
  is_main_thread INTEGER NOT NULL,      -- 1: it was created as its process's leader
  start_ts INTEGER NOT NULL,
  exit_ts INTEGER,                      -- it entered the exit path
  end_ts INTEGER,                       -- it finished exiting (a leader is then a zombie)
  PRIMARY KEY (run_id, utid)
) WITHOUT ROWID;

-- One row per process (thread group) the model saw.
CREATE TABLE process (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  upid INTEGER NOT NULL,                -- never reused within the run
  pid INTEGER NOT NULL,                 -- host (root namespace) pid
  ns_pids TEXT NOT NULL,                -- its pid in each PID namespace, outermost first
  parent_upid INTEGER,                  -- the parent it was born to (NULL: outside the sandbox)
  ppid INTEGER,                         -- that parent's pid (0: outside)
  creator_utid INTEGER,                 -- the thread whose clone made it
  comm TEXT NOT NULL,                   -- the name at the end (or now)
  argv TEXT NOT NULL,                   -- JSON array: the last exec's argv
  exit_signal INTEGER,                  -- the signal its death sends its parent (17: SIGCHLD)
  start_ts INTEGER NOT NULL,
  exec_count INTEGER NOT NULL DEFAULT 0,
  exit_ts INTEGER,                      -- its exit began (the first thread's, for a group exit)
  zombie_ts INTEGER,                    -- it became a zombie
  reaped_ts INTEGER,                    -- it was reaped (waited for or auto-reaped)
  wait_status INTEGER,                  -- the wait(2) status word of its exit
  exit_code INTEGER,                    -- exit(N)'s N; NULL when killed
  exit_signo INTEGER,                   -- the signal that killed it; NULL when it exited
  core_dumped INTEGER,
  reaper_upid INTEGER,                  -- who reaped it (NULL: nobody in the sandbox)
  reap_cause INTEGER REFERENCES reap_cause(id),
  last_parent_upid INTEGER,             -- its parent at the end (after reparentings)
  PRIMARY KEY (run_id, upid)
) WITHOUT ROWID;

-- Process groups and sessions: when they existed.
CREATE TABLE process_group (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  pgid INTEGER NOT NULL,
  sid INTEGER NOT NULL,
  created_ts INTEGER NOT NULL,
  gone_ts INTEGER,
  creator_utid INTEGER                  -- whose setpgid/setsid/fork made it
);
CREATE TABLE session (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  sid INTEGER NOT NULL,
  leader_utid INTEGER,
  created_ts INTEGER NOT NULL,
  gone_ts INTEGER
);
-- Which process was in which group, from when until when (a fork joins its
-- parent's group; setpgid and setsid move it; reaping ends the membership).
CREATE TABLE process_group_member (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  upid INTEGER NOT NULL,
  pgid INTEGER NOT NULL,
  sid INTEGER NOT NULL,
  join_ts INTEGER NOT NULL,
  leave_ts INTEGER
);

-- The exit-state timeline of every task: one row per step.
CREATE TABLE exit (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  utid INTEGER NOT NULL,
  upid INTEGER NOT NULL,
  tid INTEGER NOT NULL,
  -- (OR, not IN: an IN list costs SQLite a temporary b-tree on every insert)
  step TEXT NOT NULL CHECK (step = 'exit_initiated' OR step = 'zombie' OR
                            step = 'parent_notified' OR step = 'reaped'),
  wait_status INTEGER,                  -- the status word (exit_initiated, zombie, reaped)
  group_exit INTEGER,                   -- exit_initiated: 1 for exit_group or a fatal signal
  other_utid INTEGER,                   -- parent_notified: the parent; reaped: the reaper
  signo INTEGER,                        -- parent_notified: the signal sent (0: none)
  reap_cause INTEGER REFERENCES reap_cause(id)
);

-- Every wait4/waitid that returned, and what it returned. Names (comm,
-- options, the result) are as they were at the wait, in words, so the
-- common questions need no join.
CREATE TABLE wait (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  waiter_utid INTEGER NOT NULL,
  waiter_upid INTEGER NOT NULL,
  waiter_tid INTEGER NOT NULL,
  waiter_pid INTEGER NOT NULL,          -- its process's host pid
  waiter_comm TEXT NOT NULL,            -- its process's name at the wait
  idtype INTEGER NOT NULL,              -- 0 P_ALL, 1 P_PID, 2 P_PGID (wait4's pid translated)
  id INTEGER NOT NULL,
  options INTEGER NOT NULL,             -- Linux's bits; see wait_option
  options_text TEXT NOT NULL,           -- the same in words: WNOHANG|WEXITED
  result INTEGER NOT NULL,              -- the pid reported, 0 (WNOHANG, nothing), or -errno
  returned TEXT NOT NULL,               -- in words: exited 3, killed by SIGKILL, ECHILD, …
  errno INTEGER,                        -- when result < 0
  target_utid INTEGER,                  -- the child it reported
  target_upid INTEGER,
  target_pid INTEGER,                   -- its host pid
  target_comm TEXT,                     -- its name at the wait
  cld_code INTEGER,                     -- CLD_EXITED … CLD_CONTINUED (see cld_code); 0: not told
  status INTEGER,                       -- exit code or signal, as waitid's si_status
  consumed INTEGER,                     -- 1: the event was used up (no WNOWAIT); reaped for exits
  child_utime_ns INTEGER,               -- the rusage the reaped child brought (consumed exits)
  child_stime_ns INTEGER,
  PRIMARY KEY (run_id, seq)             -- one wait per observation; appends in this order
) WITHOUT ROWID;

-- Signals delivered to a task (seen at its signal-delivery stop) and
-- signals the model predicted the kernel would send (and why).
CREATE TABLE signal (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  receiver_utid INTEGER NOT NULL,
  receiver_tid INTEGER NOT NULL,
  sender_utid INTEGER,                  -- NULL: the kernel or someone outside the sandbox
  sender_tid INTEGER,
  signo INTEGER NOT NULL,
  si_code INTEGER,                      -- delivered: siginfo's si_code
  delivered INTEGER NOT NULL,           -- 1 delivered, 0 predicted
  cause INTEGER REFERENCES signal_cause(id)  -- predicted: why
);

-- Stops: a task's internal stop (group stop, vfork, exec, ptrace) from
-- start to end (NULL end: still stopped when the log ends).
CREATE TABLE stop (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  utid INTEGER NOT NULL,
  upid INTEGER NOT NULL,
  tid INTEGER NOT NULL,
  kind INTEGER NOT NULL REFERENCES stop_kind(id),
  signo INTEGER,                        -- group stops: the stop signal
  start_seq INTEGER NOT NULL,
  start_ts INTEGER NOT NULL,
  end_seq INTEGER,
  end_ts INTEGER
);

-- Where the host did something other than what the model predicted (the
-- host's fact won).
CREATE TABLE divergence (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  utid INTEGER,
  tid INTEGER,
  other_utid INTEGER,
  other_tid INTEGER,
  model INTEGER,                        -- what the model expected (kind-specific number)
  host INTEGER,                         -- what the host did
  detail TEXT NOT NULL
);

-- Lookup tables (filled by the sentry when it creates the file).
CREATE TABLE record_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL, meaning TEXT NOT NULL);
CREATE TABLE observation_kind (name TEXT PRIMARY KEY, columns TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE signal_name (signo INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE errno_name (errno INTEGER PRIMARY KEY, name TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE reap_cause (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE signal_cause (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE stop_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE cld_code (code INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE wait_option (bit INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE si_code (code INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- No secondary indexes: every table grows by appends in its key's order (or
-- updates by key), one b-tree write a row. A second b-tree (an index) would
-- double that and make SQLite journal every statement; the questions scan
-- one run's rows instead (`share/bench.sh db` measures both).

-- ---------------------------------------------------------------------------
-- Views for the common questions.

-- A wait(2) status in words: "exited 3", "killed by SIGKILL (core dumped)".
CREATE VIEW process_summary AS
SELECT p.run_id, p.upid, p.pid, p.ns_pids, p.ppid, p.parent_upid, p.last_parent_upid, p.comm,
       p.argv, p.start_ts, p.exit_ts, p.zombie_ts, p.reaped_ts,
       CASE
         WHEN p.wait_status IS NULL THEN NULL
         WHEN p.exit_signo IS NOT NULL THEN
           'killed by ' || coalesce(s.name, 'signal ' || p.exit_signo) ||
           CASE WHEN p.core_dumped THEN ' (core dumped)' ELSE '' END
         ELSE 'exited ' || p.exit_code
       END AS status,
       CASE
         WHEN p.reaped_ts IS NOT NULL THEN 'reaped'
         WHEN p.zombie_ts IS NOT NULL THEN 'zombie'
         WHEN p.exit_ts IS NOT NULL THEN 'exiting'
         ELSE 'alive'
       END AS state,
       p.reaper_upid, rc.name AS reap_cause
FROM process p
LEFT JOIN signal_name s ON s.signo = p.exit_signo
LEFT JOIN reap_cause rc ON rc.id = p.reap_cause;

-- Who waited for whom, with what, and what it got.
CREATE VIEW wait_history AS
SELECT run_id, seq, ts, waiter_tid, waiter_pid, waiter_comm,
       CASE idtype WHEN 0 THEN 'any child' WHEN 1 THEN 'pid ' || id
                   WHEN 2 THEN CASE id WHEN 0 THEN 'own group' ELSE 'group ' || id END
       END AS target,
       options_text AS options, result, returned, target_pid, target_comm, target_upid,
       consumed, child_utime_ns, child_stime_ns
FROM wait;

-- Processes that were zombies when their run's log ends, and who should
-- have reaped them.
CREATE VIEW zombie_at_end AS
SELECT p.run_id, p.upid, p.pid, p.comm, p.zombie_ts, p.status,
       p.last_parent_upid, pp.pid AS parent_pid, pp.comm AS parent_comm,
       pp.state AS parent_state
FROM process_summary p
LEFT JOIN process_summary pp ON pp.run_id = p.run_id AND pp.upid = p.last_parent_upid
WHERE p.state = 'zombie';

-- How long each process lived, and how it ended.
CREATE VIEW lifetime AS
SELECT run_id, upid, pid, comm, start_ts, coalesce(zombie_ts, exit_ts) AS end_ts,
       coalesce(zombie_ts, exit_ts) - start_ts AS duration_ns,
       reaped_ts - zombie_ts AS zombie_ns, status, state
FROM process_summary;

-- Process groups the kernel found newly orphaned with a stopped member, and
-- so sent SIGHUP and SIGCONT (Linux kill_orphaned_pgrp).
CREATE VIEW orphaned_group AS
SELECT s.run_id, s.seq, s.ts, pgm.pgid, s.receiver_tid AS leader_pid,
       group_concat(sn.name, '+') AS signals
FROM signal s
JOIN thread t ON t.run_id = s.run_id AND t.utid = s.receiver_utid
JOIN process_group_member pgm ON pgm.run_id = s.run_id AND pgm.upid = t.upid
  AND pgm.join_ts <= s.ts AND (pgm.leave_ts IS NULL OR pgm.leave_ts >= s.ts)
JOIN signal_name sn ON sn.signo = s.signo
WHERE s.delivered = 0 AND s.cause = 0
GROUP BY s.run_id, s.seq, pgm.pgid;

-- The process tree as each process was born into it, depth-first.
CREATE VIEW process_tree AS
WITH RECURSIVE tree(run_id, upid, depth, path) AS (
  SELECT run_id, upid, 0, printf('%08d', upid) FROM process
  WHERE parent_upid IS NULL
  UNION ALL
  SELECT p.run_id, p.upid, tree.depth + 1, tree.path || '/' || printf('%08d', p.upid)
  FROM process p JOIN tree ON p.run_id = tree.run_id AND p.parent_upid = tree.upid
)
SELECT tree.run_id, tree.depth, tree.path, s.upid, s.pid, s.ppid, s.comm, s.state, s.status
FROM tree JOIN process_summary s ON s.run_id = tree.run_id AND s.upid = tree.upid;

-- Records with their kind's name.
CREATE VIEW record_named AS
SELECT r.run_id, r.seq, r.idx, r.time_ns - run.start_time_ns AS ts, k.name AS kind, r.utid, r.tid,
       r.other_utid, r.other_tid, r.value, r.value2, r.detail
FROM record r JOIN record_kind k ON k.id = r.kind JOIN run ON run.run_id = r.run_id;
