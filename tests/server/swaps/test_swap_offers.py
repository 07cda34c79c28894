"""Making swaps through the API and reading them, on PostgreSQL and a real anvil (no worker:
relaying is chain/'s, tested in tests/chain/): a maker offers and signs, the taker sees the offer
and accepts it; a fan's swaps newest first; an offer's default life; every refusal of an offer
(tokens not held, not found or malformed, callers who are not hunters)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from eth_account.messages import _hash_eip191_message, encode_typed_data
from web3 import AsyncWeb3

from server.http.auth import Role
from tests.support.api import Api
from tests.support.swap_api import post_offer, post_signature
from tests.support.swaps import Fan, siwe_fan, token_contract

CHAIN_ID = 31337


# -- the flow -------------------------------------------------------------------------------


async def test_maker_offers_and_signs_taker_sees_it_and_accepts(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int], w3: AsyncWeb3, collectible: str
) -> None:
    maker, taker, give, want = fans

    _, made = await post_offer(swaps_api, maker, give, want, 201, expires_in_s=600)

    assert made["status"] == "awaiting_maker_signature"
    assert (made["maker"], made["taker"]) == (maker.wallet, taker.wallet)
    assert (made["give_token_id"], made["want_token_id"]) == (give, want)
    assert made["give"]["key"] == "episode-0" and made["want"]["key"] == "episode-1"
    assert made["tx_hash"] is None and made["error"] is None
    document = made["typed_data"]
    assert document["primaryType"] == "Offer"
    assert document["domain"] == {
        "name": "geohunt",
        "version": "1",
        "chainId": CHAIN_ID,
        "verifyingContract": collectible.lower(),
    }
    message = document["message"]
    assert message["maker"] == maker.wallet and message["taker"] == taker.wallet
    assert (message["giveId"], message["wantId"], message["nonce"]) == (str(give), str(want), "0")
    # The document is the chain's own offer: the same struct hash and the same digest.
    token = token_contract(w3, collectible)
    args = (
        AsyncWeb3.to_checksum_address(maker.wallet),
        AsyncWeb3.to_checksum_address(taker.wallet),
        give,
        want,
        int(message["deadline"]),
        0,
    )
    assert "0x" + (await token.functions.hashOffer(args).call()).hex() == made["offer_hash"]
    digest = _hash_eip191_message(encode_typed_data(full_message=document))
    assert await token.functions.offerDigest(args).call() == digest
    # The taker does not see it until the maker signed.
    await swaps_api.call("GET", f"/v1/swaps/{made['id']}", 404, headers=taker.headers)
    _, received = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=taker.headers)
    assert made["id"] not in [s["id"] for s in received]

    _, opened = await post_signature(swaps_api, maker, made["id"], maker.sign(made), 200)

    assert opened["status"] == "open" and opened["maker_signed"]
    _, received = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=taker.headers)
    assert received[0]["id"] == made["id"]
    _, seen = await swaps_api.call("GET", f"/v1/swaps/{made['id']}", 200, headers=taker.headers)
    assert seen["typed_data"] == document

    _, accepted = await post_signature(swaps_api, taker, made["id"], taker.sign(seen), 200)

    assert accepted["status"] == "accepted" and accepted["taker_signed"]
    _, mine = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=maker.headers)
    assert mine[0]["id"] == made["id"] and mine[0]["status"] == "accepted"


async def test_a_swap_is_newest_first_among_a_fans_swaps(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, want = fans
    _, first = await post_offer(swaps_api, maker, give, want, 201)
    _, second = await post_offer(swaps_api, maker, give, want, 201)

    _, mine = await swaps_api.call("GET", "/v1/me/swaps?limit=2", 200, headers=maker.headers)

    assert [s["id"] for s in mine] == [second["id"], first["id"]]
    assert first["offer_hash"] != second["offer_hash"]  # same tokens, one second apart


async def test_default_life_is_a_day(swaps_api: Api, fans: tuple[Fan, Fan, int, int]) -> None:
    maker, _, give, want = fans
    _, made = await post_offer(swaps_api, maker, give, want, 201)

    deadline = int(made["typed_data"]["message"]["deadline"])
    created = datetime.fromisoformat(made["created_at"].replace("Z", "+00:00")).timestamp()
    assert 86_400 <= deadline - created <= 86_401
    assert made["deadline"] == datetime.fromtimestamp(deadline, UTC).isoformat().replace(
        "+00:00", "Z"
    )


# -- refusals when making an offer ------------------------------------------------------------


async def test_offering_a_token_you_do_not_hold_is_not_holder(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    _, body = await post_offer(swaps_api, taker, give, want, 403)
    assert body["code"] == "not_holder"


async def test_a_hunter_without_a_wallet_holds_nothing(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    _, _, give, want = fans
    hunter_id, headers = await swaps_api.hunter()
    walletless = Fan(None, "", hunter_id, headers)
    _, body = await post_offer(swaps_api, walletless, give, want, 403)
    assert body["code"] == "not_holder"
    _, mine = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=headers)
    assert mine == []


async def test_wanting_your_own_token_is_a_conflict(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, _ = fans
    _, body = await post_offer(swaps_api, maker, give, give, 409)
    assert body["code"] == "conflict"


async def test_unknown_and_unminted_tokens_are_not_found(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, _ = fans
    _, body = await post_offer(swaps_api, maker, give, 2**62 - 7, 404)
    assert body["code"] == "not_found"
    # A find whose token is not minted yet (the worker has not run).
    other = await siwe_fan(swaps_api)
    conn = await asyncpg.connect(swaps_api.settings.database_url)
    try:
        row = await conn.fetchrow(
            "SELECT f.hunt_id, f.collectible_id, f.clue_id FROM finds f WHERE f.id = $1", give
        )
        unminted = await conn.fetchval(
            "SELECT find_id FROM claim_find($1, 0, $2, $3, $4, NULL, NULL, NULL, NULL, NULL,"
            " NULL, NULL)",
            other.hunter_id,
            row["hunt_id"],
            row["collectible_id"],
            row["clue_id"],
        )
    finally:
        await conn.close()
    _, body = await post_offer(swaps_api, maker, give, unminted, 404)
    assert body["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"give_token_id": 1, "want_token_id": 2, "expires_in_s": 59},
        {"give_token_id": 1, "want_token_id": 2, "expires_in_s": 7 * 86_400 + 1},
        {"give_token_id": 0, "want_token_id": 2},
        {"give_token_id": 1, "want_token_id": 2**63},
        {"give_token_id": "1", "want_token_id": 2},
        {"give_token_id": 1},
        {"give_token_id": 1, "want_token_id": 2, "extra": True},
    ],
)
async def test_malformed_offers_are_invalid_requests(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int], body: dict[str, Any]
) -> None:
    maker = fans[0]
    _, answer = await swaps_api.call("POST", "/v1/swaps", 400, headers=maker.headers, json=body)
    assert answer["code"] == "invalid_request"


async def test_only_hunters_swap(swaps_api: Api, fans: tuple[Fan, Fan, int, int]) -> None:
    _, _, give, want = fans
    body = {"give_token_id": give, "want_token_id": want}
    _, answer = await swaps_api.call("POST", "/v1/swaps", 401, json=body)
    assert answer["code"] == "unauthorized"
    _, answer = await swaps_api.call(
        "POST", "/v1/swaps", 403, headers=swaps_api.organiser, json=body
    )
    assert answer["code"] == "forbidden"
    await swaps_api.call("GET", "/v1/me/swaps", 403, headers=swaps_api.organiser)


async def test_a_hunter_token_names_its_own_hunter(swaps_api: Api) -> None:
    ghost = swaps_api.auth(Role.HUNTER, "999999999")
    _, mine = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=ghost)
    assert mine == []
