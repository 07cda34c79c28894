"""The hunts, collectibles and clues every scan needs, held in memory by each server process.

Writers change rows in PostgreSQL; triggers bump a revision and NOTIFY on commit. Each process
listens and reloads the named row, and polls revisions as the fallback for a lost notification
(a dropped listener connection), so several processes agree within moments.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from geo.coords import LatLon
from geo.fences import parse_geofence
from geo.index import FenceIndex
from hunt_engine.hints import location_gap_m
from hunt_engine.models import ArAnchor, Clue, ClueKind, Collectible, Hunt
from hunt_engine.rules import HuntRules
from infra.listen import Notifications, connection_alive
from server.common.queries import (
    CATALOG_CLUE_SQL,
    CATALOG_CLUES_BY_IDS_SQL,
    CATALOG_CLUES_CHANGED_SQL,
    CATALOG_CLUES_SQL,
    CATALOG_COLLECTIBLE_SQL,
    CATALOG_COLLECTIBLES_BY_IDS_SQL,
    CATALOG_COLLECTIBLES_CHANGED_SQL,
    CATALOG_COLLECTIBLES_SQL,
    CATALOG_HUNT_SQL,
    CATALOG_HUNTS_BY_IDS_SQL,
    CATALOG_HUNTS_CHANGED_SQL,
    CATALOG_HUNTS_SQL,
)

log = logging.getLogger(__name__)

CHANNEL = "geohunt_catalog"


def hunt_from_row(row: asyncpg.Record) -> Hunt:
    rules = row["rules"]
    if isinstance(rules, str):
        rules = json.loads(rules)
    return Hunt(
        id=row["id"],
        slug=row["slug"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        rules=HuntRules.from_mapping(rules),
    )


def clue_from_row(row: asyncpg.Record) -> Clue:
    location = None if row["lat"] is None else LatLon(row["lat"], row["lon"])
    kind = ClueKind(row["kind"])
    fence = None
    if kind.located and location is not None:
        raw = row["geofence"]
        fence = parse_geofence(json.loads(raw) if isinstance(raw, str) else raw, location)
    ar = row["ar"]
    if isinstance(ar, str):
        ar = json.loads(ar)
    return Clue(
        id=row["id"],
        hunt_id=row["hunt_id"],
        collectible_id=row["collectible_id"],
        kind=kind,
        location=location,
        fence=fence,
        active=row["active"],
        active_from=row["active_from"],
        active_until=row["active_until"],
        ar=None if ar is None else ArAnchor.from_mapping(ar),
    )


class Catalog:
    def __init__(self) -> None:
        self.hunts: dict[int, Hunt] = {}
        self.hunt_ids: dict[str, int] = {}
        self.collectibles: dict[int, Collectible] = {}
        self.clues: dict[int, Clue] = {}
        # Each clue's code version: a printed code of an older one was replaced (reissued).
        self.code_versions: dict[int, int] = {}
        self.fences: dict[int, FenceIndex] = {}
        # Per hunt, the farthest any clue's location lies outside its fence (hints search that
        # much beyond their radius); only ever grows, which keeps it a safe bound.
        self.location_gaps: dict[int, float] = {}
        self._max_rev = 0
        self._poll_floor = 0

    # --- lookups used by the scan path ---------------------------------------------------

    def hunt_by_slug(self, slug: str) -> Hunt | None:
        hunt_id = self.hunt_ids.get(slug)
        return None if hunt_id is None else self.hunts.get(hunt_id)

    def code_version(self, clue_id: int) -> int:
        """The clue's current code version (0 until its printed code is first reissued)."""
        return self.code_versions.get(clue_id, 0)

    def fences_of(self, hunt_id: int) -> FenceIndex:
        index = self.fences.get(hunt_id)
        if index is None:
            index = self.fences[hunt_id] = FenceIndex()
        return index

    # --- applying rows -------------------------------------------------------------------

    def _seen(self, rev: int) -> None:
        self._max_rev = max(self._max_rev, rev)

    def put_hunt(self, row: asyncpg.Record) -> None:
        hunt = hunt_from_row(row)
        old = self.hunts.get(hunt.id)
        if old is not None and old.slug != hunt.slug:
            self.hunt_ids.pop(old.slug, None)
        self.hunts[hunt.id] = hunt
        self.hunt_ids[hunt.slug] = hunt.id
        self._seen(row["rev"])

    def put_collectible(self, row: asyncpg.Record) -> None:
        self.collectibles[row["id"]] = Collectible(
            id=row["id"],
            hunt_id=row["hunt_id"],
            key=row["key"],
            name=row["name"],
            episode=row["episode"],
        )
        self._seen(row["rev"])

    def _note_gap(self, clue: Clue) -> None:
        gap = location_gap_m(clue)
        if gap > self.location_gaps.get(clue.hunt_id, 0.0):
            self.location_gaps[clue.hunt_id] = gap

    def put_clue(self, row: asyncpg.Record) -> None:
        try:
            clue = clue_from_row(row)
        except ValueError:
            # Rows are validated on the way in; a bad one must not stop the others loading.
            log.exception("clue %s has an unusable geofence; skipped", row["id"])
            return
        self.clues[clue.id] = clue
        self.code_versions[clue.id] = row["code_version"]
        self._note_gap(clue)
        index = self.fences_of(clue.hunt_id)
        if clue.fence is not None and clue.active:
            # Hints measure to the clue's location: it is the fence's spot in the index.
            index.upsert(clue.id, clue.fence, clue.location)
        elif clue.id in index:
            index.remove(clue.id)
        self._seen(row["rev"])

    # --- loading -------------------------------------------------------------------------

    async def load_all(self, conn: asyncpg.Connection) -> None:
        for row in await conn.fetch(CATALOG_HUNTS_SQL):
            self.put_hunt(row)
        for row in await conn.fetch(CATALOG_COLLECTIBLES_SQL):
            self.put_collectible(row)
        by_hunt: dict[int, list[tuple[int, Any]]] = {}
        spots: dict[int, dict[int, LatLon]] = {}
        for row in await conn.fetch(CATALOG_CLUES_SQL):
            try:
                clue = clue_from_row(row)
            except ValueError:
                log.exception("clue %s has an unusable geofence; skipped", row["id"])
                continue
            self.clues[clue.id] = clue
            self.code_versions[clue.id] = row["code_version"]
            self._note_gap(clue)
            if clue.fence is not None and clue.active:
                by_hunt.setdefault(clue.hunt_id, []).append((clue.id, clue.fence))
                if clue.location is not None:
                    spots.setdefault(clue.hunt_id, {})[clue.id] = clue.location
            self._seen(row["rev"])
        for hunt_id, items in by_hunt.items():
            self.fences[hunt_id] = FenceIndex.from_items(items, spots=spots.get(hunt_id))
        self._poll_floor = self._max_rev

    async def reload(self, conn: asyncpg.Connection, table: str, row_id: int) -> None:
        if table == "hunts":
            row = await conn.fetchrow(CATALOG_HUNT_SQL, row_id)
            if row is not None:
                self.put_hunt(row)
        elif table == "collectibles":
            row = await conn.fetchrow(CATALOG_COLLECTIBLE_SQL, row_id)
            if row is not None:
                self.put_collectible(row)
        elif table == "clues":
            row = await conn.fetchrow(CATALOG_CLUE_SQL, row_id)
            if row is not None:
                self.put_clue(row)

    async def reload_many(self, conn: asyncpg.Connection, table: str, ids: list[int]) -> None:
        """`reload` for many rows in one query (a bulk import); leaves the poll floor alone."""
        sql, put = {
            "hunts": (CATALOG_HUNTS_BY_IDS_SQL, self.put_hunt),
            "collectibles": (CATALOG_COLLECTIBLES_BY_IDS_SQL, self.put_collectible),
            "clues": (CATALOG_CLUES_BY_IDS_SQL, self.put_clue),
        }[table]
        for row in await conn.fetch(sql, ids):
            put(row)

    async def clue(self, pool: asyncpg.Pool, clue_id: int, code_version: int = 0) -> Clue | None:
        """The clue, loading it if this process has not heard of it yet (a fresh insert), or
        has not heard of its code version `code_version` yet (a signed code of a reissue
        committed by another process, whose NOTIFY is still on its way)."""
        clue = self.clues.get(clue_id)
        if clue is not None and code_version > self.code_version(clue_id):
            async with pool.acquire() as conn:
                await self.reload(conn, "clues", clue_id)
            clue = self.clues.get(clue_id)
        if clue is None:
            async with pool.acquire() as conn:
                await self.reload(conn, "clues", clue_id)
                clue = self.clues.get(clue_id)
                if clue is not None and clue.hunt_id not in self.hunts:
                    await self.reload(conn, "hunts", clue.hunt_id)
                if clue is not None and clue.collectible_id not in self.collectibles:
                    await self.reload(conn, "collectibles", clue.collectible_id)
        return clue

    async def poll(self, conn: asyncpg.Connection) -> None:
        """Reload rows whose revision is newer than two polls ago.

        Revisions are taken before commit, so a row can commit after a newer one was seen;
        re-reading from the older floor catches any commit delayed by less than a poll period.
        """
        floor, self._poll_floor = self._poll_floor, self._max_rev
        for row in await conn.fetch(CATALOG_HUNTS_CHANGED_SQL, floor):
            self.put_hunt(row)
        for row in await conn.fetch(CATALOG_COLLECTIBLES_CHANGED_SQL, floor):
            self.put_collectible(row)
        for row in await conn.fetch(CATALOG_CLUES_CHANGED_SQL, floor):
            self.put_clue(row)


@contextlib.asynccontextmanager
async def kept_current(
    catalog: Catalog, pool: asyncpg.Pool, poll_s: float = 5.0
) -> AsyncIterator[Catalog]:
    """Load the catalog, then follow NOTIFYs and poll until the context exits.

    The poll runs every `poll_s` even while notifications keep coming, and a listener whose
    connection dropped is replaced at the next poll, which re-reads what it missed.
    """
    notifications = Notifications(CHANNEL)
    loop = asyncio.get_running_loop()

    async def listen() -> asyncpg.Connection:
        conn = await pool.acquire()
        try:
            await notifications.attach(conn)
        except BaseException:
            await pool.release(conn)
            raise
        return conn

    listener = await listen()
    async with pool.acquire() as conn:
        await catalog.load_all(conn)

    async def follow() -> None:
        nonlocal listener
        next_poll = loop.time() + poll_s
        while True:
            payloads = await notifications.wait(next_poll - loop.time())
            try:
                if payloads:
                    await reload_batch(catalog, pool, by_table(payloads))
                    continue
                next_poll = loop.time() + poll_s
                if not connection_alive(listener):
                    log.warning("catalog listener connection lost; listening again")
                    await notifications.detach(listener)
                    with contextlib.suppress(Exception):
                        await pool.release(listener)
                    listener = await listen()
                async with pool.acquire() as conn:
                    await catalog.poll(conn)
            except Exception:
                # Whatever failed (a dropped connection is an InterfaceError, not a
                # PostgresError), the follower must live on: a dead one leaves this process
                # serving a stale catalog for good. The next poll re-reads what was missed.
                log.warning("catalog refresh failed; retrying at the next poll", exc_info=True)

    task = asyncio.create_task(follow(), name="catalog-follow")
    try:
        yield catalog
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # our caller is being cancelled too: not ours to swallow
        finally:
            # Even when shutdown cancels us: a listener never given back makes pool.close() wait
            # for ever, and `geohunt serve` would not exit on SIGTERM.
            await notifications.detach(listener)
            with contextlib.suppress(Exception):
                await pool.release(listener)


# Parents first, so that a clue never arrives before its hunt.
_TABLES = ("hunts", "collectibles", "clues")


def by_table(payloads: list[str]) -> dict[str, list[int]]:
    """Notification payloads (`table:id`) as row ids per table: a bulk import in another
    process then costs a few queries here, not one per clue."""
    found: dict[str, list[int]] = {}
    for payload in payloads:
        table, _, row_id = payload.partition(":")
        if table in _TABLES and row_id.isdigit():
            found.setdefault(table, []).append(int(row_id))
    return found


async def reload_batch(
    catalog: Catalog, pool: asyncpg.Pool, by_table: dict[str, list[int]]
) -> None:
    async with pool.acquire() as conn:
        for table in _TABLES:
            if table in by_table:
                await catalog.reload_many(conn, table, by_table[table])
