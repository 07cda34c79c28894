"""Another fan's tokens (GET /v1/fans/{hunter_id}/tokens), what a fan asks for in a swap, on
the real database: only for a fan the caller can see listed (on a leaderboard's first 100, or
discoverable to a discoverable caller, as twins are), only what the fan's wallet holds now by
the holder rule, and nothing that names a wallet."""

from __future__ import annotations

import json
from typing import Any

from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import make_hunt
from tests.support.fan_tokens import (
    crowd_leaderboard,
    discoverable,
    find,
    mark_minted,
    transferred,
    wallet_fan,
)


async def tokens_of(
    api: Api, headers: dict[str, str], hunter_id: int, expect: int, **query: Any
) -> Any:
    _, body = await api.call(
        "GET", f"/v1/fans/{hunter_id}/tokens", expect, headers=headers, params=query
    )
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [token["token_id"] for token in body["tokens"]]


async def test_a_leaderboard_fan_s_minted_tokens_as_they_hold_them_now(api: Api) -> None:
    hunt = await make_hunt(api)
    keys = [await hunt.collectible(), await hunt.collectible(), await hunt.collectible()]
    clues = [await hunt.clue(collectible=key) for key in keys]
    fan_id, fan_wallet, fan = await wallet_fan(api)
    _, _, caller = await wallet_fan(api)  # neither of them discoverable
    minted, given, unminted = [await find(hunt, fan, clue) for clue in clues]
    await mark_minted(api, [minted, given])
    other_id, other_wallet, other = await wallet_fan(api)
    await transferred(api, given, other_wallet)  # sold: no longer the fan's

    body = await tokens_of(api, caller, fan_id, 200)
    assert set(body) == {"hunter_id", "handle", "tokens", "more"}
    assert (body["hunter_id"], body["more"]) == (fan_id, False)
    assert ids(body) == [str(minted)]  # not the one it sold, nor the unminted one
    [token] = body["tokens"]
    assert set(token) == {"token_id", "collectible", "title"}
    assert token["title"] is None
    assert token["collectible"]["hunt"] == hunt.slug and token["collectible"]["key"] == keys[0]
    assert set(token["collectible"]) == {"hunt", "key", "name", "episode", "image_url"}
    # Nothing in the answer names a wallet (the handle of a SIWE fan is null, not its address).
    assert "0x" not in json.dumps(body)

    # The buyer holds it now; it found nothing itself, so only its purchase is listed once it
    # is on a leaderboard too (a find of its own).
    await tokens_of(api, caller, other_id, 404)
    own = await find(hunt, other, clues[2])
    body = await tokens_of(api, caller, other_id, 200)
    assert ids(body) == [str(given)]
    await mark_minted(api, [own])
    assert ids(await tokens_of(api, caller, other_id, 200)) == sorted(
        [str(given), str(own)], key=int
    )
    # A token sold back counts for its finder again.
    await transferred(api, given, fan_wallet)
    assert ids(await tokens_of(api, caller, fan_id, 200)) == [str(minted), str(given)]
    assert unminted  # found, never minted: listed nowhere above


async def test_the_list_is_bounded_by_limit(api: Api) -> None:
    hunt = await make_hunt(api)
    clues = [await hunt.clue(collectible=await hunt.collectible()) for _ in range(3)]
    fan_id, _, fan = await wallet_fan(api)
    found = [await find(hunt, fan, clue) for clue in clues]
    await mark_minted(api, found)
    body = await tokens_of(api, fan, fan_id, 200, limit=2)
    assert ids(body) == [str(f) for f in found[:2]] and body["more"] is True
    body = await tokens_of(api, fan, fan_id, 200, limit=3)
    assert len(body["tokens"]) == 3 and body["more"] is False


async def test_only_fans_on_a_leaderboard_s_first_100_are_listed_for_it(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(collectible=await hunt.collectible())
    fan_id, _, fan = await wallet_fan(api)
    _, _, caller = await wallet_fan(api)
    await mark_minted(api, [await find(hunt, fan, clue)])
    await crowd_leaderboard(api, hunt.slug, 99)  # the fan is 100th: still shown
    assert len(ids(await tokens_of(api, caller, fan_id, 200))) == 1
    await crowd_leaderboard(api, hunt.slug, 1)  # 101st: on no leaderboard answer
    await tokens_of(api, caller, fan_id, 404)
    # Discoverable, it is still a twin to discoverable fans, and to them only.
    await discoverable(api, fan, True)
    await tokens_of(api, caller, fan_id, 404)
    await discoverable(api, caller, True)
    assert len(ids(await tokens_of(api, caller, fan_id, 200))) == 1


async def test_a_fan_who_is_not_discoverable_is_not_listed_as_a_twin(api: Api) -> None:
    # Tokens bought, none found: on no leaderboard, so only the twins rule could list the fan.
    hunt = await make_hunt(api)
    clue = await hunt.clue(collectible=await hunt.collectible())
    _, _, finder = await wallet_fan(api)
    token = await find(hunt, finder, clue)
    await mark_minted(api, [token])
    fan_id, fan_wallet, fan = await wallet_fan(api)
    await transferred(api, token, fan_wallet)
    _, _, caller = await wallet_fan(api)
    await discoverable(api, caller, True)

    await tokens_of(api, caller, fan_id, 404)  # the fan never opted in
    await discoverable(api, fan, True)
    body = await tokens_of(api, caller, fan_id, 200)
    assert ids(body) == [str(token)] and "0x" not in json.dumps(body)
    _, _, hidden = await wallet_fan(api)  # a caller who did not opt in sees no twins
    await tokens_of(api, hidden, fan_id, 404)
    await discoverable(api, fan, False)  # and opted out again
    await tokens_of(api, caller, fan_id, 404)


async def test_unknown_fans_roles_and_bad_input(api: Api) -> None:
    hunt = await make_hunt(api)
    clue = await hunt.clue(collectible=await hunt.collectible())
    fan_id, _, fan = await wallet_fan(api)
    await find(hunt, fan, clue)
    _, problem = await api.call("GET", "/v1/fans/999999999999/tokens", 404, headers=fan)
    assert problem["code"] == "not_found"
    for path in ("0", "-1", "abc", "9223372036854775808", "1.5"):
        await api.call("GET", f"/v1/fans/{path}/tokens", 404, headers=fan)
    for limit in ("0", "101", "x", "1e1"):
        _, problem = await api.call(
            "GET", f"/v1/fans/{fan_id}/tokens?limit={limit}", 400, headers=fan
        )
        assert problem["code"] == "invalid_request"
    await api.call("GET", f"/v1/fans/{fan_id}/tokens", 401)
    for role in (Role.ORGANISER, Role.SCREEN):
        await api.call("GET", f"/v1/fans/{fan_id}/tokens", 403, headers=api.auth(role, "someone"))
    # A fan without a wallet holds no token: listed, with an empty list.
    plain_id, plain = await api.hunter()
    await find(hunt, plain, clue)
    body = await tokens_of(api, fan, plain_id, 200)
    assert body["tokens"] == [] and body["handle"]
