#!/usr/bin/env python3
"""Weight downloads, duows against huggingface_hub's snapshot_download (plain, and with
hf_transfer), from the same local test hub serving the same generated files. Run by
bench/download.sh, which builds the tools and installs the peers.

For each setting (no limit; each connection capped, as CDNs do) every client downloads the
whole repository into an empty cache; the report gives wall time, throughput, CPU time
(user + system) and peak memory (max RSS) of the client process, and duows's throughput as a
ratio of each peer's. Every result is checked against the files' SHA-256 sums (outside the
timing). Then each client is killed (SIGKILL) once half the bytes are on disk and started
again: the report gives the time the second run took and the bytes it fetched again.
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

REPO = "mistralai/Codestral-22B-v0.1"  # any catalog repository: the test hub serves it
HF_SCRIPT = (
    "import sys\n"
    "from huggingface_hub import snapshot_download\n"
    "print(snapshot_download(sys.argv[1], cache_dir=sys.argv[2]))\n"
)


def log(message):
    print(f"download bench: {message}", file=sys.stderr, flush=True)


def read_manifest(repo_dir):
    files = []
    with open(os.path.join(repo_dir, "manifest.txt")) as manifest:
        for line in manifest:
            path, size, sha = line.split()
            files.append((path, int(size), sha))
    return files


class Hub:
    """The test hub process, serving the repository with an optional per-connection cap."""

    def __init__(self, binary, repo_dir, work, cap):
        self.log_path = os.path.join(work, "hub.out")
        args = [binary, "serve", "--dir", repo_dir]
        if cap:
            args += ["--cap-mb-per-s", str(cap)]
        self.process = subprocess.Popen(args, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        for _ in range(100):
            with open(self.log_path) as out:
                text = out.read()
            if "listening on " in text:
                self.url = text.split("listening on ")[1].split()[0]
                return
            time.sleep(0.1)
        raise SystemExit("the test hub did not start")

    def bytes_sent(self):
        with urllib.request.urlopen(self.url + "/stats") as response:
            return json.load(response)["bytes_sent"]

    def stop(self):
        self.process.kill()
        self.process.wait()


class Client:
    """One download client: its command line and environment, and where its cache goes."""

    def __init__(self, name, args, env, cache_env):
        self.name, self.args, self.env, self.cache_env = name, args, env, cache_env

    def start(self, hub, cache):
        env = dict(os.environ, HF_ENDPOINT=hub.url, NO_PROXY="*", no_proxy="*", **self.env)
        args = [a.replace("{cache}", cache) for a in self.args]
        if self.cache_env:
            env[self.cache_env] = cache
        out = open(os.path.join(cache, "..", f"{self.name}.out"), "w")
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)


def clients(duows, python):
    hf_env = {
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",
    }
    return {
        "duows": Client("duows", [duows, "engine", "download", "--model", REPO], {}, "DUOWS_HOME"),
        "huggingface_hub": Client(
            "huggingface_hub",
            [python, "-c", HF_SCRIPT, REPO, "{cache}"],
            dict(hf_env, HF_HUB_ENABLE_HF_TRANSFER="0"),
            None,
        ),
        "hf_transfer": Client(
            "hf_transfer",
            [python, "-c", HF_SCRIPT, REPO, "{cache}"],
            dict(hf_env, HF_HUB_ENABLE_HF_TRANSFER="1"),
            None,
        ),
    }


def wait_measured(process):
    """Waits for `process`; its exit status, CPU seconds and peak RSS (KiB)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def snapshot_dir(cache):
    for root, dirs, _ in os.walk(cache):
        if os.path.basename(root) == "snapshots" and dirs:
            return os.path.join(root, dirs[0])
    return None


def verify(cache, files):
    """Whether every file is in the cache's snapshot with its size and SHA-256."""
    snapshot = snapshot_dir(cache)
    if snapshot is None:
        return "no snapshot"
    for path, size, sha in files:
        full = os.path.join(snapshot, path)
        if not os.path.isfile(full) or os.path.getsize(full) != size:
            return f"{path} missing or of the wrong size"
        digest = hashlib.sha256()
        with open(full, "rb") as data:
            while block := data.read(1 << 22):
                digest.update(block)
        if digest.hexdigest() != sha:
            return f"{path} does not match its SHA-256"
    return "ok"


def bytes_on_disk(cache):
    total = 0
    for root, _, names in os.walk(cache):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def fresh(work, name):
    cache = os.path.join(work, "caches", name)
    shutil.rmtree(os.path.join(work, "caches"), ignore_errors=True)
    os.makedirs(cache)
    subprocess.run(["sync"], check=False)
    return cache


def measure(client, hub, work, files, total):
    cache = fresh(work, client.name)
    started = time.monotonic()
    code, cpu, rss = wait_measured(client.start(hub, cache))
    wall = time.monotonic() - started
    check = verify(cache, files) if code == 0 else f"exit status {code}"
    return {
        "client": client.name,
        "wall_s": round(wall, 2),
        "mb_per_s": round(total / wall / 1e6, 1),
        "cpu_s": round(cpu, 2),
        "peak_rss_mib": round(rss / 1024, 1),
        "check": check,
    }


def resume(client, hub, work, files, total):
    """Kills the client once half the bytes are on disk, then times a second run."""
    cache = fresh(work, client.name)
    process = client.start(hub, cache)
    while process.poll() is None and bytes_on_disk(cache) < total / 2:
        time.sleep(0.02)
    if process.poll() is not None:
        return {"client": client.name, "check": "finished before half way"}
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept = bytes_on_disk(cache)
    sent_before = hub.bytes_sent()
    started = time.monotonic()
    code, cpu, rss = wait_measured(client.start(hub, cache))
    wall = time.monotonic() - started
    fetched = hub.bytes_sent() - sent_before
    check = verify(cache, files) if code == 0 else f"exit status {code}"
    return {
        "client": client.name,
        "kept_at_kill_mb": round(kept / 1e6),
        "second_run_s": round(wall, 2),
        "fetched_again_mb": round(fetched / 1e6),
        "refetched_mb": round(max(0, fetched - (total - min(kept, total))) / 1e6),
        "check": check,
    }


def table(rows, columns):
    widths = [max(len(str(c)), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(columns, widths))]
    for row in rows:
        lines.append("  ".join(str(row.get(c, "")).ljust(w) for c, w in zip(columns, widths)))
    return "\n".join(lines)


def median_by_client(results):
    best = {}
    for name in dict.fromkeys(r["client"] for r in results):
        runs = sorted((r for r in results if r["client"] == name), key=lambda r: r["wall_s"])
        best[name] = runs[len(runs) // 2]
    return list(best.values())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hub", required=True)
    parser.add_argument("--duows", required=True)
    parser.add_argument("--python", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--shards-mib", default="1536,1024,512")
    parser.add_argument("--cap-mb", type=float, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--clients", default="duows,huggingface_hub,hf_transfer")
    parser.add_argument("--no-resume", action="store_true")
    args = parser.parse_args()

    repo_dir = os.path.join(args.work, "repo")
    log(f"generating shards of {args.shards_mib} MiB")
    subprocess.run([args.hub, "generate", "--dir", repo_dir, "--shards-mib", args.shards_mib],
                   check=True, stdout=subprocess.DEVNULL)
    files = read_manifest(repo_dir)
    total = sum(size for _, size, _ in files)
    chosen = [clients(args.duows, args.python)[n] for n in args.clients.split(",")]
    report = {"total_mb": round(total / 1e6), "files": len(files), "cpus": os.cpu_count(),
              "loadavg_start": open("/proc/loadavg").read().split()[:3], "settings": {}}
    for setting, cap in [("no limit", None), (f"{args.cap_mb:g} MB/s per connection", args.cap_mb)]:
        hub = Hub(args.hub, repo_dir, args.work, cap)
        try:
            results = []
            for round_no in range(args.rounds):
                for client in chosen:
                    log(f"{setting}, round {round_no + 1}: {client.name}")
                    results.append(measure(client, hub, args.work, files, total))
            report["settings"][setting] = median_by_client(results)
            if cap and not args.no_resume:
                report["resume"] = []
                for client in chosen:
                    log(f"{setting}: {client.name}, killed at half way and started again")
                    report["resume"].append(resume(client, hub, args.work, files, total))
        finally:
            hub.stop()
    shutil.rmtree(os.path.join(args.work, "caches"), ignore_errors=True)
    report["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    print_report(report, args)
    runs = [r for rows in report["settings"].values() for r in rows] + report.get("resume", [])
    return 0 if all(r["check"] == "ok" for r in runs) else 1


def print_report(report, args):
    print(json.dumps(report), file=open(os.path.join(args.work, "report.json"), "w"))
    print(f"\nWeight downloads: {report['files']} files, {report['total_mb']} MB, "
          f"{report['cpus']} CPUs, load average {' '.join(report['loadavg_start'])} at start, "
          f"{' '.join(report['loadavg_end'])} at end")
    columns = ["client", "wall_s", "mb_per_s", "cpu_s", "peak_rss_mib", "check"]
    for setting, rows in report["settings"].items():
        print(f"\n{setting}:\n{table(rows, columns)}")
        ours = next((r for r in rows if r["client"] == "duows"), None)
        for peer in rows:
            if ours and peer is not ours:
                ratio = ours["mb_per_s"] / peer["mb_per_s"]
                verdict = "PASS" if ratio >= 1 or peer["client"] != "hf_transfer" else "MISS"
                print(f"  duows / {peer['client']}: throughput x{ratio:.2f}, "
                      f"CPU x{ours['cpu_s'] / max(peer['cpu_s'], 0.01):.2f}, "
                      f"peak memory x{ours['peak_rss_mib'] / max(peer['peak_rss_mib'], 0.01):.2f}"
                      + (f"  [{verdict}: at least hf_transfer's throughput]"
                         if peer["client"] == "hf_transfer" else ""))
    if "resume" in report:
        print("\nKilled (SIGKILL) at half way, then started again (capped setting):")
        print(table(report["resume"], ["client", "kept_at_kill_mb", "second_run_s",
                                       "fetched_again_mb", "refetched_mb", "check"]))
        print("  refetched_mb: bytes the second run fetched that were already on disk")


if __name__ == "__main__":
    sys.exit(main())
