"""The scratch stack every benchmark runs on, and takes down afterwards.

`scratch_stack(tag)` gives a `Stack`: a fresh database with every migration (and the table the
benchmark server's `/bench/insert` writes), one connection to it for the benchmark's own use, a
Redis key prefix of its own (on the Redis Cluster of REDIS_CLUSTER_NODES when the environment
names one, else on one Redis), the environment and settings a process on them reads, and
`python -m bench.server` processes on free ports, started when the benchmark says so. On the
way out the servers stop, the prefix's keys go, and the database and the work folder (server
logs, load-generator files) are dropped unless kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from redis.asyncio import RedisCluster

from bench import loadgen
from infra.db import init_connection
from infra.embedded import resolve_service_urls
from infra.migrate import create_database, drop_database, migrate
from infra.ports import free_port
from infra.redis_client import RedisClient, connect_redis
from infra.settings import Settings

READY_TIMEOUT_S = 300.0
# The admission queue target of a smoke run's servers (`--quick`, beside a busy test suite): a
# request may wait a second for the event loop and a slot, so that the loop's lag on a loaded
# machine does not shed the harness's own requests (the fan app's pages and service worker, the
# twins' and ratings' requests). Admission is the storm benchmark's to test.
PATIENT_QUEUE_TARGET_MS = 1000.0
# `bench` is not installed with the package: its modules run from the checkout.
REPOSITORY = Path(__file__).resolve().parents[1]
# What `POST /bench/insert` writes: a row shaped like a scan attempt.
BENCH_TABLE_SQL = "CREATE TABLE bench_writes (LIKE scan_attempts INCLUDING ALL)"


def log_stderr(text: str) -> None:
    print(text, file=sys.stderr)


class ServerProcess:
    """`python -m bench.server`: the app as `geohunt serve` builds it, plus the benchmark's
    routes, in a process of its own."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.args: list[str] = []  # more arguments of `bench.server` (`--workers N`)
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> float:
        """Start and wait until it answers; the seconds that took."""
        started = time.perf_counter()
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.server", "--port", str(self.port), *self.args,
                env=self.env, stdout=log, stderr=log, cwd=REPOSITORY,
            )  # fmt: skip
        while time.perf_counter() - started < READY_TIMEOUT_S:
            if self.proc.returncode is not None:
                break
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
                if await loadgen.get_status(self.port, "/bench/trivial") == 200:
                    return time.perf_counter() - started
            await asyncio.sleep(0.1)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the benchmark server did not start:\n{tail}")

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            # Bounded: a server whose shutdown hangs must not stall the benchmark.
            await asyncio.wait_for(self.proc.wait(), 5)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


@dataclass
class Stack:
    name: str  # the database's
    env: dict[str, str]  # what a process on the stack reads (the servers, a worker)
    settings: Settings  # the same, as the servers read them (their JWT key signs tokens)
    workdir: Path
    servers: list[ServerProcess]
    db: asyncpg.Connection  # the benchmark's own connection to the database

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def server(self) -> ServerProcess:
        return self.servers[0]

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]

    async def start(self) -> float:
        """Start every server (one after the other); the seconds that took."""
        started = time.perf_counter()
        for server in self.servers:
            await server.start()
        return time.perf_counter() - started

    async def stop(self) -> None:
        for server in self.servers:
            await server.stop()

    async def service_facts(self) -> dict[str, str]:
        """The versions and durability settings of PostgreSQL and Redis, and the servers' event
        loop (GEOHUNT_EVENT_LOOP)."""
        facts = {"postgresql": await self.db.fetchval("SHOW server_version")}
        facts["event_loop"] = self.settings.event_loop
        for name in ("synchronous_commit", "fsync", "shared_buffers"):
            facts[name] = await self.db.fetchval(f"SHOW {name}")
        redis = connect_redis(self.settings)
        try:
            facts["redis"] = await _redis_version(redis)
        finally:
            await redis.aclose()
        return facts


def admission_env(queue_target_ms: float | None) -> dict[str, str] | None:
    """The servers' environment for this admission queue target (None: their own)."""
    if queue_target_ms is None:
        return None
    return {"GEOHUNT_QUEUE_TARGET_MS": f"{queue_target_ms:g}"}


@contextlib.asynccontextmanager
async def scratch_stack(
    tag: str,
    *,
    servers: int = 1,
    env: dict[str, str] | None = None,
    keep: bool = False,
    log: Callable[[str], None] = log_stderr,
) -> AsyncIterator[Stack]:
    """The stack of one run (`tag` names its database, prefix and work folder); `env` adds to
    the servers' environment; `keep` keeps the database and the work folder."""
    base_env = {**os.environ, "GEOHUNT_SECRET": secrets.token_urlsafe(36)}
    base_env.pop("GEOHUNT_DEV", None)
    admin = await asyncio.to_thread(resolve_service_urls, Settings.from_env(base_env))
    assert admin.database_url and (admin.redis_url or admin.redis_cluster_nodes)
    run = uuid.uuid4().hex[:10]
    name = f"geohunt_bench_{tag}_{run}"
    url = await create_database(admin.database_url, name)
    workdir = Path(tempfile.mkdtemp(prefix=f"geohunt-bench-{tag}-"))
    prefix = f"geohunt-bench-{tag}-{run}:"
    try:
        await migrate(url)
        ports = [free_port() for _ in range(servers)]
        stack_env = {
            **base_env,
            "DATABASE_URL": url,
            # With REDIS_CLUSTER_NODES (inherited) the servers use the cluster.
            "REDIS_URL": admin.redis_url or "",
            "GEOHUNT_REDIS_PREFIX": prefix,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports[0] if ports else 8080}",
            **(env or {}),
        }
        logs = ["server.log"] if servers == 1 else [f"server-{p}.log" for p in ports]
        processes = [
            ServerProcess(stack_env, p, workdir / n) for p, n in zip(ports, logs, strict=True)
        ]
        conn = await asyncpg.connect(url)
        try:
            await init_connection(conn)
            await conn.execute(BENCH_TABLE_SQL)
            stack = Stack(name, stack_env, Settings.from_env(stack_env), workdir, processes, conn)
            try:
                yield stack
            finally:
                await stack.stop()
        finally:
            await conn.close()
            await _forget(admin, prefix)
    finally:
        if keep:
            log(f"kept database {name} and {workdir} (server logs)")
        else:
            await drop_database(admin.database_url, name)
            shutil.rmtree(workdir, ignore_errors=True)


async def _redis_version(redis: RedisClient) -> str:
    if not isinstance(redis, RedisCluster):
        return str((await redis.info("server")).get("redis_version"))
    await redis.initialize()
    primaries = redis.get_primaries()
    info: Any = await redis.info("server", target_nodes=primaries[0])
    if "redis_version" not in info:  # answers of several nodes, by node
        info = next(iter(info.values()))
    return f"{info['redis_version']} (a cluster of {len(primaries)} primaries)"


async def _forget(settings: Settings, prefix: str) -> None:
    """The run's keys, on every primary of a cluster; deleted one by one (keys of several
    slots may not go in one command there)."""
    with contextlib.suppress(Exception):
        redis = connect_redis(settings)
        try:
            keys = [k async for k in redis.scan_iter(match=prefix + "*", count=1000)]
            for start in range(0, len(keys), 1000):
                async with redis.pipeline(transaction=False) as pipe:
                    for key in keys[start : start + 1000]:
                        pipe.delete(key)
                    await pipe.execute()
        finally:
            await redis.aclose()
