"""The offer book's commands: making an offer, signing it (the maker, then the taker), and
withdrawing it (the maker cancels, the taker declines). Each status change is one conditional
UPDATE, so two requests racing change a swap once; the rules are `hunt_engine.swaps`'.

An accepted swap is a job for the worker (chain/), which relays it exactly once; an unsent
offer closes at its deadline (here, when it is read, and by the worker's sweep) and when one
of its tokens moves (the Transfer follower)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import asyncpg

from hunt_engine.errors import BadSignature, Conflict, NotFound
from hunt_engine.swaps import (
    Event,
    NotSwapHolder,
    Status,
    SwapClosed,
    account_signature,
    make_offer,
    parse_signature,
    transition,
)
from server.swaps.chain_view import ChainView
from server.swaps.queries import (
    COLLECTIBLES_OF_TOKENS_SQL,
    INSERT_SWAP_SQL,
    MAKER_SIGNED_SQL,
    TAKER_SIGNED_SQL,
    VISIBLE_SWAP_SQL,
    WALLET_SQL,
    WITHDRAW_SQL,
)
from server.swaps.schemas import SwapIn
from server.swaps.signatures import checked, offer_hash
from server.swaps.views import offer_of, party_of

if TYPE_CHECKING:
    from server.bootstrap.services import Services

# Offers made in the same second for the same tokens would be one offer on chain: each retry
# moves the deadline a second later.
SAME_OFFER_RETRIES = 5


async def wallet_of(pool: asyncpg.Pool, hunter_id: int) -> str | None:
    wallet: str | None = await pool.fetchval(WALLET_SQL, hunter_id)
    return wallet


async def create(services: Services, hunter_id: int, body: SwapIn) -> int:
    """A new offer of the caller's `give` for the holder of `want`, awaiting the maker's
    signature; its id."""
    if body.give_token_id == body.want_token_id:
        raise Conflict("the token you want is the one you give")
    pool = services.pool
    wallet = await wallet_of(pool, hunter_id)
    if wallet is None:
        raise NotSwapHolder("link a wallet first: tokens are offered from a wallet")
    ids = [body.give_token_id, body.want_token_id]
    collectibles = {
        r["token_id"]: r["collectible_id"]
        for r in await pool.fetch(COLLECTIBLES_OF_TOKENS_SQL, ids)
    }
    for token_id in ids:
        if token_id not in collectibles:
            raise NotFound(f"no token {token_id}")
    view = await ChainView.of(services)
    held = await view.holders(body.give_token_id, body.want_token_id, wallet)
    for token_id, owner in (
        (body.give_token_id, held.give_owner),
        (body.want_token_id, held.want_owner),
    ):
        if owner is None:
            raise NotFound(f"token {token_id} is not minted yet")
    if held.give_owner != wallet:
        raise NotSwapHolder(f"your wallet does not hold token {body.give_token_id}")
    if held.want_owner == wallet:
        raise Conflict(f"token {body.want_token_id} is already yours")
    assert held.want_owner is not None
    offer = make_offer(
        wallet,
        held.want_owner,
        body.give_token_id,
        body.want_token_id,
        time.time(),
        body.expires_in_s,
        held.nonce,
    )
    for _ in range(SAME_OFFER_RETRIES):
        try:
            swap_id = await pool.fetchval(
                INSERT_SWAP_SQL,
                view.chain_id,
                view.contract,
                offer.maker,
                offer.taker,
                hunter_id,
                offer.give_id,
                offer.want_id,
                collectibles[offer.give_id],
                collectibles[offer.want_id],
                offer.deadline,
                offer.nonce,
                offer_hash(offer),
                held.block,
            )
        except asyncpg.UniqueViolationError:
            offer = dataclasses.replace(offer, deadline=offer.deadline + 1)
            continue
        return int(swap_id)
    raise Conflict("this offer was just made; try again in a second")


async def visible(pool: asyncpg.Pool, swap_id: int, hunter_id: int) -> Mapping[str, Any]:
    """The swap as hunter `hunter_id` may see it, closed first if its deadline passed, with the
    caller's wallet as `caller_wallet`; 404 otherwise."""
    row = await pool.fetchrow(VISIBLE_SWAP_SQL, swap_id, hunter_id)
    if row is None or party_of(row, row["caller_wallet"]) is None:
        raise NotFound(f"no swap {swap_id}")
    return row  # type: ignore[no-any-return]


async def sign(services: Services, swap_id: int, hunter_id: int, text: str) -> Mapping[str, Any]:
    """The maker's signature opens the offer to the taker; the taker's accepts it, which makes
    it the worker's job. The same signature posted again changes nothing. The swap as it is
    now, for the answer."""
    pool = services.pool
    row = await visible(pool, swap_id, hunter_id)
    wallet: str = row["caller_wallet"]
    party = party_of(row, wallet)
    event = Event.MAKER_SIGNED if party == "maker" else Event.TAKER_SIGNED
    stored = row["maker_signature"] if party == "maker" else row["taker_signature"]
    raw = parse_signature(text)
    status = Status(row["status"])
    if stored is not None:
        # Signed already: the same signature again is an answer, not a second acceptance.
        if bytes(stored) in (raw, _canonical_or_none(raw)):
            return row
        raise SwapClosed(f"this swap is {status.value}: it was signed already")
    transition(status, event)  # SwapClosed when this swap cannot take a signature now
    view = await ChainView.of(services) if services.chain is not None else None
    signature = await checked(offer_of(row), row["chain_id"], row["contract"], wallet, raw, view)
    statement = MAKER_SIGNED_SQL if event is Event.MAKER_SIGNED else TAKER_SIGNED_SQL
    signed = await pool.fetchrow(statement, swap_id, signature)
    if signed is not None:
        return signed  # type: ignore[no-any-return]
    # Another request moved it first: the same signature is the same answer.
    now = await visible(pool, swap_id, hunter_id)
    again = now["maker_signature"] if party == "maker" else now["taker_signature"]
    if again is not None and bytes(again) == signature:
        return now
    raise SwapClosed(f"this swap is {now['status']}")


def _canonical_or_none(raw: bytes) -> bytes | None:
    try:
        return account_signature(raw)
    except BadSignature:
        return None


async def withdraw(pool: asyncpg.Pool, swap_id: int, hunter_id: int) -> None:
    """The maker cancels an offer (before acceptance), the taker declines it (once open)."""
    row = await visible(pool, swap_id, hunter_id)
    event = Event.CANCELLED if party_of(row, row["caller_wallet"]) == "maker" else Event.DECLINED
    status = Status(row["status"])
    after = transition(status, event)
    leaving = [s.value for s in Status if _moves(s, event)]
    if await pool.fetchval(WITHDRAW_SQL, swap_id, after.value, leaving) is None:
        now = await visible(pool, swap_id, hunter_id)
        raise SwapClosed(f"this swap is {now['status']}")


def _moves(status: Status, event: Event) -> bool:
    try:
        transition(status, event)
    except SwapClosed:
        return False
    return True
