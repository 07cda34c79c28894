"""The swaps benchmark's quick mode works end to end on the real services and anvil (no timing is
asserted: this tests the harness, not the numbers), its report written to a temporary file
beside a section it must leave alone: every swap, through the API and the worker and by the
bare script, completed exactly once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from bench import swaps
from tests.support.bench import KEPT


def test_quick_swaps_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    out, raw = tmp_path / "BENCHMARKS.md", tmp_path / "swaps.json"
    out.write_text(f"# Benchmarks\n\n{KEPT}\n\n{swaps.BEGIN}\nold\n{swaps.END}\n")
    env = {**os.environ, "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "")}
    env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "")
    command = [
        sys.executable, "-m", "bench.swaps", "--quick", "--out", str(out), "--json", str(raw),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert KEPT in text and "\nold\n" not in text
    assert text.count(swaps.BEGIN) == 1 and text.count(swaps.END) == 1
    section = text[text.index(swaps.BEGIN) : text.index(swaps.END)]

    # The quick run's sizes: one round of 20 swaps each way, then 5 swaps/s for 3 s.
    assert "| (a) API + worker: taker's signature → `completed` (20 swaps) |" in section
    assert re.search(r"\| \(b\) bare script, the same `swap` calls \| \d+\.\d \|", section)
    assert re.search(
        r"\| a / b \(median of the rounds' ratios\) \| \d\.\d\d \| ≥ 0\.70 \|", section
    )
    assert "(c) Steady 5 swaps/s for 3 s (15 swaps)" in section
    assert re.search(r"p95 \d+\.\d\d s \(target < 3 s: \*\*(met|missed)\*\*\)", section)
    for stage in ("(the API)", "claimed by the worker", "(mined, receipt, settled)"):
        assert stage in section, stage
    assert "| anvil |" in section and "Reading." in section

    # Exactly once: 35 swaps through the API and the worker (20 + 15), 20 by the bare script.
    assert "Every swap completed exactly once: yes." in section
    assert (
        "35 of 35 `completed` as `GET /v1/swaps/{id}` shows them, 35 with both tokens now each"
        " held by the other fan, 35 with one `Swapped` event naming the swap's transaction, 35"
        " with one ledger batch, mined; by the bare script, 20 of 20 swapped on chain with one"
        " event each (20)."
    ) in section
    results = json.loads(raw.read_text())
    for run in [*results["worker"], results["steady"]]:
        checks = run["checks"]
        assert checks["db_statuses"] == {"completed": run["swaps"]}
        assert checks["api_statuses"] == {"completed": run["swaps"]}
        assert checks["events"] == checks["one_event_each"] == run["swaps"]
        assert checks["one_batch_mined_each"] == checks["tx_named"] == run["swaps"]
        assert run["answers"] == {"200": run["swaps"]}
    (bare,) = results["bare"]
    assert bare["reverted"] == 0 and bare["checks"]["exactly_once"]
    assert bare["checks"]["owners_swapped"] == bare["swaps"] == 20
