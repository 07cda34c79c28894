"""The organisers' ratings page in a real browser (Debian's Chromium, headless, Playwright) for
the demo hunt: its charts render from the hunt's figures (the loved scenes' heatmap too, from
fans' moments made, approved and loved through the API), with nothing from outside the server
and no script at all. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hunt_engine.codes import static_code
from server.demo import data as demo_data
from server.demo import run as demo
from server.demo.guide import home_of
from tests.support.api import Api
from tests.support.browser import ARTIFACTS, full_hd_tab


async def _play_the_demo_hunt(api: Api, organiser: str) -> dict[str, Any]:
    seeded = await demo.seed(api.client, organiser, datetime.now(UTC).replace(microsecond=0))
    ring = api.settings.qr_keyring
    finders: list[tuple[dict[str, str], str]] = []  # a fan's headers, the episode found
    for clue in seeded.of_kind("billboard")[:6]:
        _, fan = await api.hunter()
        spot = clue["location"]
        body = {"code": static_code(ring, clue["id"]), "lat": spot["lat"], "lon": spot["lon"]}
        _, found = await api.call(
            "POST", "/v1/scans", 201, headers=fan, json={**body, "accuracy_m": 10}
        )
        finders.append((fan, found["find"]["collectible"]["key"]))
    [social] = seeded.of_kind("social")
    for _ in range(2):
        _, fan = await api.hunter()
        code = static_code(ring, social["id"])
        await api.call("POST", "/v1/scans", 201, headers=fan, json={"code": code})
    # A photo of the showcase billboard posted online: five fans try it from home.
    showcase = seeded.clue(demo_data.SHOWCASE_LABEL)
    home = home_of(showcase["location"]["lat"], showcase["location"]["lon"])
    for _ in range(5):
        _, fan = await api.hunter()
        body = {"code": static_code(ring, showcase["id"]), "lat": home[0], "lon": home[1]}
        await api.call("POST", "/v1/scans", 422, headers=fan, json={**body, "accuracy_m": 10})
    await _love_some_scenes(api, seeded.hunt["slug"], finders)
    return seeded.hunt


async def _love_some_scenes(api: Api, slug: str, finders: list[tuple[dict[str, str], str]]) -> None:
    """Three finders make a moment of the episode they found (two early scenes and one late),
    an organiser approves them, and the fans love them: 1, 2 and 3 loves."""
    scenes = (95, 130, 1510)
    for n, ((author, key), scene_s) in enumerate(zip(finders, scenes, strict=False), start=1):
        body = {"collectible": key, "scene_s": scene_s, "title": f"scene {n}"}
        _, made = await api.call(
            "POST", f"/v1/hunts/{slug}/moments", 201, headers=author, json=body
        )
        review = {"decision": "approve"}
        path = f"/v1/moments/{made['id']}/review"
        await api.call("POST", path, 200, headers=api.organiser, json=review)
        for fan, _ in finders[:n]:
            await api.call("PUT", f"/v1/moments/{made['id']}/love", 200, headers=fan)


async def test_ratings_page_draws_the_demo_hunts_charts(api: Api) -> None:
    organiser = api.organiser["Authorization"].removeprefix("Bearer ")
    hunt = await _play_the_demo_hunt(api, organiser)
    slug = hunt["slug"]
    _, stats = await api.call("GET", f"/v1/hunts/{slug}/stats", 200, headers=api.organiser)
    base = str(api.client.make_url("")).rstrip("/")
    async with full_hd_tab() as tab:
        page = tab.page
        answer = await page.goto(f"{base}/organisers/{slug}?token={organiser}")
        assert answer is not None and answer.status == 200
        assert await page.title() == f"Ratings: {hunt['name']}"

        # One bar per episode and series (finds, unique hunters, transfers), with the
        # figures of the stats endpoint.
        bars = await page.query_selector_all("#episodes svg rect.bar")
        assert len(bars) == 3 * len(demo_data.COLLECTIBLES)
        drawn = [
            (
                await b.get_attribute("data-series"),
                int(await b.get_attribute("data-value") or -1),
            )
            for b in bars
        ]
        expected = [
            (series, c[field])
            for c in stats["collectibles"]
            for series, field in (
                ("finds", "finds"),
                ("unique hunters", "unique_hunters"),
                ("transfers", "transfers"),
            )
        ]
        assert drawn == expected
        widths = [float(await b.get_attribute("width") or 0) for b in bars]
        assert max(widths) > 100  # the largest figure spans the chart, not a sliver

        splits = await page.query_selector_all("#split svg rect.split")
        assert len(splits) == sum(
            1 for c in stats["collectibles"] if c["on_site_finds"] + c["online_finds"]
        )
        assert len(splits) >= 2
        assert await page.query_selector("#hours svg .line[data-series='scans']")
        cities = await page.query_selector_all("#cities tr")
        assert len(cities) == 1 + len(stats["cities"])
        # The loved scenes: a strip per episode, a cell per minute holding a moment, with the
        # stats' loves per minute.
        scenes = [
            (c["key"], s["minute"], s["loves"], s["moments"])
            for c in stats["collectibles"]
            for s in c["scenes"]
        ]
        assert sum(loves for *_, loves, _ in scenes) == 1 + 2 + 3
        cells = await page.query_selector_all("#scenes svg rect.scene")
        assert [
            (
                int(await c.get_attribute("data-minute") or -1),
                int(await c.get_attribute("data-loves") or -1),
                int(await c.get_attribute("data-moments") or -1),
            )
            for c in cells
        ] == [(minute, loves, moments) for _, minute, loves, moments in scenes]
        assert await page.query_selector("#scenes svg[role='img']")
        alert = await page.wait_for_selector("#alerts .alert", timeout=5_000)
        assert alert is not None and "leaked_code" in await alert.inner_text()

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "ratings-page.png"), full_page=True)
    assert tab.requested and all(u.startswith(base + "/") for u in tab.requested), tab.requested
    assert len(tab.requested) == 1  # the page alone: no script, font, image or style to fetch
    assert (ARTIFACTS / "ratings-page.png").stat().st_size > 20_000
    assert tab.errors == []  # no Content-Security-Policy violation


async def test_ratings_page_needs_an_organiser_token(api: Api) -> None:
    path = f"/organisers/{demo_data.SLUG}"
    _, hunter = await api.hunter()
    token = hunter["Authorization"].removeprefix("Bearer ")
    assert (await api.call("GET", path, 401))[1]["code"] == "unauthorized"
    assert (await api.call("GET", f"{path}?token={token}", 403))[1]["code"] == "forbidden"
    assert (await api.call("GET", f"{path}?token=not-a-jwt", 401))[1]["code"] == "unauthorized"
