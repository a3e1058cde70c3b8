"""Free local ports for the stacks that tests and benchmarks start on their own.

A port the OS hands out for `bind(0)` comes from the ephemeral range, and is free again as soon as
the probe closes: the Temporal dev server, which picks its own internal ports the same way before
its Web UI binds the one it was given, can take it first (seen on CI: the UI's « address already
in use », the whole stack stopped at start). So these ports come from below that range, where
the OS never hands any out by itself.
"""

import random
import socket
from pathlib import Path

FALLBACK_EPHEMERAL_START = 32768  # Linux's default, when /proc says nothing
LOWEST = 20000


def ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return FALLBACK_EPHEMERAL_START


def free_port() -> int:
    """A loopback port nobody listens on, outside the range the OS picks from for `bind(0)`."""
    top = ephemeral_start()
    low = min(LOWEST, top // 2)
    for _ in range(200):
        port = random.randrange(low, top)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("aucun port libre sous la plage éphémère")
