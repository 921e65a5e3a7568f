#!/usr/bin/env bash
# The standby takeover of docs/deployment.md, run for real: a `gridwork
# serve` on a throwaway PostgreSQL primary with a synchronous streaming
# standby (scripts/pg-cluster.sh standby), records, devices and a photo
# written through the server; then the primary is lost (stopped
# immediately and its directory deleted, as a dead machine), the standby
# is promoted, and the server is started again on it with the same data
# directory.
#
# Passes when the standby was synchronous before the loss (every commit
# the server was answered for was on it), the administrator's report
# (every record count, devices, each photo re-hashed) is the same after as
# before, the administrator's credential still works, and the promoted
# database takes new writes (an activation code made, a device enrolled
# with it, the report's device count one higher).
#
#   scripts/standby-drill.sh        (the test build's binary; built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-$PWD/target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
bin=$target/debug/gridwork
[ -x "$bin" ] || cargo build --quiet --locked -p gridwork

tmp=$(mktemp -d)
server_pid=
primary_dir=
standby_dir=
cleanup() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  for dir in "$primary_dir" "$standby_dir"; do
    [ -z "$dir" ] || scripts/pg-cluster.sh stop "$dir" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
eval "$(scripts/pg-cluster.sh start)"
primary_dir=$GRIDWORK_PG_DIR
eval "$(scripts/pg-cluster.sh standby "$primary_dir")"
standby_dir=$GRIDWORK_STANDBY_DIR
pg=$(cat "$primary_dir/bin")

. scripts/drill-lib.sh
# start DATABASE: the server on the data directory and that database.
start() {
  drill_start "$tmp/data" "$1"
}
report() {
  drill_report "$1"
}

# ---- a server on the primary, with records, devices and a stored photo
start "$GRIDWORK_PG_URL"
eval "$(python3 tests/api/enroll.py "$url" "$code" drill-admin bindings/testdata)"
mkdir "$tmp/tus"
python3 tests/tus/interop.py setup "$url" "$GRIDWORK_TOKEN" "$tmp/tus"
python3 tests/tus/interop.py seed "$url" "$tmp/tus" >/dev/null
report "$tmp/before.json"
sync_state=$("$pg/psql" -Atq "$GRIDWORK_PG_URL" -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'")
[ "$sync_state" = sync ] || { echo "standby-drill: the standby is '$sync_state', not synchronous" >&2; exit 1; }

# ---- the primary lost with its machine; the server with it
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
scripts/pg-cluster.sh stop "$primary_dir"
primary_dir=

# ---- the standby takes over; the server comes back on it
scripts/pg-cluster.sh promote "$standby_dir"
start "$GRIDWORK_STANDBY_URL"
[ -z "$code" ] || { echo "standby-drill: the server on the standby made a new administrator" >&2; exit 1; }
report "$tmp/after.json"
if ! diff -u "$tmp/before.json" "$tmp/after.json"; then
  echo "standby-drill: FAILED: the server on the promoted standby reports otherwise (above)" >&2
  exit 1
fi

# ---- and it takes new writes: a code made, a device enrolled with it
python3 - "$url" "$GRIDWORK_TOKEN" <<'EOF'
import json, sys, urllib.request
url, token = sys.argv[1:3]
def call(path, body, token=None):
    req = urllib.request.Request(f"{url}/v1{path}", data=json.dumps(body).encode(), method="POST",
                                 headers={"X-Gridwork-Protocol": "1", "Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())
code = call("/admin/activation-codes", {"user_id": "w1"}, token)["code"]
call("/activate", {"code": code, "device_id": "after-takeover", "device_name": "after takeover"})
EOF
report "$tmp/later.json"
python3 - "$tmp/before.json" "$tmp/later.json" <<'EOF'
import json, sys
before, later = (json.load(open(p)) for p in sys.argv[1:3])
assert later["devices"] == before["devices"] + 1, (before["devices"], later["devices"])
EOF
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
python3 - "$tmp/before.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"standby drill: ok (synchronous standby promoted; {r['devices']} devices, {r['photos_verified']} photos "
      "re-hashed, records and figures identical after the takeover; a device enrolled on the new primary)")
EOF
