#!/usr/bin/env bash
# tus interoperability: the real `gridwork serve` on loopback with a fresh
# data directory and the test village, a worker device whose visit and four
# evidence records arrive through /v1/sync/push, and their photos uploaded
# by two standard tus clients:
#   tuspy (PyPI, pinned)          photo 0 whole with sha1 chunk checksums;
#                                 photo 1 half, stopped, resumed by a new
#                                 uploader from its URL storage
#   tus-js-client (npm, pinned)   sha256 checksums on every PATCH (a wrong
#                                 one answered 460); photo 2 whole; photo 3
#                                 aborted after one chunk, resumed with
#                                 findPreviousUploads
# then checked on the server: HEAD offset == length, the record stored, the
# blob and the download byte-identical to the phone's file. Two rounds, one
# per photo store: the data directory (the default), then an S3-compatible
# bucket (`--blobs s3://…`) served by a real moto server process on
# loopback (PyPI), where the check reads the object back from the bucket.
# A third round shares uploads between two instances: both on one
# throwaway PostgreSQL cluster (scripts/pg-cluster.sh) and the moto bucket;
# every photo's first half goes to instance A, then A is killed (`kill -9`)
# while a PATCH of one photo's rest is half received; instance B answers
# HEAD with the offset A acknowledged, 423 for that photo until the dead
# instance's lease lapses (`--upload-lease-secs 2`), and takes every rest;
# A, restarted, serves every photo byte-identical.
# Exits non-zero on any failure; the last line is the summary.
#
# Environment: CARGO_TARGET_DIR (venv, logs). Needs python3 with venv, node
# and npm, and PyPI/npm the first time.
set -euo pipefail
cd "$(dirname "$0")/../.."

TUSPY_VERSION=1.1.0        # tus-js-client: pinned in tests/tus/js/package.json (+ lock)
MOTO_VERSION=5.2.5         # the S3-compatible server (moto's server mode)

target=${CARGO_TARGET_DIR:-$PWD/target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
venv=$target/tus/venv
out=$target/tus
mkdir -p "$out"

# ---- clients
installed=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("tuspy"), m.version("moto"))' 2>/dev/null || true)
if [ "$installed" != "$TUSPY_VERSION $MOTO_VERSION" ]; then
  echo "installing tuspy $TUSPY_VERSION and moto $MOTO_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "tuspy==$TUSPY_VERSION" "moto[server]==$MOTO_VERSION"
fi
if [ ! -d tests/tus/js/node_modules/tus-js-client ]; then
  (cd tests/tus/js && npm ci --no-audit --no-fund --silent)
fi
echo "clients: tuspy $TUSPY_VERSION, tus-js-client $(node -p 'require("./tests/tus/js/node_modules/tus-js-client/package.json").version')"

# ---- the server
# The test build's binary (`cargo test --workspace` builds it for the cli
# tests): nothing is rebuilt after the Rust step (ADR 0014).
cargo test --quiet --workspace --locked --no-run
bin=$target/debug/gridwork
tmp=$(mktemp -d)
server_pid=
server_b_pid=
s3_pid=
pg_dir=
stop() {
  if [ -n "${!1}" ]; then
    kill "${!1}" 2>/dev/null || true
    wait "${!1}" 2>/dev/null || true
  fi
  eval "$1="
}
cleanup() {
  stop server_pid
  stop server_b_pid
  stop s3_pid
  [ -z "$pg_dir" ] || bash scripts/pg-cluster.sh stop "$pg_dir" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free loopback port for moto (the OS picks; a race with another process
# taking it in between would show as moto failing to start).
free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# moto on a free port with the test bucket; sets the AWS_* variables the
# server reads.
start_s3() {
  local port
  port=$(free_port)
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$out/moto.log" 2>&1 &
  s3_pid=$!
  export AWS_ENDPOINT=http://127.0.0.1:$port AWS_ALLOW_HTTP=true AWS_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID=gridwork-test AWS_SECRET_ACCESS_KEY=gridwork-test
  "$venv/bin/python" tests/tus/interop.py make-bucket "$AWS_ENDPOINT" gridwork-photos
}

# `gridwork serve` on DATA with photos in BLOBS (and any further
# arguments), its log in LOG; sets launched_pid, launched_url and
# launched_code (the first administrator's code, on a first start).
launch() {
  local data=$1 blobs=$2 log=$3 stdout
  shift 3
  stdout=$(mktemp "$tmp/stdout.XXXX")
  RUST_LOG=${RUST_LOG:-warn} "$bin" serve --listen 127.0.0.1:0 --data "$data" --blobs "$blobs" "$@" \
    >"$stdout" 2>"$log" &
  launched_pid=$!
  for _ in $(seq 300); do
    grep -q '^OpenAPI:' "$stdout" 2>/dev/null && break
    kill -0 "$launched_pid" 2>/dev/null || { cat "$stdout" "$log" >&2; echo "server exited" >&2; exit 1; }
    sleep 0.1
  done
  grep -q '^OpenAPI:' "$stdout" || { cat "$stdout" "$log" >&2; echo "server did not start" >&2; exit 1; }
  launched_url=$(sed -n 's/^gridwork server listening on \(http:[^ ]*\).*/\1/p' "$stdout")
  launched_code=$(sed -n 's/.*activation code: *//p' "$stdout" | tr -d '[:space:]')
}

# One round: a fresh data directory, the server with the given photo store,
# the visit, both clients, the check. $1: data or s3.
round() {
  local store=$1 data=$tmp/$1/data work=$tmp/$1/work blobs=data
  mkdir -p "$work"
  if [ "$store" = s3 ]; then
    start_s3
    blobs=s3://gridwork-photos/city
  fi
  launch "$data" "$blobs" "$out/server-$store.log"
  server_pid=$launched_pid
  local url=$launched_url admin_code=$launched_code
  echo "round $store: server $url (pid $server_pid, photos in $blobs, log $out/server-$store.log)"

  # ---- the administrator, the village, a worker's visit with four photos
  eval "$("$venv/bin/python" tests/api/enroll.py "$url" "$admin_code" tus-admin bindings/testdata)"
  "$venv/bin/python" tests/tus/interop.py setup "$url" "$GRIDWORK_TOKEN" "$work"

  # ---- uploads by the two clients, then the server's word
  "$venv/bin/python" tests/tus/interop.py tuspy "$url" "$work"
  node tests/tus/js/upload.js "$url" "$work"
  "$venv/bin/python" tests/tus/interop.py verify "$url" "$work" "$data" "$blobs"
  kill -0 "$server_pid" 2>/dev/null || { echo "the server died during the run (log: $out/server-$store.log)" >&2; exit 1; }
  stop server_pid
  stop s3_pid
}

# Two instances sharing uploads in progress (PostgreSQL + the bucket).
round_shared() {
  local work=$tmp/shared/work a=$tmp/shared/a b=$tmp/shared/b blobs=s3://gridwork-photos/shared
  mkdir -p "$work" "$b"
  eval "$(bash scripts/pg-cluster.sh start)"
  pg_dir=$GRIDWORK_PG_DIR
  start_s3
  local lease=(--upload-lease-secs 2)
  launch "$a" "$blobs" "$out/server-shared-a.log" --database "$GRIDWORK_PG_URL" "${lease[@]}"
  server_pid=$launched_pid
  local url_a=$launched_url admin_code=$launched_code
  # The second instance: a data directory of its own, the first one's key.
  cp "$a/auth.key" "$b/auth.key"
  launch "$b" "$blobs" "$out/server-shared-b.log" --database "$GRIDWORK_PG_URL" "${lease[@]}"
  server_b_pid=$launched_pid
  local url_b=$launched_url
  echo "round shared: instances $url_a (pid $server_pid) and $url_b (pid $server_b_pid) on one PostgreSQL, photos in $blobs"
  eval "$("$venv/bin/python" tests/api/enroll.py "$url_a" "$admin_code" tus-admin bindings/testdata)"
  "$venv/bin/python" tests/tus/interop.py setup "$url_a" "$GRIDWORK_TOKEN" "$work"
  "$venv/bin/python" tests/tus/interop.py half "$url_a" "$work"
  # A PATCH in flight on A when it dies: its 64 kB sent, the rest not.
  "$venv/bin/python" tests/tus/interop.py stall "$url_a" "$work" >"$tmp/stall.out" &
  local stall_pid=$!
  for _ in $(seq 100); do grep -q stalled "$tmp/stall.out" && break; sleep 0.1; done
  grep -q stalled "$tmp/stall.out" || { echo "the stalled PATCH never started" >&2; exit 1; }
  sleep 0.3
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  wait "$stall_pid" || true
  "$venv/bin/python" tests/tus/interop.py finish "$url_a" "$url_b" "$work" 1
  launch "$a" "$blobs" "$out/server-shared-a.log" --database "$GRIDWORK_PG_URL" "${lease[@]}"
  server_pid=$launched_pid
  "$venv/bin/python" tests/tus/interop.py verify "$launched_url" "$work" "$a" "$blobs"
  for pid in "$server_pid" "$server_b_pid"; do
    kill -0 "$pid" 2>/dev/null || { echo "an instance died during the run (logs: $out/server-shared-*.log)" >&2; exit 1; }
  done
  stop server_pid
  stop server_b_pid
  stop s3_pid
  bash scripts/pg-cluster.sh stop "$pg_dir"
  pg_dir=
}

round data
round s3
round_shared
echo "tus interop: ok — 4/4 photos stored byte-identical, in the data directory and in an S3 bucket (moto $MOTO_VERSION) (tuspy $TUSPY_VERSION: sha1 checksums, stop+resume; tus-js-client: sha256 checksums, 460 on a wrong one, whole, abort+resume); two instances on PostgreSQL + the bucket: 4/4 begun on A, A killed mid-PATCH, finished on B"
