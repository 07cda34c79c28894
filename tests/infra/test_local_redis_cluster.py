"""The Redis Cluster the tests and benchmarks start for themselves: a node whose port was taken
between `free_port` and its bind (on a busy machine, the ephemeral port of some outgoing
connection) starts again on other ports, instead of failing the run that needed the cluster."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra.local_redis_cluster import Node, _start_answering, available
from infra.ports import free_port

pytestmark = pytest.mark.skipif(not available(), reason="Debian's redis-server and redis-cli")


def test_a_node_whose_port_is_taken_starts_on_another(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))  # bound, not listening: a connection is refused at once
        port = taken.getsockname()[1]
        node = Node(port, free_port(), tmp_path / "node")
        try:
            _start_answering(node)
            assert node.port != port
            assert node.proc is not None
            # The node's own process answers on its new port.
            assert node.info("server")["process_id"] == node.proc.pid
        finally:
            node.kill()
