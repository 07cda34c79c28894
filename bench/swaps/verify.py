"""Whether every swap of a run was done, and done once: the owners on chain (each token now the
other fan's), one `Swapped` event per offer, and, for the worker's runs, the offer book
(`completed`, naming the event's transaction) and the ledger (one batch per swap, mined)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import asyncpg
from web3 import AsyncWeb3

from bench.swaps.fans import Pair
from chain.artifact import load_artifact
from chain.swap_calls import SWAPPED_TOPIC

SWAPS_SQL = """
SELECT s.offer_hash, s.status, s.tx_hash,
    (SELECT count(*) FROM mint_batches b WHERE b.swap_id = s.id) AS batches,
    (SELECT count(*) FROM mint_batches b WHERE b.swap_id = s.id AND b.status = 'mined'
        AND b.mined_hash = s.tx_hash) AS mined
FROM swaps s WHERE s.id = ANY($1::bigint[])
"""


async def swapped_events(w3: Any, contract: str) -> dict[str, list[str]]:
    """Every `Swapped` of the contract: the transactions that emitted it, by offer hash."""
    logs = await w3.eth.get_logs(
        {
            "address": AsyncWeb3.to_checksum_address(contract),
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [SWAPPED_TOPIC],
        }
    )
    found: dict[str, list[str]] = {}
    for log in logs:
        found.setdefault(log["topics"][1].to_0x_hex(), []).append(
            log["transactionHash"].to_0x_hex()
        )
    return found


async def owners_swapped(w3: Any, contract: str, pairs: list[Pair]) -> int:
    """How many pairs' tokens are each now held by the other fan."""
    token = w3.eth.contract(
        address=AsyncWeb3.to_checksum_address(contract), abi=load_artifact().abi
    )
    window = asyncio.Semaphore(32)

    async def owner(token_id: int) -> str:
        async with window:
            return str(await token.functions.ownerOf(token_id).call()).lower()

    async def swapped(pair: Pair) -> bool:
        give, want = await asyncio.gather(owner(pair.maker.token_id), owner(pair.taker.token_id))
        return give == pair.taker.wallet and want == pair.maker.wallet

    return sum(await asyncio.gather(*(swapped(p) for p in pairs)))


async def on_chain(
    w3: Any, contract: str, pairs: list[Pair], offer_hashes: list[str]
) -> dict[str, Any]:
    events = await swapped_events(w3, contract)
    return {
        "swaps": len(pairs),
        "owners_swapped": await owners_swapped(w3, contract, pairs),
        "one_event_each": sum(len(events.get(h, [])) == 1 for h in offer_hashes),
        "events": sum(len(v) for v in events.values()),
        "tx_of": {h: v[0] for h, v in events.items() if len(v) == 1},
    }


async def worker_run(
    db: asyncpg.Connection,
    w3: Any,
    contract: str,
    pairs: list[Pair],
    ids: list[int],
    seen_by_api: Counter[str],
) -> dict[str, Any]:
    """A run through the API and the worker: the chain's word, the offer book's and the
    ledger's; `exactly_once` when they all say every swap was done once."""
    rows = await db.fetch(SWAPS_SQL, ids)
    chain = await on_chain(w3, contract, pairs, [r["offer_hash"] for r in rows])
    tx_of = chain.pop("tx_of")
    n = len(ids)
    checks = {
        **chain,
        "completed_in_api": seen_by_api.get("completed", 0),
        "api_statuses": dict(seen_by_api),
        "db_statuses": dict(Counter(r["status"] for r in rows)),
        "one_batch_mined_each": sum(r["batches"] == 1 and r["mined"] == 1 for r in rows),
        "tx_named": sum(tx_of.get(r["offer_hash"]) == r["tx_hash"] for r in rows),
    }
    checks["exactly_once"] = (
        len(rows) == n
        and checks["completed_in_api"] == n
        and checks["owners_swapped"] == n
        and checks["one_event_each"] == n
        and checks["events"] == n
        and checks["one_batch_mined_each"] == n
        and checks["tx_named"] == n
    )
    return checks


async def bare_run(w3: Any, contract: str, pairs: list[Pair], hashes: list[str]) -> dict[str, Any]:
    checks = await on_chain(w3, contract, pairs, hashes)
    checks.pop("tx_of")
    n = len(pairs)
    checks["exactly_once"] = (
        checks["owners_swapped"] == n and checks["one_event_each"] == n and checks["events"] == n
    )
    return checks
