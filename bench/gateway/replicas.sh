# The two-replica case, sourced by bench/gateway.sh --replicas once the mock and duows serve
# are up.
#
# 1. Overhead: the single-upstream case's rates through `pair`, a deployment with two replicas
#    of the same mock (its address and a second base URL on it: the upstream work is the very
#    same, only the choice of replica differs), beside the direct path and the single-upstream
#    deployment, round by round. With DUOWS_BASELINE_BIN set (another duows build, e.g. the one
#    before replicas), that build's single-upstream path is measured in the same rounds.
# 2. Failover: two mock processes behind `duo`; plain requests at FAILOVER_RATE req/s (each
#    answered after 50 ms, so some are in flight on the killed replica) and paced streams
#    (20 chunks 100 ms apart) for FAILOVER_SECONDS; one replica is killed
#    (SIGKILL) halfway and started again on its port 2 s later. Counted from the load
#    generators and duows's request log: requests failed and where they were last tried,
#    requests sent on after the killed replica failed them, streams cut off; and when the
#    killed replica was taken out and brought back.
FAILOVER_RATE="${FAILOVER_RATE:-1000}"
FAILOVER_SECONDS="${FAILOVER_SECONDS:-8}"
[ "$SMOKE" = 1 ] && { FAILOVER_RATE=200; FAILOVER_SECONDS=4; }
BASE="${DUOWS_URL%/chat/completions}"
METRICS_URL="${BASE%/v1}/metrics"
LOG="$DUOWS_HOME/logs/gateway/requests.jsonl"

# --- the replicated deployment ----------------------------------------------------------
"$BIN" deployments add --name pair --endpoint "http://127.0.0.1:$MOCK_PORT/v1" \
  --replica "http://127.0.0.1:$MOCK_PORT/replica-2/v1" --served-model mock-model >/dev/null
ENTRIES=("direct $DIRECT_URL mock" "duows $DUOWS_URL mock" "duows-2r $DUOWS_URL pair")

if [ -n "${DUOWS_BASELINE_BIN:-}" ]; then
  BASELINE_HOME="$WORK/baseline-home"
  DUOWS_HOME="$BASELINE_HOME" "$DUOWS_BASELINE_BIN" deployments add --name mock \
    --endpoint "http://127.0.0.1:$MOCK_PORT/v1" --served-model mock-model >/dev/null
  DUOWS_HOME="$BASELINE_HOME" "${PROXY_PIN[@]}" "$DUOWS_BASELINE_BIN" serve --port 0 --gateway-port 0 \
    >"$WORK/baseline.out" 2>"$WORK/baseline.err" &
  BASELINE_PID=$!
  PIDS+=("$BASELINE_PID")
  wait_for_line "$WORK/baseline.out" "gateway (OpenAI-compatible)" 30 ||
    { say "the baseline duows did not start"; cat "$WORK/baseline.err" >&2; exit 1; }
  promote "$BASELINE_PID"
  BASELINE_URL="http://127.0.0.1:$(port_in "$WORK/baseline.out" gateway)/v1/chat/completions"
  ENTRIES+=("before $BASELINE_URL mock")
fi

answers() { # url, model: one request answered 200 (routes follow the settings within a moment)
  for _ in $(seq 50); do
    [ "$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' "$1" -H 'content-type: application/json' \
      -d "{\"model\":\"$2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")" = 200 ] && return 0
    sleep 0.1
  done
  return 1
}
for entry in "${ENTRIES[@]}"; do
  read -r name url model <<<"$entry"
  answers "$url" "$model" || { say "$name ($model) does not answer"; exit 1; }
done
record "{\"kind\":\"info\",\"replicas\":true,\"baseline\":\"${DUOWS_BASELINE_BIN:-}\",\"failover_rate\":$FAILOVER_RATE,\"failover_seconds\":$FAILOVER_SECONDS}"

# --- 1. overhead, rate by rate ------------------------------------------------------------
for rate in $RATES; do
  for round in $(seq "$ROUNDS"); do
    for entry in "${ENTRIES[@]}"; do
      read -r name url model <<<"$entry"
      window="$(window_for "$rate")"
      watch=""
      case "$name" in duows | duows-2r) watch="--watch $DUOWS_PID" ;; before) watch="--watch $BASELINE_PID" ;; esac
      say "replicas, round $round: $name at $rate req/s for ${window}s (load average $(loadavg))"
      # shellcheck disable=SC2086
      out="$("${CLIENT_PIN[@]}" "$LOADGEN" instant --url "$url" --model "$model" --rate "$rate" \
        --seconds "$window" --warmup "$WARMUP" --timeout 5 $watch)"
      record "{\"kind\":\"instant\",\"path\":\"$name\",\"round\":$round,\"result\":$out}"
    done
  done
done

# --- 2. one replica killed under load -----------------------------------------------------
start_mock() { # output file, [port]: a mock with 50 ms answers and 2 s streams; prints its pid
  "${CLIENT_PIN[@]}" "$MOCK" --chunks 20 --interval-ms 100 --answer-delay-ms 50 ${2:+--port "$2"} >"$1" 2>&1 &
  echo $!
}
A_PID="$(start_mock "$WORK/mock-a.out")"; PIDS+=("$A_PID")
B_PID="$(start_mock "$WORK/mock-b.out")"; PIDS+=("$B_PID")
wait_for_line "$WORK/mock-a.out" listening 10 && wait_for_line "$WORK/mock-b.out" listening 10 ||
  { say "the failover mocks did not start"; exit 1; }
A_PORT="$(port_in "$WORK/mock-a.out" listening)"
B_PORT="$(port_in "$WORK/mock-b.out" listening)"
A_URL="http://127.0.0.1:$A_PORT/v1"
"$BIN" deployments add --name duo --endpoint "$A_URL" --replica "http://127.0.0.1:$B_PORT/v1" \
  --served-model mock-model >/dev/null
answers "$DUOWS_URL" duo || { say "duo does not answer"; exit 1; }
replica_up() { # 1 or 0: what duows's /metrics says of replica A now
  curl --noproxy '*' -s "$METRICS_URL" |
    sed -n "s|^duows_gateway_replica_up{deployment=\"duo\",replica=\"$A_URL\"} \([01]\)$|\1|p"
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

say "failover: $FAILOVER_RATE req/s and 10 streams/s through duo for ${FAILOVER_SECONDS}s; replica A killed halfway"
"${CLIENT_PIN[@]}" "$LOADGEN" instant --url "$DUOWS_URL" --model duo --rate "$FAILOVER_RATE" \
  --seconds "$FAILOVER_SECONDS" --warmup 0.5 --timeout 5 >"$WORK/failover-instant.json" &
instant_pid=$!
"${CLIENT_PIN[@]}" "$LOADGEN" paced --url "$DUOWS_URL" --model duo --rate 10 \
  --seconds "$FAILOVER_SECONDS" --warmup 0.5 --chunks 20 --timeout 30 >"$WORK/failover-paced.json" &
paced_pid=$!
sleep "$(awk -v s="$FAILOVER_SECONDS" 'BEGIN { printf "%g", 0.5 + s / 2 }')"
kill -9 "$A_PID"
killed_at="$(now_ms)"
out_ms=null
for _ in $(seq 100); do
  [ "$(replica_up)" = 0 ] && { out_ms=$(( $(now_ms) - killed_at )); break; }
  sleep 0.02
done
sleep 2
A_PID="$(start_mock "$WORK/mock-a2.out" "$A_PORT")"; PIDS+=("$A_PID")
wait_for_line "$WORK/mock-a2.out" listening 10 || say "replica A did not start again"
restarted_at="$(now_ms)"
back_ms=null
for _ in $(seq 300); do
  [ "$(replica_up)" = 1 ] && { back_ms=$(( $(now_ms) - restarted_at )); break; }
  sleep 0.05
done
wait "$instant_pid" "$paced_pid"
sleep 1 # the request log is written off the request path
# What duows's log says of the requests to `duo` (the failover's, and the one check before
# it): by stream or not, status, where each ended, and how many replicas it tried.
log_counts="$( { [ -f "$LOG.1" ] && cat "$LOG.1"; cat "$LOG"; } | python3 -c '
import json, sys
a = sys.argv[1]
c = {"plain": 0, "streams": 0, "plain_failed_on_a": 0, "plain_failed_elsewhere": 0,
     "streams_failed_on_a": 0, "streams_failed_elsewhere": 0, "sent_on": 0, "sent_on_failed": 0}
for line in sys.stdin:
    r = json.loads(line)
    if r.get("deployment") != "duo":
        continue
    kind = "streams" if r.get("stream") else "plain"
    c[kind] += 1
    failed = r["status"] >= 400 or "error" in r
    if failed:
        c[kind + ("_failed_on_a" if r.get("replica") == a else "_failed_elsewhere")] += 1
    if r.get("attempts", 1) > 1:
        c["sent_on"] += 1
        c["sent_on_failed"] += failed
print(json.dumps(c))
' "$A_URL")"
record "{\"kind\":\"failover\",\"out_after_ms\":$out_ms,\"back_after_ms\":$back_ms,\"log\":$log_counts,\"instant\":$(cat "$WORK/failover-instant.json"),\"paced\":$(cat "$WORK/failover-paced.json")}"

memory duows after "$DUOWS_PID"
record "{\"kind\":\"info\",\"loadavg_end\":\"$(loadavg)\"}"
record "{\"kind\":\"pressure\",\"phase\":\"end\",$(cpu_pressure)}"
cp "$RESULTS" "$ROOT/bench/gateway/last-replicas.jsonl" 2>/dev/null || true
python3 "$HERE/replicas_report.py" "$RESULTS"
