"""Swaps between fans as pure rules: what an offer is, the EIP-712 document both fans sign, what
a signature may look like, how a swap's status moves, and what a relayed swap came to.

- An offer: the maker gives `give_id` and wants `want_id` from the taker (the holder of
  `want_id`), until `deadline` (unix seconds, inclusive, as the chain reads `block.timestamp`),
  under the maker's counter `nonce` on chain (raising it voids every earlier offer).
- Both parties sign the same EIP-712 document (`typed_data`): domain `geohunt` version `1` on
  the chain and contract the offer names; the struct hash of the offer is its name on chain.
- A signature of an account is 65 bytes (r, s, v) with v 27 or 28 (0 and 1 are read as 27 and
  28) and s in the lower half of the curve's order: the chain refuses the other, malleated
  forms. A contract wallet (ERC-1271) may sign in any form it checks itself.
- Status: `awaiting_maker_signature` -> `open` -> `accepted` -> `submitted` -> `completed` |
  `failed`; or `cancelled` (maker), `declined` (taker), `expired`, or `failed` with
  `token_moved` before acceptance. `transition` is the only way a status moves.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from hunt_engine.errors import BadSignature, Conflict, HuntError, InvalidRequest, NotHolder

MIN_EXPIRES_S = 60
MAX_EXPIRES_S = 7 * 24 * 3600
DEFAULT_EXPIRES_S = 24 * 3600
# Token ids are stored as bigint (finds' ids, moments' 2^62 + id): nothing larger is ours.
MAX_TOKEN_ID = 2**63 - 1
# A contract wallet's signature can be longer than 65 bytes (a Safe's several owners); this
# much is plenty and keeps a request small.
MAX_SIGNATURE_BYTES = 2048
SIGNATURE_PATTERN = f"^0x([0-9a-fA-F]{{2}}){{1,{MAX_SIGNATURE_BYTES}}}$"
_SIGNATURE = re.compile(SIGNATURE_PATTERN)
# secp256k1's order: a signature's s above half of it is the malleated twin of a valid one.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
HALF_N = SECP256K1_N // 2

DOMAIN_NAME = "geohunt"
DOMAIN_VERSION = "1"
PRIMARY_TYPE = "Offer"
TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Offer": [
        {"name": "maker", "type": "address"},
        {"name": "taker", "type": "address"},
        {"name": "giveId", "type": "uint256"},
        {"name": "wantId", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
    ],
}

TOKEN_MOVED = "token_moved"  # noqa: S105 (an error code, not a secret)
EXPIRED = "expired"


class SwapClosed(Conflict):
    """This swap can no longer change this way."""

    code = "swap_closed"


class NotSwapHolder(NotHolder):
    """Only the holder of a token may offer it in a swap."""


class ChainAway(HuntError):
    """The chain cannot be reached; try again shortly."""

    status, code = 503, "unavailable"
    RETRY_AFTER_S = 2

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, retry_after_s=self.RETRY_AFTER_S)


class Status(enum.StrEnum):
    AWAITING_MAKER_SIGNATURE = "awaiting_maker_signature"
    OPEN = "open"
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    EXPIRED = "expired"


class Event(enum.StrEnum):
    MAKER_SIGNED = "maker_signed"
    TAKER_SIGNED = "taker_signed"
    CANCELLED = "cancelled"  # by the maker
    DECLINED = "declined"  # by the taker
    DEADLINE = "deadline"  # the deadline passed before the swap was sent
    TOKEN_MOVED = "token_moved"  # noqa: S105 (a token left its party before the swap was sent)
    SUBMITTED = "submitted"  # the worker signed and stored its transaction
    REQUEUED = "requeued"  # its transaction's nonce went to another: it never reached the chain
    COMPLETED = "completed"
    FAILED = "failed"


# Before acceptance, what a fan may still change; once accepted, only the worker moves it.
BEFORE_ACCEPTANCE = frozenset({Status.AWAITING_MAKER_SIGNATURE, Status.OPEN})
# Not sent yet: the deadline and a moved token still close it.
UNSENT = BEFORE_ACCEPTANCE | {Status.ACCEPTED}
TERMINAL = frozenset(
    {Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.DECLINED, Status.EXPIRED}
)

_MOVES: dict[tuple[Status, Event], Status] = {
    (Status.AWAITING_MAKER_SIGNATURE, Event.MAKER_SIGNED): Status.OPEN,
    (Status.OPEN, Event.TAKER_SIGNED): Status.ACCEPTED,
    (Status.AWAITING_MAKER_SIGNATURE, Event.CANCELLED): Status.CANCELLED,
    (Status.OPEN, Event.CANCELLED): Status.CANCELLED,
    (Status.OPEN, Event.DECLINED): Status.DECLINED,
    (Status.AWAITING_MAKER_SIGNATURE, Event.DEADLINE): Status.EXPIRED,
    (Status.OPEN, Event.DEADLINE): Status.EXPIRED,
    (Status.ACCEPTED, Event.DEADLINE): Status.FAILED,
    (Status.AWAITING_MAKER_SIGNATURE, Event.TOKEN_MOVED): Status.FAILED,
    (Status.OPEN, Event.TOKEN_MOVED): Status.FAILED,
    (Status.ACCEPTED, Event.TOKEN_MOVED): Status.FAILED,
    (Status.ACCEPTED, Event.SUBMITTED): Status.SUBMITTED,
    (Status.SUBMITTED, Event.REQUEUED): Status.ACCEPTED,
    (Status.SUBMITTED, Event.COMPLETED): Status.COMPLETED,
    (Status.SUBMITTED, Event.FAILED): Status.FAILED,
}


def transition(status: Status, event: Event) -> Status:
    """The status after `event`; `SwapClosed` when the swap cannot take it in `status`."""
    after = _MOVES.get((status, event))
    if after is None:
        raise SwapClosed(f"a swap {status.value} cannot be {event.value}")
    return after


def error_of(status: Status, event: Event) -> str | None:
    """The `error` a swap gets with this move (`expired`, `token_moved`), None for the others
    (a failure on chain names its own reason)."""
    if transition(status, event) is not Status.FAILED:
        return None
    return {Event.DEADLINE: EXPIRED, Event.TOKEN_MOVED: TOKEN_MOVED}.get(event)


@dataclass(frozen=True, slots=True)
class Offer:
    maker: str  # lower-case 0x addresses
    taker: str
    give_id: int
    want_id: int
    deadline: int  # unix seconds, inclusive
    nonce: int


def check_token_id(token_id: int, field: str) -> int:
    if not 1 <= token_id <= MAX_TOKEN_ID:
        raise InvalidRequest(f"{field} must be a token id from 1 to {MAX_TOKEN_ID}")
    return token_id


def check_expires_in(expires_in_s: int | None) -> int:
    """The offer's life in seconds: 60 s to 7 days, a day when not given."""
    if expires_in_s is None:
        return DEFAULT_EXPIRES_S
    if not MIN_EXPIRES_S <= expires_in_s <= MAX_EXPIRES_S:
        raise InvalidRequest(
            f"expires_in_s must be from {MIN_EXPIRES_S} to {MAX_EXPIRES_S} seconds"
        )
    return expires_in_s


def make_offer(
    maker: str,
    taker: str,
    give_id: int,
    want_id: int,
    now_s: float,
    expires_in_s: int | None,
    nonce: int,
) -> Offer:
    """The offer of `maker`'s `give_id` for `taker`'s `want_id`, valid for `expires_in_s` from
    `now_s` (whole seconds, never less than asked). `Conflict` when the maker names a token it
    holds itself as the one it wants."""
    check_token_id(give_id, "give_token_id")
    check_token_id(want_id, "want_token_id")
    life = check_expires_in(expires_in_s)
    maker, taker = maker.lower(), taker.lower()
    if give_id == want_id or maker == taker:
        raise Conflict("the token you want is already yours")
    if nonce < 0:
        raise InvalidRequest("an offer's nonce is never negative")
    return Offer(maker, taker, give_id, want_id, -int(-(now_s + life) // 1), nonce)


def typed_data(offer: Offer, chain_id: int, contract: str) -> dict[str, Any]:
    """The EIP-712 document of `offer` for `eth_signTypedData_v4`, as JSON. uint256 values of
    the message are decimal strings: token ids above 2^53 lose digits as JSON numbers in a
    browser."""
    return {
        "types": TYPES,
        "primaryType": PRIMARY_TYPE,
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": contract.lower(),
        },
        "message": {
            "maker": offer.maker,
            "taker": offer.taker,
            "giveId": str(offer.give_id),
            "wantId": str(offer.want_id),
            "deadline": str(offer.deadline),
            "nonce": str(offer.nonce),
        },
    }


def parse_signature(text: str) -> bytes:
    """The bytes of a 0x-hex signature (1 to MAX_SIGNATURE_BYTES); `BadSignature` otherwise."""
    if not _SIGNATURE.match(text):
        raise BadSignature("a signature is 0x-prefixed hex")
    return bytes.fromhex(text[2:])


def account_signature(raw: bytes) -> bytes:
    """An account's (ECDSA) signature in the one form the chain takes: 65 bytes, v 27 or 28
    (0 and 1 read as 27 and 28), 0 < r < n and 0 < s <= n/2. `BadSignature` for the rest,
    including the compact (64-byte) and high-s twins of a valid signature."""
    if len(raw) != 65:
        raise BadSignature("an account's signature is 65 bytes (r, s, v)")
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:64], "big")
    v = raw[64]
    if v in (0, 1):
        v += 27
    if v not in (27, 28):
        raise BadSignature("a signature's v is 27 or 28")
    if not 0 < r < SECP256K1_N or not 0 < s <= HALF_N:
        raise BadSignature("a signature's s must be in the lower half of the curve's order")
    return raw[:64] + bytes([v])


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    error: str | None


def settle(
    offer: Offer,
    give_owner: str | None,
    want_owner: str | None,
    offer_used: bool,
    block_time: int,
    revert_reason: str | None,
) -> Outcome:
    """What a swap whose transaction did not succeed came to, read from the chain afterwards:
    `completed` if the offer is spent (only a swap that moved both tokens spends it: an earlier
    transaction of ours did it, whoever holds the tokens since), else `failed` with
    `token_moved` (a token left its party), `expired` (the deadline passed before it was mined)
    or the revert's own reason."""
    if offer_used:
        return Outcome(Status.COMPLETED, None)
    if (give_owner or "").lower() != offer.maker.lower():
        return Outcome(Status.FAILED, TOKEN_MOVED)
    if (want_owner or "").lower() != offer.taker.lower():
        return Outcome(Status.FAILED, TOKEN_MOVED)
    if block_time > offer.deadline:
        return Outcome(Status.FAILED, EXPIRED)
    return Outcome(Status.FAILED, revert_reason or "reverted")
