#!/bin/sh
# Builds the core, its unit tests and the plugin with ThreadSanitizer in build-tsan, and runs
# the unit tests under it. Any data race makes TSan report it with both stacks and the run
# fail (halt_on_error).
#
#   fuzz/tsan.sh [gtest filter]          e.g. fuzz/tsan.sh 'Pool*:Reader*'
#
# Environment: BUILD_DIR (default build-tsan), CC/CXX (clang by default: with GCC on x86-64 the
# TSan binaries crash at load in aaig_scan's target_clones resolver, see cmake/Tsan.cmake),
# TSAN_PYTEST=1 also runs autotest/test_threads.py and test_access_patterns.py (read-ahead
# jobs, sampled reads; not its fork test) through the TSan plugin (see below).
#
# TSAN_PYTEST=1: a TSan plugin only loads into a process that has the TSan runtime first:
# python3 is not instrumented, so the runtime must be preloaded, LD_PRELOAD=$(gcc -print-file-name=libtsan.so),
# and TSan then also watches every uninstrumented library (GDAL, numpy, Python itself), where it
# cannot see the synchronisation: expect reports that are not ours (suppressed by
# fuzz/tsan.supp where known).
#
# Every build and test command runs under $NICE (default "nice -n 19"; empty for none, as in
# CI), and builds use $JOBS compile jobs (default 1).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-tsan}
FILTER=${1:-*}
NICE=${NICE-nice -n 19}
JOBS=${JOBS:-1}

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    # Tests are listed when ctest runs, not at build time (the listing would run under TSan).
    CC=${CC:-clang} CXX=${CXX:-clang++} $NICE cmake -S "$ROOT" -B "$BUILD_DIR" \
        -DFASTAAIGRID_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_GTEST_DISCOVER_TESTS_DISCOVERY_MODE=PRE_TEST >/dev/null || exit 1
fi
$NICE cmake --build "$BUILD_DIR" -j"$JOBS" --target aaig_unit_tests >/dev/null || {
    echo "build failed: $NICE cmake --build $BUILD_DIR -j$JOBS --target aaig_unit_tests" >&2
    exit 1
}

# gtest's death tests fork; "threadsafe" re-executes the binary for them, which TSan prefers.
# The pool's fork tests start workers in children of a process with threads, which TSan
# refuses by default: die_after_fork=0.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 history_size=4 die_after_fork=0}
status=0
echo "== unit tests under ThreadSanitizer ($BUILD_DIR/autotest/aaig_unit_tests)"
$NICE "$BUILD_DIR/autotest/aaig_unit_tests" --gtest_death_test_style=threadsafe \
    --gtest_filter="$FILTER" --gtest_brief=1 || status=1

if [ "${TSAN_PYTEST:-0}" = 1 ]; then
    # The plugin for python3: built by GCC, whose shared libtsan.so can be preloaded into an
    # uninstrumented process (clang links its TSan runtime into executables only, so a clang
    # TSan plugin has unresolved __tsan_* symbols). Preloading initialises TSan before the
    # plugin's target_clones resolver runs, so the GCC problem above does not arise.
    PLUGIN_DIR=$BUILD_DIR/plugin-gcc
    if [ ! -f "$PLUGIN_DIR/CMakeCache.txt" ]; then
        CC=gcc CXX=g++ $NICE cmake -S "$ROOT" -B "$PLUGIN_DIR" -DFASTAAIGRID_TSAN=ON \
            -DFASTAAIGRID_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null 2>&1 || exit 1
    fi
    $NICE cmake --build "$PLUGIN_DIR" -j"$JOBS" --target gdal_FastAAIGrid >/dev/null || exit 1
    libtsan=$(gcc -print-file-name=libtsan.so)
    echo "== autotest/test_threads.py, test_access_patterns.py with LD_PRELOAD=$libtsan, plugin $PLUGIN_DIR"
    (cd "$ROOT" && FASTAAIGRID_PLUGIN_DIR="$PLUGIN_DIR" LD_PRELOAD="$libtsan" \
        TSAN_OPTIONS="${TSAN_PYTEST_OPTIONS:-halt_on_error=0 report_signal_unsafe=0 die_after_fork=0 suppressions=$ROOT/fuzz/tsan.supp}" \
        $NICE timeout 900 /usr/bin/python3 -m pytest -q -p no:cacheprovider autotest/test_threads.py \
        autotest/test_access_patterns.py -k "not test_read_ahead_then_fork") || status=1
fi
exit $status
