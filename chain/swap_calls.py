"""The contract's `swap` as the worker calls it: its calldata, and its refusals named as the
offer book names them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3
from web3.exceptions import ContractLogicError

from chain.artifact import load_artifact
from chain.jobs import SwapJob
from hunt_engine.swaps import EXPIRED, TOKEN_MOVED

OFFER_TUPLE = "(address,address,uint256,uint256,uint256,uint256)"
SWAP_SELECTOR = function_signature_to_4byte_selector(f"swap({OFFER_TUPLE},bytes,bytes)")
# Every swap is signed with this gas (and simulated with it before): a swap between two accounts
# costs ~96k (the contract tests report it), a contract wallet's ERC-1271 check and receipt
# hook more; three times the common case leaves them room, and a swap that needs more still is
# refused in simulation (`out of gas`) rather than sent. Only the gas used is paid.
SWAP_GAS_ALLOWANCE = 300_000
OUT_OF_GAS = "out of gas"
SWAPPED_TOPIC = AsyncWeb3.keccak(
    text="Swapped(bytes32,address,address,uint256,uint256)"
).to_0x_hex()
# The contract's refusals that have a name of their own in the offer book.
SWAP_ERRORS = {"TokenNotHeld": TOKEN_MOVED, "OfferExpired": EXPIRED}


def swap_call_data(job: SwapJob) -> bytes:
    """The calldata of `swap(offer, makerSignature, takerSignature)`."""
    offer = job.offer
    struct = (
        to_checksum_address(offer.maker),
        to_checksum_address(offer.taker),
        offer.give_id,
        offer.want_id,
        offer.deadline,
        offer.nonce,
    )
    return SWAP_SELECTOR + encode(
        [OFFER_TUPLE, "bytes", "bytes"], [struct, job.maker_signature, job.taker_signature]
    )


def out_of_gas(message: str) -> bool:
    """Whether a node's error says the call ran out of gas (geth: `out of gas`; anvil:
    `EVM error OutOfGas`, `... ReentrancySentryOOG`)."""
    return re.search(r"out ?of ?gas|oog\b", message.lower()) is not None


def refusal(exc: ContractLogicError) -> str:
    """The offer book's name for the contract's refusal: `token_moved`, `expired`, or the
    custom error as the contract names it (e.g. `OfferNonceStale(0, 1)`)."""
    return _named(exc.data if isinstance(exc.data, str) else None, exc.message or str(exc))


def refusal_in(error: Mapping[str, Any]) -> str | None:
    """The offer book's name for a node's error answer to a swap's `eth_call` when it says the
    swap would revert or run out of gas (as `refusal` names web3's ContractLogicError); None
    for any other error."""
    message = str(error.get("message") or "")
    data = error.get("data")
    if out_of_gas(message):
        return OUT_OF_GAS
    if error.get("code") != 3 and "revert" not in message.lower():
        return None
    return _named(data if isinstance(data, str) else None, message)


def _named(data: str | None, message: str) -> str:
    error = load_artifact().decode_error(data)
    if error is None:
        return (message or "reverted")[:200]
    return SWAP_ERRORS.get(error.name, str(error))
