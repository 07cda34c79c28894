"""Swaps' pure rules: offers (tokens, parties, life, deadline), the EIP-712 document, the one
form of an account's signature the chain takes, the status machine, and what a swap whose
transaction did not succeed came to."""

from __future__ import annotations

import json

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from hypothesis import given
from hypothesis import strategies as st

from hunt_engine.errors import BadSignature, Conflict, InvalidRequest
from hunt_engine.swaps import (
    BEFORE_ACCEPTANCE,
    DEFAULT_EXPIRES_S,
    HALF_N,
    MAX_EXPIRES_S,
    MAX_TOKEN_ID,
    MIN_EXPIRES_S,
    SECP256K1_N,
    TERMINAL,
    UNSENT,
    Event,
    Offer,
    Status,
    SwapClosed,
    account_signature,
    error_of,
    make_offer,
    parse_signature,
    settle,
    transition,
    typed_data,
)

MAKER = "0x" + "aa" * 20
TAKER = "0x" + "bb" * 20
OTHER = "0x" + "cc" * 20
CONTRACT = "0x" + "dd" * 20

token_ids = st.integers(1, MAX_TOKEN_ID)
lives = st.integers(MIN_EXPIRES_S, MAX_EXPIRES_S)
statuses = st.sampled_from(list(Status))
events = st.sampled_from(list(Event))


# -- offers ---------------------------------------------------------------------------------


@given(token_ids, token_ids, st.floats(0, 2e9, allow_nan=False), lives | st.none())
def test_an_offer_lives_at_least_as_long_as_asked_in_whole_seconds(
    give: int, want: int, now: float, life: int | None
) -> None:
    if give == want:
        with pytest.raises(Conflict):
            make_offer(MAKER, TAKER, give, want, now, life, 0)
        return
    offer = make_offer(MAKER.upper().replace("0X", "0x"), TAKER, give, want, now, life, 3)
    asked = DEFAULT_EXPIRES_S if life is None else life
    assert now + asked <= offer.deadline < now + asked + 1
    assert (offer.maker, offer.taker, offer.give_id, offer.want_id, offer.nonce) == (
        MAKER,
        TAKER,
        give,
        want,
        3,
    )


@given(st.integers(-(2**64), 2**64).filter(lambda n: not 1 <= n <= MAX_TOKEN_ID))
def test_token_ids_outside_bigint_are_refused(token_id: int) -> None:
    with pytest.raises(InvalidRequest):
        make_offer(MAKER, TAKER, token_id, 5, 0, None, 0)
    with pytest.raises(InvalidRequest):
        make_offer(MAKER, TAKER, 5, token_id, 0, None, 0)


@given(st.integers(-(10**9), 10**9).filter(lambda n: not MIN_EXPIRES_S <= n <= MAX_EXPIRES_S))
def test_a_life_outside_a_minute_to_a_week_is_refused(life: int) -> None:
    with pytest.raises(InvalidRequest):
        make_offer(MAKER, TAKER, 1, 2, 0, life, 0)


def test_one_party_on_both_sides_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        make_offer(MAKER, MAKER.upper().replace("0X", "0x"), 1, 2, 0, None, 0)


@given(token_ids, token_ids, st.integers(1, 2**40), st.integers(0, 2**255))
def test_the_document_is_json_with_every_uint_as_a_decimal_string(
    give: int, want: int, deadline: int, nonce: int
) -> None:
    document = typed_data(Offer(MAKER, TAKER, give, want, deadline, nonce), 31337, CONTRACT)
    again = json.loads(json.dumps(document))
    assert again == document
    assert again["message"] == {
        "maker": MAKER,
        "taker": TAKER,
        "giveId": str(give),
        "wantId": str(want),
        "deadline": str(deadline),
        "nonce": str(nonce),
    }
    # eth_account reads it (the digest is the contract's: tests/chain/test_swap_contract.py).
    encode_typed_data(full_message=again)


# -- signatures -----------------------------------------------------------------------------


def _signature(key: bytes, v_offset: int = 27) -> bytes:
    document = typed_data(Offer(MAKER, TAKER, 1, 2, 10**9, 0), 31337, CONTRACT)
    signed = Account.sign_message(encode_typed_data(full_message=document), key)
    raw = bytes(signed.signature)
    return raw[:64] + bytes([raw[64] - 27 + v_offset])


@given(
    st.binary(min_size=32, max_size=32).filter(lambda k: 0 < int.from_bytes(k, "big") < SECP256K1_N)
)
def test_a_wallets_signature_is_kept_as_it_is_and_v_0_or_1_is_read_as_27_or_28(
    key: bytes,
) -> None:
    usual = _signature(key)
    assert account_signature(usual) == usual
    assert account_signature(_signature(key, v_offset=0)) == usual


@given(
    st.binary(min_size=32, max_size=32).filter(lambda k: 0 < int.from_bytes(k, "big") < SECP256K1_N)
)
def test_the_high_s_twin_and_the_compact_form_are_refused(key: bytes) -> None:
    usual = _signature(key)
    s = int.from_bytes(usual[32:64], "big")
    twin = usual[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - usual[64]])
    with pytest.raises(BadSignature):
        account_signature(twin)
    with pytest.raises(BadSignature):
        account_signature(usual[:64])


@given(st.binary(min_size=65, max_size=65))
def test_any_65_bytes_are_either_canonical_or_refused(raw: bytes) -> None:
    try:
        kept = account_signature(raw)
    except BadSignature:
        r, s, v = int.from_bytes(raw[:32]), int.from_bytes(raw[32:64]), raw[64]
        assert not (0 < r < SECP256K1_N and 0 < s <= HALF_N and v in (0, 1, 27, 28))
        return
    assert kept[:64] == raw[:64] and kept[64] in (27, 28)
    assert int.from_bytes(kept[32:64]) <= HALF_N


@given(st.binary(min_size=1, max_size=2048))
def test_hex_signatures_parse_to_their_bytes(raw: bytes) -> None:
    assert parse_signature("0x" + raw.hex()) == raw
    assert parse_signature("0x" + raw.hex().upper()) == raw


@pytest.mark.parametrize("text", ["", "0x", "0x1", "1234", "0xzz", "0x" + "00" * 2049])
def test_anything_else_is_not_a_signature(text: str) -> None:
    with pytest.raises(BadSignature):
        parse_signature(text)


# -- the status machine ---------------------------------------------------------------------


@given(statuses, events)
def test_a_terminal_swap_never_moves(status: Status, event: Event) -> None:
    if status in TERMINAL:
        with pytest.raises(SwapClosed):
            transition(status, event)


@given(st.lists(events, max_size=12))
def test_any_sequence_of_events_keeps_a_swap_in_a_status_it_can_reach(
    sequence: list[Event],
) -> None:
    status = Status.AWAITING_MAKER_SIGNATURE
    seen = [status]
    for event in sequence:
        try:
            status = transition(status, event)
        except SwapClosed:
            continue
        seen.append(status)
    # Signatures come in order; nothing is sent before both; a swap completes only once sent.
    for before, after in zip(seen, seen[1:], strict=False):
        if after is Status.OPEN:
            assert before is Status.AWAITING_MAKER_SIGNATURE
        if after is Status.SUBMITTED:
            assert before is Status.ACCEPTED
        if after is Status.COMPLETED:
            assert before is Status.SUBMITTED
        if after in (Status.CANCELLED, Status.DECLINED, Status.EXPIRED):
            assert before in BEFORE_ACCEPTANCE
    assert seen.count(Status.COMPLETED) <= 1


@given(statuses, events)
def test_fans_only_change_a_swap_before_it_is_accepted(status: Status, event: Event) -> None:
    if event not in (Event.MAKER_SIGNED, Event.TAKER_SIGNED, Event.CANCELLED, Event.DECLINED):
        return
    try:
        transition(status, event)
    except SwapClosed:
        return
    assert status in BEFORE_ACCEPTANCE


@given(statuses)
def test_the_deadline_and_a_moved_token_close_only_unsent_swaps(status: Status) -> None:
    for event in (Event.DEADLINE, Event.TOKEN_MOVED):
        if status in UNSENT:
            after = transition(status, event)
            assert after in TERMINAL
        else:
            with pytest.raises(SwapClosed):
                transition(status, event)


def test_errors_name_why_a_swap_failed_before_it_was_sent() -> None:
    assert error_of(Status.ACCEPTED, Event.DEADLINE) == "expired"
    assert error_of(Status.OPEN, Event.DEADLINE) is None  # plainly expired
    assert error_of(Status.OPEN, Event.TOKEN_MOVED) == "token_moved"
    assert error_of(Status.SUBMITTED, Event.FAILED) is None  # the chain's reason


# -- settling after a revert ----------------------------------------------------------------

owners = st.sampled_from([MAKER, TAKER, OTHER, None])


@given(owners, owners, st.booleans(), st.integers(0, 2 * 10**9), st.none() | st.text(max_size=20))
def test_a_swap_that_did_not_succeed_is_settled_from_the_owners(
    give_owner: str | None,
    want_owner: str | None,
    used: bool,
    block_time: int,
    reason: str | None,
) -> None:
    offer = Offer(MAKER, TAKER, 1, 2, 10**9, 0)

    outcome = settle(offer, give_owner, want_owner, used, block_time, reason)

    if used:  # only a swap that moved both tokens spends its offer
        assert (outcome.status, outcome.error) == (Status.COMPLETED, None)
        return
    assert outcome.status is Status.FAILED
    if (give_owner, want_owner) != (MAKER, TAKER):
        assert outcome.error == "token_moved"
    elif block_time > offer.deadline:
        assert outcome.error == "expired"
    else:
        assert outcome.error == (reason or "reverted")
