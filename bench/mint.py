"""`python -m bench.mint`: finds taken from queued to minted on a local anvil, beside a
bare script sending the same batched transactions straight to anvil, in one run; and the time
from find to minted at a steady rate. Writes the "Minting" section of BENCHMARKS.md.

Each run gets a fresh anvil (automine) with the contract, so the runs compare like with like:
(a) the worker (`geohunt worker`, its own process) drains a queue of N finds written by
claim_find; (b) the bare script signs N mints in batches of the same size, sends them with the
same number in flight and waits for the receipts, with no database at all; (c) finds are
written at a steady rate while the worker runs, and each find's found_at → minted_at is read
back from the database (one clock).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from eth_account import Account
from tqdm import tqdm

from bench.report import machine, stamp
from chain.anvil import DEV_ACCOUNTS, AnvilProcess
from chain.client import connect
from chain.deploy import deploy_collectible
from chain.mint_store import Job
from chain.minter import Minter
from infra.embedded import resolve_service_urls
from infra.migrate import create_database, drop_database, migrate
from infra.settings import MintSettings, Settings

BEGIN = "<!-- bench:minting:begin -->"
END = "<!-- bench:minting:end -->"
MIN_RATE = 500.0
MIN_RATIO = 0.80
MAX_P95_S = 3.0
DEPLOYER = DEV_ACCOUNTS[0]
MINTER = DEV_ACCOUNTS[4]
WORKER_LOG = Path(".geohunt/bench-mint-worker.log")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.mint", description=__doc__)
    p.add_argument("--finds", type=int, default=5000, help="finds per throughput run [5000]")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds of a and b [3]")
    p.add_argument("--batch", type=int, default=100, help="MINT_BATCH_MAX [100]")
    p.add_argument("--in-flight", type=int, default=8, help="MINT_MAX_IN_FLIGHT [8]")
    p.add_argument("--rate", type=float, default=100.0, help="steady finds/s of (c) [100]")
    p.add_argument("--steady-s", type=float, default=30.0, help="seconds of (c) [30]")
    p.add_argument("--quick", action="store_true", help="a short run (smoke test)")
    p.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    p.add_argument("--json", type=Path, help="also write the raw results here")
    return p.parse_args(argv)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    base = resolve_service_urls(
        Settings.from_env({**os.environ, "GEOHUNT_DEV": "1", "GEOHUNT_SECRET": "b" * 40})
    )
    assert base.database_url
    name = f"geohunt_benchmint_{uuid.uuid4().hex[:10]}"
    db = await create_database(base.database_url, name)
    await migrate(db)
    settings = dataclasses.replace(
        base,
        database_url=db,
        minter_private_key=MINTER[1],
        mint=MintSettings(
            batch_max=args.batch, max_in_flight=args.in_flight, poll_s=0.2, receipt_poll_s=0.02
        ),
    )
    results: dict[str, Any] = {"worker": [], "bare": [], "config": vars(args) | {"out": None}}
    try:
        hunt = await seed_hunt(db)
        for _ in range(args.rounds):
            async with fresh_chain(settings) as (chained, _):
                results["worker"].append(await worker_run(chained, hunt, args.finds))
            async with fresh_chain(settings) as (chained, w3):
                assert chained.contract_address
                results["bare"].append(
                    await bare_run(
                        w3, chained.contract_address, args.finds, args.batch, args.in_flight
                    )
                )
        async with fresh_chain(settings) as (chained, _):
            results["steady"] = await steady_run(chained, hunt, args.rate, args.steady_s)
    finally:
        await drop_database(base.database_url, name)
    return results


@contextlib.asynccontextmanager
async def fresh_chain(settings: Settings) -> AsyncIterator[tuple[Settings, Any]]:
    """A new anvil with the contract deployed, for one run: anvil slows down as its state
    grows, so no run inherits another's chain. The new chain starts the signer's nonces at 0
    again, so the previous chain's transaction ledger (whose nonces it would collide with) is
    emptied first; its finds stay, minted there."""
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url)
    try:
        await conn.execute("TRUNCATE mint_txs, mint_batches, mint_signers, mint_jobs")
    finally:
        await conn.close()
    anvil = AnvilProcess()
    await asyncio.to_thread(anvil.start)
    w3 = connect(anvil.url)
    try:
        contract = await deploy_collectible(
            w3, DEPLOYER[1], base_uri="http://bench/", minter=MINTER[0]
        )
        yield dataclasses.replace(settings, chain_rpc_url=anvil.url, contract_address=contract), w3
    finally:
        await w3.provider.disconnect()
        await asyncio.to_thread(anvil.stop)


# --- the data ---------------------------------------------------------------------------------


async def seed_hunt(db: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(db)
    try:
        hunt = await conn.fetchval(
            "INSERT INTO hunts (slug, name, starts_at, ends_at, created_by) VALUES ('bench',"
            " 'Bench', now() - interval '1 day', now() + interval '1 day', 'bench') RETURNING id"
        )
        collectible = await conn.fetchval(
            "INSERT INTO collectibles (hunt_id, key, name, image_url) VALUES"
            " ($1, 'scene', 'Scene', 'https://img.test/s.png') RETURNING id",
            hunt,
        )
        clue = await conn.fetchval(
            "INSERT INTO clues (hunt_id, collectible_id, kind, label, created_by)"
            " VALUES ($1, $2, 'social', 'Drop', 'bench') RETURNING id",
            hunt,
            collectible,
        )
    finally:
        await conn.close()
    return hunt, collectible, clue


CLAIM_MANY = """
WITH h AS (
    INSERT INTO hunters (wallet)
    SELECT '0x' || substr(md5(random()::text) || md5(random()::text), 1, 40)
    FROM generate_series(1, $4)
    RETURNING id
)
SELECT (claim_find(h.id, 0, $1, $2, $3, NULL, NULL, NULL, NULL, NULL, NULL, NULL)).find_id
FROM h
"""


async def add_finds(conn: asyncpg.Connection, hunt: tuple[int, int, int], n: int) -> list[int]:
    """n new hunters with wallets, one find each, through claim_find (find + mint job)."""
    rows = await conn.fetch(CLAIM_MANY, *hunt, n)
    return [r[0] for r in rows]


# --- (a) the worker ---------------------------------------------------------------------------


async def worker_run(settings: Settings, hunt: tuple[int, int, int], n: int) -> dict[str, Any]:
    """Start the worker, let it come up idle, then queue n finds in one commit and time until
    the last is minted."""
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url)
    proc = await start_worker(settings)
    try:
        await worker_ready(conn, settings)
        # Queued at this commit: the clock starts when the jobs become visible.
        finds = await add_finds(conn, hunt, n)
        started = time.perf_counter()
        bar = tqdm(total=n, desc="worker", unit="find", leave=False)
        try:
            done = 0
            while done < n:
                await asyncio.sleep(0.02)
                now_done = await conn.fetchval(
                    "SELECT count(*) FROM mint_jobs WHERE status = 'minted'"
                    " AND find_id = ANY($1::bigint[])",
                    finds,
                )
                bar.update(now_done - done)
                done = now_done
                if time.perf_counter() - started > 600:
                    raise RuntimeError(f"the worker minted {done} of {n} in 10 minutes")
            elapsed = time.perf_counter() - started
        finally:
            bar.close()
        txs = await conn.fetchval(
            "SELECT count(*) FROM mint_batches b WHERE b.token_ids && $1::bigint[]", finds
        )
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
        await conn.close()
    return {"finds": n, "seconds": elapsed, "rate": n / elapsed, "transactions": txs}


async def start_worker(settings: Settings) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("geohunt")),
        "worker",
        env=worker_env(settings),
        stdout=WORKER_LOG.open("ab"),  # noqa: ASYNC230 - opened once per worker, not awaited
        stderr=asyncio.subprocess.STDOUT,
    )


async def worker_ready(conn: asyncpg.Connection, settings: Settings) -> None:
    """Wait for the worker's first report on this contract: it holds the lock and idles."""
    deadline = time.perf_counter() + 60
    while not await conn.fetchval(
        "SELECT count(*) FROM mint_signers WHERE contract = $1", settings.contract_address
    ):
        if time.perf_counter() > deadline:
            raise RuntimeError("the worker did not start within 60 s")
        await asyncio.sleep(0.05)


def worker_env(settings: Settings) -> dict[str, str]:
    mint = settings.mint
    assert settings.database_url and settings.redis_url and settings.chain_rpc_url
    return {
        **os.environ,
        "GEOHUNT_SECRET": "b" * 40,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "CHAIN_RPC_URL": settings.chain_rpc_url,
        "MINTER_PRIVATE_KEY": settings.minter_private_key or "",
        "CONTRACT_ADDRESS": settings.contract_address or "",
        "MINT_BATCH_MAX": str(mint.batch_max),
        "MINT_MAX_IN_FLIGHT": str(mint.max_in_flight),
        "MINT_POLL_S": str(mint.poll_s),
        "MINT_RECEIPT_POLL_S": str(mint.receipt_poll_s),
    }


# --- (b) the bare script ----------------------------------------------------------------------


async def bare_run(w3: Any, contract: str, n: int, batch: int, in_flight: int) -> dict[str, Any]:
    """The same transactions as the worker's, signed and sent with nothing else around them."""
    minter = Minter(w3, contract, MINTER[1])
    await minter.connect()
    wallets = [Account.create().address.lower() for _ in range(n)]
    jobs = [Job(i + 1, wallets[i], 0) for i in range(n)]
    batches = [jobs[i : i + batch] for i in range(0, n, batch)]
    nonce = await minter.nonce("pending")
    priority = 1_000_000_000
    max_fee = 2 * await minter.base_fee() + priority
    window = asyncio.Semaphore(in_flight)
    started = time.perf_counter()

    async def one(k: int, part: list[Job]) -> None:
        async with window:
            gas = await minter.gas_for(part)
            signed = minter.sign(
                part,
                nonce=nonce + k,
                gas=gas,
                max_fee_per_gas=max_fee,
                max_priority_fee_per_gas=priority,
            )
            await minter.send(signed.raw)
            receipt = await minter.receipt(signed.hash)
            while receipt is None:
                await asyncio.sleep(0.02)
                receipt = await minter.receipt(signed.hash)
            if not receipt.ok:
                raise RuntimeError(f"bare batch {k} reverted")

    # Sent in nonce order, like the worker: each waits for its predecessor's send.
    tasks = []
    for k, part in enumerate(batches):
        tasks.append(asyncio.create_task(one(k, part)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    return {"finds": n, "seconds": elapsed, "rate": n / elapsed, "transactions": len(batches)}


# --- (c) steady rate --------------------------------------------------------------------------


async def steady_run(
    settings: Settings, hunt: tuple[int, int, int], rate: float, seconds: float
) -> dict[str, Any]:
    assert settings.database_url
    conn = await asyncpg.connect(settings.database_url)
    proc = await start_worker(settings)
    finds: list[int] = []
    try:
        await worker_ready(conn, settings)
        total = int(rate * seconds)
        started = time.perf_counter()
        for i in range(total):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            finds += await add_finds(conn, hunt, 1)
        deadline = time.perf_counter() + 60
        while await conn.fetchval(
            "SELECT count(*) FROM mint_jobs WHERE status <> 'minted' AND find_id = ANY($1)",
            finds,
        ):
            if time.perf_counter() > deadline:
                raise RuntimeError("steady finds not minted within 60 s of the last one")
            await asyncio.sleep(0.1)
        waits = [
            r[0]
            for r in await conn.fetch(
                "SELECT extract(epoch FROM j.minted_at - f.found_at)::float8"
                " FROM mint_jobs j JOIN finds f ON f.id = j.find_id WHERE f.id = ANY($1)",
                finds,
            )
        ]
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()
        await conn.close()
    waits.sort()
    return {
        "rate": rate,
        "seconds": seconds,
        "finds": len(waits),
        "p50_s": statistics.median(waits),
        "p95_s": waits[int(0.95 * (len(waits) - 1))],
        "p99_s": waits[int(0.99 * (len(waits) - 1))],
        "max_s": waits[-1],
    }


# --- the report -------------------------------------------------------------------------------


def section(results: dict[str, Any], command: str) -> str:
    worker = statistics.median(r["rate"] for r in results["worker"])
    bare = statistics.median(r["rate"] for r in results["bare"])
    # Each round's a and b ran back to back, under the same load from the rest of the machine.
    ratio = statistics.median(
        w["rate"] / b["rate"] for w, b in zip(results["worker"], results["bare"], strict=True)
    )
    steady = results["steady"]
    cfg = results["config"]
    m = machine()

    def met(ok: bool) -> str:
        return "met" if ok else "**missed**"

    rounds = ", ".join(
        f"{w['rate']:.0f} vs {b['rate']:.0f}"
        for w, b in zip(results["worker"], results["bare"], strict=True)
    )
    lines = [
        BEGIN,
        "## Minting",
        "",
        f"`{command}`, {stamp()}; {m.get('cpu', '')}. A fresh anvil (automine) per run, on"
        " the same machine;"
        f" batches of up to {cfg['batch']} finds, {cfg['in_flight']} transactions in flight.",
        "",
        "| | finds/s | target | |",
        "|---|---:|---:|---|",
        f"| (a) worker: queued → minted ({cfg['finds']} finds) | {worker:.0f} |"
        f" ≥ {MIN_RATE:.0f} | {met(worker >= MIN_RATE)} |",
        f"| (b) bare script, same batches | {bare:.0f} | | |",
        f"| a / b (median of the rounds' ratios) | {ratio:.2f} | ≥ {MIN_RATIO:.2f} |"
        f" {met(ratio >= MIN_RATIO)} |",
        "",
        f"Rounds (a vs b, interleaved): {rounds}. Transactions per run:"
        f" {results['worker'][0]['transactions']} (worker),"
        f" {results['bare'][0]['transactions']} (bare).",
        "",
        f"Steady {steady['rate']:.0f} finds/s for {steady['seconds']:.0f} s ({steady['finds']}"
        f" finds): find → minted p50 {steady['p50_s']:.2f} s, p95 {steady['p95_s']:.2f} s"
        f" (target < {MAX_P95_S:.0f} s: {met(steady['p95_s'] < MAX_P95_S)}),"
        f" p99 {steady['p99_s']:.2f} s, max {steady['max_s']:.2f} s.",
        END,
    ]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in old and END in old:
        head, _, rest = old.partition(BEGIN)
        _, _, tail = rest.partition(END)
        new = head + text.rstrip("\n") + tail
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    if args.quick:
        args.finds, args.rounds, args.steady_s = 300, 1, 3.0
    WORKER_LOG.parent.mkdir(parents=True, exist_ok=True)
    WORKER_LOG.write_text("")
    results = asyncio.run(run(args))
    command = " ".join(["python -m bench.mint", *argv])
    text = section(results, command)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    if not args.quick:
        write(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
