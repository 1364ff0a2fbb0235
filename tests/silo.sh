# Shared by the suites that drive a real silo (tests/ui/run.sh): free ports, start, wait, stop.
# Source it; needs SILO_DLL and RESULTS set, node and curl on PATH.

# Prints the first port from $1 upward that can be bound on 127.0.0.1.
free_port() {
  local port
  for port in $(seq "$1" $(($1 + 200))); do
    if node -e 'require("net").createServer().once("error", () => process.exit(1))
                  .listen(+process.argv[1], "127.0.0.1", function () { this.close(); })' "$port"; then
      echo "$port"; return
    fi
  done
  return 1
}

# start_silo <log file> [VAR=value ...]: a silo on free ports, its URL in BASE and pid in SILO_PID; waits up to
# READY_SECONDS (60) for /readyz, which a silo loading the demo answers only once the demo is in.
# Concurrent runs on one host take turns picking ports until their silo is ready (flock on fd 9).
start_silo() {
  local log="$1"; shift
  if command -v flock >/dev/null; then
    exec 9>"${TMPDIR:-/tmp}/flowstate-conformance.lock"
    flock 9
  fi
  local port silo_port gateway_port
  port="$(free_port "${HTTP_PORT_FROM:-5181}")" || { echo "no free HTTP port" >&2; return 1; }
  silo_port="$(free_port 21181)" || { echo "no free silo port" >&2; return 1; }
  gateway_port="$(free_port $((silo_port + 1)))" || { echo "no free gateway port" >&2; return 1; }
  BASE="http://127.0.0.1:$port"
  env DOTNET_ENVIRONMENT="${DOTNET_ENVIRONMENT:-Development}" FLOWSTATE_HTTP="$BASE" Flowstate__SiloPort="$silo_port" Flowstate__GatewayPort="$gateway_port" "$@" \
    dotnet "$SILO_DLL" serve >"$log" 2>&1 9>&- &
  SILO_PID=$!
  trap stop_silo EXIT
  trap 'exit 130' INT TERM
  local ready=0 from=$SECONDS
  while [ $((SECONDS - from)) -lt "${READY_SECONDS:-60}" ]; do
    kill -0 "$SILO_PID" 2>/dev/null || break
    if curl -fsS -o /dev/null --max-time 2 "$BASE/readyz" 2>/dev/null; then ready=1; break; fi
    sleep 0.5
  done
  exec 9>&-
  if [ "$ready" != 1 ]; then
    tail -n 30 "$log" >&2 || true
    echo "the silo did not become ready on $BASE (log above)" >&2
    return 1
  fi
}

stop_silo() {
  [ -n "${SILO_PID:-}" ] || return 0
  kill -0 "$SILO_PID" 2>/dev/null || return 0
  kill "$SILO_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$SILO_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SILO_PID" 2>/dev/null || true
  wait "$SILO_PID" 2>/dev/null || true
}

# wait_for_demo <log file>: the demo org loads in the background after start; waits until it is all in.
wait_for_demo() {
  local from=$SECONDS
  while [ $((SECONDS - from)) -lt 300 ]; do
    if grep -q "Demo org .* loaded" "$1"; then return 0; fi
    if grep -q "Loading the demo data failed" "$1"; then break; fi
    kill -0 "$SILO_PID" 2>/dev/null || break
    sleep 1
  done
  tail -n 40 "$1" >&2
  return 1
}

# mint_token [--org ORG] [--roles r1,r2] [--sub S] [--person ID] [--teams t1,t2] [--ttl DURATION]: prints one development
# token from the silo's `token` verb, signed with the development key of FLOWSTATE_DB (what a silo on that database in the
# Development environment accepts). Defaults: org demo, roles admin.
mint_token() {
  DOTNET_ENVIRONMENT="${DOTNET_ENVIRONMENT:-Development}" dotnet "$SILO_DLL" token "$@"
}

# mint_tokens: tokens of the demo org for the UI tests: FLOWSTATE_TOKEN (admin) and FLOWSTATE_TOKEN_<ROLE> for the
# other roles they act as.
mint_tokens() {
  FLOWSTATE_TOKEN="$(mint_token --org demo --sub ui-admin --name 'UI admin' --roles admin)" || return 1
  FLOWSTATE_TOKEN_ENGINEER="$(mint_token --org demo --sub ui-engineer --name 'UI engineer' --roles engineer --person p0003)" || return 1
  export FLOWSTATE_TOKEN FLOWSTATE_TOKEN_ENGINEER
}
