"""`python -m bench.moments`: the command line of the fans' moments benchmark (see the
package)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import bench.moments
from bench.cli import parsed, published
from bench.moments import report
from bench.moments.run import reserved_moments, run

QUICK = {
    "moments": 5_000,
    "lovers": 400,
    "clients": 40,
    "spread": 40,
    "rounds": 1,
    "admitted": 8,
    "requests": 40,
}


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.moments", description=bench.moments.__doc__)
    p.add_argument("--moments", type=int, default=100_000, help="moments in the hunt [100,000]")
    p.add_argument("--lovers", type=int, default=10_000, help="loves per burst [10,000]")
    p.add_argument("--clients", type=int, default=1_000, help="hunters at once [1,000]")
    p.add_argument("--spread", type=int, default=1_000, help="moments of the spread [1,000]")
    p.add_argument("--rounds", type=int, default=2, help="rounds of hot and spread [2]")
    p.add_argument(
        "--admitted", type=int, default=64, help="connections of a last round, 0: none [64]"
    )
    p.add_argument("--requests", type=int, default=400, help="requests per list load [400]")
    args = parsed(p, argv, QUICK)
    if args.moments <= reserved_moments(args):
        p.error("--moments must exceed the moments the bursts love")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    results = asyncio.run(run(args))
    summary = published(results, report, "bench.moments", argv, args)
    return 0 if summary["targets"]["as_expected"] else 1


if __name__ == "__main__":
    sys.exit(main())
