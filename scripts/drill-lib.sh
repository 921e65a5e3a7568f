# Shared by scripts/restore-drill.sh and scripts/standby-drill.sh (sourced):
# a `gridwork serve` on a data directory and a database, and the
# administrator's report the drills compare. Uses $bin and $tmp from the
# drill; sets server_pid, url and code.

# drill_start DATA DATABASE: the server, waited for until it listens;
# `code` is the first administrator's code on a fresh database, else empty.
drill_start() {
  : >"$tmp/stdout"
  RUST_LOG=warn "$bin" serve --listen 127.0.0.1:0 --data "$1" --database "$2" \
    >"$tmp/stdout" 2>>"$tmp/server.log" &
  server_pid=$!
  for _ in $(seq 300); do
    grep -q '^OpenAPI:' "$tmp/stdout" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; echo "$(basename "$0"): the server exited" >&2; exit 1; }
    sleep 0.1
  done
  url=$(sed -n 's/^gridwork server listening on \(http:[^ ]*\).*/\1/p' "$tmp/stdout")
  code=$(sed -n 's/.*activation code: *//p' "$tmp/stdout" | tr -d '[:space:]')
}

# drill_report FILE: the administrator's report (GRIDWORK_TOKEN), without
# its time.
drill_report() {
  python3 - "$url" "$GRIDWORK_TOKEN" "$1" <<'PY'
import json, sys, urllib.request
url, token, out = sys.argv[1:4]
req = urllib.request.Request(f"{url}/v1/admin/report", headers={
    "Authorization": f"Bearer {token}", "X-Gridwork-Protocol": "1"})
with urllib.request.urlopen(req, timeout=60) as resp:
    report = json.loads(resp.read())
report.pop("at", None)
json.dump(report, open(out, "w"), indent=1, sort_keys=True, ensure_ascii=False)
PY
}
