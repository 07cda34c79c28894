"""Debian's Chromium, headless, driven by Playwright, for the pages geohunt serves itself.

Chromium is installed with `apt-get install -y chromium chromium-driver` (`make test` does it);
without it these tests fail, never skip: the pages would be untested."""

from __future__ import annotations

import contextlib
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
