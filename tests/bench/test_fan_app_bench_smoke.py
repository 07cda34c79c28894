"""The fan app benchmark's quick mode works end to end on the real services, Lighthouse and
Debian's Chromium (no timing or score is asserted: this tests the harness, not the numbers), its
report written to a temporary file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import fan_app
from tests.support.bench import run_quick


@pytest.mark.slow
def test_quick_fan_app_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    text = run_quick("bench.fan_app", (fan_app.BEGIN, fan_app.END), tmp_path)
    # Lighthouse scored both pages and saw the app's script and style sheet.
    for page in ("`/c/{code}` (a seeded billboard's code)", "`/`"):
        row = re.search(rf"^\| {re.escape(page)} \| (\d+) \| (\d+) \| (\d+) \|.*$", text, re.M)
        assert row is not None, page
        assert " KB | " in row.group(0) and "requests) |" in row.group(0), row.group(0)
    for target in ("performance >= 90", "accessibility >= 95", "best practices >= 95"):
        assert f"| {target} |" in text, target
    # Every fan's claim was accepted and timed by both clocks, with the request inside it, and
    # as many bare scans were sent without the browser.
    assert "accepted: 7 finds of the billboard, by 4 fans in the browser and 3 without" in text
    assert "You found Collectible c00000!" in text
    assert "no script error or CSP violation, no request to another origin" in text
    for label in (
        "| page clock (reported) | 3 |",
        "| the request, `POST /v1/scans` (Resource Timing) | 3 |",
        "| the server's own time for those requests (its `geohunt_request_seconds` histogram",
        "| the same request sent from Python once Chromium has closed, by as many other fresh "
        "fans | 3 |",
    ):
        assert label in text, label
