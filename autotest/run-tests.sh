#!/usr/bin/env bash
# Builds FastAAIGrid and runs every test: the GoogleTest unit tests of the core, then the
# pytest suite through osgeo.gdal with default threads, and again with 1, 2 and 7 parsing
# threads and tiny windows and every region split (so boundaries fall inside numbers, CRLF
# pairs and blank lines); then built with AddressSanitizer + UndefinedBehaviorSanitizer: the
# unit tests, and pytest with default threads and with 7 threads and tiny windows.
# Usage: autotest/run-tests.sh [--no-sanitize]
# Environment: FASTAAIGRID_TINY_THREADS, the thread counts of the tiny-window runs of the
# Release build (default "1 2 7"; the version matrix's chroots run "7").
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bash .ci/install-deps.sh
sanitize=1
[ "${1:-}" = "--no-sanitize" ] && sanitize=0
jobs=$(nproc)
export FASTAAIGRID_SHARED_DIR="${FASTAAIGRID_SHARED_DIR:-$repo/../shared}"
# Build folders: $FASTAAIGRID_BUILD_DIR and the same with -asan (the version matrix builds
# each GDAL's in its own chroot).
build_dir=${FASTAAIGRID_BUILD_DIR:-$repo/build}

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  local start=$SECONDS
  cmake -S "$repo" -B "$dir" -DFASTAAIGRID_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== built $dir in $((SECONDS - start)) s"
}

run_suite() {  # run_suite BUILD_DIR TINY_THREADS...
  local dir=$1; shift
  ASAN_OPTIONS=${CTEST_ASAN_OPTIONS:-${ASAN_OPTIONS:-}} \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" | tail -n 3
  export FASTAAIGRID_PLUGIN_DIR="$dir"
  echo "== pytest, default threads"
  # FASTAAIGRID_APPS=0 (the version matrix's chroots): GDAL only, not QGIS, rioxarray, R.
  local select=()
  [ "${FASTAAIGRID_APPS:-1}" = 0 ] && select=(-m "not apps")
  /usr/bin/python3 -m pytest -q -p no:cacheprovider "${select[@]}" autotest
  # The tests that drive QGIS, rioxarray and R (marker "apps") run once per build.
  for t in "$@"; do
    echo "== pytest, GDAL_NUM_THREADS=$t, tiny windows"
    GDAL_NUM_THREADS=$t FASTAAIGRID_CHUNK_SIZE=1 FASTAAIGRID_PARALLEL_MIN=1 \
      /usr/bin/python3 -m pytest -q -p no:cacheprovider -m "not apps" autotest
  done
}

echo "== Release build"
build "$build_dir" -DCMAKE_BUILD_TYPE=Release -DFASTAAIGRID_BUILD_TESTS=ON
# shellcheck disable=SC2086
run_suite "$build_dir" ${FASTAAIGRID_TINY_THREADS:-1 2 7}

if [ $sanitize = 1 ]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
  build "$build_dir-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFASTAAIGRID_SANITIZE=ON -DFASTAAIGRID_BUILD_TESTS=ON
  # python3 and the GDAL tools are not instrumented: preload the runtimes. Leak checking is
  # off for them because the interpreter itself keeps memory until exit; the core's unit
  # tests (allocation failures at every allocation among them) run with LeakSanitizer.
  export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:halt_on_error=1:abort_on_error=1
  CTEST_ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
  run_suite "$build_dir-asan" 7
  unset LD_PRELOAD
fi
