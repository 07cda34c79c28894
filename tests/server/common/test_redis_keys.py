"""The key scheme: what one script or call touches lives in one hash slot of a cluster."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from redis.crc import key_slot

from server.common.redis_keys import (
    board_key,
    board_pattern,
    hunt_of_board,
    idempotency_key,
    marker_key,
    rate_key,
    siwe_nonce_key,
    stream_key,
)

ids = st.integers(min_value=1, max_value=2**62)
prefixes = st.sampled_from(["geohunt:", "geohunt:nearby:", "geohunt-test-abc:", ""])


def slot(key: str) -> int:
    return int(key_slot(key.encode()))


@given(prefixes, ids, st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
def test_every_key_of_a_hunter_is_in_one_slot(prefix: str, hunter_id: int, digest: str) -> None:
    keys = [rate_key(prefix, hunter_id), idempotency_key(prefix, hunter_id, digest)]
    assert len({slot(k) for k in keys}) == 1
    # The AR hints' gate (its own prefix) lands with the scan gate's keys.
    assert slot(rate_key(prefix + "nearby:", hunter_id)) == slot(keys[0])


@given(prefixes, ids)
def test_every_key_of_a_hunt_is_in_one_slot(prefix: str, hunt_id: int) -> None:
    keys = [board_key(prefix, hunt_id), stream_key(prefix, hunt_id), marker_key(prefix, hunt_id)]
    assert len({slot(k) for k in keys}) == 1
    assert len(set(keys)) == 3
    assert hunt_of_board(prefix, keys[0]) == hunt_id
    assert hunt_of_board(prefix, keys[1]) is None and hunt_of_board(prefix, keys[2]) is None


def test_hunts_and_hunters_spread_over_the_slots() -> None:
    """Tags name the hunt or hunter, not a fixed group: a cluster shares the load."""
    assert len({slot(board_key("geohunt:", h)) for h in range(1, 101)}) > 90
    assert len({slot(rate_key("geohunt:", h)) for h in range(1, 101)}) > 90
    # A hunt's and a hunter's keys with the same number are different tags.
    assert slot(board_key("g:", 7)) != slot(rate_key("g:", 7))


def test_keys_and_the_board_pattern() -> None:
    assert board_key("g:", 12) == "g:{hunt:12}:lb"
    assert stream_key("g:", 12) == "g:{hunt:12}:live"
    assert marker_key("g:", 12) == "g:{hunt:12}:seq"
    assert rate_key("g:", 5) == "g:{h:5}:rate"
    assert idempotency_key("g:", 5, "ab") == "g:{h:5}:idem:ab"
    assert siwe_nonce_key("g:", "n0nce123") == "g:{siwe:n0nce123}"
    assert board_pattern("g:") == "g:{hunt:*}:lb"
    assert hunt_of_board("g:", "other:{hunt:12}:lb") is None
