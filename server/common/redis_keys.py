"""Every Redis key geohunt writes, named in one place, each with a hash tag.

On a Redis Cluster a script, a transaction or a multi-key command may only touch keys of one
hash slot, and a key's slot is that of its hash tag (the text between its first `{` and the
next `}`). So the tag names what is touched together:

- `{h:HUNTER}`: a hunter's rate counter and idempotency keys (the gate's script reads and
  writes both in one call; the AR hints' gate uses the same tag under its own prefix);
- `{hunt:HUNT}`: a hunt's leaderboard, its live stream and its relay marker (the relay's
  delivery script writes all three; the leaderboard's script reads the marker with the set);
- `{siwe:NONCE}`: a sign-in nonce, alone.

On a single Redis the tags change nothing but the names. The prefix
(`GEOHUNT_REDIS_PREFIX`) holds no brace (the settings refuse one), so the tag is always ours.
"""

from __future__ import annotations

import re


def hunter_tag(hunter_id: int) -> str:
    return f"{{h:{hunter_id}}}"


def hunt_tag(hunt_id: int) -> str:
    return f"{{hunt:{hunt_id}}}"


def rate_key(prefix: str, hunter_id: int) -> str:
    """The hunter's scans in the current window (the gate's counter)."""
    return f"{prefix}{hunter_tag(hunter_id)}:rate"


def idempotency_key(prefix: str, hunter_id: int, digest: str) -> str:
    """A scan's Idempotency-Key (its digest): claimed while it runs, then its answer."""
    return f"{prefix}{hunter_tag(hunter_id)}:idem:{digest}"


def board_key(prefix: str, hunt_id: int) -> str:
    """The hunt's leaderboard, a sorted set."""
    return f"{prefix}{hunt_tag(hunt_id)}:lb"


def stream_key(prefix: str, hunt_id: int) -> str:
    """The hunt's live events, a stream."""
    return f"{prefix}{hunt_tag(hunt_id)}:live"


def marker_key(prefix: str, hunt_id: int) -> str:
    """The highest live event seq of the hunt that Redis holds (see server/live/relay.py)."""
    return f"{prefix}{hunt_tag(hunt_id)}:seq"


def siwe_nonce_key(prefix: str, nonce: str) -> str:
    return f"{prefix}{{siwe:{nonce}}}"


def board_pattern(prefix: str) -> str:
    """A SCAN pattern for every hunt's leaderboard (braces are plain text in a pattern)."""
    return f"{prefix}{{hunt:*}}:lb"


def hunt_of_board(prefix: str, key: str) -> int | None:
    """The hunt whose leaderboard `key` is (None for any other key)."""
    found = re.fullmatch(re.escape(prefix) + r"\{hunt:(\d+)\}:lb", key)
    return int(found.group(1)) if found else None
