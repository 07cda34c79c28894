"""Lua scripts on a Redis Cluster (started here) after a slot moved: the client still knows every
primary, so a script reloaded after NOSCRIPT reaches the slot's new owner.

Before redis-py 7.2, a MOVED answered to a command sent before the client had followed an
earlier MOVED for the same slot was taken for a failover, and the client marked the slot's new
primary a replica: `SCRIPT LOAD`, sent to the primaries it knew, never reached that node again,
and every later call of a script there met NOSCRIPT (the live relay stopped delivering for good
after a reshard under load)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator

import pytest

from infra.local_redis_cluster import RedisCluster, available, redis_cluster
from infra.redis_client import connect_redis
from infra.redis_scripts import ScriptCall, register_script, run_script_or_raise
from infra.settings import Settings

pytestmark = pytest.mark.skipif(not available(), reason="Debian's redis-server and redis-cli")

KEY = "{scripts-test}:counter"
INCREMENT = "return redis.call('INCR', KEYS[1])"


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisCluster]:
    with redis_cluster() as started:
        yield started


async def test_a_script_reaches_the_new_owner_of_a_moved_slot(cluster: RedisCluster) -> None:
    settings = dataclasses.replace(
        Settings.from_env({"GEOHUNT_SECRET": "s" * 40}),
        redis_cluster_nodes=tuple(("127.0.0.1", n.port) for n in cluster.nodes[:3]),
    )
    redis = connect_redis(settings)
    try:
        script = register_script(redis, INCREMENT)
        call = [ScriptCall([KEY], [])]
        assert await run_script_or_raise(redis, script, call) == [1]

        _, target = await asyncio.to_thread(cluster.move_slot_of, KEY)
        # Callers at once, as scans and the relay are: several meet MOVED for the same slot.
        answers = await asyncio.gather(
            *(run_script_or_raise(redis, script, call) for _ in range(3))
        )
        assert sorted(a[0] for a in answers) == [2, 3, 4]
        primaries = sorted(n.port for n in cluster.primaries())
        assert sorted(n.port for n in redis.get_primaries()) == primaries  # type: ignore[union-attr]

        # The new owner loses its scripts (restarted, or a replica promoted): loaded again there.
        owner = next(n for n in cluster.nodes if n.port == target)
        with contextlib.closing(owner.client()) as client:
            client.script_flush()
        assert await run_script_or_raise(redis, script, call) == [5]
        assert await run_script_or_raise(redis, script, call * 2) == [6, 7]
    finally:
        await redis.aclose()
