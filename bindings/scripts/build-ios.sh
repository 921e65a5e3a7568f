#!/usr/bin/env bash
# Build the static library for iOS devices and simulators, wrap it in an
# XCFramework with the generated C header, and put the generated Swift into
# the SwiftPM package ios/GridworkCore (which the iOS app adds as a local
# package and imports as `GridworkCore`).
#
#   bindings/scripts/build-ios.sh          (on a Mac with Xcode)
#
# Writes (git-ignored):
#   ios/GridworkCore/GridworkCoreFFI.xcframework   ios-arm64 + ios-arm64_x86_64-simulator
#   ios/GridworkCore/Sources/GridworkCore/GridworkCore.swift
#
# Settings (environment):
#   GRIDWORK_PROFILE          cargo profile (default release-mobile)
#   IPHONEOS_DEPLOYMENT_TARGET  (default 15.0, as in Package.swift)
#
# Not run on the project's Linux CI (needs Xcode); see bindings/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

[ "$(uname -s)" = Darwin ] || { echo "build-ios.sh needs macOS with Xcode" >&2; exit 1; }
command -v xcodebuild >/dev/null || { echo "xcodebuild not found: install Xcode" >&2; exit 1; }

PKG="$ROOT/ios/GridworkCore"
PROFILE=${GRIDWORK_PROFILE:-release-mobile}
export IPHONEOS_DEPLOYMENT_TARGET=${IPHONEOS_DEPLOYMENT_TARGET:-15.0}
DEVICE=aarch64-apple-ios
SIMS=(aarch64-apple-ios-sim x86_64-apple-ios)

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# cargo puts the "dev" profile in debug/, every other profile in its own name.
PROFILE_DIR=$PROFILE
[ "$PROFILE" != dev ] || PROFILE_DIR=debug
STAGE="$TARGET_DIR/ios"

rustup target add "$DEVICE" "${SIMS[@]}"
for t in "$DEVICE" "${SIMS[@]}"; do
  cargo build --locked -p gridwork-ffi --features vendored-openssl --profile "$PROFILE" --target "$t"
done

# Swift and the C header come from the host (macOS) build: same API, and its
# library still carries UniFFI's metadata.
cargo build --locked -p gridwork-ffi
cargo build --locked -p uniffi-bindgen
rm -rf "$STAGE"
mkdir -p "$STAGE/swift" "$STAGE/headers" "$STAGE/sim"
cargo uniffi-bindgen generate --no-format "$TARGET_DIR/debug/libgridwork_ffi.dylib" -l swift -o "$STAGE/swift"
cp "$STAGE/swift/GridworkCoreFFI.h" "$STAGE/headers/"
# Inside an XCFramework's Headers the module map must be called module.modulemap.
cp "$STAGE/swift/GridworkCoreFFI.modulemap" "$STAGE/headers/module.modulemap"

# One fat library for both simulator architectures (an XCFramework takes one
# library per platform variant).
sim_libs=()
for t in "${SIMS[@]}"; do sim_libs+=("$TARGET_DIR/$t/$PROFILE_DIR/libgridwork_ffi.a"); done
lipo -create "${sim_libs[@]}" -output "$STAGE/sim/libgridwork_ffi.a"

rm -rf "$PKG/GridworkCoreFFI.xcframework"
xcodebuild -create-xcframework \
  -library "$TARGET_DIR/$DEVICE/$PROFILE_DIR/libgridwork_ffi.a" -headers "$STAGE/headers" \
  -library "$STAGE/sim/libgridwork_ffi.a" -headers "$STAGE/headers" \
  -output "$PKG/GridworkCoreFFI.xcframework"

mkdir -p "$PKG/Sources/GridworkCore"
rm -rf "$PKG/Sources/GridworkCoreFFI" # the Linux test layout; the XCFramework replaces it here
cp "$STAGE/swift/GridworkCore.swift" "$PKG/Sources/GridworkCore/"

echo "XCFramework: $PKG/GridworkCoreFFI.xcframework"
echo "Swift:       $PKG/Sources/GridworkCore/GridworkCore.swift"
