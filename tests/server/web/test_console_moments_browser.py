"""The console's review queue of fans' moments (`/console#moments`) in Debian's Chromium, driven by
Playwright, against the real app on PostgreSQL and Redis: an organiser opens the console with a
token in the URL's fragment and finds the moments waiting for review (title, scene, episode,
author, note, and the sketch, fetched with the organiser's token as it is not public yet) and the
one fans' reports hid (with how many reports); approves one, which fans then see in the fan app's
Moments tab; rejects another, which needs a reason; and reads each moment's decisions, who and
when. No request leaves the origin, and no script error or CSP violation happens. Screenshots are
kept in test-artifacts/."""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import AsyncIterator

from PIL import Image, ImageDraw
from playwright.async_api import async_playwright

from server.http.auth import Role
from tests.support.api import RUN, Api, unique
from tests.support.browser import CHROMIUM, FLAGS, PHONE, Phone, Tab, screenshot
from tests.support.builders import make_hunt
from tests.support.fan_app import origin
from tests.support.moments import Episode, Fan, decide

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
DESK = {"width": 1280, "height": 800}
AMBER = (0xFF, 0xB5, 0x47)
PAPER = (0x1D, 0x1A, 0x30)


@contextlib.asynccontextmanager
async def laptop(base: str) -> AsyncIterator[Phone]:
    """A 1280x800 browser window at `base` (an organiser's laptop)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = await browser.new_context(viewport=DESK, locale="en-GB")
            yield Phone(browser, context, base)
        finally:
            await browser.close()


def drawn_sketch() -> str:
    """A fan's sketch as the fan app sends it: base64 of an 800x600 PNG, an amber sun on the
    pad's paper."""
    image = Image.new("RGB", (800, 600), PAPER)
    ImageDraw.Draw(image).ellipse((300, 200, 500, 400), outline=AMBER, width=14)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()


async def fan(api: Api, handle: str) -> Fan:
    hunter_id, headers = await api.hunter(handle)
    return Fan(hunter_id, headers)


async def on_top(tab: Tab) -> None:
    await tab.page.get_by_role("heading", name="Moments", exact=True).scroll_into_view_if_needed()


async def test_an_organiser_reviews_fans_moments_in_the_console(local_api: Api) -> None:
    api = local_api
    # One report hides an approved moment in this hunt.
    hunt = await make_hunt(api, {"moment_report_threshold": 1})
    key = await hunt.collectible(name="Jibaro's Siren", episode="9")
    episode = Episode(hunt, key, await hunt.clue(collectible=key))
    author_handle = unique("author")[:20].replace("-", "_")
    author = await episode.finder(await fan(api, author_handle))
    _, lake = await episode.moment(
        author,
        scene_s=754,
        title="The siren's song on the lake",
        note="Her gold scales catch the light\nand the knights fall silent.",
        sketch=drawn_sketch(),
    )
    _, spoiler = await episode.moment(author, scene_s=1310, title="How it ends (spoiler!)")
    _, reported = await episode.moment(author, scene_s=65, title="The first step")
    await decide(api, reported["id"], "approve")
    reporter = await episode.finder()
    await api.call(
        "POST",
        f"/v1/moments/{reported['id']}/report",
        202,
        headers=reporter.headers,
        json={"reason": "Spam or advertising"},
    )

    base = origin(api)
    sub = f"org-{RUN}"
    token, _ = api.issuer.issue(Role.ORGANISER, sub, 3600, episode.slug)
    async with laptop(base) as desk:
        tab = await desk.tab()
        page = tab.page
        sketch_path = f"{base}/v1/moments/{lake['id']}/sketch"
        async with page.expect_response(sketch_path, timeout=UI_TIMEOUT_MS) as fetched:
            await page.goto(f"{base}/console#token={token}")
            await page.get_by_role("link", name="Moments").click()
            waiting = page.get_by_role("list", name="Waiting for review")
            await waiting.wait_for(timeout=UI_TIMEOUT_MS)
        sketch_answer = await fetched.value
        assert sketch_answer.status == 200
        # Fetched with the organiser's token: a pending moment's sketch is not public.
        assert (await sketch_answer.request.all_headers()).get("authorization") == (
            f"Bearer {token}"
        )

        # The queue: the two pending moments, newest first, and the one reports hid.
        items = await waiting.get_by_role("listitem").all()
        assert [await item.get_attribute("aria-label") for item in items] == [
            "How it ends (spoiler!)",
            "The siren's song on the lake",
        ]
        lake_item = waiting.get_by_role("listitem").filter(
            has=page.get_by_role("heading", name="The siren's song on the lake")
        )
        text = await lake_item.inner_text()
        for part in ("Scene 12:34", "Episode 9 · Jibaro's Siren", author_handle, "knights fall"):
            assert part in text, (part, text)
        sketch = lake_item.get_by_role("img", name="Sketch of “The siren's song on the lake”")
        await sketch.wait_for(timeout=UI_TIMEOUT_MS)
        assert (await sketch.get_attribute("src") or "").startswith(f"blob:{base}/")
        hidden = page.get_by_role("list", name="Hidden by reports")
        hidden_item = hidden.get_by_role("listitem").filter(
            has=page.get_by_role("heading", name="The first step")
        )
        await hidden_item.get_by_text("1 report", exact=True).wait_for(timeout=UI_TIMEOUT_MS)
        await on_top(tab)
        await screenshot(tab, "console-moments-queue")

        # Approved in the page: fans see it now, and its mint waits for the author's wallet.
        await lake_item.get_by_role("button", name="Approve").click()
        done = lake_item.get_by_role("status").filter(has_text="Approved: fans see")
        await done.wait_for(timeout=UI_TIMEOUT_MS)
        assert "waits for the author to link a wallet" in await done.inner_text()
        _, now = await api.call("GET", f"/v1/moments/{lake['id']}", 200)
        assert now["status"] == "approved" and now["mint"] == {"status": "awaiting_wallet"}

        # A rejection needs a reason: without one nothing is sent; with one it is kept.
        spoiler_item = waiting.get_by_role("listitem").filter(
            has=page.get_by_role("heading", name="How it ends (spoiler!)")
        )
        await spoiler_item.get_by_role("button", name="Reject", exact=True).click()
        reject_form = spoiler_item.get_by_role("form", name="Reject “How it ends (spoiler!)”")
        send = reject_form.get_by_role("button", name="Reject with this reason")
        await send.click()
        await (
            reject_form.get_by_role("alert")
            .filter(has_text="needs a reason")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        _, still = await api.call("GET", f"/v1/moments/{spoiler['id']}", 200, headers=api.organiser)
        assert still["status"] == "pending"
        reason = "It gives the ending away: show it after the season ends."
        await reject_form.get_by_role("textbox", name="Reason").fill(reason)
        await send.click()
        await (
            spoiler_item.get_by_role("status")
            .filter(has_text="Rejected")
            .wait_for(timeout=UI_TIMEOUT_MS)
        )
        assert await spoiler_item.get_by_role("button", name="Reject", exact=True).is_disabled()

        # The decisions, who and when: the organiser's, with the reason, and the reports'.
        await spoiler_item.get_by_role("button", name="Decisions").click()
        history = spoiler_item.get_by_role("list", name="Decisions on “How it ends (spoiler!)”")
        await history.wait_for(timeout=UI_TIMEOUT_MS)
        text = await history.inner_text()
        assert f"Rejected by {sub}" in text and reason in text, text
        await lake_item.get_by_role("button", name="Decisions").click()
        lake_history = lake_item.get_by_role(
            "list", name="Decisions on “The siren's song on the lake”"
        )
        await lake_history.get_by_text(f"Approved by {sub}").wait_for(timeout=UI_TIMEOUT_MS)
        await hidden_item.get_by_role("button", name="Decisions").click()
        hidden_history = hidden_item.get_by_role("list", name="Decisions on “The first step”")
        await hidden_history.wait_for(timeout=UI_TIMEOUT_MS)
        text = await hidden_history.inner_text()
        assert "Approved by" in text and "Hidden after 1 report from fans" in text, text
        await on_top(tab)
        await screenshot(tab, "console-moments-decided")
        # The same queue on an organiser's phone: one column, the sections under the thumb.
        await page.set_viewport_size(PHONE)
        await on_top(tab)
        await screenshot(tab, "console-moments-phone")
        await page.set_viewport_size(DESK)

        _, decisions = await api.call(
            "GET", f"/v1/moments/{spoiler['id']}/decisions", 200, headers=api.organiser
        )
        assert [(d["action"], d["actor"], d["reason"]) for d in decisions] == [
            ("reject", sub, reason)
        ]

        # The approved moment shows on the Approved list; the rejected one on its own.
        await page.get_by_role("radio", name="Approved").check()
        approved = page.get_by_role("list", name="Approved")
        await approved.get_by_role("heading", name="The siren's song on the lake").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        assert await approved.get_by_role("heading", name="How it ends").count() == 0

        # A fan's phone: the approved moment is in the Moments tab, the rejected one is not.
        fan_phone = await desk.fresh_context()
        fan_tab = await fan_phone.tab()
        await fan_tab.page.goto(f"{base}/c/{episode.hunt.code(episode.clue)}")
        await fan_tab.page.get_by_role("button", name="Claim").wait_for(timeout=UI_TIMEOUT_MS)
        await fan_tab.page.get_by_role("link", name="Moments").click()
        card = fan_tab.page.get_by_role("article", name="The siren's song on the lake")
        await card.wait_for(timeout=UI_TIMEOUT_MS)
        assert "12:34" in await card.inner_text()
        assert await fan_tab.page.get_by_role("article", name="How it ends").count() == 0

    for device in (desk, fan_phone):
        assert device.foreign_requests() == []
        assert device.errors() == []
