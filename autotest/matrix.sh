#!/usr/bin/env bash
# The version and platform matrix: FastAAIGrid built and tested against every GDAL and on every
# CPU we support, each in its own Debian chroot or under qemu. Needs root and Debian's package
# registry (it installs debootstrap, qemu-user-static and the cross compilers it needs).
#
#   autotest/matrix.sh [TARGET...]       default: all of them, in this order
#
#   bookworm trixie sid   GDAL 3.6 / 3.10 / the newest (3.13 today), each in a debootstrap
#                         chroot of that Debian with its own compiler: build with -Werror, the
#                         unit tests, and the whole pytest suite against that GDAL's built-in,
#                         with default threads and with 7 threads and tiny windows
#                         (MATRIX_SANITIZE=1: also ASan + UBSan)
#   portable              this machine, every architecture-specific fast path off
#                         (FASTAAIGRID_PORTABLE): unit tests and the pytest suite
#   arm64 i686 s390x      the core and its unit tests cross-built (static) and run under
#                         qemu-user: 64-bit ARM, 32-bit x86 (no 128-bit integers), big-endian
#   arm64-pytest          a bookworm arm64 chroot under qemu: build, unit tests, pytest
#
# Chroots are cached (autotest/chroot.sh); each target's time is printed, then a summary.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
all=(bookworm trixie sid portable arm64 i686 s390x arm64-pytest)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
jobs=$(nproc)
test_packages=$(bash .ci/install-deps.sh --list)
sanitize_flag=--no-sanitize
[ "${MATRIX_SANITIZE:-0}" = 1 ] && sanitize_flag=

need_host_packages() {  # need_host_packages PKG...
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
}

# GDAL of a Debian suite: the chroot, then the full test command inside it, building in the
# chroot's own /root/build (the checkout is mounted read-write at /src).
run_suite() {  # run_suite SUITE [ARCH]
  local suite=$1 arch=${2:-amd64}
  need_host_packages debootstrap
  # shellcheck disable=SC2086
  bash autotest/chroot.sh make "$suite" "$arch" $test_packages >/dev/null || return 1
  bash autotest/chroot.sh run "$suite" "$arch" -- bash -c "
    echo \"GDAL \$(gdal-config --version), \$(gcc --version | head -n 1), \$(uname -m)\"
    cd /src && FASTAAIGRID_APPS=0 FASTAAIGRID_TINY_THREADS=7 FASTAAIGRID_BUILD_DIR=/root/build-$suite \
      bash autotest/run-tests.sh $sanitize_flag"
}

# Under qemu-user: the random grids at 16 and 64 threads take minutes (they run natively),
# and fork() in a process with threads can deadlock inside qemu itself, where no watchdog
# thread of the test can run any more (seen: the pool's fork test hung for good), so the fork
# tests run natively only. Every test also has a time limit there.
emulated_skip='RandomGridsAndErrors/(16|64)threads|ChildAfterFork'

# A whole foreign-architecture Debian under qemu: everything is 10-50x slower, so the unit
# tests skip what the cross targets skip, and pytest runs with default threads and with two
# threads and tiny windows, without the fork tests.
run_emulated_suite() {  # run_emulated_suite SUITE ARCH
  local suite=$1 arch=$2
  need_host_packages debootstrap qemu-user-static binfmt-support
  # shellcheck disable=SC2086
  bash autotest/chroot.sh make "$suite" "$arch" $test_packages >/dev/null || return 1
  bash autotest/chroot.sh run "$suite" "$arch" -- bash -c "
    set -eo pipefail
    echo \"GDAL \$(gdal-config --version), \$(gcc --version | head -n 1), \$(uname -m)\"
    b=/root/build-$suite-$arch
    cd /src
    cmake -S . -B \$b -DCMAKE_BUILD_TYPE=Release -DFASTAAIGRID_WERROR=ON >/dev/null
    cmake --build \$b -j$jobs >/dev/null
    AAIG_TEST_STALL_SECONDS=120 ctest --test-dir \$b -j1 --timeout 900 -E '$emulated_skip' | tail -n 3
    export FASTAAIGRID_PLUGIN_DIR=\$b FASTAAIGRID_SHARED_DIR=/shared
    python3 -m pytest -q -p no:cacheprovider -k 'not fork' autotest
    GDAL_NUM_THREADS=2 FASTAAIGRID_CHUNK_SIZE=1 FASTAAIGRID_PARALLEL_MIN=1 \
      python3 -m pytest -q -p no:cacheprovider -k 'not fork' autotest"
}

run_portable() {
  local b=$repo/build-portable
  cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=Release -DFASTAAIGRID_WERROR=ON \
    -DFASTAAIGRID_PORTABLE=ON >/dev/null &&
    cmake --build "$b" -j"$jobs" >/dev/null &&
    ctest --test-dir "$b" --output-on-failure -j"$jobs" | tail -n 3 &&
    [ "${PIPESTATUS[0]}" = 0 ] &&
    FASTAAIGRID_PLUGIN_DIR=$b /usr/bin/python3 -m pytest -q -p no:cacheprovider autotest
}

# Death tests re-execute the test binary, so it must run by itself: through qemu-user,
# registered with the kernel's binfmt_misc. qemu-user-static has entries for every
# architecture but the host's own family; a kernel without 32-bit x86 support gets one here.
binfmt_for() {  # binfmt_for BINARY ARCH
  "$1" --gtest_list_tests >/dev/null 2>&1 && return 0
  local reg=/proc/sys/fs/binfmt_misc
  mountpoint -q $reg || mount -t binfmt_misc binfmt_misc $reg
  case $2 in
    i686)
      [ -e $reg/fastaaigrid-i386 ] ||
        printf '%s' ':fastaaigrid-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-i386-static:F' > $reg/register ;;
    arm64) update-binfmts --enable qemu-aarch64 ;;
    *) update-binfmts --enable "qemu-$2" ;;
  esac
  "$1" --gtest_list_tests >/dev/null 2>&1 || { echo "cannot run $2 binaries"; return 1; }
}

# The core alone, cross-compiled and linked statically so that qemu-user runs it with no
# target libraries; GoogleTest is built from Debian's sources with the same compiler.
run_cross() {  # run_cross ARCH
  local arch=$1 triplet qemu
  case $arch in
    arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64-static ;;
    i686) triplet=i686-linux-gnu qemu=qemu-i386-static ;;
    s390x) triplet=s390x-linux-gnu qemu=qemu-s390x-static ;;
    *) echo "unknown architecture $arch"; return 1 ;;
  esac
  need_host_packages "g++-$triplet" qemu-user-static binfmt-support googletest cmake
  local b=$repo/build-cross-$arch
  cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=Release -DFASTAAIGRID_WERROR=ON \
    -DFASTAAIGRID_CORE_ONLY=ON -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$arch" \
    -DCMAKE_C_COMPILER="$triplet-gcc" -DCMAKE_CXX_COMPILER="$triplet-g++" \
    -DCMAKE_EXE_LINKER_FLAGS=-static -DCMAKE_CROSSCOMPILING_EMULATOR="$(command -v $qemu)" \
    >/dev/null || return 1
  cmake --build "$b" -j"$jobs" >/dev/null || return 1
  readelf -h "$b/autotest/aaig_unit_tests" | grep -E "Class|Data|Machine"
  binfmt_for "$b/autotest/aaig_unit_tests" "$arch" || return 1
  # Under qemu a pool of 64 threads takes seconds to start: the hang watchdog waits longer,
  # and one test at a time keeps the emulators' memory in bounds. 2, 3 and 7 threads and the
  # split test up to 256 threads run on every architecture; see emulated_skip for the rest.
  AAIG_TEST_STALL_SECONDS=120 ctest --test-dir "$b" --output-on-failure -j1 --timeout 900 \
    -E "$emulated_skip" > "$b/ctest.log"
  local rc=$?
  [ $rc = 0 ] && tail -n 3 "$b/ctest.log" || cat "$b/ctest.log"
  return $rc
}

declare -A result seconds
for t in "${targets[@]}"; do
  echo
  echo "######## $t"
  start=$(date +%s)
  case $t in
    bookworm|trixie|sid) run_suite "$t" ;;
    portable) run_portable ;;
    arm64|i686|s390x) run_cross "$t" ;;
    arm64-pytest) run_emulated_suite bookworm arm64 ;;
    *) echo "unknown target $t (known: ${all[*]})"; false ;;
  esac
  rc=$?
  result[$t]=$([ $rc = 0 ] && echo pass || echo FAIL)
  seconds[$t]=$(( $(date +%s) - start ))
  echo "######## $t: ${result[$t]} in ${seconds[$t]} s"
done

echo
echo "| target | result | seconds |"
echo "| --- | --- | --- |"
failed=0
for t in "${targets[@]}"; do
  echo "| $t | ${result[$t]} | ${seconds[$t]} |"
  [ "${result[$t]}" = pass ] || failed=1
done
exit $failed
