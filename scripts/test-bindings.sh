#!/usr/bin/env bash
# Test the generated UniFFI bindings against the host-built Rust library:
#   1. generate  build gridwork-ffi (-p, debug) and generate Kotlin + Swift
#   2. kotlin    android/gridwork-core: JUnit 5 on the JVM through JNA (Maven)
#   3. android   android/ui: the app's screens, Compose UI tests on the
#                desktop JVM against a real server (Maven); then android/app
#                compiled against Android 35 and Jetpack Compose with its
#                Robolectric tests (android/scripts/test-app.sh)
#   4. swift     ios/GridworkCore's binding tests (GridworkCoreTests): XCTest
#                with Linux Swift (trixie chroot unless `swift` is on the
#                PATH; creating it needs root)
#   5. ios       the iOS app's screen models (GridworkScreensTests) against a
#                real server in the same chroot, and the view lint
#                (ios/scripts/test-ios.sh)
#
#   scripts/test-bindings.sh            all five
#   scripts/test-bindings.sh kotlin     generate + kotlin
#   scripts/test-bindings.sh android    generate + android
#   scripts/test-bindings.sh swift      generate + swift
#   scripts/test-bindings.sh ios        generate + ios
#
# Each phase is timed; its full output is also kept in
# <target>/bindings/logs/. Exits non-zero if any phase fails (the remaining
# test phases still run, so one run shows every failure). The last line is
# "bindings: N passed, N failed" over both test suites.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

want_kotlin=0
want_android=0
want_swift=0
want_ios=0
[ $# -gt 0 ] || set -- kotlin android swift ios
for arg in "$@"; do
  case "$arg" in
    kotlin) want_kotlin=1 ;;
    android) want_android=1 ;;
    swift) want_swift=1 ;;
    ios) want_ios=1 ;;
    *) echo "usage: $0 [kotlin] [android] [swift] [ios]" >&2; exit 2 ;;
  esac
done

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
OUT="$TARGET_DIR/bindings"
LOGS="$OUT/logs"
mkdir -p "$LOGS"

recap=()
failed=()

# run_phase NAME COMMAND...: run, tee to $LOGS/NAME.log, record time and result.
run_phase() {
  local name=$1 start rc=0
  shift
  printf '\n==> %s: %s\n' "$name" "$*"
  start=$(date +%s.%N)
  "$@" 2>&1 | tee "$LOGS/$name.log" || rc=$?
  local secs
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  # (A leading newline: Debian's Maven 3.8 ends its output with a bare "ESC[0m".)
  if [ "$rc" -eq 0 ]; then
    printf '\n<== %s: ok in %s s\n' "$name" "$secs"
    recap+=("$(printf '%-11s ok      %6s s' "$name" "$secs")")
  else
    printf '\n<== %s: FAILED (exit %s) after %s s; log: %s\n' "$name" "$rc" "$secs" "$LOGS/$name.log" >&2
    recap+=("$(printf '%-11s FAILED  %6s s  (exit %s, log %s)' "$name" "$secs" "$rc" "$LOGS/$name.log")")
    failed+=("$name")
  fi
  return "$rc"
}

passed_total=0
failed_total=0
summaries=()

surefire_counts() { # NAME: the sum of surefire's per-module totals "Tests run: N, Failures: F, Errors: E, Skipped: S"
  local name=$1 lines run=0 fail=0 err=0 skip=0 r f e k
  lines=$(grep -E '^\[[A-Z]+\] Tests run: [0-9]+, Failures: [0-9]+, Errors: [0-9]+, Skipped: [0-9]+$' "$LOGS/$name.log" || true)
  if [ -z "$lines" ]; then
    summaries+=("$name: no surefire summary (did it compile?)")
    failed_total=$((failed_total + 1))
    return
  fi
  # A reactor build (android: ui and desktop) prints one total per module.
  while read -r r f e k; do
    run=$((run + r)) fail=$((fail + f)) err=$((err + e)) skip=$((skip + k))
  done < <(sed -E 's/.*Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+), Skipped: ([0-9]+)/\1 \2 \3 \4/' <<<"$lines")
  summaries+=("$name: Tests run: $run, Failures: $fail, Errors: $err, Skipped: $skip")
  passed_total=$((passed_total + run - fail - err - skip))
  failed_total=$((failed_total + fail + err))
}

junit_core_counts() { # NAME: JUnitCore's closing "OK (N tests)" or "Tests run: N,  Failures: F"
  local name=$1 line run fail
  line=$(grep -E '^(OK \([0-9]+ tests?\)|Tests run: [0-9]+,  Failures: [0-9]+)' "$LOGS/$name.log" | tail -n1 || true)
  if [ -z "$line" ]; then
    summaries+=("$name: no JUnit summary (did it compile?)")
    failed_total=$((failed_total + 1))
    return
  fi
  if [[ $line == OK* ]]; then
    run=$(sed -E 's/OK \(([0-9]+) tests?\)/\1/' <<<"$line") fail=0
  else
    read -r run fail < <(sed -E 's/Tests run: ([0-9]+),  Failures: ([0-9]+)/\1 \2/' <<<"$line")
  fi
  summaries+=("$name: Tests run: $run, Failures: $fail")
  passed_total=$((passed_total + run - fail))
  failed_total=$((failed_total + fail))
}

swift_counts() { # NAME: XCTest's closing "Executed N tests, with F failures (U unexpected) in ..."
  local name=$1 line
  line=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$LOGS/$name.log" | tail -n1 || true)
  if [ -z "$line" ]; then
    summaries+=("$name: no XCTest summary (did it build?)")
    failed_total=$((failed_total + 1))
    return
  fi
  line=$(sed -E 's/^[[:space:]]+//' <<<"$line")
  summaries+=("$name: $line")
  read -r run fail < <(sed -E 's/.*Executed ([0-9]+) tests?, with ([0-9]+) failures?.*/\1 \2/' <<<"$line")
  passed_total=$((passed_total + run - fail))
  failed_total=$((failed_total + fail))
}

total_start=$SECONDS
if run_phase generate bindings/scripts/generate.sh; then
  if [ "$want_kotlin" = 1 ]; then
    run_phase kotlin bindings/scripts/test-kotlin.sh "$OUT" || true
    surefire_counts kotlin
  fi
  if [ "$want_android" = 1 ]; then
    run_phase android android/scripts/test-ui.sh "$OUT" || true
    surefire_counts android
    run_phase android-app android/scripts/test-app.sh "$OUT" || true
    junit_core_counts android-app
  fi
  if [ "$want_swift" = 1 ]; then
    GRIDWORK_SWIFT_FILTER=GridworkCoreTests run_phase swift bindings/scripts/test-swift.sh "$OUT" || true
    swift_counts swift
  fi
  if [ "$want_ios" = 1 ]; then
    run_phase ios ios/scripts/test-ios.sh "$OUT" || true
    swift_counts ios
  fi
fi

printf '\n== bindings: phases (total %s s) ==\n' "$((SECONDS - total_start))"
printf '%s\n' "${recap[@]}"
[ ${#summaries[@]} -eq 0 ] || printf '%s\n' "${summaries[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED phases: %s\n' "${failed[*]}" >&2
  [ "$failed_total" -gt 0 ] || failed_total=1
  printf 'bindings: %d passed, %d failed\n' "$passed_total" "$failed_total"
  exit 1
fi
printf 'bindings: %d passed, %d failed\n' "$passed_total" "$failed_total"
