#!/usr/bin/env bash
# Build 指挥中心, the web console, into console/dist/ (which `gridwork serve`
# embeds; see ADR 0016): the npm packages pinned by console/package-lock.json,
# a strict TypeScript check, then esbuild. Installs Node.js and npm from
# Debian if they are missing (as root). Prints the JavaScript's gzip size
# beside its 500 KiB budget.
set -euo pipefail
cd "$(dirname "$0")/../console"

if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# Reinstall only when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npx tsc --noEmit -p .
echo "console typecheck: ok (TypeScript strict)"
node build.mjs
