"""Deploying the collectible contract, handing out its minter role (to every minting key) and
its admin role, and funding keys on a dev chain."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3
from web3.types import RPCEndpoint

from chain.artifact import load_artifact
from chain.client import TransactionReverted, send_transaction


async def deploy_collectible(
    w3: AsyncWeb3[Any],
    deployer_key: str,
    *,
    base_uri: str,
    minter: str,
    admin: str | None = None,
    name: str = "geohunt collectibles",
    symbol: str = "GEOHUNT",
) -> str:
    """Deploys GeohuntCollectible (admin defaults to the deployer) and returns its checksum
    address once the deployment is mined; TransactionReverted if the constructor reverts."""
    artifact = load_artifact()
    deployer = Account.from_key(deployer_key).address
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    constructor = factory.constructor(
        name,
        symbol,
        base_uri,
        to_checksum_address(admin or deployer),
        to_checksum_address(minter),
    )
    receipt = await send_transaction(
        w3,
        deployer_key,
        {"data": constructor.data_in_transaction},
        what="deploying GeohuntCollectible",
    )
    address = receipt.get("contractAddress")
    if not address:
        raise TransactionReverted("deploying GeohuntCollectible created no contract")
    return to_checksum_address(address)


async def grant_minter(
    w3: AsyncWeb3[Any], admin_key: str, contract_address: str, minter: str
) -> None:
    """Gives `minter` MINTER_ROLE; `admin_key` must hold DEFAULT_ADMIN_ROLE."""
    contract = w3.eth.contract(
        address=to_checksum_address(contract_address), abi=load_artifact().abi
    )
    role = await contract.functions.MINTER_ROLE().call()
    data = contract.encode_abi("grantRole", args=[role, to_checksum_address(minter)])
    await send_transaction(
        w3,
        admin_key,
        {"to": contract.address, "data": data},
        what=f"granting MINTER_ROLE to {minter}",
    )


async def hand_over_admin(
    w3: AsyncWeb3[Any], admin_key: str, contract_address: str, new_admin: str
) -> None:
    """Moves DEFAULT_ADMIN_ROLE from the holder of `admin_key` to `new_admin`: granted first,
    then renounced, so the contract is never without an admin."""
    contract = w3.eth.contract(
        address=to_checksum_address(contract_address), abi=load_artifact().abi
    )
    role = await contract.functions.DEFAULT_ADMIN_ROLE().call()
    old = Account.from_key(admin_key).address
    for call, args, what in (
        ("grantRole", [role, to_checksum_address(new_admin)], f"granting admin to {new_admin}"),
        ("renounceRole", [role, old], f"renouncing admin of {old}"),
    ):
        data = contract.encode_abi(call, args=args)
        await send_transaction(w3, admin_key, {"to": contract.address, "data": data}, what=what)


async def fund_on_dev_chain(w3: AsyncWeb3[Any], address: str, wei: int) -> bool:
    """Gives `address` a balance of `wei` if it has none, with anvil's `anvil_setBalance` (a dev
    node's method: no other node has it, so this can never move real funds); whether it did."""
    checksum = to_checksum_address(address)
    if await w3.eth.get_balance(checksum) > 0:
        return False
    answer = await w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [checksum, hex(wei)])
    if "error" in answer:
        raise RuntimeError(f"cannot fund {checksum} on this node: {answer['error']}")
    return True
