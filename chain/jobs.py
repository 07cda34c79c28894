"""What the worker sends, as it keeps it: mint jobs and swap jobs, the transactions signed for
them, and the batches (one nonce's worth of work) that carry them.

A batch is either a mint (`mint`/`mintBatch` of its jobs) or a swap (the contract's `swap` of
one accepted offer with both signatures); its transactions (the first, then replacements at
higher fees) all share its nonce, so at most one of them is ever mined."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hunt_engine.swaps import Offer


@dataclass(frozen=True)
class Job:
    token_id: int
    wallet: str
    attempts: int


@dataclass(frozen=True)
class SwapJob:
    """An accepted swap: the offer both parties signed, and their signatures."""

    id: int
    offer: Offer
    offer_hash: str
    maker_signature: bytes
    taker_signature: bytes


@dataclass(frozen=True)
class SignedTx:
    hash: str
    raw: bytes
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


@dataclass(frozen=True)
class StoredTx:
    hash: str
    raw: bytes
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    signed_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class Batch:
    id: int
    nonce: int
    jobs: tuple[Job, ...]  # a mint's; none for a swap
    txs: tuple[StoredTx, ...]  # oldest first; the last one is the current price
    swap: SwapJob | None = None

    @property
    def latest(self) -> StoredTx:
        return self.txs[-1]


@dataclass(frozen=True)
class Settled:
    """What the chain says about one token of a reverted batch."""

    token_id: int
    minted: bool
    tx_hash: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Refused:
    """A swap the node says would revert now: it is settled without a transaction."""

    error: str


# Signs a mint of these jobs at this nonce.
Signer = Callable[[Sequence[Job], int], Awaitable[SignedTx]]
# Checks these swaps against the chain at once and signs those the contract takes, in order, at
# this nonce and the next ones; a Refused in the place of each it would refuse.
SwapSigner = Callable[[Sequence[SwapJob], int], Awaitable[list[SignedTx | Refused]]]


def swap_job_of(row: Mapping[str, Any]) -> SwapJob:
    """A swap job from its row in `swaps`."""
    return SwapJob(
        id=int(row["id"]),
        offer=Offer(
            row["maker"],
            row["taker"],
            int(row["give_token_id"]),
            int(row["want_token_id"]),
            int(row["deadline_s"]),
            int(row["nonce"]),
        ),
        offer_hash=row["offer_hash"],
        maker_signature=bytes(row["maker_signature"]),
        taker_signature=bytes(row["taker_signature"]),
    )
