#!/usr/bin/env python3
"""Starts a desktop program on the current X display, as a user would, and times it.

Polls the screen (xwd, from x11-apps) until the program's window is mapped and then until it
shows a rendered page, saves that screen as a PNG, and ends the program (SIGTERM to its process
group, then SIGKILL), pass or fail. Prints one JSON line:

  {"window_s": 0.41, "paint_s": 0.62, "colours": 184, "png": "..."}

window_s: start to the window being mapped; paint_s: start to the first screen whose window
area holds at least --min-colours distinct colours (an empty or blank window holds one or two;
a rendered page with text holds hundreds). Standard library only.

  screen.py --title "Duo Workstation" --png out.png [--timeout 30] [--xvfb] -- duo-workstation

--xvfb starts a virtual screen of its own (Xvfb, 1280x900x24) on a display number the server
picks itself (-displayfd), so runs beside other virtual screens never meet one another's
display; without it the program uses $DISPLAY.
"""

import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib

SAMPLE_STRIDE = 7  # every 7th pixel: fast enough to poll every few tens of milliseconds


def grab():
    """The root window from xwd's dump: (width, height, bytes per line, bytes per pixel,
    offsets of red, green and blue in a pixel, the pixel bytes)."""
    raw = subprocess.run(["xwd", "-root", "-silent"], check=True, capture_output=True).stdout
    fields = struct.unpack(">25I", raw[:100])
    header_size, byte_order = fields[0], fields[7]
    bits_per_pixel, bytes_per_line = fields[11], fields[12]
    width, height, ncolors = fields[4], fields[5], fields[19]
    if bits_per_pixel not in (24, 32) or fields[14:17] != (0xFF0000, 0xFF00, 0xFF):
        raise SystemExit(f"screen.py: expected a true-colour screen, got {bits_per_pixel} bits per pixel")
    bpp = bits_per_pixel // 8
    # Least significant byte first: B, G, R(, pad); else (pad,) R, G, B.
    offsets = (2, 1, 0) if byte_order == 0 else (bpp - 3, bpp - 2, bpp - 1)
    start = header_size + ncolors * 12
    return width, height, bytes_per_line, bpp, offsets, raw[start : start + bytes_per_line * height]


def channels(shot, row, x0, x1, step=1):
    """The red, green and blue bytes of pixels x0..x1 (every `step`-th) of one row."""
    _, _, bpl, bpp, (r, g, b), pixels = shot
    line = pixels[row * bpl + x0 * bpp : row * bpl + x1 * bpp]
    return line[r :: bpp * step], line[g :: bpp * step], line[b :: bpp * step]


def window_geometry(title):
    """(x, y, w, h) of the viewable window named `title`, else None."""
    out = subprocess.run(["xwininfo", "-name", title], capture_output=True, text=True)
    if out.returncode != 0 or "IsViewable" not in out.stdout:
        return None
    info = {}
    for line in out.stdout.splitlines():
        key, _, value = line.strip().partition(":")
        info[key] = value.strip()
    try:
        return (int(info["Absolute upper-left X"]), int(info["Absolute upper-left Y"]),
                int(info["Width"]), int(info["Height"]))
    except (KeyError, ValueError):
        return None


def colours(shot, box):
    """Distinct colours among every SAMPLE_STRIDE-th pixel of every third row inside `box`."""
    width, height = shot[0], shot[1]
    x, y, w, h = box
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, width), min(y + h, height)
    seen = set()
    for row in range(y0, y1, 3):
        seen.update(zip(*channels(shot, row, x0, x1, SAMPLE_STRIDE)))
    return len(seen)


def write_png(shot, path):
    width, height = shot[0], shot[1]
    rows = bytearray()
    for row in range(height):
        red, green, blue = channels(shot, row, 0, width)
        rgb = bytearray(width * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = red, green, blue
        rows.append(0)
        rows.extend(rgb)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        out.write(chunk(b"IDAT", zlib.compress(bytes(rows), 6)))
        out.write(chunk(b"IEND", b""))


def start_xvfb():
    """Starts Xvfb on a free display of its own choice; returns (process, ":N")."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        stop(server)
        raise SystemExit("screen.py: Xvfb did not start")
    return server, f":{number}"


def stop(proc):
    """SIGTERM to the program's process group, SIGKILL after 5 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--title", required=True, help="the window's title")
    parser.add_argument("--png", help="where to save the screen once the page is rendered")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--min-colours", type=int, default=40)
    parser.add_argument("--log", help="file for the program's output (default: discarded)")
    parser.add_argument("--xvfb", action="store_true", help="run on a virtual screen of its own")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    server = None
    if args.xvfb:
        server, os.environ["DISPLAY"] = start_xvfb()
    elif not os.environ.get("DISPLAY"):
        raise SystemExit("screen.py: DISPLAY is not set (use --xvfb)")
    try:
        measure(args, command)
    finally:
        if server is not None:
            stop(server)


def measure(args, command):
    log = open(args.log, "wb") if args.log else subprocess.DEVNULL
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    result = {"window_s": None, "paint_s": None, "colours": 0, "png": args.png}
    try:
        box = None
        while time.monotonic() - started < args.timeout:
            if proc.poll() is not None:
                raise SystemExit(f"screen.py: the program exited with status {proc.returncode} before rendering")
            if box is None:
                box = window_geometry(args.title)
                if box is not None:
                    result["window_s"] = round(time.monotonic() - started, 3)
            if box is not None:
                shot = grab()
                now = time.monotonic() - started
                count = colours(shot, box)
                result["colours"] = count
                if count >= args.min_colours:
                    result["paint_s"] = round(now, 3)
                    if args.png:
                        write_png(shot, args.png)
                    break
            time.sleep(0.02)
        else:
            if args.png:
                write_png(grab(), args.png)
            print(json.dumps(result))
            raise SystemExit(f"screen.py: no rendered window titled {args.title!r} within {args.timeout} s")
    finally:
        stop(proc)
        if log is not subprocess.DEVNULL:
            log.close()
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
