"""Report of bench/gateway.sh: reads the run's JSON lines and prints the tables and targets.

    python3 report.py RESULTS.jsonl      print the report
    python3 report.py --sustained JSON   exit 0 if one load step kept up (no errors, >= 95 %
                                         of the offered rate achieved), else 1

Each rate (and the streaming test) is measured in rounds; a round runs every path once, one
after the other. Overhead is, per round, a path's latency percentile minus the direct path's
at the same rate; the report shows the median over rounds (robust to one noisy round) and
the range. Standard library only.
"""

import json
import statistics
import sys

KEEP_UP = 0.95  # share of the offered rate that must be answered
PATH_NAMES = {"direct": "direct", "duows": "duows serve", "litellm": "LiteLLM"}
TARGET_P99_MS = 1.0
TARGET_RATE = 2000
TARGET_RATIO = 10.0
TARGET_TTFB_MS = 1.0


def kept_up(step):
    return step["errors"] == 0 and step["achieved"] >= KEEP_UP * step["rate"]


def ms(us):
    return None if us is None else us / 1000.0


def fmt_ms(value, signed=False):
    if value is None:
        return "-"
    sign = "+" if signed else ""
    if abs(value) >= 100:
        return f"{value:{sign}.0f}"
    if abs(value) >= 10:
        return f"{value:{sign}.1f}"
    return f"{value:{sign}.3f}"


def fmt_rate(rate):
    return f"{rate:g}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


class Rounds:
    """One path at one setting, over rounds, next to the direct path's rounds."""

    def __init__(self, rounds, direct):
        self.rounds = rounds  # round -> result
        self.direct = direct  # round -> result (empty for the direct path itself)

    def med(self, field):
        return median(r[field] for r in self.rounds.values())

    def added(self, field):
        """Per-round (path - direct) of a field, in the rounds both ran."""
        return [r[field] - self.direct[n][field] for n, r in self.rounds.items() if n in self.direct]

    def added_med(self, field):
        return median(self.added(field))

    def added_range(self, field):
        values = self.added(field)
        return (min(values), max(values)) if values else None

    def total(self, field):
        return sum(r[field] for r in self.rounds.values())


class Run:
    def __init__(self, lines):
        self.info = {}
        self.pressure = {}
        self.memory = {}
        self.paced = {}  # path -> round -> result
        self.instant = {}  # (path, rate) -> round -> result
        self.scale = {}  # path -> concurrent streams -> result
        self.soak = []  # segments in order
        for line in lines:
            item = json.loads(line)
            kind = item["kind"]
            if kind == "info":
                self.info.update({k: v for k, v in item.items() if k != "kind"})
            elif kind == "pressure":
                self.pressure[item["phase"]] = item
            elif kind == "memory":
                self.memory[(item["path"], item["phase"])] = item["kib"]
            elif kind == "paced":
                self.paced.setdefault(item["path"], {})[item["round"]] = item["result"]
            elif kind == "scale":
                self.scale.setdefault(item["path"], {})[item["count"]] = item["result"]
            elif kind == "soak":
                self.soak.append(item)
            elif kind == "instant":
                key = (item["path"], item["result"]["rate"])
                self.instant.setdefault(key, {})[item["round"]] = item["result"]
        self.rates = sorted({rate for (_, rate) in self.instant})
        self.paths = [p for p in ("duows", "litellm") if any(k[0] == p for k in self.instant)]

    def step(self, path, rate):
        rounds = self.instant.get((path, rate))
        if not rounds:
            return None
        direct = {} if path == "direct" else self.instant.get(("direct", rate), {})
        return Rounds(rounds, direct)

    def kept_up(self, path, rate):
        """Kept up in at least half the rounds run (so one noisy round does not decide)."""
        step = self.step(path, rate)
        if not step:
            return False
        misses = sum(not kept_up(r) for r in step.rounds.values())
        return misses * 2 <= len(step.rounds)

    def cpu_pressure(self):
        """Share of the run's wall time during which some task waited for a CPU, or None."""
        start, end = self.pressure.get("start"), self.pressure.get("end")
        if not start or not end or start["psi_us"] is None or end["psi_us"] is None:
            return None
        return (end["psi_us"] - start["psi_us"]) / max(1, end["at_us"] - start["at_us"])

    def overhead(self, path, rate, pct):
        step = self.step(path, rate)
        return ms(step.added_med(f"lat_{pct}_us")) if step else None

    def sustainable_at(self, path, rate, limit_ms):
        """Whether `path` kept up at `rate` with a (median-round) p99 overhead under limit_ms;
        None when it was not run there."""
        added = self.overhead(path, rate, "p99")
        if added is None:
            return None
        return self.kept_up(path, rate) and added < limit_ms

    def sustainable(self, path, limit_ms):
        """Highest rate that passes sustainable_at, or None. A noisy failure at a lower
        rate does not hide a pass above it; the report lists such rates."""
        best = None
        for rate in self.rates:
            if self.sustainable_at(path, rate, limit_ms):
                best = rate
        return best

    def error_free(self, path):
        best = None
        for rate in self.rates:
            if self.kept_up(path, rate):
                best = rate
        return best


def header(run):
    info = run.info
    print("Gateway benchmark: duows serve vs LiteLLM proxy " + info.get("litellm_version", "?"))
    print(f"  machine: {info.get('cpus')} CPUs; {info.get('placement')}")
    print(f"  load average (1/5/15 min): start {info.get('loadavg_start')}, end {info.get('loadavg_end')}"
          " (a shared machine: other work adds noise to every path)")
    pressure = run.cpu_pressure()
    if pressure is not None:
        print(f"  CPU pressure during the run: some task waited for a CPU {pressure:.0%} of the time"
              " (near 0 % on a quiet machine; the higher, the noisier the p99 figures)")
    print(f"  open-model load: fixed arrival rate, keep-alive pool, latency from each request's planned"
          f" send time, 5 s timeout; per rate {info.get('rounds')} rounds x {info.get('window_s')} s per path"
          f" (after {info.get('warmup_s')} s warm-up); medians over rounds")
    print()


def instant_table(run):
    print("Instant mock: latency in ms; overhead (+) = path minus direct, same rate, same round")
    cols = "   achvd    p50    p99  p99.9   +p50   +p99 +p99.9  +p99 range        err"
    width = len(cols) - 1
    top = f"{'offered':>7} | {'direct':^21} |"
    sub = f"{'req/s':>7} | {'achvd':>7} {'p50':>6} {'p99':>6} |"
    for path in run.paths:
        top += f" {PATH_NAMES[path]:^{width}} |"
        sub += cols + " |"
    print(top)
    print(sub)
    for rate in run.rates:
        direct = run.step("direct", rate)
        row = f"{fmt_rate(rate):>7} |"
        if direct:
            row += (f" {direct.med('achieved'):>7.0f} {fmt_ms(ms(direct.med('lat_p50_us'))):>6}"
                    f" {fmt_ms(ms(direct.med('lat_p99_us'))):>6} |")
        else:
            row += f" {'-':>21} |"
        for path in run.paths:
            step = run.step(path, rate)
            if not step:
                row += f" {'not run (fell behind at a lower rate)':<{width}} |"
                continue
            spread = step.added_range("lat_p99_us")
            spread = f"{fmt_ms(ms(spread[0]), True)}..{fmt_ms(ms(spread[1]), True)}" if spread else "-"
            row += (f" {step.med('achieved'):>7.0f} {fmt_ms(ms(step.med('lat_p50_us'))):>6}"
                    f" {fmt_ms(ms(step.med('lat_p99_us'))):>6}"
                    f" {fmt_ms(ms(step.med('lat_p999_us'))):>6}"
                    f" {fmt_ms(run.overhead(path, rate, 'p50'), True):>6}"
                    f" {fmt_ms(run.overhead(path, rate, 'p99'), True):>6}"
                    f" {fmt_ms(run.overhead(path, rate, 'p999'), True):>6}"
                    f"  {spread:<16} {step.total('errors'):>3} |")
        print(row)
    lag = median(r["lag_p99_us"] for rounds in run.instant.values() for r in rounds.values())
    worst = max((r["lag_p99_us"] for rounds in run.instant.values() for r in rounds.values()), default=0)
    print(f"  (load generator's own send lag p99: median {fmt_ms(ms(lag))} ms, worst {fmt_ms(ms(worst))} ms;"
          " it is inside every latency above, on every path)")
    print()


def sustainable_summary(run):
    """Prints the sustainable rates; returns (ratio at the 1 ms criterion, whether a lower bound)."""
    top = run.rates[-1] if run.rates else None
    result = (None, False)
    for limit in (1.0, 10.0):
        print(f"Highest rate kept up (no errors and >= {KEEP_UP:.0%} of offered, in at least half the rounds)"
              f" with p99 overhead < {limit:g} ms:")
        duows = run.sustainable("duows", limit)
        capped = duows is not None and duows == top
        text = "none" if duows is None else \
            f"{fmt_rate(duows)} req/s (p99 overhead {fmt_ms(run.overhead('duows', duows, 'p99'), True)} ms)"
        print(f"  duows serve: {text}{' - the highest rate tried' if capped else ''}")
        if duows is not None:
            below = [rate for rate in run.rates if rate < duows and run.sustainable_at("duows", rate, limit) is False]
            if below:
                listed = ", ".join(f"{fmt_rate(r)} ({fmt_ms(run.overhead('duows', r, 'p99'), True)} ms)" for r in below)
                print(f"               over the limit at lower rates: {listed}")
        if "litellm" not in run.paths:
            print("  LiteLLM:     not measured")
            continue
        lite = run.sustainable("litellm", limit)
        basis = "both at the same criterion"
        if lite is not None:
            print(f"  LiteLLM:     {fmt_rate(lite)} req/s (p99 overhead {fmt_ms(run.overhead('litellm', lite, 'p99'), True)} ms)")
        else:
            lite = run.error_free("litellm")
            basis = "LiteLLM at its highest rate kept up"
            if lite is None:
                print(f"  LiteLLM:     never; it did not keep up even at {fmt_rate(run.rates[0])} req/s")
            else:
                print(f"  LiteLLM:     never; highest rate kept up {fmt_rate(lite)} req/s,"
                      f" p99 overhead there {fmt_ms(run.overhead('litellm', lite, 'p99'), True)} ms")
        ratio, bound = None, capped
        if duows is not None and lite:
            ratio = duows / lite
            print(f"  ratio duows/LiteLLM: {'>= ' if bound else ''}{ratio:.1f}x ({basis})")
        elif duows is not None:
            ratio, bound = duows / run.rates[0], True
            print(f"  ratio duows/LiteLLM: > {ratio:.1f}x (LiteLLM kept up at no rate tried)")
        else:
            print("  ratio duows/LiteLLM: -")
        if limit == 1.0:
            result = (ratio, bound)
    print()
    return result


def streams_table(run):
    """Prints the streaming table; returns duows's added TTFB (p50, p99) in ms, or None."""
    if not run.paced:
        return None
    direct = run.paced.get("direct", {})
    first = next(iter(next(iter(run.paced.values())).values()))
    print(f"Paced streaming mock (64 chunks 20 ms apart, then [DONE]; {first['rate']:g} streams/s,"
          f" {run.info.get('stream_rounds', len(direct))} rounds x {first['window_s']:g} s): ms, medians over rounds")
    print(f"{'path':<12} | {'complete':>9} | {'TTFB p50':>8} {'p99':>7} | {'+TTFB p50':>9} {'p99':>7} |"
          f" {'gap mean':>8} {'p99':>7} | {'+gap mean':>9} {'p99':>7} | {'+last chunk p50':>15}")
    added_ttfb = None
    for path in ("direct", "duows", "litellm"):
        if path not in run.paced:
            continue
        s = Rounds(run.paced[path], {} if path == "direct" else direct)
        def added(field):
            return "-" if path == "direct" else fmt_ms(ms(s.added_med(field)), True)
        complete = f"{s.total('complete')}/{s.total('streams')}"
        print(f"{PATH_NAMES[path]:<12} | {complete:>9} | {fmt_ms(ms(s.med('ttfb_p50_us'))):>8}"
              f" {fmt_ms(ms(s.med('ttfb_p99_us'))):>7} | {added('ttfb_p50_us'):>9} {added('ttfb_p99_us'):>7} |"
              f" {fmt_ms(ms(s.med('gap_mean_us'))):>8} {fmt_ms(ms(s.med('gap_p99_us'))):>7} |"
              f" {added('gap_mean_us'):>9} {added('gap_p99_us'):>7} | {added('last_p50_us'):>15}")
        if path == "duows" and s.added("ttfb_p50_us"):
            added_ttfb = (ms(s.added_med("ttfb_p50_us")), ms(s.added_med("ttfb_p99_us")))
    print("  (TTFB: planned start to first body byte; gap: between consecutive content chunks;"
          " last chunk: planned start to the 64th chunk)")
    print()
    return added_ttfb


def scale_table(run):
    """Concurrent slow streams: what each path adds between chunks, and memory per stream."""
    if not run.scale:
        return
    chunks, interval = run.info.get("slow_chunks", 20), run.info.get("slow_interval_ms", 500)
    print(f"Concurrent slow streams ({chunks} chunks {interval} ms apart, all open through the"
          f" measured {chunks * interval / 1000:g} s): ms; added = path minus direct at the same count")
    print(f"{'streams':>7} | {'path':<12} | {'complete':>9} {'dropped':>7} | {'gap p50':>8} {'p99':>8} |"
          f" {'+gap p50':>8} {'p99':>7} | {'+TTFB p99':>9} | {'peak MiB':>8} {'KiB/stream':>10}")
    counts = sorted({c for by_count in run.scale.values() for c in by_count})
    for count in counts:
        direct = run.scale.get("direct", {}).get(count)
        for path in ("direct", "duows", "litellm"):
            r = run.scale.get(path, {}).get(count)
            if not r:
                continue
            def added(field):
                if path == "direct" or not direct or not r["complete"]:
                    return "-"
                return fmt_ms(ms(r[field] - direct[field]), True)
            def own(field):
                return fmt_ms(ms(r[field])) if r["complete"] else "-"
            idle = run.memory.get((path, "idle"))
            per_stream = "-"
            if path != "direct" and idle is not None and r["rss_peak_kib"]:
                per_stream = f"{(r['rss_peak_kib'] - idle) / count:.1f}"
            peak = "-" if path == "direct" else f"{r['rss_peak_kib'] / 1024:.1f}"
            print(f"{count:>7} | {PATH_NAMES[path]:<12} | {r['complete']:>9} {r['errors']:>7} |"
                  f" {own('gap_p50_us'):>8} {own('gap_p99_us'):>8} |"
                  f" {added('gap_p50_us'):>8} {added('gap_p99_us'):>7} | {added('ttfb_p99_us'):>9} |"
                  f" {peak:>8} {per_stream:>10}")
    print("  (dropped: measured streams that failed or ended early; KiB/stream: peak minus idle"
          " memory, over the streams open at once)")
    print()


def soak_report(run):
    info = run.info
    print(f"Soak: duows serve, {info.get('soak_rate')} requests/s for {info.get('soak_seconds')} s"
          " (half plain completions, half streams of 64 chunks 20 ms apart)")
    print(f"  machine: {info.get('cpus')} CPUs; {info.get('placement')}")
    print(f"  load average: start {info.get('loadavg_start')}, end {info.get('loadavg_end')}")
    print(f"{'at s':>6} | {'plain achvd':>11} {'p50':>6} {'p99':>6} {'p99.9':>6} {'err':>4} |"
          f" {'streams':>8} {'dropped':>7} {'TTFB p99':>8} {'gap p99':>7} | {'RSS MiB':>7}")
    errors = 0
    for seg in run.soak:
        i, p = seg["instant"], seg["paced"]
        errors += i["errors"] + p["errors"]
        print(f"{seg['at_s']:>6} | {i['achieved']:>11.0f} {fmt_ms(ms(i['lat_p50_us'])):>6}"
              f" {fmt_ms(ms(i['lat_p99_us'])):>6} {fmt_ms(ms(i['lat_p999_us'])):>6} {i['errors']:>4} |"
              f" {p['streams']:>8} {p['errors']:>7} {fmt_ms(ms(p['ttfb_p99_us'])):>8}"
              f" {fmt_ms(ms(p['gap_p99_us'])):>7} | {seg['rss_kib'] / 1024:>7.1f}")
    start, end = run.memory.get(("duows", "soak-start")), run.memory.get(("duows", "soak-end"))
    if start and end:
        print(f"  memory: {start / 1024:.1f} MiB at start, {end / 1024:.1f} MiB at end;"
              f" errors in all: {errors}")


def memory_table(run):
    print("Memory: VmRSS of the process and its children, MiB")
    print(f"{'path':<12} | {'idle':>7} | {'peak at its highest load':>26} | {'after load':>10}")
    for path in run.paths:
        rates = [rate for rate in run.rates if run.step(path, rate)]
        def mib(kib):
            return "-" if kib is None else f"{kib / 1024:.1f}"
        peak_text = "-"
        if rates:
            peak = max(r["rss_peak_kib"] for r in run.step(path, rates[-1]).rounds.values())
            peak_text = f"{mib(peak)} ({fmt_rate(rates[-1])} req/s)"
        print(f"{PATH_NAMES[path]:<12} | {mib(run.memory.get((path, 'idle'))):>7} | {peak_text:>26} |"
              f" {mib(run.memory.get((path, 'after'))):>10}")
    print()


def targets(run, ratio, ratio_bound, ttfb):
    print("Targets:")
    def line(ok, text, measured):
        print(f"  {'PASS' if ok else 'MISS'}  {text:<56} measured {measured}")
    at = run.overhead("duows", TARGET_RATE, "p99")
    what = f"duows p99 overhead < {TARGET_P99_MS:g} ms at {TARGET_RATE} req/s"
    if at is None:
        line(False, what, f"not run at {TARGET_RATE} req/s")
    else:
        errors = run.step("duows", TARGET_RATE).total("errors")
        line(at < TARGET_P99_MS and run.kept_up("duows", TARGET_RATE), what, f"{fmt_ms(at, True)} ms, {errors} errors")
    what = f"duows sustainable rate >= {TARGET_RATIO:g}x LiteLLM's (p99 < 1 ms)"
    if ratio is None:
        line(False, what, "-")
    else:
        line(ratio >= TARGET_RATIO, what, f"{'>= ' if ratio_bound else ''}{ratio:.1f}x")
    what = f"duows added TTFB < {TARGET_TTFB_MS:g} ms (p50 of streams)"
    if ttfb is None:
        line(False, what, "-")
    else:
        p50, p99 = ttfb
        line(p50 < TARGET_TTFB_MS, what, f"{fmt_ms(p50, True)} ms (p99 {fmt_ms(p99, True)} ms)")


def main(argv):
    if len(argv) == 3 and argv[1] == "--sustained":
        return 0 if kept_up(json.loads(argv[2])) else 1
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        run = Run(line for line in f if line.strip())
    if run.soak:
        soak_report(run)
        return 0
    header(run)
    instant_table(run)
    ratio, bound = sustainable_summary(run)
    ttfb = streams_table(run)
    scale_table(run)
    memory_table(run)
    targets(run, ratio, bound, ttfb)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
