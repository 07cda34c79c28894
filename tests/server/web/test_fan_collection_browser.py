"""The fan app's Collection tab in a phone-sized Chromium (Debian's, headless, driven by
Playwright) against the real app on PostgreSQL and Redis: a fan's finds show with their art,
place, date and mint; the fan engraves one with a note and a sketch drawn by mouse and by finger
(touch events), which the token's metadata and its sketch PNG then carry; a second engraving of the
same find (from another tab) is refused with a sentence; the privacy switch turns taste twins on,
and a hunter who shares finds appears with the similarity and the collectibles in common. Nothing
is asked of another origin, and no script error or CSP violation happens. Screenshots are kept in
test-artifacts/ for people to look at."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from tests.support.api import Api, unique
from tests.support.browser import Tab, phone, screenshot, signed_in
from tests.support.builders import TIMES_SQUARE, at, make_hunt, post_scan
from tests.support.fan_app import origin

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
NOTE = "Found it at dawn with <b>Ana</b>, under the screen wall"
MINT = (0x7C, 0xF0, 0xD8)
PINK = (0xFF, 0x6F, 0xAE)
WHITE = (0xF4, 0xF2, 0xFF)
PAPER = (0x1D, 0x1A, 0x30)


def handle(prefix: str) -> str:
    return unique(prefix)[:20].replace("-", "_")


def pixels_near(image: Image.Image, colour: tuple[int, int, int], within: int = 24) -> int:
    """How many pixels are within `within` of `colour` on every channel."""
    data = image.convert("RGB").tobytes()
    return sum(
        all(abs(data[i + c] - colour[c]) <= within for c in range(3))
        for i in range(0, len(data), 3)
    )


async def top(tab: Tab) -> None:
    """Scrolled to the top, so that a full-page screenshot has the sticky header in its place."""
    await tab.page.get_by_role("heading", name="Collection").scroll_into_view_if_needed()


async def mouse_stroke(tab: Tab, points: list[tuple[float, float]]) -> None:
    """A drag with the mouse through `points` (shares of the sketch pad's width and height)."""
    pad = tab.page.get_by_role("img", name="Sketch pad")
    await pad.scroll_into_view_if_needed()
    box = await pad.bounding_box()
    assert box is not None
    spots = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    await tab.page.mouse.move(*spots[0])
    await tab.page.mouse.down()
    for spot in spots[1:]:
        await tab.page.mouse.move(*spot, steps=8)
    await tab.page.mouse.up()


async def finger_stroke(tab: Tab, cdp: Any, points: list[tuple[float, float]]) -> None:
    """A drag with a finger (touch events, as a phone's screen sends them) through `points`."""
    pad = tab.page.get_by_role("img", name="Sketch pad")
    await pad.scroll_into_view_if_needed()
    box = await pad.bounding_box()
    assert box is not None
    spots = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    path: list[tuple[float, float]] = [spots[0]]
    for (x0, y0), (x1, y1) in zip(spots, spots[1:], strict=False):
        path += [(x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8) for i in range(1, 9)]
    await cdp.send(
        "Input.dispatchTouchEvent",
        {"type": "touchStart", "touchPoints": [{"x": path[0][0], "y": path[0][1]}]},
    )
    for x, y in path[1:]:
        await cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


async def test_a_fan_engraves_a_find_and_meets_a_taste_twin(local_api: Api) -> None:
    api = local_api
    hunt = await make_hunt(api)
    siren = await hunt.collectible(name="Jibaro's Siren", episode="9")
    zima = await hunt.collectible(name="Zima Blue", episode="14")
    swarm = await hunt.collectible(name="Swarm", episode="4")
    clues = {
        key: await hunt.clue(collectible=key, label=f"Wall {key}", city="New York")
        for key in (siren, zima, swarm)
    }
    base = origin(api)
    async with phone(base, at=TIMES_SQUARE) as device:
        tab = await device.tab()
        page = tab.page
        await page.goto(f"{base}/")

        # Collection before any find: the empty state, the switch off and why it matters.
        await page.get_by_role("textbox", name="Handle").fill(handle("fan"))
        await page.get_by_role("button", name="Join").click()
        await page.get_by_role("heading", name="Hi").wait_for(timeout=UI_TIMEOUT_MS)
        me = await signed_in(device)
        await page.get_by_role("link", name="Collection").click()
        await page.get_by_text("No finds yet.").wait_for(timeout=UI_TIMEOUT_MS)

        # Two finds, claimed at the billboards through the API with the page's own account.
        finds = {}
        for key in (siren, zima):
            answer = await post_scan(api, me, hunt.code(clues[key]), 201, **at(TIMES_SQUARE))
            finds[key] = answer["find"]
        await page.reload()
        siren_card = page.get_by_role("article", name="Jibaro's Siren")
        zima_card = page.get_by_role("article", name="Zima Blue")
        await siren_card.wait_for(timeout=UI_TIMEOUT_MS)
        await zima_card.wait_for(timeout=UI_TIMEOUT_MS)
        text = await siren_card.inner_text()
        assert "Episode 9" in text and "New York" in text and "Found" in text, text
        assert "awaiting wallet" in text.lower(), text
        assert "2 finds" in await page.get_by_role("main").inner_text()
        await page.get_by_role("switch", name="Let taste twins find me", disabled=False).wait_for(
            timeout=UI_TIMEOUT_MS
        )
        await screenshot(tab, "fan-collection")

        # The editor: the counter follows the note in characters as the server counts them (an
        # emoji is one), and a note over 280 characters cannot go.
        siren_id = finds[siren]["id"]
        await siren_card.get_by_role("button", name="Engrave Jibaro's Siren").click()
        editor = page.get_by_role("form", name="Engrave Jibaro's Siren")
        note = editor.get_by_role("textbox", name="Note")
        save = editor.get_by_role("button", name="Save engraving")
        await note.fill("🌅" * 280)
        await editor.get_by_text("280 / 280", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        assert await save.is_enabled()
        await note.fill("x" * 281)
        await editor.get_by_text("281 / 280: 1 too many").wait_for(timeout=UI_TIMEOUT_MS)
        assert await save.is_disabled()
        await note.fill(NOTE)
        await editor.get_by_text(f"{len(NOTE)} / 280", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        assert await save.is_enabled()

        # A sketch: a mint zigzag by mouse, a pink loop by finger, a white line undone.
        await editor.get_by_role("radio", name="Mint").check()
        await mouse_stroke(tab, [(0.1, 0.2), (0.3, 0.8), (0.5, 0.2), (0.7, 0.8), (0.9, 0.2)])
        await editor.get_by_role("radio", name="Pink").check()
        cdp = await device.context.new_cdp_session(page)
        loop = [(0.2, 0.5), (0.5, 0.35), (0.8, 0.5), (0.5, 0.65), (0.2, 0.5)]
        await finger_stroke(tab, cdp, loop)
        await editor.get_by_role("radio", name="White").check()
        await mouse_stroke(tab, [(0.05, 0.95), (0.95, 0.95)])
        await editor.get_by_role("button", name="Undo").click()
        await top(tab)
        await screenshot(tab, "fan-engraving-editor")

        # Another tab of the same fan opens the editor of the same find before this one saves.
        other = await device.tab()
        await other.page.goto(f"{base}/collection")
        late = other.page.get_by_role("form", name="Engrave Jibaro's Siren")
        await other.page.get_by_role("button", name="Engrave Jibaro's Siren").click()
        await late.get_by_role("textbox", name="Note").fill("A second thought")

        async with page.expect_response(f"{base}/v1/tokens/{siren_id}/sketch") as shown:
            await save.click()
            engraved = page.get_by_role("region", name="Engraving on Jibaro's Siren")
            await engraved.get_by_text(NOTE).wait_for(timeout=UI_TIMEOUT_MS)
        assert (await shown.value).status == 200
        await engraved.get_by_role("img", name="Your sketch on Jibaro's Siren").wait_for(
            timeout=UI_TIMEOUT_MS
        )

        # The token's metadata carries the note and the sketch, a PNG with the ink drawn.
        _, metadata = await api.call("GET", f"/v1/tokens/{siren_id}", 200)
        assert {"trait_type": "Engraving", "value": NOTE} in metadata["attributes"]
        assert metadata["sketch_image"] == f"{base}/v1/tokens/{siren_id}/sketch"
        _, png = await api.call("GET", f"/v1/tokens/{siren_id}/sketch", 200)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        with Image.open(io.BytesIO(png)) as sketch:
            assert sketch.size == (800, 600)
            assert pixels_near(sketch, PAPER, 2) > 800 * 600 // 2  # mostly paper
            assert pixels_near(sketch, MINT) > 3_000, "the mouse's mint zigzag"
            assert pixels_near(sketch, PINK) > 3_000, "the finger's pink loop"
            assert pixels_near(sketch, WHITE) == 0, "the white line was undone"

        # The other tab saves too late: refused, said in a sentence, and the first one shown.
        await late.get_by_role("button", name="Save engraving").click()
        refusal = other.page.get_by_role("alert").filter(has_text="already engraved")
        await refusal.wait_for(timeout=UI_TIMEOUT_MS)
        assert "written once" in await refusal.inner_text()
        await (
            other.page.get_by_role("region", name="Engraving on Jibaro's Siren")
            .get_by_text(NOTE)
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        _, metadata = await api.call("GET", f"/v1/tokens/{siren_id}", 200)
        assert {"trait_type": "Engraving", "value": NOTE} in metadata["attributes"]
        await other.page.close()

        # A second hunter, through the API, found all three and is discoverable.
        twin_handle = handle("twin")
        twin_id, twin = await api.hunter(twin_handle)
        for key in (siren, zima, swarm):
            await post_scan(api, twin, hunt.code(clues[key]), 201, **at(TIMES_SQUARE))
        await api.call("PUT", "/v1/me/privacy", 200, headers=twin, json={"discoverable": True})

        # The fan is not discoverable yet: the switch is off, says what turning it on means, and
        # the server agrees.
        switch = page.get_by_role("switch", name="Let taste twins find me")
        assert not await switch.is_checked()
        twins_card = page.get_by_role("region", name="Taste twins")
        explained = await twins_card.inner_text()
        assert "shows you to them" in explained and "shows them to you" in explained, explained
        status, _ = await api.call("GET", "/v1/me/twins", headers=me)
        assert status == 403

        # On: the twin appears, 2 of 3 collectibles alike, with the two in common.
        await switch.check()
        twins = page.get_by_role("list", name="Your taste twins")
        row = twins.get_by_role("listitem").filter(has_text=twin_handle)
        await row.wait_for(timeout=UI_TIMEOUT_MS)
        row_text = await row.inner_text()
        assert "67%" in row_text, row_text
        assert "Jibaro's Siren" in row_text and "Zima Blue" in row_text, row_text
        assert "Swarm" not in row_text, row_text
        # The twin can be offered a swap: the link opens the Swaps tab with the twin chosen.
        offer = row.get_by_role("link", name=f"Offer a swap to {twin_handle}")
        assert await offer.get_attribute("href") == f"/swaps?fan={twin_id}&name={twin_handle}"
        _, answer = await api.call("GET", "/v1/me/twins", 200, headers=me)
        assert [t["handle"] for t in answer["twins"]] == [twin_handle]
        await top(tab)
        await screenshot(tab, "fan-twins")

        # Off again: the list goes, the explanation comes back, and the server agrees.
        await switch.uncheck()
        await twins_card.get_by_text("shows you to them").wait_for(timeout=UI_TIMEOUT_MS)
        await page.get_by_role("switch", name="Let taste twins find me", disabled=False).wait_for(
            timeout=UI_TIMEOUT_MS
        )
        assert not await switch.is_checked()
        assert await twins.count() == 0
        status, _ = await api.call("GET", "/v1/me/twins", headers=me)
        assert status == 403

    assert device.foreign_requests() == []
    assert device.errors() == []
