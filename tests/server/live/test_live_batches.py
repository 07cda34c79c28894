"""Batch rows of the live outbox: a claim batch's finds and a settled statement's mints are
one live_events row per hunt and hundred (`finds`, `mints`), which the relay adds to the hunt's
stream as one message each, and refills from PostgreSQL the same way."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from bench.mint.finds import CLAIM_MANY
from server.live import relay as relay_module
from server.live.entries import stream_events
from server.live.relay import stream_key
from server.scans.queries import CLAIMS_SQL
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, at, make_hunt
from tests.support.live import delivered_rows, relay_on


def shape(message: Any) -> Any:
    """A message's keys, nested, without the values."""
    if isinstance(message, dict):
        return {key: shape(value) for key, value in message.items()}
    return None


async def test_a_claim_batch_writes_one_finds_row_whose_finds_each_reach_stream_and_board(
    api: Api, pool: asyncpg.Pool, redis: Redis, prefix: str, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    ids = await db.fetchrow(
        "SELECT hunt_id, collectible_id, id FROM clues WHERE id = $1", clue["id"]
    )
    hunt_id = ids["hunt_id"]
    hunters = [(await api.hunter())[0] for _ in range(3)]
    n = len(hunters)
    # As a group commit claims three scans that met: one claim_finds call.
    claims = await db.fetch(
        CLAIMS_SQL,
        hunters,
        [0] * n,
        [hunt_id] * n,
        [ids["collectible_id"]] * n,
        [ids["id"]] * n,
        *[[None] * n] * 5,
        ["device"] * n,
        [None] * n,
    )
    assert [c["verdict"] for c in claims] == ["accepted"] * n
    sql = (
        "SELECT id, seq, hunt_id, kind, payload FROM live_events WHERE hunt_id = $1"
        " AND kind = 'finds' AND delivered_at IS NOT NULL ORDER BY id"
    )
    records = await delivered_rows(db, sql, hunt_id, 1)
    assert len(records) == 1  # the one statement's row
    row = records[0]
    # The hunt said once, each find as the array of its fields (migration 0023).
    assert row["payload"]["hunt"] == hunt.slug
    assert all(isinstance(e, list) for e in row["payload"]["events"])
    events = [message for _, message in stream_events(row["seq"], row["kind"], row["payload"])]
    assert [e["find"]["id"] for e in events] == [c["find_id"] for c in claims]
    assert [e["hunter"]["hunter_id"] for e in events] == hunters
    assert all(e["type"] == "find" and e["hunt"] == hunt.slug for e in events)

    relay = relay_on(pool, redis, prefix)
    await redis.set(relay.marker(hunt_id), 0)
    assert await relay._apply([records]) == []  # type: ignore[list-item]
    entries = await redis.xrange(stream_key(prefix, hunt_id))
    seq = records[0]["seq"]
    assert [e[0].decode() for e in entries] == [f"{seq}-{i}" for i in range(n)]
    assert [json.loads(e[1][b"data"])["find"]["id"] for e in entries] == [
        c["find_id"] for c in claims
    ]
    board = await redis.zrange(relay._leaderboard.key(hunt_id), 0, -1)
    assert sorted(int(m) for m in board) == sorted(hunters)


async def test_a_settled_statement_writes_one_mints_row_and_an_inserted_job_its_own(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    finds = []
    for _ in range(3):
        clue = await hunt.clue()
        _, me = await api.hunter()
        body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
        _, answer = await api.call("POST", "/v1/scans", 201, headers=me, json=body)
        finds.append(answer["find"]["id"])
    hunt_id = await db.fetchval("SELECT id FROM hunts WHERE slug = $1", hunt.slug)
    wallet = "0x" + "ab" * 20
    settled, inserted = finds[:2], finds[2]
    # Settled as the worker does (one statement for the batch), and then once more: a job
    # already minted announces nothing new.
    await db.execute(
        "INSERT INTO mint_jobs (find_id, wallet) SELECT unnest($1::bigint[]), $2", settled, wallet
    )
    for _ in range(2):
        await db.execute(
            "UPDATE mint_jobs SET status = 'minted', tx_hash = '0x01', contract = '0xc0',"
            " chain_id = 31337, minted_at = now() WHERE find_id = ANY($1::bigint[])",
            settled,
        )
    await db.execute(
        "INSERT INTO mint_jobs (find_id, wallet, status, tx_hash, contract, chain_id, minted_at)"
        " VALUES ($1, $2, 'minted', '0x02', '0xc0', 31337, now())",
        inserted,
        wallet,
    )
    rows = await db.fetch(
        "SELECT kind, payload FROM live_events WHERE hunt_id = $1 AND kind IN ('mint', 'mints')"
        " ORDER BY id",
        hunt_id,
    )
    assert [r["kind"] for r in rows] == ["mints", "mint"]
    batch, alone = (json.loads(r["payload"]) for r in rows)
    assert batch["type"] == "mints" and all(isinstance(e, list) for e in batch["events"])
    payloads = [message for _, message in stream_events(1, "mints", batch)] + [alone]
    # The message built from a batch row's array has the fields of the one a lone job's row
    # holds as an object: the two triggers say the same.
    assert all(shape(p) == shape(alone) for p in payloads)
    assert [p["type"] for p in payloads] == ["mint"] * 3
    assert [p["find_id"] for p in payloads] == finds
    assert [p["tx_hash"] for p in payloads] == ["0x01", "0x01", "0x02"]
    assert all(p["hunt"] == hunt.slug and p["chain_id"] == 31337 for p in payloads)


async def test_a_mints_row_holds_a_hundred_and_becomes_one_stream_entry_per_token(
    api: Api,
    pool: asyncpg.Pool,
    redis: Redis,
    prefix: str,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small script calls, so that one hunt's rows go in several calls of one pipeline.
    monkeypatch.setattr(relay_module, "_CALL_ENTRIES", 60)
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    ids = await db.fetchrow(
        "SELECT hunt_id, collectible_id, id FROM clues WHERE id = $1", clue["id"]
    )
    hunt_id = ids["hunt_id"]
    # 250 finds of new hunters with wallets, as the minting benchmark makes them: one mint
    # job each.
    finds = [r[0] for r in await db.fetch(CLAIM_MANY, *ids, 250)]
    await db.execute(
        "UPDATE mint_jobs SET status = 'minted', tx_hash = '0x01', contract = '0xc0',"
        " chain_id = 31337, minted_at = now() WHERE find_id = ANY($1::bigint[])",
        finds,
    )
    sql = (
        "SELECT id, seq, hunt_id, kind, payload FROM live_events WHERE hunt_id = $1"
        " AND kind = 'mints' AND delivered_at IS NOT NULL ORDER BY id"
    )
    records = await delivered_rows(db, sql, hunt_id, 3)
    assert [len(r["payload"]["events"]) for r in records] == [100, 100, 50]

    relay = relay_on(pool, redis, prefix)
    await redis.set(relay.marker(hunt_id), 0)
    assert await relay._apply([records]) == []  # type: ignore[list-item]
    assert await relay._apply([records]) == []  # type: ignore[list-item]  # a repeat adds nothing
    expected = [f"{r['seq']}-{i}" for r in records for i in range(len(r["payload"]["events"]))]
    entries = await redis.xrange(stream_key(prefix, hunt_id))
    assert [e[0].decode() for e in entries] == expected
    messages = [json.loads(e[1][b"data"]) for e in entries]
    assert [m["find_id"] for m in messages] == sorted(finds)
    assert {m["type"] for m in messages} == {"mint"}
    assert int(await redis.get(relay.marker(hunt_id))) == records[-1]["seq"]

    # Redis loses the stream: the refill from PostgreSQL gives back the same entries.
    await redis.delete(stream_key(prefix, hunt_id), relay.marker(hunt_id))
    async with pool.acquire() as conn:
        await relay.recover(conn, [hunt_id])
    refilled = await redis.xrange(stream_key(prefix, hunt_id))
    # The hunt's 250 finds wrote an event each too: the refill holds them, then the mints.
    assert len(refilled) == 500
    assert [(e[0], e[1]) for e in refilled[250:]] == [(e[0], e[1]) for e in entries]
