"""REDIS_CLUSTER_NODES and the one place a Redis client is built."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import pytest
from redis._parsers import _AsyncHiredisParser
from redis.asyncio import Redis, RedisCluster

from infra.redis_client import RedisClient, connect_redis, grouped, is_cluster, slot_of
from infra.redis_scripts import ScriptCall, register_script, run_script
from infra.settings import CLUSTER_NODES_MAX, Settings, SettingsError

BASE = {"GEOHUNT_SECRET": "s" * 40}


def test_cluster_nodes_are_read_and_checked() -> None:
    settings = Settings.from_env(
        {**BASE, "REDIS_CLUSTER_NODES": " 10.0.0.5:7000, redis-2.internal:7001,[2001:db8::5]:7002"}
    )
    assert settings.redis_cluster_nodes == (
        ("10.0.0.5", 7000),
        ("redis-2.internal", 7001),
        ("2001:db8::5", 7002),
    )
    assert Settings.from_env(BASE).redis_cluster_nodes == ()
    # Named twice: once.
    twice = Settings.from_env({**BASE, "REDIS_CLUSTER_NODES": "a:1,a:1"})
    assert twice.redis_cluster_nodes == (("a", 1),)


@pytest.mark.parametrize(
    "value",
    [
        "10.0.0.5",  # no port
        "10.0.0.5:0",
        "10.0.0.5:65536",
        "10.0.0.5:port",
        "redis://10.0.0.5:7000",
        "host name:7000",
        "-host:7000",
        "[not-ipv6]:7000",
        "2001:db8::5:7000",  # an IPv6 address without brackets
        "a:1;b:2",
        ",".join(f"h{i}:7000" for i in range(CLUSTER_NODES_MAX + 1)),
    ],
)
def test_malformed_cluster_nodes_are_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="REDIS_CLUSTER_NODES"):
        Settings.from_env({**BASE, "REDIS_CLUSTER_NODES": value})


@pytest.mark.parametrize("prefix", ["geo{hunt}:", "a}b:", "x" * 101])
def test_a_prefix_with_braces_is_refused(prefix: str) -> None:
    """A brace in the prefix would become every key's hash tag."""
    with pytest.raises(SettingsError, match="GEOHUNT_REDIS_PREFIX"):
        Settings.from_env({**BASE, "GEOHUNT_REDIS_PREFIX": prefix})


async def test_the_settings_choose_the_client() -> None:
    plain = connect_redis(Settings.from_env({**BASE, "REDIS_URL": "redis://127.0.0.1:1/0"}))
    cluster = connect_redis(
        Settings.from_env({**BASE, "REDIS_CLUSTER_NODES": "127.0.0.1:1,127.0.0.1:2"})
    )
    try:
        assert isinstance(plain, Redis) and not is_cluster(plain)
        assert isinstance(cluster, RedisCluster) and is_cluster(cluster)
    finally:
        await plain.aclose()
        await cluster.aclose()


async def test_replies_are_read_by_hiredis(settings: Settings) -> None:
    """redis-py falls back to its pure-Python parser, silently, when hiredis is missing or older
    than it accepts: the scan path's Redis calls then cost about a fifth more."""
    client = connect_redis(settings)
    try:
        assert await client.ping()
        pool = client.connection_pool  # type: ignore[union-attr]
        connection = await pool.get_connection()
        try:
            assert type(connection._parser) is _AsyncHiredisParser
        finally:
            await pool.release(connection)
    finally:
        await client.aclose()


def test_groups_keep_their_order() -> None:
    keys = ["{h:1}:a", "{h:2}:a", "{h:1}:b", "{h:3}:a", "{h:2}:b"]
    groups = grouped(keys, slot_of)
    assert groups == [["{h:1}:a", "{h:1}:b"], ["{h:2}:a", "{h:2}:b"], ["{h:3}:a"]]
    assert grouped([3, 1, 4, 1, 5], lambda n: n % 2) == [[3, 1, 1, 5], [4]]


async def test_a_task_cancelled_during_a_call_ends_cancelled(settings: Settings) -> None:
    """redis-py 8.0 to 8.2 finish a cancelled call and return its answer, the cancellation
    lost: the live relay, cancelled at shutdown, then went on for ever and the server never
    stopped, and an `asyncio.timeout` around a call bounds nothing. Hence the pin below 8."""
    client = connect_redis(settings)
    key = f"{settings.redis_prefix}cancel-test"
    script = register_script(client, "return redis.call('INCR', KEYS[1])")

    async def piped(redis: RedisClient) -> None:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.get(key)
            await pipe.execute()

    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "command": lambda: client.get(key),
        "pipeline": lambda: piped(client),
        "script": lambda: run_script(client, script, [ScriptCall([key], [])]),
    }

    async def calling(call: Callable[[], Awaitable[object]]) -> None:
        while True:
            await call()
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                return  # the call ate the cancellation

    try:
        for name, call in calls.items():
            ended = []
            for i in range(60):
                task = asyncio.create_task(calling(call))
                await asyncio.sleep(i % 12 / 5_000)  # cancelled at every stage of a call
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(task), 5)
                ended.append(task.cancelled())
            assert all(ended), f"{name}: {ended.count(False)} of {len(ended)} cancels lost"
    finally:
        await client.delete(key)
        await client.aclose()
