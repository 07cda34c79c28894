"""The organisers' figures for one hunt, read from the rollups that triggers keep current
(migration 0005) and from the catalog's own counters, so that a hunt of a million scans is
answered from a few thousand rows.

- scans: every recorded attempt at one of the collectible's clues, whatever its verdict;
- finds: verified finds; unique hunters: hunters who ever scanned one of its clues;
- mints: finds whose token is minted; transfers: Transfer events between two holders (not the
  mint), as `geohunt follow` read them from the chain;
- on site: finds at billboards, digital screens and AR spots; online: finds of social drops.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import asyncpg

ON_SITE_KINDS = frozenset({"billboard", "digital", "ar"})
ACCEPTED = "accepted"

COLLECTIBLES_SQL = """
SELECT c.id, c.key, c.name, c.episode, c.supply, c.found,
       COALESCE(cc.scanners, 0) AS scanners, COALESCE(cc.minted, 0) AS minted,
       (SELECT min(f.found_at) FROM finds f WHERE f.collectible_id = c.id) AS first_find_at
FROM collectibles c LEFT JOIN collectible_counts cc ON cc.collectible_id = c.id
WHERE c.hunt_id = $1
ORDER BY c.id
"""

CLUES_SQL = """
SELECT id, collectible_id, kind, label, city, finds, active FROM clues
WHERE hunt_id = $1 ORDER BY id
"""

SCANS_BY_CLUE_SQL = """
SELECT clue_id, verdict, sum(n)::bigint AS n FROM scan_counts WHERE hunt_id = $1 GROUP BY 1, 2
"""

SCANS_BY_HOUR_SQL = """
SELECT hour, sum(n)::bigint AS scans, (sum(n) FILTER (WHERE verdict = 'accepted'))::bigint AS finds
FROM scan_counts WHERE hunt_id = $1 GROUP BY hour ORDER BY hour
"""

# Transfers of the tokens minted for this hunt's finds, on the contract each was minted on.
TRANSFERS_SQL = """
SELECT f.collectible_id, count(*) AS transfers, count(DISTINCT t.token_id) AS tokens
FROM token_transfers t
JOIN finds f ON f.id = t.token_id
JOIN mint_jobs j ON j.find_id = f.id AND lower(j.contract) = t.contract
WHERE t.secondary AND f.hunt_id = $1
GROUP BY 1
"""


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


async def hunt_stats(conn: asyncpg.Connection, hunt: asyncpg.Record) -> dict[str, Any]:
    """Every figure of `GET /v1/hunts/{slug}/stats` for `hunt` (a row with id, slug, name,
    starts_at, ends_at)."""
    hunt_id = hunt["id"]
    collectibles = await conn.fetch(COLLECTIBLES_SQL, hunt_id)
    clues = await conn.fetch(CLUES_SQL, hunt_id)
    scans = await conn.fetch(SCANS_BY_CLUE_SQL, hunt_id)
    hours = await conn.fetch(SCANS_BY_HOUR_SQL, hunt_id)
    transfers = {r["collectible_id"]: r for r in await conn.fetch(TRANSFERS_SQL, hunt_id)}

    clue_scans: dict[int, int] = defaultdict(int)
    rejections: dict[str, int] = defaultdict(int)
    clue_rejections: dict[int, int] = defaultdict(int)
    for row in scans:
        clue_scans[row["clue_id"]] += row["n"]
        if row["verdict"] != ACCEPTED:
            rejections[row["verdict"]] += row["n"]
            clue_rejections[row["clue_id"]] += row["n"]

    keys = {c["id"]: c["key"] for c in collectibles}
    per_collectible: dict[int, dict[str, int]] = defaultdict(
        lambda: {"scans": 0, "on_site": 0, "online": 0}
    )
    cities: dict[str | None, dict[str, Any]] = {}
    clue_list = []
    for clue in clues:
        scanned, rejected, found = (
            clue_scans[clue["id"]],
            clue_rejections[clue["id"]],
            clue["finds"],
        )
        figures = per_collectible[clue["collectible_id"]]
        figures["scans"] += scanned
        figures["on_site" if clue["kind"] in ON_SITE_KINDS else "online"] += found
        city = cities.setdefault(
            clue["city"],
            {"city": clue["city"], "clues": 0, "scans": 0, "finds": 0, "rejections": 0},
        )
        city["clues"] += 1
        city["scans"] += scanned
        city["finds"] += found
        city["rejections"] += rejected
        clue_list.append(
            {
                "id": clue["id"],
                "kind": clue["kind"],
                "collectible": keys[clue["collectible_id"]],
                "label": clue["label"],
                "city": clue["city"],
                "active": clue["active"],
                "scans": scanned,
                "finds": found,
                "rejections": rejected,
            }
        )

    starts_at: datetime = hunt["starts_at"]
    collectible_list = []
    for c in collectibles:
        figures = per_collectible[c["id"]]
        moved = transfers.get(c["id"])
        first = c["first_find_at"]
        collectible_list.append(
            {
                "key": c["key"],
                "name": c["name"],
                "episode": c["episode"],
                "supply": c["supply"],
                "scans": figures["scans"],
                "finds": c["found"],
                "unique_hunters": c["scanners"],
                "mints": c["minted"],
                "first_find_at": first,
                "first_find_after_s": None
                if first is None
                else round((first - starts_at).total_seconds(), 3),
                "on_site_finds": figures["on_site"],
                "online_finds": figures["online"],
                "on_site_share": _share(figures["on_site"], figures["on_site"] + figures["online"]),
                "transfers": 0 if moved is None else moved["transfers"],
                "tokens_transferred": 0 if moved is None else moved["tokens"],
            }
        )

    on_site = sum(c["on_site_finds"] for c in collectible_list)
    online = sum(c["online_finds"] for c in collectible_list)
    total_scans = sum(r["n"] for r in scans)
    return {
        "hunt": {
            "slug": hunt["slug"],
            "name": hunt["name"],
            "starts_at": starts_at,
            "ends_at": hunt["ends_at"],
        },
        "totals": {
            "scans": total_scans,
            "finds": sum(c["finds"] for c in collectible_list),
            "mints": sum(c["mints"] for c in collectible_list),
            "transfers": sum(c["transfers"] for c in collectible_list),
            "rejections": sum(rejections.values()),
            "on_site_finds": on_site,
            "online_finds": online,
            "on_site_share": _share(on_site, on_site + online),
        },
        "collectibles": collectible_list,
        "clues": clue_list,
        "cities": sorted(cities.values(), key=lambda c: (-c["finds"], c["city"] or "")),
        "rejections": dict(sorted(rejections.items(), key=lambda kv: (-kv[1], kv[0]))),
        "scans_per_hour": [
            {"hour": r["hour"], "scans": r["scans"], "finds": r["finds"] or 0} for r in hours
        ],
    }
