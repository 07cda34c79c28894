"""Signing swaps through the API, on PostgreSQL and a real anvil: a signature that is not the
maker's (another key, another offer, a malleated or compact form) is refused and changes nothing;
the same signature posted again, or at once from many requests, accepts once; an acceptance
racing a cancellation leaves one of them; a contract wallet signs by ERC-1271."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from eth_account import Account
from web3 import AsyncWeb3

from tests.support.api import Api
from tests.support.swap_api import post_offer, post_signature
from tests.support.swaps import (
    Fan,
    compact,
    contract_wallet_fan,
    deploy_mock_wallet,
    give_tokens,
    high_s,
    offer,
    sign_typed,
)


@pytest.mark.parametrize("forge", ["stranger", "taker", "high-s", "compact", "other-offer"])
async def test_a_signature_that_is_not_the_makers_is_bad_signature(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int], forge: str
) -> None:
    maker, taker, give, want = fans
    _, made = await post_offer(swaps_api, maker, give, want, 201)
    proper = bytes.fromhex(maker.sign(made)[2:])
    forged = {
        "stranger": lambda: sign_typed(made["typed_data"], Account.create().key),
        "taker": lambda: sign_typed(made["typed_data"], taker.account.key),
        "high-s": lambda: high_s(proper),
        "compact": lambda: compact(proper),
        "other-offer": lambda: sign_typed(
            {**made["typed_data"], "message": {**made["typed_data"]["message"], "nonce": "1"}},
            maker.account.key,
        ),
    }[forge]()

    _, body = await post_signature(swaps_api, maker, made["id"], "0x" + forged.hex(), 401)

    assert body["code"] == "bad_signature"
    _, seen = await swaps_api.call("GET", f"/v1/swaps/{made['id']}", 200, headers=maker.headers)
    assert seen["status"] == "awaiting_maker_signature"


async def test_a_signature_that_is_not_hex_is_an_invalid_request(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, want = fans
    _, made = await post_offer(swaps_api, maker, give, want, 201)
    for text in ("deadbeef", "0x", "0xabc", "0x" + "zz" * 65, "0x" + "00" * 2049):
        _, body = await post_signature(swaps_api, maker, made["id"], text, 400)
        assert body["code"] == "invalid_request"


async def test_v_as_0_or_1_is_read_as_27_or_28(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, want = fans
    _, made = await post_offer(swaps_api, maker, give, want, 201)
    signature = bytes.fromhex(maker.sign(made)[2:])
    low_v = signature[:64] + bytes([signature[64] - 27])

    _, opened = await post_signature(swaps_api, maker, made["id"], "0x" + low_v.hex(), 200)

    assert opened["status"] == "open"
    # The same signature in its usual form is the same answer.
    await post_signature(swaps_api, maker, made["id"], maker.sign(made), 200)


async def test_the_same_signature_twice_changes_nothing_and_another_is_closed(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want)
    signature = taker.sign(swap)
    _, first = await post_signature(swaps_api, taker, swap["id"], signature, 200)

    _, again = await post_signature(swaps_api, taker, swap["id"], signature, 200)

    assert again["status"] == first["status"] == "accepted"
    assert again["updated_at"] == first["updated_at"]
    _, body = await post_signature(swaps_api, taker, swap["id"], "0x" + "11" * 65, 409)
    assert body["code"] == "swap_closed"


async def test_the_same_acceptance_posted_at_once_accepts_once(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want)
    signature = taker.sign(swap)

    answers = await asyncio.gather(
        *(post_signature(swaps_api, taker, swap["id"], signature, None) for _ in range(8))
    )

    assert [status for status, _ in answers] == [200] * 8
    assert {body["status"] for _, body in answers} == {"accepted"}
    conn = await asyncpg.connect(swaps_api.settings.database_url)
    try:
        accepted_at = await conn.fetch("SELECT accepted_at FROM swaps WHERE id = $1", swap["id"])
    finally:
        await conn.close()
    assert len(accepted_at) == 1
    assert len({body["updated_at"] for _, body in answers}) == 1


async def test_acceptance_and_cancellation_racing_leave_one_of_them(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want)

    (accept_status, accepted), (cancel_status, cancelled) = await asyncio.gather(
        post_signature(swaps_api, taker, swap["id"], taker.sign(swap), None),
        swaps_api.call("DELETE", f"/v1/swaps/{swap['id']}", None, headers=maker.headers),
    )

    assert sorted([accept_status, cancel_status]) == [200, 409]
    _, final = await swaps_api.call("GET", f"/v1/swaps/{swap['id']}", 200, headers=maker.headers)
    assert final["status"] == ("accepted" if accept_status == 200 else "cancelled")
    loser = cancelled if accept_status == 200 else accepted
    assert loser["code"] == "swap_closed"


async def test_a_contract_wallet_signs_by_erc1271(
    swaps_api: Api,
    fans: tuple[Fan, Fan, int, int],
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
    minter_account: tuple[str, str],
) -> None:
    maker, _, give, _ = fans
    owner = Account.create()
    wallet = await deploy_mock_wallet(w3, deployer[1], owner.address)
    assert swaps_api.settings.database_url
    safe = await contract_wallet_fan(swaps_api, swaps_api.settings.database_url, wallet, owner)
    (held,) = await give_tokens(
        swaps_api.settings.database_url, w3, minter_account[1], collectible, [safe.wallet]
    )
    swap = await offer(swaps_api, maker, give, held)
    assert swap["taker"] == safe.wallet

    # Its owner's key signs for the wallet, which says so on chain; another key does not.
    stranger = "0x" + sign_typed(swap["typed_data"], Account.create().key).hex()
    _, refused = await post_signature(swaps_api, safe, swap["id"], stranger, 401)
    assert refused["code"] == "bad_signature"
    _, accepted = await post_signature(swaps_api, safe, swap["id"], safe.sign(swap), 200)
    assert accepted["status"] == "accepted"
