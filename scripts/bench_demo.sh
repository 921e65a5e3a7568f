#!/usr/bin/env bash
# The demo's cost: `gridwork demo` (the default city, release build) from a
# fresh directory; writes target/bench/demo.json (phase timings, peak memory
# of the server and of one phone run in its own process, server database and
# blob sizes, the server's report). Called by scripts/bench.sh; runs alone
# too (about 5 minutes on 2 cores).
# Usage: scripts/bench_demo.sh [extra demo arguments, e.g. --small]
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out"
cargo build --release --locked -p gridwork
dir="$out/demo-city"
rm -rf "$dir"
start=$(date +%s.%N)
GRIDWORK_DEMO_NO_BARS=1 target/release/gridwork demo --dir "$dir" "$@" | tee "$out/demo.txt"
end=$(date +%s.%N)
python3 - "$dir/demo-summary.json" "$out/demo.json" "$start" "$end" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["wall_secs"] = float(sys.argv[4]) - float(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=1)
print(f"demo: {d['wall_secs']:.1f} s wall; server VmHWM {d['server_vm_hwm_kib']} KiB")
PY
