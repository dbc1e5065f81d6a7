#!/usr/bin/env bash
# The .deb on a clean system: builds the package for a Debian suite's GDAL, installs it into a
# fresh debootstrap chroot holding only gdal-bin and python3-gdal (no compiler, no build tree,
# no GDAL_DRIVER_PATH), checks that gdalinfo, gdal_translate, osgeo.gdal and
# fastaaigrid-convert use FastAAIGrid, then removes it and checks that nothing is left behind.
#
#   autotest/install-test.sh [SUITE...]     default: bookworm
#
# bookworm's package is built here (packaging/build-deb.sh, with lintian); another suite's is
# built in the version matrix's chroot of that suite (autotest/chroot.sh). The clean chroots are
# cached apart from the matrix's, in $FASTAAIGRID_CLEAN_CHROOT_CACHE
# (default /var/cache/fastaaigrid/clean-chroots); each run purges the package first.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bookworm)
clean_cache=${FASTAAIGRID_CLEAN_CHROOT_CACHE:-/var/cache/fastaaigrid/clean-chroots}
arch=$(dpkg --print-architecture)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

build_deb() {  # build_deb SUITE -> copies the .deb into $out/SUITE/
  local suite=$1
  mkdir -p "$out/$suite"
  if [ "$suite" = bookworm ] && [ "$(. /etc/os-release; echo "${VERSION_CODENAME:-}")" = bookworm ]; then
    BUILD_DIR="$repo/build-deb" bash packaging/build-deb.sh >&2
    cp "$repo"/build-deb/fastaaigrid_*.deb "$out/$suite/"
  else
    # shellcheck disable=SC2046
    bash autotest/chroot.sh make "$suite" "$arch" $(bash .ci/install-deps.sh --list) >/dev/null
    bash autotest/chroot.sh run "$suite" "$arch" -- bash -c \
      "cd /src && NO_DEPS=1 LINTIAN=0 BUILD_DIR=/root/build-deb bash packaging/build-deb.sh >&2"
    cp "${FASTAAIGRID_CHROOT_CACHE:-/var/cache/fastaaigrid/chroots}/$suite-$arch"/root/build-deb/fastaaigrid_*.deb \
      "$out/$suite/"
  fi
}

status=0
for suite in "${suites[@]}"; do
  echo "== $suite: building the package"
  build_deb "$suite"
  echo "== $suite: clean chroot with gdal-bin and python3-gdal"
  root=$(FASTAAIGRID_CHROOT_CACHE=$clean_cache bash autotest/chroot.sh make "$suite" "$arch" \
         gdal-bin python3-gdal)
  rm -rf "$root/tmp/fastaaigrid-install"
  mkdir -p "$root/tmp/fastaaigrid-install"
  cp "$out/$suite"/fastaaigrid_*.deb autotest/install-check.sh "$root/tmp/fastaaigrid-install/"
  echo "== $suite: install, use, remove"
  if FASTAAIGRID_CHROOT_CACHE=$clean_cache bash autotest/chroot.sh run "$suite" "$arch" -- \
       sh /tmp/fastaaigrid-install/install-check.sh /tmp/fastaaigrid-install; then
    echo "== $suite: install test passed"
  else
    echo "== $suite: install test FAILED"
    status=1
  fi
  rm -rf "$root/tmp/fastaaigrid-install"
done
exit $status
