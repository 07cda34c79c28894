"""What the benchmarks' command lines share: where the report goes, and `--quick` defaults."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


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
