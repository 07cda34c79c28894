"""Swaps as the tests need them: an offer signed as a wallet signs it (`eth_signTypedData_v4`
of hunt_engine's EIP-712 document, through eth_account), the offer as the contract's ABI takes
it, a contract wallet (ERC-1271) compiled from tests/support/MockWallet.sol with the
repository's own solc-js, what the chain says about a swap; and fans signed in with Ethereum
holding minted tokens, making offers through the API."""

from __future__ import annotations

import functools
import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import AsyncWeb3
from web3.types import TxReceipt

from chain.artifact import load_artifact
from chain.client import send_transaction
from hunt_engine.swaps import Offer, typed_data
from infra.settings import Settings
from server.app import create_app
from server.http.auth import Role
from tests.support.api import Api, bearer
from tests.support.identity import siwe
from tests.support.minting import chain_settings

REPO = Path(__file__).resolve().parents[2]
MOCK_WALLET = Path(__file__).with_name("MockWallet.sol")
SWAPPED_TOPIC = AsyncWeb3.keccak(
    text="Swapped(bytes32,address,address,uint256,uint256)"
).to_0x_hex()


def sign_typed(document: dict[str, Any], key: Any) -> bytes:
    """What `eth_signTypedData_v4` answers for this document and key: r, s, v (27 or 28)."""
    signed = Account.sign_message(encode_typed_data(full_message=document), key)
    return bytes(signed.signature)


def sign_offer(offer: Offer, chain_id: int, contract: str, key: Any) -> bytes:
    return sign_typed(typed_data(offer, chain_id, contract), key)


def offer_args(offer: Offer) -> tuple[str, str, int, int, int, int]:
    """The offer as the contract's `Offer` struct (a tuple, checksummed addresses)."""
    return (
        AsyncWeb3.to_checksum_address(offer.maker),
        AsyncWeb3.to_checksum_address(offer.taker),
        offer.give_id,
        offer.want_id,
        offer.deadline,
        offer.nonce,
    )


def high_s(signature: bytes) -> bytes:
    """The malleated twin of a valid signature: s -> n - s, v flipped. ecrecover takes it."""
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(signature[32:64], "big")
    v = 55 - signature[64]  # 27 <-> 28
    return signature[:32] + (n - s).to_bytes(32, "big") + bytes([v])


def compact(signature: bytes) -> bytes:
    """The EIP-2098 compact form (r, yParity and s in 64 bytes) of a signature."""
    vs = int.from_bytes(signature[32:64], "big") | ((signature[64] - 27) << 255)
    return signature[:32] + vs.to_bytes(32, "big")


@functools.cache
def mock_wallet_artifact() -> dict[str, Any]:
    """MockWallet compiled by chain/compile.mjs (the collectible's settings), once a session."""
    done = subprocess.run(
        ["node", str(REPO / "chain" / "compile.mjs"), "--contract", str(MOCK_WALLET), "MockWallet"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert done.returncode == 0, f"MockWallet did not compile (npm ci?):\n{done.stderr}"
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def deploy_mock_wallet(w3: AsyncWeb3, deployer_key: str, owner: str) -> str:
    """A contract wallet whose ERC-1271 signatures are `owner`'s; its checksum address."""
    artifact = mock_wallet_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    constructor = factory.constructor(AsyncWeb3.to_checksum_address(owner))
    receipt = await send_transaction(
        w3, deployer_key, {"data": constructor.data_in_transaction}, what="deploying MockWallet"
    )
    return AsyncWeb3.to_checksum_address(receipt["contractAddress"])


def mock_wallet(w3: AsyncWeb3, address: str) -> Any:
    return w3.eth.contract(address=address, abi=mock_wallet_artifact()["abi"])


def token_contract(w3: AsyncWeb3, address: str) -> Any:
    """The GeohuntCollectible at `address` (its whole ABI)."""
    return w3.eth.contract(address=AsyncWeb3.to_checksum_address(address), abi=load_artifact().abi)


async def call(w3: AsyncWeb3, key: str, address: str, function: str, *args: Any) -> TxReceipt:
    """`function(*args)` of the collectible at `address`, signed with `key`, mined."""
    data = token_contract(w3, address).encode_abi(function, args=list(args))
    return await send_transaction(w3, key, {"to": address, "data": data}, what=function)


async def swap_transactions(w3: AsyncWeb3, contract: str, offer_hash: str) -> list[str]:
    """The hashes of every transaction that emitted `Swapped` for this offer."""
    logs = await w3.eth.get_logs(
        {
            "address": AsyncWeb3.to_checksum_address(contract),
            "fromBlock": 0,
            "toBlock": "latest",
            "topics": [SWAPPED_TOPIC, offer_hash],
        }
    )
    return [log["transactionHash"].to_0x_hex() for log in logs]


async def transactions_to(w3: AsyncWeb3, contract: str, selector: bytes) -> list[str]:
    """Every mined transaction to `contract` whose calldata begins with `selector`, reverted or
    not: what a relayer sent, counted from the blocks themselves."""
    found = []
    target = contract.lower()
    for number in range(int(await w3.eth.block_number) + 1):
        block = await w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if (tx.get("to") or "").lower() == target and bytes(tx["input"])[:4] == selector:
                found.append(tx["hash"].to_0x_hex())
    return found


# -- fans with tokens, through the API -------------------------------------------------------


@dataclass
class Fan:
    """A hunter signed in with Ethereum (or, for a contract wallet, given one directly)."""

    account: Any  # the key that signs: the wallet's own, or a contract wallet's owner
    wallet: str  # lower-case
    hunter_id: int
    headers: dict[str, str]

    def sign(self, swap: dict[str, Any]) -> str:
        """What the fan's wallet answers to eth_signTypedData_v4 of the swap's typed_data."""
        return "0x" + sign_typed(swap["typed_data"], self.account.key).hex()


async def siwe_fan(api: Api) -> Fan:
    account = Account.create()
    body = await siwe(api, account, 200)
    return Fan(account, account.address.lower(), body["hunter_id"], bearer(body["token"]))


async def contract_wallet_fan(api: Api, database_url: str, wallet: str, owner: Any) -> Fan:
    """A hunter whose wallet is a contract wallet (ERC-1271) that `owner` signs for."""
    conn = await asyncpg.connect(database_url)
    try:
        hunter_id = await conn.fetchval(
            "INSERT INTO hunters (wallet) VALUES ($1) RETURNING id", wallet.lower()
        )
    finally:
        await conn.close()
    return Fan(owner, wallet.lower(), hunter_id, api.auth(Role.HUNTER, str(hunter_id)))


async def give_tokens(
    database_url: str, w3: AsyncWeb3, minter_key: str, contract: str, wallets: list[str]
) -> list[int]:
    """One find for each wallet's hunter, each of a collectible of its own in one new hunt,
    minted on chain to that wallet at once (no worker; its mint job is marked minted); the
    token ids."""
    conn = await asyncpg.connect(database_url)
    try:
        slug = "swap-" + uuid.uuid4().hex[:8]
        hunt = await conn.fetchval(
            "INSERT INTO hunts (slug, name, starts_at, ends_at, created_by) VALUES ($1,"
            " 'Swap test', now() - interval '1 day', now() + interval '1 day', 'test')"
            " RETURNING id",
            slug,
        )
        tokens = []
        for n, wallet in enumerate(wallets):
            hunter = await conn.fetchval("SELECT id FROM hunters WHERE wallet = $1", wallet.lower())
            collectible = await conn.fetchval(
                "INSERT INTO collectibles (hunt_id, key, name, image_url) VALUES ($1, $2, $3,"
                " 'https://img.test/x.png') RETURNING id",
                hunt,
                f"episode-{n}",
                f"Episode {n}",
            )
            clue = await conn.fetchval(
                "INSERT INTO clues (hunt_id, collectible_id, kind, label, created_by)"
                " VALUES ($1, $2, 'social', 'Post', 'test') RETURNING id",
                hunt,
                collectible,
            )
            answer = await conn.fetchrow(
                "SELECT * FROM claim_find($1, (SELECT finds_version FROM hunters WHERE id = $1),"
                " $2, $3, $4, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
                hunter,
                hunt,
                collectible,
                clue,
            )
            assert answer["verdict"] == "accepted", answer
            tokens.append(int(answer["find_id"]))
    finally:
        await conn.close()
    chain_id = int(await w3.eth.chain_id)
    for token_id, wallet in zip(tokens, wallets, strict=True):
        receipt = await call(
            w3, minter_key, contract, "mint", AsyncWeb3.to_checksum_address(wallet), token_id
        )
        # The find's mint job says so too, so that a worker does not mint it again.
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "UPDATE mint_jobs SET status = 'minted', tx_hash = $2, contract = $3,"
                " chain_id = $4, minted_at = now() WHERE find_id = $1",
                token_id,
                receipt["transactionHash"].to_0x_hex(),
                contract,
                chain_id,
            )
        finally:
            await conn.close()
    return tokens


async def offer(api: Api, maker: Fan, give: int, want: int, **extra: Any) -> dict[str, Any]:
    """A swap made by `maker` and signed by it: open."""
    _, made = await api.call(
        "POST",
        "/v1/swaps",
        201,
        headers=maker.headers,
        json={"give_token_id": give, "want_token_id": want, **extra},
    )
    _, signed = await api.call(
        "POST",
        f"/v1/swaps/{made['id']}/signature",
        200,
        headers=maker.headers,
        json={"signature": maker.sign(made)},
    )
    assert signed["status"] == "open", signed
    return signed  # type: ignore[no-any-return]


async def swaps_app(
    aiohttp_client: Any,
    settings: Settings,
    database_url: str,
    rpc_url: str,
    contract: str,
    key: str,
) -> Api:
    """The app on `database_url`, reading the chain at `rpc_url` for the collectible at
    `contract` (whose minter key is `key`)."""
    configured = chain_settings(settings, database_url, rpc_url, contract, key)
    return Api(await aiohttp_client(create_app(configured)), configured)


async def swap_row(database_url: str, swap_id: int) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT * FROM swaps WHERE id = $1", swap_id)
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


async def swap_ledger(database_url: str, swap_id: int) -> list[tuple[str, str]]:
    """Every batch (status) and transaction (hash) the worker ever stored for this swap."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT b.status, t.hash FROM mint_batches b JOIN mint_txs t ON t.batch_id = b.id"
            " WHERE b.swap_id = $1 ORDER BY t.signed_at",
            swap_id,
        )
    finally:
        await conn.close()
    return [(r["status"], r["hash"]) for r in rows]


async def accept(api: Api, taker: Fan, swap: dict[str, Any]) -> dict[str, Any]:
    _, accepted = await api.call(
        "POST",
        f"/v1/swaps/{swap['id']}/signature",
        200,
        headers=taker.headers,
        json={"signature": taker.sign(swap)},
    )
    assert accepted["status"] == "accepted", accepted
    return accepted  # type: ignore[no-any-return]
