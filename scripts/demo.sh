#!/usr/bin/env bash
# The README's first command: build the web console (so the server embeds
# it), then run the demo city with the release build. Arguments go to
# `gridwork demo` (e.g. --small, --serve, --seed N, --dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v npm >/dev/null || [ "$(id -u)" = 0 ]; then
  scripts/build-console.sh
else
  echo "npm not found: the server will serve a page that says how to build the console" >&2
fi
exec cargo run --release --locked -p gridwork -- demo "$@"
