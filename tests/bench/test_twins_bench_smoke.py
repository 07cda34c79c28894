"""The taste-twins benchmark's quick mode works end to end on the real services (no timing is
asserted: this tests the harness, not the numbers), its report written to a temporary file."""

from __future__ import annotations

from pathlib import Path

from bench import twins
from tests.support.bench import run_quick


def test_quick_twins_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    text = run_quick("bench.twins", (twins.BEGIN, twins.END), tmp_path)
    # Every request was answered with a 200 and a full top 20, on the seeded population.
    assert "3,000 hunters (1,500 discoverable" in text
    rows = "\n".join(line for line in text.splitlines() if line.startswith("| "))
    assert "| 1 | 200 x 200 |" in text and "| 4 at once | 200 x 200 |" in text, rows
    assert "Every answer held at least 20 twins" in text
