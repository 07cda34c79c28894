"""Running a benchmark's quick mode as its own command on the real services, its report written
to a temporary BENCHMARKS.md beside a section it must leave alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KEPT = "## Scan path\n\nkept as it was"


def run_quick(module: str, markers: tuple[str, str], tmp_path: Path) -> str:
    """`python -m module --quick`; the report it wrote, checked to replace only its section."""
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(f"# Benchmarks\n\n{KEPT}\n")
    env = {**os.environ, "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "")}
    env["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "")
    command = [sys.executable, "-m", module, "--quick", "--out", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert KEPT in text
    begin, end = markers
    assert text.count(begin) == 1 and text.count(end) == 1
    return text
