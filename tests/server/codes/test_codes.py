"""GET /v1/codes/{code}: what a scanned code is for, before claiming it, for each kind of clue;
a 404 problem for anything else; never where a clue is."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hunt_engine.codes import rotating_code, static_code, step_at, ticket_code
from server.codes.lookup import CodeLookup
from server.common.catalog import Catalog
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, iso, make_hunt
from tests.support.codes import RING, forge

PROBLEM = "application/problem+json"


async def look_up(api: Api, code: str, expect: int = 200) -> tuple[Any, Any]:
    """The answer for this code, and its headers."""
    response = await api.client.get(f"/v1/codes/{code}")
    body = await response.json(content_type=None)
    assert response.status == expect, (code, response.status, body)
    return body, response.headers


def assert_no_place(body: Any, clue: dict[str, Any]) -> None:
    """Nothing in the answer says where the clue is: no location, fence or coordinate."""
    text = json.dumps(body)
    for word in ("location", "geofence", "lat", "lon", "distance"):
        assert f'"{word}' not in text, (word, text)
    if clue.get("location"):
        for value in clue["location"].values():
            assert str(value) not in text, (value, text)


async def test_a_billboard_code_says_what_it_is_for(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible()
    clue = await hunt.clue(collectible=key, label="Billboard by the station", city="New York")
    for code in (hunt.code(clue), static_code(api.settings.qr_keyring, clue["id"])):
        body, headers = await look_up(api, code)
        assert body == {
            "hunt": {"slug": hunt.slug, "name": "Test hunt"},
            "clue": {
                "id": clue["id"],
                "kind": "billboard",
                "label": "Billboard by the station",
                "city": "New York",
            },
            "collectible": {
                "key": key,
                "name": f"Collectible {key}",
                "episode": "Jibaro",
                "image_url": "https://img.example/x.png",
            },
            "active": True,
        }
        assert headers["Cache-Control"] == "public, max-age=30"
        assert_no_place(body, clue)


async def test_a_digital_code_says_how_long_it_is_accepted(api: Api) -> None:
    hunt = await make_hunt(api, rules={"rotate_s": 30})
    clue = await hunt.clue(kind="digital")
    ring = api.settings.qr_keyring
    step = step_at(time.time(), 30)
    body, headers = await look_up(api, rotating_code(ring, clue["id"], step))
    # This step and the next: between 30 and 60 seconds left.
    assert body["clue"]["kind"] == "digital" and body["active"] is True
    assert 30 - 1 < body["expires_in_s"] <= 60, body
    assert 0 <= int(headers["Cache-Control"].rpartition("=")[2]) <= 30
    assert_no_place(body, clue)
    before, _ = await look_up(api, rotating_code(ring, clue["id"], step - 1))
    assert 0 < before["expires_in_s"] <= 30 + 1, before
    # Expired (two steps back) or not issued yet (a step ahead): no such code.
    for offset in (-3, 1, 2):
        await look_up(api, rotating_code(ring, clue["id"], step + offset), 404)


async def test_a_social_code(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind="social", city=None)
    code = hunt.code(clue)
    body, _ = await look_up(api, code)
    assert body["clue"] == {
        "id": clue["id"],
        "kind": "social",
        "label": clue["label"],
        "city": None,
    }
    assert body["active"] is True and "expires_in_s" not in body


async def test_ar_tickets_and_unpublished_pairings_are_not_codes(api: Api) -> None:
    hunt = await make_hunt(api)
    ar = await hunt.clue(kind="ar")
    billboard = await hunt.clue()
    hunter_id, _ = await api.hunter()
    ring = api.settings.qr_keyring
    now = int(time.time())
    step = step_at(now, 30)
    for code in (
        ticket_code(ring, ar["id"], hunter_id, now),  # personal, and leads to the spot
        static_code(ring, ar["id"]),  # an AR clue has no printed code
        rotating_code(ring, billboard["id"], step),  # nor a billboard a rotating one
    ):
        body, _ = await look_up(api, code, 404)
        assert body["code"] == "not_found"


async def test_junk_is_a_404_problem(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    code = hunt.code(clue)
    last = "A" if code[-1] != "A" else "B"
    # Codes as a code's path segment may be spelled, refused by the lookup.
    not_ours = [
        code[:-1] + last,  # one character changed: a forged signature
        code[:-1],
        forge(RING.active_key, code.rpartition(".")[0]),  # signed with another key
        static_code(api.settings.qr_keyring, 2**40),  # genuine, but names no clue
        "hello",
        "s.1.1.AAAAAAAAAAAAAAAA",
        "r.1.1.1.AAAAAAAAAAAAAAAA",
    ]
    # Not even spelled as a code: refused before any lookup.
    not_codes = [
        "s.1.1." + "A" * 60,  # too long for a code
        "x" * 600,
        "%C3%A9t%C3%A9",  # not ASCII
        "s.1.%E2%82%AC.AAAAAAAAAAAAAAAA",
        "%00",
        "..%2F..%2Fhealthz",
        "c%2Fs.1.1.AAAAAAAAAAAAAAAA",
        "s.1.1.AAAA%20AAAAAAAAAAAA",
        "..",
    ]
    for text in not_ours + not_codes:
        response = await api.client.get(f"/v1/codes/{text}")
        assert response.status == 404, text
        assert response.headers["Content-Type"].startswith(PROBLEM), text
        body = await response.json(content_type=None)
        assert body["code"] == "not_found" and body["status"] == 404, body
        if text in not_ours:
            # One answer for all: forged, unknown and expired look alike.
            assert body["detail"] == "no claimable code of this server", body
    # No code at all.
    for path in ("/v1/codes/", "/v1/codes"):
        response = await api.client.get(path)
        assert response.status == 404, path
        assert response.headers["Content-Type"].startswith(PROBLEM), path


async def test_a_switched_off_clue_still_answers_and_says_so(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    code = hunt.code(clue)
    path = f"/v1/clues/{clue['id']}"
    await api.call("PATCH", path, 200, headers=api.organiser, json={"active": False})
    body, _ = await look_up(api, code)
    assert body["active"] is False and body["reason"] == "clue_not_active"
    # A window not open yet says the same; a hunt not started says so.
    later = iso(datetime.now(UTC) + timedelta(hours=1))
    await api.call(
        "PATCH", path, 200, headers=api.organiser, json={"active": True, "active_from": later}
    )
    body, _ = await look_up(api, code)
    assert body["active"] is False and body["reason"] == "clue_not_active"
    soon = await make_hunt(api, starts_in_h=2, ends_in_h=4)
    early = await soon.clue()
    body, _ = await look_up(api, soon.code(early))
    assert body["active"] is False and body["reason"] == "hunt_not_active"


async def test_changes_to_a_clue_or_its_hunt_show_at_once(api: Api) -> None:
    """The answer is kept in memory, and forgotten when the catalog sees the clue, its hunt or
    its collectible change."""
    hunt = await make_hunt(api)
    clue = await hunt.clue(label="Old label")
    code = hunt.code(clue)
    body, _ = await look_up(api, code)
    assert body["clue"]["label"] == "Old label"
    await api.call(
        "PATCH",
        f"/v1/clues/{clue['id']}",
        200,
        headers=api.organiser,
        json={"label": "New label", "city": "Boston"},
    )
    await api.call(
        "PATCH", f"/v1/hunts/{hunt.slug}", 200, headers=api.organiser, json={"name": "Renamed"}
    )
    body, _ = await look_up(api, code)
    assert body["clue"]["label"] == "New label" and body["clue"]["city"] == "Boston"
    assert body["hunt"]["name"] == "Renamed"


async def test_head_answers_like_get_without_a_body(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(location={"lat": TIMES_SQUARE[0], "lon": TIMES_SQUARE[1]})
    for path in (f"/v1/codes/{hunt.code(clue)}", "/v1/codes/junk"):
        got = await api.client.get(path)
        head = await api.client.head(path)
        assert head.status == got.status, path
        assert await head.read() == b""
        for name in ("Content-Type", "Content-Length", "Cache-Control"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)


class CountingPool:
    """A pool that answers the one query the lookup makes, and counts it."""

    def __init__(self) -> None:
        self.reads = 0

    async def fetchrow(self, sql: str, *args: Any) -> dict[str, Any]:
        self.reads += 1
        await asyncio.sleep(0.01)  # long enough for every concurrent lookup to ask meanwhile
        return {"hunt_name": "Hunt", "label": "Label", "city": "Paris", "image_url": "https://i/x"}


def catalog_of_one_clue() -> Catalog:
    now = datetime.now(UTC)
    catalog = Catalog()
    catalog.put_hunt(
        {
            "id": 1,
            "slug": "h",
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(hours=1),
            "rules": {},
            "rev": 1,
        }
    )
    catalog.put_collectible(
        {"id": 2, "hunt_id": 1, "key": "k", "name": "K", "episode": None, "rev": 2}
    )
    catalog.put_clue(clue_row(rev=3))
    return catalog


def clue_row(rev: int) -> dict[str, Any]:
    return {
        "id": 7,
        "hunt_id": 1,
        "collectible_id": 2,
        "kind": "billboard",
        "lat": 48.8584,
        "lon": 2.2945,
        "geofence": {"radius_m": 100},
        "active": True,
        "active_from": None,
        "active_until": None,
        "ar": None,
        "code_version": 0,
        "rev": rev,
    }


async def test_a_code_looked_up_by_millions_is_read_once() -> None:
    """However many ask at once, one read; after it none, until the catalog sees a change.
    A forged code costs no read at all."""
    catalog = catalog_of_one_clue()
    lookup = CodeLookup(catalog)
    pool = CountingPool()
    code = static_code(RING, 7)
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    now = datetime.now(UTC)
    answers = await asyncio.gather(*(lookup.describe(pool, RING, code, now) for _ in range(1000)))
    assert pool.reads == 1
    assert all(a is not None and a.body["clue"]["label"] == "Label" for a in answers)
    for _ in range(1000):
        await lookup.describe(pool, RING, code, now)
        assert await lookup.describe(pool, RING, forged, now) is None
    assert pool.reads == 1
    catalog.put_clue(clue_row(rev=4))  # the clue changed (a NOTIFY, or this process's write)
    await lookup.describe(pool, RING, code, now)
    assert pool.reads == 2
