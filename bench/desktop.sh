#!/usr/bin/env bash
# The desktop app measured under a virtual display: cold start to the page's first frame
# (bench/desktop_first_paint.py, watching the screen, and under WebDriver), idle memory beside
# a bare WebKitGTK window's (bench/desktop_memory.py), and the dashboard's CPU at 1 Hz with 8
# GPUs described (see bench/desktop.mjs). Builds the release app first when it is missing.
# Run on demand:
#   bash bench/desktop.sh [runs] [idle-seconds] [cpu-seconds]      (default 3 20 60)
#   bash bench/desktop.sh --smoke                                  (1 run, 2 s, 5 s)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
args=("$@")
[ "${1:-}" = "--smoke" ] && args=(1 2 5)
APP="${DUOWS_DESKTOP_BIN:-target/release/duo-workstation}"
[ -x "$APP" ] || cargo build --release --locked -p duo-workstation >&2
[ -x .tools/bin/tauri-driver ] || cargo install tauri-driver --locked --root .tools >&2
# The cold start as a person sees it (no WebDriver): python-xlib watches the screen.
PAINT_PY=.tools/desktop-bench/bin/python
if ! "$PAINT_PY" -c "import Xlib" 2>/dev/null; then
  python3 -m venv .tools/desktop-bench >&2
  "$PAINT_PY" -m pip install --quiet python-xlib==0.33 >&2
fi
xvfb-run -a -s "-screen 0 1280x900x24" "$PAINT_PY" bench/desktop_first_paint.py "$APP" "$(( ${args[0]:-3} + 2 ))"
# The floor under the idle memory: a bare window on the same WebKitGTK, built here.
FLOOR=.tools/desktop-bench/webview-floor
if [ ! -x "$FLOOR" ] || [ bench/webview_floor.c -nt "$FLOOR" ]; then
  # shellcheck disable=SC2046 # pkg-config prints several flags
  gcc -O2 bench/webview_floor.c -o "$FLOOR" $(pkg-config --cflags --libs webkit2gtk-4.1)
fi
CORE="${DUOWS_BIN:-target/release/duows}"
[ -x "$CORE" ] || CORE=-
xvfb-run -a -s "-screen 0 1280x900x24" python3 bench/desktop_memory.py "$APP" "$FLOOR" "$CORE" "${args[0]:-3}" "${args[1]:-20}"
DUOWS_DESKTOP_BIN="$APP" xvfb-run -a -s "-screen 0 1280x900x24" node bench/desktop.mjs "${args[@]}"
