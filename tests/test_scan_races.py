"""Races and abuse: one find per hunter and collectible, no oversold supply, leaked codes."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.builders import FIVE_KM_NORTH, TIMES_SQUARE, at, make_hunt
from tests.conftest import Api


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
