"""Loopback ports for test servers that another program binds after they are chosen (an
engine, Ray). A port found by binding port 0 comes from the kernel's range for outgoing
connections, so any connection made in between (even the test's own polls) can take it
first; these are chosen below that range, and above the ports Ray keeps for itself
(tests/ports.mjs does the same for the Node tests).
"""

import random
import socket


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
    """Whether a listener can be opened on 127.0.0.1:`port` right now."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
            return True
        except OSError:
            return False


def free_port(taken=()):
    """A TCP port nobody listens on now, outside the outgoing range, and not one of `taken`."""
    low, high = ephemeral_range()
    # From 20000: Ray keeps 10001-19999 for its own parts and refuses a head port there.
    first, last = (20000, low - 1) if low > 21000 else (high + 1, 65535)
    for _ in range(200):
        port = random.randint(first, last)
        if port not in taken and can_listen(port):
            return port
    raise RuntimeError(f"no free port found between {first} and {last}")
