#!/usr/bin/env bash
# clang-format (check only) and clang-tidy over the project's sources.
#   share/lint.sh          check
#   share/lint.sh --fix    rewrite files with clang-format
set -euo pipefail
source "$(dirname "$0")/deps.sh"
sentry_install_deps
cd "$SENTRY_ROOT"
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = --fix ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run -Werror "${files[@]}"
cmake -S . -B build-lint -DCMAKE_BUILD_TYPE=Debug -DSENTRY_BUILD_TESTS=ON >/dev/null
# clang-tidy-19: Debian's default clang-tidy (14) cannot parse libstdc++ 12's
# C++23 <variant>/<expected>.
# The path-sensitive analyzer (clang-analyzer-*) costs up to a minute a
# file here, five times the other checks. It runs where raw syscalls, fds and
# pointers are (platform/, fusefs/); the model and the command line (run
# under ASan+UBSan by every test) and the tests get every other check.
mapfile -t product < <(git ls-files 'platform/*.cc' 'fusefs/*.cc')
mapfile -t harness < <(git ls-files '*.cc' ':!:platform/' ':!:fusefs/')
status=0
printf '%s\n' "${product[@]}" | xargs -P "$(nproc)" -n 1 clang-tidy-19 -p build-lint --quiet \
  2>/dev/null || status=1
printf '%s\n' "${harness[@]}" | xargs -P "$(nproc)" -n 1 clang-tidy-19 -p build-lint --quiet \
  --checks='-clang-analyzer-*' 2>/dev/null || status=1
if [ $status -ne 0 ]; then
  echo "lint: clang-tidy reported problems (above)" >&2
  exit 1
fi
echo "lint: clean"
