"""Claims by distinct fans in a phone-sized Chromium (Debian's, headless, driven by Playwright),
each timed from the press of "Claim" to the status region saying "You found".

Each fan is a browser context of its own (no storage shared): its hunter token is placed in
the page's localStorage as web/fan/session.js keeps it, the phone stands at the billboard
(geolocation granted, accuracy 8 m, so the claim's wait for a fix ends at the first one), and
the page is the billboard's code page, /c/{code}. Once the "Claim" button is enabled and the
service worker has kept the shell (a first visit's background fetches are over), the fan
presses it.

Two clocks time each claim:
- the page's: `PROBE`, a script Playwright adds to every page before the app's own, notes the
  click event's `timeStamp` (capture phase, before the app's handler runs) and, from a
  MutationObserver, `performance.now()` when the status first holds "You found" (the DOM
  change, before paint) and again in the next animation frame (the frame that paints it); with
  the Resource Timing entry of `POST /v1/scans` and the moment the geolocation fix reached the
  app (the success callback of `watchPosition`, wrapped to note the time, then called as is),
  it hands them to the benchmark through an exposed binding. It only reads clocks: the app
  runs as it would;
- Playwright's: `time.perf_counter()` around `click()` and the wait for the status's text,
  which adds the round trips of the DevTools protocol and the locator's polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Request,
    async_playwright,
)

from bench.fan_app import busy, server_time
from bench.fan_app.chromium import CHROMIUM, FLAGS, PHONE, PHONE_SCALE
from bench.fan_app.hunt import Fan, Hunt
from bench.fan_app.options import FanAppOptions

UI_TIMEOUT_MS = 20_000  # a bound against hanging, never a measurement
LOAD_TRIES = 5  # loads of the code page when the server sheds them (503)
MAX_WAIT_S = 5.0  # the longest Retry-After waited before a reload
BINDING = "geohuntBenchClaimed"
READY = "geohuntBenchReady"
FOUND = "You found"
PROBE = f"""
(() => {{
  let pressed = null;
  let fixed = null;
  const geo = navigator.geolocation;
  const watch = geo.watchPosition.bind(geo);
  geo.watchPosition = (success, ...rest) => watch((position) => {{
    if (pressed !== null && fixed === null) fixed = performance.now();
    success(position);
  }}, ...rest);
  addEventListener("click", (event) => {{
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    if (button && button.textContent.trim() === "Claim") pressed = event.timeStamp;
  }}, true);
  const seen = () => {{
    if (pressed === null) return;
    const status = document.querySelector('[role="status"]');
    if (!status || !status.textContent.includes("{FOUND}")) return;
    const found = performance.now();
    const start = pressed;
    const fix = fixed;
    pressed = fixed = null;
    const scan = performance.getEntriesByType("resource")
      .filter((entry) => new URL(entry.name).pathname === "/v1/scans").pop();
    requestAnimationFrame(() => window.{BINDING}({{
      pressed: start, fixed: fix, found, painted: performance.now(),
      request_start: scan ? scan.startTime : null, response_end: scan ? scan.responseEnd : null,
    }}));
  }};
  const watched = {{ subtree: true, childList: true, characterData: true }};
  new MutationObserver(seen).observe(document, watched);
  if (navigator.serviceWorker) navigator.serviceWorker.ready.then(() => window.{READY}());
}})();
"""


@dataclass
class Claim:
    """One fan's claim: the page's marks (ms on the page's clock) and Playwright's measure."""

    marks: dict[str, float | None]
    playwright_ms: float
    status: str

    def _at(self, mark: str) -> float:
        return float(self.marks[mark] or 0)

    @property
    def page_ms(self) -> float:
        """From the click to the status holding "You found" (the DOM change)."""
        return self._at("found") - self._at("pressed")

    @property
    def painted_ms(self) -> float:
        """From the click to the next animation frame after that change (its paint)."""
        return self._at("painted") - self._at("pressed")

    def parts(self) -> dict[str, float] | None:
        """Where the page's time went: until the geolocation fix reached the app, until the
        request left, the request itself, and the answer to the status text; None without the
        fix's or the request's mark."""
        if any(self.marks[k] is None for k in ("fixed", "request_start", "response_end")):
            return None
        start, end = self._at("request_start"), self._at("response_end")
        return {
            "to_fix_ms": self._at("fixed") - self._at("pressed"),
            "to_request_ms": start - self._at("fixed"),
            "request_ms": end - start,
            "to_status_ms": self._at("found") - end,
            "to_paint_ms": self._at("painted") - self._at("found"),
        }


@dataclass
class ClaimRun:
    browser: str = ""
    claims: list[Claim] = field(default_factory=list)
    warmup: list[Claim] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # script errors and CSP violations
    foreign: list[str] = field(default_factory=list)  # requests to another origin
    server: dict[str, Any] = field(default_factory=dict)  # the server's time for the claims
    machine: dict[str, float] = field(default_factory=dict)  # how busy, and with what
    refused: int = 0  # code page loads the server shed (503) and the fan reloaded

    def watch(self, page: Page, origin: str) -> None:
        """Note the page's script errors, CSP violations and requests to another origin."""

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        def error(exc: Error) -> None:
            self.errors.append(str(exc))

        def request(req: Request) -> None:
            if not req.url.startswith((origin + "/", "data:", "blob:")):
                self.foreign.append(req.url)

        page.on("console", console)
        page.on("pageerror", error)
        page.on("request", request)


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=list(FLAGS))
        try:
            yield browser
        finally:
            await browser.close()


async def claim_as(
    browser: Browser, hunt: Hunt, fan: Fan, run: ClaimRun, screenshot: Path | None = None
) -> Claim:
    """`fan` opens the billboard's code page at the billboard and claims it."""
    lat, lon = hunt.at
    context = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=PHONE_SCALE,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        permissions=["geolocation"],
        geolocation={
            "latitude": hunt.at[0],
            "longitude": hunt.at[1],
            "accuracy": FanAppOptions.accuracy_m,
        },
        storage_state=fan.storage(hunt.origin),
    )
    try:
        return await _claim_in(context, hunt, run, screenshot)
    finally:
        await context.close()


async def _claim_in(
    context: BrowserContext, hunt: Hunt, run: ClaimRun, screenshot: Path | None
) -> Claim:
    loop = asyncio.get_running_loop()
    marks: asyncio.Future[dict[str, float | None]] = loop.create_future()
    ready: asyncio.Future[None] = loop.create_future()
    await context.expose_function(BINDING, lambda m: _settle(marks, m))
    await context.expose_function(READY, lambda: _settle(ready, None))
    await context.add_init_script(script=PROBE)
    page = await _open(context, hunt, run)
    button = page.get_by_role("button", name="Claim", exact=True, disabled=False)
    await button.wait_for(timeout=UI_TIMEOUT_MS)
    await asyncio.wait_for(ready, UI_TIMEOUT_MS / 1000)
    status = page.get_by_role("status").filter(has_text=FOUND)
    started = time.perf_counter()
    await button.click(timeout=UI_TIMEOUT_MS)
    await status.wait_for(timeout=UI_TIMEOUT_MS)
    outside_ms = (time.perf_counter() - started) * 1000
    got = await asyncio.wait_for(marks, UI_TIMEOUT_MS / 1000)
    text = " ".join((await status.inner_text()).split())
    if hunt.collectible not in text:
        raise RuntimeError(f"the status does not name {hunt.collectible!r}: {text!r}")
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(screenshot), full_page=True)
    return Claim(got, outside_ms, text)


async def _open(context: BrowserContext, hunt: Hunt, run: ClaimRun) -> Page:
    """The code page, loaded as a fan's browser loads it. A load the server refuses with `503
    overloaded` (admission control, on a machine busy with other work) is tried again after its
    Retry-After, as a fan would reload, and counted; a page that was refused is closed with its
    console error (the refused load itself), so only the page that loaded is watched."""
    for attempt in range(1, LOAD_TRIES + 1):
        page = await context.new_page()
        seen = ClaimRun()
        seen.watch(page, hunt.origin)
        answer = await page.goto(hunt.origin + hunt.code_path)
        if answer is not None and answer.status == 503 and attempt < LOAD_TRIES:
            run.refused += 1
            await page.close()
            await asyncio.sleep(min(float(answer.headers.get("retry-after") or 1), MAX_WAIT_S))
            continue
        if answer is None or answer.status != 200:
            raise RuntimeError(f"{hunt.code_path} answered {answer and answer.status}")
        run.watch(page, hunt.origin)
        run.errors += seen.errors
        run.foreign += seen.foreign
        return page
    raise AssertionError("unreachable")


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


async def claims(
    hunt: Hunt, fans: list[Fan], warmup: int, screenshot: Path | None = None
) -> ClaimRun:
    """The first `warmup` of `fans` claim unmeasured, then the others, one after another; the
    server's own time for the measured ones is read from its metrics around them."""
    run = ClaimRun()
    async with chromium() as browser:
        run.browser = browser.version
        for fan in fans[:warmup]:
            run.warmup.append(await claim_as(browser, hunt, fan, run))
        before, started = await server_time.scan_histogram(hunt.origin), busy.sample()
        measured = fans[warmup:]
        for n, fan in enumerate(measured, 1):
            shot = screenshot if n == len(measured) else None
            run.claims.append(await claim_as(browser, hunt, fan, run, shot))
        run.machine = busy.between(started, busy.sample())
        run.server = server_time.between(before, await server_time.scan_histogram(hunt.origin))
    return run


def summary(run: ClaimRun) -> dict[str, Any]:
    """The samples (ms) of every measured claim, by clock and by part."""
    parts = [p for c in run.claims if (p := c.parts()) is not None]
    return {
        "browser": run.browser,
        "n": len(run.claims),
        "warmup": len(run.warmup),
        "page_ms": [round(c.page_ms, 2) for c in run.claims],
        "painted_ms": [round(c.painted_ms, 2) for c in run.claims],
        "playwright_ms": [round(c.playwright_ms, 2) for c in run.claims],
        "parts_ms": {k: [round(p[k], 2) for p in parts] for k in (parts[0] if parts else {})},
        "server": run.server,
        "machine": run.machine,
        "marks": [c.marks for c in run.claims],
        "status": run.claims[-1].status if run.claims else "",
        "errors": run.errors,
        "foreign_requests": run.foreign,
        "refused_loads": run.refused,
    }
