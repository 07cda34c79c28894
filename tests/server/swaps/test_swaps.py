"""The offer book through the API, on PostgreSQL and a real anvil (no worker: relaying is
chain/'s, tested in tests/chain/): two fans signed in with Ethereum make, sign, cancel, decline
and read swaps; every error code of the contract's section; races that change a swap once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from web3 import AsyncWeb3

from chain.anvil import AnvilProcess
from infra.settings import Settings
from server.http.auth import Role
from tests.support.api import Api
from tests.support.swaps import (
    Fan,
    compact,
    contract_wallet_fan,
    deploy_mock_wallet,
    give_tokens,
    high_s,
    offer,
    sign_typed,
    siwe_fan,
    swaps_app,
    token_contract,
)

CHAIN_ID = 31337


@pytest.fixture
async def swaps_api(
    settings: Settings,
    anvil: AnvilProcess,
    collectible: str,
    minter_account: tuple[str, str],
    aiohttp_client: Any,
) -> Api:
    assert settings.database_url
    return await swaps_app(
        aiohttp_client, settings, settings.database_url, anvil.url, collectible, minter_account[1]
    )


@pytest.fixture
async def fans(
    swaps_api: Api, w3: AsyncWeb3, collectible: str, minter_account: tuple[str, str]
) -> tuple[Fan, Fan, int, int]:
    """A maker and a taker, each holding one minted token (of an episode of its own)."""
    maker, taker = await siwe_fan(swaps_api), await siwe_fan(swaps_api)
    assert swaps_api.settings.database_url
    give, want = await give_tokens(
        swaps_api.settings.database_url,
        w3,
        minter_account[1],
        collectible,
        [maker.wallet, taker.wallet],
    )
    return maker, taker, give, want


def create(api: Api, fan: Fan, give: int, want: int, expect: int, **extra: Any) -> Any:
    return api.call(
        "POST",
        "/v1/swaps",
        expect,
        headers=fan.headers,
        json={"give_token_id": give, "want_token_id": want, **extra},
    )


def post_signature(api: Api, fan: Fan, swap_id: int, signature: str, expect: int) -> Any:
    return api.call(
        "POST",
        f"/v1/swaps/{swap_id}/signature",
        expect,
        headers=fan.headers,
        json={"signature": signature},
    )


async def db_execute(api: Api, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(api.settings.database_url)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


# -- the flow -------------------------------------------------------------------------------


async def test_maker_offers_and_signs_taker_sees_it_and_accepts(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int], w3: AsyncWeb3, collectible: str
) -> None:
    maker, taker, give, want = fans

    _, made = await create(swaps_api, maker, give, want, 201, expires_in_s=600)

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
    _, first = await create(swaps_api, maker, give, want, 201)
    _, second = await create(swaps_api, maker, give, want, 201)

    _, mine = await swaps_api.call("GET", "/v1/me/swaps?limit=2", 200, headers=maker.headers)

    assert [s["id"] for s in mine] == [second["id"], first["id"]]
    assert first["offer_hash"] != second["offer_hash"]  # same tokens, one second apart


async def test_default_life_is_a_day(swaps_api: Api, fans: tuple[Fan, Fan, int, int]) -> None:
    maker, _, give, want = fans
    _, made = await create(swaps_api, maker, give, want, 201)

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
    _, body = await create(swaps_api, taker, give, want, 403)
    assert body["code"] == "not_holder"


async def test_a_hunter_without_a_wallet_holds_nothing(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    _, _, give, want = fans
    hunter_id, headers = await swaps_api.hunter()
    walletless = Fan(None, "", hunter_id, headers)
    _, body = await create(swaps_api, walletless, give, want, 403)
    assert body["code"] == "not_holder"
    _, mine = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=headers)
    assert mine == []


async def test_wanting_your_own_token_is_a_conflict(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, _ = fans
    _, body = await create(swaps_api, maker, give, give, 409)
    assert body["code"] == "conflict"


async def test_unknown_and_unminted_tokens_are_not_found(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, _ = fans
    _, body = await create(swaps_api, maker, give, 2**62 - 7, 404)
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
    _, body = await create(swaps_api, maker, give, unminted, 404)
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


# -- signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize("forge", ["stranger", "taker", "high-s", "compact", "other-offer"])
async def test_a_signature_that_is_not_the_makers_is_bad_signature(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int], forge: str
) -> None:
    maker, taker, give, want = fans
    _, made = await create(swaps_api, maker, give, want, 201)
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
    _, made = await create(swaps_api, maker, give, want, 201)
    for text in ("deadbeef", "0x", "0xabc", "0x" + "zz" * 65, "0x" + "00" * 2049):
        _, body = await post_signature(swaps_api, maker, made["id"], text, 400)
        assert body["code"] == "invalid_request"


async def test_v_as_0_or_1_is_read_as_27_or_28(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, want = fans
    _, made = await create(swaps_api, maker, give, want, 201)
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


# -- withdrawing ----------------------------------------------------------------------------


async def test_the_maker_cancels_and_nothing_more_happens_to_it(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want)

    _, cancelled = await swaps_api.call(
        "DELETE", f"/v1/swaps/{swap['id']}", 200, headers=maker.headers
    )

    assert cancelled["status"] == "cancelled"
    _, body = await post_signature(swaps_api, taker, swap["id"], taker.sign(swap), 409)
    assert body["code"] == "swap_closed"
    _, body = await swaps_api.call("DELETE", f"/v1/swaps/{swap['id']}", 409, headers=taker.headers)
    assert body["code"] == "swap_closed"


async def test_a_maker_cancels_before_signing(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, _, give, want = fans
    _, made = await create(swaps_api, maker, give, want, 201)
    _, cancelled = await swaps_api.call(
        "DELETE", f"/v1/swaps/{made['id']}", 200, headers=maker.headers
    )
    assert cancelled["status"] == "cancelled"
    _, body = await post_signature(swaps_api, maker, made["id"], maker.sign(made), 409)
    assert body["code"] == "swap_closed"


async def test_the_taker_declines(swaps_api: Api, fans: tuple[Fan, Fan, int, int]) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want)

    _, declined = await swaps_api.call(
        "DELETE", f"/v1/swaps/{swap['id']}", 200, headers=taker.headers
    )

    assert declined["status"] == "declined"
    _, mine = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=maker.headers)
    assert mine[0]["status"] == "declined"


async def test_once_accepted_nobody_withdraws(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want)
    await post_signature(swaps_api, taker, swap["id"], taker.sign(swap), 200)

    for fan in (maker, taker):
        _, body = await swaps_api.call(
            "DELETE", f"/v1/swaps/{swap['id']}", 409, headers=fan.headers
        )
        assert body["code"] == "swap_closed"


async def test_strangers_see_no_swap(swaps_api: Api, fans: tuple[Fan, Fan, int, int]) -> None:
    maker, _, give, want = fans
    swap = await offer(swaps_api, maker, give, want)
    stranger = await siwe_fan(swaps_api)
    hunter_id, walletless = await swaps_api.hunter()

    for headers in (stranger.headers, walletless):
        await swaps_api.call("GET", f"/v1/swaps/{swap['id']}", 404, headers=headers)
        await swaps_api.call("DELETE", f"/v1/swaps/{swap['id']}", 404, headers=headers)
        await swaps_api.call(
            "POST",
            f"/v1/swaps/{swap['id']}/signature",
            404,
            headers=headers,
            json={"signature": "0x" + "11" * 65},
        )
    await swaps_api.call("GET", "/v1/swaps/99999999999", 404, headers=stranger.headers)
    await swaps_api.call("GET", "/v1/swaps/0", 404, headers=stranger.headers)


# -- the deadline ---------------------------------------------------------------------------


async def test_an_offer_expires_at_its_deadline(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want, expires_in_s=60)
    signature = taker.sign(swap)
    # The deadline is what was signed; the book is moved past it rather than the clock.
    await db_execute(
        swaps_api,
        "UPDATE swaps SET deadline_s = extract(epoch FROM now())::bigint - 1 WHERE id = $1",
        swap["id"],
    )

    _, body = await post_signature(swaps_api, taker, swap["id"], signature, 409)

    assert body["code"] == "swap_closed"
    _, seen = await swaps_api.call("GET", f"/v1/swaps/{swap['id']}", 200, headers=maker.headers)
    assert seen["status"] == "expired" and seen["error"] is None


async def test_an_accepted_swap_not_sent_by_its_deadline_fails_expired(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want)
    await post_signature(swaps_api, taker, swap["id"], taker.sign(swap), 200)
    await db_execute(
        swaps_api,
        "UPDATE swaps SET deadline_s = extract(epoch FROM now())::bigint - 1 WHERE id = $1",
        swap["id"],
    )

    _, mine = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=taker.headers)

    assert (mine[0]["status"], mine[0]["error"]) == ("failed", "expired")


async def test_the_read_that_closes_a_swap_past_its_deadline_answers_it_closed(
    swaps_api: Api, fans: tuple[Fan, Fan, int, int]
) -> None:
    maker, taker, give, want = fans
    swap = await offer(swaps_api, maker, give, want)
    _, accepted = await post_signature(swaps_api, taker, swap["id"], taker.sign(swap), 200)
    await db_execute(
        swaps_api,
        "UPDATE swaps SET deadline_s = extract(epoch FROM now())::bigint - 1 WHERE id = $1",
        swap["id"],
    )

    # The first read after the deadline is the one that closes it: it answers the closed swap.
    _, seen = await swaps_api.call("GET", f"/v1/swaps/{swap['id']}", 200, headers=maker.headers)

    assert (seen["status"], seen["error"]) == ("failed", "expired")
    assert datetime.fromisoformat(seen["updated_at"]) > datetime.fromisoformat(
        accepted["updated_at"]
    )
    _, again = await swaps_api.call("GET", f"/v1/swaps/{swap['id']}", 200, headers=taker.headers)
    assert again == seen


async def test_a_hunter_token_names_its_own_hunter(swaps_api: Api) -> None:
    ghost = swaps_api.auth(Role.HUNTER, "999999999")
    _, mine = await swaps_api.call("GET", "/v1/me/swaps", 200, headers=ghost)
    assert mine == []
