"""`python -m bench.live`: the command line of the live-push benchmark (see the package)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import bench.live
from bench.cli import chooser, output_arguments
from bench.live import report
from bench.live.options import QUICK, LiveOptions
from bench.live.run import run
from bench.report import publish, record


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.live", description=bench.live.__doc__)
    p.add_argument("--clients", type=int, help="WebSocket clients [1000]")
    p.add_argument("--servers", type=int, default=2, help="server processes [2]")
    p.add_argument("--rate", type=float, help="scans/s [100]")
    p.add_argument("--duration", type=float, help="seconds measured [30]")
    p.add_argument("--warmup", type=float, help="seconds of warm-up scans [3]")
    p.add_argument("--collectibles", type=int, default=100, help="billboards of the hunt [100]")
    p.add_argument("--client-processes", type=int, default=2, help="processes of clients [2]")
    p.add_argument("--quick", action="store_true", help="40 clients, 20 scans/s for 2 s")
    output_arguments(p)
    p.add_argument("--keep-db", action="store_true", help="keep the database")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    pick = chooser(args, QUICK, LiveOptions())
    opts = LiveOptions(
        clients=int(pick("clients")),
        servers=max(1, args.servers),
        rate=float(pick("rate")),
        duration=float(pick("duration")),
        warmup=float(pick("warmup")),
        collectibles=args.collectibles,
        client_processes=max(1, args.client_processes),
        keep_db=args.keep_db,
    )
    results = asyncio.run(run(opts))
    command = record(results, "bench.live", argv)
    results["options"] = opts.__dict__
    results["summary"] = report.summary(results, opts)
    text = report.section(results, opts, command)
    publish(results, text, (report.BEGIN, report.END), args.out, args.json)
    print(json.dumps(results["summary"], indent=2))
    print(f"wrote {os.path.relpath(args.out)}")
    broken = not results["summary"]["all_accepted"] or not results["summary"]["nobody_missed"]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
