#!/usr/bin/env bash
# Benchmarks; each prints "name: value" lines.
#   share/bench.sh model   the model's throughput and memory over 10M observations
#   share/bench.sh trace   the tracer's overhead: fork+exec+wait and plain syscalls,
#                          native vs sentry run vs strace --seccomp-bpf vs the
#                          floor (the sentry's ptrace stops, nothing done at them)
set -euo pipefail
source "$(dirname "$0")/deps.sh"

case ${1:-} in
  model)
    sentry_install_deps
    sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF >/dev/null
    exec "$SENTRY_ROOT/build-release/bench/bench_model" "${2:-10000000}"
    ;;
  trace)
    sentry_install_deps
    command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }
    sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF >/dev/null
    bin="$SENTRY_ROOT/build-release"
    exec "$bin/bench/bench_trace" "$bin/sentry/cmd/sentry" "$bin/bench/floor_tracer" \
      "$bin/bench/workloads" "${2:-5}"
    ;;
  *)
    echo "usage: share/bench.sh model [OBSERVATIONS] | trace [ROUNDS]" >&2
    exit 2
    ;;
esac
