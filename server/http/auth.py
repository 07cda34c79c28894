"""Bearer JWTs: HS256 pinned on decode, four roles, checked on every route."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from enum import StrEnum

import jwt
from aiohttp import web

from hunt_engine.errors import Forbidden, Unauthorized

ALGORITHM = "HS256"
ISSUER = "geohunt"
MAX_TTL_S = 30 * 24 * 3600


class Role(StrEnum):
    ORGANISER = "organiser"
    FIELD = "field"
    HUNTER = "hunter"
    SCREEN = "screen"


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    sub: str
    hunt: str | None = None

    @property
    def hunter_id(self) -> int:
        if self.role is not Role.HUNTER:
            raise Forbidden("only hunters have a hunter id")
        return int(self.sub)

    def check_hunt(self, slug: str) -> None:
        """Tokens minted for one hunt (a venue screen, a field crew) reach no other."""
        if self.hunt is not None and self.hunt != slug:
            raise Forbidden(f"this token is limited to hunt {self.hunt!r}")


# Tokens whose signature and claims were checked already, per process: a fan's phone sends
# the same token with every scan, and decoding one (base64, JSON, HMAC, PyJWT's checks) cost
# as much CPU as the rest of a scan's own work in the server. Only the expiry changes with
# time: it is checked on every use.
VERIFIED_TOKENS = 8192


class TokenIssuer:
    def __init__(self, key: bytes) -> None:
        self._key = key
        # Per issuer (its key): a failed check raises, and lru_cache keeps no exception.
        self._verified = functools.lru_cache(maxsize=VERIFIED_TOKENS)(self._decode)

    def issue(self, role: Role, sub: str, ttl_s: int, hunt: str | None = None) -> tuple[str, int]:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "sub": sub,
            "role": role.value,
            "iat": now,
            "exp": now + ttl_s,
        }
        if hunt is not None:
            claims["hunt"] = hunt
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), now + ttl_s

    def verify(self, token: str) -> Principal:
        principal, expires = self._verified(token)
        if time.time() >= expires:  # as PyJWT decides it, with no leeway
            raise Unauthorized("token expired")
        return principal

    def _decode(self, token: str) -> tuple[Principal, int]:
        """The token's principal and expiry (Unix seconds), once every check has passed."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
            role = Role(claims["role"])
            sub = claims["sub"]
            hunt = claims.get("hunt")
            expires = int(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired") from None
        except (jwt.InvalidTokenError, KeyError, ValueError):
            raise Unauthorized("invalid token") from None
        if not _valid_subject(sub) or (hunt is not None and not _valid_subject(hunt)):
            raise Unauthorized("invalid token")
        if role is Role.HUNTER and (not _hunter_id(sub) or hunt is not None):
            # Hunters act across hunts (their finds, engravings, privacy): a hunter token
            # limited to one hunt could not be honoured on `/v1/me*` or `/v1/scans`, so
            # none is issued and any that carries a hunt is refused.
            raise Unauthorized("invalid token")
        return Principal(role=role, sub=sub, hunt=hunt), expires


MAX_SUBJECT = 256


def _valid_subject(value: object) -> bool:
    """Any text a database column can hold: bounded, no NUL, no lone surrogate (a JSON
    `"\\ud800"` decodes to one). Quotes, `%`, newlines, emoji are fine."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_SUBJECT or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _hunter_id(sub: str) -> bool:
    # ASCII digits only: str.isdigit() also accepts "²" and "١", which int() refuses or reads
    # as another number; and the id must fit the bigint column.
    return sub.isascii() and sub.isdigit() and len(sub) <= 19 and 0 < int(sub) < 2**63


QUERY_TOKEN_METHODS = frozenset({"GET", "HEAD"})


def bearer_token(request: web.Request, *, query_allowed: bool = False) -> str | None:
    """The request's token: from the Authorization header, or from `?token=` on the routes
    that allow it (reads only). A token in a URL ends up in logs and histories, so every
    other route refuses one there rather than ignore it and answer as if it were absent."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("expected 'Authorization: Bearer <token>'")
        return token.strip()
    if "token" not in request.query:
        return None
    if not query_allowed or request.method not in QUERY_TOKEN_METHODS:
        raise Unauthorized(
            "send the token as 'Authorization: Bearer <token>'; ?token= is taken only by the"
            " live streams and the pages"
        )
    # Browsers' WebSocket and EventSource clients cannot set headers.
    return request.query.get("token") or None


def authenticate(
    request: web.Request,
    issuer: TokenIssuer,
    roles: frozenset[Role],
    *,
    query_allowed: bool = False,
) -> Principal:
    token = bearer_token(request, query_allowed=query_allowed)
    if token is None:
        raise Unauthorized("missing bearer token")
    principal = issuer.verify(token)
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role.value!r} may not do this")
    return principal
