-- A run of `sh -c '(sleep 0.1; exit 4) & wait; kill -9 $$'` as sentry 0.x wrote it at
-- schema version 1 (commit d6cfe80), dumped with sqlite3's .dump. The dump
-- leaves out the file header's application_id and user_version: the
-- migration test sets them. Do not edit: it stands for files already written.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
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
INSERT INTO run VALUES(1,'sh -c (sleep 0.1; exit 4) & wait; kill -9 $$','["sh","-c","(sleep 0.1; exit 4) & wait; kill -9 $$"]','/tmp',1796164137435785534,44310885904449,1796164137620532436,137,'finished','0.1.0',10340,4431067,'43933f38-fec3-47e3-ab19-383b4f947cc4','vm',0,31,42,0);
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
INSERT INTO observation VALUES(1,1,44310940412809,'task_existing',10340,10340,0,10336,7529,0,0,1,'sentry','["/work/main/build-asan/sentry/cmd/sentry","run","--no-tty","--db","/tmp/v1.db","--","sh","-c","(sleep 0.1; exit 4) & wait; kill -9 $$"]');
INSERT INTO observation VALUES(1,2,44310959341880,'clone',10340,10346,0,17,0,0,0,0,'sentry-session',NULL);
INSERT INTO observation VALUES(1,3,44310961794954,'setsid',10346,10346,0,0,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,4,44310962679833,'clone',10346,10347,0,17,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,5,44310965218369,'wait_start',10346,1,10347,4,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,6,44310969807185,'exec',10347,0,0,0,0,0,0,0,'sh','["sh","-c","(sleep 0.1; exit 4) & wait; kill -9 $$"]');
INSERT INTO observation VALUES(1,7,44310971744570,'sigchld_action',10347,2,0,0,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,8,44310972415723,'clone',10347,10349,18874368,17,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,9,44310974257577,'clone',10349,10350,16640,17,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,10,44310975364388,'vfork_done',10349,0,0,0,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,11,44310976093921,'exec',10350,0,0,0,0,0,0,0,'sleep','["sleep","0.1"]');
INSERT INTO observation VALUES(1,12,44310976170677,'wait_start',10349,0,0,4,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,13,44311079364330,'exit_begin',10350,0,0,0,1,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,14,44311080442556,'exit_end',10350,0,0,0,3256000,428000,1564,0,NULL,NULL);
INSERT INTO observation VALUES(1,15,44311080966179,'wait_done',10349,0,0,4,10350,1,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,16,44311081631592,'signal',10349,17,1,0,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,17,44311081985884,'wait_start',10349,0,0,5,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,18,44311082172919,'wait_done',10349,0,0,5,-10,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,19,44311082750655,'exit_begin',10349,4,0,0,1,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,20,44311083398293,'exit_end',10349,4,0,0,5274000,428000,1564,0,NULL,NULL);
INSERT INTO observation VALUES(1,21,44311084564436,'signal',10347,17,1,0,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,22,44311085083140,'wait_start',10347,0,0,5,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,23,44311085608837,'wait_done',10347,0,0,5,10349,1,4,0,NULL,NULL);
INSERT INTO observation VALUES(1,24,44311085974170,'wait_start',10347,0,0,5,0,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,25,44311086098375,'wait_done',10347,0,0,5,-10,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,26,44311086356095,'exit_begin',10347,0,9,0,1,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,27,44311086802671,'exit_end',10347,0,9,0,10328000,4133000,49584,0,NULL,NULL);
INSERT INTO observation VALUES(1,28,44311087116166,'wait_done',10346,1,10347,4,10347,2,9,0,NULL,NULL);
INSERT INTO observation VALUES(1,29,44311087507519,'exit_begin',10346,137,0,0,1,0,0,0,NULL,NULL);
INSERT INTO observation VALUES(1,30,44311090946123,'exit_end',10346,137,0,0,19011000,11676000,50292,0,NULL,NULL);
INSERT INTO observation VALUES(1,31,44311090991198,'wait_done',10340,0,0,1073741828,10346,1,137,0,NULL,NULL);
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
INSERT INTO record VALUES(1,1,0,44310940412809,8,3,10340,0,0,7529,0,'pre-existing');
INSERT INTO record VALUES(1,1,1,44310940412809,10,3,10340,0,0,10336,7529,'pre-existing');
INSERT INTO record VALUES(1,1,2,44310940412809,0,3,10340,0,0,10340,17,'pre-existing');
INSERT INTO record VALUES(1,2,0,44310959341880,0,5,10346,3,10340,10346,17,'');
INSERT INTO record VALUES(1,3,0,44310961794954,13,5,10346,0,0,10346,0,'');
INSERT INTO record VALUES(1,3,1,44310961794954,8,5,10346,0,0,10346,0,'');
INSERT INTO record VALUES(1,3,2,44310961794954,10,5,10346,0,0,10346,10346,'');
INSERT INTO record VALUES(1,3,3,44310961794954,12,5,10346,0,0,10346,10336,'');
INSERT INTO record VALUES(1,4,0,44310962679833,0,7,10347,5,10346,10347,17,'');
INSERT INTO record VALUES(1,6,0,44310969807185,2,7,10347,0,0,10347,10347,'sh');
INSERT INTO record VALUES(1,7,0,44310971744570,21,7,10347,7,10347,2,0,'');
INSERT INTO record VALUES(1,8,0,44310972415723,0,9,10349,7,10347,10349,17,'');
INSERT INTO record VALUES(1,9,0,44310974257577,17,9,10349,0,0,2,0,'');
INSERT INTO record VALUES(1,9,1,44310974257577,0,11,10350,9,10349,10350,17,'');
INSERT INTO record VALUES(1,10,0,44310975364388,17,9,10349,0,0,0,0,'');
INSERT INTO record VALUES(1,11,0,44310976093921,2,11,10350,0,0,10350,10350,'sleep');
INSERT INTO record VALUES(1,13,0,44311079364330,3,11,10350,0,0,0,1,'');
INSERT INTO record VALUES(1,14,0,44311080442556,4,11,10350,0,0,0,0,'');
INSERT INTO record VALUES(1,14,1,44311080442556,5,11,10350,9,10349,17,0,'');
INSERT INTO record VALUES(1,15,0,44311080966179,20,9,10349,11,10350,10350,1,'');
INSERT INTO record VALUES(1,15,1,44311080966179,6,11,10350,9,10349,0,0,'');
INSERT INTO record VALUES(1,16,0,44311081631592,18,9,10349,0,0,17,1,'');
INSERT INTO record VALUES(1,18,0,44311082172919,20,9,10349,0,0,-10,0,'');
INSERT INTO record VALUES(1,19,0,44311082750655,3,9,10349,0,0,1024,1,'');
INSERT INTO record VALUES(1,20,0,44311083398293,4,9,10349,0,0,1024,0,'');
INSERT INTO record VALUES(1,20,1,44311083398293,5,9,10349,7,10347,17,0,'');
INSERT INTO record VALUES(1,21,0,44311084564436,18,7,10347,0,0,17,1,'');
INSERT INTO record VALUES(1,23,0,44311085608837,20,7,10347,9,10349,10349,1,'');
INSERT INTO record VALUES(1,23,1,44311085608837,6,9,10349,7,10347,1024,0,'');
INSERT INTO record VALUES(1,25,0,44311086098375,20,7,10347,0,0,-10,0,'');
INSERT INTO record VALUES(1,26,0,44311086356095,3,7,10347,0,0,9,1,'');
INSERT INTO record VALUES(1,27,0,44311086802671,4,7,10347,0,0,9,0,'');
INSERT INTO record VALUES(1,27,1,44311086802671,5,7,10347,5,10346,17,0,'');
INSERT INTO record VALUES(1,28,0,44311087116166,20,5,10346,7,10347,10347,2,'');
INSERT INTO record VALUES(1,28,1,44311087116166,6,7,10347,5,10346,9,0,'');
INSERT INTO record VALUES(1,29,0,44311087507519,3,5,10346,0,0,35072,1,'');
INSERT INTO record VALUES(1,30,0,44311090946123,4,5,10346,0,0,35072,0,'');
INSERT INTO record VALUES(1,30,1,44311090946123,5,5,10346,3,10340,17,0,'');
INSERT INTO record VALUES(1,31,0,44311090991198,20,3,10340,5,10346,10346,1,'');
INSERT INTO record VALUES(1,31,1,44311090991198,6,5,10346,3,10340,35072,0,'');
INSERT INTO record VALUES(1,31,2,44311090991198,11,0,0,0,0,10346,10346,'');
INSERT INTO record VALUES(1,31,3,44311090991198,9,0,0,0,0,10346,0,'');
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
INSERT INTO thread VALUES(1,3,10340,'10340',2,NULL,NULL,1,54508360,NULL,NULL);
INSERT INTO thread VALUES(1,5,10346,'10346',4,3,0,1,73437431,201603070,205041674);
INSERT INTO thread VALUES(1,7,10347,'10347',6,5,0,1,76775384,200451646,200898222);
INSERT INTO thread VALUES(1,9,10349,'10349',8,7,18874368,1,86511274,196846206,197493844);
INSERT INTO thread VALUES(1,11,10350,'10350',10,9,16640,1,88353128,193459881,194538107);
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
INSERT INTO process VALUES(1,2,10340,'10340',NULL,0,NULL,'sentry','["/work/main/build-asan/sentry/cmd/sentry","run","--no-tty","--db","/tmp/v1.db","--","sh","-c","(sleep 0.1; exit 4) & wait; kill -9 $$"]',17,54508360,0,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO process VALUES(1,4,10346,'10346',2,10340,3,'sentry-session','["/work/main/build-asan/sentry/cmd/sentry","run","--no-tty","--db","/tmp/v1.db","--","sh","-c","(sleep 0.1; exit 4) & wait; kill -9 $$"]',17,73437431,0,201603070,205041674,205086749,35072,137,NULL,0,2,0,2);
INSERT INTO process VALUES(1,6,10347,'10347',4,10346,5,'sh','["sh","-c","(sleep 0.1; exit 4) & wait; kill -9 $$"]',17,76775384,1,200451646,200898222,201211717,9,NULL,9,0,4,0,4);
INSERT INTO process VALUES(1,8,10349,'10349',6,10347,7,'sh','["sh","-c","(sleep 0.1; exit 4) & wait; kill -9 $$"]',17,86511274,0,196846206,197493844,199704388,1024,4,NULL,0,6,0,6);
INSERT INTO process VALUES(1,10,10350,'10350',8,10349,9,'sleep','["sleep","0.1"]',17,88353128,1,193459881,194538107,195061730,0,0,NULL,0,8,0,8);
CREATE TABLE process_group (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  pgid INTEGER NOT NULL,
  sid INTEGER NOT NULL,
  created_ts INTEGER NOT NULL,
  gone_ts INTEGER,
  creator_utid INTEGER                  -- whose setpgid/setsid/fork made it
);
INSERT INTO process_group VALUES(1,10336,7529,54508360,NULL,3);
INSERT INTO process_group VALUES(1,10346,10346,75890505,205086749,5);
CREATE TABLE session (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  sid INTEGER NOT NULL,
  leader_utid INTEGER,
  created_ts INTEGER NOT NULL,
  gone_ts INTEGER
);
INSERT INTO session VALUES(1,7529,3,54508360,NULL);
INSERT INTO session VALUES(1,10346,5,75890505,205086749);
CREATE TABLE process_group_member (
  run_id INTEGER NOT NULL REFERENCES run(run_id),
  upid INTEGER NOT NULL,
  pgid INTEGER NOT NULL,
  sid INTEGER NOT NULL,
  join_ts INTEGER NOT NULL,
  leave_ts INTEGER
);
INSERT INTO process_group_member VALUES(1,2,10336,7529,54508360,NULL);
INSERT INTO process_group_member VALUES(1,4,10336,7529,73437431,75890505);
INSERT INTO process_group_member VALUES(1,4,10346,10346,75890505,205086749);
INSERT INTO process_group_member VALUES(1,6,10346,10346,76775384,201211717);
INSERT INTO process_group_member VALUES(1,8,10346,10346,86511274,199704388);
INSERT INTO process_group_member VALUES(1,10,10346,10346,88353128,195061730);
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
INSERT INTO exit VALUES(1,13,193459881,11,10,10350,'exit_initiated',0,1,NULL,NULL,NULL);
INSERT INTO exit VALUES(1,14,194538107,11,10,10350,'zombie',0,NULL,NULL,NULL,NULL);
INSERT INTO exit VALUES(1,14,194538107,11,10,10350,'parent_notified',NULL,NULL,9,17,NULL);
INSERT INTO exit VALUES(1,15,195061730,11,10,10350,'reaped',0,NULL,9,NULL,0);
INSERT INTO exit VALUES(1,19,196846206,9,8,10349,'exit_initiated',1024,1,NULL,NULL,NULL);
INSERT INTO exit VALUES(1,20,197493844,9,8,10349,'zombie',1024,NULL,NULL,NULL,NULL);
INSERT INTO exit VALUES(1,20,197493844,9,8,10349,'parent_notified',NULL,NULL,7,17,NULL);
INSERT INTO exit VALUES(1,23,199704388,9,8,10349,'reaped',1024,NULL,7,NULL,0);
INSERT INTO exit VALUES(1,26,200451646,7,6,10347,'exit_initiated',9,1,NULL,NULL,NULL);
INSERT INTO exit VALUES(1,27,200898222,7,6,10347,'zombie',9,NULL,NULL,NULL,NULL);
INSERT INTO exit VALUES(1,27,200898222,7,6,10347,'parent_notified',NULL,NULL,5,17,NULL);
INSERT INTO exit VALUES(1,28,201211717,7,6,10347,'reaped',9,NULL,5,NULL,0);
INSERT INTO exit VALUES(1,29,201603070,5,4,10346,'exit_initiated',35072,1,NULL,NULL,NULL);
INSERT INTO exit VALUES(1,30,205041674,5,4,10346,'zombie',35072,NULL,NULL,NULL,NULL);
INSERT INTO exit VALUES(1,30,205041674,5,4,10346,'parent_notified',NULL,NULL,3,17,NULL);
INSERT INTO exit VALUES(1,31,205086749,5,4,10346,'reaped',35072,NULL,3,NULL,0);
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
INSERT INTO wait VALUES(1,15,195061730,9,8,10349,10349,'sh',0,0,4,'WEXITED',10350,'exited 0',NULL,11,10,10350,'sleep',1,0,1,3256000,428000);
INSERT INTO wait VALUES(1,18,196268470,9,8,10349,10349,'sh',0,0,5,'WNOHANG|WEXITED',-10,'ECHILD',10,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO wait VALUES(1,23,199704388,7,6,10347,10347,'sh',0,0,5,'WNOHANG|WEXITED',10349,'exited 4',NULL,9,8,10349,'sh',1,4,1,5274000,428000);
INSERT INTO wait VALUES(1,25,200193926,7,6,10347,10347,'sh',0,0,5,'WNOHANG|WEXITED',-10,'ECHILD',10,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
INSERT INTO wait VALUES(1,28,201211717,5,4,10346,10346,'sentry-session',1,10347,4,'WEXITED',10347,'killed by SIGKILL',NULL,7,6,10347,'sh',2,9,1,10328000,4133000);
INSERT INTO wait VALUES(1,31,205086749,3,2,10340,10340,'sentry',0,0,1073741828,'WEXITED|__WALL',10346,'exited 137',NULL,5,4,10346,'sentry-session',1,137,1,19011000,11676000);
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
INSERT INTO signal VALUES(1,16,195727143,9,10349,NULL,NULL,17,1,1,NULL);
INSERT INTO signal VALUES(1,21,198659987,7,10347,NULL,NULL,17,1,1,NULL);
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
INSERT INTO stop VALUES(1,9,8,10349,2,NULL,9,88353128,10,89459939);
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
CREATE TABLE record_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL, meaning TEXT NOT NULL);
INSERT INTO record_kind VALUES(0,'task_created','subject: new task; other: its creator; value: tgid; value2: exit signal');
INSERT INTO record_kind VALUES(1,'clone_failed','subject: caller; value: errno; value2: clone flags');
INSERT INTO record_kind VALUES(2,'exec','subject: exec-ing task; value: tid before; value2: tid after');
INSERT INTO record_kind VALUES(3,'exit_initiated','subject: task; value: wait status; value2: 1 for a group exit');
INSERT INTO record_kind VALUES(4,'zombie','subject: task; value: wait status');
INSERT INTO record_kind VALUES(5,'parent_notified','subject: exited leader; other: parent; value: signal sent; value2: 1 if ignored');
INSERT INTO record_kind VALUES(6,'reaped','subject: reaped task; other: reaper (0: automatic); value: wait status; value2: reap_cause');
INSERT INTO record_kind VALUES(7,'reparented','subject: child; other: new parent; value: old parent tid; value2: 1 when the host showed an exiting adopter the model had passed over');
INSERT INTO record_kind VALUES(8,'session_created','subject: leader; value: sid');
INSERT INTO record_kind VALUES(9,'session_gone','value: sid');
INSERT INTO record_kind VALUES(10,'pgrp_created','subject: originator; value: pgid; value2: sid');
INSERT INTO record_kind VALUES(11,'pgrp_gone','value: pgid; value2: sid');
INSERT INTO record_kind VALUES(12,'pgrp_joined','subject: thread group leader; value: new pgid; value2: old pgid');
INSERT INTO record_kind VALUES(13,'syscall_result','subject: caller; other: target; value: result; value2: 0 setsid 1 setpgid 2 wait 3 clone');
INSERT INTO record_kind VALUES(14,'group_stop_initiated','subject: first thread; value: stop signal');
INSERT INTO record_kind VALUES(15,'group_stop_completed','subject: last thread; other: parent notified; value: stop signal');
INSERT INTO record_kind VALUES(16,'group_continued','subject: leader; value: 1 if it interrupted an initiated stop');
INSERT INTO record_kind VALUES(17,'stop_changed','subject: task; value: stop_kind; value2: external stop count');
INSERT INTO record_kind VALUES(18,'signal','subject: receiver; other: sender; value: signal; value2: si_code');
INSERT INTO record_kind VALUES(19,'signal_predicted','subject: receiver (leader); other: cause task; value: signal; value2: signal_cause');
INSERT INTO record_kind VALUES(20,'wait_returned','subject: waiter; other: child reported; value: result; value2: CLD code');
INSERT INTO record_kind VALUES(21,'sigchld_disposition','subject: leader; value: 0 SIG_DFL 1 SIG_IGN 2 handler; value2: SA_NOCLDWAIT');
INSERT INTO record_kind VALUES(22,'subreaper','subject: leader; value: 1 subreaper, 0 not');
INSERT INTO record_kind VALUES(23,'pdeathsig','subject: task; value: signal');
INSERT INTO record_kind VALUES(24,'foreground','subject: session leader; value: foreground pgid; value2: tty_nr');
INSERT INTO record_kind VALUES(25,'pidns_created','subject: init task; value: depth');
INSERT INTO record_kind VALUES(26,'divergence','subject: task concerned; other: other party; value: model; value2: host');
CREATE TABLE observation_kind (name TEXT PRIMARY KEY, columns TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO observation_kind VALUES('clone','tid the caller; a child, b flags, c exit signal, d errno, e pgid forked into; text the child''s name if not the caller''s; list nested tids');
INSERT INTO observation_kind VALUES('controlling_tty','a tty_nr');
INSERT INTO observation_kind VALUES('drop_controlling_tty','-');
INSERT INTO observation_kind VALUES('exec','tid before the exec; a uid, b gid; text comm, list argv');
INSERT INTO observation_kind VALUES('exec_start','-');
INSERT INTO observation_kind VALUES('exit_begin','a exit code, b signal, c core dumped, d group exit');
INSERT INTO observation_kind VALUES('exit_end','a exit code, b signal, c core dumped, d utime ns, e stime ns, f maxrss kB');
INSERT INTO observation_kind VALUES('external_stop','a stopped (tid 0: every task)');
INSERT INTO observation_kind VALUES('foreground','a pgid');
INSERT INTO observation_kind VALUES('group_continue','-');
INSERT INTO observation_kind VALUES('group_stop','a signal');
INSERT INTO observation_kind VALUES('parent','a parent tid');
INSERT INTO observation_kind VALUES('pdeathsig','a signal');
INSERT INTO observation_kind VALUES('sentry_signal','tid the receiver; a the sentry''s tid, b signal, c signal_cause');
INSERT INTO observation_kind VALUES('setpgid','a pid, b pgid, c result');
INSERT INTO observation_kind VALUES('setsid','a result');
INSERT INTO observation_kind VALUES('sigchld_action','a disposition (0 default, 1 ignore, 2 handler), b SA_NOCLDWAIT');
INSERT INTO observation_kind VALUES('signal','a signal, b si_code, c sender tid');
INSERT INTO observation_kind VALUES('subreaper','a enabled');
INSERT INTO observation_kind VALUES('task_existing','a tgid, b parent, c pgid, d sid, e uid, f gid, g subreaper; text comm, list argv');
INSERT INTO observation_kind VALUES('trace_stop','a stopped');
INSERT INTO observation_kind VALUES('unshare_pidns','-');
INSERT INTO observation_kind VALUES('vfork_done','tid the vfork parent');
INSERT INTO observation_kind VALUES('wait_done','a idtype, b id, c options, d result, e CLD code, f status');
INSERT INTO observation_kind VALUES('wait_start','a idtype, b id, c options');
CREATE TABLE signal_name (signo INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO signal_name VALUES(1,'SIGHUP');
INSERT INTO signal_name VALUES(2,'SIGINT');
INSERT INTO signal_name VALUES(3,'SIGQUIT');
INSERT INTO signal_name VALUES(4,'SIGILL');
INSERT INTO signal_name VALUES(5,'SIGTRAP');
INSERT INTO signal_name VALUES(6,'SIGABRT');
INSERT INTO signal_name VALUES(7,'SIGBUS');
INSERT INTO signal_name VALUES(8,'SIGFPE');
INSERT INTO signal_name VALUES(9,'SIGKILL');
INSERT INTO signal_name VALUES(10,'SIGUSR1');
INSERT INTO signal_name VALUES(11,'SIGSEGV');
INSERT INTO signal_name VALUES(12,'SIGUSR2');
INSERT INTO signal_name VALUES(13,'SIGPIPE');
INSERT INTO signal_name VALUES(14,'SIGALRM');
INSERT INTO signal_name VALUES(15,'SIGTERM');
INSERT INTO signal_name VALUES(16,'SIGSTKFLT');
INSERT INTO signal_name VALUES(17,'SIGCHLD');
INSERT INTO signal_name VALUES(18,'SIGCONT');
INSERT INTO signal_name VALUES(19,'SIGSTOP');
INSERT INTO signal_name VALUES(20,'SIGTSTP');
INSERT INTO signal_name VALUES(21,'SIGTTIN');
INSERT INTO signal_name VALUES(22,'SIGTTOU');
INSERT INTO signal_name VALUES(23,'SIGURG');
INSERT INTO signal_name VALUES(24,'SIGXCPU');
INSERT INTO signal_name VALUES(25,'SIGXFSZ');
INSERT INTO signal_name VALUES(26,'SIGVTALRM');
INSERT INTO signal_name VALUES(27,'SIGPROF');
INSERT INTO signal_name VALUES(28,'SIGWINCH');
INSERT INTO signal_name VALUES(29,'SIGIO');
INSERT INTO signal_name VALUES(30,'SIGPWR');
INSERT INTO signal_name VALUES(31,'SIGSYS');
INSERT INTO signal_name VALUES(32,'SIG32');
INSERT INTO signal_name VALUES(33,'SIG33');
INSERT INTO signal_name VALUES(34,'SIG34');
INSERT INTO signal_name VALUES(35,'SIG35');
INSERT INTO signal_name VALUES(36,'SIG36');
INSERT INTO signal_name VALUES(37,'SIG37');
INSERT INTO signal_name VALUES(38,'SIG38');
INSERT INTO signal_name VALUES(39,'SIG39');
INSERT INTO signal_name VALUES(40,'SIG40');
INSERT INTO signal_name VALUES(41,'SIG41');
INSERT INTO signal_name VALUES(42,'SIG42');
INSERT INTO signal_name VALUES(43,'SIG43');
INSERT INTO signal_name VALUES(44,'SIG44');
INSERT INTO signal_name VALUES(45,'SIG45');
INSERT INTO signal_name VALUES(46,'SIG46');
INSERT INTO signal_name VALUES(47,'SIG47');
INSERT INTO signal_name VALUES(48,'SIG48');
INSERT INTO signal_name VALUES(49,'SIG49');
INSERT INTO signal_name VALUES(50,'SIG50');
INSERT INTO signal_name VALUES(51,'SIG51');
INSERT INTO signal_name VALUES(52,'SIG52');
INSERT INTO signal_name VALUES(53,'SIG53');
INSERT INTO signal_name VALUES(54,'SIG54');
INSERT INTO signal_name VALUES(55,'SIG55');
INSERT INTO signal_name VALUES(56,'SIG56');
INSERT INTO signal_name VALUES(57,'SIG57');
INSERT INTO signal_name VALUES(58,'SIG58');
INSERT INTO signal_name VALUES(59,'SIG59');
INSERT INTO signal_name VALUES(60,'SIG60');
INSERT INTO signal_name VALUES(61,'SIG61');
INSERT INTO signal_name VALUES(62,'SIG62');
INSERT INTO signal_name VALUES(63,'SIG63');
INSERT INTO signal_name VALUES(64,'SIG64');
CREATE TABLE errno_name (errno INTEGER PRIMARY KEY, name TEXT NOT NULL, message TEXT NOT NULL);
INSERT INTO errno_name VALUES(1,'EPERM','Operation not permitted');
INSERT INTO errno_name VALUES(2,'ENOENT','No such file or directory');
INSERT INTO errno_name VALUES(3,'ESRCH','No such process');
INSERT INTO errno_name VALUES(4,'EINTR','Interrupted system call');
INSERT INTO errno_name VALUES(5,'EIO','Input/output error');
INSERT INTO errno_name VALUES(6,'ENXIO','No such device or address');
INSERT INTO errno_name VALUES(7,'E2BIG','Argument list too long');
INSERT INTO errno_name VALUES(8,'ENOEXEC','Exec format error');
INSERT INTO errno_name VALUES(9,'EBADF','Bad file descriptor');
INSERT INTO errno_name VALUES(10,'ECHILD','No child processes');
INSERT INTO errno_name VALUES(11,'EAGAIN','Resource temporarily unavailable');
INSERT INTO errno_name VALUES(12,'ENOMEM','Cannot allocate memory');
INSERT INTO errno_name VALUES(13,'EACCES','Permission denied');
INSERT INTO errno_name VALUES(14,'EFAULT','Bad address');
INSERT INTO errno_name VALUES(15,'ENOTBLK','Block device required');
INSERT INTO errno_name VALUES(16,'EBUSY','Device or resource busy');
INSERT INTO errno_name VALUES(17,'EEXIST','File exists');
INSERT INTO errno_name VALUES(18,'EXDEV','Invalid cross-device link');
INSERT INTO errno_name VALUES(19,'ENODEV','No such device');
INSERT INTO errno_name VALUES(20,'ENOTDIR','Not a directory');
INSERT INTO errno_name VALUES(21,'EISDIR','Is a directory');
INSERT INTO errno_name VALUES(22,'EINVAL','Invalid argument');
INSERT INTO errno_name VALUES(23,'ENFILE','Too many open files in system');
INSERT INTO errno_name VALUES(24,'EMFILE','Too many open files');
INSERT INTO errno_name VALUES(25,'ENOTTY','Inappropriate ioctl for device');
INSERT INTO errno_name VALUES(26,'ETXTBSY','Text file busy');
INSERT INTO errno_name VALUES(27,'EFBIG','File too large');
INSERT INTO errno_name VALUES(28,'ENOSPC','No space left on device');
INSERT INTO errno_name VALUES(29,'ESPIPE','Illegal seek');
INSERT INTO errno_name VALUES(30,'EROFS','Read-only file system');
INSERT INTO errno_name VALUES(31,'EMLINK','Too many links');
INSERT INTO errno_name VALUES(32,'EPIPE','Broken pipe');
INSERT INTO errno_name VALUES(33,'EDOM','Numerical argument out of domain');
INSERT INTO errno_name VALUES(34,'ERANGE','Numerical result out of range');
INSERT INTO errno_name VALUES(35,'EDEADLK','Resource deadlock avoided');
INSERT INTO errno_name VALUES(36,'ENAMETOOLONG','File name too long');
INSERT INTO errno_name VALUES(37,'ENOLCK','No locks available');
INSERT INTO errno_name VALUES(38,'ENOSYS','Function not implemented');
INSERT INTO errno_name VALUES(39,'ENOTEMPTY','Directory not empty');
INSERT INTO errno_name VALUES(40,'ELOOP','Too many levels of symbolic links');
INSERT INTO errno_name VALUES(42,'ENOMSG','No message of desired type');
INSERT INTO errno_name VALUES(43,'EIDRM','Identifier removed');
INSERT INTO errno_name VALUES(44,'ECHRNG','Channel number out of range');
INSERT INTO errno_name VALUES(45,'EL2NSYNC','Level 2 not synchronized');
INSERT INTO errno_name VALUES(46,'EL3HLT','Level 3 halted');
INSERT INTO errno_name VALUES(47,'EL3RST','Level 3 reset');
INSERT INTO errno_name VALUES(48,'ELNRNG','Link number out of range');
INSERT INTO errno_name VALUES(49,'EUNATCH','Protocol driver not attached');
INSERT INTO errno_name VALUES(50,'ENOCSI','No CSI structure available');
INSERT INTO errno_name VALUES(51,'EL2HLT','Level 2 halted');
INSERT INTO errno_name VALUES(52,'EBADE','Invalid exchange');
INSERT INTO errno_name VALUES(53,'EBADR','Invalid request descriptor');
INSERT INTO errno_name VALUES(54,'EXFULL','Exchange full');
INSERT INTO errno_name VALUES(55,'ENOANO','No anode');
INSERT INTO errno_name VALUES(56,'EBADRQC','Invalid request code');
INSERT INTO errno_name VALUES(57,'EBADSLT','Invalid slot');
INSERT INTO errno_name VALUES(59,'EBFONT','Bad font file format');
INSERT INTO errno_name VALUES(60,'ENOSTR','Device not a stream');
INSERT INTO errno_name VALUES(61,'ENODATA','No data available');
INSERT INTO errno_name VALUES(62,'ETIME','Timer expired');
INSERT INTO errno_name VALUES(63,'ENOSR','Out of streams resources');
INSERT INTO errno_name VALUES(64,'ENONET','Machine is not on the network');
INSERT INTO errno_name VALUES(65,'ENOPKG','Package not installed');
INSERT INTO errno_name VALUES(66,'EREMOTE','Object is remote');
INSERT INTO errno_name VALUES(67,'ENOLINK','Link has been severed');
INSERT INTO errno_name VALUES(68,'EADV','Advertise error');
INSERT INTO errno_name VALUES(69,'ESRMNT','Srmount error');
INSERT INTO errno_name VALUES(70,'ECOMM','Communication error on send');
INSERT INTO errno_name VALUES(71,'EPROTO','Protocol error');
INSERT INTO errno_name VALUES(72,'EMULTIHOP','Multihop attempted');
INSERT INTO errno_name VALUES(73,'EDOTDOT','RFS specific error');
INSERT INTO errno_name VALUES(74,'EBADMSG','Bad message');
INSERT INTO errno_name VALUES(75,'EOVERFLOW','Value too large for defined data type');
INSERT INTO errno_name VALUES(76,'ENOTUNIQ','Name not unique on network');
INSERT INTO errno_name VALUES(77,'EBADFD','File descriptor in bad state');
INSERT INTO errno_name VALUES(78,'EREMCHG','Remote address changed');
INSERT INTO errno_name VALUES(79,'ELIBACC','Can not access a needed shared library');
INSERT INTO errno_name VALUES(80,'ELIBBAD','Accessing a corrupted shared library');
INSERT INTO errno_name VALUES(81,'ELIBSCN','.lib section in a.out corrupted');
INSERT INTO errno_name VALUES(82,'ELIBMAX','Attempting to link in too many shared libraries');
INSERT INTO errno_name VALUES(83,'ELIBEXEC','Cannot exec a shared library directly');
INSERT INTO errno_name VALUES(84,'EILSEQ','Invalid or incomplete multibyte or wide character');
INSERT INTO errno_name VALUES(85,'ERESTART','Interrupted system call should be restarted');
INSERT INTO errno_name VALUES(86,'ESTRPIPE','Streams pipe error');
INSERT INTO errno_name VALUES(87,'EUSERS','Too many users');
INSERT INTO errno_name VALUES(88,'ENOTSOCK','Socket operation on non-socket');
INSERT INTO errno_name VALUES(89,'EDESTADDRREQ','Destination address required');
INSERT INTO errno_name VALUES(90,'EMSGSIZE','Message too long');
INSERT INTO errno_name VALUES(91,'EPROTOTYPE','Protocol wrong type for socket');
INSERT INTO errno_name VALUES(92,'ENOPROTOOPT','Protocol not available');
INSERT INTO errno_name VALUES(93,'EPROTONOSUPPORT','Protocol not supported');
INSERT INTO errno_name VALUES(94,'ESOCKTNOSUPPORT','Socket type not supported');
INSERT INTO errno_name VALUES(95,'EOPNOTSUPP','Operation not supported');
INSERT INTO errno_name VALUES(96,'EPFNOSUPPORT','Protocol family not supported');
INSERT INTO errno_name VALUES(97,'EAFNOSUPPORT','Address family not supported by protocol');
INSERT INTO errno_name VALUES(98,'EADDRINUSE','Address already in use');
INSERT INTO errno_name VALUES(99,'EADDRNOTAVAIL','Cannot assign requested address');
INSERT INTO errno_name VALUES(100,'ENETDOWN','Network is down');
INSERT INTO errno_name VALUES(101,'ENETUNREACH','Network is unreachable');
INSERT INTO errno_name VALUES(102,'ENETRESET','Network dropped connection on reset');
INSERT INTO errno_name VALUES(103,'ECONNABORTED','Software caused connection abort');
INSERT INTO errno_name VALUES(104,'ECONNRESET','Connection reset by peer');
INSERT INTO errno_name VALUES(105,'ENOBUFS','No buffer space available');
INSERT INTO errno_name VALUES(106,'EISCONN','Transport endpoint is already connected');
INSERT INTO errno_name VALUES(107,'ENOTCONN','Transport endpoint is not connected');
INSERT INTO errno_name VALUES(108,'ESHUTDOWN','Cannot send after transport endpoint shutdown');
INSERT INTO errno_name VALUES(109,'ETOOMANYREFS','Too many references: cannot splice');
INSERT INTO errno_name VALUES(110,'ETIMEDOUT','Connection timed out');
INSERT INTO errno_name VALUES(111,'ECONNREFUSED','Connection refused');
INSERT INTO errno_name VALUES(112,'EHOSTDOWN','Host is down');
INSERT INTO errno_name VALUES(113,'EHOSTUNREACH','No route to host');
INSERT INTO errno_name VALUES(114,'EALREADY','Operation already in progress');
INSERT INTO errno_name VALUES(115,'EINPROGRESS','Operation now in progress');
INSERT INTO errno_name VALUES(116,'ESTALE','Stale file handle');
INSERT INTO errno_name VALUES(117,'EUCLEAN','Structure needs cleaning');
INSERT INTO errno_name VALUES(118,'ENOTNAM','Not a XENIX named type file');
INSERT INTO errno_name VALUES(119,'ENAVAIL','No XENIX semaphores available');
INSERT INTO errno_name VALUES(120,'EISNAM','Is a named type file');
INSERT INTO errno_name VALUES(121,'EREMOTEIO','Remote I/O error');
INSERT INTO errno_name VALUES(122,'EDQUOT','Disk quota exceeded');
INSERT INTO errno_name VALUES(123,'ENOMEDIUM','No medium found');
INSERT INTO errno_name VALUES(124,'EMEDIUMTYPE','Wrong medium type');
INSERT INTO errno_name VALUES(125,'ECANCELED','Operation canceled');
INSERT INTO errno_name VALUES(126,'ENOKEY','Required key not available');
INSERT INTO errno_name VALUES(127,'EKEYEXPIRED','Key has expired');
INSERT INTO errno_name VALUES(128,'EKEYREVOKED','Key has been revoked');
INSERT INTO errno_name VALUES(129,'EKEYREJECTED','Key was rejected by service');
INSERT INTO errno_name VALUES(130,'EOWNERDEAD','Owner died');
INSERT INTO errno_name VALUES(131,'ENOTRECOVERABLE','State not recoverable');
INSERT INTO errno_name VALUES(132,'ERFKILL','Operation not possible due to RF-kill');
INSERT INTO errno_name VALUES(133,'EHWPOISON','Memory page has hardware error');
INSERT INTO errno_name VALUES(512,'ERESTARTSYS','interrupted; restarted if the handler allows');
INSERT INTO errno_name VALUES(513,'ERESTARTNOINTR','interrupted; always restarted');
INSERT INTO errno_name VALUES(514,'ERESTARTNOHAND','interrupted; restarted if no handler ran');
INSERT INTO errno_name VALUES(516,'ERESTART_RESTARTBLOCK','interrupted; restarted by restart_syscall');
CREATE TABLE reap_cause (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO reap_cause VALUES(0,'wait');
INSERT INTO reap_cause VALUES(1,'parent ignores SIGCHLD');
INSERT INTO reap_cause VALUES(2,'parent set SA_NOCLDWAIT');
INSERT INTO reap_cause VALUES(3,'no parent in the sandbox');
INSERT INTO reap_cause VALUES(4,'thread released');
INSERT INTO reap_cause VALUES(5,'replaced by a thread''s exec');
INSERT INTO reap_cause VALUES(6,'its id was reused: gone unseen');
INSERT INTO reap_cause VALUES(7,'its PID namespace''s init exited');
CREATE TABLE signal_cause (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO signal_cause VALUES(0,'process group newly orphaned with a stopped member');
INSERT INTO signal_cause VALUES(1,'parent death signal');
INSERT INTO signal_cause VALUES(2,'PID namespace init exited');
INSERT INTO signal_cause VALUES(3,'session leader exited: its terminal''s foreground group is hung up');
INSERT INTO signal_cause VALUES(4,'session leader gave up its terminal (TIOCNOTTY)');
INSERT INTO signal_cause VALUES(5,'killed by the sentry: the first process exited (--wait-all waits instead)');
INSERT INTO signal_cause VALUES(6,'sent by the sentry: a signal it got, forwarded to the workload');
INSERT INTO signal_cause VALUES(7,'killed by the sentry: interrupted twice');
INSERT INTO signal_cause VALUES(8,'killed by the sentry: created after the first process exited');
CREATE TABLE stop_kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO stop_kind VALUES(0,'none');
INSERT INTO stop_kind VALUES(1,'group_stop');
INSERT INTO stop_kind VALUES(2,'vfork');
INSERT INTO stop_kind VALUES(3,'exec');
INSERT INTO stop_kind VALUES(4,'trace');
CREATE TABLE cld_code (code INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO cld_code VALUES(1,'CLD_EXITED');
INSERT INTO cld_code VALUES(2,'CLD_KILLED');
INSERT INTO cld_code VALUES(3,'CLD_DUMPED');
INSERT INTO cld_code VALUES(4,'CLD_TRAPPED');
INSERT INTO cld_code VALUES(5,'CLD_STOPPED');
INSERT INTO cld_code VALUES(6,'CLD_CONTINUED');
CREATE TABLE wait_option (bit INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO wait_option VALUES(1,'WNOHANG');
INSERT INTO wait_option VALUES(2,'WSTOPPED');
INSERT INTO wait_option VALUES(4,'WEXITED');
INSERT INTO wait_option VALUES(8,'WCONTINUED');
INSERT INTO wait_option VALUES(16777216,'WNOWAIT');
INSERT INTO wait_option VALUES(536870912,'__WNOTHREAD');
INSERT INTO wait_option VALUES(1073741824,'__WALL');
INSERT INTO wait_option VALUES(2147483648,'__WCLONE');
CREATE TABLE si_code (code INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO si_code VALUES(-6,'SI_TKILL');
INSERT INTO si_code VALUES(-5,'SI_SIGIO');
INSERT INTO si_code VALUES(-4,'SI_ASYNCIO');
INSERT INTO si_code VALUES(-3,'SI_MESGQ');
INSERT INTO si_code VALUES(-2,'SI_TIMER');
INSERT INTO si_code VALUES(-1,'SI_QUEUE');
INSERT INTO si_code VALUES(0,'SI_USER');
INSERT INTO si_code VALUES(128,'SI_KERNEL');
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
CREATE VIEW wait_history AS
SELECT run_id, seq, ts, waiter_tid, waiter_pid, waiter_comm,
       CASE idtype WHEN 0 THEN 'any child' WHEN 1 THEN 'pid ' || id
                   WHEN 2 THEN CASE id WHEN 0 THEN 'own group' ELSE 'group ' || id END
       END AS target,
       options_text AS options, result, returned, target_pid, target_comm, target_upid,
       consumed, child_utime_ns, child_stime_ns
FROM wait;
CREATE VIEW zombie_at_end AS
SELECT p.run_id, p.upid, p.pid, p.comm, p.zombie_ts, p.status,
       p.last_parent_upid, pp.pid AS parent_pid, pp.comm AS parent_comm,
       pp.state AS parent_state
FROM process_summary p
LEFT JOIN process_summary pp ON pp.run_id = p.run_id AND pp.upid = p.last_parent_upid
WHERE p.state = 'zombie';
CREATE VIEW lifetime AS
SELECT run_id, upid, pid, comm, start_ts, coalesce(zombie_ts, exit_ts) AS end_ts,
       coalesce(zombie_ts, exit_ts) - start_ts AS duration_ns,
       reaped_ts - zombie_ts AS zombie_ns, status, state
FROM process_summary;
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
CREATE VIEW record_named AS
SELECT r.run_id, r.seq, r.idx, r.time_ns - run.start_time_ns AS ts, k.name AS kind, r.utid, r.tid,
       r.other_utid, r.other_tid, r.value, r.value2, r.detail
FROM record r JOIN record_kind k ON k.id = r.kind JOIN run ON run.run_id = r.run_id;
COMMIT;
