"""What every benchmark's report shares: the machine it ran on, when, the command that ran it,
percentiles, "met" or "missed", and its own section of BENCHMARKS.md.

Each benchmark writes one section between its own markers; a run replaces only that section
and leaves the rest of the file as it was.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HEADER = """# Benchmarks

Each section is written by the command it names; re-running one replaces that section only.
"""


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def machine_line(m: dict[str, str], *, kernel: bool = False) -> str:
    """`Machine: 2 CPUs (model), 24 GiB, [Linux 6.1, ]Python 3.11.7` (no closing punctuation)."""
    linux = f"Linux {m['kernel']}, " if kernel else ""
    return f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, {linux}Python {m['python']}"


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def command_line(module: str, argv: list[str]) -> str:
    """The command as it was typed: the venv's python relative to here, the module, its
    arguments."""
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path.cwd()))
    except ValueError:
        shown = "python"
    return " ".join([shown, "-m", module, *map(shlex.quote, argv)])


def measured_line(date: str, command: str) -> str:
    """`Measured <date> with <command>`, noting when that is what `make bench` runs (no
    arguments)."""
    make = " (what `make bench` runs)." if command.split(" ")[-2:-1] == ["-m"] else "."
    return f"Measured {date} with `{command}`{make}"


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p90, p95, p99 and max (nearest rank), rounded to 3 decimals; {} for no samples."""
    if not samples:
        return {}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 3)

    return {
        "p50": at(0.50),
        "p90": at(0.90),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 3),
    }


def met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def replace_section(path: Path, begin: str, end: str, text: str) -> None:
    """Put `text` (which starts with `begin` and ends with `end`) in place of the file's
    section between those markers, or after the rest when it has none yet."""
    old = path.read_text() if path.exists() else HEADER
    if begin in old and end in old:
        head, _, rest = old.partition(begin)
        _, _, tail = rest.partition(end)
        new = head + text.rstrip("\n") + tail
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new)


def record(results: dict[str, Any], module: str, argv: list[str]) -> str:
    """Note in `results` when, where and how the run was made; the command line."""
    results["date"] = stamp()
    results["machine"] = machine()
    results["command"] = command_line(module, argv)
    return str(results["command"])


def publish(
    results: dict[str, Any],
    text: str,
    markers: tuple[str, str],
    out: Path | None,
    raw: Path | None = None,
) -> None:
    """Write the section `text` into `out` (unless None) and the raw results into `raw`."""
    if out is not None:
        replace_section(out, *markers, text)
    if raw is not None:
        raw.write_text(json.dumps(results, indent=2, default=str) + "\n")
