#!/usr/bin/env bash
# The Debian package, built from this build tree by cpack (the install rules
# share/package.sh uses), checked the way a user meets it:
#   - its metadata: the runtime libraries it depends on, nothing for building;
#   - unpacked into a scratch root: the installed `sentry` runs a workload,
#     finds its lessons there (not in the source tree), its man pages say
#     every option its help says, and the bash completion completes
#     `sentry inspect ex`;
#   - installed with apt on this machine, then removed: `sentry` and `man
#     sentry-inspect` work, and dpkg -r leaves none of its files behind.
#     (Left out, saying so, when not root or when a sentry is installed
#     already: the test does not replace someone's installation.)
#   tests/package/package_test.sh BUILD_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAILED: $*" >&2
  failures=$((failures + 1))
}

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log" >&2
  echo "FAILED: cpack" >&2
  exit 1
}
deb=$(ls "$work"/out/sentry_*.deb)
echo "package: $(basename "$deb")"

# ---- metadata
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libfuse3 libsqlite3 libseccomp libboost-program-options libfmt fuse3; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib"
done
[[ $depends != *"-dev"* ]] || fail "Depends names a -dev package"
[[ $(dpkg-deb -f "$deb" Suggests) == *graphviz* ]] || fail "Suggests lacks graphviz"
# apt resolves it on this machine (a dry run: nothing is installed).
apt-get install -s "$deb" >"$work/apt.log" 2>&1 || {
  cat "$work/apt.log" >&2
  fail "apt-get install -s"
}

# ---- a scratch root
root="$work/root"
dpkg-deb -x "$deb" "$root"
sentry="$root/usr/bin/sentry"
version=$("$sentry" --version) || fail "sentry --version"
[[ $version =~ ^sentry\ [0-9]+\.[0-9]+\.[0-9]+\ \((git\ [0-9a-f]+|no\ git) ]] ||
  fail "version: '$version'"
echo "$version"
[[ $("$sentry" run --no-tty --no-fuse --no-db -- sh -c 'echo hello') == hello ]] ||
  fail "sentry run from the scratch root"
lessons=$("$sentry" learn) || fail "sentry learn"
[[ $lessons == "lessons in $root/usr/share/sentry/lessons "* ]] ||
  fail "learn does not read the installed lessons: ${lessons%%$'\n'*}"
[[ $lessons == *zombie* ]] || fail "learn lists no zombie lesson"
[ -x "$root/usr/libexec/sentry/lessons/zombie" ] || fail "no lesson program installed"
for f in usr/share/sentry/scenarios/orphaned-stopped-job.jsonl usr/share/sentry/sql/001_initial.sql \
  usr/share/doc/sentry/README.md usr/share/doc/sentry/copyright; do
  [ -f "$root/$f" ] || fail "missing /$f"
done
"$sentry" replay "$root/usr/share/sentry/scenarios/orphaned-stopped-job.jsonl" >/dev/null ||
  fail "replay of the installed scenario"
# Man pages: found by man(1) in the root's tree, and saying every option the
# command's help says.
for command in "" run view inspect export replay learn; do
  page=sentry${command:+-$command}
  path=$(man -w -M "$root/usr/share/man" "$page" 2>/dev/null)
  [[ $path == "$root"/usr/share/man/man1/$page.1.gz ]] || {
    fail "man -w $page: '$path'"
    continue
  }
  text=$(MANWIDTH=250 man -l "$path" 2>/dev/null | col -b)
  [[ $text == *EXAMPLES* && $text == *"SEE ALSO"* ]] || fail "$page has no EXAMPLES or SEE ALSO"
  [ -z "$command" ] && continue
  # Boost lists "--db FILE" and "-h [ --help ]": every long name there.
  for option in $("$sentry" help "$command" | grep -oE '^  (-[a-z] \[ )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
    [[ $text == *"$option"* ]] || fail "$page lacks $option"
  done
done
# Completion: bash loads it, and it completes from the installed sentry.
completion="$root/usr/share/bash-completion/completions/sentry"
got=$(bash -c 'source "$1"; COMP_WORDS=("$2" inspect ex); COMP_CWORD=2; _sentry
  printf "%s\n" "${COMPREPLY[@]}"' bash "$completion" "$sentry")
[ "$got" = explain ] || fail "completion of 'sentry inspect ex': '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=("$2" inspect --format ""); COMP_CWORD=3; _sentry
  printf "%s " "${COMPREPLY[@]}"' bash "$completion" "$sentry")
[ "$got" = "table json csv " ] || fail "completion of 'sentry inspect --format': '$got'"
[ -f "$root/usr/share/zsh/vendor-completions/_sentry" ] || fail "no zsh completion"

# ---- installed on this machine, then removed
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: the install and removal check is left out (the scratch root's checks ran)"
elif dpkg-query -W -f='${Status}' sentry 2>/dev/null | grep -q "ok installed"; then
  echo "a sentry package is installed already: the install and removal check is left out"
elif [ -e /usr/bin/sentry ]; then
  echo "/usr/bin/sentry exists (not from a package): the install and removal check is left out"
else
  if apt-get install -y -qq "$deb" >"$work/install.log" 2>&1; then
    [ "$(/usr/bin/sentry --version)" = "$version" ] || fail "installed sentry --version"
    [ "$(man -w sentry-inspect)" = /usr/share/man/man1/sentry-inspect.1.gz ] ||
      fail "man -w sentry-inspect after install"
    [[ $(/usr/bin/sentry learn) == "lessons in /usr/share/sentry/lessons "* ]] ||
      fail "installed learn"
    dpkg -r sentry >"$work/remove.log" 2>&1 || fail "dpkg -r"
    dpkg -P sentry >>"$work/remove.log" 2>&1
    left=0
    while read -r path; do
      if [ -e "/$path" ] && [ ! -d "/$path" ]; then
        fail "left behind after dpkg -r: /$path"
        left=1
      fi
    done < <(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||')
    [ $left -eq 0 ] && echo "installed, ran, removed: nothing left"
  else
    cat "$work/install.log" >&2
    fail "apt-get install"
  fi
fi

[ $failures -eq 0 ] && echo "package: every check passed"
exit $((failures > 0))
