"""The advisory lock registry (ids never shared; the one the SQL writes as a literal agrees;
session locks held by one connection) and LISTEN/NOTIFY with its polling fallback."""

from __future__ import annotations

import re

import asyncpg

from infra.listen import Notifications, connection_alive
from infra.locks import AdvisoryLock, release_session_lock, try_session_lock
from infra.migrate import SCHEMA_FILE


def test_lock_ids_are_distinct() -> None:
    values = [lock.value for lock in AdvisoryLock]
    assert len(values) == len(set(values))


def test_the_sql_leak_lock_is_the_registered_one() -> None:
    used = set(re.findall(r"pg_advisory_xact_lock\((\d+),", SCHEMA_FILE.read_text()))
    assert used == {str(AdvisoryLock.LEAK_COUNT.value)}


async def test_a_session_lock_is_held_by_one_connection_until_released_or_closed(
    database_url: str,
) -> None:
    first, second = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    try:
        key = 424242
        assert await try_session_lock(first, AdvisoryLock.MINT_SENDER, key)
        assert not await try_session_lock(second, AdvisoryLock.MINT_SENDER, key)
        # Another key of the same space, and the one-int form of the same id, are other locks.
        assert await try_session_lock(second, AdvisoryLock.MINT_SENDER, key + 1)
        assert await try_session_lock(second, AdvisoryLock.MINT_SENDER)
        assert await release_session_lock(first, AdvisoryLock.MINT_SENDER, key)
        assert await try_session_lock(second, AdvisoryLock.MINT_SENDER, key)
        # A process that dies frees its locks with its connection.
        await second.close()
        assert await try_session_lock(first, AdvisoryLock.MINT_SENDER, key)
        assert await try_session_lock(first, AdvisoryLock.MINT_SENDER)
    finally:
        await first.close()
        if not second.is_closed():
            await second.close()


async def test_notifications_arrive_in_batches_and_wait_times_out_for_the_poll(
    database_url: str,
) -> None:
    channel = "geohunt_test_listen"
    listener, writer = await asyncpg.connect(database_url), await asyncpg.connect(database_url)
    notifications = Notifications(channel)
    try:
        await notifications.attach(listener)
        assert await notifications.wait(0.05) == []
        async with writer.transaction():
            for n in range(3):
                await writer.execute("SELECT pg_notify($1, $2)", channel, f"row:{n}")
        # Delivered on commit, together.
        got = await notifications.wait(5.0)
        while len(got) < 3:
            got += await notifications.wait(5.0)
        assert got == ["row:0", "row:1", "row:2"]
        await notifications.detach(listener)
        await writer.execute("SELECT pg_notify($1, 'after')", channel)
        assert await notifications.wait(0.2) == []
        assert connection_alive(listener)
    finally:
        await listener.close()
        await writer.close()
    assert not connection_alive(listener)
    assert not connection_alive(None)
