#!/usr/bin/env bash
# Prepares the Kubernetes schemas the manifest tests validate against: the
# kubernetes-validate package (PyPI; it ships Kubernetes' JSON schemas per version) in its own
# virtual environment at <repo>/.tools/kubernetes-validate.
#
# Idempotent: nothing is installed when the pinned version already imports.
# Progress goes to stderr; the LAST line of stdout is the environment's python.
set -euo pipefail

VERSION="1.37.0"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${KUBERNETES_VALIDATE_VENV:-$REPO/.tools/kubernetes-validate}"
PY="$VENV/bin/python"

say() { printf '==> kubernetes-validate: %s\n' "$*" >&2; }

installed() {
  [ -x "$PY" ] || return 1
  "$PY" - "$VERSION" >/dev/null 2>&1 <<'PYEOF'
import sys
from importlib.metadata import version
import kubernetes_validate, jsonschema, yaml  # noqa: F401
assert version("kubernetes-validate") == sys.argv[1], version("kubernetes-validate")
PYEOF
}

if installed; then
  say "ready ($VERSION) in $VENV"
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
  say "installing kubernetes-validate==$VERSION"
  "$PY" -m pip install --disable-pip-version-check --quiet "kubernetes-validate==$VERSION" >&2
  installed || { echo "error: kubernetes-validate does not import; see the output above" >&2; exit 1; }
fi
echo "$PY"
