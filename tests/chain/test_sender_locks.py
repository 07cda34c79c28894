"""The sender lock of each minting key (chain/worker.py): one id per key, and keys whose ids
collide refused before any of them sends."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from chain.anvil import DEV_ACCOUNTS
from chain.worker import run_senders, sender_lock_key
from infra.settings import MintSettings, SettingsError

# Two addresses whose lower-case text has the same CRC-32, found by search.
COLLIDING = (
    "0x53574d8bdc44c6035e38bacef32fc84f185b48a0",
    "0x0ef01a95412f9d3c159c078f90447a2176f581e4",
)


class Keyed:
    """What run_senders reads of a minter before it starts one: its address."""

    def __init__(self, address: str) -> None:
        self.address = address


def test_a_keys_lock_id_ignores_the_address_case_and_fits_a_signed_int() -> None:
    for address, _ in DEV_ACCOUNTS:
        key = sender_lock_key(address)
        assert key == sender_lock_key(address.lower()) and -(2**31) <= key < 2**31
    assert len({sender_lock_key(address) for address, _ in DEV_ACCOUNTS}) == len(DEV_ACCOUNTS)


async def test_keys_whose_lock_ids_collide_are_refused_before_sending() -> None:
    assert sender_lock_key(COLLIDING[0]) == sender_lock_key(COLLIDING[1])
    minters = cast(Any, [Keyed(address) for address in COLLIDING])
    # Neither pool nor database is touched: the check comes first.
    with pytest.raises(SettingsError, match="share a sender lock"):
        await run_senders(MintSettings(), cast(Any, None), "", minters, asyncio.Event())
