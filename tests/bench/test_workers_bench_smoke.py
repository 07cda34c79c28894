"""The server-processes benchmark's quick mode works end to end on the real services (no timing
is asserted: this tests the harness, not the numbers): every server up, `--workers 2` as two
processes, on one Redis and on a Redis Cluster started for the run, every answer the expected
one, the report written to a temporary file."""

from __future__ import annotations

import re
from pathlib import Path

from bench import workers
from tests.support.bench import run_quick


def test_quick_workers_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    text = run_quick("bench.workers", (workers.BEGIN, workers.END), tmp_path)
    labels = (
        "`GET /bench/trivial`",
        "`POST /v1/scans`, 10 clues",
        "`POST /v1/scans`, 10 clues, Redis Cluster",
    )
    for label in map(re.escape, labels):
        row = re.search(rf"^\| {label} \| ([\d,]+) \|.*\| ([\d,]+) \|.*\| ([\d.]+) \(", text, re.M)
        assert row is not None, label
        assert int(row[1].replace(",", "")) > 0 and int(row[2].replace(",", "")) > 0
    answers = re.search(r"^Answers: (.*)\.$", text, re.M)
    assert answers is not None
    # Only the expected status for each load (or 503: a process shedding on a busy machine),
    # and no connection errors.
    for part in answers[1].split("; "):
        label, _, counts = part.partition(": ")
        expected = "200" if label.startswith("trivial") else "201"
        assert re.fullmatch(rf"[\d,]+ x {expected}(, [\d,]+ x 503)?", counts), part
    assert "a second process gives" in text
    assert re.search(r"On the Redis Cluster against one Redis, scans/s: [\d.]+x", text)
