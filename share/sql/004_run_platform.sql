-- sentry event log, schema version 4.
--
-- Which platform recorded a run: "ptrace" (the tracer, which holds every
-- task at its stops) or "observe" (BPF tracepoints, `run --observe`, which
-- holds none and cannot see a few things: README, "Watching without
-- ptrace"). Runs written at versions 1 to 3 were all ptrace's.
ALTER TABLE run ADD COLUMN platform TEXT NOT NULL DEFAULT 'ptrace';
