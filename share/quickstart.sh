#!/usr/bin/env bash
# Installs what is missing, builds sentry, and runs it on a real workload.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

sentry_install_deps
sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF
sentry="$SENTRY_ROOT/build-release/sentry/cmd/sentry"
log=$(mktemp --suffix=.jsonl)
trap 'rm -f "$log"' EXIT

echo "== sentry run: a shell pipeline, a background job and an orphan, traced live =="
"$sentry" run -v --log-records "$log" -- sh -c '
  ls / | wc -l
  sleep 0.1 &
  wait
  (sh -c "sleep 0.2" &)   # double fork: the sentry adopts the grandchild
  exit 3' || echo "(exit status $?, the workload's own)"
echo
echo "== sentry replay: who created, waited for and reaped whom =="
"$sentry" replay --records "$log" | grep -E "created|exec|reaped|reparented|wait returned|divergence"
echo
echo "== a teaching scenario: why did my job get SIGHUP? (share/scenarios/) =="
"$sentry" replay --records "$SENTRY_ROOT/share/scenarios/orphaned-stopped-job.jsonl" | tail -n 12
