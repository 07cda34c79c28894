"""The swaps benchmark's offers, open before any clock starts: each made and signed by its maker
with the offer book's own statements (set-up, in bulk: through the API it would take minutes
of a shared machine), exactly as `POST /v1/swaps` and the maker's signature leave it. Each
taker's signature is signed beforehand from the same EIP-712 document the API answers; the API
checks it when the taker posts it."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
from eth_account import Account
from eth_account.messages import encode_typed_data

from bench.swaps.api import Offer
from bench.swaps.fans import Pair
from hunt_engine.swaps import DEFAULT_EXPIRES_S, account_signature, make_offer, typed_data
from server.http.auth import Role, TokenIssuer
from server.swaps.queries import COLLECTIBLES_OF_TOKENS_SQL, INSERT_SWAP_SQL, MAKER_SIGNED_SQL
from server.swaps.signatures import offer_hash

TOKEN_TTL_S = 3600


def sign_typed(document: dict[str, Any], key: Any) -> bytes:
    """What `eth_signTypedData_v4` answers for this document and key."""
    return bytes(Account.sign_message(encode_typed_data(full_message=document), key).signature)


async def open_offers(
    db: asyncpg.Connection, issuer: TokenIssuer, w3: Any, contract: str, pairs: list[Pair]
) -> list[Offer]:
    """Each pair's offer (the maker's token for the taker's, the maker's counter 0 on a fresh
    chain, a day to live), signed by its maker: `open`."""
    chain_id, block = int(await w3.eth.chain_id), int(await w3.eth.block_number)
    tokens = [t for p in pairs for t in (p.maker.token_id, p.taker.token_id)]
    collectible = {
        r["token_id"]: r["collectible_id"]
        for r in await db.fetch(COLLECTIBLES_OF_TOKENS_SQL, tokens)
    }

    def headers(hunter_id: int) -> dict[str, str]:
        token = issuer.issue(Role.HUNTER, str(hunter_id), TOKEN_TTL_S)[0]
        return {"Authorization": f"Bearer {token}"}

    offers = []
    now = time.time()
    async with db.transaction():
        for pair in pairs:
            maker, taker = pair.maker, pair.taker
            offer = make_offer(
                maker.wallet, taker.wallet, maker.token_id, taker.token_id, now,
                DEFAULT_EXPIRES_S, 0,
            )  # fmt: skip
            document = typed_data(offer, chain_id, contract)
            struct_hash = offer_hash(offer)
            swap_id = await db.fetchval(
                INSERT_SWAP_SQL,
                chain_id, contract.lower(), offer.maker, offer.taker, maker.hunter_id,
                offer.give_id, offer.want_id, collectible[offer.give_id],
                collectible[offer.want_id], offer.deadline, offer.nonce, struct_hash, block,
            )  # fmt: skip
            signed = account_signature(sign_typed(document, maker.account.key))
            if await db.fetchval(MAKER_SIGNED_SQL, swap_id, signed) is None:
                raise RuntimeError(f"offer {swap_id} did not open")
            taker_signature = "0x" + sign_typed(document, taker.account.key).hex()
            offers.append(
                Offer(
                    swap_id,
                    pair,
                    struct_hash,
                    headers(maker.hunter_id),
                    headers(taker.hunter_id),
                    taker_signature,
                )  # fmt: skip
            )
    return offers
