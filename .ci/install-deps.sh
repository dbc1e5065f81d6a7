#!/usr/bin/env bash
# Installs what building and testing FastAAIGrid needs on Debian bookworm, if it is missing.
set -euo pipefail
# Usage: .ci/install-deps.sh [--list]
#   --list: print the packages that building and the pytest suite need (what the version
#           matrix's chroots get), install nothing.
# Without --list, also the applications the tests run through GDAL: QGIS, rioxarray, R's terra
# (not with FASTAAIGRID_APPS=0: the version matrix's chroots test GDAL, not those).
packages=(build-essential cmake file libgdal-dev gdal-bin libgtest-dev
          python3-gdal python3-numpy python3-pytest python3-rasterio python3-distributed)
app_packages=(python3-qgis qgis-providers python3-rioxarray r-cran-terra)
if [ "${1:-}" = "--list" ]; then
  echo "${packages[*]}"
  exit 0
fi
missing=()
[ "${FASTAAIGRID_APPS:-1}" = 0 ] && app_packages=()
for p in "${packages[@]}" "${app_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# No recommended packages: QGIS's and R's pull in some 350 more (desktop services, GTK,
# compilers) that no test needs; the whole suite, QGIS's tests included, passes without them.
# force-unsafe-io: dpkg skips its fsync per unpacked file (a crash mid-install would need the
# install run again).
$sudo apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-unsafe-io \
  "${missing[@]}" >/dev/null
