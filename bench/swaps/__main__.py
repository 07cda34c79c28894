"""`python -m bench.swaps`: the command line of the swaps benchmark (see the package)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import bench.swaps
from bench.cli import parsed, published
from bench.swaps import report
from bench.swaps.run import run

QUICK = {"swaps": 20, "rounds": 1, "rate": 5.0, "steady_s": 3.0, "clients": 4}


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.swaps", description=bench.swaps.__doc__)
    p.add_argument("--swaps", type=int, default=300, help="swaps per throughput run [300]")
    p.add_argument("--rounds", type=int, default=3, help="rounds of (a) then (b) [3]")
    p.add_argument("--clients", type=int, default=16, help="takers signing at once in (a) [16]")
    p.add_argument("--in-flight", type=int, default=8, help="MINT_MAX_IN_FLIGHT [8]")
    p.add_argument("--poll-s", type=float, default=0.2, help="MINT_POLL_S [0.2]")
    p.add_argument("--receipt-poll-s", type=float, default=0.02, help="MINT_RECEIPT_POLL_S [0.02]")
    p.add_argument("--rate", type=float, default=20.0, help="steady swaps/s of (c) [20]")
    p.add_argument("--steady-s", type=float, default=30.0, help="seconds of (c) [30]")
    p.add_argument("--keep-db", action="store_true", help="keep the database and the logs")
    return parsed(p, argv, QUICK)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    results = asyncio.run(run(args))
    summary = published(results, report, "bench.swaps", argv, args)
    return 0 if summary["as_expected"] else 1


if __name__ == "__main__":
    sys.exit(main())
