#!/usr/bin/env bash
# The backup and restore drill of docs/deployment.md, run for real: a
# `gridwork serve` on a throwaway PostgreSQL cluster with the test village,
# a worker's visit and a photo uploaded; a backup taken while it runs
# (pg_dump of the database, the photo blobs, auth.key); the database
# dropped and the data directory deleted; the backup restored into a new
# database and a new data directory and the server started on them.
#
# Passes when the administrator's report (every record count, devices,
# each stored photo read back and re-hashed) is the same after as before,
# and the administrator's device credential still works (credentials are
# in the database). Then the restored photos are removed and the report
# must say so: the comparison is not blind.
#
#   scripts/restore-drill.sh        (the test build's binary; built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-$PWD/target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
bin=$target/debug/gridwork
[ -x "$bin" ] || cargo build --quiet --locked -p gridwork
pg=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

tmp=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  [ -n "${GRIDWORK_PG_DIR:-}" ] && scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
eval "$(scripts/pg-cluster.sh start)"
[ -n "$pg" ] || pg=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
admin_db=${GRIDWORK_PG_URL%/*}/postgres

. scripts/drill-lib.sh
# start DATA: a server on the cluster's `gridwork` database.
start() {
  drill_start "$1" "$GRIDWORK_PG_URL"
}
stop() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
report() {
  drill_report "$1"
}

# ---- a server with records, devices and a stored photo
start "$tmp/data"
eval "$(python3 tests/api/enroll.py "$url" "$code" drill-admin bindings/testdata)"
mkdir "$tmp/tus"
python3 tests/tus/interop.py setup "$url" "$GRIDWORK_TOKEN" "$tmp/tus"
python3 tests/tus/interop.py seed "$url" "$tmp/tus" >/dev/null
report "$tmp/before.json"
python3 - "$tmp/before.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["photos_verified"] >= 1 and r["devices"] >= 5, r
EOF

# ---- the backup, taken while the server runs
mkdir "$tmp/backup"
"$pg/pg_dump" --format=custom --file "$tmp/backup/gridwork.dump" "$GRIDWORK_PG_URL"
cp -a "$tmp/data/blobs" "$tmp/backup/blobs"
cp "$tmp/data/auth.key" "$tmp/backup/auth.key"
echo "backup: $(du -sh "$tmp/backup" | cut -f1) (database dump, photos, auth.key)"

# ---- the loss: the server, its database and its data directory gone
stop
"$pg/psql" -q "$admin_db" -c "DROP DATABASE gridwork" -c "CREATE DATABASE gridwork"
rm -rf "$tmp/data"

# ---- the restore, into a new data directory
"$pg/pg_restore" --no-owner --exit-on-error --dbname "$GRIDWORK_PG_URL" "$tmp/backup/gridwork.dump"
mkdir -m 700 "$tmp/restored"
cp -a "$tmp/backup/blobs" "$tmp/restored/blobs"
install -m 600 "$tmp/backup/auth.key" "$tmp/restored/auth.key"
start "$tmp/restored"
[ -z "$code" ] || { echo "restore-drill: the restored server made a new administrator" >&2; exit 1; }
report "$tmp/after.json"
if ! diff -u "$tmp/before.json" "$tmp/after.json"; then
  echo "restore-drill: FAILED: the restored server reports otherwise (above)" >&2
  exit 1
fi

# ---- the comparison has teeth: photos missing are reported missing
rm -rf "$tmp/restored/blobs"
report "$tmp/no-photos.json"
python3 - "$tmp/before.json" "$tmp/no-photos.json" <<'EOF'
import json, sys
before, after = (json.load(open(p)) for p in sys.argv[1:3])
assert after["photos_verified"] == 0, after
assert after["photos_failed_check"] == before["photos_verified"], after
EOF
stop
python3 - "$tmp/before.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"restore drill: ok ({r['devices']} devices, {r['photos_verified']} photos re-hashed, "
      f"records and figures identical after restore)")
EOF
