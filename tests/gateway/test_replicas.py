"""A deployment with two replicas through the official `openai` client: two real CPU engines
(llama.cpp's server, the tiny GGUF the suite writes) behind one external deployment added with
`duows deployments add --replica`. Requests are spread over both; one engine is killed while
requests are running and none of them fails; it is taken out, and once it listens again it is
probed back in and takes requests again.

Run: DUOWS_BIN=target/debug/duows DUOWS_CPU_ENGINE_PYTHON=.tools/cpu-engine/bin/python \
     .tools/cpu-engine/bin/python -m unittest discover -s tests/gateway -p test_replicas.py -v
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

REPO = Path(__file__).resolve().parents[2]
# Last on the path: the suites' folders (litellm, kubernetes) must not shadow packages.
sys.path.append(str(REPO / "tests"))
from ports import free_port  # noqa: E402

DUOWS = os.environ.get("DUOWS_BIN", str(REPO / "target/debug/duows"))
ENGINE_PYTHON = os.environ.get("DUOWS_CPU_ENGINE_PYTHON", str(REPO / ".tools/cpu-engine/bin/python"))


def metric(text, name, deployment, replica):
    """A replica's value of `name` in the gateway's Prometheus text, or None."""
    line = re.search(rf'^{name}\{{deployment="{deployment}",replica="{re.escape(replica)}"\}} (\d+)$', text, re.M)
    return int(line.group(1)) if line else None


class TwoReplicas(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.TemporaryDirectory()
        home = Path(cls.home.name)
        cls.gguf = home / "tiny.gguf"
        subprocess.run(
            [ENGINE_PYTHON, str(REPO / "tests/engine/make_tiny_gguf.py"), str(cls.gguf)],
            check=True, capture_output=True,
        )
        cls.env = dict(os.environ, DUOWS_HOME=str(home / "data"))
        first = free_port()
        cls.ports = [first, free_port(taken=(first,))]
        cls.engines = [cls.start_engine(port) for port in cls.ports]
        cls.urls = [f"http://127.0.0.1:{port}/v1" for port in cls.ports]
        subprocess.run(
            [DUOWS, "deployments", "add", "--name", "pair", "--endpoint", cls.urls[0],
             "--replica", cls.urls[1], "--served-model", "tiny"],
            env=cls.env, check=True, capture_output=True,
        )
        cls.server = subprocess.Popen(
            [DUOWS, "serve", "--port", "0", "--gateway-port", "0"],
            env=cls.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        cls.gateway = None
        deadline = time.time() + 30
        while time.time() < deadline and not cls.gateway:
            if m := re.search(r"gateway \(OpenAI-compatible\) on (http://\S+)", cls.server.stdout.readline()):
                cls.gateway = m.group(1)
        assert cls.gateway, "duows serve did not report its gateway"
        cls.client = openai.OpenAI(base_url=cls.gateway, api_key="none", max_retries=0, timeout=30)
        for port in cls.ports:
            cls.wait_listening(port)

    @classmethod
    def tearDownClass(cls):
        cls.server.send_signal(signal.SIGTERM)
        try:
            cls.server.wait(timeout=20)
        finally:
            if cls.server.poll() is None:
                cls.server.kill()
            for engine in cls.engines:
                engine.kill()
                engine.wait()
            cls.home.cleanup()

    @classmethod
    def start_engine(cls, port):
        return subprocess.Popen(
            [ENGINE_PYTHON, "-m", "llama_cpp.server", "--model", str(cls.gguf), "--model_alias", "tiny",
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "512"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    @staticmethod
    def wait_listening(port):
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the engine on {port} did not start")

    def metrics(self):
        with urllib.request.urlopen(self.gateway.removesuffix("/v1") + "/metrics", timeout=10) as response:
            return response.read().decode()

    def chat(self, _=None):
        return self.client.chat.completions.create(
            model="pair", messages=[{"role": "user", "content": "hi"}], max_tokens=8
        )

    def test_requests_survive_a_replica_killed_under_load_and_it_comes_back(self):
        # Both replicas take requests.
        for _ in range(4):
            self.chat()
        text = self.metrics()
        served = [metric(text, "duows_gateway_replica_requests_total", "pair", url) for url in self.urls]
        self.assertTrue(all(n and n >= 2 for n in served), served)

        # Killed while 40 requests run four at a time: none of them fails.
        failures = []

        def one(i):
            if i == 12:
                self.engines[0].send_signal(signal.SIGKILL)
            try:
                self.chat()
            except openai.APIError as error:
                failures.append(repr(error))

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(one, range(40)))
        self.assertEqual(failures, [])
        text = self.metrics()
        self.assertEqual(metric(text, "duows_gateway_replica_up", "pair", self.urls[0]), 0, "taken out")
        retried = metric(text, "duows_gateway_replica_retries_total", "pair", self.urls[0])
        self.assertGreaterEqual(retried, 1, "requests that failed on it went to the other")

        # Listening again: probed back in, and it takes its turn.
        self.engines[0].wait()
        self.engines[0] = self.start_engine(self.ports[0])
        self.wait_listening(self.ports[0])
        deadline = time.time() + 40
        while metric(self.metrics(), "duows_gateway_replica_up", "pair", self.urls[0]) != 1:
            self.assertLess(time.time(), deadline, "the replica was not brought back")
            time.sleep(0.2)
        before = metric(self.metrics(), "duows_gateway_replica_requests_total", "pair", self.urls[0])
        for _ in range(4):
            self.chat()
        after = metric(self.metrics(), "duows_gateway_replica_requests_total", "pair", self.urls[0])
        self.assertGreaterEqual(after - before, 2)


if __name__ == "__main__":
    unittest.main()
