"""Loopback ports for test servers that another program binds after they are chosen (an
engine, Ray). A port found by binding port 0 comes from the kernel's range for outgoing
connections, so any connection made in between (even the test's own polls) can take it
first; these are chosen outside that range, and above the ports Ray keeps
(tests/ports.mjs does the same for the Node tests).
"""

import random
import socket

# Ray keeps 10001-19999 for its own parts, and these: its head refuses a port among them.
RAY_KEEPS = (52365,)
LOWEST = 20000


def ephemeral_range():
    """The kernel's range for the local ports of outgoing connections."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = map(int, f.read().split())
            if 0 < low <= high:
                return low, high
    except (OSError, ValueError):
        pass  # Not Linux: the IANA dynamic range.
    return 49152, 65535


def can_listen(port):
    """Whether a listener can be opened on `port` on every address right now."""
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
            s.listen()
            return True
        except OSError:
            return False


def kernel_port():
    """A port the kernel picks (the fallback when no range is left outside its own)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port(taken=()):
    """A TCP port nobody listens on now, outside the outgoing range (below it, else above
    it), not one Ray keeps, and not one of `taken`; where the kernel's range leaves no room,
    the kernel picks one, as before."""
    low, high = ephemeral_range()
    first, last = (LOWEST, low - 1) if low - 1 >= LOWEST + 1000 else (max(high + 1, LOWEST), 65535)
    if last - first >= 1000:
        for _ in range(200):
            port = random.randint(first, last)
            if port not in taken and port not in RAY_KEEPS and can_listen(port):
                return port
    while True:
        port = kernel_port()
        if port not in taken:
            return port
