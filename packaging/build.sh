#!/usr/bin/env bash
# Builds the Linux packages of Duo Workstation, with no network beyond the package
# registries' lockfiles already installed: the web UI, the release build of the desktop app
# and of `duows`, then the Tauri CLI (npm @tauri-apps/cli, pinned in packaging/package-lock.json)
# writes a .deb and an .rpm. The version is the workspace's (Cargo.toml).
#
#   packaging/build.sh          # -> target/release/bundle/deb/*.deb, target/release/bundle/rpm/*.rpm
#
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$REPO"

build_ui
say "Packages: the Tauri CLI"
(cd packaging && { [ -d node_modules ] && npm ls --depth=0 >/dev/null 2>&1 || npm ci --no-audit --no-fund; })

say "Packages: release build of the desktop app and duows"
start=$SECONDS
cargo build --release --locked -p duo-workstation -p duows
echo "build.sh: release build took $((SECONDS - start)) s"

say "Packages: .deb and .rpm"
bundle="$REPO/target/release/bundle"
rm -rf "$bundle/deb" "$bundle/rpm"
# `tauri bundle` packages the binaries built above (`tauri build` would build them again).
TAURI_APP_PATH="$REPO/src-tauri" TAURI_FRONTEND_PATH="$REPO" \
  packaging/node_modules/.bin/tauri bundle --ci --bundles deb,rpm
deb="$(find "$bundle/deb" -maxdepth 1 -name '*.deb' | head -1)"
rpm="$(find "$bundle/rpm" -maxdepth 1 -name '*.rpm' | head -1)"
[ -f "$deb" ] && [ -f "$rpm" ] || { echo "build.sh: the bundler wrote no .deb or .rpm" >&2; exit 1; }
echo "build.sh: wrote $deb ($(du -k "$deb" | cut -f1) KiB) and $rpm ($(du -k "$rpm" | cut -f1) KiB)"
