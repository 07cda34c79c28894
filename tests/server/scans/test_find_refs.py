"""What a find names (migration 0024): its clue, with the clue's own collectible and hunt, in one
foreign key; and the mint jobs a claim inserts still wake the minting worker, now from one
trigger call per statement."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from eth_account import Account

from tests.support.minting import seed_finds, seed_hunt

INSERT_FIND = """
INSERT INTO finds (hunter_id, hunt_id, collectible_id, clue_id, found_at)
VALUES ($1, $2, $3, $4, now())
"""


async def new_hunter(db: asyncpg.Connection) -> int:
    hunter: int = await db.fetchval("INSERT INTO hunters DEFAULT VALUES RETURNING id")
    return hunter


async def test_a_find_takes_its_collectible_and_hunt_from_its_clue(
    database_url: str, db: asyncpg.Connection
) -> None:
    hunt, collectible, clue = await seed_hunt(database_url)
    other_hunt, other_collectible, other_clue = await seed_hunt(database_url)
    hunter = await new_hunter(db)
    # The clue of another collectible, or of another hunt, or no clue at all: refused.
    for named in (
        (hunt, other_collectible, clue),
        (other_hunt, collectible, clue),
        (hunt, collectible, other_clue),
        (hunt, collectible, 2**62),
    ):
        with pytest.raises(asyncpg.ForeignKeyViolationError, match="finds_clue_ref_fkey"):
            await db.execute(INSERT_FIND, hunter, *named)
    await db.execute(INSERT_FIND, hunter, hunt, collectible, clue)
    assert await db.fetchval("SELECT count(*) FROM finds WHERE hunter_id = $1", hunter) == 1


async def test_a_hunt_or_collectible_with_finds_is_not_deleted(
    database_url: str, db: asyncpg.Connection
) -> None:
    hunt, collectible, clue = await seed_hunt(database_url)
    await seed_finds(database_url, hunt, collectible, clue, [Account.create().address])
    # Each would cascade to the clue, which the find still names.
    for sql, key in (
        ("DELETE FROM collectibles WHERE id = $1", collectible),
        ("DELETE FROM hunts WHERE id = $1", hunt),
        ("DELETE FROM clues WHERE id = $1", clue),
    ):
        with pytest.raises(asyncpg.ForeignKeyViolationError, match="finds_clue_ref_fkey"):
            await db.execute(sql, key)
    assert await db.fetchval("SELECT count(*) FROM clues WHERE id = $1", clue) == 1
    # A hunt without finds goes, with its collectibles and clues.
    empty, _, empty_clue = await seed_hunt(database_url)
    await db.execute("DELETE FROM hunts WHERE id = $1", empty)
    assert await db.fetchval("SELECT count(*) FROM clues WHERE id = $1", empty_clue) == 0


async def test_queued_jobs_wake_the_worker_and_a_job_inserted_minted_does_not(
    database_url: str, db: asyncpg.Connection
) -> None:
    hunt, collectible, clue = await seed_hunt(database_url)
    wallets = [Account.create().address for _ in range(3)]
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(database_url)
    try:
        await listener.add_listener("geohunt_mint", lambda *args: heard.put_nowait(args[3]))
        finds = await seed_finds(database_url, hunt, collectible, clue, wallets[:1])
        assert await asyncio.wait_for(heard.get(), 5) == "queued"
        # Two jobs in one statement: one notification.
        hunters = await db.fetch(
            "INSERT INTO hunters (wallet) SELECT unnest($1::text[]) RETURNING id",
            [w.lower() for w in wallets[1:]] + [Account.create().address.lower()],
        )
        ids = await db.fetch(
            "INSERT INTO finds (hunter_id, hunt_id, collectible_id, clue_id, found_at)"
            " SELECT h, $2, $3, $4, now() FROM unnest($1::bigint[]) AS h RETURNING id",
            [r["id"] for r in hunters],
            hunt,
            collectible,
            clue,
        )
        await db.execute(
            "INSERT INTO mint_jobs (find_id, wallet, status)"
            " SELECT f, '0x' || repeat('ab', 20), 'queued' FROM unnest($1::bigint[]) AS f",
            [r["id"] for r in ids[:2]],
        )
        assert await asyncio.wait_for(heard.get(), 5) == "queued"
        # A job inserted already minted: nothing for the worker.
        await db.execute(
            "INSERT INTO mint_jobs (find_id, wallet, status, tx_hash, contract, chain_id,"
            " minted_at) VALUES ($1, '0x' || repeat('ab', 20), 'minted', '0x01', '0xc0', 31337,"
            " now())",
            ids[2]["id"],
        )
        await asyncio.sleep(0.2)
        assert heard.empty()
        # Back in the queue after a failure: the worker hears of it.
        await db.execute("UPDATE mint_jobs SET status = 'failed' WHERE find_id = $1", finds[0])
        await asyncio.sleep(0.2)
        assert heard.empty()
        await db.execute("UPDATE mint_jobs SET status = 'queued' WHERE find_id = $1", finds[0])
        assert await asyncio.wait_for(heard.get(), 5) == "queued"
    finally:
        await listener.close()
