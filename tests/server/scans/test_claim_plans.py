"""claim_finds keeps its plans for a connection's life (generic plans, migration 0019), so a
plan made while a new hunt's tables were a page long must still be right when they have grown:
no statement of a claim, nor of the triggers it fires, may read a table from end to end
(migration 0021). auto_explain shows the plans PostgreSQL chose for each nested statement."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import asyncpg
import pytest

from bench.mint.finds import CLAIM_MANY, seed_hunt
from server.scans.queries import CLAIMS_SQL

# The tables a claim reads or writes, its triggers' included.
APP_TABLES = (
    "hunts|hunters|clues|collectibles|finds|hunt_scores|mint_jobs|scan_attempts|taste_sets"
    "|taste_groups|live_events|scan_counts|collectible_counts|collectible_scanners"
)
SEQ_SCAN = re.compile(rf"Seq Scan on ({APP_TABLES})\b")


@pytest.fixture
async def small_hunt(own_database: str) -> AsyncIterator[tuple[str, tuple[int, int, int, int]]]:
    """A database whose hunt has 60 finds, analysed then: the statistics of a hunt's first
    minute, when autovacuum has looked at it once (a few rows, each table a page)."""
    conn = await asyncpg.connect(own_database)
    try:
        hunt, free, free_clue = await seed_hunt(conn)
        limited = await conn.fetchval(
            "INSERT INTO collectibles (hunt_id, key, name, image_url, supply) VALUES"
            " ($1, 'rare', 'Rare', 'https://img.test/r.png', 100) RETURNING id",
            hunt,
        )
        limited_clue = await conn.fetchval(
            "INSERT INTO clues (hunt_id, collectible_id, kind, label, created_by, max_finds)"
            " VALUES ($1, $2, 'social', 'Rare drop', 'test', 100) RETURNING id",
            hunt,
            limited,
        )
        await conn.fetch(CLAIM_MANY, hunt, free, free_clue, 60)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    yield own_database, (hunt, free, limited, limited_clue)


async def test_a_claim_on_a_new_connection_probes_indexes_after_an_early_analyze(
    small_hunt: tuple[str, tuple[int, int, int, int]],
) -> None:
    url, (hunt, free, limited, limited_clue) = small_hunt
    conn = await asyncpg.connect(url)
    try:
        hunters = [
            r["id"]
            for r in await conn.fetch(
                "INSERT INTO hunters (wallet) SELECT '0x' || lpad(to_hex(g), 40, '0')"
                " FROM generate_series(1, 2) g RETURNING id"
            )
        ]
        free_clue = await conn.fetchval("SELECT id FROM clues WHERE collectible_id = $1", free)
        plans: list[str] = []
        conn.add_log_listener(lambda _, message: plans.append(message.message))
        await conn.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice"
        )
        # The connection's first claim: its plans are made now, from those statistics. One
        # claim of a limited collectible (the counters moved claim by claim) and one of a free.
        claims = await conn.fetch(
            CLAIMS_SQL,
            hunters,
            [0, 0],
            [hunt, hunt],
            [limited, free],
            [limited_clue, free_clue],
            *[[None, None]] * 5,
            ["device", "device"],
            [None, None],
        )
        await conn.execute("SET auto_explain.log_min_duration = -1")
    finally:
        await conn.close()
    assert [c["verdict"] for c in claims] == ["accepted", "accepted"]
    text = "\n".join(plans)
    # The plans of the claim's own writes and of its triggers are there to be read...
    for statement in (
        "Insert on finds",
        "Insert on mint_jobs",
        "Insert on scan_attempts",
        "Insert on live_events",
        "Insert on taste_sets",
        "Update on clues",
    ):
        assert statement in text
    # ...and none of them scans a table.
    assert SEQ_SCAN.findall(text) == []
    assert "Index Scan using hunt_scores_pkey" in text
