# Shared by start.sh and test.sh: installing what this project needs on Debian/Ubuntu.
# shellcheck shell=bash

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the named Debian packages that are missing (apt-get update only when needed).
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# What the headless program needs to build (no GTK, no WebKit; libdbus for the desktop's
# secret service, used when one answers).
HEADLESS_PACKAGES=(build-essential pkg-config curl ca-certificates libssl-dev libdbus-1-dev)
# What the desktop shell needs to build and run (WebKitGTK 4.1 and friends).
DESKTOP_PACKAGES=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
  libxdo-dev libssl-dev file)
# What the tests need besides: a browser, a virtual display, WebDriver for WebKitGTK, and
# what builds the CPU inference engine (llama-cpp-python) the engine tests run, and a desktop
# secret service (GNOME Keyring on a private D-Bus) for the secret store's test.
TEST_PACKAGES=(chromium xvfb xauth webkit2gtk-driver cmake python3-venv gnome-keyring dbus-daemon)
# What the package test needs: the .deb's and .rpm's readers and checkers, screenshots of
# the installed app under Xvfb (xwd, xwininfo), systemd-analyze for the user unit, and curl.
PACKAGE_TEST_PACKAGES=(desktop-file-utils rpm binutils systemd x11-apps x11-utils xvfb python3 curl)

require_tools() {
  for tool in cargo node npm; do
    command -v "$tool" >/dev/null || { echo "error: $tool is required (Rust toolchain, Node 20)" >&2; exit 1; }
  done
  local node_major
  node_major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$node_major" -ge 20 ] || { echo "error: Node 20 or newer is required (found $(node -v))" >&2; exit 1; }
}

# Installs the UI's npm packages from the lockfile and builds ui/dist.
build_ui() {
  say "Building the web UI"
  (cd "$REPO/ui" && { [ -d node_modules ] && npm ls --depth=0 >/dev/null 2>&1 || npm ci --no-audit --no-fund; } && npm run build --silent)
}

# Says how much disk the suite needs and how much is free where it builds (target/), before
# building; warns (never stops) when it looks too little, so that a later "No space left on
# device" has its cause printed at the top of the log.
report_free_space() {
  local need_gb="$1" free_kb
  mkdir -p "$REPO/target" 2>/dev/null || true
  free_kb="$(df -Pk "$REPO/target" 2>/dev/null | awk 'NR == 2 { print $4 }')" || true
  if ! [[ "$free_kb" =~ ^[0-9]+$ ]]; then
    echo "warning: the free disk space could not be read; the whole suite needs about $need_gb GB" >&2
    return 0
  fi
  say "Disk: $((free_kb / 1048576)) GB free for $REPO/target; the whole suite needs about $need_gb GB"
  if [ "$free_kb" -lt $((need_gb * 1048576)) ]; then
    echo "warning: less than $need_gb GB free: the build folder (target/) and the test tools (.tools/) may not fit" >&2
  fi
}
