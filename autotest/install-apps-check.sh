#!/usr/bin/env bash
# The .deb installed on this machine, where QGIS, rioxarray and R's terra are: each of them,
# with no GDAL_DRIVER_PATH, must read a .asc through FastAAIGrid, and through the built-in
# again once the package is removed. (autotest/install-test.sh checks the GDAL tools on clean
# systems; the tests in autotest/ compare these applications' results with the built-in's
# through GDAL_DRIVER_PATH.) The package is removed whatever happens.
#
#   autotest/install-apps-check.sh [DEB]     default: build-deb/fastaaigrid_*.deb (built if missing)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
deb=${1:-}
if [ -z "$deb" ]; then
  ls build-deb/fastaaigrid_*.deb >/dev/null 2>&1 || bash packaging/build-deb.sh >/dev/null
  deb=$(ls "$repo"/build-deb/fastaaigrid_*.deb)
fi
if dpkg-query -W -f='${Status}' fastaaigrid 2>/dev/null | grep -q "install ok installed"; then
  echo "fastaaigrid is already installed here: not touching it" >&2
  exit 1
fi
work=$(mktemp -d)
cleanup() {
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq fastaaigrid >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
unset GDAL_DRIVER_PATH GDAL_SKIP AAIGRID_DATATYPE || true

printf 'ncols 3\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -9999\n1.5 2 3\n4 -9999 6\n' \
  > "$work/g.asc"

drivers() {  # prints "QGIS=<driver> rioxarray=<driver> terra=<driver>"
  local qgis rio terra
  qgis=$(HOME="$work" QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$work" /usr/bin/python3 - "$work/g.asc" <<'EOF' 2>/dev/null
import re, sys
from qgis.core import QgsApplication, QgsRasterLayer
app = QgsApplication([], False)
app.initQgis()
layer = QgsRasterLayer(sys.argv[1], "g", "gdal")
m = re.search(r"GDAL Driver Description</td><td>([^<]*)<", layer.dataProvider().htmlMetadata())
print(m.group(1) if m else "none")
EOF
)
  rio=$(/usr/bin/python3 -c 'import sys, rioxarray; d = rioxarray.open_rasterio(sys.argv[1]); import rasterio; print(rasterio.open(sys.argv[1]).driver)' "$work/g.asc")
  terra=$(Rscript --vanilla -e 'cat(grep("^Driver:", terra::describe(commandArgs(TRUE)[1]), value = TRUE), "\n")' "$work/g.asc" 2>/dev/null | sed -n 's/^Driver: \([^/]*\).*/\1/p')
  echo "QGIS=${qgis##*$'\n'} rioxarray=$rio terra=$terra"
}

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
got=$(drivers)
echo "installed: $got"
[ "$got" = "QGIS=FastAAIGrid rioxarray=FastAAIGrid terra=FastAAIGrid" ] || { echo "FAILED" >&2; exit 1; }
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq fastaaigrid >/dev/null
got=$(drivers)
echo "removed:   $got"
[ "$got" = "QGIS=AAIGrid rioxarray=AAIGrid terra=AAIGrid" ] || { echo "FAILED" >&2; exit 1; }
echo "QGIS, rioxarray and terra use the installed package, and the built-in once it is removed"
