#!/usr/bin/env bash
# clang-format (check only) and clang-tidy over the project's sources.
#   share/lint.sh          check (what CI runs)
#   share/lint.sh --deep   also the costly part CI leaves out for time: the
#                          path-sensitive analyzer on fusefs/ and inspect/, and
#                          every check on tests/ (run it before landing there)
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
deep=false
[ "${1:-}" = --deep ] && deep=true
clang-format --dry-run -Werror "${files[@]}"
cmake -S . -B build-lint -DCMAKE_BUILD_TYPE=Debug -DSENTRY_BUILD_TESTS=ON >/dev/null
# stop_facts.cc and observer.cc include the BPF skeletons the build generates
# (when BPF builds).
if [[ $(cmake --build build-lint --target help) == *sentry_bpf_skeleton* ]]; then
  cmake --build build-lint --target sentry_bpf_skeleton >/dev/null
fi
# clang-tidy-19: Debian's default clang-tidy (14) cannot parse libstdc++ 12's
# C++23 <variant>/<expected>.
# Time: every check costs about 15 s a file here, and the path-sensitive
# analyzer (clang-analyzer-*) up to a minute more. CI (2 cores, 20 minutes
# for everything) runs the analyzer where raw syscalls and descriptors are
# handled (the launcher, the terminals, the filter, /proc readers, the
# tracer's loop, the doorbell, the signal handlers, the BPF loader and ring
# reader, the observe platform's loop) and every other check on the product code (sentry/, platform/,
# fusefs/, inspect/, bench/); the
# tests, compiled with the same -Werror warnings and run under ASan+UBSan,
# and the analyzer elsewhere (the tracer's other files, fusefs/, inspect/)
# are --deep.
ci_analyzed=(platform/launcher.cc platform/pty_relay.cc platform/terminal.cc
  platform/seccomp_filter.cc platform/proc_files.cc platform/tracer.cc platform/doorbell.cc
  platform/caught_signals.cc platform/bpf_ring.cc platform/observer.cc)
if $deep; then
  mapfile -t analyzed < <(git ls-files 'platform/*.cc' 'fusefs/*.cc' 'inspect/*.cc')
  mapfile -t checked < <(git ls-files '*.cc' ':!:platform/' ':!:fusefs/' ':!:inspect/')
else
  analyzed=("${ci_analyzed[@]}")
  mapfile -t checked < <(git ls-files '*.cc' ':!:tests/' | grep -vxF -f <(printf '%s\n' "${ci_analyzed[@]}"))
fi
status=0
printf '%s\n' "${analyzed[@]}" | xargs -P "$(nproc)" -n 1 clang-tidy-19 -p build-lint --quiet \
  2>/dev/null || status=1
printf '%s\n' "${checked[@]}" | xargs -P "$(nproc)" -n 1 clang-tidy-19 -p build-lint --quiet \
  --checks='-clang-analyzer-*' 2>/dev/null || status=1
if [ $status -ne 0 ]; then
  echo "lint: clang-tidy reported problems (above)" >&2
  exit 1
fi
echo "lint: clean"
