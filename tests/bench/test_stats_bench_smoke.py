"""The ratings benchmark's quick mode works end to end on the real services (no timing is
asserted: this tests the harness, not the numbers), its report written to a temporary file."""

from __future__ import annotations

from pathlib import Path

from bench import stats
from tests.support.bench import run_quick


def test_quick_stats_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    text = run_quick("bench.stats", (stats.BEGIN, stats.END), tmp_path)
    # Every measurement was answered, and only with 200s, on the seeded hunt's full size.
    assert "20,000 scan attempts and 2,000 finds" in text
    for label in (
        "1 client | 40 x 200",
        "4 clients at once | 40 x 200",
        "(the page), 1 client | 20 x 200",
    ):
        assert label in text, label
