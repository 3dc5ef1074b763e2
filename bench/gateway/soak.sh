# The soak, sourced by bench/gateway.sh --soak once the mock and duows serve are up: for
# SOAK_SECONDS, SOAK_RATE/2 plain requests/s and SOAK_RATE/2 streams/s (64 chunks 20 ms
# apart) through duows at once, in segments of up to 60 s (each after 0.5 s of warm-up at the
# same rates, as its load generators start); each segment records its p99s,
# errors and duows's memory, and the report shows them over time.
segment=$(( SOAK_SECONDS < 240 ? (SOAK_SECONDS + 3) / 4 : 60 ))
half="$(awk -v r="$SOAK_RATE" 'BEGIN { printf "%g", r / 2 }')"
memory duows soak-start "$DUOWS_PID"
elapsed=0
index=0
while [ "$elapsed" -lt "$SOAK_SECONDS" ]; do
  index=$(( index + 1 ))
  say "soak: segment $index ($elapsed of $SOAK_SECONDS s), $half req/s + $half streams/s (load average $(loadavg))"
  "${CLIENT_PIN[@]}" "$LOADGEN" paced --url "$DUOWS_URL" --model mock --rate "$half" \
    --seconds "$segment" --warmup 0.5 --chunks 64 --timeout 30 >"$WORK/soak-paced.json" &
  paced_pid=$!
  instant="$("${CLIENT_PIN[@]}" "$LOADGEN" instant --url "$DUOWS_URL" --model mock --rate "$half" \
    --seconds "$segment" --warmup 0.5 --timeout 5 --watch "$DUOWS_PID")"
  wait "$paced_pid"
  record "{\"kind\":\"soak\",\"segment\":$index,\"at_s\":$elapsed,\"rss_kib\":$("$LOADGEN" rss "$DUOWS_PID"),\"instant\":$instant,\"paced\":$(cat "$WORK/soak-paced.json")}"
  elapsed=$(( elapsed + segment ))
done
memory duows soak-end "$DUOWS_PID"
record "{\"kind\":\"info\",\"soak_seconds\":$SOAK_SECONDS,\"soak_rate\":$SOAK_RATE,\"loadavg_end\":\"$(loadavg)\"}"
cp "$RESULTS" "$ROOT/bench/gateway/last-soak.jsonl" 2>/dev/null || true
python3 "$HERE/report.py" "$RESULTS"
