#!/usr/bin/env bash
# Run every benchmark and rewrite docs/benchmarks.md from the results.
# Usage: scripts/bench.sh            (about 6 minutes on 2 cores)
#        scripts/bench.sh morning    only a city's morning, on SQLite and on PostgreSQL;
#                                    rewrites only its section
#        scripts/bench.sh ingest     only photo ingest under load (32 phones at once) on the
#                                    data directory, an S3-compatible server (moto) and
#                                    PostgreSQL + moto; rewrites only its section
#        scripts/bench.sh store      only the device-store benchmarks (plain and
#                                    encrypted); rewrites only their sections
#        scripts/bench.sh screens    only the phone's screens on a big grid
#                                    (android/scripts/bench-ui.sh); rewrites only its section
#        scripts/bench.sh console    only the web console in Chromium on the small and the
#                                    default demo city (console/bench/bench.mjs); rewrites
#                                    only its section
# Installs what it needs: the release build, and PouchDB from npm for the
# sync baseline (bench/pouchdb).
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out"
log="$out/criterion.log"

if [ "${1:-all}" = screens ]; then
  android/scripts/bench-ui.sh "$out/screens.md"
  python3 scripts/bench_report.py --splice "$out/screens.md"
  exit 0
fi

if [ "${1:-all}" = console ]; then
  scripts/build-console.sh
  cargo build --release --locked -p gridwork
  (cd console && node bench/bench.mjs --bin ../target/release/gridwork --out "../$out/console.md")
  python3 scripts/bench_report.py --splice "$out/console.md"
  exit 0
fi

# A city's morning on SQLite, then on a throwaway PostgreSQL cluster
# (scripts/pg-cluster.sh), same machine, same script.
run_morning() {
  echo "== a city's morning: 1,890 phones × 50 operations, records in SQLite"
  target/release/gridwork-bench morning > "$out/morning.json"
  cat "$out/morning.json"
  echo "== the same morning, records in PostgreSQL (one instance)"
  eval "$(scripts/pg-cluster.sh start)"
  GRIDWORK_DATABASE="$GRIDWORK_PG_URL" target/release/gridwork-bench morning > "$out/morning-pg.json" || {
    scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR"; exit 1; }
  scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR"
  cat "$out/morning-pg.json"
  echo "== the same morning, two instances on one PostgreSQL (a fresh cluster)"
  eval "$(scripts/pg-cluster.sh start)"
  GRIDWORK_DATABASE="$GRIDWORK_PG_URL" target/release/gridwork-bench morning --instances 2 > "$out/morning-pg2.json" || {
    scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR"; exit 1; }
  scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR"
  cat "$out/morning-pg2.json"
}

# moto, the S3-compatible server (PyPI, the version tests/tus/interop.sh
# pins), on a free loopback port with a bucket; sets the AWS_* variables.
moto_pid=
start_moto() {
  local venv=$out/venv version port
  version=$(sed -n 's/^MOTO_VERSION=\([^ ]*\).*/\1/p' tests/tus/interop.sh)
  if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" != "$version" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$version"
  fi
  port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > "$out/moto.log" 2>&1 &
  moto_pid=$!
  export AWS_ENDPOINT=http://127.0.0.1:$port AWS_ALLOW_HTTP=true AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=gridwork-bench AWS_SECRET_ACCESS_KEY=gridwork-bench
  "$venv/bin/python" tests/tus/interop.py make-bucket "$AWS_ENDPOINT" gridwork-photos
}

# Photo ingest under load: 32 phones at once to one server, photos in the
# data directory, then in moto, then records in PostgreSQL and photos in
# moto (uploads in progress shared); each beside raw PUT + fsync.
run_ingest() {
  echo "== photo ingest: 32 phones × 10 photos of 300 KB at once, photos in the data directory"
  target/release/gridwork-bench ingest > "$out/ingest-data.json"
  cat "$out/ingest-data.json"
  start_moto
  echo "== the same, photos in an S3-compatible server (moto)"
  GRIDWORK_BLOBS=s3://gridwork-photos/bench target/release/gridwork-bench ingest > "$out/ingest-s3.json" || {
    kill "$moto_pid"; exit 1; }
  cat "$out/ingest-s3.json"
  echo "== the same, records in PostgreSQL and photos in moto (uploads in progress shared)"
  eval "$(scripts/pg-cluster.sh start)"
  GRIDWORK_DATABASE="$GRIDWORK_PG_URL" GRIDWORK_BLOBS=s3://gridwork-photos/bench-pg \
    target/release/gridwork-bench ingest > "$out/ingest-shared.json" || {
    scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR"; kill "$moto_pid"; exit 1; }
  scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR"
  kill "$moto_pid"
  cat "$out/ingest-shared.json"
}

if [ "${1:-all}" = ingest ]; then
  cargo build --release --locked -p gridwork -p gridwork-bench
  run_ingest
  python3 scripts/bench_report.py --ingest "$out"
  exit 0
fi

if [ "${1:-all}" = morning ]; then
  cargo build --release --locked -p gridwork -p gridwork-bench
  run_morning
  python3 scripts/bench_report.py --morning "$out"
  exit 0
fi

if [ "${1:-all}" = store ]; then
  # The phones ship SQLCipher on a vendored OpenSSL: measure that one.
  cargo bench --locked -p gridwork-core --features vendored-openssl --bench store 2>&1 | tee "$log" | grep -E "time:|figure:" || true
  python3 scripts/bench_report.py "$log" "scripts/bench.sh store" "$out" --only-store
  exit 0
fi

echo "== release build"
cargo build --release --locked -p gridwork -p gridwork-bench

echo "== device store benchmarks (criterion)"
cargo bench --locked -p gridwork-core --features vendored-openssl --bench store 2>&1 | tee "$log" | grep -E "time:|figure:" || true

echo "== sync: initial sync and push of 10,000 records (Gridwork)"
target/release/gridwork-bench sync --n 10000 --out "$out" > "$out/sync.json"
cat "$out/sync.json"

echo "== sync baseline: PouchDB replication of the same records"
npm ci --prefix bench/pouchdb --silent --no-audit --no-fund
node bench/pouchdb/run.mjs --records "$out/pull-records.json" --push-records "$out/push-records.json" > "$out/pouchdb.json"
python3 -c "import json; d=json.load(open('$out/pouchdb.json')); print({k: (d[k]['seconds'], d[k]['requests']) for k in ('pull', 'push')})"

run_morning

echo "== photo uploads: 200 × 300 KB over tus beside raw HTTP PUT; link cuts"
target/release/gridwork-bench uploads > "$out/uploads.json"
cat "$out/uploads.json"

run_ingest

echo "== the escalation engine: 10,000 open cases, deadline-to-push latency on a test clock"
target/release/gridwork-bench escalation > "$out/escalation.json"
cat "$out/escalation.json"

echo "== the demo city's cost: gridwork demo (default city), timings, peak memory, sizes"
scripts/bench_demo.sh > /dev/null

echo "== mobile library size"
bindings/scripts/size-report.sh > "$out/size.md"

echo "== the phone's screens on a big grid (android/scripts/bench-ui.sh)"
android/scripts/bench-ui.sh "$out/screens.md"

echo "== the web console in Chromium (console/bench/bench.mjs)"
scripts/build-console.sh
(cd console && node bench/bench.mjs --bin ../target/release/gridwork --out "../$out/console.md")

python3 scripts/bench_report.py "$log" "scripts/bench.sh" "$out"
