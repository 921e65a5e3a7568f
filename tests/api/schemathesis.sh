#!/usr/bin/env bash
# The HTTP API tested against its own OpenAPI document with schemathesis
# (PyPI): a real `gridwork serve` process on loopback with the test village
# loaded (bindings/testdata, as in cli/tests/sync_e2e.rs), an enrolled
# administrator device, and schemathesis generating requests from the
# server's /openapi.json in all four phases (examples, coverage, fuzzing,
# stateful), positive and negative. Exits non-zero on any failure, with
# schemathesis's own summary as the last lines.
#
#   tests/api/schemathesis.sh                 the bounded run (about a minute)
#   tests/api/schemathesis.sh --max-failures 1 ...
#                                             extra arguments go to `schemathesis run`
#
# Environment: CARGO_TARGET_DIR (the venv, the server log and the reports
# live there), SCHEMATHESIS_SEED (default 20260), SCHEMATHESIS_MAX_EXAMPLES
# (per operation and phase, default 300), SCHEMATHESIS_CHECKS (default: the
# list below). Needs python3 with venv, and PyPI the first time.
#
# Checks:
#   not_a_server_error            no 5xx, whatever the input (the requirement)
#   status_code_conformance       every status is one the operation documents
#   content_type_conformance      ... with the documented content type
#   response_headers_conformance  ... and documented headers
#   response_schema_conformance   ... and a body that matches its schema
#   negative_data_rejection       a request that breaks the document is refused
#   missing_required_header       ... so is one without a required header
#   unsupported_method            a method the path does not have gets 405
#   ignored_auth                  an operation that needs a credential refuses
#                                 a request without one, or with a bad one
# Not enabled: positive_data_acceptance (a request the document allows may
# still break a rule, e.g. an unknown activation code: 422 is right), and
# the resource checks (use_after_free, ensure_resource_availability,
# object_level_authorization), which need create/read/delete resources this
# API does not have.
# tests/api/schemathesis.toml and tests/api/hooks.py say what they adjust.
#
# After a run: target/schemathesis/server.log is the server's log, and
# target/schemathesis/report/ holds a JUnit report and a pytest file that
# replays each failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Pinned exactly; 4.x (its CLI differs from 3.x: --phases, --checks names,
# --mode, hooks via SCHEMATHESIS_HOOKS with @schemathesis.auth).
SCHEMATHESIS_VERSION=4.32.5
# The document itself checked by a validator that is not schemathesis.
OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
seed=${SCHEMATHESIS_SEED:-20260}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-300}
checks=${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method,ignored_auth}

target=${CARGO_TARGET_DIR:-$PWD/target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
venv=$target/schemathesis-venv
out=$target/schemathesis
mkdir -p "$out"

# ---- schemathesis, in a venv reused while it has the pinned version
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$venv/bin/schemathesis" --version
if [ "$("$venv/bin/pip" show openapi-spec-validator 2>/dev/null | sed -n 's/^Version: //p')" != "$OPENAPI_SPEC_VALIDATOR_VERSION" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION"
fi

# ---- the server binary
# The test build's binary (`cargo test --workspace` builds it for the cli
# tests): nothing is rebuilt after the Rust step (ADR 0014).
cargo test --quiet --workspace --locked --no-run
bin=$target/debug/gridwork

# ---- a server on a free port with a fresh data directory
# Children run in the background and the script waits for them, so that
# INT/TERM reach the traps at once; the EXIT trap stops whatever still runs.
tmp=$(mktemp -d)
server_pid=
st_pid=
cleanup() {
  for pid in $st_pid $server_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

RUST_LOG=${RUST_LOG:-warn} "$bin" serve --listen 127.0.0.1:0 --data "$tmp/data" \
  >"$tmp/stdout" 2>"$out/server.log" &
server_pid=$!
for _ in $(seq 300); do
  grep -q '^OpenAPI:' "$tmp/stdout" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/stdout" "$out/server.log" >&2; echo "server exited" >&2; exit 1; }
  sleep 0.1
done
grep -q '^OpenAPI:' "$tmp/stdout" || { cat "$tmp/stdout" "$out/server.log" >&2; echo "server did not start" >&2; exit 1; }
url=$(sed -n 's/^gridwork server listening on \(http:[^ ]*\).*/\1/p' "$tmp/stdout")
admin_code=$(sed -n 's/.*activation code: *//p' "$tmp/stdout" | tr -d '[:space:]')
echo "server: $url (pid $server_pid, log $out/server.log)"

# ---- the OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator)
"$venv/bin/python" -c 'import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1]).read())' \
  "$url/openapi.json" "$out/openapi.json"
"$venv/bin/openapi-spec-validator" "$out/openapi.json"

# ---- enroll the administrator and load the test village
device=schemathesis
admin_user=admin
setup=$("$venv/bin/python" tests/api/enroll.py "$url" "$admin_code" "$device" bindings/testdata)
eval "$setup"
# A worker's visit with four photos, one uploaded, uploads begun for the
# others: the hooks aim some tus and download requests at them, so those
# operations reach more than "no such upload" (tests/tus/interop.py).
mkdir -p "$tmp/tus"
"$venv/bin/python" tests/tus/interop.py setup "$url" "$GRIDWORK_TOKEN" "$tmp/tus"
eval "$("$venv/bin/python" tests/tus/interop.py seed "$url" "$tmp/tus")"

# ---- schemathesis
export GRIDWORK_TOKEN GRIDWORK_SPARE_DEVICES GRIDWORK_DEVICE_ID=$device GRIDWORK_ADMIN_USER=$admin_user
export GRIDWORK_UPLOAD_IDS GRIDWORK_EVIDENCE_IDS
export SCHEMATHESIS_HOOKS=$PWD/tests/api/hooks.py
rm -rf "$out/report"
"$venv/bin/schemathesis" --config-file tests/api/schemathesis.toml run "$url/openapi.json" \
  --checks "$checks" \
  --phases examples,coverage,fuzzing,stateful \
  --mode all \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --generation-database none \
  --workers 1 \
  --request-timeout 30 \
  --report junit,pytest --report-dir "$out/report" \
  --no-color \
  "$@" &
st_pid=$!
rc=0
wait "$st_pid" || rc=$?
st_pid=
kill -0 "$server_pid" 2>/dev/null || { echo "the server died during the run (log: $out/server.log)" >&2; rc=1; }
exit "$rc"
