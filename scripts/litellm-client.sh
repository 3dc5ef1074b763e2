#!/usr/bin/env bash
# Prepares LiteLLM as a client, the way GitLab's AI gateway calls a self-hosted model
# (`custom_openai/<model>` through LiteLLM), in its own virtual environment at
# <repo>/.tools/litellm-client (LiteLLM pins its own openai client, which differs from the
# one the other gateway tests use).
#
# Idempotent: nothing is installed when the pinned version already imports.
# Progress goes to stderr; the LAST line of stdout is the environment's python.
set -euo pipefail

LITELLM_VERSION="1.106.2"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LITELLM_CLIENT_VENV:-$REPO/.tools/litellm-client}"
PY="$VENV/bin/python"

say() { printf '==> litellm-client: %s\n' "$*" >&2; }

installed() {
  [ -x "$PY" ] || return 1
  LITELLM_LOCAL_MODEL_COST_MAP=True "$PY" - "$LITELLM_VERSION" >/dev/null 2>&1 <<'PYEOF'
import sys
from importlib.metadata import version
import litellm  # noqa: F401
assert version("litellm") == sys.argv[1], version("litellm")
PYEOF
}

if installed; then
  say "ready (litellm $LITELLM_VERSION) in $VENV"
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
  say "installing litellm==$LITELLM_VERSION"
  "$PY" -m pip install --disable-pip-version-check --quiet "litellm==$LITELLM_VERSION" >&2
  installed || { echo "error: litellm does not import; see the output above" >&2; exit 1; }
fi
echo "$PY"
