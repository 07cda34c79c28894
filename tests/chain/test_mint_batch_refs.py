"""A mint job's batch is one that exists (migration 0022): the rule the foreign keys from
mint_jobs and moment_mints to mint_batches kept, now checked once per statement, and holding
against a batch deleted while a claim that names it is still open."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from eth_account import Account

from tests.support.api import Api, bearer
from tests.support.identity import siwe
from tests.support.minting import seed_finds, seed_hunt
from tests.support.moments import Episode, Fan, decide

MISSING = 2**62  # no batch has this id


async def new_batch(conn: asyncpg.Connection, token_ids: list[int]) -> int:
    batch: int = await conn.fetchval(
        "INSERT INTO mint_batches (signer, chain_id, contract, nonce, token_ids)"
        " VALUES ($1, 31337, $2, 0, $3) RETURNING id",
        "0x" + uuid.uuid4().hex.ljust(40, "0"),
        "0x" + "c" * 40,
        token_ids,
    )
    return batch


async def one_job(database_url: str) -> int:
    hunt, collectible, clue = await seed_hunt(database_url)
    [find] = await seed_finds(database_url, hunt, collectible, clue, [Account.create().address])
    return find


async def test_a_job_names_only_a_batch_that_exists(
    database_url: str, db: asyncpg.Connection
) -> None:
    find = await one_job(database_url)
    batch = await new_batch(db, [find])
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="batch reference") as raised:
        await db.execute("UPDATE mint_jobs SET batch_id = $2 WHERE find_id = $1", find, MISSING)
    assert f"(batch_id)=({MISSING})" in (raised.value.detail or "")
    # Several jobs in one statement, one of them naming no batch: the whole statement fails.
    other = await one_job(database_url)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await db.execute(
            "UPDATE mint_jobs SET status = 'submitted', batch_id = b"
            " FROM unnest($1::bigint[], $2::bigint[]) AS u(f, b) WHERE find_id = f",
            [find, other],
            [batch, MISSING],
        )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM mint_jobs WHERE find_id = ANY($1) AND batch_id IS NOT NULL",
            [find, other],
        )
        == 0
    )
    await db.execute(
        "UPDATE mint_jobs SET status = 'submitted', batch_id = $2 WHERE find_id = ANY($1)",
        [find, other],
        batch,
    )
    # A job inserted naming a batch (nothing does, but the rule is the table's).
    await db.execute("DELETE FROM mint_jobs WHERE find_id = $1", other)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="batch reference"):
        await db.execute(
            "INSERT INTO mint_jobs (find_id, wallet, status, batch_id) VALUES ($1, $2,"
            " 'submitted', $3)",
            other,
            "0x" + "a" * 40,
            MISSING,
        )
    await db.execute(
        "INSERT INTO mint_jobs (find_id, wallet, status, batch_id) VALUES ($1, $2,"
        " 'submitted', $3)",
        other,
        "0x" + "a" * 40,
        batch,
    )


async def test_a_named_batch_is_neither_deleted_nor_renumbered(
    database_url: str, db: asyncpg.Connection
) -> None:
    find = await one_job(database_url)
    batch = await new_batch(db, [find])
    await db.execute("UPDATE mint_jobs SET batch_id = $2 WHERE find_id = $1", find, batch)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="still referenced"):
        await db.execute("DELETE FROM mint_batches WHERE id = $1", batch)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="keeps its id"):
        await db.execute("UPDATE mint_batches SET id = $2 WHERE id = $1", batch, MISSING)
    # A batch that no job names may go; one whose jobs were requeued too.
    await db.execute("DELETE FROM mint_batches WHERE id = $1", await new_batch(db, []))
    await db.execute("UPDATE mint_jobs SET batch_id = NULL WHERE find_id = $1", find)
    await db.execute("DELETE FROM mint_batches WHERE id = $1", batch)


async def test_a_batch_deleted_while_a_claim_naming_it_is_open_is_refused(
    database_url: str,
) -> None:
    find = await one_job(database_url)
    claim, other = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        batch = await new_batch(claim, [find])
        writing = claim.transaction()
        await writing.start()
        await claim.execute("UPDATE mint_jobs SET batch_id = $2 WHERE find_id = $1", find, batch)
        deleting = asyncio.create_task(
            other.execute("DELETE FROM mint_batches WHERE id = $1", batch)
        )
        # The delete waits for the claim's lock on the batch, as it did for the foreign key's.
        pid = other.get_server_pid()
        for _ in range(100):
            waits = await claim.fetchval(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
            )
            if waits == "Lock":
                break
            await asyncio.sleep(0.05)
        assert waits == "Lock" and not deleting.done()
        await writing.commit()
        with pytest.raises(asyncpg.ForeignKeyViolationError, match="still referenced"):
            await deleting
        assert await claim.fetchval("SELECT count(*) FROM mint_batches WHERE id = $1", batch) == 1
    finally:
        await claim.close()
        await other.close()


async def test_a_moments_mint_names_only_a_batch_that_exists(
    api: Api, db: asyncpg.Connection
) -> None:
    episode = await Episode.make(api, rules={"moment_report_threshold": 1})
    signed_in = await siwe(api, Account.create(), 200)
    author = Fan(signed_in["hunter_id"], bearer(signed_in["token"]))
    await episode.finder(author)
    _, made = await episode.moment(author, note="the pond at dawn")
    _, approved = await decide(api, made["id"], "approve")
    token_id = approved["token_id"]
    with pytest.raises(asyncpg.ForeignKeyViolationError, match='"moment_mints" violates'):
        await db.execute(
            "UPDATE moment_mints SET batch_id = $2 WHERE token_id = $1", token_id, MISSING
        )
    batch = await new_batch(db, [token_id])
    await db.execute("UPDATE moment_mints SET batch_id = $2 WHERE token_id = $1", token_id, batch)
    with pytest.raises(asyncpg.ForeignKeyViolationError, match="still referenced"):
        await db.execute("DELETE FROM mint_batches WHERE id = $1", batch)
