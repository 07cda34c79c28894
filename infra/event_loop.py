"""The event loop every long-running geohunt process runs on: uvloop by default.

uvloop (libuv under asyncio's interface, by asyncpg's authors) does the loop's own work, its
sockets, transports and callbacks, in C. In the scan-path benchmark (runs interleaved with
asyncio's loop, BENCHMARKS.md) a server process spent about a quarter less CPU per request on
HTTP alone (the trivial endpoint: 64-68 us against 88-96) and the same on a scan, whose cost is
the app's own work; under a storm, where most answers are cheap refusals, more CPU is left for
scans (accepted scans at 2x the capacity: 1,952 a second against 1,559-1,710). Its listening
socket needs `server/http/site.py`. `GEOHUNT_EVENT_LOOP=asyncio` runs asyncio's own loop
instead, to tell a loop's bug from the app's; where uvloop is not installed (it has no Windows
build) asyncio's loop runs, and a warning says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

LOOPS = ("uvloop", "asyncio")
DEFAULT_LOOP = "uvloop"
T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def loop_factory(kind: str) -> LoopFactory:
    """What makes a new event loop of `kind` (one of LOOPS)."""
    if kind not in LOOPS:
        raise ValueError(f"unknown event loop {kind!r}; one of {', '.join(LOOPS)}")
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:
            log.warning("uvloop is not installed: running on asyncio's own event loop")
        else:
            return uvloop.new_event_loop
    return _asyncio_loop


def _asyncio_loop() -> asyncio.AbstractEventLoop:
    """asyncio's own loop, whatever loop policy is set (a test session sets uvloop's)."""
    return asyncio.DefaultEventLoopPolicy().new_event_loop()


def run(main: Coroutine[Any, Any, T], kind: str) -> T:
    """`asyncio.run(main)` on a loop of `kind`."""
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        return runner.run(main)
