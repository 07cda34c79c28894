"""Debian's Chromium, headless, driven by Playwright, for the pages geohunt serves itself.

Chromium is installed with `apt-get install -y chromium chromium-driver` (`make test` does it);
without it these tests fail, never skip: the pages would be untested."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass
class Tab:
    page: Any
    requested: list[str] = field(default_factory=list)  # every URL the page asked for
    errors: list[str] = field(default_factory=list)  # console errors (CSP violations too)


@contextlib.asynccontextmanager
async def full_hd_tab() -> AsyncIterator[Tab]:
    """A 1920x1080 tab in a fresh, temporary profile (Playwright gives each launch its own)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            tab = Tab(await browser.new_page(viewport={"width": 1920, "height": 1080}))
            tab.page.on("request", lambda request: tab.requested.append(request.url))
            tab.page.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
            yield tab
        finally:
            await browser.close()


PHONE = {"width": 390, "height": 844}
REFUSAL_LOGGED = re.compile(
    r"Failed to load resource: (the server responded with a status of 4\d\d"
    r"|net::ERR_INTERNET_DISCONNECTED)"
)


@dataclass
class Phone:
    """A phone-sized browser: its context (geolocation, permissions, offline) and tabs."""

    browser: Any
    context: Any
    origin: str
    tabs: list[Tab] = field(default_factory=list)

    async def tab(self) -> Tab:
        tab = Tab(await self.context.new_page())
        tab.page.on("request", lambda request: tab.requested.append(request.url))
        tab.page.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
        tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
        self.tabs.append(tab)
        return tab

    async def move_to(self, lat: float, lon: float, accuracy_m: float = 8) -> None:
        await self.context.set_geolocation(
            {"latitude": lat, "longitude": lon, "accuracy": accuracy_m}
        )

    async def fresh_context(self) -> Phone:
        """Another phone (a context of its own: no storage shared) in the same browser."""
        return await _phone_context(self.browser, self.origin, None)

    def foreign_requests(self) -> list[str]:
        return [
            url
            for tab in self.tabs
            for url in tab.requested
            if not url.startswith(self.origin + "/") and not url.startswith(("data:", "blob:"))
        ]

    def errors(self) -> list[str]:
        """Script errors and CSP violations. An API's refusal (a 4xx the app reads and explains)
        and a request made while the phone is offline are logged by Chromium as failed loads:
        the app handles both, so they are not errors."""
        return [
            error for tab in self.tabs for error in tab.errors if not REFUSAL_LOGGED.match(error)
        ]


async def _phone_context(browser: Any, origin: str, at: tuple[float, float] | None) -> Phone:
    context = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        permissions=["geolocation", "camera"],
        geolocation=None if at is None else {"latitude": at[0], "longitude": at[1], "accuracy": 8},
    )
    if at is None:
        await context.grant_permissions(["geolocation", "camera"], origin=origin)
    return Phone(browser, context, origin)


@contextlib.asynccontextmanager
async def phone(
    origin: str,
    at: tuple[float, float] | None = None,
    camera: Path | None = None,
    fake_camera: bool = False,
) -> AsyncIterator[Phone]:
    """A 390x844 phone at `origin` (http://localhost:PORT: a secure context, as geolocation,
    service workers and passkeys need), standing at `at`, its camera showing `camera` (a Y4M
    file, 4:2:0) if given, or Chromium's own moving test pattern with `fake_camera`."""
    args = list(FLAGS)
    if camera is not None:
        args += [
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ]
    elif fake_camera:
        args.append("--use-fake-device-for-media-stream")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            device = await _phone_context(browser, origin, at)
            try:
                yield device
            except Exception as err:
                await _leave_evidence(device, err)
                raise
        finally:
            await browser.close()


async def _leave_evidence(device: Phone, err: Exception) -> None:
    """What each tab showed when the test failed: a screenshot in test-artifacts/ (failed-*), and
    its address, errors and last requests as notes on the error (a failure seen once under a
    loaded suite can then be read, not guessed)."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "test").split(" ")[0]
    stem = re.sub(r"[^\w.-]+", "-", test.rsplit("::", 1)[-1])[:80]
    for n, tab in enumerate(device.tabs):
        path: Path | None
        try:
            async with asyncio.timeout(5):
                path = await screenshot(tab, f"failed-{stem}-tab{n}")
        except Exception:  # noqa: BLE001 - evidence is best effort; the test's error stands
            path = None
        err.add_note(
            f"tab {n}: at {tab.page.url}; screenshot {path}; errors {tab.errors[-5:]}; "
            f"last requests {tab.requested[-8:]}"
        )


@dataclass
class Compass:
    """The phone's compass, as Chromium's overridden absolute-orientation sensor (a headless
    browser has none): `deviceorientationabsolute` then tells the page a heading."""

    session: Any

    async def face(self, heading_deg: float) -> None:
        """Face `heading_deg` (clockwise from north), the phone held flat: its `alpha`, counted
        counter-clockwise, is 360 - heading, a turn about the vertical axis."""
        half = math.radians((360 - heading_deg) % 360) / 2
        reading = {"quaternion": {"x": 0, "y": 0, "z": math.sin(half), "w": math.cos(half)}}
        await self.session.send(
            "Emulation.setSensorOverrideReadings",
            {"type": "absolute-orientation", "reading": reading},
        )


async def compass(tab: Tab, heading_deg: float) -> Compass:
    """Give the tab a compass facing `heading_deg`. Call it before the page listens for the
    orientation (before opening it): a page that found no sensor does not look again. The
    override lasts across the tab's navigations. The phone's context is granted the motion
    sensors too (it granted only geolocation and camera, which denies the rest)."""
    await tab.page.context.grant_permissions(["accelerometer", "gyroscope", "magnetometer"])
    session = await tab.page.context.new_cdp_session(tab.page)
    await session.send(
        "Emulation.setSensorOverrideEnabled", {"enabled": True, "type": "absolute-orientation"}
    )
    needle = Compass(session)
    await needle.face(heading_deg)
    return needle


async def screenshot(tab: Tab, name: str) -> Path:
    """Keep a screenshot of the tab in test-artifacts/ (looked at by people, not by asserts)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await tab.page.screenshot(path=str(path), full_page=True)
    return path


async def signed_in(device: Phone) -> dict[str, str]:
    """The bearer header of the hunter the fan app signed in on this phone (its localStorage)."""
    state = await device.context.storage_state()
    for entry in state["origins"]:
        if entry["origin"] == device.origin:
            for item in entry["localStorage"]:
                if item["name"] == "geohunt.session":
                    return {"Authorization": f"Bearer {json.loads(item['value'])['token']}"}
    raise AssertionError("the fan app has no session on this phone")
