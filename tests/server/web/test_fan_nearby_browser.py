"""The fan app's Nearby tab in a phone-sized Chromium (Debian's, headless, driven by Playwright)
against the real app on PostgreSQL and Redis: a fan 1 km from a billboard and an AR clue sees
both, rounded; walking to the AR clue, the list refreshes by itself, reveals the object and its
"Claim", which creates the find; the camera view (Chromium's fake camera, a compass from its
overridden orientation sensor) puts the markers where they lie. Where nothing is near, offline,
or with location blocked, the page says so. Nothing is asked of another origin, and no script
error or CSP violation happens. Screenshots are kept in test-artifacts/ for people to look at."""

from __future__ import annotations

import re
from typing import Any

from geo.coords import LatLon
from geo.distance import destination
from tests.support.api import Api, unique
from tests.support.browser import compass, phone, screenshot, signed_in
from tests.support.builders import FIVE_KM_NORTH, TIMES_SQUARE, make_hunt
from tests.support.fan_app import origin

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
HOME = LatLon(*TIMES_SQUARE)


async def seen(locator: Any) -> None:
    await locator.wait_for(timeout=UI_TIMEOUT_MS)


def handle() -> str:
    return unique("near")[:20].replace("-", "_")


def spot(point: LatLon) -> tuple[float, float]:
    return (point.lat, point.lon)


async def test_hints_lead_to_an_ar_object_claimed_where_it_stands(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    siren = await hunt.collectible(name="Jibaro's Siren", episode="7")
    zima = await hunt.collectible(name="Zima Blue", episode="14")
    # 1 km east and 950 m north-north-east of the fan (the server rounds: 1.0 km and 950 m).
    pier = destination(HOME, 90, 1000)
    billboard = await hunt.clue(collectible=siren, label="Pier wall", at=spot(pier))
    pool = destination(HOME, 20, 950)
    anchor = {"asset_url": "https://img.example/zima-pool.glb", "scale": 1.5}
    ar = await hunt.clue(kind="ar", collectible=zima, label="The pool", at=spot(pool), ar=anchor)
    base = origin(api)
    async with phone(base, at=TIMES_SQUARE, fake_camera=True) as device:
        tab = await device.tab()
        needle = await compass(tab, 10)  # the phone faces 10° (north, a little east)
        page = tab.page
        await page.emulate_media(reduced_motion="reduce")  # markers jump: screenshots settle
        # The fan opened the billboard's code at home and joined there; nothing claimed yet.
        await page.goto(f"{base}/c/{hunt.code(billboard)}")
        await page.get_by_role("textbox", name="Handle").fill(handle())
        await page.get_by_role("button", name="Join").click()
        await seen(page.get_by_role("button", name="Claim", disabled=False))
        await page.get_by_role("link", name="Nearby").click()

        hints = page.get_by_role("list", name="Hints")
        rows = hints.get_by_role("listitem")
        board_row = rows.filter(has_text="Jibaro's Siren")
        ar_row = rows.filter(has_text="Zima Blue")
        await seen(board_row)
        assert await rows.count() == 2
        ar_text, board_text = await rows.all_inner_texts()  # nearest first
        assert "Zima Blue" in ar_text and "950 m" in ar_text and "AR object" in ar_text, ar_text
        assert "1.0 km" in board_text and "Billboard" in board_text, board_text
        assert "Not found yet" in ar_text and "Not found yet" in board_text
        # Not close enough for a ticket: nothing to claim on this page yet.
        assert await page.get_by_role("button", name="Claim").count() == 0
        # The compass points to the nearest, from the phone's heading.
        await seen(page.get_by_role("img", name="Compass: Zima Blue is 950 m to the north, 10°"))
        assert await page.get_by_text("±8 m").count() == 1
        await screenshot(tab, "fan-nearby-list")

        # The fan walks to 40 m of the AR clue: the list refreshes by itself and reveals it.
        near = destination(pool, 200, 40)
        await device.move_to(near.lat, near.lon, accuracy_m=6)
        claim = ar_row.get_by_role("button", name="Claim", exact=True)
        await seen(claim)
        text = await ar_row.inner_text()
        assert "Zima pool" in text and "is here" in text and "40 m" in text, text
        assert "±6 m" in await page.locator(".position").inner_text()
        await screenshot(tab, "fan-nearby-revealed")

        # The camera view: the rear camera (Chromium's test pattern) and the markers, the AR
        # object ahead a little to the right, the billboard (south-east now) beyond the right
        # edge.
        await page.get_by_role("button", name="Camera view").click()
        view = page.get_by_role("dialog", name="Camera view")
        await seen(page.locator(".arview.live"))  # the camera's video plays behind the markers
        await seen(view.get_by_role("listitem", name="Zima Blue, 40 m, 10° to your right"))
        await seen(
            view.get_by_role("listitem", name=re.compile(r"Siren, 1.1 km, turn 1[34]\d° right"))
        )
        assert await view.get_by_role("button", name="Claim here").count() == 1
        # The phone turns to face the object: its marker moves to the middle.
        await needle.face(20)
        await seen(view.get_by_role("listitem", name="Zima Blue, 40 m, straight ahead"))
        await screenshot(tab, "fan-nearby-camera")
        await view.get_by_role("button", name="Close").click()
        await view.wait_for(state="detached", timeout=UI_TIMEOUT_MS)

        # "Claim" sends the hint's ticket where the fan stands: the find is made.
        await claim.click()
        status = ar_row.get_by_role("status").filter(has_text="You found")
        await seen(status)
        assert "Zima Blue" in await status.inner_text()
        _, finds = await api.call("GET", "/v1/me/finds", 200, headers=await signed_in(device))
        assert [f["clue_id"] for f in finds] == [ar["id"]]
        await seen(ar_row.get_by_text("Found", exact=True))
        await screenshot(tab, "fan-nearby-claimed")

    assert device.foreign_requests() == []
    assert device.errors() == []


async def test_nothing_near_offline_and_location_blocked_are_said(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Swarm", episode="4")
    billboard = await hunt.clue(collectible=key, label="Station hall")
    base = origin(api)
    async with phone(base, at=FIVE_KM_NORTH) as device:
        tab = await device.tab()
        page = tab.page
        await page.goto(f"{base}/c/{hunt.code(billboard)}")
        await page.get_by_role("textbox", name="Handle").fill(handle())
        await page.get_by_role("button", name="Join").click()
        await seen(page.get_by_role("button", name="Claim", disabled=False))
        await page.get_by_role("link", name="Nearby").click()
        state = page.get_by_role("status").filter(has_text="No codes within 1.5 km")
        await seen(state)
        await screenshot(tab, "fan-nearby-nothing-near")

        # 1.2 km south of the billboard: its hint, and no compass in this phone: the arrow
        # points relative to north, and the page says so.
        await device.move_to(*spot(destination(HOME, 180, 1200)))
        row = page.get_by_role("list", name="Hints").get_by_role("listitem")
        await seen(row.filter(has_text="Swarm"))
        assert "1.2 km" in await row.inner_text()
        await seen(page.get_by_text("relative to north (N at the top)"))
        await seen(page.get_by_role("img", name="Compass: Swarm is 1.2 km to the north"))

        # Offline, walking on: the last hints stay, and the page says they are old.
        await device.context.set_offline(True)
        await device.move_to(*spot(destination(HOME, 180, 1100)))
        offline = page.get_by_role("status").filter(has_text="You are offline")
        await seen(offline)
        assert await row.count() == 1
        await screenshot(tab, "fan-nearby-offline")
        # Back online: the hints catch up by themselves.
        await device.context.set_offline(False)
        await offline.wait_for(state="detached", timeout=UI_TIMEOUT_MS)
        await seen(row.filter(has_text="1.1 km"))

        # Location blocked for the site: said, with what to do.
        await device.context.clear_permissions()
        await page.reload()
        blocked = page.get_by_role("status").filter(has_text="Location is blocked for this site")
        await seen(blocked)
        await screenshot(tab, "fan-nearby-location-blocked")

    assert device.foreign_requests() == []
    assert device.errors() == []
