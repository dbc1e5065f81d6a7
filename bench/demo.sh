#!/usr/bin/env bash
# The main job on a generated example: builds the plugin, shows GDAL picking it for a .asc,
# converts a sample DEM to GeoTIFF and back with FastAAIGrid and with the built-in AAIGrid,
# and prints the times side by side (bench/bench.py, quick sizes).
# Usage: bench/demo.sh [WORKDIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash .ci/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFASTAAIGRID_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
work=${1:-${TMPDIR:-/tmp}/fastaaigrid-demo}
export GDAL_DRIVER_PATH="$repo/build"

# Timings and the identical-pixels check (generates the sample grids on first use).
/usr/bin/python3 bench/bench.py --quick --only dem,write --reps 3 --workdir "$work"

sample="$work/quick/dem.asc"
echo
echo "== gdalinfo $sample"
gdalinfo "$sample" | grep -E "^(Driver|Size)"
echo "== gdal_translate $sample -> $work/dem.tif -> $work/dem_copy.asc"
gdal_translate -q "$sample" "$work/dem.tif"
gdal_translate -q -of FastAAIGrid "$work/dem.tif" "$work/dem_copy.asc"
ls -l "$sample" "$work/dem.tif" "$work/dem_copy.asc"
