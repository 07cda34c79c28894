"""What a live_events row becomes in its hunt's Redis stream: the entries (stream id, message)
it stands for, and the leaderboard entry a find message carries. Pure: the relay
(relay.py) sends what these say.

Most rows are one event, added as `{seq}-0`. A batch row holds the events of one statement and
hunt, up to a hundred (migrations 0017 and 0020): `finds` (a claim batch's finds) and `mints`
(the tokens of a settled statement). Each of its events is an entry of its own, `{seq}-0`,
`{seq}-1`, ... in the row's order, so clients see one `find` or `mint` message each and resume
between them. Since migration 0023 a batch row holds each event as the array of its fields
(FIND_FIELDS, MINT_FIELDS: the triggers write them in this order) and the hunt's slug once;
the message is built here. An event written as an object (an older row) is the message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.common.leaderboard import sort_key

BATCH_KINDS = frozenset({"finds", "mints"})  # live_events kinds whose rows hold many events

# The positions of a batch row's event arrays, as migration 0023's triggers write them.
FIND_FIELDS = (
    "find_id", "clue_id", "found_at",
    "key", "name", "episode", "found", "supply",
    "hunter_id", "hunter_name", "score", "last_find_at",
    "clue_kind", "city",
)  # fmt: skip
MINT_FIELDS = (
    "find_id", "hunter_id", "hunter_name",
    "key", "name", "episode",
    "tx_hash", "contract", "chain_id", "minted_at",
)  # fmt: skip


def stream_id(seq: int, sub: int = 0) -> str:
    return f"{seq}-{sub}"


def stream_events(seq: int, kind: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The stream entries of one row, each (stream id, message)."""
    if kind in BATCH_KINDS:
        build = find_message if kind == "finds" else mint_message
        hunt = str(payload.get("hunt", ""))  # absent from older rows, whose events are objects
        return [
            (stream_id(seq, i), event if isinstance(event, dict) else build(hunt, event))
            for i, event in enumerate(payload["events"])
        ]
    return [(stream_id(seq), payload)]


def find_message(hunt: str, fields: list[Any]) -> dict[str, Any]:
    """The `find` message of one event array of a `finds` row (FIND_FIELDS)."""
    f = dict(zip(FIND_FIELDS, fields, strict=True))
    return {
        "type": "find",
        "hunt": hunt,
        "find": {
            "id": f["find_id"],
            "clue_id": f["clue_id"],
            "collectible": {"key": f["key"], "name": f["name"], "episode": f["episode"]},
            "found_at": f["found_at"],
        },
        "hunter": {
            "hunter_id": f["hunter_id"],
            "name": f["hunter_name"],
            "score": f["score"],
            "last_find_at": f["last_find_at"],
        },
        "clue": {"kind": f["clue_kind"], "city": f["city"]},
        "collectible": {
            "key": f["key"],
            "name": f["name"],
            "episode": f["episode"],
            "found": f["found"],
            "supply": f["supply"],
        },
    }


def mint_message(hunt: str, fields: list[Any]) -> dict[str, Any]:
    """The `mint` message of one event array of a `mints` row (MINT_FIELDS)."""
    m = dict(zip(MINT_FIELDS, fields, strict=True))
    return {
        "type": "mint",
        "hunt": hunt,
        "find_id": m["find_id"],
        "token_id": m["find_id"],
        "hunter": {"hunter_id": m["hunter_id"], "name": m["hunter_name"]},
        "collectible": {"key": m["key"], "name": m["name"], "episode": m["episode"]},
        "tx_hash": m["tx_hash"],
        "contract": m["contract"],
        "chain_id": m["chain_id"],
        "minted_at": m["minted_at"],
    }


def score_entry(payload: dict[str, Any]) -> tuple[str, int] | None:
    """The leaderboard entry a find message carries: (member, sort key)."""
    hunter = payload.get("hunter") or {}
    score, reached = hunter.get("score"), hunter.get("last_find_at")
    if payload.get("type") != "find" or score is None or reached is None:
        return None
    return str(hunter["hunter_id"]), sort_key(int(score), datetime.fromisoformat(reached))
