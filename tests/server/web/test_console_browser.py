"""The console (`/console`) in Debian's Chromium, driven by Playwright, against the real app on
PostgreSQL and Redis: a field team registers a billboard where its phone stands and the printed
code it downloads from the page is accepted by a scan at that spot; a vague fix is refused with
the reason; an organiser imports a GeoJSON file and reads the per-feature report, makes a field
team's link that opens the field view, and answers a leaked code's alert by reissuing it. No
request leaves the origin (but for the tile server, where one is configured), and no script
error or CSP violation happens. Screenshots of each screen are kept in test-artifacts/."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image
from playwright.async_api import Page, async_playwright

from geo.coords import LatLon
from geo.distance import destination, geodesic_m
from infra.settings import Settings, SettingsError
from server.app import create_app
from server.http.auth import Role
from tests.support.api import TEST_SECRET, Api, bearer, unique
from tests.support.browser import CHROMIUM, FLAGS, PHONE, Phone, phone, screenshot
from tests.support.builders import TIMES_SQUARE, make_hunt, post_scan, square_polygon
from tests.support.fan_app import origin
from tests.support.processes import free_port

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
DESK = {"width": 1280, "height": 800}
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


@contextlib.asynccontextmanager
async def laptop(base: str) -> AsyncIterator[Phone]:
    """A 1280x800 browser window at `base` (an organiser's laptop)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = await browser.new_context(viewport=DESK, locale="en-GB")
            await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
            yield Phone(browser, context, base)
        finally:
            await browser.close()


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


async def test_a_pasted_token_signs_in_and_my_clues_moves_a_clue_to_where_the_phone_is(
    local_api: Api,
) -> None:
    api = local_api
    hunt = await make_hunt(api)
    await hunt.collectible(name="Lucky 13", episode="13")
    crew = unique("crew")
    token = token_of(api, Role.FIELD, crew, hunt.slug)
    base = origin(api)
    async with phone(base, at=PLAZA) as device:
        tab = await device.tab()
        page = tab.page
        await page.goto(f"{base}/console")
        await page.get_by_role("textbox", name="Token").fill("not a token")
        await page.get_by_role("button", name="Use this token").click()
        await (
            page.get_by_role("status")
            .filter(has_text="not a geohunt token")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        await screenshot(tab, "console-sign-in")
        await page.get_by_role("textbox", name="Token").fill(token)
        await page.get_by_role("button", name="Use this token").click()
        await page.get_by_role("button", name="Register here").click()
        await page.get_by_text("±8 m").first.wait_for(timeout=UI_TIMEOUT_MS)
        await fill_clue_form(page, "Lucky 13 (13)", "Ferry terminal", "New York")
        await page.get_by_role("button", name="Save").click()
        await page.get_by_role("img", name="QR").wait_for(timeout=UI_TIMEOUT_MS)

        # The billboard went up 40 m further north: the team stands there and moves the clue.
        there = destination(LatLon(*PLAZA), 0, 40)
        await device.move_to(there.lat, there.lon, accuracy_m=5)
        await page.get_by_role("link", name="My clues").click()
        await page.get_by_role("button", name="Move here").click()
        await page.get_by_role("status").filter(has_text="Moved to").wait_for(timeout=UI_TIMEOUT_MS)
        await page.get_by_role("button", name="History").click()
        history = page.get_by_role("list", name="History of Ferry terminal")
        await history.get_by_text("updated").wait_for(timeout=UI_TIMEOUT_MS)
        assert "lat:" in await history.inner_text()
        await screenshot(tab, "console-field-moved")
    _, [clue] = await api.call("GET", f"/v1/hunts/{hunt.slug}/clues", 200, headers=api.organiser)
    moved = LatLon(clue["location"]["lat"], clue["location"]["lon"])
    assert geodesic_m(moved, there) < 0.5
    assert device.foreign_requests() == []
    assert device.errors() == []


async def test_an_organiser_imports_geojson_and_reads_the_report_then_hands_a_field_link(
    local_api: Api, tmp_path: Path
) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Jibaro", episode="9")
    north = destination(LatLon(*TIMES_SQUARE), 0, 900)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [TIMES_SQUARE[1], TIMES_SQUARE[0]]},
            "properties": {
                "kind": "billboard",
                "collectible": key,
                "label": "Times Square wall",
                "city": "New York",
                "radius_m": 60,
            },
        },
        {
            "type": "Feature",
            "geometry": square_polygon((north.lat, north.lon), 80),
            "properties": {"kind": "digital", "collectible": key, "label": "Venue screen"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-73.98, 40.75]},
            "properties": {"kind": "billboard", "collectible": "no-such-key", "label": "Lost"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-73.98, 40.75]},
            "properties": {"kind": "billboard", "collectible": key, "label": "Tiny", "radius_m": 1},
        },
    ]
    sites = tmp_path / "sites.geojson"
    sites.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    organiser = token_of(api, Role.ORGANISER, unique("boss"))
    base = origin(api)
    async with laptop(base) as desk:
        tab = await desk.tab()
        page = tab.page
        await page.goto(f"{base}/console#token={organiser}")
        await page.get_by_role("combobox", name="Hunt").select_option(hunt.slug)
        await page.get_by_role("heading", name="Test hunt").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "console-organiser-hunts")

        await page.get_by_role("link", name="Import").click()
        await page.get_by_label("GeoJSON file").set_input_files(sites)
        await page.get_by_role("button", name="Import").click()
        status = page.get_by_role("status").filter(has_text="imported")
        await status.wait_for(timeout=UI_TIMEOUT_MS)
        assert re.search(r"2\s+created", await status.inner_text()), await status.inner_text()
        refused = page.get_by_role("table", name="Refused features")
        rows = await refused.get_by_role("row").all_inner_texts()
        assert len(rows) == 3, rows  # the header and two refused features
        assert "#3" in rows[1] and "not_found" in rows[1] and "no-such-key" in rows[1], rows
        assert "#4" in rows[2] and "invalid_geofence" in rows[2], rows
        await screenshot(tab, "console-organiser-import")

        # The clues on the map and in the table, filtered by kind.
        await page.get_by_role("link", name="Clues", exact=True).click()
        table = page.get_by_role("table", name="Clues")
        await table.get_by_text("Venue screen").wait_for(timeout=UI_TIMEOUT_MS)
        assert await table.get_by_text("Times Square wall").count() == 1
        await page.locator(".leaflet-interactive").first.wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "console-organiser-clues")
        await page.get_by_role("combobox", name="Kind").select_option("digital")
        await table.get_by_text("Times Square wall").wait_for(state="detached")
        assert await table.get_by_text("Venue screen").count() == 1

        # A field team's token, handed over as a link that opens the field view.
        await page.get_by_role("link", name="Tokens").click()
        await page.get_by_role("combobox", name="Role").select_option("field")
        await page.get_by_role("textbox", name="Name").fill("crew-north")
        await page.get_by_role("button", name="Make token").click()
        link_box = page.get_by_role("textbox", name="Link for crew-north")
        await link_box.wait_for(timeout=UI_TIMEOUT_MS)
        link = await link_box.input_value()
        assert link.startswith(f"{base}/console#token="), link
        await page.get_by_role("button", name="Copy link").click()
        await page.get_by_text("Link copied").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "console-organiser-tokens")
        # A venue screen's token: the venue page's own link, as the contract says.
        await page.get_by_role("combobox", name="Role").select_option("screen")
        await page.get_by_role("textbox", name="Name").fill("venue-1")
        await page.get_by_role("button", name="Make token").click()
        screen_box = page.get_by_role("textbox", name="Link for venue-1")
        await screen_box.wait_for(timeout=UI_TIMEOUT_MS)
        assert re.match(
            rf"^{re.escape(base)}/screens/{hunt.slug}\?token=[\w.-]+&?",
            await screen_box.input_value(),
        )

    async with phone(base, at=TIMES_SQUARE) as device:
        tab = await device.tab()
        await tab.page.goto(link)
        await tab.page.get_by_role("button", name="Register here").wait_for(timeout=UI_TIMEOUT_MS)
        assert await tab.page.get_by_text("crew-north").is_visible()
    assert desk.foreign_requests() == [] and device.foreign_requests() == []
    assert desk.errors() == [] and device.errors() == []


async def test_an_organiser_uploads_a_collectibles_art_and_the_page_shows_geohunts_copy(
    local_api: Api, tmp_path: Path
) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Three Robots", episode="2")
    picture = tmp_path / "robots.png"
    Image.new("RGB", (640, 400), (230, 120, 40)).save(picture, "PNG")
    organiser = token_of(api, Role.ORGANISER, unique("boss"), hunt.slug)
    base = origin(api)
    async with laptop(base) as desk:
        tab = await desk.tab()
        page = tab.page
        await page.goto(f"{base}/console#token={organiser}")
        # Art from another origin is never loaded: a placeholder stands in until the upload.
        assert await page.get_by_role("img", name="Three Robots art").count() == 0
        await page.get_by_label("Art for Three Robots").set_input_files(picture)
        art = page.get_by_role("img", name="Three Robots art")
        await art.wait_for(timeout=UI_TIMEOUT_MS)
        src = await art.get_attribute("src") or ""
        assert src.startswith("/"), src  # geohunt's own copy, from this origin
        await screenshot(tab, "console-organiser-art")
    _, body = await api.call("GET", f"/v1/hunts/{hunt.slug}", 200)
    [collectible] = [c for c in body["collectibles"] if c["key"] == key]
    assert collectible["image_url"] == base + src
    _, served = await api.call("GET", src, 200)
    assert Image.open(io.BytesIO(served)).size == (640, 400)
    assert desk.foreign_requests() == []
    assert desk.errors() == []


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


async def test_a_leaked_codes_alert_is_answered_by_reissuing_the_code(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="The Witness", episode="3")
    billboard = await hunt.clue(collectible=key, label="Subway poster", city="New York")
    old = f"{origin(api)}/c/{hunt.code(billboard)}"
    # A photo of the code circulates: five hunters 5 km away are refused, which raises the
    # leaked_code alert (as scans do: server/scans, record_rejection).
    far = destination(LatLon(*TIMES_SQUARE), 90, 5_000)
    for _ in range(5):
        _, hunter = await api.hunter()
        await post_scan(api, hunter, old, 422, lat=far.lat, lon=far.lon, accuracy_m=10)
    _, alerts = await api.call("GET", f"/v1/hunts/{hunt.slug}/alerts", 200, headers=api.organiser)
    assert [a["kind"] for a in alerts] == ["leaked_code"]

    organiser = token_of(api, Role.ORGANISER, unique("boss"), hunt.slug)
    base = origin(api)
    async with laptop(base) as desk:
        tab = await desk.tab()
        page = tab.page
        await page.goto(f"{base}/console#token={organiser}")
        await page.get_by_role("link", name="Alerts").click()
        alert = page.locator(f"[data-alert-id='{alerts[0]['id']}']")
        await alert.get_by_text("Subway poster").wait_for(timeout=UI_TIMEOUT_MS)
        assert "5 hunters" in await alert.inner_text()
        await alert.get_by_role("button", name="Reissue").click()
        await (
            alert.get_by_role("status").filter(has_text="Reissued").wait_for(timeout=UI_TIMEOUT_MS)
        )
        await alert.get_by_role("img", name="QR").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "console-organiser-alert-reissued")
        new_png = await downloaded(page, "PNG")
    new = decode_qr(new_png)
    assert new != old and new.startswith(f"{base}/c/")

    _, hunter = await api.hunter()
    refused = await post_scan(api, hunter, old, 422, **_at(TIMES_SQUARE))
    assert refused["code"] == "code_revoked"
    found = await post_scan(api, hunter, new, 201, **_at(TIMES_SQUARE))
    assert found["find"]["clue_id"] == billboard["id"]
    assert desk.foreign_requests() == []
    assert desk.errors() == []


async def test_deactivating_a_clue_from_its_alert_refuses_its_scans(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    key = await hunt.collectible(name="Snow in the Desert", episode="8")
    billboard = await hunt.clue(collectible=key, label="Bus shelter", city="New York")
    code = hunt.code(billboard)
    far = destination(LatLon(*TIMES_SQUARE), 180, 5_000)
    for _ in range(5):
        _, hunter = await api.hunter()
        await post_scan(api, hunter, code, 422, lat=far.lat, lon=far.lon, accuracy_m=10)
    organiser = token_of(api, Role.ORGANISER, unique("boss"), hunt.slug)
    base = origin(api)
    async with laptop(base) as desk:
        tab = await desk.tab()
        page = tab.page
        await page.goto(f"{base}/console#token={organiser}")
        await page.get_by_role("link", name="Alerts").click()
        await page.get_by_role("button", name="Deactivate clue").click()
        await (
            page.get_by_role("status")
            .filter(has_text="Deactivated")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        await page.get_by_text("clue inactive").wait_for(timeout=UI_TIMEOUT_MS)
        await screenshot(tab, "console-organiser-alerts")
    _, hunter = await api.hunter()
    refused = await post_scan(api, hunter, code, 422, **_at(TIMES_SQUARE))
    assert refused["code"] == "clue_not_active"
    assert desk.foreign_requests() == []
    assert desk.errors() == []


def _at(point: tuple[float, float]) -> dict[str, float]:
    return {"lat": point[0], "lon": point[1], "accuracy_m": 10}
