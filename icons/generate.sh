#!/usr/bin/env bash
# Renders icons/source.svg into every icon the desktop bundles need (Linux PNGs, Windows
# .ico and Store logos, macOS .icns) and the web favicon in ui/public/.
# Needs rsvg-convert (Debian: librsvg2-bin) and python3 (standard library only).
# Usage: icons/generate.sh        (from anywhere; writes next to this script)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/source.svg"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v rsvg-convert >/dev/null || { echo "generate.sh: rsvg-convert not found (apt install librsvg2-bin)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "generate.sh: python3 not found" >&2; exit 1; }

# render SIZE OUT: a square RGBA PNG of the source at SIZE pixels.
render() {
  rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio --background-color none --format png --output "$2" "$src"
}

# Every size used below, rendered once.
for size in 16 24 30 32 44 48 50 64 71 89 107 128 142 150 256 284 310 512 1024; do
  render "$size" "$work/$size.png"
done

# Linux and the generic Tauri set.
cp "$work/32.png" "$here/32x32.png"
cp "$work/64.png" "$here/64x64.png"
cp "$work/128.png" "$here/128x128.png"
cp "$work/256.png" "$here/128x128@2x.png"
cp "$work/512.png" "$here/icon.png"

# Windows Store logos.
for size in 30 44 71 89 107 142 150 284 310; do
  cp "$work/$size.png" "$here/Square${size}x${size}Logo.png"
done
cp "$work/50.png" "$here/StoreLogo.png"

# Web favicon (also the header logo), 64 px for sharp rendering at 32 CSS px.
mkdir -p "$here/../ui/public"
cp "$work/64.png" "$here/../ui/public/favicon.png"

# .ico (PNG-compressed entries, 16–256 px) and .icns (PNG entries, 16–1024 px).
python3 - "$work" "$here" <<'PY'
import struct, sys
work, out = sys.argv[1], sys.argv[2]

def png(size):
    with open(f"{work}/{size}.png", "rb") as f:
        return f.read()

# ICO: ICONDIR, one ICONDIRENTRY per image, then the PNG data.
sizes = [16, 24, 32, 48, 64, 128, 256]
images = [png(s) for s in sizes]
offset = 6 + 16 * len(sizes)
head = struct.pack("<HHH", 0, 1, len(sizes))
entries = b""
for s, data in zip(sizes, images):
    dim = 0 if s >= 256 else s
    entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
    offset += len(data)
with open(f"{out}/icon.ico", "wb") as f:
    f.write(head + entries + b"".join(images))

# ICNS: 'icns' + total length, then (type, length, PNG) chunks.
types = [("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256),
         ("ic09", 512), ("ic10", 1024), ("ic11", 32), ("ic12", 64), ("ic13", 256), ("ic14", 512)]
chunks = b"".join(t.encode() + struct.pack(">I", 8 + len(png(s))) + png(s) for t, s in types)
with open(f"{out}/icon.icns", "wb") as f:
    f.write(b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks)
PY

echo "generate.sh: icons written to $here"
