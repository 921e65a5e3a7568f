#!/usr/bin/env bash
# Compile the Android app module (android/app) with the screens (android/ui)
# and the generated bindings against Android's API (Robolectric's
# android-all, SDK 35) and Jetpack Compose, WorkManager, androidx.core and
# the UnifiedPush connector from Maven Central; then run the app's
# Robolectric tests (Keystore secret store, the upload and sync workers
# against a real `gridwork serve`, notifications, location) on the JVM.
#
#   android/scripts/test-app.sh [BINDINGS_DIR]
#
# Why not Gradle: this machine has neither Gradle nor the Android Gradle
# Plugin nor Google's Maven (docs/adr/0015-android-app-without-gradle.md). The Gradle
# build in android/ is what Android Studio uses; this script compiles the
# same sources the way that build would, minus resource merging and dexing.
# Dependencies are resolved by coursier (itself fetched from Maven Central
# with Maven) because plain Maven cannot resolve Android aars.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT=$(cd "${1:-$TARGET_DIR/bindings}" && pwd)
WORK="$TARGET_DIR/android-app"
CENTRAL=${GRIDWORK_MAVEN_CENTRAL:-https://repo1.maven.org/maven2}

log() { printf '[test-app] %s\n' "$*"; }
die() { printf '[test-app] ERROR: %s\n' "$*" >&2; exit 1; }

[ -s "$OUT/lib/libgridwork_ffi.so" ] || die "no library in $OUT/lib: run bindings/scripts/generate.sh first"
[ -x "$OUT/bin/gridwork" ] || die "no server binary in $OUT/bin: run bindings/scripts/generate.sh first"
[ -s "$OUT/kotlin/org/gridwork/core/gridwork_ffi.kt" ] || die "no Kotlin bindings in $OUT/kotlin"
command -v mvn >/dev/null || die "mvn is not on the PATH (Debian: apt-get install maven)"

# Versions: the same as android/gradle/libs.versions.toml. Gradle aligns
# the androidx groups (lifecycle, activity, core) through module metadata;
# coursier reads POMs only, so their -ktx and savedstate parts are pinned
# here to the same versions, or old copies of their classes would shadow.
KOTLIN=2.4.21
ANDROID_ALL=15-robolectric-13954326
MAIN_DEPS=(
  androidx.activity:activity-compose:1.12.4
  androidx.compose.material3:material3-android:1.5.0
  androidx.work:work-runtime:2.11.2
  androidx.core:core:1.17.0
  androidx.core:core-ktx:1.17.0
  androidx.activity:activity-ktx:1.12.4
  androidx.lifecycle:lifecycle-viewmodel:2.10.0
  androidx.lifecycle:lifecycle-viewmodel-ktx:2.10.0
  androidx.lifecycle:lifecycle-viewmodel-savedstate:2.10.0
  androidx.lifecycle:lifecycle-runtime-ktx:2.10.0
  org.unifiedpush.android:connector:3.1.2
  com.squareup.okhttp3:okhttp:4.12.0
  com.journeyapps:zxing-android-embedded:4.3.0
  org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2
  org.jetbrains.kotlin:kotlin-stdlib:$KOTLIN
  net.java.dev.jna:jna:5.19.1
)
TEST_DEPS=(
  androidx.work:work-testing:2.11.2
  org.robolectric:robolectric:4.17
  junit:junit:4.13.2
)
mkdir -p "$WORK"

# coursier, from Maven Central through Maven (once per machine).
CS_LIB="$WORK/coursier"
if [ ! -e "$CS_LIB/.done" ]; then
  log "fetching coursier 2.1.24 with Maven"
  mvn -B -q -ntp -Dstyle.color=never dependency:copy-dependencies -f "$ROOT/android/app/coursier.pom.xml" \
    -DoutputDirectory="$CS_LIB" >/dev/null
  touch "$CS_LIB/.done"
fi
cs() { java -cp "$(ls -d "$CS_LIB"/*.jar | tr '\n' ':')" coursier.cli.Coursier "$@"; }
fetch() {
  cs fetch --no-default -r "$CENTRAL" -A jar,aar,bundle \
    --reconciliation 'androidx.*:*:relaxed' --reconciliation 'org.jetbrains.kotlinx:*:relaxed' \
    --reconciliation 'org.jetbrains.kotlin:*:relaxed' "$@" 2>"$WORK/coursier.log" ||
    { tail -20 "$WORK/coursier.log" >&2; die "coursier could not resolve $*"; }
}

# Resolution and the main compile are skipped when nothing they depend on
# changed since the last run (a stamp of the inputs' hashes).
stamp() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
DEPS_STAMP=$( (printf "%s\n" "$KOTLIN" "$ANDROID_ALL" "${MAIN_DEPS[@]}" "${TEST_DEPS[@]}"; cat "$ROOT/android/scripts/aar_classpath.py") | sha256sum | cut -c1-16)
if [ "$(cat "$WORK/deps.stamp" 2>/dev/null)" != "$DEPS_STAMP" ]; then
  log "resolving the app's dependencies"
  fetch "${MAIN_DEPS[@]}" >"$WORK/main.txt"
  fetch "${MAIN_DEPS[@]}" "${TEST_DEPS[@]}" >"$WORK/test.txt"
  fetch "org.jetbrains.kotlin:kotlin-compiler-embeddable:$KOTLIN" >"$WORK/kotlinc.txt"
  fetch --intransitive "org.jetbrains.kotlin:kotlin-compose-compiler-plugin-embeddable:$KOTLIN" >"$WORK/compose-plugin.txt"
  fetch --intransitive "org.robolectric:android-all:$ANDROID_ALL" >"$WORK/android-all.txt"
  fetch --intransitive "org.robolectric:android-all-instrumented:$ANDROID_ALL-i7" >"$WORK/android-all-i7.txt"
  python3 "$ROOT/android/scripts/aar_classpath.py" "$WORK/main.txt" "$WORK/main" >"$WORK/main.cp"
  python3 "$ROOT/android/scripts/aar_classpath.py" "$WORK/test.txt" "$WORK/test" >"$WORK/test.cp"
  rm -rf "$WORK/classes/r" && mkdir -p "$WORK/classes/r"
  mapfile -t R_SOURCES < <(find "$WORK/test/rgen" -name R.java)
  [ ${#R_SOURCES[@]} -eq 0 ] || javac -nowarn -d "$WORK/classes/r" "${R_SOURCES[@]}"
  echo "$DEPS_STAMP" >"$WORK/deps.stamp"
fi
COMPOSE_PLUGIN=$(cat "$WORK/compose-plugin.txt")
ANDROID_JAR=$(cat "$WORK/android-all.txt")
RUNTIME_JAR=$(cat "$WORK/android-all-i7.txt")
MAIN_CP=$(cat "$WORK/main.cp")
TEST_CP=$(cat "$WORK/test.cp")

kotlinc() {
  java -Xmx3g -cp "$(tr '\n' ':' <"$WORK/kotlinc.txt")" org.jetbrains.kotlin.cli.jvm.K2JVMCompiler \
    -no-stdlib -no-reflect -jvm-target 17 -Xplugin="$COMPOSE_PLUGIN" -nowarn "$@"
}

MAIN_SOURCES=("$OUT/kotlin" "$ROOT/android/gridwork-core/src/main/kotlin" "$ROOT/android/ui/src/main/kotlin" "$ROOT/android/app/src/main/kotlin")
MAIN_STAMP=$(find "${MAIN_SOURCES[@]}" -type f -print0 | sort -z | xargs -0 sha256sum | stamp - "$WORK/deps.stamp")
if [ "$(cat "$WORK/main.stamp" 2>/dev/null)" != "$MAIN_STAMP" ] || [ ! -d "$WORK/classes/main/org" ]; then
  log "compiling the bindings, the screens and the app against Android 35 and Jetpack Compose"
  rm -rf "$WORK/classes/main" && mkdir -p "$WORK/classes/main"
  kotlinc -classpath "$ANDROID_JAR:$MAIN_CP" -d "$WORK/classes/main" "${MAIN_SOURCES[@]}"
  echo "$MAIN_STAMP" >"$WORK/main.stamp"
fi
rm -rf "$WORK/classes/test" && mkdir -p "$WORK/classes/test"

log "compiling the app's tests"
kotlinc -classpath "$WORK/classes/main:$ANDROID_JAR:$TEST_CP" -d "$WORK/classes/test" \
  "$ROOT/android/app/src/test/kotlin" "$ROOT/android/testfixtures/kotlin"

mapfile -t TESTS < <(cd "$ROOT/android/app/src/test/kotlin" && find . -name '*Test.kt' | sed 's|^\./||; s|\.kt$||; s|/|.|g' | sort)
# GRIDWORK_APP_TESTS="org.gridwork.android.XTest ..." runs only those classes.
[ -z "${GRIDWORK_APP_TESTS:-}" ] || read -r -a TESTS <<<"$GRIDWORK_APP_TESTS"
log "running ${#TESTS[@]} Robolectric test classes"
cd "$WORK"
java -Xmx2g \
  -Drobolectric.offline=true -Drobolectric.dependency.dir="$(dirname "$RUNTIME_JAR")" \
  -Drobolectric.logging.enabled=false \
  -Djna.library.path="$OUT/lib" -Dgridwork.server.bin="$OUT/bin/gridwork" \
  -Dgridwork.testdata="$ROOT/bindings/testdata" \
  -cp "$WORK/classes/test:$WORK/classes/main:$WORK/classes/r:$TEST_CP:$ANDROID_JAR" \
  org.junit.runner.JUnitCore "${TESTS[@]}" | tee "$WORK/junit.log"
