#!/usr/bin/env bash
# Smoke test of the CPU inference engine the end-to-end tests use: prepares the engine
# (scripts/cpu-engine.sh), writes the tiny model (make_tiny_gguf.py), starts the
# OpenAI-compatible server on a free port, checks its API (check_server.py), stops it
# with SIGTERM and checks nothing is left running. Then the same with an API key taken
# from the environment (never argv), and the failures the tests must recognise:
# a port already in use, a missing model file, a corrupt model file.
#
# Usage: tests/engine/smoke.sh            (ENGINE_SMOKE_KEEP=1 keeps the temp folder)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

say() { printf '==> smoke: %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

t0="$(now)"
PY="$("$REPO/scripts/cpu-engine.sh" | tail -1)"
say "engine ready in $(since "$t0") s: $PY"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ -n "${ENGINE_SMOKE_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

t0="$(now)"
"$PY" "$HERE/make_tiny_gguf.py" "$WORK/tiny.gguf"
say "model written in $(since "$t0") s: $(stat -c %s "$WORK/tiny.gguf") bytes"

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The server reads every one of its settings from same-named environment variables
# too (MODEL, PORT, HOST, API_KEY, N_CTX, ...; PORT and HOST even win over argv), so
# it runs with a clean environment plus only what is passed here as NAME=value.
# Sets SERVER_PID.
start_server() { # LOG MODEL PORT [NAME=value ...]
  local log="$1" model="$2" port="$3"
  shift 3
  env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 "$@" \
    "$PY" -m llama_cpp.server --model "$model" --model_alias tiny --host 127.0.0.1 --port "$port" --n_ctx 256 \
    >"$log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

# The server loads the model before it listens (connections are refused meanwhile),
# then logs "Uvicorn running on http://HOST:PORT". Polls GET /v1/models until it answers (any HTTP status: 401 counts, the server is up);
# fails when the process exits first or after 30 s.
wait_ready() { # PID PORT LOG
  local pid="$1" port="$2" log="$3" i
  for i in $(seq 300); do
    if "$PY" - "$port" <<'EOF' 2>/dev/null; then return 0; fi
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/v1/models", timeout=1)
except urllib.error.HTTPError:
    pass
EOF
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the server exited before it was ready"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "the server was not ready within 30 s"
}

# Sends SIGTERM, waits up to 10 s, checks the exit status, that the process and any
# children are gone and that the port is free again.
stop_server() { # PID PORT LOG
  local pid="$1" port="$2" log="$3" children status i
  children="$(ps -o pid= --ppid "$pid" | tr -d ' ' || true)"
  kill -TERM "$pid"
  for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "the server is still running 10 s after SIGTERM"
  status=0
  wait "$pid" || status=$?
  say "server exited with status $status after SIGTERM"
  # The server shuts down gracefully, logs "Finished server process [PID]", then
  # re-raises the SIGTERM it caught: a clean stop ends with status 143 (128 + 15).
  [ "$status" -eq 143 ] || [ "$status" -eq 0 ] || fail "unexpected exit status $status"
  grep -q "Finished server process \[$pid\]" "$log" || fail "no 'Finished server process' in the log"
  for i in $children; do kill -0 "$i" 2>/dev/null && fail "child process $i is left"; done
  # Nothing listens any more (connections it closed may linger in TIME_WAIT; a new
  # server can still bind, as it sets SO_REUSEADDR).
  "$PY" -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$port" || fail "something still listens on port $port"
  say "no process left, nothing listens on port $port"
}

# Starts a server that must fail; checks it exits non-zero within 20 s and shows its log.
expect_failure() { # WHAT LOG MODEL PORT
  local what="$1" log="$2" model="$3" port="$4" status=0 i
  start_server "$log" "$model" "$port"
  for i in $(seq 200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "$what: the server is still running"
  wait "$SERVER_PID" || status=$?
  [ "$status" -ne 0 ] || fail "$what: the server exited with status 0"
  say "$what: exited with status $status; its last lines:"
  tail -n 8 "$log" | sed 's/^/    | /'
}

say "1. server without an API key"
PORT="$(free_port)"
t0="$(now)"
start_server "$WORK/server.log" "$WORK/tiny.gguf" "$PORT"
MAIN_PID="$SERVER_PID"
wait_ready "$MAIN_PID" "$PORT" "$WORK/server.log"
say "server ready in $(since "$t0") s on port $PORT"
"$PY" "$HERE/check_server.py" "http://127.0.0.1:$PORT"

say "2. failure: port already in use (a second server on the same port)"
expect_failure "port in use" "$WORK/port.log" "$WORK/tiny.gguf" "$PORT"
grep -q "address already in use" "$WORK/port.log" || fail "no 'address already in use' in the log"

stop_server "$MAIN_PID" "$PORT" "$WORK/server.log"
say "server log (first lines, and its last lines after SIGTERM):"
head -n 20 "$WORK/server.log" | sed 's/^/    | /'
echo "    | ..."
tail -n 6 "$WORK/server.log" | sed 's/^/    | /'

say "3. server with an API key from the environment (API_KEY), none in argv"
PORT="$(free_port)"
KEY="smoke-$RANDOM$RANDOM"
start_server "$WORK/key.log" "$WORK/tiny.gguf" "$PORT" API_KEY="$KEY"
wait_ready "$SERVER_PID" "$PORT" "$WORK/key.log"
ps -o args= -p "$SERVER_PID" | grep -q -- "$KEY" && fail "the key shows in the server's argv"
ENGINE_API_KEY="$KEY" "$PY" "$HERE/check_server.py" "http://127.0.0.1:$PORT"
stop_server "$SERVER_PID" "$PORT" "$WORK/key.log"

say "4. failure: missing model file"
expect_failure "missing model" "$WORK/missing.log" "$WORK/no-such-model.gguf" "$(free_port)"
say "5. failure: corrupt model file (not GGUF)"
head -c 4096 /dev/urandom >"$WORK/garbage.gguf"
expect_failure "garbage model" "$WORK/garbage.log" "$WORK/garbage.gguf" "$(free_port)"
say "6. failure: truncated model file"
head -c 100000 "$WORK/tiny.gguf" >"$WORK/truncated.gguf"
expect_failure "truncated model" "$WORK/truncated.log" "$WORK/truncated.gguf" "$(free_port)"

say "all passed"
