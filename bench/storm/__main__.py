"""`python -m bench.storm`: the command line of the scan-storm benchmark (see the package)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import bench.storm
from bench.cli import parsed, published
from bench.storm import report
from bench.storm.run import Options, run

QUICK = {
    "duration": 2.0,
    "capacity_duration": 2.0,
    "warmup": 1.0,
    "collectibles": 20,
    "hunters": 200,
    "probe_rate": 10.0,
    "warm": 10,
    "quiet_wait": 0.0,
}


def parse(argv: list[str]) -> argparse.Namespace:
    d = Options()
    p = argparse.ArgumentParser(
        prog="python -m bench.storm",
        description=bench.storm.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--duration",
        type=float,
        default=d.duration,
        help=f"seconds of each open-loop phase [{d.duration:g}]",
    )
    p.add_argument(
        "--capacity-duration",
        type=float,
        default=d.capacity_duration,
        help=f"seconds of the closed loop that measures the capacity [{d.capacity_duration:g}]",
    )
    p.add_argument("--warmup", type=float, default=d.warmup, help=f"[{d.warmup:g}] s")
    p.add_argument("--multipliers", default="1,2,5", help="of the capacity, offered [1,2,5]")
    p.add_argument(
        "--workers",
        type=int,
        default=d.workers,
        help=f"server processes, as geohunt serve --workers [{d.workers}]",
    )
    p.add_argument(
        "--generators",
        type=int,
        default=d.generators,
        help=f"load-generator processes [{d.generators}]",
    )
    p.add_argument(
        "--connections",
        type=int,
        default=d.connections,
        help=f"of the closed loops [{d.connections}]",
    )
    p.add_argument(
        "--collectibles",
        type=int,
        default=d.collectibles,
        help=f"clues of the hunt [{d.collectibles}]",
    )
    p.add_argument("--hunters", type=int, default=d.hunters, help=f"at least [{d.hunters}]")
    p.add_argument(
        "--timeout",
        type=float,
        default=d.timeout,
        help=f"a client gives up after this many seconds [{d.timeout:g}]",
    )
    p.add_argument(
        "--probe-rate",
        type=float,
        default=d.probe_rate,
        help=f"/healthz probes a second [{d.probe_rate:g}]",
    )
    p.add_argument(
        "--warm",
        type=int,
        default=d.warm,
        help=f"warm connections of each generator process [{d.warm}]",
    )
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=d.quiet_wait,
        help=f"before each phase, wait at most this long for quiet [{d.quiet_wait:g}]",
    )
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offer multiples of this many scans/s, not of the measured capacity (to compare"
        " two versions at one load) [the capacity]",
    )
    p.add_argument("--keep-db", action="store_true", help="keep the database and server log")
    return parsed(p, argv, QUICK)


def options(args: argparse.Namespace) -> Options:
    return Options(
        duration=args.duration,
        capacity_duration=args.capacity_duration,
        warmup=args.warmup,
        multipliers=[float(m) for m in args.multipliers.split(",")],
        workers=args.workers,
        generators=args.generators,
        connections=args.connections,
        collectibles=args.collectibles,
        hunters=args.hunters,
        timeout=args.timeout,
        probe_rate=args.probe_rate,
        warm=args.warm,
        quiet_wait=args.quiet_wait,
        keep_db=args.keep_db,
        rate=args.rate,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    results = asyncio.run(run(options(args)))
    summary = published(results, report, "bench.storm", argv, args)
    return 0 if summary["targets"]["durable"] else 1


if __name__ == "__main__":
    sys.exit(main())
