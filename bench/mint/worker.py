"""The minting worker (`geohunt worker`, a process of its own) under load: (a) draining a queue
of N finds, and (c) finds arriving at a steady rate, each timed from found to minted."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
from tqdm import tqdm

from bench.mint.finds import Hunt, add_finds
from bench.report import percentiles
from infra.settings import Settings
from server.live.relay import CHANNEL as LIVE_CHANNEL


def worker_env(base: dict[str, str], settings: Settings) -> dict[str, str]:
    """The scratch stack's environment, with the chain, the keys and the minting settings of
    the run."""
    mint = settings.mint
    assert settings.chain_rpc_url
    return {
        **base,
        "CHAIN_RPC_URL": settings.chain_rpc_url,
        "MINTER_PRIVATE_KEY": "",
        "MINTER_PRIVATE_KEYS": ",".join(settings.minter_private_keys),
        "CONTRACT_ADDRESS": settings.contract_address or "",
        "MINT_BATCH_MAX": str(mint.batch_max),
        "MINT_MAX_IN_FLIGHT": str(mint.max_in_flight),
        "MINT_POLL_S": str(mint.poll_s),
        "MINT_RECEIPT_POLL_S": str(mint.receipt_poll_s),
    }


@contextlib.asynccontextmanager
async def running_worker(
    env: dict[str, str], settings: Settings, db: asyncpg.Connection, log: Path
) -> AsyncIterator[None]:
    """The worker, started and come up idle (it holds every key's lock and has reported on
    each key for this contract), then stopped."""
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("geohunt")), "worker",
            env=worker_env(env, settings), stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.perf_counter() + 60
        keys = len(settings.minter_private_keys)
        while (
            await db.fetchval(
                "SELECT count(*) FROM mint_signers WHERE contract = $1", settings.contract_address
            )
            < keys
        ):
            if time.perf_counter() > deadline or proc.returncode is not None:
                tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-3000:]
                raise RuntimeError(f"the worker did not start within 60 s:\n{tail}")
            await asyncio.sleep(0.05)
        yield
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


async def drain_run(db: asyncpg.Connection, hunt: Hunt, n: int) -> dict[str, Any]:
    """(a) With the worker idle, queue n finds in one commit and time until the last is
    minted."""
    settled = asyncio.Event()

    def wake(*_: object) -> None:
        settled.set()

    await db.add_listener(LIVE_CHANNEL, wake)
    try:
        return await _drain(db, hunt, n, settled)
    finally:
        await db.remove_listener(LIVE_CHANNEL, wake)


async def _drain(
    db: asyncpg.Connection, hunt: Hunt, n: int, settled: asyncio.Event
) -> dict[str, Any]:
    # Queued at this commit: the clock starts when the jobs become visible.
    async with db.transaction():
        finds = await add_finds(db, hunt, n)
        # The tables as a running database knows them (with statistics), not as the fresh
        # database of the run first has them: the first round was otherwise the slowest.
        await db.execute("ANALYZE hunters, finds, mint_jobs, mint_batches, mint_txs")
    started = time.perf_counter()
    # The finds of one commit have consecutive ids: polled as a range of the primary key (an
    # array of n ids sent and matched every 20 ms cost PostgreSQL a quarter of a core, taken
    # from the worker it measures).
    first, last = min(finds), max(finds)
    assert last - first + 1 == n, "the finds' ids are not consecutive"
    bar = tqdm(total=n, desc="worker", unit="find", leave=False)
    try:
        done = 0
        while done < n:
            # Counted again at each settlement's commit (its live `mints` event wakes the
            # channel), not only every 20 ms: the worker's time is not rounded up to the poll.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(settled.wait(), 0.02)
            settled.clear()
            now_done = await db.fetchval(
                "SELECT count(*) FROM mint_jobs WHERE find_id BETWEEN $1 AND $2"
                " AND status = 'minted'",
                first,
                last,
            )
            bar.update(now_done - done)
            done = now_done
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"the worker minted {done} of {n} in 10 minutes")
        elapsed = time.perf_counter() - started
    finally:
        bar.close()
    per_key = await db.fetch(
        "SELECT signer, count(*) AS n FROM mint_batches b WHERE b.token_ids && $1::bigint[]"
        " GROUP BY signer ORDER BY signer",
        finds,
    )
    return {
        "finds": n,
        "seconds": elapsed,
        "rate": n / elapsed,
        "transactions": sum(r["n"] for r in per_key),
        "transactions_per_key": [r["n"] for r in per_key],
    }


async def steady_run(
    db: asyncpg.Connection, hunt: Hunt, rate: float, seconds: float
) -> dict[str, Any]:
    """(c) With the worker running, a find every 1 / rate s; each one's found → minted."""
    finds: list[int] = []
    total = int(rate * seconds)
    started = time.perf_counter()
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        finds += await add_finds(db, hunt, 1)
    deadline = time.perf_counter() + 60
    while await db.fetchval(
        "SELECT count(*) FROM mint_jobs WHERE status <> 'minted' AND find_id = ANY($1)",
        finds,
    ):
        if time.perf_counter() > deadline:
            raise RuntimeError("steady finds not minted within 60 s of the last one")
        await asyncio.sleep(0.1)
    waits = [
        r[0]
        for r in await db.fetch(
            "SELECT extract(epoch FROM j.minted_at - f.found_at)::float8"
            " FROM mint_jobs j JOIN finds f ON f.id = j.find_id WHERE f.id = ANY($1)",
            finds,
        )
    ]
    spread = {f"{name}_s": value for name, value in percentiles(waits).items()}
    return {"rate": rate, "seconds": seconds, "finds": len(waits), **spread}
