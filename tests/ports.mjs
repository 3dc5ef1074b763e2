// Loopback ports for test servers that another program binds after they are chosen (a
// driver, an engine, Ray). A port found by listening on port 0 comes from the kernel's range
// for outgoing connections, so any connection made in between (even the test's own polls)
// can take it first; these are chosen below that range, and above the ports Ray keeps.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

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

/** Whether a listener can be opened on 127.0.0.1:`port` right now. */
function canListen(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port nobody listens on right now, outside the range outgoing connections draw
 * from, and not one of `taken`.
 */
export async function freePort(taken = []) {
  const [low, high] = ephemeralRange();
  // From 20000: Ray keeps 10001-19999 for its own parts and refuses a head port there.
  const [from, to] = low > 21_000 ? [20_000, low - 1] : [high + 1, 65_535];
  for (let tries = 0; tries < 200; tries++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (!taken.includes(port) && (await canListen(port))) return port;
  }
  throw new Error(`no free port found between ${from} and ${to}`);
}
