#!/usr/bin/env bash
# Build gridwork-ffi for the host (debug, unstripped: the UniFFI metadata that
# the generator reads is lost when stripped) and generate Kotlin and Swift
# from it. Everything goes under <target>/bindings/, never into git:
#
#   <target>/bindings/lib/libgridwork_ffi.so   the library the tests load
#   <target>/bindings/kotlin/org/gridwork/core/gridwork_ffi.kt
#   <target>/bindings/swift/{GridworkCore.swift,GridworkCoreFFI.h,GridworkCoreFFI.modulemap}
#
# Usage: bindings/scripts/generate.sh        (prints the output dir last)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT="$TARGET_DIR/bindings"

case "$(uname -s)" in
  Darwin) LIB=libgridwork_ffi.dylib ;;
  *) LIB=libgridwork_ffi.so ;;
esac

# The generator and the server the binding tests sync against: the test
# build's binaries (nothing rebuilt after `cargo test --workspace`; `cargo
# uniffi-bindgen`, a `cargo run -p`, would build the generator again).
cargo test --locked --workspace --no-run --quiet
# The library, from the test build's units: `--tests` on the whole
# workspace unifies features exactly as `cargo test --workspace` did
# (dev-dependencies included), so only gridwork-ffi's own cdylib is
# compiled here, not the core and its dependencies again (ADR 0014). The
# phones ship release builds from build-android.sh / build-ios.sh; this is
# the host library the binding tests load.
cargo build --locked --workspace --lib --tests --quiet
BINDGEN="$TARGET_DIR/debug/uniffi-bindgen"

rm -rf "${OUT:?}/lib" "${OUT:?}/kotlin" "${OUT:?}/swift"
mkdir -p "$OUT/lib"
# Copy, so that the bindings and the tests use this very build even if a later
# `cargo build --workspace` replaces target/debug/$LIB.
cp "$TARGET_DIR/debug/$LIB" "$OUT/lib/$LIB"
mkdir -p "$OUT/bin"
cp "$TARGET_DIR/debug/gridwork" "$OUT/bin/gridwork"

# --no-format: ktlint and swiftformat are not installed (and not needed).
"$BINDGEN" generate --no-format "$OUT/lib/$LIB" -l kotlin -o "$OUT/kotlin"
"$BINDGEN" generate --no-format "$OUT/lib/$LIB" -l swift -o "$OUT/swift"

test -s "$OUT/kotlin/org/gridwork/core/gridwork_ffi.kt"
test -s "$OUT/swift/GridworkCore.swift"
test -s "$OUT/swift/GridworkCoreFFI.h"
test -s "$OUT/swift/GridworkCoreFFI.modulemap"
echo "$OUT"
