"""Fans' moments minted on a real anvil by the finds' worker: an approved moment becomes a token
in its author's wallet once, however often it is reviewed again; a walletless author's waits
for a wallet; and moments' token ids never meet finds', even minted side by side."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from eth_account import Account
from web3 import AsyncWeb3

from chain.client import send_transaction
from infra.settings import Settings
from tests.support.api import Api, bearer
from tests.support.identity import siwe
from tests.support.minting import token, transfers_from_zero, wait_until, worker_task
from tests.support.moments import Episode, Fan, decide

MOMENT_TOKENS = 2**62


async def signed_in_with_wallet(api: Api) -> tuple[Fan, Any]:
    account = Account.create()
    signed_in = await siwe(api, account, 200)
    return Fan(signed_in["hunter_id"], bearer(signed_in["token"])), account


async def moment_of(api: Api, moment_id: int, fan: Fan) -> dict[str, Any]:
    _, moment = await api.call("GET", f"/v1/moments/{moment_id}", 200, headers=fan.headers)
    return moment  # type: ignore[no-any-return]


async def minted(api: Api, moment_id: int, fan: Fan) -> bool:
    mint = (await moment_of(api, moment_id, fan))["mint"]
    return mint is not None and mint["status"] == "minted"


async def test_an_approved_moment_is_minted_to_its_author_once(
    mint_api: Api, mint_settings: Settings, w3: AsyncWeb3, collectible: str
) -> None:
    api = mint_api
    episode = await Episode.make(api, rules={"moment_report_threshold": 1})
    author, account = await signed_in_with_wallet(api)
    await episode.finder(author)
    _, made = await episode.moment(author, note="the pond at dawn")
    _, approved = await decide(api, made["id"], "approve")
    token_id = approved["token_id"]
    assert token_id == MOMENT_TOKENS + made["id"]
    assert approved["mint"] == {"status": "queued"}

    async with worker_task(mint_settings):
        await wait_until(lambda: minted(api, made["id"], author), what="the moment minted")
        moment = await moment_of(api, made["id"], author)
        mint = moment["mint"]
        assert mint["token_id"] == token_id and mint["contract"] == collectible
        contract = token(w3, collectible)
        assert await contract.functions.ownerOf(token_id).call() == account.address
        uri = await contract.functions.tokenURI(token_id).call()
        assert uri == f"{mint_settings.public_base_url}/v1/tokens/{token_id}"
        _, metadata = await api.call("GET", uri.removeprefix(mint_settings.public_base_url), 200)
        assert {"trait_type": "Scene", "value": "12:34"} in metadata["attributes"]
        assert {"trait_type": "Note", "value": "the pond at dawn"} in metadata["attributes"]

        # Hidden by a report, approved again, rejected, approved again: still one token.
        _, reporter = await api.hunter()
        await api.call(
            "POST", f"/v1/moments/{made['id']}/report", 202, headers=reporter, json={"reason": "x"}
        )
        await decide(api, made["id"], "approve")
        await decide(api, made["id"], "reject", "changed our minds")
        _, metadata = await api.call("GET", f"/v1/tokens/{token_id}", 200)
        assert "the pond at dawn" not in str(metadata)  # the token stays, its note goes
        await decide(api, made["id"], "approve")
        # Something else to mint, so that a second mint of the moment would have had its turn.
        other, _ = await signed_in_with_wallet(api)
        await episode.finder(other)
        await wait_until(lambda: _all_minted(api, other), what="the later find minted")
    finds = [*await _finds(api, author), *await _finds(api, other)]
    assert await transfers_from_zero(w3, collectible) == {finds[0]: 1, finds[1]: 1, token_id: 1}
    db = await asyncpg.connect(mint_settings.database_url)
    try:
        assert await db.fetchval("SELECT count(*) FROM moment_mints") == 1
    finally:
        await db.close()


async def _finds(api: Api, fan: Fan) -> list[int]:
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=fan.headers)
    return [f["id"] for f in finds]


async def _all_minted(api: Api, fan: Fan) -> bool:
    _, finds = await api.call("GET", "/v1/me/finds", 200, headers=fan.headers)
    return {f["mint"]["status"] for f in finds} == {"minted"}


async def test_a_walletless_authors_moment_waits_then_mints_after_a_siwe_link(
    mint_api: Api, mint_settings: Settings, w3: AsyncWeb3, collectible: str
) -> None:
    api = mint_api
    episode = await Episode.make(api)
    author = await episode.finder()  # a handle, no wallet
    _, made = await episode.moment(author)
    _, approved = await decide(api, made["id"], "approve")
    assert approved["mint"] == {"status": "awaiting_wallet"}
    async with worker_task(mint_settings):
        account = Account.create()
        await siwe(api, account, 200, headers=author.headers)
        await wait_until(lambda: minted(api, made["id"], author), what="the moment minted")
        await wait_until(lambda: _all_minted(api, author), what="the author's find minted")
    contract = token(w3, collectible)
    assert await contract.functions.ownerOf(approved["token_id"]).call() == account.address
    [find_id] = await _finds(api, author)
    assert await transfers_from_zero(w3, collectible) == {find_id: 1, approved["token_id"]: 1}


async def test_token_ids_of_moments_and_finds_never_meet(
    mint_api: Api, mint_settings: Settings, w3: AsyncWeb3, collectible: str
) -> None:
    """Finds and approvals racing, then minted side by side by one worker: every token is
    minted once, to its owner, and no moment's token id is a find's."""
    api = mint_api
    episode = await Episode.make(api, rules={"moments_per_hunter": 10})
    authors = [await signed_in_with_wallet(api) for _ in range(6)]
    for fan, _ in authors:
        await episode.finder(fan)
    made = [(await episode.moment(fan, title=f"m{i}"))[1] for i, (fan, _) in enumerate(authors)]
    finders = [await signed_in_with_wallet(api) for _ in range(6)]
    await asyncio.gather(
        *(decide(api, m["id"], "approve") for m in made),
        *(episode.finder(fan) for fan, _ in finders),
    )
    async with worker_task(mint_settings):
        for (fan, _), m in zip(authors, made, strict=True):
            await wait_until(lambda f=fan, i=m["id"]: minted(api, i, f), what="moments minted")
        for fan, _ in [*authors, *finders]:
            await wait_until(lambda f=fan: _all_minted(api, f), what="finds minted")
    find_ids = {i for fan, _ in [*authors, *finders] for i in await _finds(api, fan)}
    moment_tokens = {MOMENT_TOKENS + m["id"] for m in made}
    assert not find_ids & moment_tokens
    assert max(find_ids) < MOMENT_TOKENS < min(moment_tokens)
    minted_once = await transfers_from_zero(w3, collectible)
    assert minted_once == dict.fromkeys(find_ids | moment_tokens, 1)
    contract = token(w3, collectible)
    for (_, account), m in zip(authors, made, strict=True):
        owner = await contract.functions.ownerOf(MOMENT_TOKENS + m["id"]).call()
        assert owner == account.address

    # The database holds the line: a find cannot take an id from the moments' range.
    db = await asyncpg.connect(mint_settings.database_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await db.execute(
                "INSERT INTO finds (id, hunter_id, hunt_id, collectible_id, clue_id, found_at)"
                " SELECT $1, hunter_id, hunt_id, collectible_id, clue_id, now() FROM finds"
                " LIMIT 1",
                MOMENT_TOKENS + 1,
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await db.execute(
                "UPDATE moments SET token_id = $2 WHERE id = $1", made[0]["id"], min(find_ids)
            )
    finally:
        await db.close()


async def test_a_moments_token_minted_behind_the_queues_back_is_settled_by_owner_of(
    mint_api: Api,
    mint_settings: Settings,
    w3: AsyncWeb3,
    collectible: str,
    minter_account: tuple[str, str],
) -> None:
    """The moment's token exists already (as after a lost record): the batch carrying it and
    its author's find reverts; the worker reads ownerOf, marks the moment minted with the
    earlier transaction, and mints the find on its own."""
    api = mint_api
    episode = await Episode.make(api)
    author, account = await signed_in_with_wallet(api)
    await episode.finder(author)
    _, made = await episode.moment(author)
    _, approved = await decide(api, made["id"], "approve")
    token_id = approved["token_id"]
    contract = token(w3, collectible)
    receipt = await send_transaction(
        w3,
        minter_account[1],
        {"to": collectible, "data": contract.encode_abi("mint", args=[account.address, token_id])},
        what="a mint behind the queue's back",
    )
    early = receipt["transactionHash"].to_0x_hex()
    async with worker_task(mint_settings):
        await wait_until(lambda: minted(api, made["id"], author), what="the moment settled")
        await wait_until(lambda: _all_minted(api, author), what="the find minted")
    assert (await moment_of(api, made["id"], author))["mint"]["tx_hash"] == early
    [find_id] = await _finds(api, author)
    assert await transfers_from_zero(w3, collectible) == {find_id: 1, token_id: 1}
    db = await asyncpg.connect(mint_settings.database_url)
    try:
        assert await db.fetchval("SELECT count(*) FROM mint_batches WHERE status = 'reverted'") == 1
    finally:
        await db.close()
