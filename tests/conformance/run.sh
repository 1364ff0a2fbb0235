#!/usr/bin/env bash
# Conformance against a real Flowstate silo: GraphQL over HTTP (graphql-http audits), graphql-transport-ws
# and subscriptions (graphql-ws client), GraphiQL and the browser session in headless Chromium (/usr/bin/chromium, or $CHROMIUM),
# and OTLP/HTTP JSON logs from the OpenTelemetry JS SDK (otlp.test.mjs).
#   usage: FLOWSTATE_DB=<PostgreSQL connection string, schema applied> run.sh <results-dir> [test files…]
# (by default every suite; name files, e.g. otlp.test.mjs, to run only those).
# Needs the Release build (../../silo/bin/Release/net10.0/Flowstate.Silo.dll), node >= 20, curl and Chromium.
# Writes to <results-dir>: conformance.tap, conformance-silo.log and conformance.txt, which holds
# one line "PASS FAIL SKIP". Exits non-zero when a test failed or the silo never became ready.
set -euo pipefail

if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "usage: FLOWSTATE_DB=<connection string> $0 <results-dir> [test files…]" >&2
  exit 2
fi
SUITES=(auth.test.mjs http-audits.test.mjs ws.test.mjs subscriptions.test.mjs metrics.test.mjs graphiql.test.mjs session.test.mjs otlp.test.mjs)
if [ $# -gt 1 ]; then SUITES=("${@:2}"); fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SILO_DLL="$HERE/../../silo/bin/Release/net10.0/Flowstate.Silo.dll"
mkdir -p "$1"
RESULTS="$(cd "$1" && pwd)"
SUMMARY="$RESULTS/conformance.txt"
START=$SECONDS
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

fail() { echo "conformance: $*" >&2; echo "0 1 0" >"$SUMMARY"; exit 1; }

[ -n "${FLOWSTATE_DB:-}" ] || fail "FLOWSTATE_DB must be set to a PostgreSQL connection string."
[ -f "$SILO_DLL" ] || fail "$SILO_DLL is missing; build with: dotnet build Flowstate.sln -c Release"

if [ ! -f "$HERE/node_modules/.package-lock.json" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund) || fail "npm ci failed."
fi

# free_port: shared with the other suites that drive a real silo.
# shellcheck source=../silo.sh
source "$HERE/../silo.sh"
# Concurrent runs on one host take turns from picking ports until their silo is ready, so that
# none picks a port another's silo is about to bind (and then audits that silo instead of its own).
if command -v flock >/dev/null; then
  exec 9>"${TMPDIR:-/tmp}/flowstate-conformance.lock"
  flock 9
fi
PORT="$(free_port 5181)" || fail "no free HTTP port from 5181."
# Orleans listens too (defaults 11111/30000); free ports keep this run clear of any other local silo.
SILO_PORT="$(free_port 21181)" || fail "no free silo port."
GATEWAY_PORT="$(free_port $((SILO_PORT + 1)))" || fail "no free gateway port."
BASE="http://127.0.0.1:$PORT"

# Development: the silo validates the development tokens its token verb mints (auth.mjs).
export DOTNET_ENVIRONMENT="${DOTNET_ENVIRONMENT:-Development}"
FLOWSTATE_HTTP="$BASE" FLOWSTATE_DEMO=0 Flowstate__SiloPort="$SILO_PORT" Flowstate__GatewayPort="$GATEWAY_PORT" \
  dotnet "$SILO_DLL" serve >"$RESULTS/conformance-silo.log" 2>&1 9>&- &
SILO_PID=$!
stop_silo() {
  kill -0 "$SILO_PID" 2>/dev/null || return 0
  kill "$SILO_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$SILO_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SILO_PID" 2>/dev/null || true
  wait "$SILO_PID" 2>/dev/null || true
}
trap stop_silo EXIT
trap 'exit 130' INT TERM

echo "conformance: silo pid $SILO_PID on $BASE (log: $RESULTS/conformance-silo.log)" >&2
ready=0 waited_from=$SECONDS
for _ in $(seq 1 120); do
  kill -0 "$SILO_PID" 2>/dev/null || break
  if curl -fsS -o /dev/null --max-time 2 "$BASE/readyz" 2>/dev/null; then
    kill -0 "$SILO_PID" 2>/dev/null && ready=1; break
  fi
  [ $((SECONDS - waited_from)) -lt 60 ] || break
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  tail -n 30 "$RESULTS/conformance-silo.log" >&2 || true
  kill -0 "$SILO_PID" 2>/dev/null || fail "the silo exited before it was ready (log above)."
  fail "the silo did not answer $BASE/readyz with 200 within 60 s (log above)."
fi
exec 9>&-

# The tests sign in with tokens of the org "conformance" from the silo's token verb (auth.mjs).
FLOWSTATE_TOKEN="$(mint_token --org conformance --sub conformance-admin --roles admin)" || fail "the silo's token verb failed."
export FLOWSTATE_TOKEN SILO_DLL

set +e
(cd "$HERE" && FLOWSTATE_URL="$BASE/graphql" node --test --test-concurrency=1 --test-reporter=tap "${SUITES[@]}") \
  | tee "$RESULTS/conformance.tap"
node_status=${PIPESTATUS[0]}
set -e

read -r PASS FAIL SKIP < <(awk -f "$HERE/../tap-counts.awk" "$RESULTS/conformance.tap")
if [ "$node_status" -ne 0 ] && [ "$FAIL" -eq 0 ]; then FAIL=1; fi
echo "$PASS $FAIL $SKIP" >"$SUMMARY"
echo "conformance: $PASS passed, $FAIL failed, $SKIP skipped in $((SECONDS - START)) s" >&2
[ "$FAIL" -eq 0 ]
