"""Debian's Chromium, started the way every browser run on this machine starts it.

Without these flags its background connections (updates, first-run pages) reach for the closed
network and slow every start; Lighthouse and Playwright both get the same list."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
# The phone of the fan app's browser tests: 390x844 CSS pixels at twice the density.
PHONE: ViewportSize = {"width": 390, "height": 844}
PHONE_SCALE = 2


def require() -> None:
    """SystemExit when Debian's Chromium is not installed (`make browser` installs it)."""
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: `make browser` installs Debian's Chromium")
