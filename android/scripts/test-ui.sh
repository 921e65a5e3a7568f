#!/usr/bin/env bash
# Build the app's screens (android/ui) on the desktop JVM and run their
# Compose UI tests against a real `gridwork serve` and the real core
# through the generated bindings. Screenshots go to docs/screenshots/android/.
#
#   android/scripts/test-ui.sh [BINDINGS_DIR]
#
# BINDINGS_DIR is what bindings/scripts/generate.sh printed (default
# <target>/bindings). Needs JDK 17+ and Maven (Compose Multiplatform and
# Skiko come from Maven Central on first use) and a CJK font for the
# Chinese screens (installed here with apt when running as root).
# Extra Maven arguments can be passed in GRIDWORK_MVN_ARGS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT=$(cd "${1:-$TARGET_DIR/bindings}" && pwd)

die() { printf '[test-ui] ERROR: %s\n' "$*" >&2; exit 1; }

[ -s "$OUT/lib/libgridwork_ffi.so" ] || [ -s "$OUT/lib/libgridwork_ffi.dylib" ] ||
  die "no library in $OUT/lib: run bindings/scripts/generate.sh first"
[ -x "$OUT/bin/gridwork" ] || die "no server binary in $OUT/bin: run bindings/scripts/generate.sh first"
command -v mvn >/dev/null || die "mvn is not on the PATH (Debian: apt-get install maven)"

# Chinese screens need a CJK font, or every character draws as a box.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-noto-cjk fontconfig >/dev/null
  else
    die "no CJK font: install fonts-noto-cjk"
  fi
fi

cd "$ROOT/android"
# The ui and desktop modules and what they need (gridwork-core), their
# tests only: the binding tests of gridwork-core run in the kotlin phase.
# shellcheck disable=SC2086
exec mvn -B -ntp -Dstyle.color=never ${GRIDWORK_MVN_ARGS:-} -pl ui,desktop -am test \
  -Dtest='org.gridwork.app.**,org.gridwork.desktop.**' -Dsurefire.failIfNoSpecifiedTests=false \
  -Dgridwork.bindings.dir="$OUT"
