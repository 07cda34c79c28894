"""GET /v1/hunts/{slug}/nearby and AR tickets, through HTTP on the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from geo.coords import LatLon
from geo.distance import destination, geodesic_m
from hunt_engine.codes import TICKET_TTL_S, static_code, ticket_code
from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, Hunt, at, iso, make_hunt, post_scan

HERE = LatLon(*TIMES_SQUARE)


def spot(azimuth: float, metres: float) -> tuple[float, float]:
    p = destination(HERE, azimuth, metres)
    return (p.lat, p.lon)


async def nearby(
    api: Api,
    hunt: Hunt,
    headers: dict[str, str],
    point: tuple[float, float] = TIMES_SQUARE,
    expect: int = 200,
    accuracy_m: float = 10,
    **extra: Any,
) -> Any:
    params = {"lat": str(point[0]), "lon": str(point[1]), "accuracy_m": str(accuracy_m)}
    params.update({k: str(v) for k, v in extra.items()})
    _, answer = await api.call(
        "GET", f"/v1/hunts/{hunt.slug}/nearby", expect, headers=headers, params=params
    )
    return answer


def by_clue(answer: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {h["clue_id"]: h for h in answer["hints"]}


async def test_hints_cover_the_hint_radius_and_nothing_beyond(api: Api) -> None:
    hunt = await make_hunt(api)
    inside = {
        "billboard": await hunt.clue(at=spot(90, 1000)),
        "digital": await hunt.clue(kind="digital", at=spot(0, 1400)),
        "ar": await hunt.clue(kind="ar", at=spot(200, 600)),
        "edge": await hunt.clue(at=spot(300, 1490)),
    }
    beyond = await hunt.clue(at=spot(45, 1520), geofence={"radius_m": 200})
    social = await hunt.clue(kind="social")
    switched_off = await hunt.clue(at=spot(10, 300))
    await api.call(
        "PATCH",
        f"/v1/clues/{switched_off['id']}",
        200,
        headers=api.organiser,
        json={"active": False},
    )
    later = iso(datetime.now(UTC) + timedelta(hours=3))
    not_yet = await hunt.clue(at=spot(20, 300), active_from=later)
    _, me = await api.hunter()
    answer = await nearby(api, hunt, me)
    assert set(by_clue(answer)) == {c["id"] for c in inside.values()}
    assert answer["truncated"] is False
    for clue in (beyond, social, switched_off, not_yet):
        assert clue["id"] not in by_clue(answer)
    hints = by_clue(answer)
    for clue in inside.values():
        hint = hints[clue["id"]]
        assert hint["kind"] == clue["kind"] and hint["collectible"] == clue["collectible"]
        assert hint["found"] is False
        assert hint["distance_m"] % 25 == 0 and hint["bearing_deg"] % 10 == 0
        assert 0 <= hint["bearing_deg"] < 360
        true = geodesic_m(HERE, LatLon(clue["location"]["lat"], clue["location"]["lon"]))
        assert abs(hint["distance_m"] - true) <= 12.5
        for secret in ("location", "ar", "ticket"):
            assert secret not in hint
    assert hints[inside["billboard"]["id"]]["distance_m"] == 1000
    assert hints[inside["billboard"]["id"]]["bearing_deg"] == 90
    assert hints[inside["digital"]["id"]]["bearing_deg"] == 0
    assert hints[inside["ar"]["id"]]["bearing_deg"] == 200
    assert hints[inside["edge"]["id"]]["distance_m"] == 1500
    # Nearest first.
    distances = [h["distance_m"] for h in answer["hints"]]
    assert distances == sorted(distances)


async def test_bearing_points_the_right_way(api: Api) -> None:
    hunt = await make_hunt(api)
    compass = {azimuth: await hunt.clue(at=spot(azimuth, 700)) for azimuth in (0, 90, 180, 270)}
    slightly_west_of_north = await hunt.clue(at=spot(356, 700))
    _, me = await api.hunter()
    hints = by_clue(await nearby(api, hunt, me))
    for azimuth, clue in compass.items():
        assert hints[clue["id"]]["bearing_deg"] == azimuth, azimuth
    assert hints[slightly_west_of_north["id"]]["bearing_deg"] == 0
    # Seen from the clue due east, the hunter is due west.
    east = compass[90]["location"]
    here = by_clue(await nearby(api, hunt, me, point=(east["lat"], east["lon"])))
    assert here[compass[90]["id"]]["distance_m"] == 0
    assert here[compass[270]["id"]]["bearing_deg"] == 270
    assert here[compass[270]["id"]]["distance_m"] == 1400


async def test_exact_spot_anchor_and_ticket_only_within_the_reveal_radius(api: Api) -> None:
    hunt = await make_hunt(api)
    anchor = {"asset_url": "https://img.example/robot.glb", "scale": 1.5, "heading_deg": 45.0}
    near_ar = await hunt.clue(kind="ar", at=spot(30, 100), ar=anchor)
    far_ar = await hunt.clue(kind="ar", at=spot(30, 400))
    near_board = await hunt.clue(at=spot(120, 140))
    hunter_id, me = await api.hunter()
    before = int(datetime.now(UTC).timestamp())
    hints = by_clue(await nearby(api, hunt, me))
    after = int(datetime.now(UTC).timestamp())

    revealed = hints[near_ar["id"]]
    assert revealed["location"] == near_ar["location"]
    assert revealed["ar"] == anchor
    ticket = revealed["ticket"]
    assert ticket.startswith("t.")
    issued = [
        ticket_code(api.settings.qr_keyring, near_ar["id"], hunter_id, t)
        for t in range(before, after + 1)
    ]
    assert ticket in issued
    expires = datetime.fromisoformat(revealed["ticket_expires_at"].replace("Z", "+00:00"))
    assert before + TICKET_TTL_S <= expires.timestamp() <= after + TICKET_TTL_S

    board = hints[near_board["id"]]
    assert board["location"] == near_board["location"]
    assert "ar" not in board and "ticket" not in board
    assert set(hints[far_ar["id"]]) == {
        "clue_id", "kind", "collectible", "found", "distance_m", "bearing_deg",
    }  # fmt: skip

    # A vague fix is told where to go, but nothing exact.
    vague = by_clue(await nearby(api, hunt, me, accuracy_m=500))
    assert set(vague) == set(hints)
    assert all("location" not in h and "ticket" not in h for h in vague.values())


async def test_a_ticket_claims_the_ar_clue_on_site(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind="ar", at=spot(60, 80))
    hunter_id, me = await api.hunter()
    ticket = by_clue(await nearby(api, hunt, me))[clue["id"]]["ticket"]
    site = (clue["location"]["lat"], clue["location"]["lon"])
    answer = await post_scan(api, me, ticket, 201, **at(site))
    assert answer["find"]["clue_id"] == clue["id"]
    assert answer["find"]["collectible"]["key"] == clue["collectible"]
    assert answer["score"] == 1
    hint = by_clue(await nearby(api, hunt, me))[clue["id"]]
    assert hint["found"] is True
    assert "ticket" not in hint and hint["ar"]  # nothing left to claim, still drawn
    # Claiming again is the usual one-per-collectible rule.
    fresh = ticket_code(
        api.settings.qr_keyring, clue["id"], hunter_id, int(datetime.now(UTC).timestamp())
    )
    assert (await post_scan(api, me, fresh, 409, **at(site)))["code"] == "already_found"


async def test_another_hunters_ticket_is_invalid_code(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind="ar", at=spot(0, 50))
    _, alice = await api.hunter()
    _, bob = await api.hunter()
    ticket = by_clue(await nearby(api, hunt, alice))[clue["id"]]["ticket"]
    site = (clue["location"]["lat"], clue["location"]["lon"])
    stale_clock = iso(datetime.now(UTC) - timedelta(hours=2))
    # invalid_code comes before every later verdict, clock_skew included.
    answer = await post_scan(api, bob, ticket, 422, **at(site), scanned_at=stale_clock)
    assert answer["code"] == "invalid_code"
    assert (await post_scan(api, bob, ticket, 422, **at(site)))["code"] == "invalid_code"
    await post_scan(api, alice, ticket, 201, **at(site))


async def test_a_ticket_after_five_minutes_is_code_expired(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind="ar", at=spot(0, 50))
    hunter_id, me = await api.hunter()
    site = (clue["location"]["lat"], clue["location"]["lon"])
    ring = api.settings.qr_keyring
    now = int(datetime.now(UTC).timestamp())
    old = ticket_code(ring, clue["id"], hunter_id, now - TICKET_TTL_S - 1)
    assert (await post_scan(api, me, old, 422, **at(site)))["code"] == "code_expired"
    # Not one the server could have issued: from far in the future.
    future = ticket_code(ring, clue["id"], hunter_id, now + 3600)
    assert (await post_scan(api, me, future, 422, **at(site)))["code"] == "invalid_code"
    # Issued four minutes ago: still good.
    recent = ticket_code(ring, clue["id"], hunter_id, now - 240)
    await post_scan(api, me, recent, 201, **at(site))


async def test_a_ticket_from_two_km_away_is_outside_geofence(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind="ar", at=spot(0, 50), geofence={"radius_m": 40})
    _, me = await api.hunter()
    ticket = by_clue(await nearby(api, hunt, me))[clue["id"]]["ticket"]
    away = destination(LatLon(clue["location"]["lat"], clue["location"]["lon"]), 180, 2000)
    answer = await post_scan(api, me, ticket, 422, **at((away.lat, away.lon)))
    assert answer["code"] == "outside_geofence"
    site = (clue["location"]["lat"], clue["location"]["lon"])
    assert (await post_scan(api, me, ticket, 422, lat=site[0], lon=site[1]))["code"] == (
        "location_required"
    )
    assert (await post_scan(api, me, ticket, 422, **at(site, accuracy_m=500)))["code"] == (
        "low_accuracy"
    )
    await post_scan(api, me, ticket, 201, **at(site))


async def test_only_tickets_claim_ar_clues_and_tickets_only_ar_clues(api: Api) -> None:
    hunt = await make_hunt(api)
    ar = await hunt.clue(kind="ar", at=spot(0, 50))
    board = await hunt.clue(at=spot(90, 50))
    hunter_id, me = await api.hunter()
    ring = api.settings.qr_keyring
    now = int(datetime.now(UTC).timestamp())
    ar_site = (ar["location"]["lat"], ar["location"]["lon"])
    board_site = (board["location"]["lat"], board["location"]["lon"])
    static = static_code(ring, ar["id"])
    assert (await post_scan(api, me, static, 422, **at(ar_site)))["code"] == "invalid_code"
    ticket = ticket_code(ring, board["id"], hunter_id, now)
    assert (await post_scan(api, me, ticket, 422, **at(board_site)))["code"] == "invalid_code"
    url = f"{api.settings.public_base_url}/c/{ticket_code(ring, ar['id'], hunter_id, now)}"
    await post_scan(api, me, url, 201, **at(ar_site))


async def test_found_marks_follow_the_hunters_finds(api: Api) -> None:
    hunt = await make_hunt(api)
    shared = await hunt.collectible()
    first = await hunt.clue(collectible=shared, at=spot(0, 30))
    second = await hunt.clue(collectible=shared, at=spot(180, 900))
    other = await hunt.clue(at=spot(90, 900))
    _, me = await api.hunter()
    _, someone = await api.hunter()
    await post_scan(api, me, hunt.code(first), 201, **at(spot(0, 30)))
    hints = by_clue(await nearby(api, hunt, me))
    assert hints[first["id"]]["found"] and hints[second["id"]]["found"]
    assert hints[other["id"]]["found"] is False
    assert not any(h["found"] for h in (await nearby(api, hunt, someone))["hints"])


async def test_limit_keeps_the_nearest_and_says_so(api: Api) -> None:
    hunt = await make_hunt(api)
    clues = [await hunt.clue(at=spot(0, metres)) for metres in (900, 300, 600)]
    _, me = await api.hunter()
    answer = await nearby(api, hunt, me, limit=2)
    assert [h["clue_id"] for h in answer["hints"]] == [clues[1]["id"], clues[2]["id"]]
    assert answer["truncated"] is True
    answer = await nearby(api, hunt, me, limit=3)
    assert len(answer["hints"]) == 3 and answer["truncated"] is False


async def test_hunt_rules_set_the_radii(api: Api) -> None:
    hunt = await make_hunt(api, rules={"hint_radius_m": 500, "reveal_radius_m": 20})
    near = await hunt.clue(kind="ar", at=spot(0, 40))
    mid = await hunt.clue(at=spot(0, 480))
    far = await hunt.clue(at=spot(0, 700))
    _, me = await api.hunter()
    hints = by_clue(await nearby(api, hunt, me))
    assert set(hints) == {near["id"], mid["id"]} and far["id"] not in hints
    assert "ticket" not in hints[near["id"]]
    _, body = await api.call("GET", f"/v1/hunts/{hunt.slug}", 200)
    assert body["rules"]["hint_radius_m"] == 500 and body["rules"]["reveal_radius_m"] == 20
    await api.call(
        "PATCH",
        f"/v1/hunts/{hunt.slug}",
        200,
        headers=api.organiser,
        json={"rules": {"hint_radius_m": 1000, "reveal_radius_m": 50}},
    )
    hints = by_clue(await nearby(api, hunt, me))
    assert set(hints) == {near["id"], mid["id"], far["id"]}
    assert "ticket" in hints[near["id"]]


async def test_radius_rules_are_validated(api: Api) -> None:
    _, default = await api.call("GET", f"/v1/hunts/{(await make_hunt(api)).slug}", 200)
    assert default["rules"]["hint_radius_m"] == 1500
    assert default["rules"]["reveal_radius_m"] == 150
    now = datetime.now(UTC)
    base = {"name": "x", "starts_at": iso(now), "ends_at": iso(now + timedelta(days=1))}
    for rules in (
        {"reveal_radius_m": 2000},  # beyond the default hint radius
        {"hint_radius_m": 100},  # inside the default reveal radius
        {"hint_radius_m": 0},
        {"reveal_radius_m": -1},
        {"hint_radius_m": 1e9},
        {"hint_radius_m": "far"},
    ):
        body = {**base, "slug": f"r-{abs(hash(str(rules))) % 10**9}-{now.microsecond}"}
        _, answer = await api.call(
            "POST", "/v1/hunts", 400, headers=api.organiser, json={**body, "rules": rules}
        )
        assert answer["code"] == "invalid_request", rules
    hunt = await make_hunt(api)
    _, answer = await api.call(
        "PATCH",
        f"/v1/hunts/{hunt.slug}",
        400,
        headers=api.organiser,
        json={"rules": {"hint_radius_m": 100}},
    )
    assert answer["code"] == "invalid_request" and "reveal_radius_m" in answer["detail"]


async def test_a_location_outside_its_polygon_is_still_hinted(api: Api) -> None:
    """A billboard's location may lie outside its fence: hints measure to the location, so the
    index search reaches beyond the radius by the hunt's largest such gap."""
    hunt = await make_hunt(api)
    # A square ~100 m across whose middle is 800 m west of the clue's location.
    middle = LatLon(*spot(270, 800))
    corners = [destination(middle, a, 70) for a in (45, 135, 225, 315)]
    ring = [[c.lon, c.lat] for c in corners] + [[corners[0].lon, corners[0].lat]]
    clue = await hunt.clue(geofence={"type": "Polygon", "coordinates": [ring]})
    _, me = await api.hunter()
    east = spot(90, 1400)  # 1400 m from the location, ~2150 m from the fence
    hints = by_clue(await nearby(api, hunt, me, point=east))
    assert hints[clue["id"]]["distance_m"] == 1400
    assert hints[clue["id"]]["bearing_deg"] == 270


async def test_ar_clue_location_must_lie_inside_its_fence(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    middle = LatLon(*spot(270, 800))
    corners = [destination(middle, a, 70) for a in (45, 135, 225, 315)]
    ring = [[c.lon, c.lat] for c in corners] + [[corners[0].lon, corners[0].lat]]
    body = {
        "kind": "ar",
        "collectible": key,
        "label": "off the fence",
        "location": {"lat": HERE.lat, "lon": HERE.lon},
        "geofence": {"type": "Polygon", "coordinates": [ring]},
        "ar": {"asset_url": "https://img.example/a.glb"},
    }
    path = f"/v1/hunts/{hunt.slug}/clues"
    _, answer = await api.call("POST", path, 400, headers=api.organiser, json=body)
    assert answer["code"] == "invalid_geofence"
    inside = {**body, "location": {"lat": middle.lat, "lon": middle.lon}}
    _, clue = await api.call("POST", path, 201, headers=api.organiser, json=inside)
    assert "qr" not in clue
    _, answer = await api.call(
        "PATCH",
        f"/v1/clues/{clue['id']}",
        400,
        headers=api.organiser,
        # The same polygon sent with the new spot: a location alone would move the polygon.
        json={"location": {"lat": HERE.lat, "lon": HERE.lon}, "geofence": body["geofence"]},
    )
    assert answer["code"] == "invalid_geofence"
    _, answer = await api.call("GET", f"/v1/clues/{clue['id']}/qr.svg", 404, headers=api.organiser)
    assert answer["code"] == "not_found" and "ar" in answer["detail"]


async def test_roles_and_scoped_tokens(api: Api) -> None:
    hunt = await make_hunt(api)
    other = await make_hunt(api)
    path = f"/v1/hunts/{hunt.slug}/nearby?lat=40.758&lon=-73.9855&accuracy_m=10"
    _, answer = await api.call("GET", path, 401)
    assert answer["code"] == "unauthorized"
    for role in (Role.ORGANISER, Role.FIELD, Role.SCREEN):
        _, answer = await api.call("GET", path, 403, headers=api.auth(role, "someone"))
        assert answer["code"] == "forbidden"
    hunter_id, mine = await api.hunter()
    # Hunter tokens are never limited to a hunt: one that claims a hunt is refused outright.
    for slug in (other.slug, hunt.slug):
        scoped = api.auth(Role.HUNTER, str(hunter_id), hunt=slug)
        _, answer = await api.call("GET", path, 401, headers=scoped)
        assert answer["code"] == "unauthorized"
    await api.call("GET", path, 200, headers=mine)


async def test_bad_queries_are_problems(api: Api) -> None:
    hunt = await make_hunt(api)
    _, me = await api.hunter()
    base = f"/v1/hunts/{hunt.slug}/nearby"
    for query in (
        "",
        "lat=40.7&lon=-73.9",
        "lat=91&lon=0&accuracy_m=5",
        "lat=40&lon=-180.5&accuracy_m=5",
        "lat=nan&lon=0&accuracy_m=5",
        "lat=40&lon=inf&accuracy_m=5",
        "lat=40&lon=0&accuracy_m=-1",
        "lat=40&lon=0&accuracy_m=5&limit=0",
        "lat=40&lon=0&accuracy_m=5&limit=1001",
        "lat=north&lon=0&accuracy_m=5",
    ):
        response = await api.client.get(f"{base}?{query}", headers=me)
        assert response.status == 400, query
        assert response.content_type == "application/problem+json"
        assert (await response.json())["code"] == "invalid_request"
    _, answer = await api.call(
        "GET", "/v1/hunts/no-such-hunt/nearby?lat=1&lon=1&accuracy_m=5", 404, headers=me
    )
    assert answer["code"] == "not_found"


async def test_hunt_not_running(api: Api) -> None:
    hunt = await make_hunt(api, starts_in_h=2, ends_in_h=4)
    await hunt.clue(kind="ar", at=spot(0, 10))
    _, me = await api.hunter()
    answer = await nearby(api, hunt, me, expect=422)
    assert answer["code"] == "hunt_not_active"


async def test_rate_limited_on_a_budget_of_its_own(api: Api) -> None:
    hunt = await make_hunt(api, rules={"scans_per_minute": 2})
    clue = await hunt.clue(at=spot(0, 10))
    _, me = await api.hunter()
    await nearby(api, hunt, me)
    await nearby(api, hunt, me)
    response = await api.client.get(
        f"/v1/hunts/{hunt.slug}/nearby",
        headers=me,
        params={"lat": "40.758", "lon": "-73.9855", "accuracy_m": "5"},
    )
    assert response.status == 429
    assert (await response.json())["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Hints used up their budget, not the scans'.
    await post_scan(api, me, hunt.code(clue), 201, **at(spot(0, 10)))
