"""The desktop app's cold start as a person sees it, without WebDriver (whose automation
session delays the page): starts the app on the X display in a fresh data folder, watches
the screen's damage (the X DAMAGE extension) and looks at the screen's top band each time
something was drawn. The window has appeared when the band first changes; the page is
drawn once the band holds many colours (the header's text and logo), not the blank
background a window gets when it is mapped. Each run starts the app anew; the first run
after the display started pays for cold caches, as the first start after logging in does.

Usage: python desktop_first_paint.py <app> [runs]   (DISPLAY set by the caller)
Prints one line per run and a summary line with the target.
"""

import os
import statistics
import sys
import time

from Xlib import X, display
from Xlib.ext import damage

from desktop_run import FreshRun

# Distinct colours in the band that mean "the page is drawn": a blank or single-colour
# window has a handful; the header's text and logo alone bring hundreds.
PAGE_COLOURS = 40
# The band looked at: the top of the screen, where the window's header is drawn.
BAND_HEIGHT = 160
TIMEOUT_S = 30.0


def colours(root, width, height):
    """Distinct pixel values in a sample of the screen's top band."""
    image = root.get_image(0, 0, width, min(height, BAND_HEIGHT), X.ZPixmap, 0xFFFFFFFF)
    data = image.data
    step = 4 * 3  # every 3rd pixel of 32-bit pixels
    return len({data[i:i + 3] for i in range(0, len(data) - 3, step)})


def one_start(app):
    """(seconds to the window, seconds to the page) of one cold start."""
    screen = display.Display()
    root = screen.screen().root
    width, height = screen.screen().width_in_pixels, screen.screen().height_in_pixels
    screen.damage_query_version()
    watch = root.damage_create(damage.DamageReportNonEmpty)
    screen.sync()
    # What the screen holds before the app: the damage reported so far is not the app's.
    screen.damage_subtract(watch)
    screen.sync()
    while screen.pending_events():
        screen.next_event()
    baseline = colours(root, width, height)
    started = time.monotonic()
    run = FreshRun([app], "duows-bench-paint-")
    window = page = None
    try:
        while page is None and time.monotonic() - started < TIMEOUT_S:
            if screen.pending_events() == 0:
                time.sleep(0.002)
                continue
            event = screen.next_event()
            if event.type != screen.extension_event.DamageNotify:
                continue
            now = time.monotonic() - started
            screen.damage_subtract(watch)
            seen = colours(root, width, height)
            if window is None and seen != baseline:
                window = now
            if seen - baseline >= PAGE_COLOURS:
                page = now
    finally:
        run.stop()
        screen.close()
    if page is None:
        raise SystemExit(f"the page was not drawn within {TIMEOUT_S:.0f} s")
    return window, page


def main():
    app = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    pages = []
    for run in range(runs):
        window, page = one_start(app)
        pages.append(page)
        print(f"desktop: start {run + 1}: window after {window:.2f} s, page drawn after {page:.2f} s", flush=True)
        time.sleep(float(os.environ.get("PAINT_PAUSE_S", "1")))
    later = pages[1:] or pages
    median = statistics.median(later)
    worst = max(pages)
    print(
        f"desktop: cold start to the page's first frame, without WebDriver: {median:.2f} s "
        f"(median of starts 2–{runs}), {pages[0]:.2f} s for the first start after the display "
        f"started; target under 1 s: {'met' if worst < 1.0 else 'NOT met'} "
        f"(slowest {worst:.2f} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
