# Sourced by the other scripts: installs the Debian packages sentry needs,
# touching apt only when something is missing.
# shellcheck shell=bash

# What building the sentry and its package needs (share/package.sh).
SENTRY_BUILD_PACKAGES=(
  cmake g++ make pkg-config
  nlohmann-json3-dev      # the observation/record line codec
  libfmt-dev              # message formatting (GCC 12 has no <format>)
  libboost-program-options-dev  # command line
  libseccomp-dev          # the platform's seccomp filter
  libfuse3-dev fuse3      # the procfs view (fusefs/)
  libsqlite3-dev          # the event log (inspect/)
  libbpf-dev bpftool clang-19  # the BPF programs (platform/bpf: the stop facts, --observe):
                               # built with clang's BPF target, skeletons and vmlinux.h by bpftool
  dpkg-dev file           # cpack's dpkg-shlibdeps reads the ELF files `file` finds
)

# Everything: the build, the tests, lint and fuzzing.
SENTRY_PACKAGES=(
  "${SENTRY_BUILD_PACKAGES[@]}"
  libgtest-dev            # tests
  sqlite3                 # the event log's tests query it with the sqlite3 CLI
  graphviz                # `sentry export --format svg`; the tests check the dot output with it
  procps psmisc python3-psutil lsof sysstat  # the view's tests read it with ps, pstree, top,
                                            # pmap, vmstat, psutil, lsof and pidstat
  man-db                  # the package's test: man -w finds the installed pages
  strace gdb              # run --observe's test: both work inside its workload
  clang-format clang-tidy-19  # share/lint.sh
  libclang-rt-19-dev      # share/fuzz.sh: libFuzzer with ASan and UBSan (clang-19)
)

# sentry_install_deps [PACKAGE...]: those (default: every one above) that
# are missing.
sentry_install_deps() {
  local missing=()
  local pkg
  local wanted=("$@")
  [ ${#wanted[@]} -gt 0 ] || wanted=("${SENTRY_PACKAGES[@]}")
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "sentry: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# sentry_build DIR TYPE [extra cmake args...]: configures and builds.
sentry_build() {
  local dir=$1 type=$2
  shift 2
  cmake -S "$SENTRY_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

SENTRY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
