"""Two `duows serve` on this machine, each with its own data folder and port and a described
L4: node B joins head A with a join token, A lists it with its hardware and when it was last
seen, A forms a real Ray cluster over both (its own `ray start --head`, B's worker), a
stand-in engine gets vLLM's placement (one GPU per stage, a stage per node), and a stop leaves
no Ray process behind. A node that drops fails the cluster with that reason.

Needs DUOWS_BIN (the duows program) and runs under the Python of scripts/ray-env.sh.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Last on the path: the suites' folders (litellm, kubernetes) must not shadow packages.
sys.path.append(str(REPO / "tests"))
from ports import free_port  # noqa: E402

DUOWS = os.environ.get("DUOWS_BIN", str(REPO / "target/debug/duows"))
RAY = str(Path(sys.executable).with_name("ray"))
RAY_VENV = str(Path(sys.executable).parent.parent)
STANDIN = str(Path(__file__).with_name("standin_engine.py"))


def call(base, method, path, body=None, bearer=None):
    """(status, JSON answer) of one control API request."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"} if data is not None else {}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=90) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def ray_processes():
    """Processes of this test's Ray (its environment's programs) and stand-in, from /proc."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ours = f"{RAY_VENV}/lib/" in cmdline or f"{RAY_VENV}/bin/ray " in cmdline
        if ours or "standin_engine.py" in cmdline:
            found.append(f"{pid} {cmdline[:120]}")
    return found


class Node:
    def __init__(self, name):
        self.home = tempfile.TemporaryDirectory(prefix=f"duows-{name}-")
        self.data = Path(self.home.name) / "data"
        self.env = dict(os.environ, DUOWS_HOME=str(self.data), DUOWS_RAY=RAY)
        self.process = subprocess.Popen(
            [DUOWS, "serve", "--port", "0", "--no-gateway", "--gpus", "1xL4"],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.base = None
        deadline = time.time() + 30
        while time.time() < deadline and not self.base:
            if m := re.search(r"listening on (http://\S+)", self.process.stdout.readline()):
                self.base = m.group(1)
        assert self.base, f"{name}: duows serve did not report its address"

    def duows(self, *args, env=None):
        done = subprocess.run([DUOWS, *args, "--server", self.base], env=env or self.env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.home.cleanup()


def wait_for(what, check, timeout=150):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        ok, last = check()
        if ok:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what}: {last}")


class TwoNodes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.head = Node("a")
        cls.node = Node("b")

    @classmethod
    def tearDownClass(cls):
        cls.node.stop()
        cls.head.stop()
        left = ray_processes()
        assert not left, f"left running after both stopped: {left}"

    def join_b(self):
        out = self.head.duows("cluster", "token")
        token = out.strip().splitlines()[-1]
        self.assertTrue(token.startswith("dwj_"), out)
        env = dict(self.node.env, DUOWS_JOIN_TOKEN=token)
        self.node.duows("cluster", "join", self.head.base, "--name", "node-b",
                        "--address", self.node.base, env=env)
        return token

    def ready_cluster(self):
        status, started = call(self.head.base, "POST", "/api/cluster/start",
                               {"gpus_per_node": 1, "ray_port": free_port()})
        self.assertEqual(status, 200, started)
        self.assertEqual(started["state"], "forming")

        def ready():
            _, view = call(self.head.base, "GET", "/api/cluster/nodes")
            self.assertNotEqual(view["ray"]["state"], "failed", view["ray"])
            return view["ray"]["state"] == "ready", view["ray"]
        return wait_for("the Ray cluster holds 2 GPUs", ready)

    def test_join_form_place_stop_drop(self):
        # Join with a token shown once; it is kept only as a hash and works once.
        token = self.join_b()
        registry = (self.head.data / "cluster/nodes.json").read_text()
        self.assertNotIn(token[4:], registry)
        status, refused = call(self.head.base, "POST", "/api/cluster/admit",
                               {"name": "node-c", "control_url": "http://127.0.0.1:9", "gpus": []},
                               bearer=token)
        self.assertEqual(status, 401, refused)

        _, view = call(self.head.base, "GET", "/api/cluster/nodes")
        self.assertEqual(view["role"], "head")
        [b] = view["nodes"]
        self.assertEqual((b["name"], b["state"], b["gpus"][0]["name"]), ("node-b", "online", "NVIDIA L4"))
        first_seen = b["last_seen_ms"]
        wait_for("a later heartbeat", lambda: (
            call(self.head.base, "GET", "/api/cluster/nodes")[1]["nodes"][0]["last_seen_ms"] > first_seen, None))
        _, member = call(self.node.base, "GET", "/api/cluster/nodes")
        self.assertEqual((member["role"], member["head_url"]), ("member", self.head.base))
        print("\nnodes:", self.head.duows("cluster", "nodes"), flush=True)

        # The head forms Ray over both nodes; the placement vLLM asks for lands a stage per node.
        ray = self.ready_cluster()
        print("ray:", ray, flush=True)
        placed = subprocess.run([sys.executable, STANDIN, ray["head_address"], "1", "2"],
                                capture_output=True, text=True, timeout=180)
        self.assertEqual(placed.returncode, 0, placed.stderr[-2000:])
        landed = json.loads(placed.stdout.strip().splitlines()[-1])
        print("placement (T=1, P=2):", json.dumps(landed, indent=1), flush=True)
        self.assertEqual(landed["state"], "CREATED")
        # One stage on each node, the head among them. vLLM pins the first bundle to the
        # driver's address (`node:<ip>`); both nodes here share 127.0.0.1, so Ray may place
        # that bundle on either of them and the test does not ask which.
        nodes = {b["node_id"] for b in landed["bundles"].values()}
        self.assertEqual(len(nodes), 2, landed)
        self.assertEqual(sorted(b["head"] for b in landed["bundles"].values()), [False, True], landed)

        # A stop leaves nothing running on either node.
        status, stopped = call(self.head.base, "POST", "/api/cluster/stop")
        self.assertEqual((status, stopped["state"]), (200, "idle"), stopped)
        left = wait_for("no Ray process after the stop", lambda: (not ray_processes(), ray_processes()), 30)
        print("after the stop, Ray processes:", left, flush=True)
        _, view = call(self.head.base, "GET", "/api/cluster/nodes")
        self.assertEqual(view["nodes"][0]["ray"], "idle")

        # Removing a node is one action; the node hears it at its next heartbeat.
        self.head.duows("cluster", "remove", "node-b")
        wait_for("node B forgets its head", lambda: (
            call(self.node.base, "GET", "/api/cluster/nodes")[1]["role"] == "standalone", None), 20)
        self.assertFalse((self.node.data / "cluster/membership.json").exists())

        # A node that drops fails the cluster with that reason, and the head's Ray stops.
        self.join_b()
        self.ready_cluster()
        self.node.process.send_signal(signal.SIGKILL)
        self.node.process.wait()

        def failed():
            _, view = call(self.head.base, "GET", "/api/cluster/nodes")
            return view["ray"]["state"] == "failed", view["ray"]
        ray = wait_for("the cluster fails when node B drops", failed, 60)
        print("after node B dropped:", ray, flush=True)
        self.assertIn("node `node-b` stopped answering", ray["failure"])
        left = wait_for("no Ray process after the failure", lambda: (not ray_processes(), ray_processes()), 30)
        print("after the failure, Ray processes:", left, flush=True)


if __name__ == "__main__":
    unittest.main()
