"""The codes inside clue QR codes, printed as the URL `{PUBLIC_BASE_URL}/c/{code}`.

Format: dot-separated ASCII fields, the tag last::

    s.{kid}.{clue}.{tag}            static: billboards, social drops
    r.{kid}.{clue}.{step}.{tag}     rotating: digital screens, step = floor(unix / rotate_s)
    t.{kid}.{clue}.{hunter}.{exp}.{tag}   reserved: AR ticket (not implemented yet)

e.g. ``s.k1.2s.PN4Nx_p3vWWzzrr7`` is clue 100 (base 36 ``2s``) signed with key id ``k1``, and
``r.k1.2s.yj534.SBL8QLGdDkrd0aZy`` the same clue at step 58000000, with
``Keyring.derived(b"example root secret, 32 bytes!!!", ["k1"], "k1")``.

- The first field is the kind marker; a new kind (or a new layout of an old one) takes a new
  letter, so old printed codes never need to be reinterpreted.
- Numbers are lowercase base 36 without leading zeros (shorter QR codes, one spelling each),
  at most 2**63 - 1 so they fit a Postgres bigint.
- The tag is the first 96 bits of HMAC-SHA256(key[kid], DOMAIN + everything before the last
  dot), as 16 base64url chars (96 bits fill them exactly, so it has no padding bits and no
  second spelling). The MAC covers the kind marker, so a static code cannot be replayed as a
  rotating one, and the kid, so a tag cannot be moved onto another key.

Parsing is strict: one code has exactly one accepted spelling, so any single-character change
invalidates it.
"""

from __future__ import annotations

import hmac
from base64 import urlsafe_b64encode
from dataclasses import dataclass
from typing import Literal

from hunt_engine.errors import CodeExpired, InvalidCode
from hunt_engine.keys import Keyring

KIND_STATIC = "s"
KIND_ROTATING = "r"
# Reserved for AR tickets bound to a hunter with an expiry: `t.{kid}.{clue}.{hunter}.{exp}.{tag}`.
KIND_TICKET = "t"

MAX_ID = 2**63 - 1
TAG_BYTES = 12
TAG_CHARS = 16
# Longest genuine code is `r.` + 8-char kid + two 13-digit numbers + tag + dots = 55 chars.
MAX_CODE_LEN = 64
# Checked before any other work, so hostile input costs nothing; room for a long base URL.
MAX_INPUT_LEN = 512

_DOMAIN = b"geohunt/code/v1\n"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_MAX_DIGITS = 13  # len(base36(MAX_ID)); longer fields are rejected before int() runs


@dataclass(frozen=True, slots=True)
class ScannedCode:
    kind: Literal["static", "rotating"]
    clue_id: int
    step: int | None
    kid: str


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


def static_code(ring: Keyring, clue_id: int) -> str:
    return _sign(ring, f"{KIND_STATIC}.{ring.active_kid}.{_b36(clue_id)}")


def rotating_code(ring: Keyring, clue_id: int, step: int) -> str:
    return _sign(ring, f"{KIND_ROTATING}.{ring.active_kid}.{_b36(clue_id)}.{_b36(step)}")


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
    step: int | None
    if marker == KIND_STATIC and len(parts) == 3:
        kind: Literal["static", "rotating"] = "static"
        step = None
    elif marker == KIND_ROTATING and len(parts) == 4:
        kind = "rotating"
        step = _parse_b36(parts[3])
    else:
        raise InvalidCode()
    kid = parts[1]
    clue_id = _parse_b36(parts[2])
    key = ring.get(kid)
    # Ring kids are validated on construction, so the lookup doubles as the kid format check.
    if key is None or len(tag) != TAG_CHARS or not hmac.compare_digest(tag, _tag(key, body)):
        raise InvalidCode()
    return ScannedCode(kind, clue_id, step, kid)


def check_step(code: ScannedCode, now_step: int) -> None:
    """Rotating codes live for their own step and the next, so a scan at a boundary counts."""
    if code.step is None:
        return
    if code.step > now_step:
        # Only the server issues steps, so a future one was not issued by us.
        raise InvalidCode()
    if code.step < now_step - 1:
        raise CodeExpired()


def _sign(ring: Keyring, body: str) -> str:
    return f"{body}.{_tag(ring.active_key, body)}"


def _tag(key: bytes, body: str) -> str:
    mac = hmac.digest(key, _DOMAIN + body.encode("ascii"), "sha256")
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
