"""Why the slow requests of one load-generator run were slow, from a scheduler trace.

    python3 waits.py SAMPLES.csv TRACE.txt --ours PID[,PID...] [--aside NAME,...] [--slow-us N]
                     [--name NAME]

SAMPLES.csv is what `loadgen instant --samples` wrote (its first line gives the window's start
on the wall clock); TRACE.txt is `perf script -F comm,pid,tid,cpu,time,event,trace --ns` of a
`perf record -k mono -e sched:sched_switch -e sched:sched_wakeup -e power:cpu_idle` taken
during the run, on
this machine, just before this script runs (the trace's monotonic clock is turned into wall
time with the offset between the two clocks now). --ours names the benchmark's processes
(load generator, mock, proxy); --aside names their threads off the request path (a log
writer, a sampler), whose waits do not count.

For every request slower than --slow-us (default 1,000), it finds the moments one of the
benchmark's threads had been woken but waited for its CPU, and which task held the CPU then:
a thread of the benchmark (another thread of the same process taking its turn), or a task
outside it (in this kernel's `preempt=none` mode a task inside the kernel keeps the CPU until
it leaves it, whatever the priority of the thread that waits). Then it lists tasks outside
the benchmark that held a CPU for long stretches repeatedly, with their period: a periodic
stall seen on every path. A wait while the CPU was idle is the time an idle CPU took to wake.
Standard library only.
"""

import argparse
import bisect
import collections
import re
import statistics
import time

EVENT = re.compile(r"^\s*(.+?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\w+:\w+):\s*(.*)$")
SWITCH = re.compile(r"prev_comm=(.*) prev_pid=(\d+) prev_prio=(\d+) prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)")
WAKEUP = re.compile(r"comm=(.*) pid=(\d+) prio=(\d+) target_cpu=(\d+)")
LONG_US = 500  # a stretch this long by a task outside the benchmark counts as a stall
BURST_GAP_S = 0.05  # stretches closer than this form one burst


def read_samples(path):
    start, rows = None, []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                start = int(line.split("=")[1])
                continue
            planned_ms, latency_us, ok, _lag, _id = line.strip().split(",")
            rows.append((start + float(planned_ms) * 1000, int(latency_us), ok == "1"))
    return rows


def read_trace(path):
    """Per CPU: the stretches each task held it (start, end, tid, name); and every wait of a
    woken thread for its CPU (woken, running, cpu, tid, name). Times in wall-clock
    microseconds."""
    offset = (time.time() - time.clock_gettime(time.CLOCK_MONOTONIC)) * 1e6
    pid_of, current, stretches, woken, waits = {}, {}, collections.defaultdict(list), {}, []
    with open(path) as f:
        for line in f:
            m = EVENT.match(line)
            if not m:
                continue
            comm, pid, tid, cpu, at, event, rest = m.groups()
            pid_of[tid] = pid
            cpu, at = int(cpu), float(at) * 1e6 + offset
            if cpu in current and current[cpu][1] != tid:
                # A switch that was not recorded (some tasks' own events never reach the
                # trace): the task in the event's header holds the CPU from here.
                since, held_by, name = current[cpu]
                stretches[cpu].append((since, at, held_by, name))
                current[cpu] = (at, tid, comm)
            if event == "sched:sched_wakeup":
                w = WAKEUP.search(rest)
                if w:
                    woken[w.group(2)] = at
            elif event == "sched:sched_switch":
                s = SWITCH.search(rest)
                if not s:
                    continue
                if cpu in current:
                    since, held_by, name = current[cpu]
                    stretches[cpu].append((since, at, held_by, name))
                nxt = s.group(6)
                current[cpu] = (at, nxt, s.group(5))
                if nxt in woken:
                    waits.append((woken.pop(nxt), at, cpu, nxt, s.group(5)))
    return stretches, waits, pid_of


def owner(tid, pid_of):
    """`name (pid N)` of the process a thread belongs to, from the trace or /proc."""
    pid = pid_of.get(tid)
    if pid is None:
        try:
            with open(f"/proc/{tid}/status") as f:
                pid = next(line.split()[1] for line in f if line.startswith("Tgid:"))
        except (OSError, StopIteration):
            return "pid ?"
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f"{f.read().strip()}, pid {pid}"
    except OSError:
        return f"pid {pid}"


def holders(stretches, starts, cpu, a, b):
    """Microseconds each (tid, name) held `cpu` within a..b."""
    held = collections.Counter()
    runs = stretches[cpu]
    j = max(0, bisect.bisect_left(starts[cpu], a) - 1)
    while j < len(runs) and runs[j][0] < b:
        s, e, tid, name = runs[j]
        if e > a:
            held[(tid, name)] += min(e, b) - max(s, a)
        j += 1
    return held


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("samples")
    parser.add_argument("trace")
    parser.add_argument("--ours", required=True)
    parser.add_argument("--aside", default="")
    parser.add_argument("--slow-us", type=float, default=1000)
    parser.add_argument("--name", default="this run")
    args = parser.parse_args()
    ours = set(args.ours.split(","))
    aside = set(filter(None, args.aside.split(",")))
    rows = read_samples(args.samples)
    stretches, waits, pid_of = read_trace(args.trace)
    starts = {cpu: [r[0] for r in runs] for cpu, runs in stretches.items()}
    traced = [r for runs in stretches.values() for r in runs]
    if not traced:
        print(f"{args.name}: the trace holds no scheduler events")
        return
    lo, hi = min(r[0] for r in traced), max(r[1] for r in traced)
    mine = lambda tid: pid_of.get(tid) in ours

    def label(tid, name):
        if name.startswith("swapper"):
            return "the CPU idle (waking it took this long)"
        return f"{name} ({owner(tid, pid_of)}{', benchmark' if mine(tid) else ''})"


    lat = sorted(r[1] for r in rows if r[2])
    slow = [r for r in rows if r[2] and r[1] >= args.slow_us and r[0] >= lo and r[0] + r[1] <= hi]
    p999 = lat[min(len(lat) - 1, int(0.999 * len(lat)))] if lat else 0
    print(f"{args.name}: {len(rows)} requests, {len(slow)} of them (traced) took >= "
          f"{args.slow_us / 1000:g} ms; p99.9 {p999 / 1000:.2f} ms")
    waits.sort()
    wait_starts = [w[0] for w in waits]
    blame, waited = collections.Counter(), collections.Counter()
    for start, latency, _ok in slow:
        held = collections.Counter()
        j = max(0, bisect.bisect_left(wait_starts, start - 5000))
        while j < len(waits) and waits[j][0] < start + latency:
            woke, ran, cpu, tid, name = waits[j]
            if mine(tid) and name not in aside and ran > start and ran - woke >= 50:
                for (holder, name), us in holders(stretches, starts, cpu, max(woke, start), min(ran, start + latency)).items():
                    held[label(holder, name)] += us
            j += 1
        if held:
            top, us = held.most_common(1)[0]
            blame[top] += 1
            waited[top] += us
            continue
        # No recorded wait (a wake-up made inside an untraced task is not recorded either):
        # the task outside the benchmark that held a CPU longest during the request.
        others = collections.Counter()
        for cpu in stretches:
            for (holder, name), us in holders(stretches, starts, cpu, start, start + latency).items():
                if not mine(holder) and not name.startswith("swapper"):
                    others[label(holder, name) + " [longest on a CPU during it]"] += us
        top = others.most_common(1)[0][0] if others else "(nothing else ran: the time went elsewhere)"
        blame[top] += 1
    if slow:
        print("  held the CPU while a woken benchmark thread waited, in each slow request (most):")
        for name, n in blame.most_common(8):
            print(f"    {n:5}  {name}" + (f"  ({waited[name] / 1000:.1f} ms waited)" if name in waited else ""))

    bursts = collections.defaultdict(list)
    for cpu, runs in stretches.items():
        for s, e, tid, name in runs:
            if e - s >= LONG_US and not mine(tid) and not name.startswith("swapper"):
                group = bursts[(name, owner(tid, pid_of))]
                if group and s / 1e6 - group[-1][-1][1] / 1e6 < BURST_GAP_S:
                    group[-1].append((s, e))
                else:
                    group.append([(s, e)])
    repeating = [(k, g) for k, g in bursts.items() if len(g) >= 3]
    if repeating:
        print(f"  tasks outside the benchmark holding a CPU >= {LONG_US / 1000:g} ms at a time, repeatedly:")
        for (name, process), groups in sorted(repeating, key=lambda x: -len(x[1]))[:6]:
            longest = max(e - s for g in groups for s, e in g)
            period = statistics.median(b[0][0] - a[0][0] for a, b in zip(groups, groups[1:])) / 1e6
            print(f"    {name} ({process}): {len(groups)} bursts about {period:.2f} s apart, "
                  f"stretches up to {longest / 1000:.1f} ms")


if __name__ == "__main__":
    main()
