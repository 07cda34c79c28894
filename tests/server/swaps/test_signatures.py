"""The offer's digest and signer as the server computes them by hand are eth_account's, byte for
byte, for any offer, domain and signature: eth_account's typed-data digest is the contract's
(tests/chain/test_swap_contract.py), so these are too. And `checked` keeps its answers."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys.exceptions import BadSignature as KeysBadSignature
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from hunt_engine.errors import BadSignature
from hunt_engine.swaps import (
    HALF_N,
    MAX_TOKEN_ID,
    SECP256K1_N,
    Offer,
    account_signature,
    typed_data,
)
from server.swaps.signatures import (
    checked,
    digest,
    domain_separator,
    offer_hash,
    signer_of,
    struct_hash,
)

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
offers = st.builds(
    Offer,
    addresses,
    addresses,
    st.integers(1, MAX_TOKEN_ID),
    st.integers(1, MAX_TOKEN_ID),
    st.integers(0, 2**64),
    st.integers(0, 2**256 - 1),
)
chain_ids = st.integers(1, 2**64)
keys = st.binary(min_size=32, max_size=32).filter(
    lambda k: 0 < int.from_bytes(k, "big") < SECP256K1_N
)


def _message(offer: Offer, chain_id: int, contract: str) -> SignableMessage:
    return encode_typed_data(full_message=typed_data(offer, chain_id, contract))


def _eth_account_digest(message: SignableMessage) -> bytes:
    return keccak(b"\x19" + message.version + message.header + message.body)


@given(offers, chain_ids, addresses)
def test_the_digest_is_eth_accounts_typed_data_digest(
    offer: Offer, chain_id: int, contract: str
) -> None:
    message = _message(offer, chain_id, contract)

    assert domain_separator(chain_id, contract) == message.header
    assert struct_hash(offer) == message.body
    assert offer_hash(offer) == "0x" + message.body.hex()
    assert digest(offer, chain_id, contract) == _eth_account_digest(message)
    # The contract's address is read in any case, as eth_account reads it.
    assert digest(offer, chain_id, contract.upper().replace("0X", "0x")) == digest(
        offer, chain_id, contract
    )


@given(offers, chain_ids, addresses, keys)
def test_a_wallets_signature_recovers_to_the_signer_as_eth_account_recovers_it(
    offer: Offer, chain_id: int, contract: str, key: bytes
) -> None:
    message = _message(offer, chain_id, contract)
    signed = bytes(Account.sign_message(message, key).signature)
    canonical = account_signature(signed)

    signer = signer_of(digest(offer, chain_id, contract), canonical)

    assert signer == Account.from_key(key).address.lower()
    assert signer == Account.recover_message(message, signature=canonical).lower()


@given(
    st.binary(min_size=32, max_size=32),
    st.integers(1, SECP256K1_N - 1),
    st.integers(1, HALF_N),
    st.sampled_from([27, 28]),
)
def test_any_canonical_signature_recovers_as_eth_account_recovers_it(
    signed: bytes, r: int, s: int, v: int
) -> None:
    canonical = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])
    try:
        expected: str | None = Account._recover_hash(signed, signature=canonical).lower()
    except KeysBadSignature:  # r is no point's x
        expected = None

    assert signer_of(signed, canonical) == expected


def test_an_r_that_is_no_points_x_recovers_to_no_one() -> None:
    canonical = (5).to_bytes(32, "big") + (1).to_bytes(32, "big") + bytes([27])

    assert signer_of(bytes(32), canonical) is None


OFFER = Offer("0x" + "aa" * 20, "0x" + "bb" * 20, 1, 2, 10**9, 0)
CONTRACT = "0x" + "cc" * 20


async def test_checked_keeps_a_wallets_signature_in_its_canonical_form_and_refuses_others() -> None:
    key = bytes(31) + b"\x07"
    party = Account.from_key(key).address
    signed = bytes(Account.sign_message(_message(OFFER, 31337, CONTRACT), key).signature)
    with_v_0_or_1 = signed[:64] + bytes([signed[64] - 27])

    assert await checked(OFFER, 31337, CONTRACT, party.lower(), with_v_0_or_1, None) == signed
    assert await checked(OFFER, 31337, CONTRACT, party, signed, None) == signed
    with pytest.raises(BadSignature, match="not the offer's, signed by"):
        await checked(OFFER, 31337, CONTRACT, "0x" + "dd" * 20, signed, None)
    with pytest.raises(BadSignature, match="not the offer's, signed by"):  # another chain's
        await checked(OFFER, 1, CONTRACT, party.lower(), signed, None)
    high_s = signed[:32] + (SECP256K1_N - int.from_bytes(signed[32:64], "big")).to_bytes(32, "big")
    with pytest.raises(BadSignature, match="lower half"):
        await checked(
            OFFER, 31337, CONTRACT, party.lower(), high_s + bytes([55 - signed[64]]), None
        )
