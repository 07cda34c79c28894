"""(b) The bare script: the worker's transactions, signed and sent with nothing around them (no
database, no queue), the same batches and the same number in flight."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from eth_account import Account

from bench.mint.chain import MINTER
from chain.mint_store import Job
from chain.minter import Minter


async def bare_run(w3: Any, contract: str, n: int, batch: int, in_flight: int) -> dict[str, Any]:
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
