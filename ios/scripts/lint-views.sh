#!/usr/bin/env bash
# The iOS app's SwiftUI views render their model and nothing else: a view
# file imports only SwiftUI and the GridworkCore package's modules, never
# touches the store or the session (no `.store`, `session.call`,
# `GridworkStore`), and never decides a rule itself. Run by
# `scripts/test.sh ios`; prints each offending line and exits 1.
#
#   ios/scripts/lint-views.sh [VIEWS_DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VIEWS=${1:-$ROOT/ios/App/Sources/Views}
[ -d "$VIEWS" ] || { echo "[lint-views] no $VIEWS" >&2; exit 1; }

allowed='^import (SwiftUI|GridworkScreens|GridworkCore|GridworkKit)$'
problems=0
files=0
while IFS= read -r -d '' file; do
  files=$((files + 1))
  while IFS= read -r line; do
    if [[ $line =~ ^import\  ]] && ! [[ $line =~ $allowed ]]; then
      echo "$file: imports what a view must not: $line"
      problems=$((problems + 1))
    fi
  done <"$file"
  # A view reaches the store only through its model's methods.
  if grep -nE '\.store\b|session\.call|GridworkStore|\.session\b' "$file"; then
    echo "$file: reaches the store or session directly (call the model)"
    problems=$((problems + 1))
  fi
done < <(find "$VIEWS" -name '*.swift' -print0)

[ "$files" -gt 0 ] || { echo "[lint-views] no view files under $VIEWS" >&2; exit 1; }
if [ "$problems" -gt 0 ]; then
  echo "[lint-views] $problems problem(s) in $files view files" >&2
  exit 1
fi
echo "[lint-views] $files view files import only SwiftUI and the package, and call only their models"
