"""The organisers' figures for one hunt, aggregated from plain rollup rows: per episode
(collectible), per clue, per city, rejections by code and scans per hour.

- scans: every recorded attempt at one of the collectible's clues, whatever its verdict;
- finds: verified finds; unique hunters: hunters who ever scanned one of its clues;
- mints: finds whose token is minted; transfers: Transfer events between two holders (not the
  mint);
- on site: finds at billboards, digital screens and AR spots; online: finds of social drops;
- scenes: the loves of fans' approved moments per minute of the episode (where a moment's scene
  time falls, `hunt_engine.moments.scene_minute`), with how many moments that minute holds;
- swaps_in: completed swaps whose maker traded to get one of its tokens (it was wanted);
  swaps_out: completed swaps whose maker traded one of its tokens away (it was given).

The adapter (`server.ratings.figures`) reads the rows; `hunt_figures` is the whole answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hunt_engine.moments import scene_minute

ON_SITE_KINDS = frozenset({"billboard", "digital", "ar"})
ACCEPTED = "accepted"


@dataclass(frozen=True, slots=True)
class HuntFacts:
    slug: str
    name: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class CollectibleRow:
    """One collectible with its catalog counters: `found` finds, `scanners` unique hunters,
    `minted` mints, and its first find's time."""

    id: int
    key: str
    name: str
    episode: str | None
    supply: int | None
    found: int
    scanners: int
    minted: int
    first_find_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClueRow:
    """One clue with its own finds counter."""

    id: int
    collectible_id: int
    kind: str
    label: str
    city: str | None
    finds: int
    active: bool


@dataclass(frozen=True, slots=True)
class ScanCount:
    """`n` scans of one clue with one verdict."""

    clue_id: int
    verdict: str
    n: int


@dataclass(frozen=True, slots=True)
class HourCount:
    """Scans in one hour, and how many of them were finds (None: none)."""

    hour: datetime
    scans: int
    finds: int | None


@dataclass(frozen=True, slots=True)
class TransferCount:
    """Transfers between holders of one collectible's tokens, and how many tokens moved."""

    collectible_id: int
    transfers: int
    tokens: int


@dataclass(frozen=True, slots=True)
class SceneCount:
    """Approved moments of one collectible at one scene time, and their loves."""

    collectible_id: int
    scene_s: int
    moments: int
    loves: int


@dataclass(frozen=True, slots=True)
class SwapCount:
    """Completed swaps of one collectible: wanted by their maker (in), given by it (out)."""

    collectible_id: int
    swaps_in: int
    swaps_out: int


def scenes_by_minute(scenes: Sequence[SceneCount]) -> dict[int, list[dict[str, int]]]:
    """Per collectible, its minutes with moments, in order: `{minute, loves, moments}`."""
    minutes: dict[int, dict[int, dict[str, int]]] = defaultdict(dict)
    for row in scenes:
        minute = scene_minute(row.scene_s)
        cell = minutes[row.collectible_id].setdefault(
            minute, {"minute": minute, "loves": 0, "moments": 0}
        )
        cell["loves"] += row.loves
        cell["moments"] += row.moments
    return {c: [cells[m] for m in sorted(cells)] for c, cells in minutes.items()}


def share(part: int, whole: int) -> float | None:
    """`part / whole` to four places; None when there is no whole."""
    return None if whole == 0 else round(part / whole, 4)


def hunt_figures(
    hunt: HuntFacts,
    collectibles: Sequence[CollectibleRow],
    clues: Sequence[ClueRow],
    scans: Sequence[ScanCount],
    hours: Sequence[HourCount],
    transfers: Sequence[TransferCount],
    scenes: Sequence[SceneCount] = (),
    swaps: Sequence[SwapCount] = (),
) -> dict[str, Any]:
    """Every figure of `GET /v1/hunts/{slug}/stats`; every clue's collectible must be among
    `collectibles`, and `collectibles`, `clues` and `hours` come in the order they are shown."""
    moved_by = {t.collectible_id: t for t in transfers}
    scenes_of = scenes_by_minute(scenes)
    swapped = {s.collectible_id: s for s in swaps}

    clue_scans: dict[int, int] = defaultdict(int)
    rejections: dict[str, int] = defaultdict(int)
    clue_rejections: dict[int, int] = defaultdict(int)
    for row in scans:
        clue_scans[row.clue_id] += row.n
        if row.verdict != ACCEPTED:
            rejections[row.verdict] += row.n
            clue_rejections[row.clue_id] += row.n

    keys = {c.id: c.key for c in collectibles}
    per_collectible: dict[int, dict[str, int]] = defaultdict(
        lambda: {"scans": 0, "on_site": 0, "online": 0}
    )
    cities: dict[str | None, dict[str, Any]] = {}
    clue_list: list[dict[str, Any]] = []
    for clue in clues:
        scanned, rejected, found = clue_scans[clue.id], clue_rejections[clue.id], clue.finds
        figures = per_collectible[clue.collectible_id]
        figures["scans"] += scanned
        figures["on_site" if clue.kind in ON_SITE_KINDS else "online"] += found
        city = cities.setdefault(
            clue.city,
            {"city": clue.city, "clues": 0, "scans": 0, "finds": 0, "rejections": 0},
        )
        city["clues"] += 1
        city["scans"] += scanned
        city["finds"] += found
        city["rejections"] += rejected
        clue_list.append(
            {
                "id": clue.id,
                "kind": clue.kind,
                "collectible": keys[clue.collectible_id],
                "label": clue.label,
                "city": clue.city,
                "active": clue.active,
                "scans": scanned,
                "finds": found,
                "rejections": rejected,
            }
        )

    collectible_list: list[dict[str, Any]] = []
    for c in collectibles:
        figures = per_collectible[c.id]
        moved = moved_by.get(c.id)
        traded = swapped.get(c.id)
        first = c.first_find_at
        collectible_list.append(
            {
                "key": c.key,
                "name": c.name,
                "episode": c.episode,
                "supply": c.supply,
                "scans": figures["scans"],
                "finds": c.found,
                "unique_hunters": c.scanners,
                "mints": c.minted,
                "first_find_at": first,
                "first_find_after_s": None
                if first is None
                else round((first - hunt.starts_at).total_seconds(), 3),
                "on_site_finds": figures["on_site"],
                "online_finds": figures["online"],
                "on_site_share": share(figures["on_site"], figures["on_site"] + figures["online"]),
                "transfers": 0 if moved is None else moved.transfers,
                "tokens_transferred": 0 if moved is None else moved.tokens,
                "scenes": scenes_of.get(c.id, []),
                "swaps_in": 0 if traded is None else traded.swaps_in,
                "swaps_out": 0 if traded is None else traded.swaps_out,
            }
        )

    on_site = sum(c["on_site_finds"] for c in collectible_list)
    online = sum(c["online_finds"] for c in collectible_list)
    return {
        "hunt": {
            "slug": hunt.slug,
            "name": hunt.name,
            "starts_at": hunt.starts_at,
            "ends_at": hunt.ends_at,
        },
        "totals": {
            "scans": sum(r.n for r in scans),
            "finds": sum(c["finds"] for c in collectible_list),
            "mints": sum(c["mints"] for c in collectible_list),
            "transfers": sum(c["transfers"] for c in collectible_list),
            "rejections": sum(rejections.values()),
            "on_site_finds": on_site,
            "online_finds": online,
            "on_site_share": share(on_site, on_site + online),
        },
        "collectibles": collectible_list,
        "clues": clue_list,
        "cities": sorted(cities.values(), key=lambda c: (-c["finds"], c["city"] or "")),
        "rejections": dict(sorted(rejections.items(), key=lambda kv: (-kv[1], kv[0]))),
        "scans_per_hour": [
            {"hour": r.hour, "scans": r.scans, "finds": r.finds or 0} for r in hours
        ],
    }
