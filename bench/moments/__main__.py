"""`python -m bench.moments`: the command line of the fans' moments benchmark (see the
package)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import bench.moments
from bench.cli import output_arguments
from bench.moments import report
from bench.moments.run import reserved_moments, run
from bench.report import publish, record

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
    p.add_argument("--quick", action="store_true", help="a small run (smoke test)")
    output_arguments(p)
    args = p.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.moments <= reserved_moments(args):
        p.error("--moments must exceed the moments the bursts love")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    results = asyncio.run(run(args))
    command = record(results, "bench.moments", argv)
    results["summary"] = report.summary(results)
    text = report.section(results, command)
    publish(results, text, (report.BEGIN, report.END), args.out, args.json)
    print(json.dumps(results["summary"], indent=2))
    print(f"wrote {os.path.relpath(args.out)}")
    return 0 if results["summary"]["targets"]["as_expected"] else 1


if __name__ == "__main__":
    sys.exit(main())
