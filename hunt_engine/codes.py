"""The codes inside clue QR codes, printed as the URL `{PUBLIC_BASE_URL}/c/{code}`.

Format: dot-separated ASCII fields, the tag last::

    s.{kid}.{clue}.{tag}                  static: billboards, social drops (code version 0)
    p.{kid}.{clue}.{version}.{tag}        static, reissued: code version 1, 2, ... of the clue
    r.{kid}.{clue}.{step}.{tag}           rotating: digital screens, step = floor(unix / rotate_s)
    t.{kid}.{clue}.{hunter}.{issued}.{tag}  AR ticket: one hunter, issued at unix second `issued`

e.g. ``s.k1.2s.PN4Nx_p3vWWzzrr7`` is clue 100 (base 36 ``2s``) signed with key id ``k1``, and
``r.k1.2s.yj534.SBL8QLGdDkrd0aZy`` the same clue at step 58000000, with
``Keyring.derived(b"example root secret, 32 bytes!!!", ["k1"], "k1")``.

- The first field is the kind marker; a new kind (or a new layout of an old one) takes a new
  letter, so old printed codes never need to be reinterpreted.
- A printed code carries its clue's code version: a reissue (a code that leaked) bumps the
  clue's version, and the scan rules refuse every older version (`code_revoked`). Version 0,
  every code printed before versions existed, keeps its `s` spelling; later versions are
  spelled `p` (a `p` code of version 0 is no code: one spelling each). The MAC covers the
  marker and the version, so an old code cannot be restamped as a new one.
- Numbers are lowercase base 36 without leading zeros (shorter QR codes, one spelling each),
  at most 2**63 - 1 so they fit a Postgres bigint.
- The tag is the first 96 bits of HMAC-SHA256(key[kid], DOMAIN + everything before the last
  dot), as 16 base64url chars (96 bits fill them exactly, so it has no padding bits and no
  second spelling). The MAC covers the kind marker, so a static code cannot be replayed as a
  rotating one, and the kid, so a tag cannot be moved onto another key.
- A ticket's tag is the same MAC under its own domain string (`geohunt/ticket/v1`), with the
  same keys and key ids, so tickets rotate with the QR keys and no other code is ever a ticket.
  It covers the hunter and the issue time: a ticket works for its hunter only, for
  TICKET_TTL_S seconds.

Parsing is strict: one code has exactly one accepted spelling, so any single-character change
invalidates it.
"""

from __future__ import annotations

import hmac
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from typing import Literal

from hunt_engine.errors import CodeExpired, CodeRevoked, InvalidCode, TicketExpired
from hunt_engine.keys import Keyring

KIND_STATIC = "s"
KIND_REISSUED = "p"
KIND_ROTATING = "r"
KIND_TICKET = "t"
TICKET_TTL_S = 300
# Server processes' clocks may differ a little: a ticket issued by one "in the future" of
# another is still ours. Anything further ahead was not issued by this server.
TICKET_CLOCK_SLACK_S = 30

MAX_ID = 2**63 - 1
TAG_BYTES = 12
TAG_CHARS = 16
# Longest genuine code is a ticket: `t.` + 8-char kid + two 13-digit ids + a 7-digit time (good
# until the year 4453) + tag + dots = 63 chars.
MAX_CODE_LEN = 64
# Checked before any other work, so hostile input costs nothing; room for a long base URL.
MAX_INPUT_LEN = 512

_DOMAIN = b"geohunt/code/v1\n"
_TICKET_DOMAIN = b"geohunt/ticket/v1\n"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_MAX_DIGITS = 13  # len(base36(MAX_ID)); longer fields are rejected before int() runs


CodeKind = Literal["static", "rotating", "ticket"]


@dataclass(frozen=True, slots=True)
class ScannedCode:
    kind: CodeKind
    clue_id: int
    step: int | None
    kid: str
    # Tickets only: whom it was issued to, and when (unix seconds).
    hunter_id: int | None = None
    issued_at: int | None = None
    # Static codes only: the clue's code version it was printed with (0 before any reissue).
    version: int = 0


def step_at(now_unix: float, rotate_s: int) -> int:
    """The RFC 6238 time step: floor(now / rotate_s)."""
    if rotate_s <= 0:
        raise ValueError("rotate_s must be positive")
    return int(now_unix // rotate_s)


def seconds_left(now_unix: float, rotate_s: int) -> float:
    """Seconds until the current step ends, in (0, rotate_s]; screens use it to schedule."""
    if rotate_s <= 0:
        raise ValueError("rotate_s must be positive")
    return rotate_s - now_unix % rotate_s


def static_code(ring: Keyring, clue_id: int, version: int = 0) -> str:
    """The printed code of clue `clue_id` at code version `version` (0 until its first
    reissue: the spelling every code printed before versions existed has)."""
    if version == 0:
        return _sign(ring, f"{KIND_STATIC}.{ring.active_kid}.{_b36(clue_id)}")
    return _sign(ring, f"{KIND_REISSUED}.{ring.active_kid}.{_b36(clue_id)}.{_b36(version)}")


def rotating_code(ring: Keyring, clue_id: int, step: int) -> str:
    return _sign(ring, f"{KIND_ROTATING}.{ring.active_kid}.{_b36(clue_id)}.{_b36(step)}")


def ticket_code(ring: Keyring, clue_id: int, hunter_id: int, issued_at: int) -> str:
    """A ticket for `hunter_id` to claim clue `clue_id`, valid TICKET_TTL_S from `issued_at`."""
    return TicketSigner(ring, hunter_id, issued_at).sign(clue_id)


class TicketSigner:
    """Tickets of one hunter at one issue time: the parts they share are spelled once."""

    __slots__ = ("_head", "_tail", "_key")

    def __init__(self, ring: Keyring, hunter_id: int, issued_at: int) -> None:
        self._head = f"{KIND_TICKET}.{ring.active_kid}."
        self._tail = f".{_b36(hunter_id)}.{_b36(issued_at)}"
        self._key = ring.active_key

    def sign(self, clue_id: int) -> str:
        body = f"{self._head}{_b36(clue_id)}{self._tail}"
        return f"{body}.{_tag(self._key, body, _TICKET_DOMAIN)}"


def parse_code(ring: Keyring, text: str) -> ScannedCode:
    """Verify a bare code or a URL ending in `/c/{code}`; `InvalidCode` unless genuine."""
    if len(text) > MAX_INPUT_LEN or not text.isascii():
        raise InvalidCode()
    code = _code_from_url(text) if "/" in text else text
    if len(code) > MAX_CODE_LEN:
        raise InvalidCode()
    body, _, tag = code.rpartition(".")
    parts = body.split(".")
    marker = parts[0]
    step = hunter_id = issued_at = None
    version = 0
    domain = _DOMAIN
    if marker == KIND_STATIC and len(parts) == 3:
        kind: CodeKind = "static"
    elif marker == KIND_REISSUED and len(parts) == 4:
        kind = "static"
        version = _parse_b36(parts[3])
        if version == 0:
            raise InvalidCode()  # version 0 is spelled `s.`: one spelling per code
    elif marker == KIND_ROTATING and len(parts) == 4:
        kind = "rotating"
        step = _parse_b36(parts[3])
    elif marker == KIND_TICKET and len(parts) == 5:
        kind = "ticket"
        hunter_id = _parse_b36(parts[3])
        issued_at = _parse_b36(parts[4])
        domain = _TICKET_DOMAIN
    else:
        raise InvalidCode()
    kid = parts[1]
    clue_id = _parse_b36(parts[2])
    key = ring.get(kid)
    # Ring kids are validated on construction, so the lookup doubles as the kid format check.
    if (
        key is None
        or len(tag) != TAG_CHARS
        or not hmac.compare_digest(tag, _tag(key, body, domain))
    ):
        raise InvalidCode()
    return ScannedCode(kind, clue_id, step, kid, hunter_id, issued_at, version)


def check_step(code: ScannedCode, now_step: int) -> None:
    """Rotating codes live for their own step and the next, so a scan at a boundary counts."""
    if code.step is None:
        return
    if code.step > now_step:
        # Only the server issues steps, so a future one was not issued by us.
        raise InvalidCode()
    if code.step < now_step - 1:
        raise CodeExpired()


def check_code_version(code: ScannedCode, current: int) -> None:
    """A printed code is good at its clue's current code version only: an older one was
    replaced by a reissue (`CodeRevoked`); a newer one was never issued."""
    if code.kind != "static" or code.version == current:
        return
    if code.version < current:
        raise CodeRevoked("this code was replaced by a new one: only the code on site counts")
    raise InvalidCode()


def check_ticket_holder(code: ScannedCode, hunter_id: int | None) -> None:
    """A ticket works for the hunter it was issued to and nobody else."""
    if code.kind == "ticket" and code.hunter_id != hunter_id:
        raise InvalidCode("this ticket was issued to another hunter")


def check_ticket_time(code: ScannedCode, now_unix: float) -> None:
    """A ticket lives TICKET_TTL_S seconds from its issue time."""
    if code.issued_at is None:
        return
    if code.issued_at > now_unix + TICKET_CLOCK_SLACK_S:
        raise InvalidCode()
    if now_unix >= code.issued_at + TICKET_TTL_S:
        raise TicketExpired(
            f"this AR ticket was issued {int(now_unix - code.issued_at)} s ago and lives"
            f" {TICKET_TTL_S} s; ask for hints again on the spot"
        )


def _sign(ring: Keyring, body: str) -> str:
    return f"{body}.{_tag(ring.active_key, body)}"


def _tag(key: bytes, body: str, domain: bytes = _DOMAIN) -> str:
    mac = hmac.digest(key, domain + body.encode("ascii"), "sha256")
    return urlsafe_b64encode(mac[:TAG_BYTES]).decode("ascii")


def _code_from_url(text: str) -> str:
    path = text.split("#", 1)[0].split("?", 1)[0]
    # Skip any authority (`scheme://host` or `//host`) so a host named `c` is not the `/c/`.
    start = path.find("//")
    if start >= 0 and "/" not in path[:start]:
        end = path.find("/", start + 2)
        if end < 0:
            raise InvalidCode()
        path = path[end:]
    head, _, code = path.rpartition("/")
    if not head.endswith("/c"):
        raise InvalidCode()
    return code


def _b36(n: int) -> str:
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_ID:
        raise ValueError(f"id out of range: {n!r}")
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if not n:
            return out


def _parse_b36(s: str) -> int:
    # int(s, 36) alone would also take "+", "_", whitespace, upper case and leading zeros,
    # each a second spelling of the same code.
    if (
        not 0 < len(s) <= _MAX_DIGITS
        or not s.isalnum()
        or s != s.lower()
        or (s[0] == "0" and len(s) > 1)
    ):
        raise InvalidCode()
    n = int(s, 36)
    if n > MAX_ID:
        raise InvalidCode()
    return n
