"""Sketches placed inline in a page, as whoever shows a fan's sketch would place them, in a real
browser (Debian's Chromium, headless, driven by Playwright through tests/browser.py; without it
these tests fail, never skip).

- The probe's escape (`fill="\\75 rl(...)"`) makes Chromium fetch an outside address when the SVG
  is inline; the sanitiser refuses it. Other hostile sketches that are served after cleaning
  (their escapes were in attributes and elements that are not kept) make Chromium fetch when
  raw, and nothing outside the page once cleaned.
- The most that <use> references may add to a sketch, made of the costliest shapes, glyphs and
  outlines there are, draws across a 1920x1080 page in well under a second, and fetches
  nothing. (A bound of the budget, not a benchmark: the best of three loads is measured, from
  the start of navigation to the second animation frame after load.) What a sketch draws
  without references is not bounded in time here: it costs in proportion to its bytes (at most
  256 KB) and to the area it is shown at."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from playwright.async_api import Route

from hunt_engine.errors import InvalidRequest
from server.fans.sketches import clean_svg
from tests.support.browser import Tab, full_hd_tab
from tests.test_sketch_sanitiser import svg, worst_case

PAGE = "http://sketch.test/"
EVIL = "http://evil.example"

# Raw, each of these makes Chromium fetch from outside when inline; the sanitiser serves them,
# without what was hostile.
SERVED_CLEANED = {
    "style attribute": f'<rect width="9" height="9" style="fill:\\75 rl({EVIL}/style)"/>',
    "style background": f'<rect width="9" height="9" style="background:\\75 rl({EVIL}/bg)"/>',
    "filter": f'<rect width="9" height="9" filter="\\75 rl({EVIL}/filter)"/>',
    "clip-path": f'<rect width="9" height="9" clip-path="\\75 rl({EVIL}/clip)"/>',
    "mask": f'<rect width="9" height="9" mask="\\75 rl({EVIL}/mask)"/>',
    "cursor": f'<rect width="9" height="9" cursor="\\75 rl({EVIL}/cursor.png), auto"/>',
    "marker": f'<path d="M0 0L9 9" stroke="red" marker-start="\\75 rl({EVIL}/marker)"/>',
    "pattern": (
        '<defs><pattern id="q" width="5" height="5">'
        f'<rect width="5" height="5" fill="\\75 rl({EVIL}/pattern)"/></pattern></defs>'
        '<rect width="9" height="9" fill="url(#q)"/>'
    ),
    "link": f'<a><rect width="9" height="9" style="fill:\\75 rl({EVIL}/a)"/></a>',
}


class InlinePage:
    """One tab, whose every page is `PAGE` showing a given SVG inline; anything else it asks
    for is recorded (by the tab) and never fetched."""

    def __init__(self, tab: Tab) -> None:
        self.tab = tab
        self.html = ""

    async def start(self) -> None:
        async def answer(route: Route) -> None:
            if route.request.url == PAGE:
                await route.fulfill(body=self.html, content_type="text/html")
            else:
                await route.abort()

        await self.tab.page.route("**/*", answer)

    async def show(self, sketch: str) -> float:
        """Loads a page showing the sketch; milliseconds from navigation start to the second
        animation frame after load (the sketch laid out, painted and rasterised)."""
        self.html = (
            "<!doctype html><html style='height:100%'><body style='margin:0;height:100%'>"
            f"{sketch}</body></html>"
        )
        self.tab.requested.clear()
        answer = await self.tab.page.goto(PAGE)
        assert answer is not None and answer.status == 200
        elapsed: float = await self.tab.page.evaluate(
            "() => new Promise(done => requestAnimationFrame(() =>"
            " requestAnimationFrame(() => done(performance.now()))))"
        )
        return elapsed

    def outside(self) -> list[str]:
        return [url for url in self.tab.requested if not url.startswith(PAGE)]


@pytest.fixture
async def inline() -> AsyncIterator[InlinePage]:
    async with full_hd_tab() as tab:
        page = InlinePage(tab)
        await page.start()
        yield page


async def test_the_probes_escape_reaches_out_when_raw_and_is_refused(inline: InlinePage) -> None:
    probe = svg(f'<rect width="9" height="9" fill="\\75 rl({EVIL}/probe)"/>').decode()
    await inline.show(probe)
    await inline.tab.page.wait_for_timeout(200)
    assert inline.outside() == [f"{EVIL}/probe"]  # what the probe saw: the page reaches out
    with pytest.raises(InvalidRequest, match="fill="):
        clean_svg(probe.encode())


async def test_hostile_sketches_served_cleaned_reach_nothing_outside(inline: InlinePage) -> None:
    raw_leaks, cleaned_leaks = {}, {}
    for name, body in SERVED_CLEANED.items():
        raw = svg(body, ' width="200" height="200"').decode()
        await inline.show(raw)
        await inline.tab.page.wait_for_timeout(100)
        raw_leaks[name] = inline.outside()
        await inline.show(clean_svg(raw.encode()).data.decode())
        await inline.tab.page.wait_for_timeout(100)
        cleaned_leaks[name] = inline.outside()
    assert all(raw_leaks.values()), raw_leaks  # the check can see a leak...
    assert not any(cleaned_leaks.values()), cleaned_leaks  # ...and there is none


@pytest.mark.parametrize("kind", ["shapes", "glyphs"])
async def test_the_most_references_may_add_renders_in_well_under_a_second(
    inline: InlinePage, kind: str
) -> None:
    raw = svg(worst_case(kind).body, ' width="100%" height="100%" preserveAspectRatio="none"')
    sketch = clean_svg(raw).data.decode()
    assert sketch.count("<use") > 1
    times = [await inline.show(sketch) for _ in range(3)]
    assert min(times) < 1000, times
    assert inline.outside() == []
    box = await inline.tab.page.eval_on_selector(
        "svg", "e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height]"
    )
    assert box == [1920, 1080]  # the whole page
    # Drawn, not skipped: the copies cover the page with the gradient.
    shot = Image.open(io.BytesIO(await inline.tab.page.screenshot())).convert("RGB")
    colours = {shot.getpixel((x, y)) for x in range(100, 1920, 300) for y in range(100, 1080, 300)}
    assert (255, 255, 255) not in colours and len(colours) > 1, colours
