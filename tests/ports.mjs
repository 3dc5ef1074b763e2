// Loopback ports for test servers that another program binds after they are chosen (a
// driver, an engine, Ray). A port found by listening on port 0 comes from the kernel's range
// for outgoing connections, so any connection made in between (even the test's own polls)
// can take it first; these are chosen outside that range, and above the ports Ray keeps
// (tests/ports.py does the same for the Python tests).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ray keeps 10001–19999 for its own parts, and these: its head refuses a port among them. */
const RAY_KEEPS = [52365];
const LOWEST = 20_000;

/** The kernel's range for the local ports of outgoing connections. */
function ephemeralRange() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // Not Linux: the IANA dynamic range.
  }
  return [49152, 65535];
}

/** Whether a listener can be opened on `port` on every address right now. */
function canListen(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** A port the kernel picks (the fallback when no range is left outside its own). */
function kernelPort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A TCP port nobody listens on right now, outside the range outgoing connections draw
 * from (below it, else above it), not one Ray keeps, and not one of `taken`. Where the
 * kernel's range leaves no room, the kernel picks one, as before.
 */
export async function freePort(taken = []) {
  const [low, high] = ephemeralRange();
  const [from, to] = low - 1 >= LOWEST + 1_000 ? [LOWEST, low - 1] : [Math.max(high + 1, LOWEST), 65_535];
  if (to - from >= 1_000) {
    for (let tries = 0; tries < 200; tries++) {
      const port = from + Math.floor(Math.random() * (to - from + 1));
      if (!taken.includes(port) && !RAY_KEEPS.includes(port) && (await canListen(port))) return port;
    }
  }
  for (;;) {
    const port = await kernelPort();
    if (!taken.includes(port)) return port;
  }
}
