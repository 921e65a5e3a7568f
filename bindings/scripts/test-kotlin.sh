#!/usr/bin/env bash
# Compile the generated Kotlin with android/gridwork-core on a desktop JVM and
# run its JUnit 5 tests against the host-built library (through JNA).
#
#   bindings/scripts/test-kotlin.sh [BINDINGS_DIR]
#
# BINDINGS_DIR is what generate.sh printed (default <target>/bindings).
# Needs JDK 17+ and Maven; dependencies come from Maven Central on first use.
# Extra Maven arguments can be passed in GRIDWORK_MVN_ARGS (e.g. -o, -q).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT=$(cd "${1:-$TARGET_DIR/bindings}" && pwd)

die() { printf '[test-kotlin] ERROR: %s\n' "$*" >&2; exit 1; }

[ -s "$OUT/lib/libgridwork_ffi.so" ] || [ -s "$OUT/lib/libgridwork_ffi.dylib" ] ||
  die "no library in $OUT/lib: run bindings/scripts/generate.sh first"
[ -d "$OUT/kotlin" ] || die "no generated Kotlin in $OUT/kotlin: run bindings/scripts/generate.sh first"
command -v mvn >/dev/null || die "mvn is not on the PATH (Debian: apt-get install maven)"
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { print $2 }')
[ "${java_major:-0}" -ge 17 ] 2>/dev/null || die "JDK 17 or newer needed (java.specification.version=${java_major:-none})"

cd "$ROOT/android/gridwork-core"
# -B -ntp: batch mode without download progress; surefire's summary
# ("Tests run: N, Failures: N, ...") stays near the end.
# shellcheck disable=SC2086
exec mvn -B -ntp -Dstyle.color=never ${GRIDWORK_MVN_ARGS:-} test -Dgridwork.bindings.dir="$OUT"
