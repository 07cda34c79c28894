"""The console (`/console`) in Debian's Chromium, driven by Playwright, against the real app on
PostgreSQL and Redis: a field team registers a billboard where its phone stands and the printed
code it downloads from the page is accepted by a scan at that spot; a vague fix is refused with
the reason; a polygon tapped on the plain map becomes the fence. No request leaves the origin
(but for the tile server, where one is configured), and no script error or CSP violation
happens. Screenshots of each screen are kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image
from playwright.async_api import Page

from geo.coords import LatLon
from geo.distance import geodesic_m
from infra.settings import Settings, SettingsError
from server.app import create_app
from server.http.auth import Role
from tests.support.api import TEST_SECRET, Api, bearer, unique
from tests.support.browser import PHONE, phone, screenshot
from tests.support.builders import make_hunt, post_scan
from tests.support.fan_app import origin
from tests.support.processes import free_port

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
# Rockefeller Center's plaza, 600 m from Times Square: where the field team stands.
PLAZA = (40.75874, -73.97866)
# PDF page sizes in points (Chromium's, from the sheet's named @page).
A4_PT = (594.96, 841.92)
LETTER_PT = (612.0, 792.0)


async def serve_here(aiohttp_client: Any, settings: Settings) -> Api:
    """The app on `settings` as http://localhost:PORT (geolocation needs a secure origin)."""
    port = free_port()
    local = dataclasses.replace(settings, public_base_url=f"http://localhost:{port}")
    server = TestServer(create_app(local), host="127.0.0.1", port=port)
    return Api(await aiohttp_client(server), local)


def token_of(api: Api, role: Role, sub: str, hunt: str | None = None) -> str:
    token, _ = api.issuer.issue(role, sub, 3600, hunt)
    return token


def decode_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode, found
    return str(found[0].text)


async def downloaded(page: Page, link_name: str) -> bytes:
    """The file behind one of the page's download links (a blob: URL), as the browser saves it."""
    async with page.expect_download(timeout=UI_TIMEOUT_MS) as info:
        await page.get_by_role("link", name=link_name, exact=True).click()
    download = await info.value
    path = await download.path()
    assert path is not None
    return await asyncio.to_thread(Path(path).read_bytes)


def page_size_pt(pdf: bytes) -> tuple[float, float]:
    """The size of the PDF's one page (the print sheet fits one page, whatever the paper)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == 1, boxes
    return float(boxes[0][0]), float(boxes[0][1])


async def fill_clue_form(page: Page, collectible: str, label: str, city: str) -> None:
    """The field form, filled in with the contract's names (the fix was taken)."""
    await page.get_by_role("combobox", name="Collectible").select_option(label=collectible)
    await page.get_by_role("textbox", name="Label").fill(label)
    await page.get_by_role("textbox", name="City").fill(city)


async def test_a_field_team_registers_a_billboard_where_it_stands_and_its_code_scans_there(
    local_api: Api,
) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Sonnie's Edge", episode="1")
    crew = unique("crew")
    token = token_of(api, Role.FIELD, crew, hunt.slug)
    base = origin(api)
    async with phone(base, at=PLAZA) as device:
        tab = await device.tab()
        page = tab.page
        answer = await page.goto(f"{base}/console#token={token}")
        assert answer is not None and answer.status == 200
        await page.get_by_role("button", name="Register here").click()
        await page.get_by_text("±8 m").first.wait_for(timeout=UI_TIMEOUT_MS)
        # The token left the address bar: a copied URL or a screenshot does not carry it.
        assert page.url == f"{base}/console", page.url
        assert await page.get_by_text("Field team").is_visible()
        # A field team sees no organiser section.
        assert await page.get_by_role("link", name="Tokens").count() == 0
        label = "Rockefeller Plaza, west screen"
        await fill_clue_form(page, "Sonnie's Edge (1)", label, "New York")
        await screenshot(tab, "console-field-register")
        await page.get_by_role("button", name="Save").click()
        qr = page.get_by_role("img", name="QR")
        await qr.wait_for(timeout=UI_TIMEOUT_MS)
        assert "Rockefeller Plaza" in (await qr.get_attribute("alt") or "")
        src = await qr.get_attribute("src") or ""
        assert src.startswith(f"blob:{base}/"), src  # shown from this page's own origin
        await screenshot(tab, "console-field-saved")

        # The PNG the page offers is the one the API serves with the same token.
        png = await downloaded(page, "PNG")
        assert png.startswith(b"\x89PNG")
        clue_id = int(await page.locator("[data-clue-id]").first.get_attribute("data-clue-id") or 0)
        _, served = await api.call(
            "GET", f"/v1/clues/{clue_id}/qr.png?scale=12", 200, headers=bearer(token)
        )
        assert served == png
        svg = await downloaded(page, "SVG")
        assert svg.lstrip().startswith((b"<?xml", b"<svg"))

        # The print sheet: the code, the place and a call to action, sized for A4 or Letter.
        await page.get_by_role("button", name="Print sheet").click()
        sheet = page.get_by_role("dialog", name="Print sheet")
        await sheet.wait_for(timeout=UI_TIMEOUT_MS)
        assert "Scan me" in await sheet.inner_text()
        assert "Rockefeller Plaza, west screen" in await sheet.inner_text()
        await sheet.get_by_role("img", name="QR").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "console-print-sheet")
        # On paper (an A4 page's width at 96 dpi): the sheet alone.
        await page.set_viewport_size({"width": 794, "height": 1123})
        await page.emulate_media(media="print")
        await screenshot(tab, "console-print-paper")
        await page.emulate_media(media="null")  # as it was (a PDF is printed with print media)
        await page.set_viewport_size(PHONE)
        size = page_size_pt(await page.pdf(prefer_css_page_size=True))
        assert size == pytest.approx(A4_PT, abs=1), size
        await sheet.get_by_role("combobox", name="Paper").select_option("letter")
        size = page_size_pt(await page.pdf(prefer_css_page_size=True))
        assert size == pytest.approx(LETTER_PT, abs=1), size
        await sheet.get_by_role("button", name="Close").click()

        # "My clues" lists it with its history.
        await page.get_by_role("link", name="My clues").click()
        item = page.locator(f"[data-clue-id='{clue_id}']")
        await item.get_by_role("button", name="History").click()
        await item.get_by_role("list", name="History").wait_for(timeout=UI_TIMEOUT_MS)
        assert f"by {crew}" in await item.inner_text()
        await screenshot(tab, "console-field-my-clues")

    # Saved where the phone stood, with the chosen collectible, label and city.
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    [clue] = clues
    assert clue["id"] == clue_id and clue["collectible"] == key and clue["kind"] == "billboard"
    assert (clue["label"], clue["city"]) == ("Rockefeller Plaza, west screen", "New York")
    here = LatLon(*PLAZA)
    assert geodesic_m(LatLon(clue["location"]["lat"], clue["location"]["lon"]), here) < 0.5

    # The printed code, scanned at that spot by a hunter, is a find.
    url = decode_qr(png)
    assert url.startswith(f"{base}/c/"), url
    _, hunter = await api.hunter()
    found = await post_scan(api, hunter, url, 201, lat=PLAZA[0], lon=PLAZA[1], accuracy_m=10)
    assert found["find"]["clue_id"] == clue_id
    assert device.foreign_requests() == []
    assert device.errors() == []


async def test_a_vague_fix_is_refused_with_the_reason_then_a_good_one_is_saved(
    local_api: Api,
) -> None:
    api = local_api
    hunt = await make_hunt(api)  # max_accuracy_m: 100 (the default)
    await hunt.collectible(name="Zima Blue", episode="14")
    token = token_of(api, Role.FIELD, unique("crew"), hunt.slug)
    base = origin(api)
    async with phone(base, at=PLAZA) as device:
        await device.move_to(*PLAZA, accuracy_m=300)
        tab = await device.tab()
        page = tab.page
        await page.goto(f"{base}/console#token={token}")
        await page.get_by_role("button", name="Register here").click()
        await page.get_by_text("±300 m").first.wait_for(timeout=UI_TIMEOUT_MS)
        await fill_clue_form(page, "Zima Blue (14)", "Pool tiles", "New York")
        await page.get_by_role("button", name="Save").click()
        status = page.get_by_role("status").filter(has_text="Not saved")
        await status.wait_for(timeout=UI_TIMEOUT_MS)
        text = await status.inner_text()
        assert "±300 m" in text and "±100 m" in text and "max_accuracy_m" in text, text
        await screenshot(tab, "console-field-vague-fix")
        _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
        assert clues == []

        # The GPS settles: the same form saves.
        await device.move_to(*PLAZA, accuracy_m=6)
        await page.get_by_text("±6 m").first.wait_for(timeout=UI_TIMEOUT_MS)
        await page.get_by_role("button", name="Save").click()
        await page.get_by_role("img", name="QR").wait_for(timeout=UI_TIMEOUT_MS)
    _, clues = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    assert [c["label"] for c in clues] == ["Pool tiles"]
    assert device.foreign_requests() == []
    assert device.errors() == []


async def test_a_polygon_drawn_on_the_plain_map_becomes_the_fence(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    await hunt.collectible(name="Fish Night", episode="10")
    token = token_of(api, Role.FIELD, unique("crew"), hunt.slug)
    base = origin(api)
    async with phone(base, at=PLAZA) as device:
        tab = await device.tab()
        page = tab.page
        await page.goto(f"{base}/console#token={token}")
        await page.get_by_role("button", name="Register here").click()
        await page.get_by_text("±8 m").first.wait_for(timeout=UI_TIMEOUT_MS)
        await page.get_by_role("radio", name="Polygon").check()
        area = page.get_by_role("application", name="Map of the billboard's fence")
        box = await area.bounding_box()
        assert box is not None
        middle = (box["width"] / 2, box["height"] / 2)
        for dx, dy in ((-80, -60), (80, -60), (80, 60), (-80, 60)):
            await area.tap(position={"x": middle[0] + dx, "y": middle[1] + dy})
        await page.get_by_text("4 corners").wait_for(timeout=UI_TIMEOUT_MS)
        await fill_clue_form(page, "Fish Night (10)", "Desert diner sign", "New York")
        await screenshot(tab, "console-field-polygon")
        await page.get_by_role("button", name="Save").click()
        await page.get_by_role("img", name="QR").wait_for(timeout=UI_TIMEOUT_MS)
    _, [clue] = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    fence = clue["geofence"]
    assert fence["type"] == "Polygon" and len(fence["coordinates"][0]) == 5
    # The phone stood in the middle of the four corners it tapped around itself.
    lons = [p[0] for p in fence["coordinates"][0]]
    lats = [p[1] for p in fence["coordinates"][0]]
    assert min(lats) < PLAZA[0] < max(lats) and min(lons) < PLAZA[1] < max(lons)
    assert device.foreign_requests() == []
    assert device.errors() == []


async def test_without_tiles_the_page_asks_nothing_of_another_origin_and_says_so_in_its_csp(
    local_api: Api,
) -> None:
    response = await local_api.client.get("/console")
    assert response.status == 200 and response.content_type == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob:;" in csp and "script-src 'self';" in csp
    assert "unsafe" not in csp and "http" not in csp
    _, config = await local_api.call("GET", "/v1/app/config", 200)
    assert "tile_url" not in config


@pytest.mark.parametrize(
    "url",
    [
        "ftp://tile.example/{z}/{x}/{y}.png",
        "https://tile.example/{z}/{x}.png",
        "https://{s}.tile.example/{z}/{x}/{y}.png",
        "https://tile.example/{z}/{x}/{y}/{r}.png",
        "https://user@tile.example/{z}/{x}/{y}.png",
        "https://tile.example/{z}/{x}/{y}.png; script-src *",
        "https://tile.example:99999/{z}/{x}/{y}.png",
        "tile.example/{z}/{x}/{y}.png",
    ],
)
def test_a_tile_url_that_is_not_an_http_template_is_refused(url: str) -> None:
    with pytest.raises(SettingsError, match="GEOHUNT_TILE_URL"):
        Settings.from_env({"GEOHUNT_SECRET": TEST_SECRET, "GEOHUNT_TILE_URL": url})


async def test_with_a_tile_server_the_map_draws_its_tiles_and_nothing_else_leaves(
    aiohttp_client: Any, settings: Settings
) -> None:
    # A tile server of our own on another origin (127.0.0.1, not localhost): one grey tile.
    tile = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 200, 200)).save(tile, "PNG")
    asked: list[str] = []

    async def serve_tile(request: web.Request) -> web.Response:
        asked.append(request.path)
        return web.Response(body=tile.getvalue(), content_type="image/png")

    tiles = web.Application()
    tiles.router.add_get("/{z}/{x}/{y}.png", serve_tile)
    tile_server = TestServer(tiles, host="127.0.0.1", port=free_port())
    await tile_server.start_server()
    try:
        tile_origin = f"http://127.0.0.1:{tile_server.port}"
        configured = Settings.from_env(
            {
                "GEOHUNT_SECRET": TEST_SECRET,
                "DATABASE_URL": settings.database_url or "",
                "REDIS_URL": settings.redis_url or "",
                "GEOHUNT_REDIS_PREFIX": settings.redis_prefix,
                "GEOHUNT_TILE_URL": tile_origin + "/{z}/{x}/{y}.png",
            }
        )
        assert configured.tile_origin == tile_origin
        api = await serve_here(aiohttp_client, configured)
        response = await api.client.get("/console")
        assert (
            f"img-src 'self' data: blob: {tile_origin};"
            in response.headers["Content-Security-Policy"]
        )
        _, config = await api.call("GET", "/v1/app/config", 200)
        assert config["tile_url"] == tile_origin + "/{z}/{x}/{y}.png"

        hunt = await make_hunt(api)
        await hunt.collectible(name="Swarm", episode="4")
        token = token_of(api, Role.FIELD, unique("crew"), hunt.slug)
        base = origin(api)
        async with phone(base, at=PLAZA) as device:
            tab = await device.tab()
            page = tab.page
            await page.goto(f"{base}/console#token={token}")
            await page.get_by_role("button", name="Register here").click()
            await page.get_by_text("±8 m").first.wait_for(timeout=UI_TIMEOUT_MS)
            await page.locator("img.leaflet-tile-loaded").first.wait_for(timeout=UI_TIMEOUT_MS)
            await screenshot(tab, "console-field-with-tiles")
        foreign = device.foreign_requests()
        assert foreign and all(url.startswith(tile_origin + "/") for url in foreign), foreign
        assert asked and all(re.fullmatch(r"/\d+/\d+/\d+\.png", path) for path in asked)
        assert device.errors() == []
    finally:
        await tile_server.close()
