#!/usr/bin/env bash
# The web app in headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM, driven by Playwright)
# against a real silo with the demo org loaded on its own database.
#   usage: FLOWSTATE_DB=<PostgreSQL connection string, schema applied, empty> run.sh <results-dir>
# Needs the Release build (the silo with the web app in wwwroot/), node >= 20, curl and Chromium.
# Writes to <results-dir>: ui.txt ("PASS FAIL SKIP"), ui-report.json, ui-silo.log, and ui/ with the
# screenshots of every page at 1280 and 390 px. Exits non-zero when a test failed.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then echo "usage: FLOWSTATE_DB=<connection string> $0 <results-dir>" >&2; exit 2; fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SILO_DLL="$HERE/../../silo/bin/Release/net10.0/Flowstate.Silo.dll"
mkdir -p "$1"
RESULTS="$(cd "$1" && pwd)"
SUMMARY="$RESULTS/ui.txt"
START=$SECONDS
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
fail() { echo "ui: $*" >&2; echo "0 1 0" >"$SUMMARY"; exit 1; }

[ -n "${FLOWSTATE_DB:-}" ] || fail "FLOWSTATE_DB must be set to a PostgreSQL connection string."
[ -f "$SILO_DLL" ] || fail "$SILO_DLL is missing; build with: dotnet build Flowstate.sln -c Release"
[ -f "$(dirname "$SILO_DLL")/wwwroot/index.html" ] || fail "the web app is not in the build output (silo/bin/Release/net10.0/wwwroot)."
if [ ! -f "$HERE/node_modules/.package-lock.json" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed."
fi

# shellcheck source=../silo.sh
source "$HERE/../silo.sh"
READY_SECONDS=600 HTTP_PORT_FROM=5481 start_silo "$RESULTS/ui-silo.log" FLOWSTATE_DEMO=1 || fail "the silo did not start."
echo "ui: silo pid $SILO_PID on $BASE (log: $RESULTS/ui-silo.log); loading the demo org" >&2

loading_from=$SECONDS
wait_for_demo "$RESULTS/ui-silo.log" || fail "the demo org did not load (log above)."
echo "ui: demo loaded in $((SECONDS - loading_from)) s" >&2
mint_tokens || fail "the silo's token verb did not mint the UI tests' tokens."

set +e
(cd "$HERE" && FLOWSTATE_URL="$BASE" UI_RESULTS="$RESULTS" npx playwright test)
status=$?
set -e

read -r PASS FAIL SKIP < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const s = r.stats || {};
  console.log((s.expected || 0) + (s.flaky || 0), s.unexpected || 0, s.skipped || 0);' "$RESULTS/ui-report.json" 2>/dev/null || echo "0 1 0")
if [ "$status" -ne 0 ] && [ "$FAIL" -eq 0 ]; then FAIL=1; fi
echo "$PASS $FAIL $SKIP" >"$SUMMARY"
echo "ui: $PASS passed, $FAIL failed, $SKIP skipped in $((SECONDS - START)) s" >&2
[ "$FAIL" -eq 0 ]
