"""POST /v1/clues/{id}/reissue: a leaked printed code replaced by a new one. Who may, what the
clue's history keeps, old codes of both printed kinds refused `code_revoked` while the new one
is accepted (on this process at once, on another as the catalog follows), `/v1/codes` and the
QR images, and the leaked-code alert that names the reissue."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from hunt_engine.codes import static_code
from infra.settings import Settings
from server.app import create_app
from server.common import qr_images
from server.common.catalog import Catalog
from server.http.app_keys import SERVICES
from server.http.auth import Role
from tests.support.api import RUN, Api
from tests.support.builders import FIVE_KM_NORTH, TIMES_SQUARE, at, make_hunt, post_scan

SYNC_S = 5.0  # a bound against hanging, never a measurement


@pytest.fixture
async def other_process(aiohttp_client: Any, settings: Settings) -> Api:
    """Another server process on the same database and Redis, with a catalog of its own."""
    return Api(await aiohttp_client(create_app(settings)), settings)


async def reissue(
    api: Api,
    clue: dict[str, Any],
    expect: int = 200,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> Any:
    _, answer = await api.call(
        "POST",
        f"/v1/clues/{clue['id']}/reissue",
        expect,
        headers=api.organiser if headers is None else headers,
        json=body,
    )
    return answer


def code_of(api: Api, clue: dict[str, Any], version: int) -> str:
    return static_code(api.settings.qr_keyring, clue["id"], version)


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > SYNC_S:
            pytest.fail(f"not seen within {SYNC_S} s")
        await asyncio.sleep(0.05)


def scan_body(clue: dict[str, Any], code: str) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code}
    if clue["kind"] != "social":
        body.update(at(TIMES_SQUARE))
    return body


async def test_only_organisers_reissue(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    hunter_id, _ = await api.hunter()
    for role, sub in ((Role.FIELD, "crew"), (Role.HUNTER, str(hunter_id)), (Role.SCREEN, "tv")):
        answer = await reissue(api, clue, 403, headers=api.auth(role, sub))
        assert answer["code"] == "forbidden", role
    answer = await reissue(api, clue, 403, headers=api.auth(Role.ORGANISER, "o", hunt="other-x"))
    assert answer["code"] == "forbidden"
    _, answer = await api.call("POST", f"/v1/clues/{clue['id']}/reissue", 401, json={})
    assert answer["code"] == "unauthorized"
    # Nothing changed: the first code still works.
    _, me = await api.hunter()
    await post_scan(api, me, code_of(api, clue, 0), 201, **at(TIMES_SQUARE))


async def test_screens_and_ar_clues_have_no_printed_code_to_reissue(api: Api) -> None:
    hunt = await make_hunt(api)
    answer = await reissue(api, await hunt.clue(kind="digital"), 409)
    assert answer["code"] == "rotating_clue"
    answer = await reissue(api, await hunt.clue(kind="ar"), 409)
    assert answer["code"] == "not_printed"
    answer = await reissue(api, {"id": 999_999_999_999}, 404)
    assert answer["code"] == "not_found"
    clue = await hunt.clue()
    for body in ({"reason": ""}, {"reason": "x" * 501}, {"reason": 5}, {"why": "no"}):
        answer = await reissue(api, clue, 400, **body)
        assert answer["code"] == "invalid_request", body


async def test_the_answer_is_the_clue_with_new_links_and_the_history_keeps_it(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    assert clue["code_version"] == 0
    answer = await reissue(api, clue, reason="a photo of it is on a forum")
    base = f"{api.settings.public_base_url}/v1/clues/{clue['id']}"
    assert answer["id"] == clue["id"] and answer["code_version"] == 1
    assert answer["qr"] == {"png": f"{base}/qr.png?v=1", "svg": f"{base}/qr.svg?v=1"}
    assert {k: v for k, v in answer.items() if k not in ("qr", "code_version")} == {
        k: v for k, v in clue.items() if k not in ("qr", "code_version")
    }
    again = await reissue(api, clue)
    assert again["code_version"] == 2 and again["qr"]["png"] == f"{base}/qr.png?v=2"
    _, history = await api.call(
        "GET", f"/v1/clues/{clue['id']}/history", 200, headers=api.organiser
    )
    assert [h["action"] for h in history] == ["created", "reissued", "reissued"]
    first, second = history[1], history[2]
    assert first["by"] == f"org-{RUN}" and first["role"] == "organiser" and first["at"]
    assert first["changes"] == {
        "code_version": {"from": 0, "to": 1},
        "reason": "a photo of it is on a forum",
    }
    assert second["changes"] == {"code_version": {"from": 1, "to": 2}}
    # The images draw the current code, whatever `v` a link names.
    url = f"{api.settings.public_base_url}/c/{code_of(api, clue, 2)}"
    for query in ("", "?v=2", "?v=0"):
        _, svg = await api.call(
            "GET", f"/v1/clues/{clue['id']}/qr.svg{query}", 200, headers=api.organiser
        )
        assert svg == qr_images.svg(url)
    _, png = await api.call("GET", f"/v1/clues/{clue['id']}/qr.png", 200, headers=api.organiser)
    assert png == qr_images.png(url)


@pytest.mark.parametrize("kind", ["billboard", "social"])
async def test_old_codes_are_revoked_and_the_new_one_is_accepted(api: Api, kind: str) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(kind=kind)
    await reissue(api, clue)
    await reissue(api, clue)
    for version in (0, 1):
        _, hunter = await api.hunter()
        body = scan_body(clue, code_of(api, clue, version))
        _, answer = await api.call("POST", "/v1/scans", 422, headers=hunter, json=body)
        assert answer["code"] == "code_revoked", (kind, version)
        # As a URL too, and before every other rule: far away, with a skewed clock.
        far = {**body, "code": f"{api.settings.public_base_url}/c/{body['code']}"}
        if kind == "billboard":
            far.update(at(FIVE_KM_NORTH))
        far["scanned_at"] = "2001-01-01T00:00:00Z"
        _, answer = await api.call("POST", "/v1/scans", 422, headers=hunter, json=far)
        assert answer["code"] == "code_revoked"
    _, hunter = await api.hunter()
    body = scan_body(clue, code_of(api, clue, 2))
    _, found = await api.call("POST", "/v1/scans", 201, headers=hunter, json=body)
    assert found["find"]["clue_id"] == clue["id"]
    # A version never issued is no code of ours.
    _, answer = await api.call(
        "POST",
        "/v1/scans",
        422,
        headers=hunter,
        json=scan_body(clue, code_of(api, clue, 3)),
    )
    assert answer["code"] == "invalid_code"
    # The refusals are recorded with their verdict, like any other.
    _, stats = await api.call("GET", f"/v1/hunts/{hunt.slug}/stats", 200, headers=api.organiser)
    assert stats["rejections"].get("code_revoked") == 4


async def test_what_a_code_is_for_forgets_a_revoked_code(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    old = code_of(api, clue, 0)
    response = await api.client.get(f"/v1/codes/{old}")
    assert response.status == 200
    await reissue(api, clue)
    response = await api.client.get(f"/v1/codes/{old}")
    assert response.status == 404
    assert (await response.json(content_type=None))["code"] == "not_found"
    response = await api.client.get(f"/v1/codes/{code_of(api, clue, 1)}")
    assert response.status == 200
    assert (await response.json())["clue"]["id"] == clue["id"]


async def test_another_process_follows_a_reissue(api: Api, other_process: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    catalog = other_process.client.server.app[SERVICES].catalog
    _, hunter = await other_process.hunter()
    body = scan_body(clue, code_of(api, clue, 0))
    # The other process knows the clue at version 0.
    _, answer = await other_process.call(
        "POST", "/v1/scans", 422, headers=hunter, json={**body, **at(FIVE_KM_NORTH)}
    )
    assert answer["code"] == "outside_geofence"
    assert catalog.code_version(clue["id"]) == 0
    await reissue(api, clue)
    # The new code is good there at once, notified yet or not: a newer version reloads the clue.
    _, found = await other_process.call(
        "POST",
        "/v1/scans",
        201,
        headers=hunter,
        json=scan_body(clue, code_of(api, clue, 1)),
    )
    assert found["find"]["clue_id"] == clue["id"]

    async def caught_up() -> bool:
        return catalog.code_version(clue["id"]) == 1

    await until(caught_up)
    _, late = await other_process.hunter()
    _, answer = await other_process.call("POST", "/v1/scans", 422, headers=late, json=body)
    assert answer["code"] == "code_revoked"


async def test_a_leaked_code_alert_names_its_reissue(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    for _ in range(5):
        _, hunter = await api.hunter()
        body = {"code": code_of(api, clue, 0), **at(FIVE_KM_NORTH)}
        await api.call("POST", "/v1/scans", 422, headers=hunter, json=body)
    _, alerts = await api.call("GET", f"/v1/hunts/{hunt.slug}/alerts", 200, headers=api.organiser)
    [alert] = alerts
    assert alert["kind"] == "leaked_code"
    assert alert["detail"]["reissue"] == f"/v1/clues/{clue['id']}/reissue"
    # What the alert names is what answers it.
    answer = await reissue(api, clue, reason=f"alert {alert['id']}")
    assert answer["code_version"] == 1
    # The organisers' page names it too.
    token = api.organiser["Authorization"].removeprefix("Bearer ")
    _, page = await api.call("GET", f"/organisers/{hunt.slug}", 200, params={"token": token})
    assert f'data-reissue="/v1/clues/{clue["id"]}/reissue"' in page.decode()


async def test_a_catalog_behind_a_reissue_reloads_the_clue_for_its_new_code(api: Api) -> None:
    """A process whose NOTIFY has not arrived yet: a code of a newer version than it knows
    makes it read the clue again before judging (the code is signed: it was issued)."""
    hunt = await make_hunt(api)
    clue = await hunt.clue()
    pool = api.client.server.app[SERVICES].pool
    behind = Catalog()  # loaded once, never following
    async with pool.acquire() as conn:
        await behind.load_all(conn)
    assert behind.code_version(clue["id"]) == 0
    await reissue(api, clue)
    known = behind.clues[clue["id"]]
    assert await behind.clue(pool, clue["id"]) is known  # no newer version asked: no read
    assert behind.code_version(clue["id"]) == 0
    assert await behind.clue(pool, clue["id"], 1) is not known
    assert behind.code_version(clue["id"]) == 1
