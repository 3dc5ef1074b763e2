#!/usr/bin/env bash
# Measures the Linux packages: the .deb's and .rpm's sizes, the installed size, and the cold
# start of the installed app to its first rendered page under Xvfb (a new process each time,
# from the desktop entry's command, with a fresh home folder). Targets: .deb under 15 MB,
# cold start under 1 s.
#
#   bench/package.sh [--runs N] [--no-realtime] [DEB]   # default DEB: what packaging/build.sh wrote; N = 5
#
# The app and the screen poller run under the real-time round-robin policy (chrt -r 1, when
# allowed), so that other work on a shared machine does not count as start time;
# --no-realtime measures at normal priority.
#
# Installs the .deb for the start measurement when it is not installed yet, and removes it
# again afterwards, pass or fail. Needs what tests/package/run.sh needs (scripts/lib.sh
# PACKAGE_TEST_PACKAGES).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
package=duo-workstation
runs=5
realtime=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --no-realtime) realtime=0; shift ;;
    -*) echo "usage: bench/package.sh [--runs N] [--no-realtime] [DEB]" >&2; exit 2 ;;
    *) break ;;
  esac
done
deb="${1:-$(find "$REPO/target/release/bundle/deb" -maxdepth 1 -name '*.deb' 2>/dev/null | head -1)}"
rpm="$(find "$(dirname "$deb")/../rpm" -maxdepth 1 -name '*.rpm' 2>/dev/null | head -1)"
[ -f "$deb" ] || { echo "package.sh: no .deb; build it with packaging/build.sh" >&2; exit 2; }
deb="$(realpath "$deb")"
apt_install "${PACKAGE_TEST_PACKAGES[@]}"

tmp="$(mktemp -d)"
we_installed=""
cleanup() {
  if [ -n "$we_installed" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$package" >/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
deb_bytes="$(stat -c %s "$deb")"
installed_kib="$(dpkg-deb -f "$deb" Installed-Size)"

if ! dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
  (cd "$(dirname "$deb")" && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$(basename "$deb")" >/dev/null)
  we_installed=1
fi
desktop="$(dpkg -L "$package" | grep '^/usr/share/applications/.*\.desktop$' | head -1)"
exec_line="$(sed -n 's/^Exec=//p' "$desktop" | head -1 | sed 's/ *%[fFuUik]//g')"

priority=()
policy="normal priority"
if [ "$realtime" = 1 ] && chrt -r 1 true 2>/dev/null; then
  priority=(chrt -r 1)
  policy="real-time round-robin (chrt -r 1)"
fi

starts=()
for i in $(seq 1 "$runs"); do
  home="$tmp/home-$i"
  mkdir -p "$home"
  # shellcheck disable=SC2086 # Exec= is a command line
  out="$(env -u DUOWS_HOME -u DUOWS_GPUS -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME \
    HOME="$home" DUOWS_GATEWAY_PORT=0 \
    "${priority[@]}" python3 "$REPO/tests/package/screen.py" --xvfb --title "Duo Workstation" --timeout 30 --log "$tmp/app-$i.log" \
    -- $exec_line)" || { tail -20 "$tmp/app-$i.log" >&2; exit 1; }
  paint="$(sed -n 's/.*"paint_s": \([0-9.]*\).*/\1/p' <<<"$out")"
  window="$(sed -n 's/.*"window_s": \([0-9.]*\).*/\1/p' <<<"$out")"
  echo "start $i: window mapped after ${window} s, first paint after ${paint} s"
  starts+=("$paint")
done
median="$(printf '%s\n' "${starts[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
best="$(printf '%s\n' "${starts[@]}" | sort -n | head -1)"

verdict() { if [ "$1" = 1 ]; then echo "(target met)"; else echo "(OVER TARGET)"; fi; }
echo
echo "Package figures ($(basename "$deb"))"
printf '  %-28s %s %s\n' ".deb" "$(mb "$deb_bytes")" "$(verdict "$(awk -v b="$deb_bytes" 'BEGIN { print (b < 15e6) }')")"
[ -f "$rpm" ] && printf '  %-28s %s\n' ".rpm" "$(mb "$(stat -c %s "$rpm")")"
printf '  %-28s %s\n' "installed" "$(mb $((installed_kib * 1024)))"
for bin in /usr/bin/duo-workstation /usr/bin/duows; do
  printf '  %-28s %s\n' "  $bin" "$(mb "$(stat -c %s "$bin")")"
done
printf '  %-28s median %s s, best %s s over %s starts, %s %s\n' "cold start to first paint" "$median" "$best" \
  "$runs" "$policy" "$(verdict "$(awk -v s="$median" 'BEGIN { print (s < 1) }')")"
