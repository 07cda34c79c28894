"""One error tree for the whole domain; each class's docstring is its problem title.

The HTTP layer maps every `HuntError` to an RFC 9457 problem with `status` and `code`, so a
new rule only needs a new class here.
"""

from __future__ import annotations

from typing import Any


class HuntError(Exception):
    """Request failed."""

    status: int = 400
    code: str = "invalid_request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    @property
    def title(self) -> str:
        return (type(self).__doc__ or self.code).strip().splitlines()[0]


class InvalidRequest(HuntError):
    """The request is malformed."""


class PayloadTooLarge(HuntError):
    """The request body is too large."""

    status, code = 413, "payload_too_large"


class Unauthorized(HuntError):
    """Missing or invalid credentials."""

    status, code = 401, "unauthorized"


class Forbidden(HuntError):
    """Your role may not do this."""

    status, code = 403, "forbidden"


class NotFound(HuntError):
    """No such resource."""

    status, code = 404, "not_found"


class Conflict(HuntError):
    """The request conflicts with the current state."""

    status, code = 409, "conflict"


class SlugTaken(Conflict):
    """A hunt with this slug already exists."""

    code = "slug_taken"


class KeyTaken(Conflict):
    """A collectible with this key already exists in the hunt."""

    code = "key_taken"


class HandleTaken(Conflict):
    """This handle is taken."""

    code = "handle_taken"


class WalletTaken(Conflict):
    """This wallet belongs to another hunter."""

    code = "wallet_taken"


class AlreadyEngraved(Conflict):
    """This find is already engraved; an engraving never changes."""

    code = "already_engraved"


class NotHolder(HuntError):
    """Only the current holder of this token may engrave it."""

    status, code = 403, "not_holder"


class RotatingClue(Conflict):
    """A digital clue's code rotates and cannot be printed."""

    code = "rotating_clue"


class NotPrinted(Conflict):
    """An ar clue has no printed code: it is claimed on the spot, by presence."""

    code = "not_printed"


class InvalidGeofence(HuntError):
    """The geofence is not a valid shape."""

    code = "invalid_geofence"


class BadSignature(HuntError):
    """The signature does not match the message."""

    status, code = 401, "bad_signature"


class NonceReused(HuntError):
    """This sign-in nonce is unknown or was already used."""

    status, code = 401, "nonce_reused"


class MessageExpired(HuntError):
    """The sign-in message has expired."""

    status, code = 401, "message_expired"


class WrongDomain(HuntError):
    """The sign-in message names another domain."""

    status, code = 422, "wrong_domain"


class BadAssertion(HuntError):
    """The passkey's response does not verify."""

    status, code = 401, "bad_assertion"


class ChallengeReused(HuntError):
    """This passkey challenge is unknown, expired or was already used."""

    status, code = 401, "challenge_reused"


# --- scan verdicts, in the contract's order of precedence ---------------------------------


class ScanRejected(HuntError):
    """The scan was not accepted."""

    status = 422


class RateLimited(ScanRejected):
    """Too many scans; slow down."""

    status, code = 429, "rate_limited"


class InvalidCode(ScanRejected):
    """This is not a code of this hunt."""

    code = "invalid_code"


class CodeRevoked(ScanRejected):
    """This code was replaced by a new one; scan the code on site."""

    code = "code_revoked"


class ClockSkew(ScanRejected):
    """The device clock is too far from the server's."""

    code = "clock_skew"


class HuntNotActive(ScanRejected):
    """The hunt is not running now."""

    code = "hunt_not_active"


class ClueNotActive(ScanRejected):
    """This clue is not active now."""

    code = "clue_not_active"


class CodeExpired(ScanRejected):
    """This rotating code has expired; scan the screen again."""

    code = "code_expired"


class TicketExpired(CodeExpired):
    """This AR ticket has expired; ask for hints again on the spot."""


class LocationRequired(ScanRejected):
    """This clue needs your location."""

    code = "location_required"


class LowAccuracy(ScanRejected):
    """Your location is not accurate enough."""

    code = "low_accuracy"


class OutsideGeofence(ScanRejected):
    """You are not where this code is."""

    code = "outside_geofence"


class ImpossibleTravel(ScanRejected):
    """You could not have travelled here so fast."""

    code = "impossible_travel"


class AlreadyFound(ScanRejected):
    """You already hold this collectible."""

    status, code = 409, "already_found"


class SoldOut(ScanRejected):
    """This collectible or clue has no finds left."""

    status, code = 409, "sold_out"


VERDICT_ORDER: tuple[type[ScanRejected], ...] = (
    RateLimited,
    InvalidCode,
    CodeRevoked,
    ClockSkew,
    HuntNotActive,
    ClueNotActive,
    CodeExpired,
    LocationRequired,
    LowAccuracy,
    OutsideGeofence,
    ImpossibleTravel,
    AlreadyFound,
    SoldOut,
)
VERDICT_BY_CODE: dict[str, type[ScanRejected]] = {cls.code: cls for cls in VERDICT_ORDER}
