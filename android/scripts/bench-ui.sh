#!/usr/bin/env bash
# The phone's screens on a big grid (desktop JVM, encrypted store): launch
# to Today's first frame and each screen's core call, 5,000 households and
# 50,000 visits beside a baseline of 100 and 1,000 in the same run. Writes
# a Markdown section for docs/benchmarks.md to OUT (default stdout);
# `scripts/bench.sh screens` splices it in.
#
#   android/scripts/bench-ui.sh [OUT]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BINDINGS="$TARGET_DIR/bindings"
[ -s "$BINDINGS/lib/libgridwork_ffi.so" ] || "$ROOT/bindings/scripts/generate.sh" >&2
out=${1:-/dev/stdout}
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
log="$TARGET_DIR/bench-ui.log"
cd "$ROOT/android"
mvn -B -ntp -Dstyle.color=never -pl ui -am test -Dtest='org.gridwork.bench.**' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dgridwork.bindings.dir="$BINDINGS" >"$log" 2>&1 ||
  { tail -n 40 "$log" >&2; echo "bench-ui: FAILED (log: $log)" >&2; exit 1; }
{
  echo "## The phone's screens on a big grid (\`android/scripts/bench-ui.sh\`)"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, desktop JVM $(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.version =/ {print $2}'), the phone's encrypted store."
  echo "The worker's one grid holds 5,000 households and 50,000 visits; the baseline, in the same run,"
  echo "100 and 1,000. Launch: opening the store with its key to Today's first frame (the owner signed"
  echo "in, the Today call, composition; polled, so a frame or two of slack). Each screen's core call:"
  echo "median and worst of 21 after a warm-up. Goal: under 50 ms per screen's core calls; no store"
  echo "call on the UI thread (the state holders call through \`AppSession.call\` on the IO dispatcher)."
  echo "The visits are a year of work: the store is built on a clock (\`GridworkStore.openWithClock\`)"
  echo "that starts a year back and moves on with each visit, so the last day holds about 1/365 of them"
  echo "(137 of 50,000), as a real phone's would; the screens are then timed on the real clock."
  echo
  sed -n 's/^BENCH //p' "$log"
} >"$out"
