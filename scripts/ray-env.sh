#!/usr/bin/env bash
# Prepares Ray for the two-node cluster test: a virtual environment at
# <repo>/.tools/ray holding `ray` from PyPI at the pinned version (the same Ray the
# vLLM environment gets from the installer), so the test forms a real Ray cluster.
#
# Idempotent: when the environment already imports ray at the pinned version, nothing
# is installed; later runs reuse pip's cache.
#
# Progress goes to stderr; the LAST line of stdout is the environment's python:
#   PY="$(scripts/ray-env.sh | tail -1)"
set -euo pipefail

# The Ray the installer puts beside vLLM (RAY_VERSION in crates/duows-core/src/engine/install/types.rs).
RAY_VERSION="2.52.1"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RAY_VENV:-$REPO/.tools/ray}"
PY="$VENV/bin/python"

say() { printf '==> ray-env: %s\n' "$*" >&2; }

installed() {
  [ -x "$PY" ] && [ -x "$VENV/bin/ray" ] || return 1
  "$PY" -c "import sys, ray; assert ray.__version__ == sys.argv[1], ray.__version__" \
    "$RAY_VERSION" >/dev/null 2>&1
}

if installed; then
  say "ready (ray $RAY_VERSION) in $VENV"
else
  command -v python3 >/dev/null || { echo "error: python3 is required" >&2; exit 1; }
  if [ ! -x "$PY" ]; then
    say "creating virtual environment $VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" >&2 || {
      echo "error: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  say "installing ray $RAY_VERSION"
  "$PY" -m pip install --disable-pip-version-check --quiet "ray==$RAY_VERSION" >&2
  installed || { echo "error: ray $RAY_VERSION did not install into $VENV" >&2; exit 1; }
  say "ready (ray $RAY_VERSION) in $VENV"
fi
echo "$PY"
