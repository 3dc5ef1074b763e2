#!/usr/bin/env bash
# Tests the Linux packages as a user meets them: installs the .deb with apt-get, checks that
# every library its programs link comes with the package's dependencies, runs the installed
# duows (`duows serve` too, as the user unit runs it), checks the systemd user unit and the
# desktop entry, starts the installed app from its desktop entry under Xvfb until the page
# renders (screenshot in artifacts/), removes the package and checks that only the user's data
# is left. Then reads the .rpm's header, requirements and file list. The package is removed
# again, pass or fail.
#
#   tests/package/run.sh [DEB RPM]     # default: what packaging/build.sh wrote
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$REPO/tests/package"
package=duo-workstation
title="Duo Workstation"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$REPO/Cargo.toml")"

deb="${1:-$(find "$REPO/target/release/bundle/deb" -maxdepth 1 -name '*.deb' 2>/dev/null | head -1)}"
rpm="${2:-$(find "$REPO/target/release/bundle/rpm" -maxdepth 1 -name '*.rpm' 2>/dev/null | head -1)}"
[ -f "$deb" ] && [ -f "$rpm" ] || { echo "run.sh: no packages; build them with packaging/build.sh" >&2; exit 2; }
deb="$(realpath "$deb")"

apt_install "${PACKAGE_TEST_PACKAGES[@]}"

failures=0
ok() { printf '  ok   %s\n' "$*"; }
fail() { printf '  FAIL %s\n' "$*"; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
installed() { dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; }

if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qvx not-installed; then
  echo "run.sh: $package is already installed on this machine; this test installs and removes it, so it stops here" >&2
  exit 2
fi

tmp="$(mktemp -d)"
serve=""
cleanup() {
  if [ -n "$serve" ] && kill -0 "$serve" 2>/dev/null; then
    kill -KILL "$serve" 2>/dev/null || true
  fi
  if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qvx not-installed; then
    echo "run.sh: removing $package"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package" >/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

say "Package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB), its control fields"
field() { dpkg-deb -f "$deb" "$1"; }
check "Package is $package" [ "$(field Package)" = "$package" ]
check "Version is the workspace's ($version)" [ "$(field Version)" = "$version" ]
depends="$(field Depends)"
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libssl3 libdbus-1-3; do
  check "Depends on $dep ($depends)" grep -qw -- "$dep" <<<"$depends"
done
# No Homepage field: the project has no public address yet (src-tauri/tauri.conf.json
# bundle.homepage is where it goes).
for f in Maintainer Description; do
  check "$f: $(field "$f" | head -1)" test -n "$(field "$f")"
done
dpkg-deb -e "$deb" "$tmp/control"
check "no maintainer script enables or starts a unit" \
  bash -c "! grep -rsl -e systemctl -e deb-systemd \"$tmp/control\"/{preinst,postinst,prerm,postrm}"

say "Package: apt-get install"
(cd "$(dirname "$deb")" && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$(basename "$deb")" >/dev/null)
check "$package installed" installed
mapfile -t files < <(dpkg -L "$package")
echo "  installed size: $(dpkg-query -W -f='${Installed-Size}' "$package") KiB"
for f in /usr/bin/duo-workstation /usr/bin/duows; do
  check "$f is an executable" test -x "$f"
done
unit=/usr/lib/systemd/user/duows.service
check "$unit is installed" test -f "$unit"
desktop="$(printf '%s\n' "${files[@]}" | grep '^/usr/share/applications/.*\.desktop$' | head -1 || true)"
check "a desktop entry is installed ($desktop)" test -f "$desktop"
mapfile -t icons < <(printf '%s\n' "${files[@]}" | grep '^/usr/share/icons/hicolor/.*\.png$')
check "icons at ${#icons[@]} sizes: $(printf '%s\n' "${icons[@]}" | cut -d/ -f6 | tr '\n' ' ')" [ "${#icons[@]}" -ge 4 ]

say "Package: every library the programs link comes with the dependencies"
# Packages apt brings with duo-workstation, its dependencies' dependencies and so on.
closure="$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances "$package" | grep -v '^ ' | sed 's/:.*//' | sort -u)"
owner() { # the installed package that holds a library file, trying the merged-/usr aliases
  local path="$1" dir base
  dir="$(dirname "$path")" base="$(basename "$path")"
  for p in "$path" "$(realpath "$dir")/$base" "${path#/usr}" "/usr$path"; do
    dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1 && return 0
  done
  return 1
}
for bin in /usr/bin/duo-workstation /usr/bin/duows; do
  ldd_out="$(ldd "$bin" || true)"
  for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
    path="$(awk -v lib="$lib" '$1 == lib && $2 == "=>" { print $3 } $1 ~ "/" lib "$" { print $1 }' <<<"$ldd_out" | head -1)"
    if [ -z "$path" ] || [ "$path" = "not" ]; then fail "$(basename "$bin"): $lib is not found"; continue; fi
    owner_pkg="$(owner "$path" || true)"
    if [ -n "$owner_pkg" ] && grep -qw -- "$owner_pkg" <<<"$depends"; then
      ok "$(basename "$bin"): $lib from $owner_pkg (a dependency)"
    elif [ -n "$owner_pkg" ] && grep -qx -- "$owner_pkg" <<<"$closure"; then
      ok "$(basename "$bin"): $lib from $owner_pkg (through the dependencies)"
    else
      fail "$(basename "$bin"): $lib ($path, package '${owner_pkg:-none}') is not among the package's dependencies"
    fi
  done
done

say "Package: the installed duows"
home="$tmp/home"
mkdir -p "$home"
user_env=(env -u DUOWS_HOME -u DUOWS_GPUS -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME
  HOME="$home" DUOWS_GATEWAY_PORT=0)
out="$("${user_env[@]}" duows --version 2>&1 || true)"
check "duows --version says $version ($out)" grep -qF -- "$version" <<<"$out"
if out="$("${user_env[@]}" duows hardware 2>&1)"; then
  ok "duows hardware ($(head -1 <<<"$out"))"
else
  fail "duows hardware exited with an error: $out"
fi

# What the user unit runs, on free ports: it serves the UI and the API, and stops on SIGTERM.
"${user_env[@]}" duows serve --port 0 --gateway-port 0 >"$tmp/serve.log" 2>&1 &
serve=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's#^duows: listening on \(http://[^ ]*\)$#\1#p' "$tmp/serve.log")"
  [ -n "$url" ] || ! kill -0 "$serve" 2>/dev/null && break
  sleep 0.1
done
if [ -n "$url" ]; then
  check "duows serve answers GET /api/version ($url)" bash -c 'curl -fsS "$1/api/version" | grep -q "\"version\""' _ "$url"
  check "duows serve serves the web UI" bash -c 'curl -fsS "$1/" | grep -qi "<html"' _ "$url"
else
  fail "duows serve did not start: $(tail -5 "$tmp/serve.log")"
fi
kill -TERM "$serve" 2>/dev/null || true
stopped=""
for _ in $(seq 1 100); do kill -0 "$serve" 2>/dev/null || { stopped=1; break; }; sleep 0.1; done
if [ -n "$stopped" ]; then
  status=0; wait "$serve" || status=$?
  check "duows serve stops on SIGTERM within 10 s, exit status 0 ($status)" [ "$status" -eq 0 ]
else
  kill -KILL "$serve" 2>/dev/null || true
  fail "duows serve still ran 10 s after SIGTERM"
fi

say "Package: the systemd user unit and the desktop entry"
mkdir -p "$tmp/run" && chmod 700 "$tmp/run"
out="$(XDG_RUNTIME_DIR="$tmp/run" systemd-analyze --user verify "$unit" 2>&1)" || out="${out:-failed}"
check "systemd-analyze --user verify: no complaints${out:+ ($out)}" test -z "$out"
check "the unit starts duows serve and is wanted by the user's default.target" \
  bash -c 'grep -qx "ExecStart=/usr/bin/duows serve" "$1" && grep -qx "WantedBy=default.target" "$1"' _ "$unit"
check "nothing enabled it at install time (no duows.service under /etc/systemd)" \
  test -z "$(find /etc/systemd -name 'duows.service' 2>/dev/null)"
out="$(desktop-file-validate "$desktop" 2>&1)" || true
check "desktop-file-validate: no errors${out:+ ($out)}" bash -c "! grep -q 'error:' <<<\"\$1\"" _ "$out"
exec_line="$(sed -n 's/^Exec=//p' "$desktop" | head -1 | sed "s/ *%[fFuUik]//g" || true)"
icon="$(sed -n 's/^Icon=//p' "$desktop" | head -1 || true)"
check "Exec= starts the installed app ($exec_line)" test -x "$(command -v "${exec_line%% *}")"
check "Icon=$icon is installed" test -n "$(find /usr/share/icons/hicolor -name "$icon.png" | head -1)"

say "Package: the installed app from its desktop entry, under Xvfb"
mkdir -p "$here/artifacts"
# shellcheck disable=SC2086 # Exec= is a command line
if out="$("${user_env[@]}" python3 "$here/screen.py" --xvfb \
  --title "$title" --png "$here/artifacts/installed-app.png" --log "$here/artifacts/installed-app.log" \
  --timeout 60 -- $exec_line)"; then
  ok "the window rendered: $out"
else
  fail "the window did not render: $out (screen: $here/artifacts/installed-app.png, log: installed-app.log)"
fi
data="$home/.local/share/duo-workstation"
check "the app made the user's data folder ($data)" test -d "$data"

say "Package: apt-get remove"
as_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$package" >/dev/null
# A package with conffiles would stay as "config-files" after remove; purge those too.
if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx config-files; then
  as_root dpkg --purge "$package" >/dev/null
fi
check "$package is no longer installed" bash -c "! dpkg-query -W -f='\${db:Status-Status}' $package 2>/dev/null | grep -qvx not-installed"
left=()
for f in "${files[@]}"; do
  [ -e "$f" ] && [ ! -d "$f" ] && left+=("$f")
done
check "none of its ${#files[@]} paths is left as a file${left:+ (left: ${left[*]})}" [ "${#left[@]}" -eq 0 ]
running="$(for p in /proc/[0-9]*; do readlink "$p/exe" 2>/dev/null; done | grep -E '^/usr/bin/(duo-workstation|duows)( \(deleted\))?$' || true)"
check "none of its programs is still running${running:+ ($running)}" test -z "$running"
check "the user's data is kept" test -d "$data"

say "Package: the .rpm ($(basename "$rpm"), $(du -k "$rpm" | cut -f1) KiB)"
{ rpm -qpi "$rpm" 2>/dev/null || true; } | sed "s/^/  /" | head -20
rq() { rpm -qp --queryformat "%{$1}" "$rpm" 2>/dev/null || true; }
check "Name is $package" [ "$(rq NAME)" = "$package" ]
check "Version is the workspace's ($version)" [ "$(rq VERSION)" = "$version" ]
check "License is MIT ($(rq LICENSE))" [ "$(rq LICENSE)" = MIT ]
requires="$(rpm -qpR "$rpm" 2>/dev/null || true)"
for req in 'libwebkit2gtk-4.1.so.0()(64bit)' 'libgtk-3.so.0()(64bit)' 'libssl.so.3()(64bit)' 'libcrypto.so.3()(64bit)'; do
  check "Requires $req" grep -qxF -- "$req" <<<"$requires"
done
listing="$(rpm -qplv "$rpm" 2>/dev/null || true)"
for f in /usr/bin/duo-workstation /usr/bin/duows; do
  check "$f, executable" bash -c 'grep -E "^-rwxr-xr-x .* $1\$" <<<"$2" >/dev/null' _ "$f" "$listing"
done
for f in "$unit" "/usr/share/applications/$title.desktop"; do
  check "$f" grep -qF -- " $f" <<<"$listing"
done
scripts="$(rpm -qp --scripts "$rpm" 2>&1 || echo "(unreadable)")"
check "no scriptlets (nothing enabled at install time)${scripts:+: $scripts}" test -z "$scripts"

if [ "$failures" -gt 0 ]; then
  echo "run.sh: $failures package check(s) failed" >&2
  exit 1
fi
echo "run.sh: every package check passed"
