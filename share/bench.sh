#!/usr/bin/env bash
# Benchmarks; each prints "name: value" lines.
#   share/bench.sh model   the model's throughput and memory over 10M observations
set -euo pipefail
source "$(dirname "$0")/deps.sh"

case ${1:-} in
  model)
    sentry_install_deps
    sentry_build "$SENTRY_ROOT/build-release" Release -DSENTRY_BUILD_TESTS=OFF >/dev/null
    exec "$SENTRY_ROOT/build-release/bench/bench_model" "${2:-10000000}"
    ;;
  trace)
    echo "share/bench.sh: the trace benchmark needs the ptrace platform, which is not built yet" >&2
    exit 2
    ;;
  *)
    echo "usage: share/bench.sh model [OBSERVATIONS]" >&2
    exit 2
    ;;
esac
