"""The fan app's Moments tab in a phone-sized Chromium (Debian's, headless, driven by Playwright)
against the real app on PostgreSQL and Redis: a fan who claimed an episode in the page makes a
moment of it (a scene time picked with minutes, seconds and the slider, a title and a note with
their counters, a sketch drawn with the mouse), sees it pending review in "My moments", and, once an
organiser approved it, approved there; a second fan finds it in the episode's moments with its
scene, title, author, note and sketch, loves it (the count goes to 1, as the API says) and
reports it after a confirmation. A fourth moment past the hunt's three is refused with a sentence
that says the limit, and a moment sent offline says so and keeps what was written. Nothing is
asked of another origin, and no script error or CSP violation happens. Screenshots are kept in
test-artifacts/ for people to look at."""

from __future__ import annotations

import io

from PIL import Image

from tests.support.api import Api, unique
from tests.support.browser import Phone, Tab, phone, screenshot, signed_in
from tests.support.builders import TIMES_SQUARE, Hunt, make_hunt
from tests.support.fan_app import origin
from tests.support.moments import decide

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
TITLE = "The siren's song on the lake"
NOTE = "Her gold scales <b>catch</b> the light\nand the knights fall silent."
MINT = (0x7C, 0xF0, 0xD8)
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


async def top(tab: Tab) -> None:
    """Scrolled to the top, so that a full-page screenshot has the sticky header in its place."""
    await tab.page.get_by_role("heading", name="Moments", exact=True).scroll_into_view_if_needed()


async def join_at_code(device: Phone, base: str, code: str, name: str, claim: bool) -> Tab:
    """A tab on the code's page (which makes its hunt the app's), joined as `name`, and the code
    claimed there when `claim` (the phone stands at the billboard)."""
    tab = await device.tab()
    page = tab.page
    await page.goto(f"{base}/c/{code}")
    await page.get_by_role("textbox", name="Handle").fill(name)
    await page.get_by_role("button", name="Join").click()
    claim_button = page.get_by_role("button", name="Claim", disabled=False)
    await claim_button.wait_for(timeout=UI_TIMEOUT_MS)
    if claim:
        await claim_button.click()
        found = page.get_by_role("status").filter(has_text="You found")
        await found.wait_for(timeout=UI_TIMEOUT_MS)
    return tab


async def episode_hunt(api: Api, **rules: int) -> tuple[Hunt, dict[str, str]]:
    """A hunt of two episodes, each with a billboard at Times Square: their billboards' codes
    by name (the collectibles' keys, in the same order, are `hunt.collectibles`)."""
    hunt = await make_hunt(api, rules or None)
    codes = {}
    for name, episode in (("Jibaro's Siren", "9"), ("Zima Blue", "14")):
        key = await hunt.collectible(name=name, episode=episode)
        clue = await hunt.clue(collectible=key, label=f"{name} wall", city="New York")
        codes[name] = hunt.code(clue)
    return hunt, codes


async def test_a_fan_makes_a_moment_and_another_loves_and_reports_it_once_approved(
    local_api: Api,
) -> None:
    api = local_api
    # One report hides a moment here, so the report is seen to arrive.
    hunt, codes = await episode_hunt(api, moment_report_threshold=1)
    base = origin(api)
    author = handle("author")
    async with phone(base, at=TIMES_SQUARE) as device:
        tab = await join_at_code(device, base, codes["Jibaro's Siren"], author, claim=True)
        page = tab.page
        me = await signed_in(device)
        await page.get_by_role("link", name="Moments").click()
        await page.get_by_text("No moments yet.").wait_for(timeout=UI_TIMEOUT_MS)

        # A new moment: only the episode the fan found is offered.
        new = page.get_by_role("button", name="New moment")
        await new.click()
        form = page.get_by_role("form", name="New moment")
        episode = form.get_by_role("combobox", name="Episode")
        await episode.wait_for(timeout=UI_TIMEOUT_MS)
        assert await new.is_hidden()  # the form stands in its place until it is sent or cancelled
        assert await episode.locator("option").all_inner_texts() == ["Episode 9 · Jibaro's Siren"]

        # The scene time: minutes and seconds, which the slider follows; the slider moves them.
        minutes = form.get_by_role("spinbutton", name="Minutes")
        seconds = form.get_by_role("spinbutton", name="Seconds")
        slider = form.get_by_role("slider", name="Scene")
        await minutes.fill("12")
        await seconds.fill("35")
        assert await slider.get_attribute("aria-valuetext") == "12:35"
        assert await slider.input_value() == str(12 * 60 + 35)
        await slider.focus()
        await slider.press("ArrowLeft")
        assert await seconds.input_value() == "34" and await minutes.input_value() == "12"
        await form.get_by_text("12:34", exact=True).wait_for(timeout=UI_TIMEOUT_MS)

        # The title's counter, a title too long, and one with a direction override, refused
        # with a sentence before anything is sent.
        title = form.get_by_role("textbox", name="Title")
        create = form.get_by_role("button", name="Create moment")
        await title.fill("x" * 81)
        await form.get_by_text("81 / 80: 1 too many").wait_for(timeout=UI_TIMEOUT_MS)
        assert await create.is_disabled()
        await title.fill("Pond \u202eeht")
        problem = form.get_by_role("alert").filter(has_text="direction character (U+202E)")
        await problem.wait_for(timeout=UI_TIMEOUT_MS)
        assert await create.is_disabled()
        await title.fill(TITLE)
        await form.get_by_text(f"{len(TITLE)} / 80", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        assert await problem.count() == 0
        await form.get_by_role("textbox", name="Note").fill(NOTE)
        await form.get_by_text(f"{len(NOTE)} / 280", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        assert await create.is_enabled()

        # A mint zigzag drawn with the mouse.
        await form.get_by_role("radio", name="Mint").check()
        await mouse_stroke(tab, [(0.1, 0.2), (0.3, 0.8), (0.5, 0.2), (0.7, 0.8), (0.9, 0.2)])
        await top(tab)
        await screenshot(tab, "fan-moment-new")

        await create.click()
        announce = page.get_by_role("status").filter(has_text="pending review")
        await announce.wait_for(timeout=UI_TIMEOUT_MS)
        mine = page.get_by_role("list", name="My moments")
        item = mine.get_by_role("article", name=f"My moment: {TITLE}")
        await item.wait_for(timeout=UI_TIMEOUT_MS)
        text = await item.inner_text()
        assert "pending review" in text and "12:34" in text and "Jibaro's Siren" in text, text
        assert await form.count() == 0 and await new.is_visible()  # the form closed

        # The server has it as the page said; its sketch is the mint zigzag on the pad's paper,
        # shown to its author from the page's own blob (it is not public before approval).
        _, made = await api.call("GET", "/v1/me/moments", 200, headers=me)
        assert [(m["title"], m["scene_s"], m["status"]) for m in made] == [(TITLE, 754, "pending")]
        moment = made[0]
        assert moment["note"] == NOTE and moment["author"] == {"handle": author}
        assert moment["sketch_url"] == f"{base}/v1/moments/{moment['id']}/sketch"
        _, png = await api.call("GET", f"/v1/moments/{moment['id']}/sketch", 200, headers=me)
        with Image.open(io.BytesIO(png)) as sketch:
            assert sketch.size == (800, 600)
            assert pixels_near(sketch, PAPER, 2) > 800 * 600 // 2
            assert pixels_near(sketch, MINT) > 3_000, "the mouse's zigzag"
        own_sketch = item.get_by_role("img", name=f"Your sketch for “{TITLE}”")
        await own_sketch.wait_for(timeout=UI_TIMEOUT_MS)
        assert (await own_sketch.get_attribute("src") or "").startswith(f"blob:{base}/")
        await top(tab)
        await screenshot(tab, "fan-moment-pending")

        # An organiser approves it (in the console: test_console_moments_browser.py); the
        # author's page follows: approved, waiting for a wallet to be minted to.
        await decide(api, moment["id"], "approve")
        await item.filter(has_text="approved").wait_for(timeout=UI_TIMEOUT_MS)
        assert "awaiting wallet" in (await item.inner_text()).lower()
        listed = page.get_by_role("region", name="Fans' moments").get_by_role("article", name=TITLE)
        await listed.wait_for(timeout=UI_TIMEOUT_MS)
        await top(tab)
        await screenshot(tab, "fan-moment-approved")

        # A second fan, on a phone of their own, opens the hunt's code and the Moments tab before
        # joining: the moment is there, with its loves but nothing to press.
        other = await device.fresh_context()
        second = await other.tab()
        fan_page = second.page
        await fan_page.goto(f"{base}/c/{codes['Zima Blue']}")
        await fan_page.get_by_role("heading", name="Zima Blue").wait_for(timeout=UI_TIMEOUT_MS)
        sketch_path = f"{base}/v1/moments/{moment['id']}/sketch"
        async with fan_page.expect_response(sketch_path, timeout=UI_TIMEOUT_MS) as shown:
            await fan_page.get_by_role("link", name="Moments").click()
            group = fan_page.get_by_role("region", name="Episode 9 · Jibaro's Siren")
            card = group.get_by_role("article", name=TITLE)
            await card.get_by_text("0 loves").wait_for(timeout=UI_TIMEOUT_MS)
        assert await card.get_by_role("button").count() == 0
        await top(second)
        await screenshot(second, "fan-moments-signed-out")

        # Joining right there: Love and Report appear.
        fan = handle("fan")
        await fan_page.get_by_role("textbox", name="Handle").fill(fan)
        await fan_page.get_by_role("button", name="Join").click()
        await card.get_by_role("button", name="Love").wait_for(timeout=UI_TIMEOUT_MS)
        fan_headers = await signed_in(other)
        assert fan in (await fan_page.locator("#who").inner_text())
        assert (await shown.value).status == 200
        text = await card.inner_text()
        for part in ("12:34", author, "Her gold scales <b>catch</b> the light", "0 loves"):
            assert part in text, (part, text)
        sketch_image = card.get_by_role("img", name=f"Sketch of “{TITLE}” by {author}")
        assert await sketch_image.get_attribute("src") == f"/v1/moments/{moment['id']}/sketch"

        # Loved: the count goes to 1 and the API agrees; the button says it is pressed.
        love = card.get_by_role("button", name="Love")
        assert await love.get_attribute("aria-pressed") == "false"
        await love.click()
        await card.get_by_text("1 love", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        assert await love.get_attribute("aria-pressed") == "true"
        _, seen = await api.call("GET", f"/v1/moments/{moment['id']}", 200, headers=fan_headers)
        assert (seen["loves"], seen["loved"]) == (1, True)
        await top(second)
        await screenshot(second, "fan-moment-loved")

        # Reported, after a confirmation that says what a report does.
        await card.get_by_role("button", name="Report").click()
        confirm = card.get_by_role("form", name=f"Report “{TITLE}”")
        await confirm.wait_for(timeout=UI_TIMEOUT_MS)
        assert "hidden until they decide" in await confirm.inner_text()
        send = confirm.get_by_role("button", name="Send report")
        assert await send.is_disabled()
        await confirm.get_by_role("radio", name="A spoiler without warning").check()
        await top(second)
        await screenshot(second, "fan-moment-report")
        await send.click()
        thanks = card.get_by_role("status").filter(has_text="your report of")
        await thanks.wait_for(timeout=UI_TIMEOUT_MS)
        assert "reached the organisers" in await thanks.inner_text()
        assert await card.get_by_role("button", name="Reported").is_disabled()
        await top(second)
        await screenshot(second, "fan-moment-reported")

        # The report arrived: at this hunt's threshold of one, the moment is hidden.
        _, decisions = await api.call(
            "GET", f"/v1/moments/{moment['id']}/decisions", 200, headers=api.organiser
        )
        assert [(d["action"], d["actor_role"], d["reports"]) for d in decisions][-1] == (
            "hide",
            "reports",
            1,
        )
        _, hidden = await api.call(
            "GET", f"/v1/hunts/{hunt.slug}/moments?status=hidden", 200, headers=api.organiser
        )
        assert [m["id"] for m in hidden] == [moment["id"]]

    assert device.foreign_requests() == [] and other.foreign_requests() == []
    assert device.errors() == [] and other.errors() == []


async def test_a_fourth_moment_is_refused_with_the_limit_and_an_offline_one_waits(
    local_api: Api,
) -> None:
    api = local_api
    hunt, codes = await episode_hunt(api)  # moments_per_hunter: 3, the default
    base = origin(api)
    async with phone(base, at=TIMES_SQUARE) as device:
        tab = await join_at_code(device, base, codes["Zima Blue"], handle("fan"), claim=True)
        page = tab.page
        me = await signed_in(device)
        await page.get_by_role("link", name="Moments").click()
        await page.get_by_role("button", name="New moment").click()
        form = page.get_by_role("form", name="New moment")
        await form.get_by_role("spinbutton", name="Minutes").fill("3")
        await form.get_by_role("textbox", name="Title").fill("The blue tile")
        create = form.get_by_role("button", name="Create moment")

        # Offline: nothing is sent, the page says so, and what was written stays.
        await device.context.set_offline(True)
        await create.click()
        offline = form.get_by_role("alert").filter(has_text="No network")
        await offline.wait_for(timeout=UI_TIMEOUT_MS)
        assert "not sent" in await offline.inner_text()
        assert await form.get_by_role("textbox", name="Title").input_value() == "The blue tile"
        await device.context.set_offline(False)

        # Meanwhile the fan made three moments from another phone: the fourth is refused with
        # the limit said, and the server kept three.
        zima = hunt.collectibles[1]
        for n in range(3):
            body = {"collectible": zima, "scene_s": 60 * n, "title": f"Moment {n}"}
            await api.call("POST", f"/v1/hunts/{hunt.slug}/moments", 201, headers=me, json=body)
        await create.click()
        refused = form.get_by_role("alert").filter(has_text="the most it allows")
        await refused.wait_for(timeout=UI_TIMEOUT_MS)
        assert "You have made 3 moments in this hunt" in await refused.inner_text()
        assert await create.is_disabled()
        _, made = await api.call("GET", "/v1/me/moments", 200, headers=me)
        assert sorted(m["title"] for m in made) == ["Moment 0", "Moment 1", "Moment 2"]
        # My moments now shows the three, and that no more can be made.
        mine = page.get_by_role("region", name="My moments")
        await mine.get_by_text("You have made all 3 moments this hunt allows.").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        assert await mine.get_by_role("article").count() == 3
        await top(tab)
        await screenshot(tab, "fan-moment-limit")

    assert device.foreign_requests() == []
    assert device.errors() == []
