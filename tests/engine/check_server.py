#!/usr/bin/env python3
"""Checks a running OpenAI-compatible engine serving the tiny test model.

Usage: check_server.py BASE_URL        e.g. http://127.0.0.1:8123

ENGINE_MODEL is the model id the server lists (default "tiny", its --model_alias).
When ENGINE_API_KEY is set in the environment, requests carry it as a bearer token,
and the check also expects a request without it to be refused with 401.
Standard library only; prints one line per check and exits non-zero on failure.
"""

import json
import os
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
KEY = os.environ.get("ENGINE_API_KEY")
MODEL = os.environ.get("ENGINE_MODEL", "tiny")  # the server's --model_alias
MAX_TOKENS = 8


def request(method, path, body=None, key=KEY):
    """Returns (status, content type, body bytes) without raising on HTTP errors."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", "Bearer " + key)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        sys.exit(1)


def show(path, status, body):
    print(f"info  {path} -> {status} {body[:200].decode(errors='replace')}")


def chat(stream=False):
    return {
        "messages": [
            {"role": "system", "content": "You are a test."},
            {"role": "user", "content": "Say hello to the world."},
        ],
        "model": MODEL,
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
        "stream": stream,
    }


def main():
    if KEY:
        status, _, body = request("GET", "/v1/models", key=None)
        show("/v1/models without key", status, body)
        check(status == 401, "a request without the API key is refused with 401")
        status, _, body = request("GET", "/v1/models", key="wrong-" + KEY)
        check(status == 401, "a request with a wrong API key is refused with 401")

    status, _, body = request("GET", "/v1/models")
    check(status == 200, f"GET /v1/models -> {status}")
    models = json.loads(body)
    ids = [m["id"] for m in models.get("data", [])]
    check(ids == [MODEL], f"/v1/models lists one model: {ids}")

    status, _, body = request("POST", "/v1/chat/completions", chat())
    check(status == 200, f"POST /v1/chat/completions -> {status}")
    reply = json.loads(body)
    usage, choice = reply["usage"], reply["choices"][0]
    print(f"info  chat reply {choice['message']['content']!r} usage {usage}")
    check(usage["completion_tokens"] == MAX_TOKENS, f"completion_tokens == {MAX_TOKENS}")
    check(usage["prompt_tokens"] > 0, "prompt_tokens > 0")
    check(choice["finish_reason"] == "length", f"finish_reason {choice['finish_reason']!r} == 'length'")
    check(choice["message"]["role"] == "assistant", "message role is assistant")

    status, _, body = request("POST", "/v1/chat/completions", chat())
    again = json.loads(body)["choices"][0]["message"]["content"]
    check(again == choice["message"]["content"], "temperature 0 repeats the same reply")

    status, ctype, body = request("POST", "/v1/chat/completions", chat(stream=True))
    check(status == 200, f"POST /v1/chat/completions stream -> {status} ({ctype})")
    events = [line[5:].strip() for line in body.decode().splitlines() if line.startswith("data:")]
    check(events and events[-1] == "[DONE]", f"the stream ends with [DONE] ({len(events)} data: lines)")
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    with_content = sum(1 for c in chunks if c["choices"][0]["delta"].get("content"))
    finish = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"][0]["finish_reason"]]
    print(f"info  stream: {len(chunks)} chunks, {with_content} with content, text {text!r}")
    check(with_content == MAX_TOKENS, f"{MAX_TOKENS} content chunks")
    check(finish == ["length"], f"one finish_reason 'length' in the stream: {finish}")
    check(text == choice["message"]["content"], "streamed text equals the non-streamed reply")

    body = {"prompt": "hello world", "max_tokens": MAX_TOKENS, "temperature": 0}
    status, _, body = request("POST", "/v1/completions", body)
    check(status == 200, f"POST /v1/completions -> {status}")
    reply = json.loads(body)
    print(f"info  completion {reply['choices'][0]['text']!r} usage {reply['usage']}")
    check(reply["usage"]["completion_tokens"] == MAX_TOKENS, f"completion_tokens == {MAX_TOKENS}")
    check(reply["choices"][0]["finish_reason"] == "length", "finish_reason == 'length'")

    for path in ("/health", "/v1/health", "/no/such/route"):
        status, _, body = request("GET", path)
        show(path, status, body)
    status, _, body = request("GET", "/no/such/route")
    check(status == 404, "an unknown route -> 404")
    print("all checks passed")


if __name__ == "__main__":
    main()
