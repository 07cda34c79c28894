"""The swaps benchmark's phases on one scratch stack: per round, (a) swaps through the API and
the worker and (b) the bare script sending the same calls, each on a fresh anvil; then (c) the
steady rate, each swap timed from its taker's signature to `completed`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench.cpu import wait_quiet
from bench.mint.chain import MINTER, fresh_chain
from bench.mint.worker import running_worker
from bench.report import percentiles
from bench.scratch import Stack, log_stderr, scratch_stack
from bench.swaps import api, bare, parties, verify
from bench.swaps.fans import Pair, mint_tokens, seed_pairs
from bench.swaps.offers import open_offers
from infra.settings import MintSettings, Settings
from server.http.auth import TokenIssuer

SETTLED_SQL = """
SELECT count(*) FROM swaps WHERE id = ANY($1::bigint[]) AND status IN ('completed', 'failed')
"""
STALLED_SWAPS_SQL = """
SELECT status, count(*) FROM swaps WHERE id = ANY($1::bigint[]) GROUP BY status
"""
STALLED_BATCHES_SQL = """
SELECT status, count(*) FROM mint_batches WHERE swap_id = ANY($1::bigint[]) GROUP BY status
"""
# Each swap's way from accepted to settled, on the database's clock: the worker's claim (its
# first transaction's signed_at is the claiming transaction's start), the broadcast (sent_at),
# and the settlement from the receipt (settled_at).
STAGES_SQL = """
SELECT s.id, extract(epoch FROM s.accepted_at)::float8 AS accepted,
    extract(epoch FROM t.claimed)::float8 AS claimed, extract(epoch FROM t.sent)::float8 AS sent,
    extract(epoch FROM s.settled_at)::float8 AS settled
FROM swaps s
LEFT JOIN LATERAL (
    SELECT min(x.signed_at) AS claimed, min(x.sent_at) AS sent
    FROM mint_batches b JOIN mint_txs x ON x.batch_id = b.id WHERE b.swap_id = s.id
) t ON true
WHERE s.id = ANY($1::bigint[])
"""
NODE_SAMPLE = 100
# Other jobs on the machine take CPU from every party measured: each measured phase waits (this
# long at most) for a quiet second first, and reports how busy the machine was then.
QUIET_WAIT_S = 5.0


async def wait_settled(
    db: asyncpg.Connection, ids: list[int], limit_s: float, w3: Any, log: Path
) -> None:
    deadline = time.perf_counter() + limit_s
    while await db.fetchval(SETTLED_SQL, ids) < len(ids):
        if time.perf_counter() > deadline:
            raise RuntimeError(await _stalled(db, ids, limit_s, w3, log))
        await asyncio.sleep(0.02)


async def _stalled(
    db: asyncpg.Connection, ids: list[int], limit_s: float, w3: Any, log: Path
) -> str:
    """What a run that did not settle left: the swaps' and the ledger's states, the relayer's
    nonces on chain (a node that stopped mining shows pending above mined), the worker's log."""
    swaps = await db.fetch(STALLED_SWAPS_SQL, ids)
    batches = await db.fetch(STALLED_BATCHES_SQL, ids)
    mined = await w3.eth.get_transaction_count(MINTER[0], "latest")
    pending = await w3.eth.get_transaction_count(MINTER[0], "pending")
    tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-3000:]
    return (
        f"swaps not settled within {limit_s:.0f} s: {dict(swaps)}; their batches {dict(batches)};"
        f" the relayer's nonce {mined} mined, {pending} pending; the worker's log:\n{tail}"
    )


def _ms(values: list[float]) -> dict[str, float]:
    return percentiles([v * 1000 for v in values])


async def stages(db: asyncpg.Connection, posted: api.Posted) -> dict[str, Any]:
    """Each swap's taker signature → completed (seconds), its stages (milliseconds), and the
    worker's pace: its claims (database transactions: the swaps stored in one share their
    signed_at), the time from one claim to the next and the swaps each took, and its swaps/s
    from its first claim to its last settlement."""
    rows = await db.fetch(STAGES_SQL, list(posted.sent_at))
    signed = {r["id"]: posted.sent_at[r["id"]] for r in rows}
    claims = sorted({r["claimed"] for r in rows})
    worker_s = max(r["settled"] for r in rows) - claims[0]
    return {
        "total_s": percentiles([r["settled"] - signed[r["id"]] for r in rows]),
        "api_ms": _ms([r["accepted"] - signed[r["id"]] for r in rows]),
        "queued_ms": _ms([r["claimed"] - r["accepted"] for r in rows]),
        "sending_ms": _ms([r["sent"] - r["claimed"] for r in rows]),
        "mined_ms": _ms([r["settled"] - r["sent"] for r in rows]),
        "claim_gap_ms": _ms([b - a for a, b in zip(claims, claims[1:], strict=False)]),
        "swaps_per_claim": len(rows) / len(claims),
        "worker_rate": len(rows) / worker_s if worker_s > 0 else 0.0,
    }


async def through_api(
    stack: Stack,
    settings: Settings,
    pairs: list[Pair],
    args: argparse.Namespace,
    rate: float | None = None,
) -> tuple[dict[str, Any], list[int], str]:
    """(a), or with `rate` (c): on a fresh chain, the pairs' tokens minted and their offers made
    and signed by the makers (set-up), then, with the worker running, the takers' signatures
    posted: all of them `clients` at once (a), or at `rate` (c). The results, the swaps' ids,
    the contract's address."""
    db, issuer = stack.db, TokenIssuer(stack.settings.jwt_key)
    server_log, worker_log = stack.workdir / "server.log", stack.workdir / "worker.log"
    async with fresh_chain(settings, db) as (chained, w3):
        contract = chained.contract_address
        assert contract
        started = time.perf_counter()
        await mint_tokens(w3, contract, pairs)
        async with api.api_server(stack, chained, server_log) as port, api.session(port) as http:
            offers = await open_offers(db, issuer, w3, contract, pairs)
            setup_s = time.perf_counter() - started
            ids = [o.id for o in offers]
            async with running_worker(stack.env, chained, db, worker_log):
                quiet = await wait_quiet(QUIET_WAIT_S)
                before = parties.snapshot(stack.name)
                started = time.perf_counter()
                if rate is None:
                    posted = await api.accept_all(http, offers, args.clients)
                else:
                    posted = await api.accept_steadily(http, offers, rate)
                posted_s = time.perf_counter() - started
                await wait_settled(db, ids, 180 if rate is None else 60, w3, worker_log)
                elapsed = time.perf_counter() - started
                cpu = parties.per_swap(before, parties.snapshot(stack.name), len(ids))
            seen = await api.statuses_seen(http, offers, args.clients)
        checks = await verify.worker_run(db, w3, contract, pairs, ids, seen)
    result = {
        "swaps": len(ids),
        "setup_s": round(setup_s, 1),
        "seconds": elapsed,
        "rate": len(ids) / elapsed,
        "posted_s": posted_s,
        "background_busy_pct": quiet[1],
        "answers": {str(k): v for k, v in posted.statuses.items()},
        "answer_ms": percentiles(posted.answer_ms),
        "shed": posted.shed,
        "cpu": cpu,
        "checks": checks,
    }
    result |= await stages(db, posted)
    if rate is not None:
        result["target_rate"] = rate
    return result, ids, contract


async def bare_round(
    stack: Stack,
    settings: Settings,
    pairs: list[Pair],
    ids: list[int],
    contract: str,
    in_flight: int,
) -> dict[str, Any]:
    """(b) on a fresh chain: the contract at the same address (the same deployer at the same
    nonce), so the offers signed for (a) hold there too; the same tokens minted to the same
    wallets; then the same swap calls, sent by the bare script."""
    jobs = await bare.swap_jobs(stack.db, ids)
    async with fresh_chain(settings, stack.db) as (chained, w3):
        if (chained.contract_address or "").lower() != contract.lower():
            raise RuntimeError(f"the fresh chain's contract is {chained.contract_address}")
        await mint_tokens(w3, contract, pairs)
        node = await bare.node_checks_ms(w3, contract, jobs[:NODE_SAMPLE])
        quiet = await wait_quiet(QUIET_WAIT_S)
        before = parties.snapshot(stack.name)
        result = await bare.bare_run(w3, contract, jobs, in_flight)
        result["cpu"] = parties.per_swap(before, parties.snapshot(stack.name), len(jobs))
        result |= node
        result["background_busy_pct"] = quiet[1]
        result["checks"] = await verify.bare_run(w3, contract, pairs, [j.offer_hash for j in jobs])
        result["checks"]["exactly_once"] &= result["reverted"] == 0
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "config": {k: v for k, v in vars(args).items() if k not in ("out", "json", "keep_db")},
        "worker": [],
        "bare": [],
    }
    async with scratch_stack("swaps", servers=0, keep=args.keep_db) as stack:
        results["services"] = await stack.service_facts()
        steady_n = int(args.rate * args.steady_s)
        log_stderr(f"seeding {2 * (args.swaps * args.rounds + steady_n):,} fans in {stack.name}")
        groups = await seed_pairs(stack.db, [args.swaps] * args.rounds + [steady_n])
        settings = dataclasses.replace(
            stack.settings,
            minter_private_keys=(MINTER[1],),
            mint=MintSettings(
                max_in_flight=args.in_flight, poll_s=args.poll_s, receipt_poll_s=args.receipt_poll_s
            ),
        )
        for r in range(args.rounds):
            log_stderr(f"round {r + 1}: (a) {args.swaps} swaps through the API and the worker")
            worker, ids, contract = await through_api(stack, settings, groups[r], args)
            results["worker"].append(worker)
            log_stderr(f"round {r + 1}: (b) the same swaps, bare")
            results["bare"].append(
                await bare_round(stack, settings, groups[r], ids, contract, args.in_flight)
            )
        log_stderr(f"(c) {args.rate:g} swaps/s for {args.steady_s:g} s")
        results["steady"], _, _ = await through_api(stack, settings, groups[-1], args, args.rate)
    return results
