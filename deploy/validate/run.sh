#!/usr/bin/env bash
# Renders deploy/k8s and validates it offline against the pinned Kubernetes API definitions (see
# schema.mjs), with the negative cases that prove the validator strict. Needs node >= 20 and npm.
#   usage: run.sh <results-dir>   writes manifests.tap and manifests.txt ("PASS FAIL SKIP")
set -euo pipefail
if [ $# -ne 1 ] || [ -z "$1" ]; then echo "usage: $0 <results-dir>" >&2; exit 2; fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
RESULTS="$(cd "$1" && pwd)"
fail() { echo "manifests: $*" >&2; echo "0 1 0" >"$RESULTS/manifests.txt"; exit 1; }

if [ ! -f "$HERE/node_modules/.package-lock.json" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) || fail "npm ci failed."
fi
set +e
(cd "$HERE" && node --test --test-reporter=tap manifests.test.mjs) >"$RESULTS/manifests.tap"
status=$?
set -e
read -r PASS FAIL SKIP < <(awk -f "$HERE/../../tests/tap-counts.awk" "$RESULTS/manifests.tap")
if [ "$status" -ne 0 ] && [ "$FAIL" -eq 0 ]; then FAIL=1; fi
[ "$FAIL" -eq 0 ] || grep -B2 -A12 '^ *not ok' "$RESULTS/manifests.tap" >&2 || true
echo "$PASS $FAIL $SKIP" >"$RESULTS/manifests.txt"
echo "manifests: $PASS passed, $FAIL failed, $SKIP skipped" >&2
[ "$FAIL" -eq 0 ]
