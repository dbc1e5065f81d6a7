#!/usr/bin/env bash
# Builds the Debian package of FastAAIGrid for the GDAL installed on this system, then checks
# it with lintian (when installed): one command from a fresh clone.
#
#   packaging/build-deb.sh            # -> build-deb/fastaaigrid_<version>_<arch>.deb
#
# Environment: BUILD_DIR (default build-deb), LINTIAN=0 to skip lintian, NO_DEPS=1 to install
# nothing (e.g. in the version matrix's chroots, which have the build packages already).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
build_dir=${BUILD_DIR:-$repo/build-deb}
if [ "${NO_DEPS:-0}" != 1 ]; then
  bash .ci/install-deps.sh
  if [ "${LINTIAN:-1}" != 0 ] && ! command -v lintian >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian >/dev/null
  fi
fi
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DFASTAAIGRID_BUILD_TESTS=OFF \
  -DFASTAAIGRID_WERROR=ON >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target gdal_FastAAIGrid
rm -f "$build_dir"/fastaaigrid_*.deb
(cd "$build_dir" && cpack -G DEB >/dev/null)
deb=$(ls "$build_dir"/fastaaigrid_*.deb)
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\):/\1:/p'
if [ "${LINTIAN:-1}" != 0 ] && command -v lintian >/dev/null; then
  # --fail-on warning: errors and warnings fail the build; overrides (with reasons) are in
  # packaging/lintian-overrides, installed with the package.
  lintian --fail-on error,warning --info "$deb"
  echo "lintian: clean"
fi
echo "$deb"
