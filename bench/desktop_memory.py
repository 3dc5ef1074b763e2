"""The desktop app's idle memory beside its floor, in one run, without WebDriver: starts the
app on the X display in a fresh data folder (one L4 described), waits, and sums the PSS of
its process and the WebKit processes below it; then the same for a bare WebKitGTK window of
the same size showing one paragraph (bench/webview_floor.c: the least any window on the
system WebKitGTK holds), and for the app's core alone, headless (`duows serve`, when given).
Prints each figure, what it is made of (PSS by mapping), and the app's share above the floor.

Usage: python desktop_memory.py <app> <floor> [duows] [runs] [idle-seconds]   (DISPLAY set)
"""

import collections
import os
import re
import sys
import time

from desktop_run import FreshRun

GROUPS = [
    ("WebKitGTK and JavaScriptCore", re.compile(r"libwebkit2gtk|libjavascriptcoregtk")),
    ("Mesa's GL driver (LLVM, DRI)", re.compile(r"libLLVM|/dri/|libgallium|mesa_shader_cache")),
    ("speech voices (flite)", re.compile(r"libflite")),
    ("the program", re.compile(r"/(duo-workstation|webview-floor|duows)$")),
    ("other libraries", re.compile(r"\.so")),
]
HEAD = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")


def children(pid):
    """Every process below `pid`."""
    below = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        if int(text[text.rindex(")") + 2:].split()[1]) == pid:
            below.append(int(entry))
            below.extend(children(int(entry)))
    return below


def pss_by_group(pid):
    """PSS in bytes of one process, summed by what each mapping is."""
    sums = collections.Counter()
    name = ""
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = HEAD.match(line)
                if head:
                    name = head.group(1).strip()
                elif line.startswith("Pss:"):
                    group = next((g for g, pattern in GROUPS if pattern.search(name)), "anonymous and other")
                    sums[group] += int(line.split()[1]) * 1024
    except OSError:
        pass
    return sums


def idle_memory(argv, idle_s, display_window):
    """(total PSS, PSS by group) of `argv` and the processes below it after `idle_s`."""
    run = FreshRun(argv, "duows-bench-memory-", display_window)
    try:
        time.sleep(idle_s)
        if run.child.poll() is not None:
            raise SystemExit(f"{argv[0]} ended before it was measured (exit {run.child.returncode})")
        sums = collections.Counter()
        for pid in [run.child.pid, *children(run.child.pid)]:
            sums.update(pss_by_group(pid))
        return sum(sums.values()), sums
    finally:
        run.stop()


def median_run(argv, runs, idle_s, display_window=True):
    """The run with the median total: (total, by group, every total)."""
    measured = sorted((idle_memory(argv, idle_s, display_window) for _ in range(runs)), key=lambda m: m[0])
    total, parts = measured[len(measured) // 2]
    return total, parts, [m[0] for m in measured]


def mb(n):
    return f"{n / 1e6:.0f}"


def words(parts):
    return ", ".join(f"{group} {mb(n)} MB" for group, n in parts.most_common() if n >= 0.5e6)


def main():
    app, floor = sys.argv[1], sys.argv[2]
    duows = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    idle_s = float(sys.argv[5]) if len(sys.argv) > 5 else 20
    app_total, app_parts, app_all = median_run([app], runs, idle_s)
    floor_total, floor_parts, floor_all = median_run([floor], runs, idle_s)
    print(f"desktop: idle memory (PSS of the app and its WebKit processes after {idle_s:.0f} s, median of {runs}: "
          f"{', '.join(mb(t) for t in app_all)}) {mb(app_total)} MB; target under 150 MB: "
          f"{'met' if app_total < 150e6 else 'NOT met'}", flush=True)
    print(f"desktop: the app's memory by what it is: {words(app_parts)}", flush=True)
    print(f"desktop: a bare WebKitGTK window on this machine (bench/webview_floor.c, one paragraph) "
          f"{mb(floor_total)} MB ({', '.join(mb(t) for t in floor_all)}): {words(floor_parts)}", flush=True)
    above = app_total - floor_total
    line = f"desktop: the app above that floor: {mb(above)} MB"
    if duows:
        core_total, _, _ = median_run([duows, "serve", "--port", "0", "--gateway-port", "0"], 1, min(idle_s, 8), display_window=False)
        line += f" (its core alone, headless as `duows serve`: {mb(core_total)} MB)"
    print(line, flush=True)


if __name__ == "__main__":
    main()
