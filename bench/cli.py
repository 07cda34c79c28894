"""What the benchmarks' command lines share: where the report goes, `--quick` and its values,
and writing the report."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from bench.report import publish, record


def output_arguments(p: argparse.ArgumentParser, *, raw: bool = True) -> None:
    """--out (BENCHMARKS.md) and, with `raw`, --json."""
    p.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    if raw:
        p.add_argument("--json", type=Path, help="also write the raw results here")


def chooser(
    args: argparse.Namespace, quick: Mapping[str, Any], defaults: object
) -> Callable[[str], Any]:
    """`pick(name)`: the argument given, else (with --quick) the quick run's value, else the
    default of `defaults` (an options dataclass)."""
    shortened = quick if args.quick else {}

    def pick(name: str) -> Any:
        given = getattr(args, name)
        return given if given is not None else shortened.get(name, getattr(defaults, name))

    return pick


def parsed(
    p: argparse.ArgumentParser,
    argv: list[str] | None,
    quick: Mapping[str, Any],
    *,
    raw: bool = True,
    quick_help: str = "a small run (smoke test)",
) -> argparse.Namespace:
    """Adds --quick and the output arguments to `p`, parses `argv` and, with --quick, sets the
    quick run's values over whatever was given (a smoke test's run is always the same)."""
    p.add_argument("--quick", action="store_true", help=quick_help)
    output_arguments(p, raw=raw)
    args = p.parse_args(argv)
    if args.quick:
        for key, value in quick.items():
            setattr(args, key, value)
    return args


class Report(Protocol):
    """What a benchmark's report module offers: its markers in BENCHMARKS.md, the summary of
    its results and the section that shows them."""

    BEGIN: str
    END: str

    def summary(self, results: dict[str, Any]) -> dict[str, Any]: ...

    def section(self, results: dict[str, Any], command: str) -> str: ...


def published(
    results: dict[str, Any],
    report: Report,
    module: str,
    argv: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Records how the run was made, summarises it, writes its section of --out (and --json),
    prints the summary and returns it."""
    command = record(results, module, argv)
    results["summary"] = report.summary(results)
    publish(
        results, report.section(results, command), (report.BEGIN, report.END), args.out, args.json
    )
    print(json.dumps(results["summary"], indent=2))
    print(f"wrote {os.path.relpath(args.out)}")
    summary: dict[str, Any] = results["summary"]
    return summary
