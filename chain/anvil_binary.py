"""Finding the anvil binary the npm package installed, and the small process and RPC checks
`AnvilProcess` runs on it (chain/anvil.py)."""

from __future__ import annotations

import ctypes
import json
import os
import platform
import shutil
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent

_NPM_PLATFORMS = {
    ("linux", "x86_64"): "linux-amd64",
    ("linux", "amd64"): "linux-amd64",
    ("linux", "aarch64"): "linux-arm64",
    ("linux", "arm64"): "linux-arm64",
    ("darwin", "x86_64"): "darwin-amd64",
    ("darwin", "arm64"): "darwin-arm64",
}


class AnvilError(RuntimeError):
    """anvil could not be found, started or stopped cleanly."""


def anvil_binary() -> Path:
    """The anvil that `npm ci` installed (the platform package, e.g. @foundry-rs/anvil-linux-amd64),
    else one on PATH."""
    machine = platform.machine().lower()
    suffix = _NPM_PLATFORMS.get((sys.platform, machine))
    candidates = [suffix] if suffix else []
    candidates += [s for s in dict.fromkeys(_NPM_PLATFORMS.values()) if s not in candidates]
    for name in candidates:
        path = REPO_ROOT / "node_modules" / "@foundry-rs" / f"anvil-{name}" / "bin" / "anvil"
        if path.is_file() and os.access(path, os.X_OK):
            return path
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise AnvilError(
        "anvil not found: run `npm ci` (or `make setup`) in the repository root, which installs "
        "@foundry-rs/anvil-linux-amd64 from package.json; elsewhere put Foundry's anvil on PATH"
    )


def rpc_call(port: int, method: str) -> str:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        f"http://127.0.0.1:{port}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with _NO_PROXY.open(request, timeout=2) as response:
        return str(json.load(response)["result"])


# An http_proxy in the environment must not catch requests to our own loopback node.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def listens_on(pid: int, port: int) -> bool:
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections)


def die_with_parent() -> Callable[[], None] | None:
    """On Linux, a preexec hook asking the kernel to SIGTERM the child when the starting thread
    dies; only from the main thread, whose death is the interpreter's."""
    if sys.platform != "linux" or threading.current_thread() is not threading.main_thread():
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def hook() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook
