"""The one place a Redis client is built, and what code needs to know to work on either kind.

With `REDIS_CLUSTER_NODES` set, redis-py's cluster client (`RedisCluster`), which follows slot
moves (MOVED, ASK) and, after a primary's failover, learns the new layout from the nodes still
alive; otherwise the plain client of `REDIS_URL`, as before clusters existed.

On a cluster every command, script or pipeline of one call must touch keys of a single hash
slot. geohunt's keys carry hash tags for that (`server/common/redis_keys.py`): what one script
touches lives in one slot, and callers that touch several hunts or hunters send one call per
hunt or hunter (`grouped`), pipelined, or read per slot (`slot_of`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeAlias, TypeVar, cast

from redis.asyncio import Redis, RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.crc import key_slot
from redis.exceptions import RedisClusterException, RedisError

from infra.redis_packing import packing_class
from infra.settings import Settings

RedisClient: TypeAlias = Redis | RedisCluster
# A stream's entries as XRANGE, XREVRANGE and XREAD answer them: (id, fields) pairs.
StreamEntries: TypeAlias = list[tuple[bytes, dict[bytes, bytes]]]
# What a Redis call may raise when Redis, or part of a cluster, is away: the cluster client's
# own errors (a slot not covered during a failover, a layout it cannot learn) are no RedisError.
REDIS_FAILURES: tuple[type[Exception], ...] = (
    RedisError,
    RedisClusterException,
    OSError,
    TimeoutError,
)

# A command that meets a dead or moving node is retried this many times on the layout the
# cluster reports then (redis-py reinitialises it on connection errors, CLUSTERDOWN and MOVED);
# the scan path bounds every call by its own deadline and degrades past it.
CLUSTER_RETRIES = 3
# A node that does not answer a connection attempt in time counts as down (a refused
# connection is noticed at once); reads may block longer than this only with XREAD BLOCK,
# whose blocking time is well below the socket timeout.
CONNECT_TIMEOUT_S = 1.0
SOCKET_TIMEOUT_S = 5.0

# RESP2, said rather than left to the library's default: replies keep the shapes the code
# reads (`stream_entries`), whichever default a later redis-py picks.
RESP_VERSION = 2

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class RedisClientFailed(RedisError):
    """A Redis call failed with an error of no Redis type.

    redis-py's cluster client, when a call meets a dead node, closes every connection to every
    node at once to learn the layout afresh; a call of another task that was using one of them
    may then fail with whatever the half-closed connection raises (an AttributeError was seen
    during failovers). For the code that calls Redis this is Redis being away, no bug of ours.
    """


async def guarded(call: Awaitable[T]) -> T:
    """The call's answer; any error of the Redis client raised as a RedisError."""
    try:
        return await call
    except REDIS_FAILURES:
        raise
    except Exception as err:
        raise RedisClientFailed(f"{type(err).__name__}: {err}") from err


def connect_redis(settings: Settings) -> RedisClient:
    """The client the settings name; it connects on first use (nothing is opened here)."""
    if settings.redis_cluster_nodes:
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff

        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in settings.redis_cluster_nodes],
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), CLUSTER_RETRIES),
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            socket_timeout=SOCKET_TIMEOUT_S,
            protocol=RESP_VERSION,
        )
    assert settings.redis_url, "resolve service URLs before connecting to Redis"
    client: Redis = Redis.from_url(settings.redis_url, protocol=RESP_VERSION)
    # Commands packed by hiredis (infra/redis_packing.py), over whichever kind of connection the
    # URL asks for: none is open yet, so every connection is of that class.
    pool = client.connection_pool
    pool.connection_class = packing_class(pool.connection_class)
    return client


def is_cluster(client: RedisClient) -> bool:
    return isinstance(client, RedisCluster)


def slot_of(key: str) -> int:
    """The key's hash slot (by its hash tag, when it has one)."""
    return int(key_slot(key.encode()))


def grouped(items: Iterable[T], by: Callable[[T], K]) -> list[list[T]]:
    """`items` in groups of equal `by(item)`, each in its original order, groups in the order
    of their first item."""
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(by(item), []).append(item)
    return list(groups.values())


def stream_entries(answer: Any) -> StreamEntries:
    """An XRANGE or XREVRANGE answer with the type it has here.

    redis-py types replies for every client setting at once (bytes or str, RESP2 or RESP3, so
    unions with None); ours are built without `decode_responses`, on RESP2 (`connect_redis`), so
    a stream's ids and fields arrive as bytes, and an empty range as an empty list.
    """
    return cast(StreamEntries, answer or [])


def stream_reads(answer: Any) -> list[tuple[bytes, StreamEntries]]:
    """An XREAD answer, per stream key, with the type it has here (see `stream_entries`); None
    (nothing arrived while it blocked) as an empty list."""
    return cast(list[tuple[bytes, StreamEntries]], answer or [])
