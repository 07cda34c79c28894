"""The taste-twins benchmark's quick mode works end to end on the real services (no timing is
asserted: this tests the harness, not the numbers), its report written to a temporary file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server.bench import twins


def test_quick_twins_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# Benchmarks\n\n## Scan path\n\nkept as it was\n")
    env = {**os.environ, "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "")}
    env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "")
    command = [sys.executable, "-m", "server.bench.twins", "--quick", "--out", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert "## Scan path\n\nkept as it was" in text
    assert text.count(twins.BEGIN) == 1 and text.count(twins.END) == 1
    # Every request was answered with a 200 and a full top 20, on the seeded population.
    assert "3,000 hunters (1,500 discoverable" in text
    assert "| 1 | 200 x 200 |" in text and "| 4 at once | 200 x 200 |" in text
    assert "Every answer held at least 20 twins" in text
