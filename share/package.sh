#!/usr/bin/env bash
# Builds the Debian package from a Release build in build-package/ (cpack,
# from the same install rules as `cmake --install`) and prints its path:
#   deb=$(share/package.sh) && sudo apt install "$deb"
set -euo pipefail
source "$(dirname "$0")/deps.sh"
case ${1:-} in
  -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
  "") ;;
  *) echo "share/package.sh: takes no argument ($1)" >&2; exit 2 ;;
esac
sentry_install_deps "${SENTRY_BUILD_PACKAGES[@]}"
dir="$SENTRY_ROOT/build-package"
sentry_build "$dir" Release -DSENTRY_BUILD_TESTS=OFF -DSENTRY_BUILD_BENCH=OFF >&2
rm -f "$dir"/sentry_*.deb
(cd "$dir" && cpack -G DEB >&2)
ls "$dir"/sentry_*.deb
