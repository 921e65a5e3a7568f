#!/usr/bin/env bash
# Build the shipped library (release-mobile: opt-level z, LTO, 1 CGU,
# stripped) for the host and print a Markdown section for
# docs/benchmarks.md. Called by scripts/bench.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p gridwork-ffi --profile release-mobile >&2
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
so="$TARGET_DIR/release-mobile/libgridwork_ffi.so"
a="$TARGET_DIR/release-mobile/libgridwork_ffi.a"
bytes=$(stat -c %s "$so")
cat <<MD
## Mobile library size (\`bindings/scripts/size-report.sh\`)

The library the apps ship, built with \`cargo build -p gridwork-ffi --profile release-mobile\`
(opt-level "z", fat LTO, one codegen unit, stripped, SQLite bundled; core without its \`xlsx\` and \`land-coverage\` features), for the host (x86_64 Linux);
Android ABIs and iOS slices are built the same way by \`bindings/scripts/build-android.sh\` / \`build-ios.sh\`.

| artefact | bytes | MiB | goal |
|---|---|---|---|
| \`libgridwork_ffi.so\` (x86_64, stripped) | ${bytes} | $(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1048576 }') | ≤ 6 MB: $(awk -v b="$bytes" 'BEGIN { print (b <= 6000000 ? "yes" : "**no**") }') |
| \`libgridwork_ffi.a\` (x86_64, static, for reference) | $(stat -c %s "$a") | $(awk -v b="$(stat -c %s "$a")" 'BEGIN { printf "%.2f", b / 1048576 }') | — |
MD
