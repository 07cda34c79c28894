"""What a run of the live-push benchmark is asked to do."""

from __future__ import annotations

from dataclasses import dataclass

QUICK = {"clients": 40, "rate": 20.0, "duration": 2.0, "warmup": 0.5}


@dataclass
class LiveOptions:
    clients: int = 1000
    servers: int = 2
    rate: float = 100.0
    duration: float = 30.0
    warmup: float = 3.0
    collectibles: int = 100
    connections: int = 16  # keep-alive HTTP connections per server for the scans
    client_processes: int = 2
    keep_db: bool = False
