"""A free TCP port on loopback, for the processes geohunt starts beside itself (anvil, embedded
services, the benchmarks' servers and clusters). The port can be taken between this answer and
the bind: callers that start a server retry on another when its bind fails."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
