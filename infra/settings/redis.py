"""GEOHUNT_REDIS_PREFIX and REDIS_CLUSTER_NODES: how keys are named, and which Redis Cluster."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from infra.settings.values import SettingsError


def key_prefix(env: Mapping[str, str]) -> str:
    """GEOHUNT_REDIS_PREFIX: every key starts with it, and every key's hash tag (its slot on a
    cluster) follows it, so a brace in it would take the tag's place."""
    prefix = env.get("GEOHUNT_REDIS_PREFIX", "geohunt:")
    if "{" in prefix or "}" in prefix or len(prefix) > 100:
        raise SettingsError("GEOHUNT_REDIS_PREFIX must be at most 100 characters, without braces")
    return prefix


CLUSTER_NODES_MAX = 64
# A cluster node: a host name, an IPv4 address, or an IPv6 address in brackets, then a port.
CLUSTER_NODE = re.compile(
    r"^(?P<host>[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})$"
)


def cluster_nodes(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    """REDIS_CLUSTER_NODES: `host:port,host:port,...`, some nodes of a Redis Cluster (the
    client learns the others from them), at most CLUSTER_NODES_MAX."""
    items = [i.strip() for i in env.get("REDIS_CLUSTER_NODES", "").split(",") if i.strip()]
    if len(items) > CLUSTER_NODES_MAX:
        raise SettingsError(f"REDIS_CLUSTER_NODES names at most {CLUSTER_NODES_MAX} nodes")
    nodes: list[tuple[str, int]] = []
    for item in items:
        found = CLUSTER_NODE.match(item)
        port = int(found.group("port")) if found else 0
        if found is None or not 1 <= port <= 65535:
            raise SettingsError(
                f"REDIS_CLUSTER_NODES: {item[:60]!r} is not host:port (e.g. 10.0.0.5:7000,"
                " redis-1.internal:7000 or [2001:db8::5]:7000)"
            )
        host = found.group("host")
        if host.startswith("["):
            try:
                host = str(ipaddress.IPv6Address(host[1:-1]))
            except ValueError:
                raise SettingsError(
                    f"REDIS_CLUSTER_NODES: {host[:60]!r} is no IPv6 address"
                ) from None
        nodes.append((host, port))
    return tuple(dict.fromkeys(nodes))
