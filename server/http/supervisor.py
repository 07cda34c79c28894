"""`geohunt serve --workers N`: N server processes on one port, started and watched together.

Each child is `geohunt serve --workers 1 --reuse-port` (its own interpreter, event loop and
database pool) bound to the same host and port with SO_REUSEPORT, so the kernel spreads new
connections over them. The parent serves nothing itself: it forwards SIGINT and SIGTERM to every
child and waits for all of them. A child that exits before any signal came (a crash, a port it
could not bind) is not restarted: the parent stops the others and exits 1, so that whatever runs
`geohunt serve` (systemd, a container runtime) sees the failure and restarts it whole. Children
are in their own process group (a terminal's Ctrl+C reaches them once, through the parent) and
on Linux die with the parent.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from types import FrameType

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
FORWARDED = (signal.SIGINT, signal.SIGTERM)


def _die_with_parent() -> None:
    """In the child, before it runs: SIGTERM when the parent dies, even by SIGKILL (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the parent still forwards its signals
        pass


def child_command(host: str, port: int, verbose: bool) -> list[str]:
    return [
        sys.executable, "-m", "server.cli", *(["-v"] if verbose else []),
        "serve", "--host", host, "--port", str(port), "--workers", "1", "--reuse-port",
    ]  # fmt: skip


def supervise(command: Sequence[str], count: int, env: Mapping[str, str]) -> int:
    """Run `count` copies of `command` until they have all exited: 0 when each was asked to
    stop by a signal and exited 0, else 1."""
    children: dict[int, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(signum: int) -> None:
        nonlocal stopping
        stopping = True
        for child in children.values():
            if child.returncode is None:
                child.send_signal(signum)

    def forward(signum: int, frame: FrameType | None) -> None:
        stop(signum)

    previous = {number: signal.signal(number, forward) for number in FORWARDED}
    failed = False
    try:
        for _ in range(count):
            child = subprocess.Popen(  # noqa: S603 - our own command
                list(command),
                env=dict(env),
                process_group=0,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads run here
            )
            children[child.pid] = child
            if stopping:  # a signal came while starting them
                child.send_signal(signal.SIGTERM)
        log.info("serving with %d processes: %s", count, ", ".join(map(str, children)))
        while any(child.returncode is None for child in children.values()):
            pid, status = os.wait()
            if pid not in children:
                continue
            code = children[pid].returncode = os.waitstatus_to_exitcode(status)
            if code != 0 or not stopping:
                failed = True
            if not stopping:
                log.error("server process %d exited (%d) unasked; stopping the others", pid, code)
                stop(signal.SIGTERM)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for child in children.values():
            if child.returncode is None:  # only if the parent itself failed
                child.kill()
                child.wait()
    return 1 if failed else 0
