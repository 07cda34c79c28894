"""What a live_events row becomes in its hunt's Redis stream: the entries (stream id, message)
it stands for, and the leaderboard entry a find message carries. Pure: the relay
(relay.py) sends what these say.

Most rows are one event, added as `{seq}-0`. A batch row holds the events of one statement and
hunt, up to a hundred (migrations 0017 and 0020): `finds` (a claim batch's finds) and `mints`
(the tokens of a settled statement). Each of its events is an entry of its own, `{seq}-0`,
`{seq}-1`, ... in the row's order, so clients see one `find` or `mint` message each and resume
between them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.common.leaderboard import sort_key

BATCH_KINDS = frozenset({"finds", "mints"})  # live_events kinds whose rows hold many events


def stream_id(seq: int, sub: int = 0) -> str:
    return f"{seq}-{sub}"


def stream_events(seq: int, kind: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The stream entries of one row, each (stream id, message)."""
    if kind in BATCH_KINDS:
        return [(stream_id(seq, i), event) for i, event in enumerate(payload["events"])]
    return [(stream_id(seq), payload)]


def score_entry(payload: dict[str, Any]) -> tuple[str, int] | None:
    """The leaderboard entry a find message carries: (member, sort key)."""
    hunter = payload.get("hunter") or {}
    score, reached = hunter.get("score"), hunter.get("last_find_at")
    if payload.get("type") != "find" or score is None or reached is None:
        return None
    return str(hunter["hunter_id"]), sort_key(int(score), datetime.fromisoformat(reached))
