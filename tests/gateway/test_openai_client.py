"""The gateway through the official `openai` Python client, in front of a real engine.

`duows serve` runs with its gateway; llama.cpp's server (llama-cpp-python) serves a tiny
GGUF model the suite writes itself; a key comes from `duows keys create`, and routing
from `duows features set`. Covered: chat, completion and streaming through a feature
alias; wrong, missing and revoked keys; an unknown model; bad JSON; an oversized body; a
foreign Host; an engine killed mid-stream; a routing change during a stream; a request id
that is not a UUID; invalid parameters.

Run: DUOWS_BIN=target/debug/duows DUOWS_CPU_ENGINE_PYTHON=.tools/cpu-engine/bin/python \
     .tools/cpu-engine/bin/python -m unittest discover -s tests/gateway -v
"""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path

import urllib.error

import openai

REPO = Path(__file__).resolve().parents[2]
DUOWS = os.environ.get("DUOWS_BIN", str(REPO / "target/debug/duows"))
ENGINE_PYTHON = os.environ.get("DUOWS_CPU_ENGINE_PYTHON", str(REPO / ".tools/cpu-engine/bin/python"))


def api(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def raw(method, url, body=None, headers=None):
    """A plain HTTP request; returns (status, body text) for any status."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class GatewayWithRealEngine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.TemporaryDirectory()
        home = Path(cls.home.name)
        gguf = home / "tiny.gguf"
        subprocess.run(
            [ENGINE_PYTHON, str(REPO / "tests/engine/make_tiny_gguf.py"), str(gguf)],
            check=True, capture_output=True,
        )
        cls.gguf = gguf
        cls.env = dict(os.environ, DUOWS_HOME=str(home / "data"), DUOWS_LLAMA_CPP_PYTHON=ENGINE_PYTHON)
        cls.server = subprocess.Popen(
            [DUOWS, "serve", "--port", "0", "--gateway-port", "0"],
            env=cls.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        cls.api_base = cls.gateway = None
        deadline = time.time() + 30
        while time.time() < deadline and not (cls.api_base and cls.gateway):
            line = cls.server.stdout.readline()
            if m := re.search(r"listening on (http://\S+)", line):
                cls.api_base = m.group(1)
            if m := re.search(r"gateway \(OpenAI-compatible\) on (http://\S+)", line):
                cls.gateway = m.group(1)
        assert cls.api_base and cls.gateway, "duows serve did not report its addresses"
        for name in ("tiny", "tiny2", "victim"):
            api(cls.api_base, "POST", "/api/engines", {"gguf": str(gguf), "name": name})
        deadline = time.time() + 120
        while time.time() < deadline:
            states = {e["name"]: e["state"] for e in api(cls.api_base, "GET", "/api/engines")}
            if all(states.get(n) == "ready" for n in ("tiny", "tiny2", "victim")):
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"engines not ready: {states}")
        cls.duows("features", "set", "duo_chat", "tiny")
        out = cls.duows("keys", "create", "--name", "openai-tests")
        cls.key = out.strip().splitlines()[-1]
        assert cls.key.startswith("dwk_"), out
        cls.client = openai.OpenAI(base_url=cls.gateway, api_key=cls.key, max_retries=0, timeout=30)
        cls.wait_for_route("duo-chat", "tiny")

    @classmethod
    def tearDownClass(cls):
        cls.server.send_signal(signal.SIGTERM)
        try:
            cls.server.wait(timeout=20)
        finally:
            if cls.server.poll() is None:
                cls.server.kill()
            cls.home.cleanup()

    @classmethod
    def duows(cls, *args):
        done = subprocess.run([DUOWS, *args], env=cls.env, capture_output=True, text=True, check=True)
        return done.stdout

    @classmethod
    def wait_for_route(cls, model, served_by):
        """Routing changes apply within a moment; wait until `model` answers from `served_by`."""
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                reply = cls.client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=1
                )
                if reply.model == served_by:
                    return
            except openai.NotFoundError:
                pass  # the alias has no model until the routes are rebuilt
            time.sleep(0.1)
        raise AssertionError(f"{model} is not served by {served_by}")

    def test_chat_through_a_feature_alias(self):
        reply = self.client.chat.completions.create(
            model="duo-chat-explain-code",  # a Chat sub-feature: falls back to General Chat
            messages=[{"role": "user", "content": "Explain this code"}],
            max_tokens=8,
        )
        self.assertEqual(reply.model, "tiny")
        self.assertTrue(reply.choices[0].message.content)
        self.assertEqual(reply.choices[0].finish_reason, "length")
        self.assertEqual(reply.usage.completion_tokens, 8)

    def test_completion(self):
        reply = self.client.completions.create(model="tiny", prompt="def add(a, b):", max_tokens=6)
        self.assertTrue(reply.choices[0].text)
        self.assertEqual(reply.usage.completion_tokens, 6)

    def test_streaming_arrives_in_chunks(self):
        stream = self.client.chat.completions.create(
            model="duo-chat", messages=[{"role": "user", "content": "hi"}], max_tokens=20, stream=True
        )
        pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
        self.assertGreaterEqual(len(pieces), 10, pieces)

    def test_models_list_names_engines_and_aliases(self):
        ids = {m.id for m in self.client.models.list()}
        self.assertTrue({"tiny", "tiny2", "duo-chat", "duo-chat-explain-code"} <= ids, ids)
        self.assertNotIn("duo-code-completion", ids, "an alias without a model is not listed")

    def test_wrong_missing_and_revoked_keys_are_refused(self):
        for key in ("dwk_wrong_" + "x" * 43, "not-a-key"):
            bad = openai.OpenAI(base_url=self.gateway, api_key=key, max_retries=0)
            with self.assertRaises(openai.AuthenticationError):
                bad.models.list()
        status, text = raw("GET", self.gateway + "/models")
        self.assertEqual(status, 401)
        self.assertNotIn(self.key, text)
        out = self.duows("keys", "create", "--name", "short-lived")
        short = out.strip().splitlines()[-1]
        client = openai.OpenAI(base_url=self.gateway, api_key=short, max_retries=0)
        client.models.list()
        self.duows("keys", "revoke", "short-lived")
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                client.models.list()
                time.sleep(0.2)
            except openai.AuthenticationError:
                break
        else:
            self.fail("a revoked key still works after 5 s")

    def test_a_non_uuid_request_id_reaches_the_engine_and_comes_back(self):
        # llama.cpp's server refuses any X-Request-Id that is not a UUID; GitLab's ids are not.
        for request_id in ("01HQ3K5Z8Y9X7W6V5T4S3R2Q1P", "req-42"):
            raw_reply = self.client.chat.completions.with_raw_response.create(
                model="duo-chat", messages=[{"role": "user", "content": "hi"}], max_tokens=2,
                extra_headers={"X-Request-Id": request_id, "X-Gitlab-Correlation-Id": request_id},
            )
            self.assertEqual(raw_reply.headers["x-request-id"], request_id)
            self.assertTrue(raw_reply.parse().choices[0].message.content)
        stream = self.client.chat.completions.create(
            model="duo-chat", messages=[{"role": "user", "content": "hi"}], max_tokens=4, stream=True,
            extra_headers={"X-Request-Id": "req-43"},
        )
        self.assertTrue([c for c in stream if c.choices])

    def test_invalid_parameters_are_refused_by_the_gateway(self):
        started = time.time()
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.chat.completions.create(
                model="duo-chat", messages=[{"role": "user", "content": "hi"}], max_tokens=-5
            )
        self.assertLess(time.time() - started, 5, "refused at once, not generated without limit")
        self.assertEqual(caught.exception.param, "max_tokens")
        self.assertIn("at least 1, got -5", caught.exception.message)
        with self.assertRaises(openai.BadRequestError) as caught:
            self.client.chat.completions.create(
                model="duo-chat", messages=[{"role": "user", "content": "hi"}], top_p=5
            )
        self.assertEqual(caught.exception.param, "top_p")
        self.assertNotIn("Traceback", str(caught.exception))

    def test_unknown_model_lists_the_available_ones(self):
        with self.assertRaises(openai.NotFoundError) as caught:
            self.client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])
        self.assertIn("tiny", str(caught.exception))
        self.assertEqual(caught.exception.code, "model_not_found")

    def test_bad_json_says_where(self):
        status, text = raw(
            "POST", self.gateway + "/chat/completions", b'{"model": "tiny", "messages": [}',
            {"authorization": f"Bearer {self.key}", "content-type": "application/json"},
        )
        self.assertEqual(status, 400)
        self.assertIn("column", json.loads(text)["error"]["message"])

    def test_oversized_body_is_refused(self):
        big = json.dumps({"model": "tiny", "prompt": "x" * (17 * 1024 * 1024)}).encode()
        try:
            status, text = raw(
                "POST", self.gateway + "/completions", big,
                {"authorization": f"Bearer {self.key}", "content-type": "application/json"},
            )
        except (ConnectionError, urllib.error.URLError) as error:
            self.fail(f"the gateway closed the connection instead of answering 413: {error}")
        self.assertEqual(status, 413)
        self.assertIn("error", json.loads(text))

    def test_foreign_host_is_refused(self):
        status, text = raw(
            "GET", self.gateway + "/models", None,
            {"authorization": f"Bearer {self.key}", "host": "evil.example"},
        )
        self.assertEqual(status, 403, text)

    def test_engine_killed_mid_stream_ends_with_an_error_event(self):
        # The tiny model streams 480 tokens in about a third of a second; a kill can land
        # after the engine has finished. Then the engine restarts and the test tries again.
        for _ in range(3):
            pid = self.wait_for_engine("victim")
            stream = self.client.chat.completions.create(
                model="victim", messages=[{"role": "user", "content": "hi"}],
                max_tokens=480, stream=True,
            )
            received = 0
            try:
                for chunk in stream:
                    received += 1
                    if received == 1:
                        os.killpg(pid, signal.SIGKILL)
            except openai.APIError as error:
                self.assertLess(received, 480)
                self.assertNotIsInstance(error, openai.APIStatusError, "the error came in the stream")
                self.assertIn("victim", str(error))
                return
            self.assertGreaterEqual(
                received, 480, f"the stream ended after {received} chunks without an error event"
            )
        self.fail("the engine finished before every kill; no stream was cut")

    @classmethod
    def wait_for_engine(cls, name):
        """Waits until the engine is ready (it restarts after a kill); returns its pid."""
        deadline = time.time() + 60
        while time.time() < deadline:
            engine = next(e for e in api(cls.api_base, "GET", "/api/engines") if e["name"] == name)
            if engine["state"] == "ready":
                return engine["pid"]
            time.sleep(0.2)
        raise AssertionError(f"{name} did not become ready again")

    def test_routing_change_during_a_stream(self):
        stream = self.client.chat.completions.create(
            model="duo-chat", messages=[{"role": "user", "content": "hi"}], max_tokens=300, stream=True
        )
        models, changed = set(), False
        for chunk in stream:
            models.add(chunk.model)
            if not changed:
                self.duows("features", "set", "duo_chat", "tiny2")
                changed = True
        self.assertEqual(models, {"tiny"}, "the stream in flight stays with its engine")
        try:
            self.wait_for_route("duo-chat", "tiny2")
        finally:
            self.duows("features", "set", "duo_chat", "tiny")
            self.wait_for_route("duo-chat", "tiny")


    def served_by(self, model, n=10):
        """The engines that answered `n` requests to `model`, sent one after another."""
        return [
            self.client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=1
            ).model
            for _ in range(n)
        ]

    def test_a_routing_change_applies_to_the_very_next_request(self):
        """`duows features set` is another program writing the settings file: the running
        gateway follows it before the next request, not on a timer."""
        try:
            self.duows("features", "set", "duo_chat", "tiny2")
            self.assertEqual(self.served_by("duo-chat"), ["tiny2"] * 10)
        finally:
            self.duows("features", "set", "duo_chat", "tiny")
        self.assertEqual(self.served_by("duo-chat"), ["tiny"] * 10)

    def test_an_engine_reported_ready_takes_requests_at_once(self):
        """Once `duows engine start --wait` says ready, requests reach it: no 503."""
        name = "fresh"
        self.duows("engine", "start", "--gguf", str(self.gguf), "--name", name, "--wait",
                   "--server", self.api_base)
        try:
            self.assertEqual(self.served_by(name), [name] * 10)
        finally:
            self.duows("engine", "stop", name, "--server", self.api_base)
            self.duows("engine", "remove", name, "--server", self.api_base)
        self.assertNotIn(name, [e["name"] for e in api(self.api_base, "GET", "/api/engines")])


if __name__ == "__main__":
    unittest.main()
