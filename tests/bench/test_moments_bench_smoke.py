"""The fans' moments benchmark's quick mode works end to end on the real services (no timing is
asserted: this tests the harness, not the numbers), its report written to a temporary file."""

from __future__ import annotations

from pathlib import Path

from bench import moments
from tests.support.bench import run_quick


def test_quick_moments_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    text = run_quick("bench.moments", (moments.BEGIN, moments.END), tmp_path)
    # The seeded hunt at its quick size; every love answered 200 and counted exactly, on the
    # hot moment and on the spread ones, at both numbers of connections; every list a 200.
    assert "One hunt of 5,000 moments" in text and "400 hunters to love" in text
    for row in (
        "| 40 | hot: 1 moment | 400 | 400 x 200 |",
        "| 8 | hot: 1 moment | 400 | 400 x 200 |",
    ):
        assert row in text, row
    assert "| 40 | spread: 40 moments | 400 | 400 x 200 |" in text
    assert "after the first list folded them, in its sort key: yes" in text
    assert text.count("| 40 x 200 |") == 4
    assert "| every answer 200 and every count exact | yes |" in text
