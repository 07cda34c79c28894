"""How swaps end before they are sent, through the API, on PostgreSQL and a real anvil: the
maker cancels, the taker declines, nobody withdraws once accepted, strangers see nothing; an
offer past its deadline is expired, an accepted one not sent by it fails `expired`, and the read
that closes it answers it closed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from tests.support.api import Api
from tests.support.swap_api import post_offer, post_signature
from tests.support.swaps import Fan, offer, siwe_fan


async def db_execute(api: Api, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(api.settings.database_url)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


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
    _, made = await post_offer(swaps_api, maker, give, want, 201)
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
