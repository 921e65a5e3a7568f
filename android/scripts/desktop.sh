#!/usr/bin/env bash
# Open the Android app's screens in a window on this PC, against a server.
#
#   android/scripts/desktop.sh --server URL --code CODE [--data DIR] [--lang en]
#   android/scripts/desktop.sh --qr 'gridwork://activate?server=...&code=...'
#
# After `cargo run --release -p gridwork -- demo --small --serve`, issue a
# code for a demo person with `gridwork admin --data gridwork-demo/server
# code --user ID --server-url URL` (it prints the code and the QR text) and
# pass it here: the window enrols as that person and opens Today. Needs a
# display (X11, Wayland via XWayland, Windows, macOS), JDK 17+ and Maven;
# builds the phones' library and the bindings first if they are missing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT="$TARGET_DIR/bindings"
if [ ! -s "$OUT/lib/libgridwork_ffi.so" ] && [ ! -s "$OUT/lib/libgridwork_ffi.dylib" ]; then
  "$ROOT/bindings/scripts/generate.sh" >&2
fi
cd "$ROOT/android"
mvn -B -q -ntp -pl desktop -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile=target/classpath.txt -Dgridwork.bindings.dir="$OUT" >&2
exec java -Djna.library.path="$OUT/lib" -Dskiko.renderApi="${SKIKO_RENDER_API:-SOFTWARE}" \
  -cp "desktop/target/classes:$(cat desktop/target/classpath.txt)" org.gridwork.desktop.MainKt "$@"
