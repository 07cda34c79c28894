"""Fans' moments as pure rules: what a moment's text may be, where its token ids live, how a
review or a report changes it, which minute of the episode it falls in, and what its token's
metadata says.

- Text (a title, a note, a report's reason) is normalised to NFC, trimmed of white space at both
  ends and counted after that, in code points (as the database counts). Control characters are
  refused (a note may break lines with `\\n`), and so are lone surrogates, the line and paragraph
  separators and the bidirectional overrides and isolates (text that reads other than it is).
- Token ids: a find's token id is the find's id, always below 2^62; a moment's is 2^62 plus the
  moment's id, so the two never meet (migration 0011 holds both sides with CHECK constraints).
- Review: `pending` until an organiser decides; an approval gives the moment its token (once,
  ever) and queues its mint; a rejection needs a reason. Reports from `threshold` distinct
  hunters since the last decision hide an approved moment until it is reviewed again.
- A token stays a token: a hidden or rejected moment's metadata keeps the token's name, episode,
  scene time and author, but no longer shows its note or sketch.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from hunt_engine.errors import Conflict, InvalidRequest, NotHolder

SCENE_MAX_S = 7200
TITLE_MAX = 80
NOTE_MAX = 280
REASON_MAX = 500

MOMENT_TOKEN_BASE = 2**62
MAX_TOKEN_ID = 2**63 - 1
MAX_MOMENT_ID = MAX_TOKEN_ID - MOMENT_TOKEN_BASE

Status = Literal["pending", "approved", "rejected", "hidden"]
STATUSES: tuple[Status, ...] = ("pending", "approved", "rejected", "hidden")
Decision = Literal["approve", "reject"]


class MomentLimit(Conflict):
    """You have made as many moments of this hunt as its rules allow."""

    code = "moment_limit"


class NotMomentHolder(NotHolder):
    """Only a hunter holding a find of this collectible may make a moment of it."""


# --- text ---------------------------------------------------------------------------------

# What no text of a moment may hold: C0 and C1 controls, the line and paragraph separators,
# the bidirectional embeddings, overrides and isolates. The patterns say the same to a JSON
# Schema (an ECMA-262 regex), with the code points spelled out.
_FORBIDDEN = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069"
# What `str.strip` removes that is not already forbidden.
_SPACES = " \\xa0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000"
# One line, at least one character that is not white space.
LINE_PATTERN = f"^[^{_FORBIDDEN}]*[^{_FORBIDDEN}{_SPACES}][^{_FORBIDDEN}]*$"
# The same, line feeds allowed.
_FORBIDDEN_ML = "\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069"
TEXT_PATTERN = f"^[^{_FORBIDDEN_ML}]*[^{_FORBIDDEN_ML}{_SPACES}\\n][^{_FORBIDDEN_ML}]*$"

_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_SEPARATORS = frozenset({"\u2028", "\u2029"})


def _refused(char: str, multiline: bool) -> bool:
    if char == "\n":
        return not multiline
    if char in _BIDI_CONTROLS or char in _SEPARATORS:
        return True
    return unicodedata.category(char) in ("Cc", "Cs")


def clean_text(raw: str, field: str, limit: int, *, multiline: bool = False) -> str:
    """`raw` as stored: NFC, trimmed, 1 to `limit` code points, nothing refused in it;
    `InvalidRequest` naming `field` otherwise."""
    for char in raw:
        if _refused(char, multiline):
            raise InvalidRequest(f"{field} holds a control character (U+{ord(char):04X})")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        raise InvalidRequest(f"{field} is empty")
    if len(text) > limit:
        raise InvalidRequest(f"{field} is {len(text)} characters (NFC); at most {limit}")
    return text


def clean_title(raw: str) -> str:
    return clean_text(raw, "title", TITLE_MAX)


def clean_note(raw: str) -> str:
    return clean_text(raw, "note", NOTE_MAX, multiline=True)


def clean_reason(raw: str) -> str:
    return clean_text(raw, "reason", REASON_MAX, multiline=True)


# --- the scene ----------------------------------------------------------------------------


def check_scene(scene_s: int) -> int:
    """Seconds into the episode, 0 to SCENE_MAX_S (two hours)."""
    if isinstance(scene_s, bool) or not isinstance(scene_s, int):
        raise InvalidRequest("scene_s must be a whole number of seconds")
    if not 0 <= scene_s <= SCENE_MAX_S:
        raise InvalidRequest(f"scene_s must be within 0-{SCENE_MAX_S}")
    return scene_s


def scene_minute(scene_s: int) -> int:
    """The minute of the episode a scene falls in: 0 for 0:00-0:59, ... 120 for 120:00."""
    return check_scene(scene_s) // 60


def scene_clock(scene_s: int) -> str:
    """`mm:ss` (at least two digits of minutes; 120:00 at the end of two hours)."""
    minutes, seconds = divmod(check_scene(scene_s), 60)
    return f"{minutes:02d}:{seconds:02d}"


# --- token ids ----------------------------------------------------------------------------


def moment_token_id(moment_id: int) -> int:
    if not 1 <= moment_id <= MAX_MOMENT_ID:
        raise ValueError(f"no moment id {moment_id}")
    return MOMENT_TOKEN_BASE + moment_id


def is_moment_token(token_id: int) -> bool:
    return MOMENT_TOKEN_BASE < token_id <= MAX_TOKEN_ID


def moment_of_token(token_id: int) -> int:
    if not is_moment_token(token_id):
        raise ValueError(f"token {token_id} is not a moment's")
    return token_id - MOMENT_TOKEN_BASE


# --- review and reports -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reviewed:
    status: Status
    # An approval gives the moment its token (the first one; kept ever after) and queues its
    # mint (once: a mint already queued stays as it is).
    mints: bool


def review(decision: Decision, reason: str | None) -> Reviewed:
    """An organiser's decision on a moment in any status: approve it (a pending or hidden one,
    or a rejected one on appeal) or reject it (a pending one, or take an approved or hidden one
    down). A rejection says why."""
    if decision == "reject":
        if reason is None:
            raise InvalidRequest("a rejection needs a reason")
        return Reviewed("rejected", mints=False)
    return Reviewed("approved", mints=True)


def hidden_by_reports(status: Status, reporters: int, threshold: int) -> bool:
    """Whether `reporters` distinct hunters since the last decision hide the moment now: an
    approved moment reaching the threshold; any other status is not the reports' to change."""
    return status == "approved" and reporters >= threshold


def shows_content(status: Status) -> bool:
    """Whether the note and the sketch are shown to everyone (and in the token's metadata)."""
    return status == "approved"


def listed_for_everyone(status: Status) -> bool:
    """Whether anyone may see the moment (others only its author and the organisers)."""
    return status == "approved"


# --- the token's metadata -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MomentToken:
    token_id: int
    status: Status
    title: str
    scene_s: int
    note: str | None
    has_sketch: bool
    author: str | None  # the author's handle
    collectible: str  # the collectible's name
    episode: str | None
    image_url: str
    hunt: str  # the hunt's name


def moment_metadata(token: MomentToken, base_url: str) -> dict[str, Any]:
    """ERC-721 metadata of a moment's token; a hidden or rejected moment's keeps everything
    but its note and sketch."""
    episode = token.episode or token.collectible
    clock = scene_clock(token.scene_s)
    author = token.author or "a fan"
    attributes: list[dict[str, Any]] = [
        {"trait_type": "Episode", "value": episode},
        {"trait_type": "Scene", "value": clock},
        {"trait_type": "Title", "value": token.title},
        {"trait_type": "Author", "value": author},
        {"trait_type": "Kind", "value": "moment"},
    ]
    shown = shows_content(token.status)
    if shown and token.note is not None:
        attributes.append({"trait_type": "Note", "value": token.note})
    metadata: dict[str, Any] = {
        "name": f"{token.title} ({episode}, {clock})",
        "description": f"A moment of {episode} at {clock}, chosen by {author} in {token.hunt}.",
        "image": token.image_url,
        "attributes": attributes,
    }
    if shown and token.has_sketch:
        metadata["sketch_image"] = f"{base_url}/v1/tokens/{token.token_id}/sketch"
    return metadata
