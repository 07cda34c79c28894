"""`python -m bench.mint`: the command line of the minting benchmark (see the package)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from typing import Any

import bench.mint
from bench.cli import output_arguments
from bench.mint import report
from bench.mint.bare import bare_run
from bench.mint.chain import MINTER, SECOND_MINTER, fresh_chain
from bench.mint.finds import seed_hunt
from bench.mint.worker import drain_run, running_worker, steady_run
from bench.report import publish, record
from bench.scratch import scratch_stack
from infra.settings import MintSettings


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.mint", description=bench.mint.__doc__)
    p.add_argument("--finds", type=int, default=5000, help="finds per throughput run [5000]")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds of a and b [5]")
    p.add_argument("--batch", type=int, default=100, help="MINT_BATCH_MAX [100]")
    p.add_argument("--in-flight", type=int, default=8, help="MINT_MAX_IN_FLIGHT [8]")
    p.add_argument("--rate", type=float, default=100.0, help="steady finds/s of (c) [100]")
    p.add_argument("--steady-s", type=float, default=30.0, help="seconds of (c) [30]")
    p.add_argument("--quick", action="store_true", help="a short run (smoke test)")
    output_arguments(p)
    return p.parse_args(argv)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "worker": [],
        "worker_2keys": [],
        "bare": [],
        "config": vars(args) | {"out": None},
    }
    async with scratch_stack("mint", servers=0) as stack:
        db, log = stack.db, stack.workdir / "worker.log"
        settings = dataclasses.replace(
            stack.settings,
            minter_private_keys=(MINTER[1],),
            mint=MintSettings(
                batch_max=args.batch, max_in_flight=args.in_flight, poll_s=0.2, receipt_poll_s=0.02
            ),
        )
        two_keys = dataclasses.replace(settings, minter_private_keys=(MINTER[1], SECOND_MINTER[1]))
        hunt = await seed_hunt(db)
        # A first round of a fifth of the finds, not counted: in every run the first round was
        # the slowest for the worker (and the fastest for the bare script), whatever it held.
        # (A quick run, which tests the harness only, has none.)
        warm_up = [] if args.quick else [(False, max(1, args.finds // 5))]
        for measured, n in (*warm_up, *[(True, args.finds)] * args.rounds):
            # One worker process with one key, then with two (each key a sender of its own,
            # sharing the queue), then the bare script: back to back, on the same machine.
            round_results: dict[str, Any] = {}
            for name, keyed in (("worker", settings), ("worker_2keys", two_keys)):
                async with (
                    fresh_chain(keyed, db) as (chained, _),
                    running_worker(stack.env, chained, db, log),
                ):
                    round_results[name] = await drain_run(db, hunt, n)
            async with fresh_chain(settings, db) as (chained, w3):
                assert chained.contract_address
                round_results["bare"] = await bare_run(
                    w3, chained.contract_address, n, args.batch, args.in_flight
                )
            if measured:
                for name, result in round_results.items():
                    results[name].append(result)
        async with (
            fresh_chain(settings, db) as (chained, _),
            running_worker(stack.env, chained, db, log),
        ):
            results["steady"] = await steady_run(db, hunt, args.rate, args.steady_s)
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    if args.quick:
        args.finds, args.rounds, args.steady_s = 300, 1, 3.0
    results = asyncio.run(run(args))
    command = record(results, "bench.mint", argv)
    text = report.section(results, command)
    print(text)
    # A quick run's figures mean nothing: it writes no section.
    publish(results, text, (report.BEGIN, report.END), None if args.quick else args.out, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
