#!/usr/bin/env bash
# The whole test suite: formatting, lints, the Rust tests, the API against
# its OpenAPI document (schemathesis), tus uploads both ways (tuspy and
# tus-js-client against our server; our uploader against @tus/server), and
# the Kotlin (JVM) and Swift (Linux) binding tests. Installs what it needs on
# a fresh Debian machine (rustfmt/clippy components, Python venvs, npm
# packages, debootstrap and the Swift chroot, Maven artifacts). Exits non-zero if anything fails; each runner's
# own summary line stays visible.
#
#   scripts/test.sh          everything
#   scripts/test.sh rust     fmt, clippy, Rust tests
#   scripts/test.sh api      the API against its OpenAPI document
#   scripts/test.sh tus      tus uploads with real tus clients and servers
#   scripts/test.sh kotlin   the Kotlin binding tests (JVM)
#   scripts/test.sh android  the Android app: its screens (Compose UI tests on the JVM), its Android code (Robolectric)
#   scripts/test.sh swift    the Swift binding tests (Linux)
#   scripts/test.sh ios      the iOS app: its screen models (XCTest on Linux against a real server), the view lint
#   scripts/test.sh console  the web console in Chromium (playwright-core, axe-core)
#
# The steps reuse what `cargo test --workspace` built (the server binary,
# the tus reference test, the units of the phones' library: ADR 0014).
# The time of each step is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

want=${1:-all}
case "$want" in
  all | rust | api | tus | kotlin | android | swift | ios | console) ;;
  *) echo "usage: $0 [all|rust|api|tus|kotlin|android|swift|ios|console]" >&2; exit 2 ;;
esac
part() { [ "$want" = all ] || [ "$want" = "$1" ]; }
start=$SECONDS
timings=()
step_name=
step_start=$SECONDS
# step NAME: start a step (and close the one before, recording its time).
step() {
  end_step
  step_name=$*
  step_start=$SECONDS
  printf '\n==== %s\n' "$*"
}
end_step() {
  if [ -n "$step_name" ]; then
    timings+=("$(printf '%6d s  %s' $((SECONDS - step_start)) "$step_name")")
  fi
  step_name=
}
print_timings() {
  end_step
  echo
  echo "step timings:"
  printf '  %s\n' "${timings[@]}"
}
# Failing or not, say where the time went.
trap print_timings EXIT

step "toolchain"
if command -v rustup >/dev/null; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
cargo --version
# Node.js is needed by the Rust tests too (the @tus/server interoperability
# test fails without it, it does not skip): install it first.
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
command -v node >/dev/null && echo "node $(node --version)"
# The phones' library encrypts its store with SQLCipher, which links
# OpenSSL's libcrypto (found through pkg-config).
if ! pkg-config --exists libcrypto 2>/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends libssl-dev pkg-config >/dev/null
fi

# The store's PostgreSQL backend is tested against throwaway clusters
# (scripts/pg-cluster.sh, from the Rust tests): Debian's server package.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

mkdir -p target
if [ "$want" = all ]; then
  # First, so the server binary the Rust tests build embeds the real
  # console page (ADR 0016) and the console step reuses that build.
  step "build the web console (TypeScript strict, esbuild)"
  scripts/build-console.sh
fi
if part rust; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
  echo "fmt: ok"

  step "cargo clippy --workspace --all-targets -- -D warnings"
  cargo clippy --workspace --all-targets --locked -- -D warnings
  echo "clippy: ok"

  step "cargo test --workspace"
  rc=0
  cargo test --workspace --locked >target/test-rust.log 2>&1 || rc=$?
  grep -E "^(     Running|test result:)|panicked at|^---- " target/test-rust.log || true
  if [ "$rc" -ne 0 ]; then
    tail -n 60 target/test-rust.log >&2
    echo "rust tests: FAILED (exit $rc; full log: target/test-rust.log)" >&2
    exit "$rc"
  fi
  awk '/^test result:/ { p += $4; f += $6 } END { printf "rust tests: %d passed, %d failed\n", p, f }' target/test-rust.log

  # The same sync, escalation and jurisdiction suites with the server's
  # store on PostgreSQL (issue 21): one throwaway cluster, a schema per
  # test world or per `gridwork serve --database` process. --workspace
  # keeps the features (and the build) of the run above. Not here: the
  # tests of the data directory's own files (full disk, file modes) and
  # those whose screens are not yet on PostgreSQL (ADR 0018).
  step "the server store's suites again on PostgreSQL"
  eval "$(scripts/pg-cluster.sh start)"
  trap 'scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR" >/dev/null 2>&1 || true; print_timings' EXIT
  rc=0
  GRIDWORK_TEST_BACKEND=postgres cargo test --workspace --locked \
    --test sync_loopback --test escalation_inbox --test clock_skew \
    --test text_limits --test write_reach_matrix \
    --test sync_e2e --test escalation_e2e --test pii_masking --test device_binding \
    --test activation_guard --test hostile_files --test wire_corruption \
    --test console_sign_in --test no_secrets_in_logs --test phone_kill9 --test tus_kill9 \
    >target/test-rust-pg.log 2>&1 || rc=$?
  scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR" >/dev/null 2>&1 || true
  trap print_timings EXIT
  unset GRIDWORK_PG_URL GRIDWORK_PG_DIR
  grep -E "^(     Running|test result:)|panicked at|^---- " target/test-rust-pg.log || true
  if [ "$rc" -ne 0 ]; then
    tail -n 60 target/test-rust-pg.log >&2
    echo "rust tests on PostgreSQL: FAILED (exit $rc; full log: target/test-rust-pg.log)" >&2
    exit "$rc"
  fi
  awk '/^test result:/ { p += $4; f += $6 } END { printf "rust tests on PostgreSQL: %d passed, %d failed\n", p, f }' target/test-rust-pg.log
fi


if part api; then
  step "API against its OpenAPI document (schemathesis)"
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  rc=0
  tests/api/schemathesis.sh >target/test-api.log 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    sed -n '/^=* FAILURES =*$/,$p' target/test-api.log | head -n 200 >&2
    tail -n 30 target/test-api.log >&2
    echo "schemathesis: FAILED (exit $rc; full log: target/test-api.log, server log and replays: target/schemathesis/)" >&2
    exit "$rc"
  fi
  tail -n 20 target/test-api.log
  echo "schemathesis: ok"

  # The same document against a server whose records are in PostgreSQL
  # (a throwaway cluster): fewer examples per operation, since what it
  # looks for is an engine's difference (a value SQLite takes and
  # PostgreSQL refuses), not the routes' rules again.
  step "API against its OpenAPI document on PostgreSQL (schemathesis)"
  eval "$(scripts/pg-cluster.sh start)"
  trap 'scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR" >/dev/null 2>&1 || true; print_timings' EXIT
  rc=0
  GRIDWORK_DATABASE="$GRIDWORK_PG_URL" SCHEMATHESIS_MAX_EXAMPLES=60 \
    tests/api/schemathesis.sh >target/test-api-pg.log 2>&1 || rc=$?
  scripts/pg-cluster.sh stop "$GRIDWORK_PG_DIR" >/dev/null 2>&1 || true
  trap print_timings EXIT
  if [ "$rc" -ne 0 ]; then
    sed -n '/^=* FAILURES =*$/,$p' target/test-api-pg.log | head -n 200 >&2
    tail -n 30 target/test-api-pg.log >&2
    echo "schemathesis on PostgreSQL: FAILED (exit $rc; full log: target/test-api-pg.log, server log: target/schemathesis/server.log)" >&2
    exit "$rc"
  fi
  tail -n 5 target/test-api-pg.log
  echo "schemathesis on PostgreSQL: ok"

  step "backup and restore drill on PostgreSQL (scripts/restore-drill.sh)"
  scripts/restore-drill.sh

  step "standby takeover drill on PostgreSQL (scripts/standby-drill.sh)"
  scripts/standby-drill.sh
fi

if part tus; then
  step "tus uploads with real tus clients (tuspy, tus-js-client)"
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  rc=0
  tests/tus/interop.sh >target/test-tus.log 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 40 target/test-tus.log >&2
    echo "tus interop: FAILED (exit $rc; full log: target/test-tus.log, server logs: target/tus/server-data.log, server-s3.log, moto.log)" >&2
    exit "$rc"
  fi
  tail -n 12 target/test-tus.log

  step "tus interoperability (@tus/server reference, tests/tus/reference.sh)"
  rc=0
  tests/tus/reference.sh >target/test-tus-reference.log 2>&1 || rc=$?
  tail -n 15 target/test-tus-reference.log
  if [ "$rc" -ne 0 ]; then
    echo "tus reference: FAILED (exit $rc; full log: target/test-tus-reference.log)" >&2
    exit "$rc"
  fi
  echo "tus reference: ok"
fi

if part console; then
  step "web console in Chromium (playwright-core, axe-core)"
  scripts/test-console.sh
fi

bindings=()
part kotlin && bindings+=(kotlin)
part android && bindings+=(android)
part swift && bindings+=(swift)
part ios && bindings+=(ios)
if [ ${#bindings[@]} -gt 0 ]; then
  step "binding tests (${bindings[*]})"
  if { part swift || part ios; } && [ "$(id -u)" = 0 ] && ! command -v swift >/dev/null && ! command -v debootstrap >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  scripts/test-bindings.sh "${bindings[@]}"
fi

print_timings
trap - EXIT
echo
echo "$([ "$want" = all ] && echo all || echo "$want") tests passed in $((SECONDS - start)) s"
