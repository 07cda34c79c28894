"""The scan-path benchmark's harness works end to end (no timing is asserted: this is a test of
the harness, not of the numbers). Its quickest run: second-long phases, tiny seeds, the report
written to a temporary file instead of BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.scan_path import report
from bench.wrk import find_wrk

GENERATORS = ["python"] + (["wrk"] if find_wrk(install=False) else [])


@pytest.mark.slow
@pytest.mark.parametrize("generator", GENERATORS)
def test_benchmark_runs_end_to_end(tmp_path: Path, generator: str) -> None:
    out, raw = tmp_path / "BENCHMARKS.md", tmp_path / "results.json"
    out.write_text("# Benchmarks\n\n## Minting\n\nkept as it was\n")
    env = {**os.environ, "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "")}
    env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "")
    command = [
        sys.executable, "-m", "bench", "--loadgen", generator, "--no-install",
        "--duration", "1", "--rounds", "1", "--open-duration", "1", "--warmup", "0", "--rate", "50",
        "--connections", "4", "--collectibles", "5", "--big-clues", "60", "--hunters", "20",
        "--quiet-wait", "0", "--out", str(out), "--json", str(raw),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads(raw.read_text())
    assert results["non_201"] == {}
    for name in ("scan", "scan_big"):
        for group in ("closed", "open"):
            entry = results[group][name]
            assert entry["completed"] > 0
            # 201, or 503 where admission control shed a scan while other tests kept the
            # machine busy: each measured 503 is reported as shed.
            assert entry["statuses"].get("201", 0) > 0 and set(entry["statuses"]) <= {
                "201",
                "503",
            }, entry
            assert entry["errors"] == 0
    measured = {
        f"{group}.{name}": entry["statuses"]["503"]
        for group in ("open", "rounds")  # what was measured; `closed` adds the rounds up
        for name, entry in results[group].items()
        if "503" in entry["statuses"]
    }
    assert results["shed"] == measured
    assert results["finds"] >= results["closed"]["scan"]["completed"]
    assert results["clues_big"] == 60
    assert set(results["summary"]["ratios"]) >= {"c_over_b", "c_over_a", "big_over_small"}
    assert results["generator"] == generator

    text = out.read_text()
    assert "## Minting\n\nkept as it was" in text
    assert text.count("## Scan path") == 1
    for field in ("`GET /bench/trivial`", "`POST /bench/insert`", "`POST /v1/scans`",
                  "p50 ms", "p99 ms", "c/b =", "c/a =", "50/s open loop", "60 clues",
                  "-m bench --loadgen"):  # fmt: skip
        assert field in text, field

    # Writing again replaces its own section and nothing else.
    report.write(out, results, "python -m bench --again")
    text = out.read_text()
    assert text.count("## Scan path") == 1
    assert "--again" in text
    assert "## Minting\n\nkept as it was" in text
