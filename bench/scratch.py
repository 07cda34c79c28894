"""What the endpoint benchmarks (ratings, taste twins) share: a scratch database, seeded by the
benchmark, served by one `geohunt serve`-like process, dropped afterwards; and the command's
end, which writes the benchmark's section of BENCHMARKS.md and prints it."""

from __future__ import annotations

import argparse
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import replace_section
from bench.run import ServerProcess, free_port
from infra.embedded import resolve_service_urls
from infra.migrate import create_database, drop_database, migrate
from infra.settings import Settings

SECRET = "s" * 40


@dataclass(frozen=True)
class Served:
    port: int
    settings: Settings  # as the server process reads them (its JWT key signs the tokens)


@contextlib.asynccontextmanager
async def scratch_server(
    tag: str, seed: Callable[[str], Awaitable[Any]]
) -> AsyncIterator[tuple[Served, Any]]:
    """A fresh, migrated database seeded by `seed(url)`, and a server on it; (server, what
    `seed` returned). The server's log is `.geohunt/bench-{tag}-server.log`."""
    base = resolve_service_urls(Settings.from_env({**os.environ, "GEOHUNT_SECRET": SECRET}))
    assert base.database_url and base.redis_url
    name = f"geohunt_bench{tag}_{uuid.uuid4().hex[:10]}"
    url = await create_database(base.database_url, name)
    try:
        await migrate(url)
        seeded = await seed(url)
        env = {
            **os.environ,
            "GEOHUNT_SECRET": SECRET,
            "DATABASE_URL": url,
            "REDIS_URL": base.redis_url,
            "GEOHUNT_REDIS_PREFIX": f"bench-{tag}-{uuid.uuid4().hex[:6]}:",
        }
        log = Path(f".geohunt/bench-{tag}-server.log")
        log.parent.mkdir(exist_ok=True)
        server = ServerProcess(env, free_port(), log)
        await server.start()
        try:
            yield Served(server.port, Settings.from_env(env)), seeded
        finally:
            await server.stop()
    finally:
        await drop_database(base.database_url, name)


def report(
    args: argparse.Namespace,
    results: dict[str, Any],
    module: str,
    markers: tuple[str, str],
    section: Callable[[dict[str, Any], str], str],
) -> int:
    command = f"python -m {module}" + (" --quick" if args.quick else "")
    text = section(results, command)
    replace_section(args.out, *markers, text)
    print(text)
    return 0
