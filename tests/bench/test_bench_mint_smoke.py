"""The minting benchmark's harness works end to end on a real anvil and database (no timing is
asserted: a test of the harness, not of the numbers), and rewrites only its own section."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.mint import BEGIN, END


@pytest.mark.slow
def test_mint_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(f"# Benchmarks\n\n## Scan path\n\nkept as it was\n\n{BEGIN}\nold\n{END}\n")
    env = {**os.environ, "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "")}
    command = [
        sys.executable, "-m", "bench.mint", "--finds", "200", "--rounds", "1",
        "--steady-s", "2", "--rate", "50", "--batch", "20", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert "kept as it was" in text and "\nold\n" not in text
    assert text.count(BEGIN) == 1 and "| (a) worker: queued → minted (200 finds) |" in text
    assert "| (a2) the same worker with two keys |" in text and "| a2 / a: two keys" in text
    assert "Steady 50 finds/s for 2 s (100 finds)" in text
