"""The gateway reached the way GitLab's AI gateway reaches a self-hosted model: through
LiteLLM with `custom_openai/<alias>`, the gateway's `/v1` endpoint and a key, with the request
shapes GitLab sends (code completion streamed and not, code generation, Duo Chat's
`max_tokens: 8192` with `stream_options`, explain code), against a real engine whose context
is 4,096 tokens.

Run: DUOWS_BIN=target/debug/duows DUOWS_CPU_ENGINE_PYTHON=.tools/cpu-engine/bin/python \
     .tools/litellm-client/bin/python -m unittest discover -s tests/litellm -v
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

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch at import

import litellm  # noqa: E402

litellm.suppress_debug_info = True

REPO = Path(__file__).resolve().parents[2]
DUOWS = os.environ.get("DUOWS_BIN", str(REPO / "target/debug/duows"))
ENGINE_PYTHON = os.environ.get("DUOWS_CPU_ENGINE_PYTHON", str(REPO / ".tools/cpu-engine/bin/python"))

# What GitLab's AI gateway sends (gitlab-duo-facts §11).
COMPLETION_STOP = ["[INST]", "[/INST]", "[PREFIX]", "[MIDDLE]"]
FIM = "<s>[SUFFIX]\n    return total\n[PREFIX]def add(a, b):\n    total = "


def api(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


class GitLabsWayThroughLiteLLM(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.TemporaryDirectory()
        home = Path(cls.home.name)
        gguf = home / "tiny.gguf"
        subprocess.run(
            [ENGINE_PYTHON, str(REPO / "tests/engine/make_tiny_gguf.py"), str(gguf)],
            check=True, capture_output=True,
        )
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
        api(cls.api_base, "POST", "/api/engines", {"gguf": str(gguf), "name": "tiny", "context": 4096})
        deadline = time.time() + 120
        while time.time() < deadline:
            states = {e["name"]: e["state"] for e in api(cls.api_base, "GET", "/api/engines")}
            if states.get("tiny") == "ready":
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"engine not ready: {states}")
        for feature in ("duo_chat", "code_completions", "code_generations"):
            cls.duows("features", "set", feature, "tiny")
        out = cls.duows("keys", "create", "--name", "litellm-tests")
        cls.key = out.strip().splitlines()[-1]
        assert cls.key.startswith("dwk_"), out
        # GitLab stores the endpoint with /v1; LiteLLM appends /chat/completions.
        cls.endpoint = cls.gateway.rstrip("/")
        if not cls.endpoint.endswith("/v1"):
            cls.endpoint += "/v1"
        deadline = time.time() + 5
        while True:
            try:
                cls.call("duo-chat", max_tokens=1)
                break
            except litellm.exceptions.NotFoundError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)

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
    def call(cls, alias, key=None, **kwargs):
        messages = kwargs.pop("messages", [{"role": "user", "content": "hi"}])
        return litellm.completion(
            model=f"custom_openai/{alias}",
            api_base=cls.endpoint,
            api_key=key or cls.key,
            messages=messages,
            timeout=120,
            num_retries=0,
            **kwargs,
        )

    def test_code_completion_streamed_and_not(self):
        messages = [
            {"role": "system", "content": "You are a code completion tool. " * 40},
            {"role": "user", "content": FIM},
        ]
        reply = self.call("duo-code-completion", messages=messages, max_tokens=64,
                          temperature=0.32, stop=COMPLETION_STOP)
        self.assertTrue(reply.choices[0].message.content)
        self.assertLessEqual(reply.usage.completion_tokens, 64)
        self.assertGreater(reply.usage.prompt_tokens, 100)
        chunks = list(self.call("duo-code-completion", messages=messages, max_tokens=64,
                                temperature=0.32, stop=COMPLETION_STOP, stream=True,
                                stream_options={"include_usage": True}))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        self.assertTrue(text)
        usage = [c.usage for c in chunks if getattr(c, "usage", None)]
        self.assertTrue(usage and usage[-1].completion_tokens <= 64, usage)

    def test_code_generation(self):
        reply = self.call("duo-code-generation", max_tokens=256, temperature=0.3,
                          messages=[{"role": "user", "content": "Write a function that adds."}])
        self.assertTrue(reply.choices[0].message.content)
        self.assertLessEqual(reply.usage.completion_tokens, 256)

    def test_duo_chat_asks_8192_tokens_of_a_4096_token_engine(self):
        messages = [
            {"role": "system", "content": "Answer in the ReAct format. " * 60},
            {"role": "user", "content": "What does this project do?"},
        ]
        chunks = list(self.call("duo-chat", messages=messages, max_tokens=8192, temperature=0.1,
                                stop=["Observation:"], stream=True,
                                stream_options={"include_usage": True}))
        # An answer, not an error: the stream ends with a reason (a tiny random model may stop
        # at once, so the text itself can be empty) and usage within the engine's context.
        reasons = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        self.assertIn(reasons[-1] if reasons else None, ("stop", "length"), chunks[-3:])
        usage = [c.usage for c in chunks if getattr(c, "usage", None)]
        self.assertTrue(usage, "usage reported at the end")
        self.assertGreater(usage[-1].prompt_tokens, 100)
        self.assertLessEqual(usage[-1].prompt_tokens + usage[-1].completion_tokens, 4096)

    def test_explain_code(self):
        chunks = list(self.call("duo-chat-explain-code", max_tokens=2048, temperature=0.0,
                                stream=True, stream_options={"include_usage": True},
                                messages=[{"role": "user", "content": "Explain: x = 1"}]))
        self.assertTrue("".join(c.choices[0].delta.content or "" for c in chunks if c.choices))

    def test_a_wrong_key_is_an_authentication_error(self):
        with self.assertRaises(litellm.exceptions.AuthenticationError):
            self.call("duo-chat", key="dwk_wrong", max_tokens=1)


if __name__ == "__main__":
    unittest.main()
