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
