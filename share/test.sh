#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest.
#   share/test.sh                 RelWithDebInfo build in build/
#   share/test.sh --sanitize      ASan+UBSan build in build-asan/
#   share/test.sh --release       Release build in build-release/
# Extra arguments after -- go to ctest (e.g. -- -R Wait).
set -euo pipefail
source "$(dirname "$0")/deps.sh"

type=RelWithDebInfo dir=build extra=()
while [ $# -gt 0 ]; do
  case $1 in
    # A benchmark under ASan measures nothing: not built there.
    # -O1 -g1: line tables are all a sanitizer's report needs; -O1 runs the
    # tests in two thirds of the time (CI's budget); assertions stay on.
    --sanitize) type=Debug dir=build-asan
      extra+=(-DSENTRY_SANITIZE=ON -DSENTRY_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1") ;;
    # The benchmarks are built by share/bench.sh (and linted): not here, for CI's time.
    --release) type=Release dir=build-release extra+=(-DSENTRY_BUILD_BENCH=OFF) ;;
    --) shift; break ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "share/test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

sentry_install_deps
sentry_build "$SENTRY_ROOT/$dir" "$type" -DSENTRY_BUILD_TESTS=ON "${extra[@]}"
cd "$SENTRY_ROOT/$dir"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --output-on-failure -j "$(nproc)" "$@"
