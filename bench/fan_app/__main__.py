"""`python -m bench.fan_app`: the command line of the fan app benchmark (see the package)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import bench.fan_app
from bench.cli import chooser, output_arguments, published
from bench.fan_app import report
from bench.fan_app.options import QUICK, FanAppOptions
from bench.fan_app.run import run


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.fan_app", description=bench.fan_app.__doc__)
    p.add_argument("--lighthouse-runs", type=int, help="Lighthouse runs of each page [3]")
    p.add_argument("--fans", type=int, help="fans whose claims are measured [40]")
    p.add_argument("--warmup", type=int, help="fans who claim first, unmeasured [2]")
    p.add_argument("--quick", action="store_true", help="one Lighthouse run a page, 3 claims")
    output_arguments(p)
    p.add_argument("--reports", type=Path, help="keep Lighthouse's JSON reports in this folder")
    p.add_argument("--screenshot", type=Path, help="keep the last fan's screen (PNG) here")
    p.add_argument(
        "--quiet-wait", dest="quiet_wait_s", type=float, help="see bench [120; 0 with --quick]"
    )
    p.add_argument(
        "--queue-target-ms",
        type=float,
        help="the server's GEOHUNT_QUEUE_TARGET_MS [its own; 1000 with --quick]",
    )
    p.add_argument("--keep-db", action="store_true", help="keep the database and server log")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    pick = chooser(args, QUICK, FanAppOptions())
    opts = FanAppOptions(
        lighthouse_runs=max(1, int(pick("lighthouse_runs"))),
        fans=max(1, int(pick("fans"))),
        warmup=max(0, int(pick("warmup"))),
        quiet_wait_s=float(pick("quiet_wait_s")),
        queue_target_ms=pick("queue_target_ms"),
        keep_db=args.keep_db,
        reports=args.reports,
        screenshot=args.screenshot,
    )
    results = asyncio.run(run(opts))
    results["options"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(opts).items()}
    summary = published(results, report, "bench.fan_app", argv, args)
    claims = results["claims"]
    broken = not summary["all_found"] or claims["errors"] or claims["foreign_requests"]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
