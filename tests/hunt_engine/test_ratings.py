"""The stats aggregation over plain rollup rows, without a database: a hand-counted scenario,
and properties of any consistent set of rollups (shares, totals and their parts, hours)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from hunt_engine.ratings import (
    ACCEPTED,
    ON_SITE_KINDS,
    ClueRow,
    CollectibleRow,
    HourCount,
    HuntFacts,
    ScanCount,
    SceneCount,
    TransferCount,
    hunt_figures,
    scenes_by_minute,
    share,
)

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
HUNT = HuntFacts(slug="robots", name="Robots", starts_at=START, ends_at=START + timedelta(days=2))
VERDICTS = (ACCEPTED, "outside_geofence", "impossible_travel", "already_found", "sold_out")
KINDS = ("billboard", "digital", "social", "ar")


def collectible(id: int, found: int = 0, **fields: Any) -> CollectibleRow:
    base: dict[str, Any] = {
        "id": id,
        "key": f"c{id}",
        "name": f"Episode {id}",
        "episode": None,
        "supply": None,
        "found": found,
        "scanners": 0,
        "minted": 0,
        "first_find_at": None,
    }
    base.update(fields)
    return CollectibleRow(**base)


def test_the_hand_counted_scenario() -> None:
    """tests/server/ratings/test_stats.py's scenario: two episodes, three clues, seven scans."""
    first = START + timedelta(minutes=90, seconds=1.5)
    a = collectible(1, found=2, supply=10, scanners=3, minted=1, first_find_at=first)
    b = collectible(2, found=1, scanners=2)
    clues = [
        ClueRow(11, 1, "billboard", "A board", "New York", finds=1, active=True),
        ClueRow(12, 1, "social", "A drop", None, finds=1, active=True),
        ClueRow(13, 2, "billboard", "B board", "Boston", finds=1, active=False),
    ]
    scans = [
        ScanCount(11, ACCEPTED, 1),
        ScanCount(11, "outside_geofence", 1),
        ScanCount(11, "impossible_travel", 1),
        ScanCount(12, ACCEPTED, 1),
        ScanCount(12, "already_found", 1),
        ScanCount(13, ACCEPTED, 1),
        ScanCount(13, "outside_geofence", 1),
    ]
    hour = START + timedelta(hours=1)
    stats = hunt_figures(
        HUNT, [a, b], clues, scans, [HourCount(hour, 7, 3)], [TransferCount(1, 2, 1)]
    )

    assert stats["hunt"] == {
        "slug": "robots",
        "name": "Robots",
        "starts_at": START,
        "ends_at": START + timedelta(days=2),
    }
    assert stats["totals"] == {
        "scans": 7,
        "finds": 3,
        "mints": 1,
        "transfers": 2,
        "rejections": 4,
        "on_site_finds": 2,
        "online_finds": 1,
        "on_site_share": 0.6667,
    }
    assert stats["collectibles"] == [
        {
            "key": "c1",
            "name": "Episode 1",
            "episode": None,
            "supply": 10,
            "scans": 5,
            "finds": 2,
            "unique_hunters": 3,
            "mints": 1,
            "first_find_at": first,
            "first_find_after_s": 5401.5,
            "on_site_finds": 1,
            "online_finds": 1,
            "on_site_share": 0.5,
            "transfers": 2,
            "tokens_transferred": 1,
            "scenes": [],
            "swaps_in": 0,
            "swaps_out": 0,
        },
        {
            "key": "c2",
            "name": "Episode 2",
            "episode": None,
            "supply": None,
            "scans": 2,
            "finds": 1,
            "unique_hunters": 2,
            "mints": 0,
            "first_find_at": None,
            "first_find_after_s": None,
            "on_site_finds": 1,
            "online_finds": 0,
            "on_site_share": 1.0,
            "transfers": 0,
            "tokens_transferred": 0,
            "scenes": [],
            "swaps_in": 0,
            "swaps_out": 0,
        },
    ]
    figures = [
        (c["id"], c["collectible"], c["scans"], c["finds"], c["rejections"]) for c in stats["clues"]
    ]
    assert figures == [(11, "c1", 3, 1, 2), (12, "c1", 2, 1, 1), (13, "c2", 2, 1, 1)]
    assert stats["clues"][2] == {
        "id": 13,
        "kind": "billboard",
        "collectible": "c2",
        "label": "B board",
        "city": "Boston",
        "active": False,
        "scans": 2,
        "finds": 1,
        "rejections": 1,
    }
    # Most finds first, then by name, the clues without a city ("") before the named ones.
    assert stats["cities"] == [
        {"city": None, "clues": 1, "scans": 2, "finds": 1, "rejections": 1},
        {"city": "Boston", "clues": 1, "scans": 2, "finds": 1, "rejections": 1},
        {"city": "New York", "clues": 1, "scans": 3, "finds": 1, "rejections": 2},
    ]
    # Most frequent first, ties by code.
    assert list(stats["rejections"].items()) == [
        ("outside_geofence", 2),
        ("already_found", 1),
        ("impossible_travel", 1),
    ]
    assert stats["scans_per_hour"] == [{"hour": hour, "scans": 7, "finds": 3}]


def test_an_empty_hunt_has_zeros_and_no_shares() -> None:
    stats = hunt_figures(HUNT, [collectible(1)], [], [], [], [])
    assert stats["totals"] == {
        "scans": 0,
        "finds": 0,
        "mints": 0,
        "transfers": 0,
        "rejections": 0,
        "on_site_finds": 0,
        "online_finds": 0,
        "on_site_share": None,
    }
    [only] = stats["collectibles"]
    assert (only["scans"], only["on_site_share"], only["transfers"]) == (0, None, 0)
    assert (stats["clues"], stats["cities"], stats["rejections"]) == ([], [], {})
    assert stats["scans_per_hour"] == []


def test_an_hour_without_finds_shows_zero() -> None:
    stats = hunt_figures(HUNT, [], [], [], [HourCount(START, 4, None)], [])
    assert stats["scans_per_hour"] == [{"hour": START, "scans": 4, "finds": 0}]


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_a_share_is_a_fraction_or_none(part: int, rest: int) -> None:
    s = share(part, part + rest)
    if part + rest == 0:
        assert s is None
    else:
        assert s is not None and 0.0 <= s <= 1.0
        assert abs(s - part / (part + rest)) <= 0.00005 + 1e-12


# --- any consistent set of rollups -----------------------------------------------------------

Scan = tuple[int, str, int]  # clue id, verdict, hour


@st.composite
def hunts(draw: st.DrawFn) -> dict[str, Any]:
    """Collectibles, clues, and individual scans rolled up as the SQL rolls them up."""
    n_collectibles = draw(st.integers(1, 4))
    clue_specs = draw(
        st.lists(
            st.tuples(
                st.integers(1, n_collectibles),
                st.sampled_from(KINDS),
                st.sampled_from([None, "Boston", "New York", "Leeds"]),
            ),
            max_size=8,
        )
    )
    clue_ids = [100 + i for i in range(len(clue_specs))]
    events: list[Scan] = draw(
        st.lists(
            st.tuples(st.sampled_from(clue_ids), st.sampled_from(VERDICTS), st.integers(0, 30)),
            max_size=60,
        )
        if clue_ids
        else st.just([])
    )
    finds = Counter(clue for clue, verdict, _ in events if verdict == ACCEPTED)
    clues = [
        ClueRow(cid, col, kind, f"clue {cid}", city, finds[cid], True)
        for cid, (col, kind, city) in zip(clue_ids, clue_specs, strict=True)
    ]
    found = Counter[int]()
    for clue in clues:
        found[clue.collectible_id] += clue.finds
    collectibles = [
        collectible(i, found=found[i], minted=draw(st.integers(0, found[i])))
        for i in range(1, n_collectibles + 1)
    ]
    by_clue = Counter((clue, verdict) for clue, verdict, _ in events)
    by_hour = Counter(hour for _, _, hour in events)
    finds_by_hour = Counter(hour for _, verdict, hour in events if verdict == ACCEPTED)
    transfers = [
        TransferCount(c.id, draw(st.integers(0, 5)), draw(st.integers(0, 5)))
        for c in collectibles
        if draw(st.booleans())
    ]
    return {
        "collectibles": collectibles,
        "clues": clues,
        "scans": [ScanCount(clue, verdict, n) for (clue, verdict), n in by_clue.items()],
        "hours": [
            HourCount(START + timedelta(hours=h), by_hour[h], finds_by_hour.get(h))
            for h in sorted(by_hour)
        ],
        "transfers": transfers,
        "events": events,
    }


def figures_of(hunt: dict[str, Any]) -> dict[str, Any]:
    return hunt_figures(
        HUNT,
        hunt["collectibles"],
        hunt["clues"],
        hunt["scans"],
        hunt["hours"],
        hunt["transfers"],
    )


@given(hunts())
def test_shares_are_fractions_of_the_finds(hunt: dict[str, Any]) -> None:
    stats = figures_of(hunt)
    for row in [stats["totals"], *stats["collectibles"]]:
        whole = row["on_site_finds"] + row["online_finds"]
        if whole == 0:
            assert row["on_site_share"] is None
        else:
            assert 0.0 <= row["on_site_share"] <= 1.0
            assert row["on_site_share"] == round(row["on_site_finds"] / whole, 4)


@given(hunts())
def test_totals_are_the_sums_of_their_parts(hunt: dict[str, Any]) -> None:
    stats = figures_of(hunt)
    totals, episodes, clues = stats["totals"], stats["collectibles"], stats["clues"]
    events: list[Scan] = hunt["events"]
    assert totals["scans"] == len(events) == sum(c["scans"] for c in episodes)
    assert totals["scans"] == sum(c["scans"] for c in clues)
    assert totals["scans"] == sum(c["scans"] for c in stats["cities"])
    rejected = [e for e in events if e[1] != ACCEPTED]
    assert totals["rejections"] == len(rejected) == sum(stats["rejections"].values())
    assert totals["rejections"] == sum(c["rejections"] for c in clues)
    assert totals["finds"] == sum(c["finds"] for c in episodes) == sum(c["finds"] for c in clues)
    assert totals["finds"] == totals["on_site_finds"] + totals["online_finds"]
    assert totals["on_site_finds"] == sum(c["finds"] for c in clues if c["kind"] in ON_SITE_KINDS)
    assert totals["mints"] == sum(c["mints"] for c in episodes)
    assert totals["transfers"] == sum(t.transfers for t in hunt["transfers"])
    for episode in episodes:
        assert episode["finds"] == episode["on_site_finds"] + episode["online_finds"]
    assert sum(c["clues"] for c in stats["cities"]) == len(clues)
    assert sum(c["finds"] for c in stats["cities"]) == totals["finds"]
    for clue in clues:
        assert clue["scans"] == clue["finds"] + clue["rejections"]


@given(hunts())
def test_hours_add_up_to_the_totals(hunt: dict[str, Any]) -> None:
    stats = figures_of(hunt)
    hours = stats["scans_per_hour"]
    assert sum(h["scans"] for h in hours) == stats["totals"]["scans"]
    assert sum(h["finds"] for h in hours) == stats["totals"]["finds"]
    assert [h["hour"] for h in hours] == sorted(h["hour"] for h in hours)


@given(hunts())
def test_orders_and_keys(hunt: dict[str, Any]) -> None:
    stats = figures_of(hunt)
    assert [c["key"] for c in stats["collectibles"]] == [c.key for c in hunt["collectibles"]]
    assert [c["id"] for c in stats["clues"]] == [c.id for c in hunt["clues"]]
    cities = [(-c["finds"], c["city"] or "") for c in stats["cities"]]
    assert cities == sorted(cities)
    assert len({c["city"] for c in stats["cities"]}) == len(stats["cities"])
    rejections = [(-n, code) for code, n in stats["rejections"].items()]
    assert rejections == sorted(rejections)
    assert ACCEPTED not in stats["rejections"]
    assert all(n > 0 for n in stats["rejections"].values())


# --- scenes: loves of fans' moments per minute of the episode ------------------------------


def test_scenes_are_bucketed_by_minute_per_episode() -> None:
    scenes = [
        SceneCount(1, 30, 1, 2),
        SceneCount(1, 45, 1, 3),
        SceneCount(1, 754, 1, 4),
        SceneCount(1, 7200, 1, 0),
        SceneCount(2, 190, 2, 1),
    ]
    stats = hunt_figures(HUNT, [collectible(1), collectible(2)], [], [], [], [], scenes)
    assert [c["scenes"] for c in stats["collectibles"]] == [
        [
            {"minute": 0, "loves": 5, "moments": 2},
            {"minute": 12, "loves": 4, "moments": 1},
            {"minute": 120, "loves": 0, "moments": 1},
        ],
        [{"minute": 3, "loves": 1, "moments": 2}],
    ]


@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.integers(0, 7200), st.integers(1, 5), st.integers(0, 50)),
        max_size=40,
    )
)
def test_scenes_keep_every_love_and_moment_in_its_minute(
    rows: list[tuple[int, int, int, int]],
) -> None:
    scenes = [SceneCount(*row) for row in rows]
    by_minute = scenes_by_minute(scenes)
    for collectible_id in {1, 2, 3}:
        mine = [s for s in scenes if s.collectible_id == collectible_id]
        cells = by_minute.get(collectible_id, [])
        assert sum(c["loves"] for c in cells) == sum(s.loves for s in mine)
        assert sum(c["moments"] for c in cells) == sum(s.moments for s in mine)
        minutes = [c["minute"] for c in cells]
        assert minutes == sorted(set(minutes)) == sorted({s.scene_s // 60 for s in mine})
        assert all(0 <= m <= 120 for m in minutes)
