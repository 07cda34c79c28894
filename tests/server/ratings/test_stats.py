"""`GET /v1/hunts/{slug}/stats` against a seeded scenario whose figures were counted by hand,
on the real database, through the app; and the same figures as CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import BOSTON, FIVE_KM_NORTH, TIMES_SQUARE, Hunt, at, make_hunt


async def seeded(api: Api) -> tuple[Hunt, dict[str, Any]]:
    """Two episodes, three clues, three hunters, seven scans:

    | hunter | scan                                  | verdict            |
    |--------|---------------------------------------|--------------------|
    | h1     | A's billboard, on the spot            | accepted (on site) |
    | h1     | B's Boston billboard, from New York   | outside_geofence   |
    | h2     | A's billboard, from 5 km away         | outside_geofence   |
    | h2     | A's social drop                       | accepted (online)  |
    | h3     | B's Boston billboard, on the spot     | accepted (on site) |
    | h3     | A's billboard, a moment after Boston  | impossible_travel  |
    | h1     | A's social drop                       | already_found      |
    """
    hunt = await make_hunt(api)
    a = await hunt.collectible(supply=10, name="Three Robots", episode="Three Robots: Exit")
    b = await hunt.collectible(name="Swarm", episode="Swarm")
    a_board = await hunt.clue(collectible=a)
    a_social = await hunt.clue(kind="social", collectible=a, city=None)
    b_board = await hunt.clue(collectible=b, at=BOSTON, city="Boston")
    (_, h1), (_, h2), (_, h3) = [await api.hunter() for _ in range(3)]

    async def scan(who: dict[str, str], clue: dict[str, Any], where: Any, expect: int) -> Any:
        body = {"code": hunt.code(clue), **(at(where) if where else {})}
        _, answer = await api.call("POST", "/v1/scans", expect, headers=who, json=body)
        return answer

    first = await scan(h1, a_board, TIMES_SQUARE, 201)
    await scan(h1, b_board, TIMES_SQUARE, 422)
    await scan(h2, a_board, FIVE_KM_NORTH, 422)
    await scan(h2, a_social, None, 201)
    await scan(h3, b_board, BOSTON, 201)
    await scan(h3, a_board, TIMES_SQUARE, 422)
    await scan(h1, a_social, None, 409)
    return hunt, {"first_find": first["find"], "clues": (a_board, a_social, b_board)}


async def test_stats_match_the_hand_counted_scenario(api: Api) -> None:
    hunt, seed = await seeded(api)
    _, body = await api.call("GET", f"/v1/hunts/{hunt.slug}/stats", 200, headers=api.organiser)
    _, about = await api.call("GET", f"/v1/hunts/{hunt.slug}", 200)
    a, b = body["collectibles"]
    found_at = datetime.fromisoformat(seed["first_find"]["found_at"])
    started = datetime.fromisoformat(about["starts_at"])
    assert a == {
        "key": hunt.collectibles[0],
        "name": "Three Robots",
        "episode": "Three Robots: Exit",
        "supply": 10,
        "scans": 5,
        "finds": 2,
        "unique_hunters": 3,
        "mints": 0,
        "first_find_at": seed["first_find"]["found_at"],
        "first_find_after_s": round((found_at - started).total_seconds(), 3),
        "on_site_finds": 1,
        "online_finds": 1,
        "on_site_share": 0.5,
        "transfers": 0,
        "tokens_transferred": 0,
        "scenes": [],
        "swaps_in": 0,
        "swaps_out": 0,
    }
    assert (b["scans"], b["finds"], b["unique_hunters"]) == (2, 1, 2)
    assert (b["on_site_finds"], b["online_finds"], b["on_site_share"]) == (1, 0, 1.0)
    assert body["rejections"] == {"outside_geofence": 2, "already_found": 1, "impossible_travel": 1}
    assert body["totals"] == {
        "scans": 7,
        "finds": 3,
        "mints": 0,
        "transfers": 0,
        "rejections": 4,
        "on_site_finds": 2,
        "online_finds": 1,
        "on_site_share": 0.6667,
    }
    board, social, boston = seed["clues"]
    by_clue = {c["id"]: (c["scans"], c["finds"], c["rejections"]) for c in body["clues"]}
    assert by_clue == {board["id"]: (3, 1, 2), social["id"]: (2, 1, 1), boston["id"]: (2, 1, 1)}
    cities = {
        c["city"]: (c["clues"], c["scans"], c["finds"], c["rejections"]) for c in body["cities"]
    }
    assert cities == {"New York": (1, 3, 1, 2), None: (1, 2, 1, 1), "Boston": (1, 2, 1, 1)}
    assert sum(h["scans"] for h in body["scans_per_hour"]) == 7
    assert sum(h["finds"] for h in body["scans_per_hour"]) == 3


async def test_stats_as_csv_tables(api: Api) -> None:
    hunt, _ = await seeded(api)
    path = f"/v1/hunts/{hunt.slug}/stats"
    _, as_json = await api.call("GET", path, 200, headers=api.organiser)
    response = await api.client.get(path + "?format=csv", headers=api.organiser)
    assert response.status == 200 and response.content_type == "text/csv"
    assert hunt.slug in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(r["key"], r["scans"], r["finds"], r["unique_hunters"]) for r in rows] == [
        (c["key"], str(c["scans"]), str(c["finds"]), str(c["unique_hunters"]))
        for c in as_json["collectibles"]
    ]
    response = await api.client.get(path + "?format=csv&table=rejections", headers=api.organiser)
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows == [
        ["code", "scans"],
        ["outside_geofence", "2"],
        ["already_found", "1"],
        ["impossible_travel", "1"],
    ]


async def test_a_label_cannot_become_a_spreadsheet_formula(api: Api) -> None:
    hunt = await make_hunt(api)
    await hunt.clue(label='=HYPERLINK("http://evil.example")')
    response = await api.client.get(
        f"/v1/hunts/{hunt.slug}/stats?format=csv&table=clues", headers=api.organiser
    )
    [row] = list(csv.DictReader(io.StringIO(await response.text())))
    assert row["label"] == '\'=HYPERLINK("http://evil.example")'


async def test_stats_are_for_organisers_of_that_hunt(api: Api) -> None:
    hunt = await make_hunt(api)
    path = f"/v1/hunts/{hunt.slug}/stats"
    _, hunter = await api.hunter()
    status, problem = await api.call("GET", path, 403, headers=hunter)
    assert problem["code"] == "forbidden"
    assert (await api.call("GET", path, 401))[1]["code"] == "unauthorized"
    other = api.auth(Role.ORGANISER, "scoped", hunt="some-other-hunt")
    assert (await api.call("GET", path, 403, headers=other))[1]["code"] == "forbidden"
    screen = api.auth(Role.SCREEN, "venue", hunt=hunt.slug)
    assert (await api.call("GET", path, 403, headers=screen))[1]["code"] == "forbidden"
    missing = "/v1/hunts/no-such-hunt-here/stats"
    assert (await api.call("GET", missing, 404, headers=api.organiser))[1]["code"] == "not_found"
    for bad in ("?format=xlsx", "?format=csv&table=passwords"):
        _, problem = await api.call("GET", path + bad, 400, headers=api.organiser)
        assert problem["code"] == "invalid_request"


async def test_a_hunt_without_scans_has_zero_figures(api: Api) -> None:
    hunt = await make_hunt(api)
    await hunt.collectible()
    _, body = await api.call("GET", f"/v1/hunts/{hunt.slug}/stats", 200, headers=api.organiser)
    [only] = body["collectibles"]
    assert (only["scans"], only["finds"], only["first_find_at"], only["on_site_share"]) == (
        0,
        0,
        None,
        None,
    )
    assert body["scans_per_hour"] == [] and body["rejections"] == {}
