#!/usr/bin/env bash
# `./flowstate bench ui`: the web app's speed on the demo org in headless Chromium, and its size.
#   usage: FLOWSTATE_DB=<PostgreSQL connection string, schema applied, empty> bench.sh <results-dir> [bench.mjs options]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SILO_DLL="$HERE/../../silo/bin/Release/net10.0/Flowstate.Silo.dll"
mkdir -p "$1"; RESULTS="$(cd "$1" && pwd)"; shift
if [ ! -f "$HERE/node_modules/.package-lock.json" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi
# shellcheck source=../silo.sh
source "$HERE/../silo.sh"
READY_SECONDS=600 HTTP_PORT_FROM=5581 start_silo "$RESULTS/bench-ui-silo.log" FLOWSTATE_DEMO=1
echo "bench ui: silo on $BASE; loading the demo org" >&2
wait_for_demo "$RESULTS/bench-ui-silo.log"
mint_tokens
(cd "$HERE" && FLOWSTATE_URL="$BASE" WEB_ROOT="$(dirname "$SILO_DLL")/wwwroot" node bench.mjs "$@")
