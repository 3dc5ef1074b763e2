#!/usr/bin/env bash
# Prepares the CPU inference engine that the end-to-end tests start: a virtual
# environment at <repo>/.tools/cpu-engine holding llama-cpp-python (with its
# OpenAI-compatible server), gguf (to write the tiny test model), the official openai
# client (for the gateway tests), and a pip
# wheel in <repo>/.tools/wheels for the installer's test package index.
#
# Idempotent: when the environment already imports both packages at the pinned
# versions, nothing is installed. The first run compiles llama.cpp (a few minutes
# on two cores); later runs reuse pip's cache and take seconds.
#
# Progress goes to stderr; the LAST line of stdout is the environment's python:
#   PY="$(scripts/cpu-engine.sh | tail -1)"
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION="0.3.36"
GGUF_VERSION="0.19.0"
PIP_VERSION="26.3"
# The official OpenAI client, for the gateway tests (a client that is not ours).
OPENAI_VERSION="3.52.0"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CPU_ENGINE_VENV:-$REPO/.tools/cpu-engine}"
PY="$VENV/bin/python"

say() { printf '==> cpu-engine: %s\n' "$*" >&2; }

# True when the environment imports both packages at the pinned versions.
installed() {
  [ -x "$PY" ] || return 1
  "$PY" - "$LLAMA_CPP_PYTHON_VERSION" "$GGUF_VERSION" "$OPENAI_VERSION" >/dev/null 2>&1 <<'PYEOF'
import sys
from importlib.metadata import version
import llama_cpp, llama_cpp.server.app, gguf, numpy, openai  # noqa: F401
assert version("llama_cpp_python") == sys.argv[1], version("llama_cpp_python")
assert version("gguf") == sys.argv[2], version("gguf")
assert version("openai") == sys.argv[3], version("openai")
PYEOF
}

if installed; then
  say "ready (llama-cpp-python $LLAMA_CPP_PYTHON_VERSION, gguf $GGUF_VERSION, openai $OPENAI_VERSION) in $VENV"
else
  command -v python3 >/dev/null || { echo "error: python3 is required" >&2; exit 1; }
  for tool in cc c++ cmake; do
    command -v "$tool" >/dev/null || {
      echo "error: $tool is required to compile llama.cpp (Debian: build-essential cmake)" >&2
      exit 1
    }
  done
  if [ ! -x "$PY" ]; then
    say "creating virtual environment $VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" >&2 || {
      echo "error: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  say "upgrading pip"
  "$PY" -m pip install --disable-pip-version-check --upgrade pip >&2
  say "installing llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION, gguf==$GGUF_VERSION, openai==$OPENAI_VERSION"
  say "(the first time this compiles llama.cpp: several minutes; later runs reuse pip's cache)"
  start=$SECONDS
  # A portable build (no -march=native) so a cached wheel works on any x86-64 CPU.
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" \
    "$PY" -m pip install --disable-pip-version-check \
      "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" "gguf==$GGUF_VERSION" \
      "openai==$OPENAI_VERSION" >&2
  installed || { echo "error: the installed packages do not import; see the output above" >&2; exit 1; }
  say "installed in $((SECONDS - start)) s"
fi

# The installer's test index serves a current pip wheel, so the test runs the same pip
# path as a real install (byte progress, metadata-only resolution).
WHEELS="$REPO/.tools/wheels"
if ! ls "$WHEELS"/pip-"$PIP_VERSION"-*.whl >/dev/null 2>&1; then
  say "keeping pip $PIP_VERSION's wheel in $WHEELS for the installer's test"
  "$PY" -m pip download --disable-pip-version-check --no-deps --dest "$WHEELS" "pip==$PIP_VERSION" >&2
fi

echo "$PY"
