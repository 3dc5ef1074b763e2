#!/usr/bin/env bash
# Runs the secret store's test against a real desktop secret service: GNOME Keyring, unlocked
# with a throw-away password, in a private D-Bus session and a throw-away home, gone after.
# Usage: bash scripts/secret-service-test.sh (from the repository root; cargo builds the test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "${1:-}" != "--inside" ]; then
  home="$(mktemp -d)"
  trap 'rm -rf "$home"' EXIT
  # cargo and rustup stay where they are; only the keyring's home is throw-away.
  export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
  HOME="$home" XDG_DATA_HOME="$home/.local/share" \
    dbus-run-session -- bash "$0" --inside 2> >(grep -v "Failed to set fd limit" >&2)
  exit
fi
# The daemon prints the variables that point at it; the login keyring is made unlocked.
daemon="$(printf 'throw-away-password' | gnome-keyring-daemon --unlock --components=secrets)"
while IFS= read -r line; do [ -n "$line" ] && export "${line?}"; done <<<"$daemon"
trap 'kill "$(pgrep -f "gnome-keyring-daemon --unlock" | head -1)" 2>/dev/null || true' EXIT
DUOWS_SECRET_SERVICE_TEST=1 cargo test -p duows-core --locked --test secret_service -- --nocapture
