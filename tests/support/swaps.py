"""Swaps on chain as the tests need them: an offer signed as a wallet signs it
(`eth_signTypedData_v4` of hunt_engine's EIP-712 document, through eth_account), the offer as
the contract's ABI takes it, a contract wallet (ERC-1271) compiled from tests/support/MockWallet.sol
with the repository's own solc-js, and what the chain says about a swap."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import AsyncWeb3
from web3.types import TxReceipt

from chain.artifact import load_artifact
from chain.client import send_transaction
from hunt_engine.swaps import Offer, typed_data

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
