#!/usr/bin/env bash
# The console's browser tests: playwright-core drives Debian's Chromium
# against a real `gridwork demo --small --serve` (tests/harness.mjs), with
# axe-core checks and screenshots into docs/screenshots/console/. Installs
# chromium and a CJK font from Debian if missing (as root), builds the
# console, and uses the binary `cargo test --workspace` builds.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
scripts/build-console.sh
# The test build's binary: the same one the Rust tests ran (ADR 0014); its
# build script embeds console/dist once it exists.
cargo test --quiet --workspace --locked --no-run 2>/dev/null
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
export GRIDWORK_BIN=$target/debug/gridwork
cd console
rc=0
node --test --test-concurrency=1 tests/ >"$target/test-console.log" 2>&1 || rc=$?
grep -E "^(not )?ok |^# (tests|pass|fail)" "$target/test-console.log" || true
if [ "$rc" -ne 0 ]; then
  grep -B2 -A30 "^not ok" "$target/test-console.log" | head -n 120 >&2
  echo "console tests: FAILED (exit $rc; full log: $target/test-console.log)" >&2
  exit "$rc"
fi
awk '/^# pass/ { p = $3 } /^# fail/ { f = $3 } END { printf "console tests: %d passed, %d failed\n", p, f }' "$target/test-console.log"
