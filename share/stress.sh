#!/usr/bin/env bash
# Runs the seeded random workload (tests/scenarios/random_workload.cc) under
# `sentry run` for many seeds, in four variants: plain, with the workload a
# subreaper, under --pidns, and both. A run fails if the sentry records a
# divergence, if its model ends with a task the host no longer has (replay's
# final table must hold the sentry alone), or if it hangs (60 s).
#   share/stress.sh [--seeds N] [--from S] [--variants LIST] [--build DIR] [--load N] [--observe]
#     --seeds N      seeds per variant (default 500: 2,000 runs)
#     --from S       first seed (default 1)
#     --variants L   comma-separated from plain,subreaper,pidns,pidns-subreaper
#     --build DIR    the build to use (default build-release; built if missing)
#     --load N       N CPU hogs run beside it, started and stopped here (default 0)
#     --observe      under `run --observe` (BPF tracepoints, no ptrace): plain and
#                    subreaper only (it refuses --pidns)
# Failing runs' logs are kept under $TMPDIR/sentry-stress/; figures at the end.
set -euo pipefail
source "$(dirname "$0")/deps.sh"

seeds=500 from=1 variants= build=build-release load=0 platform=()
while [ $# -gt 0 ]; do
  case $1 in
    --seeds) seeds=$2; shift ;;
    --from) from=$2; shift ;;
    --variants) variants=$2; shift ;;
    --build) build=$2; shift ;;
    --load) load=$2; shift ;;
    --observe) platform=(--observe) ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "share/stress.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$variants" ]; then
  variants=plain,subreaper,pidns,pidns-subreaper
  [ ${#platform[@]} -eq 0 ] || variants=plain,subreaper
fi
dir="$SENTRY_ROOT/$build"
if [ ! -x "$dir/tests/scenarios" ]; then
  sentry_install_deps
  sentry_build "$dir" Release -DSENTRY_BUILD_TESTS=ON
fi
sentry="$dir/sentry/cmd/sentry" scenarios="$dir/tests/scenarios"
keep="${TMPDIR:-/tmp}/sentry-stress"
mkdir -p "$keep"
log=$(mktemp "$keep/run-XXXXXX.jsonl")
# Each run's SQLite log goes to a scratch file, not ./sentry.db.
db="$log.db"
hogs=()
trap 'rm -f "$log" "$db" "$db"-*; [ ${#hogs[@]} -eq 0 ] || kill "${hogs[@]}" 2>/dev/null' EXIT
# CPU hogs: a busy loop each, on the same cores as the runs.
for ((i = 0; i < load; i++)); do
  sha256sum /dev/zero >/dev/null 2>&1 &
  hogs+=($!)
done

runs=0 divergent=0 leftover=0 hung=0
IFS=, read -r -a chosen <<< "$variants"
for variant in "${chosen[@]}"; do
  opts=() extra=()
  case $variant in
    plain) ;;
    subreaper) extra=(subreaper) ;;
    pidns) opts=(--pidns) ;;
    pidns-subreaper) opts=(--pidns) extra=(subreaper) ;;
    *) echo "share/stress.sh: unknown variant $variant" >&2; exit 2 ;;
  esac
  for ((seed = from; seed < from + seeds; seed++)); do
    runs=$((runs + 1))
    rc=0
    rm -f "$db" "$db"-*
    timeout -s KILL 60 setsid "$sentry" run --no-tty --log-records "$log" --db "$db" "${platform[@]}" "${opts[@]}" \
      -- "$scenarios" random "$seed" "${extra[@]}" >/dev/null 2>&1 || rc=$?
    name="$variant-seed$seed"
    if [ "$rc" -eq 137 ]; then
      hung=$((hung + 1)); cp "$log" "$keep/$name.jsonl"
      echo "hung: $name (log: $keep/$name.jsonl)"; continue
    fi
    summary=$("$sentry" replay "$log" | awk '
      /^ *PID / { table = 1; next }
      table && /^observations/ { print rows, $0; exit }
      table { rows++ }')
    rows=${summary%% *}
    if ! grep -q "divergences 0," <<< "$summary"; then
      divergent=$((divergent + 1)); cp "$log" "$keep/$name.jsonl"
      echo "divergent: $name (log: $keep/$name.jsonl)"
    elif [ "$rows" != 1 ]; then
      leftover=$((leftover + 1)); cp "$log" "$keep/$name.jsonl"
      echo "leftover tasks: $name (log: $keep/$name.jsonl)"
    fi
  done
done
echo "stress.platform: ${platform[*]:-ptrace}"
echo "stress.load: $load"
echo "stress.runs: $runs"
echo "stress.divergent_runs: $divergent"
echo "stress.leftover_runs: $leftover"
echo "stress.hung_runs: $hung"
[ $((divergent + leftover + hung)) -eq 0 ]
