#!/bin/sh
# Builds (if needed) and runs every libFuzzer harness for SECONDS each.
#
#   fuzz/run.sh SECONDS [HARNESS...]
#
# Each harness runs on a scratch copy of its seed corpus (fuzz/corpus/<harness>/, left
# unchanged) with the dictionary fuzz/aaigrid.dict. Prints, per harness, the executions and the
# coverage (cov: of libFuzzer's final line); crash inputs are saved as
# fuzz/findings/<harness>-crash-<sha1> (libFuzzer's artifact prefix) and the script exits 1
# when any harness failed.
#
# Environment: BUILD_DIR (default build-fuzz), WORK_DIR (scratch corpora; default a temporary
# folder, removed at the end unless KEEP_WORK=1: pass the same WORK_DIR again to resume),
# FUZZ_FLAGS (more libFuzzer flags), FUZZ_JOBS (harnesses run side by side, default 1; the
# build uses as many compile jobs), NICE (the command every process runs under, default
# "nice -n 19", so that a developer's machine stays usable; empty for none, as in CI).
set -u
if [ $# -lt 1 ]; then
    echo "usage: $0 SECONDS [HARNESS...]" >&2
    exit 2
fi
SECONDS_EACH=$1
shift
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-fuzz}
FINDINGS=$ROOT/fuzz/findings
HARNESSES=${*:-fuzz_header fuzz_number fuzz_reader fuzz_format fuzz_gdal}
JOBS=${FUZZ_JOBS:-1}
NICE=${NICE-nice -n 19}

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    CC=clang CXX=clang++ $NICE cmake -S "$ROOT" -B "$BUILD_DIR" -DFASTAAIGRID_FUZZ=ON \
        -DFASTAAIGRID_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
fi
$NICE cmake --build "$BUILD_DIR" -j"$JOBS" --target fuzz_all >/dev/null || {
    echo "build failed: cmake --build $BUILD_DIR --target fuzz_all" >&2
    exit 1
}

if [ -n "${WORK_DIR:-}" ]; then
    mkdir -p "$WORK_DIR"
    WORK=$WORK_DIR
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/aaig-fuzz.XXXXXX")
fi
mkdir -p "$FINDINGS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# fuzz_one HARNESS: runs it, writes its line of the table to $WORK/HARNESS.result, and
# returns non-zero when it failed.
fuzz_one() {
    h=$1
    case $h in
        fuzz_number) max_len=1200 ;;
        fuzz_format) max_len=1024 ;;
        fuzz_reader | fuzz_gdal) max_len=8192 ;;
        *) max_len=4096 ;;
    esac
    extra=
    # GDAL keeps process-lifetime caches (drivers, config, VSI handlers) that LeakSanitizer
    # would report at exit; leaks per input are still found by libFuzzer's malloc/free count.
    [ "$h" = fuzz_gdal ] && extra="-detect_leaks=0"
    mkdir -p "$WORK/$h"
    if [ -z "$(ls -A "$WORK/$h")" ]; then
        cp "$ROOT/fuzz/corpus/$h"/* "$WORK/$h"/ 2>/dev/null
    fi
    log=$WORK/$h.log
    # shellcheck disable=SC2086
    $NICE "$BUILD_DIR/fuzz/$h" "$WORK/$h" -dict="$ROOT/fuzz/aaigrid.dict" \
        -max_total_time="$SECONDS_EACH" -max_len=$max_len -timeout=30 -rss_limit_mb=2560 \
        -print_final_stats=1 -artifact_prefix="$FINDINGS/$h-" $extra ${FUZZ_FLAGS:-} >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    covline=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -1)
    cov=$(echo "$covline" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$covline" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    details=
    if [ $rc -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc; log $log)"
        details=$(grep -E 'FUZZ FAILURE|check failed|ERROR: (Address|Undefined|libFuzzer)|runtime error|Test unit written' "$log" | head -5 | sed 's/^/    /')
        if [ -z "$execs" ]; then
            execs=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1 | sed 's/^#\([0-9]*\).*/\1/')
        fi
    fi
    {
        [ -n "$details" ] && echo "$details"
        printf '%-12s %12s %8s %8s  %s\n' "$h" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
    } >"$WORK/$h.result"
    return $rc
}

# The harnesses are dealt round-robin to JOBS lanes; each lane runs its share in turn.
i=0
pids=
while [ $i -lt "$JOBS" ]; do
    lane=
    k=0
    for h in $HARNESSES; do
        [ $((k % JOBS)) -eq $i ] && lane="$lane $h"
        k=$((k + 1))
    done
    if [ -n "$lane" ]; then
        (lane_status=0; for h in $lane; do fuzz_one "$h" || lane_status=1; done; exit $lane_status) &
        pids="$pids $!"
    fi
    i=$((i + 1))
done
status=0
for p in $pids; do
    wait "$p" || status=1
done

printf '%-12s %12s %8s %8s  %s\n' harness executions cov ft result
for h in $HARNESSES; do
    cat "$WORK/$h.result"
done
if [ -z "${WORK_DIR:-}" ] && [ "${KEEP_WORK:-0}" != 1 ] && [ $status -eq 0 ]; then
    rm -rf "$WORK"
else
    echo "scratch corpora and logs: $WORK"
fi
exit $status
