"""Fans holding minted tokens without a chain, for the read side of swaps: each find's mint job
marked minted (as the worker records it), a transfer recorded as the Transfer follower does, and
a hunt's leaderboard crowded with others ahead. What the database says is all these reads use."""

from __future__ import annotations

from typing import Any

import asyncpg
from eth_account import Account

from tests.support.api import Api, bearer
from tests.support.builders import TIMES_SQUARE, Hunt, at
from tests.support.identity import siwe

CHAIN_ID = 31337
CONTRACT = "0x" + "c0" * 20


async def wallet_fan(api: Api) -> tuple[int, str, dict[str, str]]:
    """A hunter signed in with Ethereum: (hunter id, lower-case wallet, headers)."""
    account = Account.create()
    body = await siwe(api, account, 200)
    return body["hunter_id"], account.address.lower(), bearer(body["token"])


async def find(hunt: Hunt, headers: dict[str, str], clue: dict[str, Any]) -> int:
    """A find of `clue`'s collectible, scanned where its billboard is; the find's id."""
    _, body = await hunt.api.call(
        "POST",
        "/v1/scans",
        201,
        headers=headers,
        json={"code": hunt.code(clue), **at(TIMES_SQUARE)},
    )
    return int(body["find"]["id"])


async def _execute(api: Api, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(api.settings.database_url)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def mark_minted(api: Api, find_ids: list[int]) -> None:
    """These finds' tokens minted to the wallets their mint jobs name."""
    await _execute(
        api,
        "UPDATE mint_jobs SET status = 'minted', contract = $2, chain_id = $3, minted_at = now()"
        " WHERE find_id = ANY($1::bigint[])",
        find_ids,
        CONTRACT,
        CHAIN_ID,
    )


async def transferred(api: Api, token_id: int, owner: str) -> None:
    """Token `token_id` now held by `owner`, as the Transfer follower records it."""
    await _execute(
        api,
        "INSERT INTO token_holders (chain_id, contract, token_id, owner, transfers, block_number)"
        " VALUES ($1, $2, $3, $4, 1, 1) ON CONFLICT (chain_id, contract, token_id)"
        " DO UPDATE SET owner = EXCLUDED.owner, transfers = token_holders.transfers + 1",
        CHAIN_ID,
        CONTRACT,
        token_id,
        owner.lower(),
    )


async def crowd_leaderboard(api: Api, slug: str, ahead: int) -> None:
    """`ahead` new hunters with scores in hunt `slug` above any real one's."""
    await _execute(
        api,
        "WITH new AS (INSERT INTO hunters (handle) SELECT NULL FROM generate_series(1, $2)"
        " RETURNING id)"
        " INSERT INTO hunt_scores (hunt_id, hunter_id, score, reached_at)"
        " SELECT (SELECT id FROM hunts WHERE slug = $1), id, 1000, now() FROM new",
        slug,
        ahead,
    )


async def discoverable(api: Api, headers: dict[str, str], on: bool) -> None:
    """The fan opts in to taste twins (or out)."""
    await api.call("PUT", "/v1/me/privacy", 200, headers=headers, json={"discoverable": on})
