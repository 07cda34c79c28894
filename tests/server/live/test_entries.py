"""What a live_events row becomes in its hunt's stream (server/live/entries.py): one entry for
an event row, one per element for a batch row, with ids that Redis keeps in the rows' order."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from server.common.leaderboard import sort_key
from server.live.entries import score_entry, stream_events
from server.live.frames import parse_event_id

FIND = {
    "type": "find",
    "find": {"id": 7},
    "hunter": {"hunter_id": 3, "name": "Ana", "score": 2, "last_find_at": "2026-12-06T20:05:07Z"},
}


def test_an_event_row_is_one_entry_and_a_batch_row_one_per_event() -> None:
    assert stream_events(41, "alert", {"type": "alert"}) == [("41-0", {"type": "alert"})]
    mints = [{"type": "mint", "find_id": i} for i in (5, 6)]
    assert stream_events(42, "mints", {"type": "mints", "events": mints}) == [
        ("42-0", mints[0]),
        ("42-1", mints[1]),
    ]


def test_a_batch_row_of_arrays_becomes_the_messages_an_object_row_held() -> None:
    """Migration 0023's rows (each event the array of its fields, the hunt said once) and the
    rows before it (each event the message itself) give the same messages."""
    find = [7, 11, "2026-12-06T20:05:07Z", "k1", "Scene", "Jibaro", 1, 3, 3, "Ana", 2,
            "2026-12-06T20:05:07Z", "billboard", "Paris"]  # fmt: skip
    [(_, message)] = stream_events(5, "finds", {"type": "finds", "hunt": "h", "events": [find]})
    assert message == {
        "type": "find",
        "hunt": "h",
        "find": {
            "id": 7,
            "clue_id": 11,
            "collectible": {"key": "k1", "name": "Scene", "episode": "Jibaro"},
            "found_at": "2026-12-06T20:05:07Z",
        },
        "hunter": {"hunter_id": 3, "name": "Ana", "score": 2, "last_find_at": find[11]},
        "clue": {"kind": "billboard", "city": "Paris"},
        "collectible": {"key": "k1", "name": "Scene", "episode": "Jibaro", "found": 1,
                        "supply": 3},
    }  # fmt: skip
    assert stream_events(5, "finds", {"type": "finds", "events": [message]}) == [("5-0", message)]
    mint = [7, 3, "Ana", "k1", "Scene", "Jibaro", "0x01", "0xc0", 31337, "2026-12-06T20:05:08Z"]
    [(_, minted)] = stream_events(6, "mints", {"type": "mints", "hunt": "h", "events": [mint]})
    assert minted == {
        "type": "mint",
        "hunt": "h",
        "find_id": 7,
        "token_id": 7,
        "hunter": {"hunter_id": 3, "name": "Ana"},
        "collectible": {"key": "k1", "name": "Scene", "episode": "Jibaro"},
        "tx_hash": "0x01",
        "contract": "0xc0",
        "chain_id": 31337,
        "minted_at": "2026-12-06T20:05:08Z",
    }
    assert score_entry(message) == ("3", sort_key(2, datetime.fromisoformat(find[11])))


def test_a_find_message_carries_its_leaderboard_entry_and_others_none() -> None:
    reached = datetime.fromisoformat("2026-12-06T20:05:07Z")
    assert score_entry(FIND) == ("3", sort_key(2, reached))
    assert score_entry({"type": "mint", "hunter": FIND["hunter"]}) is None
    assert score_entry({"type": "find", "hunter": {"hunter_id": 3, "score": None}}) is None


rows = st.lists(
    st.tuples(
        st.sampled_from(["find", "finds", "mint", "mints", "alert"]),
        st.integers(min_value=1, max_value=100),
    ),
    min_size=1,
    max_size=30,
)


@given(rows)
def test_entries_keep_the_rows_order_and_every_event_once(spec: list[tuple[str, int]]) -> None:
    expected: list[dict[str, Any]] = []
    entries: list[tuple[str, dict[str, Any]]] = []
    for seq, (kind, size) in enumerate(spec, start=1):
        if kind in ("finds", "mints"):
            events = [{"row": seq, "i": i} for i in range(size)]
            payload: dict[str, Any] = {"type": kind, "events": events}
        else:
            events = [{"row": seq, "i": 0}]
            payload = events[0]
        expected += events
        entries += stream_events(seq, kind, payload)
    assert [message for _, message in entries] == expected
    positions = [parse_event_id(event_id) for event_id, _ in entries]
    assert None not in positions
    # Redis orders stream ids as (ms, seq) pairs: strictly increasing, as XADD requires.
    assert all(a < b for a, b in pairwise(positions))
