"""(b) The bare script: the same `swap(offer, makerSignature, takerSignature)` calls the worker
relayed (the very offers and signatures, read back from the offer book), on a fresh chain where
the same contract address holds the same tokens; signed with the relayer's key at consecutive
nonces it keeps itself, the same number in flight as the worker, and nothing else: no database,
no gas estimate (a fixed allowance), no API."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
from web3.types import RPCEndpoint

from bench.mint.chain import MINTER
from chain.client import connect, keep_connections
from chain.jobs import SwapJob, swap_job_of
from chain.minter import Minter
from chain.queries import PENDING_SWAPS_SQL
from chain.swap_calls import SWAP_GAS_ALLOWANCE, swap_call_data

RECEIPT_POLL_S = 0.02


async def swap_jobs(db: asyncpg.Connection, ids: list[int]) -> list[SwapJob]:
    """The swaps as the worker took them (offer, both signatures), in the order of `ids`."""
    rows = {r["id"]: r for r in await db.fetch(PENDING_SWAPS_SQL, ids)}
    return [swap_job_of(rows[i]) for i in ids]


async def node_checks_ms(w3: Any, contract: str, jobs: list[SwapJob]) -> dict[str, float]:
    """The mean time of one `eth_estimateGas` of a swap (what the worker asked the node before
    signing each swap until it simulated instead) and of one `eth_call` of it with the fixed
    allowance (the worker's check now, which also catches a revert), asked one after another
    before any is sent."""
    minter = Minter(w3, contract, MINTER[1])
    await minter.connect()
    started = time.perf_counter()
    for job in jobs:
        # Raw, as the worker asks its simulations: web3's formatting is no part of the node's time.
        tx = {"from": minter.address, "to": minter.contract_address}
        tx["data"] = "0x" + swap_call_data(job).hex()
        answer = await w3.provider.make_request(RPCEndpoint("eth_estimateGas"), [tx])
        if "error" in answer:
            raise RuntimeError(f"swap {job.id} would revert on the bare chain: {answer['error']}")
    estimated = time.perf_counter()
    for job in jobs:
        refused = await minter.simulate_swap(job)
        if refused is not None:
            raise RuntimeError(f"swap {job.id} would revert on the bare chain: {refused.error}")
    called = time.perf_counter()
    n = max(len(jobs), 1)
    return {
        "estimate_ms": round((estimated - started) * 1000 / n, 2),
        "call_ms": round((called - estimated) * 1000 / n, 2),
    }


async def bare_run(w3: Any, contract: str, jobs: list[SwapJob], in_flight: int) -> dict[str, Any]:
    """Every job's swap sent and mined; the time from the first signing to the last receipt.
    Over a client of its own to `w3`'s node that keeps its connections, as the worker's does."""
    client = connect(w3.provider.endpoint_uri)
    try:
        await keep_connections(client)
        return await _bare_run(client, contract, jobs, in_flight)
    finally:
        await client.provider.disconnect()


async def _bare_run(w3: Any, contract: str, jobs: list[SwapJob], in_flight: int) -> dict[str, Any]:
    minter = Minter(w3, contract, MINTER[1])
    await minter.connect()
    nonce = await minter.nonce("pending")
    priority = 1_000_000_000
    max_fee = 2 * await minter.base_fee() + priority
    window = asyncio.Semaphore(in_flight)
    reverted = 0
    started = time.perf_counter()

    async def one(k: int, job: SwapJob) -> None:
        nonlocal reverted
        async with window:
            signed = minter.sign_data(
                swap_call_data(job),
                nonce=nonce + k,
                gas=SWAP_GAS_ALLOWANCE,
                max_fee_per_gas=max_fee,
                max_priority_fee_per_gas=priority,
            )
            await minter.send(signed.raw)
            receipt = await minter.receipt(signed.hash)
            while receipt is None:
                await asyncio.sleep(RECEIPT_POLL_S)
                receipt = await minter.receipt(signed.hash)
            reverted += not receipt.ok

    # Sent in nonce order: each task takes the window after the one before it.
    tasks = []
    for k, job in enumerate(jobs):
        tasks.append(asyncio.create_task(one(k, job)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    return {
        "swaps": len(jobs),
        "seconds": elapsed,
        "rate": len(jobs) / elapsed,
        "reverted": reverted,
    }
