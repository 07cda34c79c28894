"""The live-push benchmark's harness works end to end (no timing is asserted: this tests the
harness, not the numbers): its quick mode, with the report written to a temporary file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_live_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    out, raw = tmp_path / "BENCHMARKS.md", tmp_path / "results.json"
    out.write_text("# Benchmarks\n\n## Scan path\n\nkept as it was\n")
    env = {**os.environ, "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "")}
    env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "")
    command = [
        sys.executable, "-m", "bench.live", "--quick", "--clients", "12", "--rate", "10",
        "--warmup", "0", "--out", str(out), "--json", str(raw),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]

    results = json.loads(raw.read_text())
    assert results["scans"]["statuses"] == {"201": 20} and results["finds"] == 20
    assert results["clients"] == 12 and results["clients_complete"] == 12
    assert results["receipts"] == results["expected_receipts"] == 240
    assert results["missing"] == 0 and results["clients_with_extra"] == 0
    assert results["finds_by_receivers"] == {"12": 20}
    assert set(results["latency_ms"]) == {"p50", "p90", "p95", "p99", "max"}
    assert results["summary"]["nobody_missed"] and results["summary"]["all_accepted"]

    text = out.read_text()
    assert "## Scan path\n\nkept as it was" in text
    assert text.count("## Live pushes") == 1
    for field in ("201 to client, p99", "12 WebSocket clients", "10/s for 2 s", "--quick"):
        assert field in text, field
