"""The mint calldata the worker lays out by hand is what the ABI encoder gives."""

from __future__ import annotations

from eth_abi.abi import encode
from hypothesis import given
from hypothesis import strategies as st

from chain.jobs import Job
from chain.minter import MINT_BATCH_SELECTOR, MINT_SELECTOR, call_data

wallets = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
jobs = st.lists(
    st.builds(Job, st.integers(min_value=0, max_value=2**256 - 1), wallets, st.just(0)),
    min_size=1,
    max_size=120,
)


@given(jobs)
def test_call_data_matches_the_abi_encoding(batch: list[Job]) -> None:
    addresses = [bytes.fromhex(j.wallet[2:]) for j in batch]
    ids = [j.token_id for j in batch]
    if len(batch) == 1:
        expected = MINT_SELECTOR + encode(["address", "uint256"], [addresses[0], ids[0]])
    else:
        expected = MINT_BATCH_SELECTOR + encode(["address[]", "uint256[]"], [addresses, ids])
    assert call_data(batch) == expected
