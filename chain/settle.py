"""Settling a batch from what the chain says: a receipt, or its nonce taken by a transaction not
ours. A batch that did not succeed is settled by reading the chain afterwards (who owns its
tokens, whether its offer is spent), never by guessing: an earlier transaction of ours may
have done its work."""

from __future__ import annotations

import logging

from chain.jobs import Batch, Settled
from chain.mint_store import MintStore
from chain.minter import Minter, Receipt, data_of
from chain.swap_store import SwapStore
from hunt_engine.swaps import Status, settle

log = logging.getLogger("geohunt.worker")


async def settle_receipt(
    minter: Minter,
    store: MintStore,
    swaps: SwapStore,
    batch: Batch,
    receipt: Receipt,
    max_attempts: int,
) -> None:
    if batch.swap is not None:
        await _settle_swap(minter, swaps, batch, receipt)
    elif receipt.ok:
        await store.settle_mined([(batch, receipt.tx_hash, receipt.block)])
    else:
        await _settle_reverted_mints(minter, store, batch, receipt, max_attempts)


async def settle_orphan(minter: Minter, store: MintStore, swaps: SwapStore, batch: Batch) -> None:
    """The batch's nonce went to a transaction not ours, so none of its transactions can be
    mined: its jobs go back to the queue. A swap whose offer the chain shows spent was done by
    an earlier transaction of ours after all: completed, never sent again."""
    if batch.swap is None:
        await store.requeue(batch)
        return
    swap = batch.swap
    if await minter.offer_used(swap.offer_hash):
        tx_hash = await minter.swapped_tx(swap.offer_hash)
        await swaps.settle(batch, Status.COMPLETED, None, tx_hash, None, mined=False)
        return
    await swaps.requeue(batch)


async def _settle_swap(minter: Minter, swaps: SwapStore, batch: Batch, receipt: Receipt) -> None:
    assert batch.swap is not None
    if receipt.ok:
        await swaps.settle(
            batch, Status.COMPLETED, None, receipt.tx_hash, receipt.block, mined=True
        )
        return
    # Reverted: the owners now, the offer's state and the block's time say why.
    swap = batch.swap
    outcome = settle(
        swap.offer,
        await minter.owner_of(swap.offer.give_id),
        await minter.owner_of(swap.offer.want_id),
        await minter.offer_used(swap.offer_hash),
        await minter.block_time(receipt.block),
        await minter.why_reverted(data_of(batch), receipt.block),
    )
    tx_hash = receipt.tx_hash
    if outcome.status is Status.COMPLETED:
        tx_hash = await minter.swapped_tx(swap.offer_hash) or tx_hash
    log.warning(
        "swap %d at nonce %d reverted (%s): %s",
        swap.id,
        batch.nonce,
        receipt.tx_hash,
        outcome.error or outcome.status.value,
    )
    await swaps.settle(batch, outcome.status, outcome.error, tx_hash, receipt.block, mined=False)


async def _settle_reverted_mints(
    minter: Minter, store: MintStore, batch: Batch, receipt: Receipt, max_attempts: int
) -> None:
    # A reverted batch minted nothing; tokens the wallet owns were minted by an earlier
    # transaction (a retry, a replacement), so the chain settles each one.
    outcomes: list[Settled] = []
    for job in batch.jobs:
        owner = await minter.owner_of(job.token_id)
        if owner == job.wallet:
            tx_hash = await minter.mint_tx_of(job.token_id)
            outcomes.append(Settled(job.token_id, minted=True, tx_hash=tx_hash))
        elif owner is None:
            outcomes.append(
                Settled(job.token_id, minted=False, error=f"{receipt.tx_hash} reverted")
            )
        else:
            outcomes.append(Settled(job.token_id, minted=False, error=f"token is owned by {owner}"))
    log.warning(
        "batch at nonce %d reverted (%s): %d already minted",
        batch.nonce,
        receipt.tx_hash,
        sum(o.minted for o in outcomes),
    )
    await store.settle_reverted(batch, receipt.tx_hash, receipt.block, outcomes, max_attempts)
