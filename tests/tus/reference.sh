#!/usr/bin/env bash
# Interoperability with the reference tus server: install @tus/server and
# @tus/file-store exactly as pinned (npm ci, package-lock.json), then run
# core/tests/tus_reference.rs, which starts `node server.mjs` on loopback
# and uploads photos to it with the core's client, comparing the stored
# bytes with the photos. Needs node >= 20.19 and npm.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT/tests/tus/reference"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "tus reference: node and npm are required (node >= 20.19)" >&2
  exit 1
fi
echo "node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund
cd "$ROOT"
# --workspace: the features of the whole suite's build (nothing rebuilt).
cargo test --locked --workspace --test tus_reference -- --nocapture
