"""Reads that may be a moment behind, on a real streaming replica (infra/replica.py).

A primary and a hot standby copied from it with `pg_basebackup -R`, both clusters of the
module's own on free ports (tests/support/postgres.py), the app started with DATABASE_URL on the
primary and DATABASE_READ_URL on the replica. The proofs cannot pass by accident: with the
replica's replay paused, a find written on the primary is missing from what the replica serves
and present in what the primary serves, so the answer itself says which one answered."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import pytest
from redis.asyncio import Redis

from infra.db import create_read_pool
from infra.replica import PRIMARY, REPLICA, ReadRouter
from server.app import create_app
from server.common.leaderboard import Leaderboard
from tests.support.api import Api, unique
from tests.support.builders import Hunt, make_hunt
from tests.support.database import fetchval, migrated_database
from tests.support.fan_tokens import find
from tests.support.minting import wait_until
from tests.support.postgres import PostgresCluster
from tests.support.replication import (
    BOUND_S,
    Pair,
    pause_replay,
    replayed,
    resume_replay,
    streaming,
)

WITHIN = 30.0  # a bound no test step comes near: reads stay on the paused replica
SMALL = 1.0  # a bound the test waits past
READ_TIMEOUT_S = 1.0  # how long a read waits for a frozen replica in the test that freezes it
# What a read of the frozen replica may take beyond its timeout: the primary's answer on a busy
# machine. Less than the timeout itself: a read that waited for its query's clean-up too (the
# cancel request, which the frozen server never answers) would take twice the timeout.
SLACK_S = 0.9
DATABASE = "geohunt_replica"
T = TypeVar("T")


@pytest.fixture(scope="module")
async def pair() -> AsyncIterator[Pair]:
    primary = PostgresCluster()
    replica: PostgresCluster | None = None
    try:
        await asyncio.to_thread(primary.init)
        await asyncio.to_thread(primary.start)
        async with migrated_database(primary.url, DATABASE):
            replica = await asyncio.to_thread(primary.standby)
            both = Pair(primary, replica, DATABASE)
            await streaming(both)
            yield both
    finally:
        if replica is not None:
            await asyncio.to_thread(replica.destroy)
        await asyncio.to_thread(primary.destroy)


@pytest.fixture
async def serve(
    aiohttp_client: Any, settings_factory: Any, pair: Pair
) -> Callable[[float], Awaitable[Api]]:
    async def start(max_lag_s: float, read_timeout_s: float = 5.0) -> Api:
        base = settings_factory()
        settings = settings_factory(
            database_url=pair.primary_url,
            database_read_url=pair.replica_url,
            database_read_max_lag_s=max_lag_s,
            database_read_timeout_s=read_timeout_s,
            db_pool_max=5,
            redis_prefix=base.redis_prefix + unique("replica") + ":",
        )
        api = Api(await aiohttp_client(create_app(settings)), settings)
        await in_use(api, True, "reads go to the replica")
        return api

    return start


async def metrics(api: Api) -> str:
    _, body = await api.call("GET", "/metrics", 200)
    return bytes(body).decode()


async def served(api: Api) -> dict[str, float]:
    """Reads that may be a moment behind so far, by the pool that served them."""
    text = await metrics(api)
    found = re.findall(r'^geohunt_db_reads_total\{pool="(\w+)"\} (\S+)$', text, re.M)
    return {pool: float(n) for pool, n in found}


def more(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {p: after.get(p, 0) - before.get(p, 0) for p in (REPLICA, PRIMARY)}


async def replica_in_use(api: Api, wanted: bool) -> bool:
    text = await metrics(api)
    return f"geohunt_db_replica_in_use {1.0 if wanted else 0.0}" in text


async def in_use(api: Api, wanted: bool, what: str) -> None:
    await wait_until(lambda: replica_in_use(api, wanted), BOUND_S, what)


async def lag(api: Api) -> float:
    text = await metrics(api)
    return float(re.findall(r"^geohunt_db_replica_lag_seconds (\S+)$", text, re.M)[0])


async def a_hunt(api: Api) -> tuple[Hunt, dict[str, Any]]:
    hunt = await make_hunt(api)
    return hunt, await hunt.clue(collectible=await hunt.collectible(supply=1000))


async def a_find(api: Api, hunt: Hunt, clue: dict[str, Any]) -> dict[str, str]:
    """A new hunter's find, written on the primary; the hunter's headers."""
    _, me = await api.hunter()
    await find(hunt, me, clue)
    return me


async def finds_in_stats(api: Api, hunt: Hunt) -> int:
    _, stats = await api.call("GET", f"/v1/hunts/{hunt.slug}/stats", 200, headers=api.organiser)
    return int(stats["totals"]["finds"])


async def test_reads_come_from_the_replica_and_a_fans_own_write_from_the_primary(
    pair: Pair, serve: Callable[[float], Awaitable[Api]]
) -> None:
    api = await serve(WITHIN)
    hunt, clue = await a_hunt(api)
    me = await a_find(api, hunt, clue)
    await api.call("PUT", "/v1/me/privacy", 200, headers=me, json={"discoverable": True})
    await replayed(pair)
    await pause_replay(pair)
    try:
        await a_find(api, hunt, clue)  # the primary holds 2 finds now, the paused replica 1
        before = await served(api)
        assert await finds_in_stats(api, hunt) == 1
        _, csv = await api.call(
            "GET", f"/v1/hunts/{hunt.slug}/stats?format=csv&table=collectibles", 200,
            headers=api.organiser,
        )  # fmt: skip
        assert bytes(csv).decode().splitlines()[1].split(",")[5] == "1"  # the finds column
        token = api.organiser["Authorization"].split()[1]
        status, _ = await api.call("GET", f"/organisers/{hunt.slug}?token={token}")
        assert status == 200
        await api.call("GET", f"/v1/hunts/{hunt.slug}/moments", 200)  # public: the replica
        await api.call("GET", "/v1/me/twins", 200, headers=me)
        assert more(await served(api), before) == {REPLICA: 5, PRIMARY: 0}

        # A fan's own write the replica has not replayed: their twins come from the primary.
        before = await served(api)
        await api.call("PUT", "/v1/me/privacy", 200, headers=me, json={"discoverable": False})
        status, problem = await api.call("GET", "/v1/me/twins", headers=me)
        assert (status, problem["code"]) == (403, "forbidden")
        assert more(await served(api), before) == {REPLICA: 0, PRIMARY: 1}
    finally:
        await resume_replay(pair)

    async def both_finds() -> bool:
        return await finds_in_stats(api, hunt) == 2

    await wait_until(both_finds, BOUND_S, "the replica replays the second find")


async def test_a_replica_behind_its_bound_sends_reads_to_the_primary_until_it_catches_up(
    pair: Pair, serve: Callable[[float], Awaitable[Api]]
) -> None:
    api = await serve(SMALL)
    hunt, clue = await a_hunt(api)
    await a_find(api, hunt, clue)
    await replayed(pair)
    await pause_replay(pair)
    try:
        await a_find(api, hunt, clue)
        await in_use(api, False, "reads leave the lagging replica")
        assert await lag(api) > SMALL
        before = await served(api)
        assert await finds_in_stats(api, hunt) == 2  # only the primary has the second find
        assert more(await served(api), before) == {REPLICA: 0, PRIMARY: 1}
        count = "SELECT count(*) FROM finds f JOIN hunts h ON h.id = f.hunt_id WHERE h.slug = $1"
        assert await fetchval(pair.replica_url, count, hunt.slug) == 1
    finally:
        await resume_replay(pair)
    await in_use(api, True, "reads go back to the replica")
    before = await served(api)
    assert await finds_in_stats(api, hunt) == 2
    assert more(await served(api), before) == {REPLICA: 1, PRIMARY: 0}
    assert await lag(api) <= SMALL


async def test_a_leaderboard_rebuild_reads_a_replica_only_once_it_has_caught_up(
    pair: Pair, serve: Callable[[float], Awaitable[Api]], redis: Redis
) -> None:
    """A rebuild removes the members the table lacks: a replica that has not replayed a
    score Redis already holds would drop that hunter, so it is read only once caught up."""
    api = await serve(SMALL)
    hunt, clue = await a_hunt(api)
    await a_find(api, hunt, clue)
    hunt_id = await fetchval(pair.primary_url, "SELECT id FROM hunts WHERE slug = $1", hunt.slug)
    primary = await asyncpg.create_pool(pair.primary_url, min_size=1, max_size=2)
    replica = await asyncpg.create_pool(pair.replica_url, min_size=1, max_size=2)
    used: list[str] = []
    try:
        reads = ReadRouter(primary, replica, SMALL, used.append)
        board = Leaderboard(redis, api.settings.redis_prefix + "rebuild:", primary, reads=reads)
        await replayed(pair)
        await reads.measure()
        await pause_replay(pair)
        try:
            await a_find(api, hunt, clue)  # a score the paused replica lacks
            assert reads.usable()  # within its bound, yet not current enough to rebuild from
            assert await board.rebuild([hunt_id]) == {hunt_id: 2}
            assert used == [PRIMARY]
        finally:
            await resume_replay(pair)
        await replayed(pair)
        await reads.measure()
        assert await board.rebuild([hunt_id]) == {hunt_id: 2}
        assert used == [PRIMARY, REPLICA]
    finally:
        await primary.close()
        await replica.close()


async def test_a_stopped_replica_sends_reads_to_the_primary_without_an_error(
    pair: Pair, serve: Callable[[float], Awaitable[Api]]
) -> None:
    api = await serve(WITHIN)
    hunt, clue = await a_hunt(api)
    await a_find(api, hunt, clue)
    await replayed(pair)
    # A router of the test's own, not measuring: its replica fails mid-read, deterministically.
    primary = await asyncpg.create_pool(pair.primary_url, min_size=1, max_size=2)
    replica = await asyncpg.create_pool(pair.replica_url, min_size=0, max_size=2)
    tried: list[asyncpg.Pool] = []

    async def work(pool: asyncpg.Pool) -> int:
        tried.append(pool)
        return int(await pool.fetchval("SELECT count(*) FROM hunts WHERE slug = $1", hunt.slug))

    try:
        reads = ReadRouter(primary, replica, WITHIN)
        await reads.measure()
        assert reads.usable()
        await asyncio.to_thread(pair.replica.stop)
        try:
            assert await reads.read(work) == 1
            assert tried == [replica, primary] and not reads.usable()

            before = await served(api)
            assert await finds_in_stats(api, hunt) == 1  # no error, whichever noticed first
            await in_use(api, False, "the app leaves the stopped replica")
            assert await finds_in_stats(api, hunt) == 1
            assert more(await served(api), before) == {REPLICA: 0, PRIMARY: 2}
        finally:
            await asyncio.to_thread(pair.replica.start)
    finally:
        await primary.close()
        await replica.close()
    await streaming(pair)
    await in_use(api, True, "reads go back to the restarted replica")


async def timed(answer: Awaitable[T]) -> tuple[T, float]:
    """`answer`'s result and the seconds it took; a failure, not a hung test, past BOUND_S."""
    started = time.monotonic()
    task = asyncio.ensure_future(answer)
    done, _ = await asyncio.wait((task,), timeout=BOUND_S)
    assert done, f"no answer within {BOUND_S:g} s"
    return task.result(), time.monotonic() - started


async def test_a_replica_that_stops_answering_sends_reads_to_the_primary_within_the_timeout(
    pair: Pair, serve: Callable[..., Awaitable[Api]]
) -> None:
    """SIGSTOP to the replica's processes: its connections stay open and nothing answers, so
    only the read's own timeout ends the wait. The read is asked of the primary, the connection
    it held is let go while the replica is still frozen (the pool is not left holding it), and
    once thawed the replica serves again from the same pool."""
    api = await serve(WITHIN, READ_TIMEOUT_S)
    hunt, clue = await a_hunt(api)
    await a_find(api, hunt, clue)
    await replayed(pair)
    # A router of the test's own, not measuring, on a pool made as the app makes it.
    primary = await asyncpg.create_pool(pair.primary_url, min_size=1, max_size=2)
    replica = await create_read_pool(api.settings)
    tried: list[asyncpg.Pool] = []

    async def work(pool: asyncpg.Pool) -> int:
        tried.append(pool)
        return int(await pool.fetchval("SELECT count(*) FROM hunts WHERE slug = $1", hunt.slug))

    def in_use_connections() -> int:
        return replica.get_size() - replica.get_idle_size()

    try:
        reads = ReadRouter(primary, replica, WITHIN, timeout_s=READ_TIMEOUT_S)
        await reads.measure()
        assert await reads.read(work) == 1  # the replica's pool holds an open connection now
        assert tried == [replica]
        frozen = await asyncio.to_thread(pair.replica.freeze)
        try:
            answer, took = await timed(reads.read(work))
            assert answer == 1 and tried == [replica, replica, primary]
            assert READ_TIMEOUT_S <= took < READ_TIMEOUT_S + SLACK_S
            assert not reads.usable()

            async def released() -> bool:
                return in_use_connections() == 0

            await wait_until(released, BOUND_S, "the abandoned read lets its connection go")

            before = await served(api)
            finds, took = await timed(finds_in_stats(api, hunt))
            assert finds == 1 and took < READ_TIMEOUT_S + SLACK_S
            assert more(await served(api), before) == {REPLICA: 0, PRIMARY: 1}
            await in_use(api, False, "the app leaves the frozen replica")
        finally:
            await asyncio.to_thread(pair.replica.thaw, frozen)
        await reads.measure()
        assert reads.usable()
        assert await reads.read(work) == 1
        assert tried[-1] is replica and in_use_connections() == 0
    finally:
        await primary.close()
        await replica.close()
    await in_use(api, True, "reads go back to the thawed replica")
