#!/usr/bin/env bash
# Benchmarks; each prints "name: value" lines.
#   share/bench.sh model   the model's throughput and memory over 10M observations
#   share/bench.sh trace   the tracer's overhead: fork+exec+wait, plain syscalls,
#                          thread create+join and WNOHANG polls, native vs sentry
#                          run (model only, and full: view and database on) vs
#                          strace --seccomp-bpf vs the floor (the sentry's ptrace
#                          stops, nothing done at them)
#   share/bench.sh fuse    the procfs view: scans of the view vs host /proc vs a floor
#                          FUSE server (1000 processes), ps through the view, and
#                          fork+exec while readers scan the view
#   share/bench.sh db      the SQLite log: its writer vs a bare INSERT loop on a
#                          generated run of 1M records, replay, and every inspect and
#                          export question on runs of 100,000 and 10,000 processes
set -euo pipefail
source "$(dirname "$0")/deps.sh"

case ${1:-} in
  model)
    sentry_install_deps
    sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF -DSENTRY_BUILD_BENCH=ON >/dev/null
    exec "$SENTRY_ROOT/build-release/bench/bench_model" "${2:-10000000}"
    ;;
  trace)
    sentry_install_deps
    command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }
    sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF -DSENTRY_BUILD_BENCH=ON >/dev/null
    bin="$SENTRY_ROOT/build-release"
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    "$bin/bench/bench_trace" "$bin/sentry/cmd/sentry" "$bin/bench/floor_tracer" \
      "$bin/bench/workloads" "$dir" "${2:-5}"
    ;;
  fuse)
    sentry_install_deps
    sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF -DSENTRY_BUILD_BENCH=ON >/dev/null
    bin="$SENTRY_ROOT/build-release"
    exec "$bin/bench/bench_fuse" "$bin/sentry/cmd/sentry" "$bin/bench/floor_fuse" \
      "$bin/bench/workloads" "${2:-1000}" "${3:-7}"
    ;;
  db)
    sentry_install_deps
    sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF -DSENTRY_BUILD_BENCH=ON >/dev/null
    bin="$SENTRY_ROOT/build-release"
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
    "$bin/bench/bench_db" "$bin/sentry/cmd/sentry" "$dir" "${2:-1000000}" "${3:-3}" "${4:-100000}"
    ;;
  *)
    echo "usage: share/bench.sh model [OBSERVATIONS] | trace [ROUNDS] | fuse [PROCESSES [ROUNDS]]" \
      "| db [RECORDS [ROUNDS [PROCESSES]]]" >&2
    exit 2
    ;;
esac
