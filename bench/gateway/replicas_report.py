"""Report of bench/gateway.sh --replicas: the two-replica case.

    python3 replicas_report.py RESULTS.jsonl

Overhead per rate: each duows path's latency minus the direct path's, per round, median over
rounds (as in report.py); then two-replica minus single-upstream (and single-upstream minus
the baseline build, when one ran), per round, median over rounds, and the ratio of the p99
overheads. Then the failover: what happened to plain requests and streams when one replica
was killed under load. Standard library only.
"""

import json
import sys

from report import Run, fmt_ms, fmt_rate, median, ms

NAMES = {"duows": "single upstream", "duows-2r": "two replicas", "before": "baseline build"}


def per_round(run, path, other, rate, field):
    """Median over rounds of (path - other) for `field` at `rate`, in ms; None if not run."""
    mine, theirs = run.instant.get((path, rate), {}), run.instant.get((other, rate), {})
    values = [mine[n][field] - theirs[n][field] for n in mine if n in theirs]
    return ms(median(values)) if values else None


def overhead_table(run, paths):
    print("Instant mock: overhead (+, ms) = path minus direct, per round, median over rounds")
    top = f"{'offered':>7} | {'direct':^13} |"
    sub = f"{'req/s':>7} | {'p50':>6} {'p99':>6} |"
    for path in paths:
        top += f" {NAMES[path]:^25} |"
        sub += f" {'achvd':>6} {'+p50':>6} {'+p99':>6} {'err':>4} |"
    top += f" {'two replicas - single':^24} |"
    sub += f" {'p50':>7} {'p99':>7} {'p99 ratio':>8} |"
    if "before" in paths:
        top += f" {'single - baseline':^16} |"
        sub += f" {'p50':>7} {'p99':>7} |"
    print(top)
    print(sub)
    for rate in run.rates:
        direct = run.step("direct", rate)
        row = f"{fmt_rate(rate):>7} |"
        row += (f" {fmt_ms(ms(direct.med('lat_p50_us'))):>6} {fmt_ms(ms(direct.med('lat_p99_us'))):>6} |"
                if direct else f" {'-':>13} |")
        for path in paths:
            step = run.step(path, rate)
            if not step:
                row += f" {'-':>25} |"
                continue
            row += (f" {step.med('achieved'):>6.0f} {fmt_ms(run.overhead(path, rate, 'p50'), True):>6}"
                    f" {fmt_ms(run.overhead(path, rate, 'p99'), True):>6} {step.total('errors'):>4} |")
        single, pair = run.overhead("duows", rate, "p99"), run.overhead("duows-2r", rate, "p99")
        ratio = f"{pair / single:.2f}" if single and pair is not None and single > 0 else "-"
        row += (f" {fmt_ms(per_round(run, 'duows-2r', 'duows', rate, 'lat_p50_us'), True):>7}"
                f" {fmt_ms(per_round(run, 'duows-2r', 'duows', rate, 'lat_p99_us'), True):>7} {ratio:>8} |")
        if "before" in paths:
            row += (f" {fmt_ms(per_round(run, 'duows', 'before', rate, 'lat_p50_us'), True):>7}"
                    f" {fmt_ms(per_round(run, 'duows', 'before', rate, 'lat_p99_us'), True):>7} |")
        print(row)
    print("  (two replicas: `pair`, two base URLs on the same mock, so the upstream's work is the same"
          " and only the gateway's choice differs; p99 ratio: two-replica p99 overhead over"
          " single-upstream p99 overhead, near 1 means nothing added)")
    print()


def failover_report(item, info):
    plain, streams, log = item["instant"], item["paced"], item["log"]
    print(f"Failover: `duo` = two mock processes; {info.get('failover_rate')} plain req/s (answered after"
          f" 50 ms) and 10 streams/s (20 chunks 100 ms apart) for {info.get('failover_seconds')} s; replica A killed (SIGKILL)"
          " halfway, started again on its port 2 s later")
    out, back = item["out_after_ms"], item["back_after_ms"]
    print(f"  replica A taken out {'-' if out is None else f'{out} ms'} after the kill (seen in /metrics);"
          f" back {'never' if back is None else f'{back} ms'} after it listened again")
    print(f"  plain requests: {plain['planned']} measured, {plain['errors']} failed"
          f" (status {plain['err_status']}, transport {plain['err_transport']}, timeout {plain['err_timeout']});"
          f" p99 {fmt_ms(ms(plain['lat_p99_us']))} ms, max {fmt_ms(ms(plain['lat_max_us']))} ms")
    print(f"  streams: {streams['streams']} measured, {streams['complete']} complete, {streams['errors']} cut off or failed")
    print(f"  duows's request log (every request to `duo`, warm-up included): {log['plain']} plain,"
          f" {log['streams']} streams; {log['sent_on']} sent on to the other replica after failing"
          f" before any byte ({log['sent_on_failed']} of them failed there too)")
    print(f"    failed with A the last replica tried: {log['plain_failed_on_a']} plain,"
          f" {log['streams_failed_on_a']} streams (cut off mid-answer: bytes had reached the client)")
    print(f"    failed elsewhere (never reached A, or not there last): {log['plain_failed_elsewhere']} plain,"
          f" {log['streams_failed_elsewhere']} streams")
    target = log["plain_failed_elsewhere"] == 0 and log["streams_failed_elsewhere"] == 0
    print(f"  {'PASS' if target else 'MISS'}  no failed request that never reached the killed replica")
    print(f"  {'PASS' if plain['errors'] == 0 else 'MISS'}  no failed plain request at all"
          " (those in flight on A had no byte yet and went to B)")
    print()


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    run = Run(lines)
    failover = [json.loads(line) for line in lines if json.loads(line)["kind"] == "failover"]
    info = run.info
    print("Gateway benchmark, two replicas: duows serve")
    print(f"  machine: {info.get('cpus')} CPUs; {info.get('placement')}")
    print(f"  load average (1/5/15 min): start {info.get('loadavg_start')}, end {info.get('loadavg_end')}")
    pressure = run.cpu_pressure()
    if pressure is not None:
        print(f"  CPU pressure during the run: some task waited for a CPU {pressure:.0%} of the time")
    if info.get("baseline"):
        print(f"  baseline build: {info['baseline']}")
    print(f"  per rate {info.get('rounds')} rounds x {info.get('window_s')} s per path"
          f" (after {info.get('warmup_s')} s warm-up)")
    print()
    paths = [p for p in ("duows", "duows-2r", "before") if any(k[0] == p for k in run.instant)]
    overhead_table(run, paths)
    for item in failover:
        failover_report(item, info)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
