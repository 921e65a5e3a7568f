#!/usr/bin/env bash
# Run the XCTests of ios/GridworkCore against the host-built library and the
# generated Swift, on Linux.
#
#   bindings/scripts/test-swift.sh [BINDINGS_DIR]
#
# BINDINGS_DIR is what generate.sh printed (default <target>/bindings).
#
# If `swift` is on the PATH it is used directly. Otherwise (Debian bookworm has
# no Swift) the tests run in a Debian trixie chroot with Debian's `swiftlang`,
# created once (about 1 minute, 2.6 GB) at $GRIDWORK_SWIFT_CHROOT
# (default /var/cache/gridwork/swift-trixie) and reused. That needs root.
# The host-built library (glibc <= 2.34 symbols) runs inside trixie as is.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PKG="$ROOT/ios/GridworkCore"
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT=$(cd "${1:-$TARGET_DIR/bindings}" && pwd)
LIBDIR="$OUT/lib"
SCRATCH="$TARGET_DIR/bindings/swift-build"

CHROOT=${GRIDWORK_SWIFT_CHROOT:-/var/cache/gridwork/swift-trixie}
READY="$CHROOT/.gridwork-ready"
# Bump when the chroot's contents change: a chroot made by another recipe is rebuilt.
RECIPE="gridwork swift chroot v1: debian trixie minbase + swiftlang libc6-dev"

say() { printf '[test-swift] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ -s "$LIBDIR/libgridwork_ffi.so" ] || die "no $LIBDIR/libgridwork_ffi.so: run bindings/scripts/generate.sh first"
[ -s "$OUT/swift/GridworkCore.swift" ] || die "no generated Swift in $OUT/swift: run bindings/scripts/generate.sh first"

# --- the package's generated sources (git-ignored) ---------------------------
# Copied only when changed, so that an unchanged API is not recompiled.
stage() { mkdir -p "$(dirname "$2")"; cmp -s "$1" "$2" || cp "$1" "$2"; }
stage "$OUT/swift/GridworkCore.swift" "$PKG/Sources/GridworkCore/GridworkCore.swift"
stage "$OUT/swift/GridworkCoreFFI.h" "$PKG/Sources/GridworkCoreFFI/GridworkCoreFFI.h"
# A system-library target wants its module map under this exact name.
stage "$OUT/swift/GridworkCoreFFI.modulemap" "$PKG/Sources/GridworkCoreFFI/module.modulemap"
# Anything else in there is left over from another layout (e.g. build-ios.sh).
find "$PKG/Sources" -mindepth 1 -not -path "$PKG/Sources/GridworkCore" -not -path "$PKG/Sources/GridworkCoreFFI" \
  -not -name GridworkCore.swift -not -name GridworkCoreFFI.h -not -name module.modulemap -exec rm -rf {} +

# --- where swift runs ---------------------------------------------------------
MOUNTED=() # mount points made by this run, unmounted in reverse on exit

unmount_ours() {
  local i
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTED[i]}" 2>/dev/null || umount --lazy "${MOUNTED[i]}" ||
      say "WARNING: could not unmount ${MOUNTED[i]}"
  done
  MOUNTED=()
}

# Mount points below $CHROOT, deepest first.
mounts_under_chroot() {
  findmnt --raw --noheadings --output TARGET | awk -v r="$CHROOT/" 'index($0, r) == 1' | sort -r
}

bind_into_chroot() { # SRC: bind-mount SRC at the same path inside the chroot
  mkdir -p "$CHROOT$1"
  mount --bind "$1" "$CHROOT$1"
  MOUNTED+=("$CHROOT$1")
}

mount_system_dirs() {
  mount -t proc proc "$CHROOT/proc"
  MOUNTED+=("$CHROOT/proc")
  mount --bind /dev "$CHROOT/dev"
  MOUNTED+=("$CHROOT/dev")
  mount --bind /dev/pts "$CHROOT/dev/pts"
  MOUNTED+=("$CHROOT/dev/pts")
}

# The server the end-to-end XCTests start (same path inside the chroot).
export GRIDWORK_SERVER_BIN="$OUT/bin/gridwork"

in_chroot() {
  # SWIFT_BACKTRACE: Debian's swiftlang lacks the backtracer library, so a crash
  # would only add a loader error.
  chroot "$CHROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb SWIFT_BACKTRACE=enable=no \
    GRIDWORK_SERVER_BIN="$GRIDWORK_SERVER_BIN" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

debian_mirror() { # the Debian mirror that the host's apt already uses
  if [ -n "${GRIDWORK_DEBIAN_MIRROR:-}" ]; then
    echo "$GRIDWORK_DEBIAN_MIRROR"
    return
  fi
  local url
  url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' |
    grep -E '/debian/?$' | head -n1 || true)
  if [ -z "$url" ]; then
    url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break } }' |
      grep -E '/debian/?$' | head -n1 || true)
  fi
  [ -n "$url" ] || die "no Debian mirror in /etc/apt/sources.list*; set GRIDWORK_DEBIAN_MIRROR"
  echo "${url%/}"
}

create_chroot() {
  if [ -e "$CHROOT" ]; then
    say "removing the unfinished or outdated chroot at $CHROOT"
    # Never delete through a bind mount: the checkout may be mounted in there.
    [ -z "$(mounts_under_chroot)" ] || die "something is still mounted under $CHROOT; not deleting it"
    rm -rf --one-file-system "$CHROOT"
  fi
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  local mirror
  mirror=$(debian_mirror)
  say "creating a Debian trixie chroot at $CHROOT from $mirror (once; about a minute)"
  mkdir -p "$(dirname "$CHROOT")"
  debootstrap --variant=minbase trixie "$CHROOT" "$mirror" >"$CHROOT.debootstrap.log" 2>&1 ||
    { tail -n 30 "$CHROOT.debootstrap.log" >&2; die "debootstrap failed (log: $CHROOT.debootstrap.log)"; }
  cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
  mount_system_dirs
  say "installing swiftlang in the chroot"
  in_chroot apt-get update -qq
  in_chroot env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends swiftlang libc6-dev >/dev/null
  in_chroot apt-get clean
  # swift finds its libraries through $ORIGIN, which needs /proc: check it
  # while /proc is still mounted, and only then mark the chroot ready.
  { echo "$RECIPE"; in_chroot swift --version 2>&1; } >"$READY.tmp"
  unmount_ours
  mv "$READY.tmp" "$READY"
  say "chroot ready: $(tail -n +2 "$READY" | head -n1)"
}

if command -v swift >/dev/null; then
  say "using $(command -v swift)"
  run_swift() { (cd "$PKG" && "$@"); }
else
  [ "$(id -u)" = 0 ] || die "swift is not on the PATH and making/entering the trixie chroot needs root"
  mkdir -p "$(dirname "$CHROOT")"
  exec 9>"$CHROOT.lock"
  flock --nonblock 9 || { say "waiting for another run that holds $CHROOT.lock"; flock 9; }
  # On INT/TERM, stop what runs in the chroot first, then unmount (EXIT).
  child=
  stop_child() { if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" || true; fi; }
  trap unmount_ours EXIT
  trap 'stop_child; exit 130' INT
  trap 'stop_child; exit 143' TERM
  # We hold the lock, so anything still mounted in there was left by a run
  # that was killed before its trap ran.
  for m in $(mounts_under_chroot); do
    say "unmounting stale $m"
    umount "$m" || umount --lazy "$m"
  done
  if [ "$(head -n1 "$READY" 2>/dev/null || true)" != "$RECIPE" ]; then
    t0=$SECONDS
    create_chroot
    say "chroot created in $((SECONDS - t0)) s"
  fi
  mount_system_dirs
  bind_into_chroot "$ROOT"
  case "$TARGET_DIR/" in "$ROOT"/*) ;; *) bind_into_chroot "$TARGET_DIR" ;; esac
  case "$OUT/" in "$ROOT"/* | "$TARGET_DIR"/*) ;; *) bind_into_chroot "$OUT" ;; esac
  # In the background and waited for, so that a signal is handled at once.
  run_swift() {
    local rc=0
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
    in_chroot /bin/sh -c 'cd "$0" && exec "$@"' "$PKG" "$@" &
    child=$!
    wait "$child" || rc=$?
    child=
    return "$rc"
  }
fi

version=$(run_swift swift --version 2>&1)
say "${version%%$'\n'*}"
# GRIDWORK_SWIFT_PARSE names a folder of Swift that cannot be built here (the
# iOS app's SwiftUI views and Apple seams): it is parsed (syntax only; no
# SwiftUI to type-check against) so a typo fails here, not first on a Mac.
if [ -n "${GRIDWORK_SWIFT_PARSE:-}" ]; then
  mapfile -t parse_files < <(find "$GRIDWORK_SWIFT_PARSE" -name '*.swift' | sort)
  [ ${#parse_files[@]} -gt 0 ] || die "no Swift files under $GRIDWORK_SWIFT_PARSE"
  run_swift swiftc -parse "${parse_files[@]}"
  say "parsed ${#parse_files[@]} files under $GRIDWORK_SWIFT_PARSE (syntax only)"
fi
# The generated Swift needs the library at link time (-L) and run time (rpath).
t0=$SECONDS
run_swift swift build --build-tests --scratch-path "$SCRATCH" \
  -Xlinker -L"$LIBDIR" -Xlinker -rpath -Xlinker "$LIBDIR"
say "swift build: $((SECONDS - t0)) s"
# Without --disable-swift-testing the last line is Swift Testing's "0 tests",
# which hides the XCTest summary (older toolchains lack the flag and Swift Testing).
# GRIDWORK_SWIFT_FILTER narrows the run to matching tests (while iterating).
filter=()
[ -z "${GRIDWORK_SWIFT_FILTER:-}" ] || filter=(--filter "$GRIDWORK_SWIFT_FILTER")
test_help=$(run_swift swift test --help 2>&1 || true)
if [[ $test_help == *--disable-swift-testing* ]]; then
  run_swift swift test --skip-build --scratch-path "$SCRATCH" --disable-swift-testing "${filter[@]}"
else
  run_swift swift test --skip-build --scratch-path "$SCRATCH" "${filter[@]}"
fi
