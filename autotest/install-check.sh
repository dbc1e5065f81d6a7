#!/bin/sh
# Run by autotest/install-test.sh inside a clean chroot (gdal-bin and python3-gdal only):
# installs the .deb found in DIR, checks that every GDAL entry point uses FastAAIGrid with no
# environment variable set, removes it and checks that nothing is left behind.
#
#   sh install-check.sh DIR
set -eu
dir=$1
deb=$(ls "$dir"/fastaaigrid_*.deb)
fail() { echo "install-check: $*" >&2; exit 1; }
unset GDAL_DRIVER_PATH GDAL_SKIP || true
export DEBIAN_FRONTEND=noninteractive

# A run that failed half-way may have left the package installed.
apt-get purge -y -qq fastaaigrid >/dev/null 2>&1 || true

echo "-- installing $(basename "$deb")"
apt-get install -y -qq "$deb" >/dev/null
dpkg-query -W -f='${Package} ${Version} ${Status}\n' fastaaigrid

work=$(mktemp -d)
# A small grid with nodata, a float and a negative value, and its .prj.
printf 'ncols 4\nnrows 3\nxllcorner 100\nyllcorner 200\ncellsize 10\nNODATA_value -9999\n' > "$work/g.asc"
printf '1 2.5 3 4\n-9999 6 7 8\n9 10 11 -12\n' >> "$work/g.asc"
echo 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]' > "$work/g.prj"

echo "-- gdalinfo"
gdalinfo "$work/g.asc" | grep -q '^Driver: FastAAIGrid/' || fail "gdalinfo does not use FastAAIGrid"
gdalinfo --format FastAAIGrid | grep -q 'Help Topic' || fail "gdalinfo --format FastAAIGrid"
# Both drivers give the same checksum, nodata and geotransform.
ours=$(gdalinfo -checksum "$work/g.asc" | grep -E 'Checksum|NoData|Origin|Pixel Size|Type=')
theirs=$(gdalinfo -checksum -if AAIGrid "$work/g.asc" | grep -E 'Checksum|NoData|Origin|Pixel Size|Type=')
[ "$ours" = "$theirs" ] || fail "gdalinfo differs from the built-in: $ours / $theirs"

echo "-- gdal_translate"
gdal_translate --debug on -q "$work/g.asc" "$work/g.tif" 2>"$work/debug.txt"
grep -q 'succeeds as FastAAIGrid' "$work/debug.txt" || fail "gdal_translate did not read through FastAAIGrid"
gdal_translate -q -of FastAAIGrid "$work/g.tif" "$work/back.asc"
[ "$(gdalinfo -checksum "$work/back.asc" | grep Checksum)" = \
  "$(gdalinfo -checksum "$work/g.tif" | grep Checksum)" ] || fail "round trip differs"

echo "-- osgeo.gdal"
python3 - "$work/g.asc" <<'EOF'
import sys
from osgeo import gdal
ds = gdal.Open(sys.argv[1])
assert ds.GetDriver().ShortName == "FastAAIGrid", ds.GetDriver().ShortName
ref = gdal.OpenEx(sys.argv[1], allowed_drivers=["AAIGrid"])
a, b = ds.ReadAsArray(), ref.ReadAsArray()
assert a.dtype == b.dtype and (a == b).all(), (a, b)
assert ds.GetSpatialRef().IsSame(ref.GetSpatialRef())
print("   ", ds.GetDriver().ShortName, a.dtype, a.shape)
EOF

echo "-- fastaaigrid-convert"
command -v fastaaigrid-convert >/dev/null || fail "fastaaigrid-convert is not on PATH"
fastaaigrid-convert --no-progress "$work/g.asc" "$work/out" >/dev/null
[ "$(gdalinfo -checksum "$work/out/g.tif" | grep Checksum)" = \
  "$(gdalinfo -checksum "$work/g.tif" | grep Checksum)" ] || fail "fastaaigrid-convert output differs"

echo "-- removing"
files=$(dpkg-query -L fastaaigrid | while read -r f; do [ -f "$f" ] && echo "$f"; done)
apt-get purge -y -qq fastaaigrid >/dev/null
left=""
for f in $files; do
  [ -e "$f" ] && left="$left $f"
done
for d in /usr/lib/python3/dist-packages/fastaaigrid /usr/share/doc/fastaaigrid; do
  [ -e "$d" ] && left="$left $d"
done
[ -z "$left" ] || fail "left behind after purge:$left"
gdalinfo "$work/g.asc" | grep -q '^Driver: AAIGrid/' || fail "after removal gdalinfo does not use the built-in"
rm -rf "$work"
echo "-- installed, used and removed cleanly"
