"""The mint calldata the worker lays out by hand is what the ABI encoder gives; a node's error
answer to a swap's simulation is named as the offer book names it, or not taken for a refusal."""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector
from hypothesis import given
from hypothesis import strategies as st

from chain.jobs import Job
from chain.mint_calls import MINT_BATCH_SELECTOR, MINT_SELECTOR, call_data
from chain.swap_calls import OUT_OF_GAS, refusal_in

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


TOKEN_NOT_HELD = (
    "0x"
    + (
        function_signature_to_4byte_selector("TokenNotHeld(uint256,address,address)")
        + encode(["uint256", "address", "address"], [7, "0x" + "11" * 20, "0x" + "22" * 20])
    ).hex()
)


def test_a_simulated_swap_that_reverts_or_runs_out_of_gas_is_a_refusal_and_nothing_else_is() -> (
    None
):
    # anvil and geth: a custom error (code 3, its data), a revert with no data, out of gas.
    reverted = {"code": 3, "message": "execution reverted: custom error", "data": TOKEN_NOT_HELD}
    assert refusal_in(reverted) == "token_moved"
    assert refusal_in({"code": -32000, "message": "execution reverted"}) == "execution reverted"
    assert refusal_in({"code": -32603, "message": "EVM error ReentrancySentryOOG"}) == OUT_OF_GAS
    assert refusal_in({"code": -32000, "message": "out of gas"}) == OUT_OF_GAS
    # The node's own trouble is no verdict on the swap.
    assert refusal_in({"code": -32005, "message": "limit exceeded"}) is None
    assert refusal_in({"code": -32000, "message": "header not found"}) is None
