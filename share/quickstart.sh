#!/usr/bin/env bash
# Installs what is missing, builds sentry, and runs it on a real workload.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

sentry_install_deps
sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF
sentry="$SENTRY_ROOT/build-release/sentry/cmd/sentry"
log=$(mktemp --suffix=.jsonl)
db=$(mktemp -u --suffix=.db)
trap 'rm -f "$log" "$db" "$db-wal" "$db-shm"' EXIT

echo "== sentry run: a shell pipeline, a background job and an orphan, traced live =="
# The double fork leaves an orphan: its parent exits at once, and the sentry
# (a subreaper, as init would be) adopts it. It still runs when the shell
# exits 3, so the sentry kills it, as a PID namespace's init's exit would, and
# says so on stderr (--wait-all would wait for it instead).
"$sentry" run -v --db "$db" --log-records "$log" -- sh -c '
  ls / | wc -l
  sleep 0.1 &
  wait
  (sh -c "sleep 5" &)
  exit 3' || echo "(exit status $?, the workload's own)"
echo
echo "== sentry inspect waits: who reaped whom, with what status =="
"$sentry" inspect --db "$db" waits
echo
# The orphan: the process whose parent at the end is not the one it was born to.
orphan=$("$sentry" inspect --db "$db" --format csv sql \
  "SELECT pid FROM process WHERE last_parent_upid != parent_upid LIMIT 1" | tail -n 1 | tr -d '\r')
echo "== sentry inspect explain $orphan: the orphan's life: adopted by the sentry, killed by it =="
"$sentry" inspect --db "$db" explain "$orphan"
echo
echo "== sqlite3: the same file, plain SQL =="
sqlite3 -header -column "$db" \
  "SELECT pid, comm, status, reap_cause FROM process_summary WHERE comm NOT LIKE 'sentry%'"
echo
echo "== sentry replay: the model rebuilt from the JSON-lines log =="
"$sentry" replay --records "$log" | grep -E "created|exec|reaped|reparented|the sentry|divergence"
echo
echo "== a teaching scenario: why did my job get SIGHUP? (share/scenarios/) =="
"$sentry" replay --records "$SENTRY_ROOT/share/scenarios/orphaned-stopped-job.jsonl" | tail -n 12
