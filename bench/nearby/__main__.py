"""`python -m bench.nearby`: the command line of the AR hints benchmark (see the package)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import bench.nearby
from bench.cli import chooser, output_arguments, published
from bench.nearby import report
from bench.nearby.options import QUICK, NearbyOptions
from bench.nearby.run import run
from server.ar.schemas import NearbyQuery


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.nearby", description=bench.nearby.__doc__)
    p.add_argument("--duration", type=int, help="seconds of each closed-loop run [7]")
    p.add_argument("--rounds", type=int, help="interleaved rounds of the closed loops [3]")
    p.add_argument("--rate", type=float, help="open-loop requests/s [300]")
    p.add_argument("--open-duration", type=float, help="seconds of each open-loop run [30]")
    p.add_argument("--warmup", type=int, help="seconds of each warm-up run [3]")
    p.add_argument("--connections", type=int, default=32, help="closed-loop connections [32]")
    p.add_argument("--clues", type=int, help="clues in the hunt [100000]")
    p.add_argument("--hunters", type=int, default=2000, help="at least this many hunters [2000]")
    p.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    p.add_argument("--quick", action="store_true", help="a short run on 10,000 clues")
    output_arguments(p)
    p.add_argument("--quiet-wait", type=float, default=120.0, help="see bench [120]")
    p.add_argument("--keep-db", action="store_true", help="keep the database and server log")
    return p.parse_args(argv)


def options(args: argparse.Namespace) -> NearbyOptions:
    pick = chooser(args, QUICK, NearbyOptions())
    return NearbyOptions(
        duration=int(pick("duration")),
        rounds=max(1, int(pick("rounds"))),
        open_duration=float(pick("open_duration")),
        rate=float(pick("rate")),
        warmup=int(pick("warmup")),
        connections=args.connections,
        clues=int(pick("clues")),
        hunters=args.hunters,
        loadgen=args.loadgen,
        install=not args.no_install,
        keep_db=args.keep_db,
        quiet_wait_s=args.quiet_wait,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    opts = options(args)
    if opts.clues < opts.collectibles + opts.ar_clues:
        raise SystemExit(f"--clues must be at least {opts.collectibles + opts.ar_clues}")
    results = asyncio.run(run(opts))
    results["options"] = {
        "duration": opts.duration,
        "rounds": opts.rounds,
        "open_duration": opts.open_duration,
        "rate": opts.rate,
        "warmup": opts.warmup,
        "connections": opts.connections,
        "collectibles": opts.collectibles,
        "ar_clues": opts.ar_clues,
        "clues": opts.clues,
        "limit": NearbyQuery.model_fields["limit"].default,
    }
    published(results, report, "bench.nearby", argv, args)
    return 1 if results["unexpected"] else 0


if __name__ == "__main__":
    sys.exit(main())
