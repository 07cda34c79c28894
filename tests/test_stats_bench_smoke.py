"""The ratings benchmark's quick mode works end to end on the real services (no timing is
asserted: this tests the harness, not the numbers), its report written to a temporary file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server.bench import stats


def test_quick_stats_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\n## Scan path\n\nkept as it was\n")
    env = {**os.environ, "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "")}
    env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "")
    command = [sys.executable, "-m", "server.bench.stats", "--quick", "--out", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert "## Scan path\n\nkept as it was" in text
    assert text.count(stats.BEGIN) == 1 and text.count(stats.END) == 1
    # Every measurement was answered, and only with 200s, on the seeded hunt's full size.
    assert "20,000 scan attempts and 2,000 finds" in text
    for label in (
        "1 client | 40 x 200",
        "4 clients at once | 40 x 200",
        "(the page), 1 client | 20 x 200",
    ):
        assert label in text, label
