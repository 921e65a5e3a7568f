#!/usr/bin/env bash
# The iOS app's part of the suite on Linux (no Xcode here):
#   1. the view lint, and a check that it refuses a view that imports
#      Foundation and calls the store;
#   2. the app target's Swift (views, Apple seams) parsed for syntax: it
#      cannot be type-checked without the iOS SDK;
#   3. the screen models' XCTests (ios/GridworkCore/Tests/GridworkScreensTests)
#      in the Swift chroot, against a real `gridwork serve` and the real core
#      through the generated Swift.
#
#   ios/scripts/test-ios.sh [BINDINGS_DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LINT="$ROOT/ios/scripts/lint-views.sh"

bad=$(mktemp -d)
trap 'rm -rf "$bad"' EXIT
cat >"$bad/BadView.swift" <<'SWIFT'
import SwiftUI
import Foundation
struct BadView: View {
    let model: TodayModel
    var body: some View { Text(try! model.session.store.today(day: "2026-01-01").grids.first!.name) }
}
SWIFT
if "$LINT" "$bad" >/dev/null 2>&1; then
  echo "[test-ios] the view lint passed a view that imports Foundation and calls the store" >&2
  exit 1
fi
echo "[test-ios] the view lint refuses a view that imports Foundation and calls the store"
# Gone now: the EXIT trap does not run once `exec` below replaces the shell.
rm -rf "$bad"
"$LINT"

GRIDWORK_SWIFT_PARSE="$ROOT/ios/App/Sources" GRIDWORK_SWIFT_FILTER=GridworkScreensTests \
  exec "$ROOT/bindings/scripts/test-swift.sh" "$@"
