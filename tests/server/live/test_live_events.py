"""The live outbox: triggers write an event exactly when its change commits; the relay moves
events to Redis streams once each, in one order, and keeps them while Redis is away."""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg
import pytest
from redis.asyncio import Redis

from infra.settings import Settings
from server.common.leaderboard import sort_key
from server.live.entries import stream_events
from server.live.relay import stream_key
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, at, make_hunt
from tests.support.live import delivered_rows, relay_on


async def test_a_find_writes_its_event_with_the_committed_score(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible(supply=3)
    clue = await hunt.clue(collectible=key)
    hunter_id, me = await api.hunter()
    _, answer = await api.call(
        "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
    )
    row = await db.fetchrow(
        "SELECT seq, kind, payload FROM live_events WHERE (payload->'events'->0->>0)::bigint = $1",
        answer["find"]["id"],
    )
    batch = json.loads(row["payload"])
    assert row["kind"] == "finds" and batch["type"] == "finds" and len(batch["events"]) == 1
    [(_, payload)] = stream_events(row["seq"] or 0, row["kind"], batch)
    assert payload["type"] == "find" and payload["hunt"] == hunt.slug
    assert payload["hunter"]["hunter_id"] == hunter_id and payload["hunter"]["score"] == 1
    assert payload["collectible"] == {
        "key": key,
        "name": f"Collectible {key}",
        "episode": "Jibaro",
        "found": 1,
        "supply": 3,
    }
    assert payload["find"]["found_at"].endswith("Z")


async def test_the_names_and_times_of_events_are_built_inline(db: asyncpg.Connection) -> None:
    """live_name and live_time are inlined into the statements that call them (migration
    0018), not run as nested queries for every event, and still say what they said."""
    ids = [
        await db.fetchval(
            "INSERT INTO hunters (handle, wallet, created_at) VALUES ($1, $2,"
            " '2026-12-06 21:05:07.5+01') RETURNING id",
            handle,
            wallet,
        )
        for handle, wallet in (("Ana", None), (None, "0x" + "ab" * 19 + "01"), (None, None))
    ]
    sql = (
        "SELECT live_name(handle, wallet, id), live_time(created_at) FROM hunters"
        " WHERE id = ANY($1::bigint[]) ORDER BY id"
    )
    rows = await db.fetch(sql, ids)
    assert [r[0] for r in rows] == ["Ana", "0xabab…ab01", f"hunter {ids[2]}"]
    assert {r[1] for r in rows} == {"2026-12-06T20:05:07.500000Z"}
    plan = "\n".join(r[0] for r in await db.fetch(f"EXPLAIN (VERBOSE, COSTS OFF) {sql}", ids))
    assert "to_char(" in plan and "COALESCE(" in plan
    assert "live_name" not in plan and "live_time" not in plan


async def test_a_rolled_back_change_writes_no_event(api: Api, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    hunt_id = await db.fetchval("SELECT id FROM hunts WHERE slug = $1", hunt.slug)
    before = await db.fetchval("SELECT count(*) FROM live_events WHERE hunt_id = $1", hunt_id)
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute(
                "INSERT INTO alerts (hunt_id, kind, detail) VALUES ($1, 'test', '{}')", hunt_id
            )
            raise RuntimeError("roll back")
    await db.execute(
        "INSERT INTO alerts (hunt_id, kind, detail) VALUES ($1, 'test', '{}')", hunt_id
    )
    kinds = await db.fetch("SELECT kind FROM live_events WHERE hunt_id = $1", hunt_id)
    assert [r["kind"] for r in kinds][before:] == ["alert"]


async def test_relay_delivers_each_event_once_in_order_and_a_repeat_adds_nothing(
    api: Api, pool: asyncpg.Pool, redis: Redis, prefix: str, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    clues = [await hunt.clue() for _ in range(3)]
    hunter_id, me = await api.hunter()
    for clue in clues:
        body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
        await api.call("POST", "/v1/scans", 201, headers=me, json=body)
    hunt_id = await db.fetchval("SELECT id FROM hunts WHERE slug = $1", hunt.slug)
    sql = (
        "SELECT id, seq, hunt_id, kind, payload FROM live_events WHERE hunt_id = $1"
        " AND delivered_at IS NOT NULL ORDER BY id"
    )
    records = await delivered_rows(db, sql, hunt_id, 3)
    relay = relay_on(pool, redis, prefix)
    await redis.set(relay.marker(hunt_id), 0)
    assert await relay._apply([records]) == []  # type: ignore[list-item]
    assert await relay._apply([records]) == []  # type: ignore[list-item]  # again, as after a crash
    entries = await redis.xrange(stream_key(prefix, hunt_id))
    # Each scan was a claim batch of its own: a `finds` row of one find each.
    assert [e[0].decode() for e in entries] == [f"{r['seq']}-0" for r in records]
    messages = [stream_events(r["seq"], r["kind"], r["payload"])[0][1] for r in records]
    assert [json.loads(e[1][b"data"]) for e in entries] == messages
    last = messages[-1]["hunter"]
    expected = sort_key(3, datetime.fromisoformat(last["last_find_at"]))
    assert await redis.zscore(relay._leaderboard.key(hunt_id), str(hunter_id)) == expected
    assert int(await redis.get(relay.marker(hunt_id))) == records[-1]["seq"]


async def test_events_wait_in_postgresql_while_redis_is_away(
    api: Api, pool: asyncpg.Pool, prefix: str, db: asyncpg.Connection, settings: Settings
) -> None:
    hunt = await make_hunt(api)
    hunt_id = await db.fetchval("SELECT id FROM hunts WHERE slug = $1", hunt.slug)
    # The app of this test is running its own relay: stop it taking the lock for a moment.
    await api.client.app.shutdown()
    await api.client.app.cleanup()
    alert_ids = [
        await db.fetchval(
            "INSERT INTO alerts (hunt_id, kind, detail) VALUES ($1, 'test', '{}') RETURNING id",
            hunt_id,
        )
        for _ in range(3)
    ]
    dead = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens on port 1
    away = relay_on(pool, dead, prefix)
    async with pool.acquire() as conn:
        with pytest.raises(Exception, match="onnect"):
            await away.deliver(conn)
    await dead.aclose()
    waiting = await db.fetch(
        "SELECT seq, delivered_at FROM live_events WHERE hunt_id = $1 ORDER BY id", hunt_id
    )
    assert len(waiting) == 3 and all(r["delivered_at"] is None for r in waiting)
    assert all(r["seq"] is not None for r in waiting)  # numbered: the next try keeps the order

    assert settings.redis_url
    redis = Redis.from_url(settings.redis_url)
    try:
        back = relay_on(pool, redis, prefix)
        async with pool.acquire() as conn:
            # The prefix is new: the hunt has no marker, and is "recovered" (from nothing) first.
            assert await back.deliver(conn) >= 3
            assert back.recoveries == 1
        entries = await redis.xrange(stream_key(prefix, hunt_id))
        assert [json.loads(e[1][b"data"])["alert"]["id"] for e in entries] == alert_ids
        assert [e[0].decode() for e in entries] == [f"{r['seq']}-0" for r in waiting]
        delivered = await db.fetchval(
            "SELECT count(*) FROM live_events WHERE hunt_id = $1 AND delivered_at IS NOT NULL",
            hunt_id,
        )
        assert delivered == 3
    finally:
        await redis.aclose()


async def test_one_relay_at_a_time(pool: asyncpg.Pool, redis: Redis, prefix: str) -> None:
    first, second = relay_on(pool, redis, prefix), relay_on(pool, redis, prefix)
    a, b = await pool.acquire(), await pool.acquire()
    try:
        await first._try_lead(a)
        await second._try_lead(b)
        assert (first.leader, second.leader) == (True, False)
        await first._drop(a)  # as when its process stops: the lock goes with the session
        await second._try_lead(b)
        assert second.leader
    finally:
        await second._drop(b)
        assert not first.leader and not second.leader
