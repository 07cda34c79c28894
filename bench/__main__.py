"""`python -m bench`: the scan-path benchmark; writes its section of BENCHMARKS.md.

One run, one scratch stack (fresh database, one server process) and a load generator in
another process; the phases are in `bench/scan_path/run.py`, the measurements in
`bench/loads.py`, the section in `bench/scan_path/report.py`.

With REDIS_CLUSTER_NODES in the environment the servers use that Redis Cluster instead of one
Redis (the report names it); the Redis CPU counted is that of every redis-server process on the
machine.

Exit status 1 when any scan was not accepted (the harness is broken, not the numbers); missed
targets are reported, not failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bench.cli import chooser, output_arguments, published
from bench.loads import Options
from bench.scan_path import report
from bench.scan_path.run import run
from bench.seed import SCANS_PER_MINUTE

QUICK = {
    "duration": 2,
    "rounds": 1,
    "open_duration": 3.0,
    "warmup": 1,
    "big_clues": 10_000,
}  # and no hot spot


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--duration", type=int, help="seconds of each closed-loop run [7]")
    p.add_argument("--rounds", type=int, help="interleaved rounds of the closed loops [3]")
    p.add_argument("--rate", type=float, default=300.0, help="open-loop scans/s [300]")
    p.add_argument("--open-duration", type=float, help="seconds of each open-loop run [30]")
    p.add_argument("--warmup", type=int, help="seconds of each warm-up run [3]")
    p.add_argument("--connections", type=int, default=32, help="closed-loop connections [32]")
    p.add_argument("--collectibles", type=int, default=100, help="clues of the small hunt [100]")
    p.add_argument("--big-clues", type=int, help="clues of the large hunt [100000]")
    p.add_argument("--hunters", type=int, default=2000, help="at least this many hunters [2000]")
    p.add_argument("--pool-max", type=int, default=10, help="GEOHUNT_DB_POOL_MAX [10]")
    p.add_argument("--no-hot", action="store_true", help="skip c with one collectible in flight")
    p.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    p.add_argument("--quick", action="store_true", help="a ~30 s run with shorter phases")
    output_arguments(p)
    p.add_argument("--profile", type=Path, help="py-spy the server during c into this folder")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before each measurement, wait at most this many seconds for other jobs on the "
        "machine to stop (0: never wait) [120]",
    )
    p.add_argument("--keep-db", action="store_true", help="keep the database and server log")
    return p.parse_args(argv)


def options(args: argparse.Namespace) -> Options:
    pick = chooser(args, QUICK, Options())
    return Options(
        duration=int(pick("duration")),
        rounds=max(1, int(pick("rounds"))),
        open_duration=float(pick("open_duration")),
        rate=args.rate,
        warmup=int(pick("warmup")),
        connections=args.connections,
        collectibles=args.collectibles,
        big_clues=int(pick("big_clues")),
        hunters=args.hunters,
        pool_max=args.pool_max,
        hot=not (args.no_hot or args.quick),
        loadgen=args.loadgen,
        install=not args.no_install,
        profile_dir=args.profile,
        keep_db=args.keep_db,
        quiet_wait_s=args.quiet_wait,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    opts = options(args)
    if opts.big_clues <= opts.collectibles:
        raise SystemExit("--big-clues must be larger than --collectibles")
    results = asyncio.run(run(opts))
    results["options"] = {
        "duration": opts.duration,
        "rounds": opts.rounds,
        "open_duration": opts.open_duration,
        "rate": opts.rate,
        "warmup": opts.warmup,
        "connections": opts.connections,
        "collectibles": opts.collectibles,
        "big_clues": opts.big_clues,
        "pool_max": opts.pool_max,
        "scans_per_minute": SCANS_PER_MINUTE,
    }
    published(results, report, "bench", argv, args)
    return 1 if results["non_201"] else 0


if __name__ == "__main__":
    sys.exit(main())
