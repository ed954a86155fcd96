#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, ASan and UBSan in
# build-fuzz/ and runs each for SECONDS (default 30), seeded with the
# corpus in tests/fuzz/corpus/TARGET/ (real runs' logs and databases, and
# lines of view requests) and, for the targets that read logs, share/scenarios/.
# SECONDS 0 runs each seed once, unmutated (CI's check of the model's
# invariants on real logs). What a run finds new goes to
# build-fuzz/corpus/TARGET/; an input that crashes, hangs or breaks an
# invariant is left in build-fuzz/findings/ and fails this script.
#   share/fuzz.sh [SECONDS] [TARGET...]     (targets: fuzz_codec fuzz_model fuzz_database fuzz_view)
#   FUZZ_SEED=N share/fuzz.sh ...           the same mutations every time
set -euo pipefail
source "$(dirname "$0")/deps.sh"

seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_codec fuzz_model fuzz_database fuzz_view)

sentry_install_deps
dir="$SENTRY_ROOT/build-fuzz"
CC=clang-19 CXX=clang++-19 cmake -S "$SENTRY_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSENTRY_FUZZ=ON >/dev/null
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in "${targets[@]}"; do
  found="$dir/corpus/$target"
  findings="$dir/findings"
  mkdir -p "$found" "$findings"
  if [ "$seconds" -eq 0 ]; then
    how=(-runs=0) corpus=()
  else
    how=(-max_total_time="$seconds") corpus=("$found")
    # FUZZ_SEED: the same mutations each time (CI's), else libFuzzer picks.
    [ -z "${FUZZ_SEED:-}" ] || how+=(-seed="$FUZZ_SEED")
  fi
  echo "fuzz: $target (${seconds} s; 0: the seeds once)" >&2
  # -max_len: a real run's log is tens of KiB, its database (512-byte
  # pages) under 128; -timeout: a hang is a bug.
  max_len=65536
  [ "$target" != fuzz_database ] || max_len=131072
  # The example logs seed the targets that read logs.
  seeds=("$SENTRY_ROOT/tests/fuzz/corpus/$target")
  case $target in fuzz_codec | fuzz_model) seeds+=("$SENTRY_ROOT/share/scenarios") ;; esac
  if ! "$dir/tests/fuzz/$target" "${how[@]}" -max_len=$max_len -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$findings/$target-" "${corpus[@]}" "${seeds[@]}" >"$findings/$target.log" 2>&1; then
    echo "fuzz: $target failed; its input and log are in $findings/:" >&2
    grep -E 'invariant|after|round-trip|what\(\)|SUMMARY|Test unit written' "$findings/$target.log" >&2 || true
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|new_units_added)|cov: ' "$findings/$target.log" | tail -3 >&2 || true
done
exit $status
