"""A PostgreSQL cluster of a test's own: this machine's initdb and pg_ctl (as the `postgres` user
when run as root: PostgreSQL refuses root) in a temporary folder, on a free TCP port of
127.0.0.1. It can be killed with SIGKILL, postmaster and backends alike, as a crash would, and
started again (crash recovery replays its WAL), or frozen with SIGSTOP and thawed; never the
machine's shared server.

`standby()` makes a streaming replica of it (`pg_basebackup -R`, replication trusted from
127.0.0.1), another cluster of the test's own on another free port."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psutil

from infra.system_services import _as_postgres_user, _postgres_bin
from tests.support.processes import START_TIMEOUT_S, free_port

# Crash recovery after a SIGKILL may take longer than a clean start.
RECOVERY_TIMEOUT_S = 60.0  # a bound against hanging, never a measurement


class PostgresCluster:
    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="geohunt-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.bin = _postgres_bin()
        self.as_postgres = _as_postgres_user()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout_s: float = START_TIMEOUT_S) -> None:
        command = [*self.as_postgres, str(self.bin / tool), *args]
        done = subprocess.run(  # noqa: S603 - our own arguments
            command, capture_output=True, text=True, check=False, timeout=timeout_s * 2
        )
        if done.returncode != 0:
            tail = self.log.read_text()[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}\n{tail}")

    def init(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")  # fmt: skip
        socket_dir = str(self.data).replace("'", "''")
        with open(self.data / "postgresql.conf", "a") as conf:
            # fsync only guards against the machine crashing; a killed server loses no commit
            # without it (what reached the kernel stays), and the test runs faster.
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{socket_dir}'\nfsync = off\n"
                "shared_buffers = 32MB\nmax_connections = 50\n"
                # What a streaming replica needs (PostgreSQL's defaults, said out loud).
                "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
            )
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")

    def start(self) -> None:
        timeout = str(int(RECOVERY_TIMEOUT_S))
        self._run("pg_ctl", "start", "-w", "-t", timeout, "-D", str(self.data), "-l",
                  str(self.log), timeout_s=RECOVERY_TIMEOUT_S)  # fmt: skip

    def standby(self) -> PostgresCluster:
        """A hot standby of this (running) cluster, copied with pg_basebackup -R (which writes
        its primary_conninfo and standby.signal) and started: it streams from this one."""
        replica = PostgresCluster()
        if replica.as_postgres:
            shutil.chown(replica.folder, "postgres", "postgres")
        source = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        self._run("pg_basebackup", *source, "-D", str(replica.data), "-R", "-X", "stream",
                  "-c", "fast", "--no-sync")  # fmt: skip
        socket_dir = str(replica.data).replace("'", "''")
        with open(replica.data / "postgresql.conf", "a") as conf:
            # The copy's own port and socket folder (later lines win over the primary's).
            conf.write(f"port = {replica.port}\nunix_socket_directories = '{socket_dir}'\n")
        replica.start()
        return replica

    def stop(self) -> None:
        """A fast shutdown: clients are disconnected, the server is gone when this returns."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def postmaster(self) -> psutil.Process | None:
        pid_file = self.data / "postmaster.pid"
        try:
            return psutil.Process(int(pid_file.read_text().split("\n", 1)[0]))
        except (FileNotFoundError, ValueError, psutil.NoSuchProcess):
            return None

    def kill(self) -> None:
        """SIGKILL to the postmaster and every backend at once, then wait until all are gone."""
        postmaster = self.postmaster()
        assert postmaster is not None, "the cluster is not running"
        every = [postmaster, *postmaster.children(recursive=True)]
        for process in every:
            try:
                process.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        gone, alive = psutil.wait_procs(every, timeout=START_TIMEOUT_S)
        assert not alive, f"still running after SIGKILL: {alive}"

    def freeze(self) -> list[psutil.Process]:
        """SIGSTOP to the postmaster and every backend: the server keeps its sockets open and
        answers nothing, as a hung machine or a network dropping its packets would. Give what
        this returns to `thaw`, in a finally."""
        postmaster = self.postmaster()
        assert postmaster is not None, "the cluster is not running"
        every = [postmaster, *postmaster.children(recursive=True)]
        for process in every:
            try:
                process.send_signal(signal.SIGSTOP)
            except psutil.NoSuchProcess:  # a backend that ended meanwhile
                pass
        return every

    @staticmethod
    def thaw(frozen: list[psutil.Process]) -> None:
        for process in frozen:
            try:
                process.send_signal(signal.SIGCONT)
            except psutil.NoSuchProcess:
                pass

    def destroy(self) -> None:
        if self.postmaster() is not None:
            try:
                self._run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", str(self.data))
            except RuntimeError:
                self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)
