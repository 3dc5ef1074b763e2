#!/usr/bin/env bash
# Runs the desktop end-to-end suite (app.test.mjs) against the built Duo Workstation binary
# under a virtual X display. Installs tauri-driver into <repo>/.tools on first use, and leaves
# no tauri-driver / WebKitWebDriver / duo-workstation process behind, pass or fail.
#
#   tests/desktop/run.sh            # app from $DUOWS_DESKTOP_BIN, default target/debug/duo-workstation
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
app="${DUOWS_DESKTOP_BIN:-$repo/target/debug/duo-workstation}"
tauri_driver="$repo/.tools/bin/tauri-driver"
native_driver=/usr/bin/WebKitWebDriver

if [[ ! -x "$app" ]]; then
  echo "run.sh: the desktop app binary is missing: $app" >&2
  echo "run.sh: build it with 'cargo build -p duo-workstation' or set DUOWS_DESKTOP_BIN" >&2
  exit 2
fi
for tool in xvfb-run node "$native_driver"; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is missing (Debian: xvfb, nodejs, webkit2gtk-driver)" >&2; exit 2; }
done
if [[ ! -x "$tauri_driver" ]]; then
  echo "run.sh: installing tauri-driver into $repo/.tools"
  cargo install tauri-driver --locked --root "$repo/.tools"
fi

# The suite runs as its own process group, so cleanup can end exactly what it started.
set -m
suite=""
cleanup() {
  if [[ -n "$suite" ]] && kill -0 -- "-$suite" 2>/dev/null; then
    kill -TERM -- "-$suite" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$suite" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export DUOWS_DESKTOP_BIN="$app" TAURI_DRIVER="$tauri_driver" NATIVE_DRIVER="$native_driver"
start=$SECONDS
xvfb-run -a -s "-screen 0 1280x900x24" \
  node --test --test-reporter=spec "$here/app.test.mjs" &
suite=$!
status=0
wait "$suite" || status=$?
echo "run.sh: desktop suite finished in $((SECONDS - start)) s with exit status $status"
exit "$status"
