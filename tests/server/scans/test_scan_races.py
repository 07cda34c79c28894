"""Races and abuse: one find per hunter and collectible, no oversold supply, leaked codes."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from server.app import create_app
from server.http.app_keys import SERVICES
from tests.support.api import Api, unique
from tests.support.builders import BOSTON, FIVE_KM_NORTH, TIMES_SQUARE, at, make_hunt, post_scan


async def test_fifty_concurrent_scans_by_one_hunter_give_one_find(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    clue = await hunt.clue()
    hunter_id, me = await api.hunter()
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    responses = await asyncio.gather(
        *(api.client.post("/v1/scans", headers=me, json=body) for _ in range(50))
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 49
    codes = {(await r.json(content_type=None)).get("code") for r in responses if r.status == 409}
    assert codes == {"already_found"}
    assert await db.fetchval("SELECT count(*) FROM finds WHERE hunter_id = $1", hunter_id) == 1
    assert await db.fetchval("SELECT score FROM hunters WHERE id = $1", hunter_id) == 1
    attempts = await db.fetchval(
        "SELECT count(*) FROM scan_attempts WHERE hunter_id = $1", hunter_id
    )
    assert attempts == 50


async def test_forty_hunters_racing_for_supply_ten_give_ten_finds(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible(supply=10)
    clue = await hunt.clue(collectible=key)
    hunters = [await api.hunter() for _ in range(40)]
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    responses = await asyncio.gather(
        *(api.client.post("/v1/scans", headers=h, json=body) for _, h in hunters)
    )
    statuses = [r.status for r in responses]
    assert statuses.count(201) == 10 and statuses.count(409) == 30
    found = await db.fetchval(
        "SELECT count(*) FROM finds f JOIN collectibles c ON c.id = f.collectible_id"
        " WHERE c.key = $1",
        key,
    )
    assert found == 10
    _, got = await api.call("GET", f"/v1/hunts/{hunt.slug}", 200)
    assert next(c for c in got["collectibles"] if c["key"] == key)["found"] == 10


async def test_photo_of_billboard_scanned_far_away_raises_one_alert(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    other = await hunt.clue()
    for n in range(6):
        _, hunter = await api.hunter()
        _, answer = await api.call(
            "POST",
            "/v1/scans",
            422,
            headers=hunter,
            json={"code": hunt.code(clue), **at(FIVE_KM_NORTH)},
        )
        assert answer["code"] == "outside_geofence"
        _, alerts = await api.call(
            "GET", f"/v1/hunts/{hunt.slug}/alerts", 200, headers=api.organiser
        )
        assert len(alerts) == (0 if n < 4 else 1), (n, alerts)
    alert = alerts[0]
    assert alert["kind"] == "leaked_code" and alert["clue_id"] == clue["id"]
    assert alert["detail"]["hunters"] >= 5 and alert["raised_at"]
    # One hunter scanning five times from home is not a leak.
    _, alone = await api.hunter()
    for _ in range(5):
        await api.call(
            "POST",
            "/v1/scans",
            422,
            headers=alone,
            json={"code": hunt.code(other), **at(FIVE_KM_NORTH)},
        )
    _, alerts = await api.call("GET", f"/v1/hunts/{hunt.slug}/alerts", 200, headers=api.organiser)
    assert [a["clue_id"] for a in alerts] == [clue["id"]]


async def test_digital_codes_never_raise_leak_alerts(api: Api) -> None:
    hunt = await make_hunt(api, rules={"rotate_s": 600})
    clue = await hunt.clue(kind="digital")
    for _ in range(5):
        _, hunter = await api.hunter()
        await api.call(
            "POST",
            "/v1/scans",
            422,
            headers=hunter,
            json={"code": hunt.code(clue, 0, 600), **at(FIVE_KM_NORTH)},
        )
    _, alerts = await api.call("GET", f"/v1/hunts/{hunt.slug}/alerts", 200, headers=api.organiser)
    assert alerts == []


async def test_twenty_concurrent_scans_of_twenty_collectibles_by_one_hunter_all_count(
    api: Api, db: asyncpg.Connection
) -> None:
    """A phone's offline queue sent at once: each scan waits its turn, none is refused for
    running beside another, and every one is recorded."""
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    clues = [await hunt.clue() for _ in range(20)]
    hunter_id, me = await api.hunter()
    for _ in range(2):  # the second round starts with this process's copy of the hunter warm
        responses = await asyncio.gather(
            *(
                api.client.post(
                    "/v1/scans", headers=me, json={"code": hunt.code(c), **at(TIMES_SQUARE)}
                )
                for c in clues
            )
        )
        statuses = [r.status for r in responses]
        if statuses != [201] * 20:
            assert all(s == 409 for s in statuses), statuses  # the second round: all found
        for r in responses:
            r.release()
    assert await db.fetchval("SELECT count(*) FROM finds WHERE hunter_id = $1", hunter_id) == 20
    assert await db.fetchval("SELECT score FROM hunters WHERE id = $1", hunter_id) == 20
    verdicts = await db.fetch(
        "SELECT verdict, count(*) AS n FROM scan_attempts WHERE hunter_id = $1 GROUP BY verdict",
        hunter_id,
    )
    assert {r["verdict"]: r["n"] for r in verdicts} == {"accepted": 20, "already_found": 20}


async def test_first_round_of_twenty_concurrent_scans_gives_twenty_201s(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    clues = [await hunt.clue() for _ in range(20)]
    # A find first, so this process holds the hunter's state and the burst takes the fast path.
    hunter_id, me = await api.hunter()
    first = await hunt.clue()
    await api.call(
        "POST", "/v1/scans", 201, headers=me, json={"code": hunt.code(first), **at(TIMES_SQUARE)}
    )
    responses = await asyncio.gather(
        *(
            api.client.post(
                "/v1/scans", headers=me, json={"code": hunt.code(c), **at(TIMES_SQUARE)}
            )
            for c in clues
        )
    )
    assert [r.status for r in responses] == [201] * 20
    scores = sorted([(await r.json())["score"] for r in responses])
    assert scores == list(range(2, 22))
    attempts = await db.fetchval(
        "SELECT count(*) FROM scan_attempts WHERE hunter_id = $1 AND verdict = 'accepted'",
        hunter_id,
    )
    assert attempts == 21


async def test_concurrent_scans_in_two_cities_each_see_the_previous_find(
    api: Api, db: asyncpg.Connection
) -> None:
    """Decided one after another, the travel rule sees whichever find came first: every
    accepted scan is in one city, every scan in the other is `impossible_travel`."""
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    here = [await hunt.clue(at=TIMES_SQUARE) for _ in range(5)]
    there = [await hunt.clue(at=BOSTON) for _ in range(5)]
    hunter_id, me = await api.hunter()
    scans = [(c, TIMES_SQUARE) for c in here] + [(c, BOSTON) for c in there]
    responses = await asyncio.gather(
        *(
            api.client.post("/v1/scans", headers=me, json={"code": hunt.code(c), **at(p)})
            for c, p in scans
        )
    )
    outcomes = [(p, r.status, (await r.json())) for (_, p), r in zip(scans, responses, strict=True)]
    won = {p for p, status, _ in outcomes if status == 201}
    assert len(won) == 1, outcomes
    for point, status, body in outcomes:
        if point in won:
            assert status == 201, body
        else:
            assert (status, body["code"]) == (422, "impossible_travel"), body
    recorded = await db.fetchval(
        "SELECT count(*) FROM scan_attempts WHERE hunter_id = $1", hunter_id
    )
    assert recorded == 10


async def test_a_double_tap_with_one_idempotency_key_waits_and_replays(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    clue = await hunt.clue()
    hunter_id, me = await api.hunter()
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    headers = {**me, "Idempotency-Key": unique("tap")}
    responses = await asyncio.gather(
        *(api.client.post("/v1/scans", headers=headers, json=body) for _ in range(5))
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [200, 200, 200, 200, 201]
    answers = [await r.json() for r in responses]
    assert len({a["find"]["id"] for a in answers}) == 1
    assert await db.fetchval("SELECT count(*) FROM finds WHERE hunter_id = $1", hunter_id) == 1


async def test_a_hunter_whose_scans_alternate_between_two_processes_is_claimed_in_groups(
    api: Api, aiohttp_client: Any
) -> None:
    """Two server processes on one database (two apps, each its own copy of the hunters'
    state): a scan through the process whose copy is stale is told 'stale' and claimed once
    more with the others waiting, on the state the database answered with, not on a
    connection of its own; the travel rule still sees the find the other process took."""
    other = Api(await aiohttp_client(create_app(api.settings)), api.settings)
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    here = [await hunt.clue(at=TIMES_SQUARE) for _ in range(3)]
    far = await hunt.clue(at=BOSTON)
    hunter_id, me = await api.hunter()
    first, second = (a.client.app[SERVICES].scans.claims for a in (api, other))

    await post_scan(api, me, hunt.code(here[0]), 201, **at(TIMES_SQUARE))
    sent = len(second.sizes)
    # The second process has not seen the hunter: 'stale', then accepted on the state the
    # database answered with, both through its batcher.
    await post_scan(other, me, hunt.code(here[1]), 201, **at(TIMES_SQUARE))
    assert len(second.sizes) == sent + 2
    # Back to the first, whose copy predates that find: the same.
    sent = len(first.sizes)
    await post_scan(api, me, hunt.code(here[2]), 201, **at(TIMES_SQUARE))
    assert len(first.sizes) == sent + 2
    # A copy refreshed that way still carries the last find: Boston is too far too soon.
    answer = await post_scan(other, me, hunt.code(far), 422, **at(BOSTON))
    assert answer["code"] == "impossible_travel"
    finds = await api.client.app[SERVICES].pool.fetchval(
        "SELECT count(*) FROM finds WHERE hunter_id = $1", hunter_id
    )
    assert finds == 3
