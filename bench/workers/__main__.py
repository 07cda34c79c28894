"""`python -m bench.workers`: the command line of the server-processes benchmark (see the
package)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import bench.workers
from bench.cli import parsed, published
from bench.workers import report
from bench.workers.run import Options, run

QUICK = {"duration": 2, "rounds": 1, "warmup": 0, "collectibles": 10, "quiet_wait": 0.0}


def parse(argv: list[str]) -> argparse.Namespace:
    d = Options()
    p = argparse.ArgumentParser(
        prog="python -m bench.workers",
        description=bench.workers.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--duration", type=int, default=d.duration, help=f"seconds [{d.duration}]")
    p.add_argument("--rounds", type=int, default=d.rounds, help=f"[{d.rounds}]")
    p.add_argument("--warmup", type=int, default=d.warmup, help=f"seconds [{d.warmup}]")
    p.add_argument("--connections", type=int, default=d.connections, help=f"[{d.connections}]")
    p.add_argument("--collectibles", type=int, default=d.collectibles, help="clues [100]")
    p.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument(
        "--redis",
        choices=("one", "cluster", "both"),
        default=d.redis,
        help="one Redis, a Redis Cluster started for the run (Debian's redis-server), or both"
        f" side by side [{d.redis}]",
    )
    p.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    p.add_argument("--quiet-wait", type=float, default=d.quiet_wait, help="[60] s at most")
    return parsed(p, argv, QUICK)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    opts = Options(
        duration=args.duration,
        rounds=max(1, args.rounds),
        warmup=args.warmup,
        connections=args.connections,
        collectibles=args.collectibles,
        loadgen=args.loadgen,
        install=not args.no_install,
        quiet_wait=args.quiet_wait,
        redis=args.redis,
    )
    results = asyncio.run(run(opts))
    summary = published(results, report, "bench.workers", argv, args)
    return 0 if summary["as_expected"] else 1


if __name__ == "__main__":
    sys.exit(main())
