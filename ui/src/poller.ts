// A polling loop that never overlaps itself: each run starts a fixed time after the last
// one ended, and a request to run "now" during a run is served right after it.

export interface Poller {
  /** Runs now, then every period. */
  start(): void;
  stop(): void;
  /** Runs again at once (after the run in flight, if any), when started. */
  now(): void;
}

/** Runs `run` every `everyMs` after the last run ended; never two at once. */
export function poller(run: () => Promise<void>, everyMs: number): Poller {
  let on = false;
  let running = false;
  let again = false;
  let timer: number | undefined;

  async function tick(): Promise<void> {
    window.clearTimeout(timer);
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      await run();
    } finally {
      running = false;
    }
    if (!on) return;
    if (again) {
      again = false;
      void tick();
      return;
    }
    timer = window.setTimeout(() => void tick(), everyMs);
  }

  return {
    start() {
      if (on) return;
      on = true;
      void tick();
    },
    stop() {
      on = false;
      again = false;
      window.clearTimeout(timer);
    },
    now() {
      if (on) void tick();
    },
  };
}
