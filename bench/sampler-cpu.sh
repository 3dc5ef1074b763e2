#!/usr/bin/env bash
# What the 1 Hz sampler and the dashboard cost: CPU time used by `duows serve` over a window,
# idle, with live viewers on the sample stream, and with open Dashboard pages (each holds the
# live event stream, asks `dashboard` every 2 s and searches the logs every 3 s, as the page
# does). Run on demand:
#   bash bench/sampler-cpu.sh [seconds] [viewers] [--gpus SPEC|FILE]
# e.g. bash bench/sampler-cpu.sh 30 4 --gpus fixtures/hardware/8xh100-80gb.json
# Prints CPU seconds and percent of one core for each case, and their ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_WINDOW="${1:-30}"
VIEWERS="${2:-10}"
shift $(( $# > 2 ? 2 : $# )) || true
BIN="${DUOWS_BIN:-target/release/duows}"
[ -x "$BIN" ] || cargo build --release -p duows >&2
TICKS="$(getconf CLK_TCK)"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

measure() { # $1 = viewers
  local home out pid port before after pids=()
  home="$(mktemp -d)"; out="$home/out"
  DUOWS_HOME="$home" "$BIN" serve --port 0 --gateway-port 0 "$@" >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$out" 2>/dev/null && break; sleep 0.1; done
  port="$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$out" | head -1)"
  local base="http://127.0.0.1:$port/api"
  for _ in $(seq "$VIEWERS_NOW"); do
    if [ "$MODE" = dashboard ]; then
      curl -sN "$base/events" >/dev/null &
      pids+=($!)
      (while :; do curl -s "$base/dashboard?minutes=5" >/dev/null; sleep 2; done) &
      pids+=($!)
      (while :; do curl -s -X POST -H 'content-type: application/json' -d '{"lines":500}' "$base/logs/search" >/dev/null; sleep 3; done) &
      pids+=($!)
    else
      curl -sN "$base/samples/stream" >/dev/null &
      pids+=($!)
    fi
  done
  sleep 2
  before="$(cpu_ticks "$pid")"
  sleep "$SECONDS_WINDOW"
  after="$(cpu_ticks "$pid")"
  kill "${pids[@]}" "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$home"
  echo $(( after - before ))
}

MODE=stream VIEWERS_NOW=0 idle="$(measure "$@")"
MODE=stream VIEWERS_NOW="$VIEWERS" watched="$(measure "$@")"
MODE=dashboard VIEWERS_NOW="$VIEWERS" dashboards="$(measure "$@")"
pct() { awk -v t="$1" -v hz="$TICKS" -v s="$SECONDS_WINDOW" 'BEGIN { printf "%.3f s CPU, %.3f %% of one core", t/hz, 100*t/hz/s }'; }
echo "duows serve over ${SECONDS_WINDOW}s (${*:-real probe}):"
echo "  no viewers:        $(pct "$idle")"
echo "  ${VIEWERS} SSE viewers:    $(pct "$watched")"
echo "  ${VIEWERS} dashboards:     $(pct "$dashboards")"
awk -v a="$idle" -v b="$watched" 'BEGIN { if (a > 0) printf "  ratio viewers/idle: %.2f\n", b/a; else print "  ratio viewers/idle: idle used under one clock tick" }'
