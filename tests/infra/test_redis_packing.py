"""Commands packed by hiredis are the bytes redis-py's own packer writes, for every kind of
argument the code sends; values redis-py refuses are refused the same way; the client
`connect_redis` builds packs with hiredis on every kind of connection a URL names, and works."""

from __future__ import annotations

import dataclasses
import math
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from infra.redis_client import connect_redis
from infra.redis_packing import (
    PackingConnection,
    PackingSSLConnection,
    PackingUnixConnection,
)
from infra.settings import Settings

arguments = (
    st.text()
    | st.binary()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.binary(min_size=6000, max_size=7000)  # past redis-py's buffer cut-off
    | st.binary().map(memoryview)
)
commands = st.sampled_from(["EVALSHA", "SET", "CONFIG GET", b"XADD", b"CLIENT SETNAME"])


def _packed(connection: Connection, *args: Any) -> bytes:
    return b"".join(bytes(chunk) for chunk in connection.pack_command(*args))


@given(commands, st.lists(arguments, max_size=40))
def test_the_bytes_are_redis_pys(command: str | bytes, args: list[Any]) -> None:
    assert _packed(PackingConnection(), command, *args) == _packed(Connection(), command, *args)


def test_special_floats_are_written_as_redis_py_writes_them() -> None:
    for value in (math.inf, -math.inf, math.nan, -0.0, 1e300, 0.1 + 0.2):
        assert _packed(PackingConnection(), "SET", "k", value) == _packed(
            Connection(), "SET", "k", value
        )


@pytest.mark.parametrize("value", [None, True, object()])
def test_values_redis_py_refuses_are_refused_alike(value: Any) -> None:
    with pytest.raises(DataError):
        Connection().pack_command("SET", "k", value)
    with pytest.raises(DataError):
        PackingConnection().pack_command("SET", "k", value)


def test_a_string_that_is_no_utf8_is_refused() -> None:
    with pytest.raises(UnicodeEncodeError):
        PackingConnection().pack_command("SET", "k", "a\udc80")


@pytest.mark.parametrize(
    ("url", "packing"),
    [
        ("redis://127.0.0.1:6399/0", PackingConnection),
        ("rediss://127.0.0.1:6399/0", PackingSSLConnection),
        ("unix:///nonexistent/redis.sock", PackingUnixConnection),
    ],
)
def test_every_kind_of_connection_packs_with_hiredis(
    settings: Settings, url: str, packing: type
) -> None:
    client = connect_redis(dataclasses.replace(settings, redis_url=url))
    assert client.connection_pool.connection_class is packing  # type: ignore[union-attr]


async def test_the_client_works_with_what_it_packs(settings: Settings) -> None:
    client = connect_redis(settings)
    key = f"{settings.redis_prefix}packing:{uuid.uuid4().hex}"
    try:
        connection = await client.connection_pool.get_connection()  # type: ignore[union-attr]
        assert type(connection) is PackingConnection
        await client.connection_pool.release(connection)  # type: ignore[union-attr]
        values = {"zoë 🎬": "name", b"\x00\xff": b"raw", "big": 2**64 + 1, "x": 1.5}
        async with client.pipeline(transaction=False) as pipe:
            pipe.hset(key, mapping=values)  # type: ignore[arg-type]
            pipe.expire(key, 60)
            pipe.hgetall(key)
            *_, stored = await pipe.execute()
        assert stored == {
            "zoë 🎬".encode(): b"name",
            b"\x00\xff": b"raw",
            b"big": str(2**64 + 1).encode(),
            b"x": b"1.5",
        }
        assert await client.execute_command("CONFIG GET", "maxmemory-policy")
    finally:
        await client.delete(key)
        await client.aclose()
