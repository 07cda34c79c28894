"""Reissuing a printed code: the answer to a leaked one (a photo of a billboard circulating).

The clue's code version goes up by one in the transaction that records the reissue in the
clue's history; from its commit every code of an earlier version is refused `code_revoked`, in
this process at once (the caller reloads the catalog) and in the others as soon as the NOTIFY
of the change arrives (a scan of the new code that arrives before it reloads the clue itself).
"""

from __future__ import annotations

import asyncpg

from hunt_engine.errors import NotPrinted, RotatingClue
from server.clues import store as clue_store
from server.clues.queries import HISTORY_OF_REISSUE_SQL, REISSUE_SQL
from server.http.auth import Principal


async def reissue(
    conn: asyncpg.Connection, clue_id: int, who: Principal, reason: str | None
) -> asyncpg.Record:
    """Give the printed clue `clue_id` its next code version, kept in its history with who,
    when and `reason`; the clue's row after it."""
    async with conn.transaction():
        row = await clue_store.fetch_clue(conn, clue_id, lock=True)
        who.check_hunt(row["hunt"])
        if row["kind"] == "digital":
            raise RotatingClue(
                "a digital clue's code rotates by itself: each is good for its step and the next"
            )
        if row["kind"] not in clue_store.PRINTED:
            raise NotPrinted()
        version = await conn.fetchval(REISSUE_SQL, clue_id)
        changes: dict[str, object] = {"code_version": {"from": version - 1, "to": version}}
        if reason is not None:
            changes["reason"] = reason
        await conn.execute(HISTORY_OF_REISSUE_SQL, clue_id, who.sub, str(who.role), changes)
        return await clue_store.fetch_clue(conn, clue_id)
