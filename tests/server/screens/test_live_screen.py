"""The venue screen's page and the rotating code it shows, over HTTP (the browser test drives
the page itself)."""

from __future__ import annotations

import re
import time

from hunt_engine.codes import rotating_code, step_at
from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import TIMES_SQUARE, at, make_hunt


async def test_the_page_is_public_self_contained_and_escapes_the_hunt_name(api: Api) -> None:
    hunt = await make_hunt(api)
    name = 'Robots </script><script>alert("x")</script> & co'
    await api.call(
        "PATCH", f"/v1/hunts/{hunt.slug}", 200, headers=api.organiser, json={"name": name}
    )
    response = await api.client.get(f"/screens/{hunt.slug}?clue=3&token=abc.def")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "unsafe" not in csp  # inline script and style are allowed by their hashes only
    # Nothing is loaded from anywhere else: no absolute URL in any src or href.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script>alert" not in page
    assert page.count("</script>") == 2  # the boot data and the page's own script
    assert "Robots &lt;/script&gt;" in page  # the title, escaped

    for path in ("/screens/no-such-hunt", f"/screens/{hunt.slug}?clue=0"):
        status, problem = await api.call("GET", path)
        assert status in (400, 404) and problem["code"] in ("invalid_request", "not_found")


async def test_screen_code_is_the_current_step_of_the_clue_with_its_qr(api: Api) -> None:
    hunt = await make_hunt(api, rules={"rotate_s": 3600})
    digital = await hunt.clue(kind="digital")
    billboard = await hunt.clue()
    other = await make_hunt(api)
    path = f"/screens/{hunt.slug}/code"
    screen = api.auth(Role.SCREEN, "venue", hunt.slug)

    _, answer = await api.call("GET", f"{path}?clue={digital['id']}", 200, headers=screen)
    step = step_at(time.time(), 3600)
    assert answer["step"] in (step, step + 1)  # the hour may turn between the two
    assert answer["code"] == rotating_code(api.settings.qr_keyring, digital["id"], answer["step"])
    assert answer["url"] == f"{api.settings.public_base_url}/c/{answer['code']}"
    assert answer["rotate_s"] == 3600 and 0 < answer["expires_in_s"] <= 3600
    assert answer["svg"].lstrip().startswith("<?xml") and "<svg" in answer["svg"]

    status, problem = await api.call("GET", f"{path}?clue={billboard['id']}", headers=screen)
    assert (status, problem["code"]) == (404, "not_found")  # a printed code is not for screens
    status, problem = await api.call("GET", path, headers=screen)
    assert (status, problem["code"]) == (400, "invalid_request")
    status, problem = await api.call(
        "GET", f"/screens/{other.slug}/code?clue={digital['id']}", headers=api.organiser
    )
    assert (status, problem["code"]) == (404, "not_found")  # not a clue of that hunt
    _, hunter = await api.hunter()
    for headers, expected in (
        ({}, 401),
        (hunter, 403),
        (api.auth(Role.SCREEN, "v", other.slug), 403),
    ):
        status, _ = await api.call("GET", f"{path}?clue={digital['id']}", headers=headers)
        assert status == expected


async def test_recent_finds_are_public_and_show_what_the_leaderboard_shows(api: Api) -> None:
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Jibaro's Siren", episode="S3E9")
    billboard = await hunt.clue(collectible=key, city="New York")
    path = f"/screens/{hunt.slug}/recent"
    _, empty = await api.call("GET", path, 200)
    assert empty == {"finds": []}

    handles = []
    for n in range(12):
        handle = f"Ticker_{n}_{hunt.slug[-6:]}"
        _, me = await api.hunter(handle)
        body = {"code": hunt.code(billboard), **at(TIMES_SQUARE)}
        await api.call("POST", "/v1/scans", 201, headers=me, json=body)
        handles.append(handle)

    response = await api.client.get(path)  # no token
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    finds = (await response.json())["finds"]
    assert [f["name"] for f in finds] == handles[::-1][:10]  # the ten latest, newest first
    assert finds[0]["collectible"] == {"key": key, "name": "Jibaro's Siren", "episode": "S3E9"}
    assert finds[0]["city"] == "New York" and finds[0]["found_at"].endswith("Z")
    # Nothing but that: no ids (a find's id is its token's, which names its wallet on chain),
    # no place but the city.
    assert set(finds[0]) == {"name", "collectible", "city", "found_at"}
    _, board = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard?limit=100", 200)
    assert {f["name"] for f in finds} <= {e["name"] for e in board["entries"]}

    status, problem = await api.call("GET", "/screens/no-such-hunt/recent")
    assert (status, problem["code"]) == (404, "not_found")
