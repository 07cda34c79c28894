"""The Transfer follower closes swap offers whose token moved: a plain transfer of an offered
token fails every unsent offer naming it (`token_moved`), and only transfers after the offer was
made count."""

from __future__ import annotations

import asyncpg
from eth_account import Account
from web3 import AsyncWeb3

from chain.client import send_transaction
from chain.follower import TransferFollower
from infra.settings import FollowSettings
from tests.support.api import Api
from tests.support.swaps import call, give_tokens, offer, siwe_fan

CHAIN_ID = 31337


async def statuses(api: Api, ids: list[int]) -> list[tuple[str, str | None]]:
    conn = await asyncpg.connect(api.settings.database_url)
    try:
        rows = await conn.fetch(
            "SELECT status, error FROM swaps WHERE id = ANY($1::bigint[]) ORDER BY id", ids
        )
    finally:
        await conn.close()
    return [(r["status"], r["error"]) for r in rows]


async def test_a_token_moved_by_a_plain_transfer_closes_the_offers_naming_it(
    swaps_api: Api,
    w3: AsyncWeb3,
    collectible: str,
    deployer: tuple[str, str],
    minter_account: tuple[str, str],
) -> None:
    start = await w3.eth.block_number
    maker, taker, bystander = [await siwe_fan(swaps_api) for _ in range(3)]
    assert swaps_api.settings.database_url
    give, want, other = await give_tokens(
        swaps_api.settings.database_url,
        w3,
        minter_account[1],
        collectible,
        [maker.wallet, taker.wallet, bystander.wallet],
    )
    # Two offers of the token that will move (one accepted, one open), one that keeps.
    accepted = await offer(swaps_api, maker, give, want)
    await swaps_api.call(
        "POST",
        f"/v1/swaps/{accepted['id']}/signature",
        200,
        headers=taker.headers,
        json={"signature": taker.sign(accepted)},
    )
    _, unsigned = await swaps_api.call(
        "POST",
        "/v1/swaps",
        201,
        headers=maker.headers,
        json={"give_token_id": give, "want_token_id": other},
    )
    kept = await offer(swaps_api, bystander, other, want)
    pool = await asyncpg.create_pool(swaps_api.settings.database_url, min_size=1, max_size=2)
    try:
        follower = TransferFollower(
            pool, w3, CHAIN_ID, collectible, FollowSettings(confirmations=1), start
        )
        # The mints came before the offers were made: reading them closes nothing.
        await catch_up(follower)
        ids = [accepted["id"], unsigned["id"], kept["id"]]
        assert await statuses(swaps_api, ids) == [
            ("accepted", None),
            ("awaiting_maker_signature", None),
            ("open", None),
        ]
        await send_transaction(
            w3,
            deployer[1],
            {"to": maker.account.address, "value": 10**17},  # type: ignore[typeddict-item]
            what="funding",
        )
        elsewhere = Account.create().address
        await call(
            w3,
            maker.account.key.to_0x_hex(),
            collectible,
            "transferFrom",
            maker.account.address,
            elsewhere,
            give,
        )

        await catch_up(follower)

        assert await statuses(swaps_api, ids) == [
            ("failed", "token_moved"),
            ("failed", "token_moved"),
            ("open", None),
        ]
        _, seen = await swaps_api.call(
            "GET", f"/v1/swaps/{accepted['id']}", 200, headers=taker.headers
        )
        assert (seen["status"], seen["error"]) == ("failed", "token_moved")
    finally:
        await pool.close()


async def catch_up(follower: TransferFollower) -> None:
    while (await follower.step())[1] > 0:
        pass
