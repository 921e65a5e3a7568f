#!/usr/bin/env bash
# Run every benchmark and rewrite docs/benchmarks.md from the results.
# Usage: scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
extra=()
trap 'rm -f "$log" "${extra[@]}"' EXIT

echo "== device store benchmarks (criterion)"
cargo bench -p gridwork-core --bench store 2>&1 | tee "$log" | grep -E "time:|figure:|^(household|record|case)" || true
if [ -x bindings/scripts/size-report.sh ]; then
  echo "== mobile library size"
  size_md=$(mktemp); extra+=("$size_md")
  bindings/scripts/size-report.sh > "$size_md"
fi
python3 scripts/bench_report.py "$log" "scripts/bench.sh" "${extra[@]}"
