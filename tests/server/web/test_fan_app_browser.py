"""The fan app in a phone-sized Chromium (Debian's, headless, driven by Playwright), against the
real app on PostgreSQL and Redis: a fan lands on a printed code's page, joins with a handle and
claims where the code is; from 5 km away the page says how far and nothing is found. Nothing is
asked of another origin, and no script error or CSP violation happens. Screenshots of each
screen are kept in test-artifacts/ for people to look at."""

from __future__ import annotations

from pathlib import Path

from geo.coords import LatLon
from geo.distance import destination
from tests.support.api import Api, unique
from tests.support.browser import phone, screenshot, signed_in
from tests.support.builders import TIMES_SQUARE, make_hunt
from tests.support.camera import qr_y4m
from tests.support.fan_app import origin

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement


async def test_claim_at_the_billboard_and_refused_from_5_km(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Jibaro's Siren", episode="7")
    billboard = await hunt.clue(collectible=key, label="Times Square screen wall", city="New York")
    code = hunt.code(billboard)
    east = destination(LatLon(*TIMES_SQUARE), 90, 5_000)
    far = (east.lat, east.lon)
    base = origin(api)
    handle = unique("fan")[:20].replace("-", "_")
    async with phone(base, at=far) as device:
        tab = await device.tab()
        page = tab.page
        answer = await page.goto(f"{base}/c/{code}")
        assert answer is not None and answer.status == 200
        await page.get_by_role("heading", name="Jibaro's Siren").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "fan-code-page")
        await page.get_by_role("textbox", name="Handle").fill(handle)
        await page.get_by_role("button", name="Join").click()
        claim = page.get_by_role("button", name="Claim")
        await page.get_by_role("button", name="Claim", disabled=False).wait_for(
            timeout=UI_TIMEOUT_MS
        )

        # 5 km east of the billboard (4.9 km from its 100 m fence): the status says how far, and
        # that codes count only on the spot.
        await claim.click()
        status = page.get_by_role("status")
        await status.filter(has_text="away from this code").wait_for(timeout=UI_TIMEOUT_MS)
        text = await status.inner_text()
        assert "4.9 km away" in text and "only on the spot" in text, text
        await screenshot(tab, "fan-claim-too-far")
        me = await signed_in(device)
        _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
        assert finds == []

        # At the billboard: the claim is accepted and the page names the collectible.
        await device.move_to(*TIMES_SQUARE)
        await claim.click()
        await status.filter(has_text="You found").wait_for(timeout=UI_TIMEOUT_MS)
        text = await status.inner_text()
        assert "Jibaro's Siren" in text and "Score 1" in text, text
        await screenshot(tab, "fan-claim-found")
        _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
        assert [f["clue_id"] for f in finds] == [billboard["id"]]

    assert device.foreign_requests() == []
    assert device.errors() == []


async def test_scan_in_the_app_reads_a_screens_code_from_the_camera_and_claims_it(
    local_api: Api, tmp_path: Path
) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Swarm", episode="4")
    screen = await hunt.clue(kind="digital", collectible=key, label="Venue screen", city="NYC")
    _, display = await api.call(
        "GET", f"/v1/clues/{screen['id']}/display", 200, headers=api.organiser
    )
    camera = qr_y4m(display["url"], tmp_path / "screen.y4m")
    base = origin(api)
    async with phone(base, at=TIMES_SQUARE, camera=camera) as device:
        tab = await device.tab()
        page = tab.page
        await page.goto(f"{base}/")
        await page.get_by_role("textbox", name="Handle").fill(unique("scan")[:20].replace("-", "_"))
        await page.get_by_role("button", name="Join").click()
        await page.get_by_role("heading", name="Hi").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "fan-home")
        await page.get_by_role("button", name="Scan").click()
        status = page.get_by_role("status").filter(has_text="You found")
        await status.wait_for(timeout=UI_TIMEOUT_MS)
        assert "Swarm" in await status.inner_text()
        _, finds = await api.call("GET", "/v1/me/finds", 200, headers=await signed_in(device))
        assert [f["clue_id"] for f in finds] == [screen["id"]]
    assert device.foreign_requests() == []
    assert device.errors() == []


async def test_a_claim_made_offline_is_kept_and_sent_once_back_online(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Zima Blue", episode="14")
    billboard = await hunt.clue(collectible=key, label="Subway poster", city="New York")
    base = origin(api)
    async with phone(base, at=TIMES_SQUARE) as device:
        tab = await device.tab()
        page = tab.page
        await page.goto(f"{base}/c/{hunt.code(billboard)}")
        await page.get_by_role("textbox", name="Handle").fill(unique("sub")[:20].replace("-", "_"))
        await page.get_by_role("button", name="Join").click()
        claim = page.get_by_role("button", name="Claim", disabled=False)
        await claim.wait_for(timeout=UI_TIMEOUT_MS)
        me = await signed_in(device)

        # Underground, no network: the claim waits on the phone.
        await device.context.set_offline(True)
        await claim.click()
        kept = page.get_by_role("status").filter(has_text="kept on this phone")
        await kept.wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "fan-claim-kept-offline")
        _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
        assert finds == []

        # Back above ground: sent by itself, and the fan sees the outcome.
        await device.context.set_offline(False)
        outcome = page.get_by_role("status").filter(has_text="You found Zima Blue")
        await outcome.wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "fan-claim-sent-back-online")
        # Going offline and online again sends nothing twice.
        await device.context.set_offline(True)
        await device.context.set_offline(False)
        await page.reload()
        await page.get_by_role("button", name="Claim").wait_for(timeout=UI_TIMEOUT_MS)
        _, finds = await api.call("GET", "/v1/me/finds", 200, headers=me)
        assert [f["clue_id"] for f in finds] == [billboard["id"]]
    assert device.foreign_requests() == []
    assert device.errors() == []
