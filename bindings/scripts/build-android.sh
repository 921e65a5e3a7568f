#!/usr/bin/env bash
# Build libgridwork_ffi.so for Android and generate its Kotlin, for the
# Gradle build of android/gridwork-core (the module the app depends on).
#
#   bindings/scripts/build-android.sh
#
# Writes (both git-ignored):
#   android/gridwork-core/src/main/jniLibs/{arm64-v8a,armeabi-v7a,x86_64}/libgridwork_ffi.so
#   android/gridwork-core/build/generated/uniffi/kotlin/org/gridwork/core/gridwork_ffi.kt
#
# Needs: the Android NDK (r27+; found by cargo-ndk from ANDROID_NDK_HOME or the
# Android SDK's ndk/ folder). Installs the rustup targets and cargo-ndk if missing.
#
# Settings (environment):
#   GRIDWORK_ANDROID_MIN_SDK  API level to link against; must equal the app's minSdk (default 26)
#   GRIDWORK_PROFILE          cargo profile (default release-mobile; "dev" for a debuggable build)
#   GRIDWORK_ANDROID_ABIS     comma-separated ABIs (default arm64-v8a,armeabi-v7a,x86_64)
#
# Not run on the project's Linux CI (no NDK there); see bindings/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

MODULE="$ROOT/android/gridwork-core"
JNILIBS="$MODULE/src/main/jniLibs"
KOTLIN_OUT="$MODULE/build/generated/uniffi/kotlin"
MIN_SDK=${GRIDWORK_ANDROID_MIN_SDK:-26}
PROFILE=${GRIDWORK_PROFILE:-release-mobile}
ABIS=${GRIDWORK_ANDROID_ABIS:-arm64-v8a,armeabi-v7a,x86_64}
CARGO_NDK_VERSION=4.1.2

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')

rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
if ! cargo ndk --version 2>/dev/null | grep -q "$CARGO_NDK_VERSION"; then
  cargo install --locked cargo-ndk --version "$CARGO_NDK_VERSION"
fi

# One .so per ABI in the jniLibs layout. cargo-ndk links with 16 KB page
# alignment for 64-bit ABIs (needed from Android 15) and picks the NDK's clang
# for the C code (SQLite). Remove first so that a dropped ABI does not linger.
rm -rf "$JNILIBS"
cargo ndk --platform "$MIN_SDK" --target "$ABIS" --output-dir "$JNILIBS" \
  build --locked -p gridwork-ffi --features vendored-openssl --profile "$PROFILE"

# Kotlin is generated from the host build: the Android libraries are stripped
# and no longer carry UniFFI's metadata, and the API is the same on every target.
cargo build --locked -p gridwork-ffi
cargo build --locked -p uniffi-bindgen
case "$(uname -s)" in Darwin) HOST_LIB=libgridwork_ffi.dylib ;; *) HOST_LIB=libgridwork_ffi.so ;; esac
rm -rf "$KOTLIN_OUT"
cargo uniffi-bindgen generate --no-format "$TARGET_DIR/debug/$HOST_LIB" -l kotlin -o "$KOTLIN_OUT"

find "$JNILIBS" -name '*.so' -exec ls -l {} +
echo "Kotlin: $KOTLIN_OUT"
