"""A Redis Cluster on this machine's loopback, for the tests and the benchmarks that prove
geohunt on one: three primaries and three replicas of Debian's redis-server on free ports,
without persistence, in a temporary folder, gone when the `with` block ends.

`cluster-node-timeout` is short (1 s), so that a primary killed with SIGKILL is replaced by its
replica within a few seconds. `crossslot_errors()` reads every node's error statistics: a
command that met CROSSSLOT anywhere shows there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from infra.ports import free_port

REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
NODE_TIMEOUT_MS = 1000
START_TIMEOUT_S = 30.0  # a bound against hanging, never a measurement


@dataclass
class Node:
    port: int
    bus_port: int
    folder: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(  # noqa: S603 - our own arguments
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--cluster-enabled", "yes", "--cluster-port", str(self.bus_port),
             "--cluster-config-file", str(self.folder / "nodes.conf"),
             "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
             "--appendonly", "no", "--save", "", "--dir", str(self.folder),
             "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: the node dies without a word to the others."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def info(self, section: str) -> dict[str, object]:
        with contextlib.closing(self.client()) as client:
            # The sync client answers a dict (redis-py types it for the async one too).
            return dict(cast(dict[str, object], client.info(section)))


@dataclass
class RedisCluster:
    nodes: list[Node]
    folder: Path
    killed: list[Node] = field(default_factory=list)

    @property
    def env_value(self) -> str:
        """What REDIS_CLUSTER_NODES says for this cluster."""
        return ",".join(n.address for n in self.nodes)

    def alive(self) -> list[Node]:
        return [n for n in self.nodes if n not in self.killed]

    def primaries(self) -> list[Node]:
        return [n for n in self.alive() if n.info("replication")["role"] == "master"]

    def state_ok(self) -> bool:
        """Every live node sees the cluster as whole and agrees on its primaries."""
        try:
            for node in self.alive():
                with contextlib.closing(node.client()) as client:
                    info = _command(client, "CLUSTER", "INFO")
                    text = info.decode() if isinstance(info, bytes) else str(info)
                    if "cluster_state:ok" not in text:
                        return False
        except redis.RedisError:
            return False
        return True

    def wait_ok(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.state_ok():
            if time.monotonic() > deadline:
                raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")
            time.sleep(0.1)

    def crossslot_errors(self) -> dict[str, object]:
        """Every live node's `errorstat_CROSSSLOT` (absent: no command ever met it)."""
        found = {}
        for node in self.alive():
            stats = node.info("errorstats")
            if "errorstat_CROSSSLOT" in stats:
                found[node.address] = stats["errorstat_CROSSSLOT"]
        return found

    def flushall(self) -> None:
        for node in self.primaries():
            with contextlib.closing(node.client()) as client:
                client.flushall()

    def owner_of(self, key: str) -> int:
        """The port of the primary that holds `key`."""
        with contextlib.closing(self.any_client()) as client:
            slot = int(_command(client, "CLUSTER", "KEYSLOT", key))
            return next(
                int(primary[1])
                for start, end, primary, *_ in _command(client, "CLUSTER", "SLOTS")
                if start <= slot <= end
            )

    def move_slot_of(self, key: str) -> tuple[int, int]:
        """Move the slot that holds `key` to another primary, the way `redis-cli --cluster
        reshard` does: the target importing, the source migrating, the keys sent with MIGRATE
        a few at a time (clients meet ASK meanwhile, and TRYAGAIN for a call whose keys are
        split), then every primary told the slot's new owner (MOVED from then on). The ports
        (from, to)."""
        source_port = self.owner_of(key)
        primaries = self.primaries()
        source = next(n for n in primaries if n.port == source_port)
        target = next(n for n in primaries if n.port != source_port)
        with contextlib.closing(source.client()) as src, contextlib.closing(target.client()) as dst:
            slot = str(_command(src, "CLUSTER", "KEYSLOT", key))
            source_id, target_id = (_command(c, "CLUSTER", "MYID") for c in (src, dst))
            _command(dst, "CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
            _command(src, "CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
            while keys := _command(src, "CLUSTER", "GETKEYSINSLOT", slot, "2"):
                _command(
                    src, "MIGRATE", "127.0.0.1", str(target.port), "", "0", "5000", "KEYS", *keys
                )
            # The target first, then the source, then the rest (as redis-cli orders them).
            for node in [target, source, *(n for n in primaries if n not in (source, target))]:
                with contextlib.closing(node.client()) as client:
                    _command(client, "CLUSTER", "SETSLOT", slot, "NODE", target_id)
        return source.port, target.port

    def kill_primary_of(self, key: str) -> Node:
        """SIGKILL the primary that holds `key`; the cluster promotes its replica after the
        node timeout."""
        owner = self.owner_of(key)
        node = next(n for n in self.alive() if n.port == owner)
        node.kill()
        self.killed.append(node)
        return node

    def wait_promoted(self, dead: Node, timeout_s: float = START_TIMEOUT_S) -> None:
        """Until every live node names a live primary for every slot `dead` held, and the
        cluster is whole again."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if self.state_ok() and all(
                    dead.port not in self._primary_ports(n) for n in self.alive()
                ):
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the killed primary's replica was not promoted")
            time.sleep(0.1)

    @staticmethod
    def _primary_ports(node: Node) -> set[int]:
        with contextlib.closing(node.client()) as client:
            return {int(p[1]) for _, _, p, *_ in _command(client, "CLUSTER", "SLOTS")}

    def any_client(self) -> redis.Redis:
        return self.alive()[0].client()

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None:
                node.proc.terminate()
        for node in self.nodes:
            if node.proc is not None:
                try:
                    node.proc.wait(10)
                except subprocess.TimeoutExpired:
                    node.kill()
                node.proc = None


def _command(client: redis.Redis, *args: str | bytes) -> Any:
    """A raw command (CLUSTER INFO, SLOTS, KEYSLOT): redis-py leaves `execute_command` untyped."""
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


def available() -> bool:
    return os.access(REDIS_SERVER, os.X_OK) and os.access(REDIS_CLI, os.X_OK)


@contextlib.contextmanager
def redis_cluster(primaries: int = 3) -> Iterator[RedisCluster]:
    """Three primaries, each with a replica, created with `redis-cli --cluster create`."""
    folder = Path(tempfile.mkdtemp(prefix="geohunt-redis-cluster-"))
    nodes = [Node(free_port(), free_port(), folder / f"node-{i}") for i in range(primaries * 2)]
    cluster = RedisCluster(nodes, folder)
    try:
        for node in nodes:
            _start_answering(node)
        subprocess.run(  # noqa: S603 - our own arguments
            [REDIS_CLI, "--cluster", "create", *(n.address for n in nodes),
             "--cluster-replicas", "1", "--cluster-yes"],
            check=True, capture_output=True, timeout=START_TIMEOUT_S,
        )  # fmt: skip
        cluster.wait_ok()
        # Every replica attached to its primary, so that a killed primary has a successor.
        deadline = time.monotonic() + START_TIMEOUT_S
        while sum(1 for n in nodes if _replica_in_sync(n)) < primaries:
            if time.monotonic() > deadline:
                raise RuntimeError("the replicas did not attach")
            time.sleep(0.1)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _start_answering(node: Node, tries: int = 5) -> None:
    """Start `node` and wait until it answers. A port taken between `free_port` and the bind
    (on a busy machine, the ephemeral port of some outgoing connection) makes redis-server exit
    at once: the node then starts again on other ports."""
    for _ in range(tries):
        node.start()
        if _answers(node):
            return
        # What the failed start wrote names its ports: the cluster's config starts afresh.
        (node.folder / "nodes.conf").unlink(missing_ok=True)
        node.port, node.bus_port = free_port(), free_port()
    raise RuntimeError(f"redis-server did not start in {tries} tries (see {node.folder})")


def _answers(node: Node) -> bool:
    """Whether the node's own process answers on its port (False: it exited, and whatever
    answers there is another's); raises past the timeout."""
    assert node.proc is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    # No retries of its own: redis-py's default backs off for seconds after a refused connection.
    probe = redis.Redis(port=node.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))
    with contextlib.closing(probe):
        while True:
            try:
                info = cast(dict[str, object], probe.info("server"))
                if info.get("process_id") == node.proc.pid:
                    return True
                raise redis.ConnectionError("another process answers on the node's port")
            except redis.RedisError:
                if node.proc.poll() is not None:
                    node.proc = None
                    return False
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def _replica_in_sync(node: Node) -> bool:
    info = node.info("replication")
    return info.get("role") == "slave" and info.get("master_link_status") == "up"
