#!/usr/bin/env bash
# Installs what Duo Workstation needs and starts it: the desktop window where there is
# a display, the headless server (`duows serve`, http://127.0.0.1:8765) where there is
# none. Extra arguments go to `duows serve` (e.g. --gpus 2xA100-80GB, --port 9000).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO"
require_tools

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "${DUOWS_HEADLESS:-0}" != "1" ]; then
  apt_install "${HEADLESS_PACKAGES[@]}" "${DESKTOP_PACKAGES[@]}"
  build_ui
  say "Building the desktop app (release; the first build takes a few minutes)"
  cargo build --release -p duo-workstation
  say "Starting Duo Workstation"
  exec "$REPO/target/release/duo-workstation"
else
  apt_install "${HEADLESS_PACKAGES[@]}"
  build_ui
  say "Building duows (release; the first build takes a few minutes)"
  cargo build --release -p duows
  say "No display: starting the headless server"
  exec "$REPO/target/release/duows" serve "$@"
fi
