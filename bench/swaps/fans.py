"""The swaps benchmark's fans: pairs of hunters with wallets whose keys the benchmark holds, each
holding one token (a find of the bench hunt), and those tokens minted on a chain directly by the
minter key, in batches (set-up, not measured: the worker never sees these mints)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg
from eth_account import Account
from eth_account.signers.local import LocalAccount

from bench.mint.chain import MINTER
from bench.mint.finds import seed_hunt
from chain.jobs import Job
from chain.minter import Minter

MINT_BATCH = 100

# Hunters with the given wallets, in the array's order, and a find each (claim_find: the find
# and its mint job). Its token id is the find's id.
FANS_SQL = """
WITH h AS (
    INSERT INTO hunters (wallet)
    SELECT w FROM unnest($4::text[]) WITH ORDINALITY AS t(w, n) ORDER BY n
    RETURNING id, wallet
)
SELECT h.id, h.wallet,
    (claim_find(h.id, 0, $1, $2, $3, NULL, NULL, NULL, NULL, NULL, NULL, NULL)).find_id
FROM h
"""


@dataclass(frozen=True)
class Fan:
    account: LocalAccount
    hunter_id: int
    token_id: int

    @property
    def wallet(self) -> str:
        return str(self.account.address).lower()


@dataclass(frozen=True)
class Pair:
    """The maker offers its token for the taker's."""

    maker: Fan
    taker: Fan


async def seed_pairs(db: asyncpg.Connection, counts: list[int]) -> list[list[Pair]]:
    """For each count, that many pairs of new fans, each fan with one find of the bench hunt.
    Their mint jobs are deleted: the set-up mints the tokens on each chain itself."""
    hunt = await seed_hunt(db)
    accounts = [Account.create() for _ in range(2 * sum(counts))]
    rows = await db.fetch(FANS_SQL, *hunt, [a.address.lower() for a in accounts])
    by_wallet = {r["wallet"]: (int(r["id"]), int(r["find_id"])) for r in rows}
    fans = [Fan(a, *by_wallet[a.address.lower()]) for a in accounts]
    await db.execute(
        "DELETE FROM mint_jobs WHERE find_id = ANY($1::bigint[])", [f.token_id for f in fans]
    )
    groups, at = [], 0
    for count in counts:
        group = fans[2 * at : 2 * (at + count)]
        groups.append([Pair(group[2 * i], group[2 * i + 1]) for i in range(count)])
        at += count
    return groups


async def mint_tokens(w3: Any, contract: str, pairs: list[Pair]) -> None:
    """Every fan's token minted to its wallet: mintBatch by the minter key, in batches of
    MINT_BATCH, sent back to back at consecutive nonces, then every receipt waited for."""
    minter = Minter(w3, contract, MINTER[1])
    await minter.connect()
    jobs = [Job(f.token_id, f.wallet, 0) for p in pairs for f in (p.maker, p.taker)]
    nonce = await minter.nonce("pending")
    priority = 1_000_000_000
    max_fee = 2 * await minter.base_fee() + priority
    hashes = []
    for k in range(0, len(jobs), MINT_BATCH):
        part = jobs[k : k + MINT_BATCH]
        signed = minter.sign(
            part,
            nonce=nonce + k // MINT_BATCH,
            gas=await minter.gas_for(part),
            max_fee_per_gas=max_fee,
            max_priority_fee_per_gas=priority,
        )
        await minter.send(signed.raw)
        hashes.append(signed.hash)
    for tx_hash in hashes:
        receipt = await minter.receipt(tx_hash)
        while receipt is None:
            await asyncio.sleep(0.05)
            receipt = await minter.receipt(tx_hash)
        if not receipt.ok:
            raise RuntimeError(f"minting the fans' tokens reverted ({tx_hash})")
