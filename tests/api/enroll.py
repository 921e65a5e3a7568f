"""Set up a fresh `gridwork serve` for tests/api/schemathesis.sh.

    python enroll.py URL ADMIN_CODE DEVICE_ID TESTDATA_DIR

Enrolls DEVICE_ID with the administrator's one-time code, loads the test
village (the same data and people as cli/tests/sync_e2e.rs `Town::new`),
enrolls a few spare phones, and prints shell assignments for the script:
GRIDWORK_TOKEN, GRIDWORK_SPARE_DEVICES. Fails loudly on any unexpected
answer. Uses only the standard library.
"""

from __future__ import annotations

import json
import pathlib
import shlex
import sys
import urllib.error
import urllib.request

url, admin_code, device, testdata = sys.argv[1:5]
testdata = pathlib.Path(testdata)


def call(method: str, path: str, body: bytes, content_type: str, token: str | None) -> dict:
    req = urllib.request.Request(f"{url}/v1{path}", data=body, method=method)
    req.add_header("X-Gridwork-Protocol", "1")
    req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        sys.exit(f"enroll: {method} {path}: {e.code} {e.read().decode(errors='replace')}")


def put_json(method: str, path: str, value: dict, token: str | None) -> dict:
    return call(method, path, json.dumps(value).encode(), "application/json", token)


def activate(code: str, device_id: str) -> str:
    answer = put_json("POST", "/activate", {"code": code, "device_id": device_id, "device_name": device_id}, None)
    return answer["token"]


token = activate(admin_code, device)

report = call("POST", "/admin/import/regions?mode=all_or_nothing",
              (testdata / "township.geojson").read_bytes(), "application/geo+json", token)
assert report["imported"] == 5, report
report = call("POST", "/admin/import/households",
              (testdata / "households.csv").read_bytes(), "text/csv", token)
assert report["imported"] == 4, report
report = call("POST", "/admin/import/members", (testdata / "members.csv").read_bytes(), "text/csv", token)
assert report["imported"] > 0, report

for uid, name, role, jurisdiction in [
    ("w1", "张网格", "grid_worker", []),
    ("w2", "李网格", "grid_worker", []),
    ("s1", "王书记", "village_secretary", ["440300-T01-V01"]),
    ("t1", "赵督导", "township_supervisor", ["440300-T01"]),
]:
    put_json("PUT", "/admin/users",
             {"id": uid, "name": name, "role": role, "phone": None, "jurisdiction": jurisdiction}, token)
for uid, grid in [("w1", "G1"), ("w2", "G2")]:
    put_json("PUT", "/admin/assignments",
             {"user_id": uid, "grid_code": grid, "kind": "primary", "from": "2026-01-01", "to": None}, token)

# Spare phones: what the hooks send revocation and re-activation of the run's
# own device to, and real rows in the device list.
spares = []
for uid in ["w1", "s1", "t1"]:
    code = put_json("POST", "/admin/activation-codes", {"user_id": uid}, token)["code"]
    activate(code, f"phone-{uid}")
    spares.append(f"phone-{uid}")

print(f"GRIDWORK_TOKEN={shlex.quote(token)}")
print(f"GRIDWORK_SPARE_DEVICES={shlex.quote(','.join(spares))}")
print(f"loaded: 5 regions, 4 households and their members, 4 users, 2 assignments; "
      f"devices {device}, {', '.join(spares)}", file=sys.stderr)
