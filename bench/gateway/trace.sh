# The trace, sourced by bench/gateway.sh --trace once the mock and duows serve are up: for
# each rate (TRACE_RATES, default "10 2000"), one window straight to the mock and one through
# duows, each under a scheduler trace (perf: switches, wake-ups, idle, on every CPU), then
# waits.py says what held the CPU while the slow requests' threads waited, and which tasks
# outside the benchmark stall a CPU periodically (TRACE_SECONDS a window, default 8).
command -v perf >/dev/null || { say "--trace needs perf (Debian: linux-perf)"; exit 1; }
TRACE_SECONDS="${TRACE_SECONDS:-8}"
for rate in ${TRACE_RATES:-10 2000}; do
  for entry in "direct $DIRECT_URL" "duows $DUOWS_URL"; do
    read -r name url <<<"$entry"
    samples="$WORK/trace-$name-$rate.csv"
    say "trace: $name at $rate req/s for ${TRACE_SECONDS}s (load average $(loadavg))"
    "${CLIENT_PIN[@]}" "$LOADGEN" instant --url "$url" --model mock --rate "$rate" \
      --seconds "$TRACE_SECONDS" --warmup 0.5 --timeout 5 --samples "$samples" >/dev/null &
    loadgen_pid=$!
    perf record -q -k mono -a -o "$WORK/trace.data" -e sched:sched_switch -e sched:sched_wakeup -e power:cpu_idle \
      -- sleep "$(( TRACE_SECONDS + 1 ))" >/dev/null 2>&1 || { say "perf record failed (root or perf_event_paranoid <= 1 needed)"; exit 1; }
    wait "$loadgen_pid"
    perf script -i "$WORK/trace.data" -F comm,pid,tid,cpu,time,event,trace --ns >"$WORK/trace.txt" 2>/dev/null
    python3 "$HERE/waits.py" "$samples" "$WORK/trace.txt" --ours "$MOCK_PID,$DUOWS_PID,$loadgen_pid" \
      --aside duows-request-l,duows-sampler --name "$name at $rate req/s"
  done
done
