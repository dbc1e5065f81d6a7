#!/usr/bin/env bash
# Makes (once) and enters Debian chroots made with debootstrap from Debian's package registry,
# for testing FastAAIGrid against other GDAL versions and architectures.
#
#   autotest/chroot.sh make SUITE [ARCH] [PACKAGES...]   create or update, print its folder
#   autotest/chroot.sh run  SUITE [ARCH] -- CMD...       run CMD in it, /src = this checkout
#
# Chroots are cached in $FASTAAIGRID_CHROOT_CACHE (default /var/cache/fastaaigrid/chroots),
# one folder per suite and architecture; the packages asked for are installed on top of what
# is there. Needs root, debootstrap, and qemu-user-static + binfmt-support for a foreign ARCH.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${FASTAAIGRID_CHROOT_CACHE:-/var/cache/fastaaigrid/chroots}
mirror=${FASTAAIGRID_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# sid's Release file on the package mirror here has expired.
apt_opts=(-o Acquire::Check-Valid-Until=false -o APT::Install-Recommends=false -qq)

host_arch() { dpkg --print-architecture; }

root_of() { echo "$cache/$1-$2"; }

mounts_up() {  # mounts_up ROOT
  local r=$1
  mountpoint -q "$r/proc" || mount -t proc proc "$r/proc"
  mkdir -p "$r/src" "$r/shared"
  mountpoint -q "$r/src" || mount --bind "$repo" "$r/src"
  if [ -d "$repo/../shared" ] && ! mountpoint -q "$r/shared"; then
    mount --bind "$repo/../shared" "$r/shared"
    mount -o remount,bind,ro "$r/shared"
  fi
  cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
}

mounts_down() {  # mounts_down ROOT
  local r=$1 m
  for m in shared src proc; do
    if mountpoint -q "$r/$m"; then umount -l "$r/$m"; fi
  done
}

# Foreign binaries run through qemu-user-static, registered with the kernel's binfmt_misc
# (flag F: the interpreter is opened once, so it works inside the chroot too).
binfmt_up() {  # binfmt_up ARCH
  local q
  case $1 in arm64) q=qemu-aarch64 ;; i386) return 0 ;; *) q=qemu-$1 ;; esac
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable "$q" >/dev/null 2>&1 || true
  [ -e "/proc/sys/fs/binfmt_misc/$q" ] || { echo "cannot register $q with binfmt_misc" >&2; exit 1; }
}

make_chroot() {  # make_chroot SUITE ARCH PACKAGES...
  local suite=$1 arch=$2; shift 2
  [ "$arch" = "$(host_arch)" ] || binfmt_up "$arch"
  local r; r=$(root_of "$suite" "$arch")
  if [ ! -x "$r/usr/bin/apt-get" ]; then
    rm -rf "$r"; mkdir -p "$r"
    echo "== debootstrap $suite/$arch into $r" >&2
    # In two stages, so that dpkg is told before it installs anything that this is a
    # throw-away test system: it need not sync every file it unpacks (with a sync per file,
    # making a chroot can take many times longer on a slow disk).
    debootstrap --variant=minbase --arch="$arch" --foreign "$suite" "$r" "$mirror" >&2
    mkdir -p "$r/etc/dpkg/dpkg.cfg.d"
    echo force-unsafe-io > "$r/etc/dpkg/dpkg.cfg.d/fastaaigrid-unsafe-io"
    chroot "$r" /debootstrap/debootstrap --second-stage >&2
    echo "deb $mirror $suite main" > "$r/etc/apt/sources.list"
  fi
  local missing=() p
  for p in "$@"; do
    chroot "$r" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== $suite/$arch: installing ${missing[*]}" >&2
    mounts_up "$r"
    trap 'mounts_down "$r"' EXIT
    chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >&2
    chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y \
      "${missing[@]}" >&2
    chroot "$r" apt-get clean
    mounts_down "$r"
    trap - EXIT
  fi
  echo "$r"
}

run_chroot() {  # run_chroot SUITE ARCH CMD...
  local suite=$1 arch=$2; shift 2
  local r; r=$(root_of "$suite" "$arch")
  [ -x "$r/usr/bin/apt-get" ] || { echo "no chroot $r: run 'make' first" >&2; exit 1; }
  [ "$arch" = "$(host_arch)" ] || binfmt_up "$arch"
  mounts_up "$r"
  trap 'mounts_down "$r"' EXIT
  local rc=0
  chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    FASTAAIGRID_SHARED_DIR=/shared "$@" || rc=$?
  mounts_down "$r"
  trap - EXIT
  return $rc
}

cmd=${1:?usage: chroot.sh make|run SUITE [ARCH] ...}; shift
suite=${1:?suite}; shift
arch=$(host_arch)
if [ $# -gt 0 ] && [ "$1" != "--" ]; then arch=$1; shift; fi
case $cmd in
  make) make_chroot "$suite" "$arch" "$@" ;;
  run)  [ "${1:-}" = "--" ] && shift; run_chroot "$suite" "$arch" "$@" ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
