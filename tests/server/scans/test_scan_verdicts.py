"""Every verdict of the contract's scan table, reached through HTTP on the real services."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg

from hunt_engine.codes import static_code
from tests.support.api import Api
from tests.support.builders import (
    BOSTON,
    FIVE_KM_NORTH,
    TIMES_SQUARE,
    at,
    iso,
    make_hunt,
    post_scan,
)


async def test_accepted_scan_answers_find_score_and_rank(api: Api, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    hunter_id, me = await api.hunter()
    url = f"{api.settings.public_base_url}/c/{hunt.code(clue)}"
    answer = await post_scan(api, me, url, 201, **at(TIMES_SQUARE), device_id="dev-1")
    find = answer["find"]
    assert find["clue_id"] == clue["id"] and find["id"] > 0
    assert find["collectible"]["key"] == clue["collectible"]
    assert find["mint"] == {"status": "awaiting_wallet"}
    assert answer["score"] == 1 and answer["rank"] == 1
    attempt = await db.fetchrow(
        "SELECT verdict, lat, lon, accuracy_m, device_id, address, find_id FROM scan_attempts"
        " WHERE hunter_id = $1",
        hunter_id,
    )
    assert attempt["verdict"] == "accepted" and attempt["find_id"] == find["id"]
    assert attempt["device_id"] == "dev-1" and attempt["accuracy_m"] == 10
    assert attempt["address"] is not None
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
    assert [f["id"] for f in finds] == [find["id"]]


async def test_invalid_code(api: Api, db: asyncpg.Connection) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    hunter_id, me = await api.hunter()
    code = hunt.code(clue)
    for bad in (
        code[:-1],
        code[:-1] + ("A" if code[-1] != "A" else "B"),
        "s.1.1.AAAAAAAAAAAAAAAA",
        "hello",
        "https://evil.example/c/" + code[:-2],
    ):
        answer = await post_scan(api, me, bad, 422, **at(TIMES_SQUARE))
        assert answer["code"] == "invalid_code"
        assert answer["status"] == 422 and answer["title"] and answer["type"]
    verdicts = await db.fetch("SELECT verdict FROM scan_attempts WHERE hunter_id = $1", hunter_id)
    assert [v["verdict"] for v in verdicts] == ["invalid_code"] * 5


async def test_clock_skew(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    _, me = await api.hunter()
    stale = iso(datetime.now(UTC) - timedelta(hours=1))
    answer = await post_scan(api, me, hunt.code(clue), 422, **at(TIMES_SQUARE), scanned_at=stale)
    assert answer["code"] == "clock_skew"
    fine = iso(datetime.now(UTC) - timedelta(seconds=30))
    await post_scan(api, me, hunt.code(clue), 201, **at(TIMES_SQUARE), scanned_at=fine)


async def test_hunt_not_active(api: Api) -> None:
    hunt = await make_hunt(api, starts_in_h=2, ends_in_h=4)
    clue = await hunt.clue()
    _, me = await api.hunter()
    answer = await post_scan(api, me, hunt.code(clue), 422, **at(TIMES_SQUARE))
    assert answer["code"] == "hunt_not_active"


async def test_clue_not_active_by_window_and_by_switch(api: Api) -> None:
    hunt = await make_hunt(api)
    later = await hunt.clue(active_from=iso(datetime.now(UTC) + timedelta(hours=1)))
    switched = await hunt.clue()
    await api.call(
        "PATCH", f"/v1/clues/{switched['id']}", 200, headers=api.organiser, json={"active": False}
    )
    _, me = await api.hunter()
    for clue in (later, switched):
        answer = await post_scan(api, me, hunt.code(clue), 422, **at(TIMES_SQUARE))
        assert answer["code"] == "clue_not_active"


async def test_location_required_and_low_accuracy(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    _, me = await api.hunter()
    answer = await post_scan(
        api, me, hunt.code(clue), 422, lat=TIMES_SQUARE[0], lon=TIMES_SQUARE[1]
    )
    assert answer["code"] == "location_required"
    answer = await post_scan(api, me, hunt.code(clue), 422, **at(TIMES_SQUARE, accuracy_m=101))
    assert answer["code"] == "low_accuracy"


async def test_outside_geofence_and_tolerance(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(geofence={"radius_m": 50})
    _, me = await api.hunter()
    answer = await post_scan(api, me, hunt.code(clue), 422, **at(FIVE_KM_NORTH))
    assert answer["code"] == "outside_geofence"
    assert 4900 < answer["distance_m"] < 5100
    # 70 m from the centre = 20 m outside a 50 m fence: within min(accuracy 25, tolerance 30).
    near = (TIMES_SQUARE[0] + 70 / 111_030, TIMES_SQUARE[1])
    await post_scan(api, me, hunt.code(clue), 201, **at(near, accuracy_m=25))


async def test_impossible_travel(api: Api) -> None:
    hunt = await make_hunt(api)
    new_york = await hunt.clue()
    boston = await hunt.clue(at=BOSTON)
    _, me = await api.hunter()
    await post_scan(api, me, hunt.code(new_york), 201, **at(TIMES_SQUARE))
    answer = await post_scan(api, me, hunt.code(boston), 422, **at(BOSTON))
    assert answer["code"] == "impossible_travel"


async def test_already_found_whichever_clue(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    first = await hunt.clue(collectible=key)
    second = await hunt.clue(collectible=key, at=(TIMES_SQUARE[0] + 0.001, TIMES_SQUARE[1]))
    _, me = await api.hunter()
    await post_scan(api, me, hunt.code(first), 201, **at(TIMES_SQUARE))
    answer = await post_scan(
        api, me, hunt.code(second), 409, **at((TIMES_SQUARE[0] + 0.001, TIMES_SQUARE[1]))
    )
    assert answer["code"] == "already_found"


async def test_sold_out_by_supply_and_by_clue_max_finds(api: Api) -> None:
    hunt = await make_hunt(api)
    scarce = await hunt.clue(collectible=await hunt.collectible(supply=1))
    capped = await hunt.clue(max_finds=1)
    _, first = await api.hunter()
    _, second = await api.hunter()
    for clue in (scarce, capped):
        await post_scan(api, first, hunt.code(clue), 201, **at(TIMES_SQUARE))
        answer = await post_scan(api, second, hunt.code(clue), 409, **at(TIMES_SQUARE))
        assert answer["code"] == "sold_out"
    _, got = await api.call("GET", f"/v1/hunts/{hunt.slug}", 200)
    scarce_out = next(c for c in got["collectibles"] if c["key"] == scarce["collectible"])
    assert scarce_out["found"] == 1 and scarce_out["supply"] == 1


async def test_rate_limited_with_retry_after(api: Api) -> None:
    hunt = await make_hunt(api, rules={"scans_per_minute": 3})
    clue = await hunt.clue()
    _, me = await api.hunter()
    for _ in range(3):
        await post_scan(api, me, hunt.code(clue), 422, **at(FIVE_KM_NORTH))
    response = await api.client.post(
        "/v1/scans", headers=me, json={"code": hunt.code(clue), **at(TIMES_SQUARE)}
    )
    assert response.status == 429
    assert (await response.json(content_type=None))["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.content_type == "application/problem+json"


async def test_social_drop_needs_no_location(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind="social")
    assert "qr" in clue and clue["location"] is None
    _, me = await api.hunter()
    await post_scan(api, me, hunt.code(clue), 201)


async def test_digital_code_valid_for_its_step_and_the_next_only(api: Api) -> None:
    rotate_s = 600
    # Stay clear of a step boundary so that "this step" means the same thing on both sides.
    while rotate_s - time.time() % rotate_s < 5:
        await asyncio.sleep(1)
    hunt = await make_hunt(api, rules={"rotate_s": rotate_s})
    _, me = await api.hunter()
    expired = await hunt.clue(kind="digital")
    answer = await post_scan(api, me, hunt.code(expired, -2, rotate_s), 422, **at(TIMES_SQUARE))
    assert answer["code"] == "code_expired"
    future = await post_scan(api, me, hunt.code(expired, +1, rotate_s), 422, **at(TIMES_SQUARE))
    assert future["code"] == "invalid_code"
    for offset in (0, -1):
        clue = await hunt.clue(kind="digital")
        assert "qr" not in clue
        await post_scan(api, me, hunt.code(clue, offset, rotate_s), 201, **at(TIMES_SQUARE))
    _, display = await api.call(
        "GET", f"/v1/clues/{expired['id']}/display", 200, headers=api.organiser
    )
    assert display["url"].endswith("/c/" + display["code"])
    assert 0 < display["expires_in_s"] <= rotate_s


async def test_verdict_order_low_accuracy_before_geofence_before_travel(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    _, me = await api.hunter()
    answer = await post_scan(api, me, hunt.code(clue), 422, **at(FIVE_KM_NORTH, accuracy_m=500))
    assert answer["code"] == "low_accuracy"
    late = iso(datetime.now(UTC) - timedelta(hours=2))
    answer = await post_scan(
        api, me, hunt.code(clue), 422, **at(FIVE_KM_NORTH, accuracy_m=500), scanned_at=late
    )
    assert answer["code"] == "clock_skew"


async def test_idempotency_key_replays_first_answer(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    _, me = await api.hunter()
    body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
    headers = {**me, "Idempotency-Key": "scan-1"}
    _, first = await api.call("POST", "/v1/scans", 201, headers=headers, json=body)
    _, again = await api.call("POST", "/v1/scans", 200, headers=headers, json=body)
    assert again == first
    _, other = await api.call(
        "POST", "/v1/scans", 409, headers=headers, json={**body, "accuracy_m": 11}
    )
    assert other["code"] == "conflict"
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
    assert len(finds) == 1


async def test_rank_orders_by_score_then_who_reached_it_first(api: Api) -> None:
    hunt = await make_hunt(api)
    first, second = await hunt.clue(), await hunt.clue()
    _, alice = await api.hunter()
    _, bob = await api.hunter()
    a1 = await post_scan(api, alice, hunt.code(first), 201, **at(TIMES_SQUARE))
    b1 = await post_scan(api, bob, hunt.code(first), 201, **at(TIMES_SQUARE))
    assert (a1["score"], a1["rank"]) == (1, 1) and (b1["score"], b1["rank"]) == (1, 2)
    b2 = await post_scan(api, bob, hunt.code(second), 201, **at(TIMES_SQUARE))
    assert (b2["score"], b2["rank"]) == (2, 1)


async def test_code_revoked_after_rate_limited_and_invalid_code_before_the_rest(
    api: Api, db: asyncpg.Connection
) -> None:
    hunt = await make_hunt(api, rules={"scans_per_minute": 3})
    clue = await hunt.clue()
    await api.call("POST", f"/v1/clues/{clue['id']}/reissue", 200, headers=api.organiser, json={})
    ring = api.settings.qr_keyring
    old, new = static_code(ring, clue["id"]), static_code(ring, clue["id"], 1)
    hunter_id, me = await api.hunter()
    # Far away, with a clock an hour off: it is the revoked code that is answered.
    skewed = iso(datetime.now(UTC) - timedelta(hours=1))
    answer = await post_scan(api, me, old, 422, **at(BOSTON), scanned_at=skewed)
    assert answer["code"] == "code_revoked" and answer["status"] == 422
    # A broken code is invalid before it could be revoked.
    answer = await post_scan(api, me, old[:-1], 422, **at(BOSTON), scanned_at=skewed)
    assert answer["code"] == "invalid_code"
    answer = await post_scan(api, me, new, 422, **at(BOSTON), scanned_at=skewed)
    assert answer["code"] == "clock_skew"
    # And the gate's rate limit comes first of all.
    response = await api.client.post("/v1/scans", headers=me, json={"code": old, **at(BOSTON)})
    assert response.status == 429
    verdicts = await db.fetch(
        "SELECT verdict FROM scan_attempts WHERE hunter_id = $1 ORDER BY id", hunter_id
    )
    assert [v["verdict"] for v in verdicts] == [
        "code_revoked",
        "invalid_code",
        "clock_skew",
        "rate_limited",
    ]
