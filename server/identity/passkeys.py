"""Passkeys (WebAuthn) for hunters: options with a single-use challenge kept in PostgreSQL,
registration of a discoverable credential, and sign-in with it from any device it syncs to.

The relying party is the host of PUBLIC_BASE_URL and the only origin accepted is
PUBLIC_BASE_URL itself. A challenge is taken (deleted) by the first credential that names it in
its clientDataJSON, before anything else is checked, so it never serves twice even when that
credential fails; it is good only for its purpose (a login challenge cannot register), a
registration's only for the hunter who asked, and only for CHALLENGE_TTL_S."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from hunt_engine.errors import BadAssertion, ChallengeReused, Conflict, Unauthorized
from infra.settings import Settings
from server.identity.queries import (
    ADD_PASSKEY_SQL,
    ADVANCE_PASSKEY_SQL,
    HUNTER_PASSKEYS_SQL,
    ISSUE_CHALLENGE_SQL,
    PASSKEY_BY_CREDENTIAL_SQL,
    PASSKEY_HUNTER_SQL,
    PASSKEY_USER_HANDLE_SQL,
    TAKE_CHALLENGE_SQL,
)

CHALLENGE_TTL_S = 300
RP_NAME = "geohunt"
REGISTER, LOGIN = "register", "login"
MAX_CREDENTIAL_ID = 1023  # bytes, as WebAuthn bounds it
_CHALLENGE_TEXT = re.compile(r"[A-Za-z0-9_-]{16,128}")
_TRANSPORTS = {t.value: t for t in AuthenticatorTransport}


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the RP id (a host name, never an IP address) and the origin."""

    id: str
    origin: str

    @classmethod
    def of(cls, settings: Settings) -> RelyingParty:
        host = urlsplit(settings.public_base_url).hostname or ""
        return cls(id=host, origin=settings.public_base_url)


@dataclass(frozen=True)
class Passkeys:
    pool: asyncpg.Pool
    rp: RelyingParty
    challenge_ttl_s: float = CHALLENGE_TTL_S

    async def registration_options(self, hunter_id: int) -> dict[str, Any]:
        """Options to create a discoverable credential for this hunter; none it has already."""
        hunter = await self.pool.fetchrow(PASSKEY_HUNTER_SQL, hunter_id)
        if hunter is None:
            raise Unauthorized("this hunter no longer exists")
        user_handle = await self.pool.fetchval(
            PASSKEY_USER_HANDLE_SQL, hunter_id, secrets.token_bytes(32)
        )
        name = hunter["handle"] or hunter["wallet"] or f"hunter-{hunter_id}"
        known = await self.pool.fetch(HUNTER_PASSKEYS_SQL, hunter_id)
        challenge = await self._issue(REGISTER, hunter_id)
        options = generate_registration_options(
            rp_id=self.rp.id,
            rp_name=RP_NAME,
            user_id=bytes(user_handle),
            user_name=name,
            user_display_name=name,
            challenge=challenge,
            timeout=int(self.challenge_ttl_s * 1000),
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            exclude_credentials=[
                PublicKeyCredentialDescriptor(
                    id=bytes(row["credential_id"]),
                    transports=[_TRANSPORTS[t] for t in row["transports"] if t in _TRANSPORTS],
                )
                for row in known
            ],
        )
        return options_to_json_dict(options)

    async def login_options(self) -> dict[str, Any]:
        """Options to sign in with any of this site's passkeys: no allowCredentials, so the
        browser offers the discoverable ones without asking who the hunter is."""
        challenge = await self._issue(LOGIN, None)
        options = generate_authentication_options(
            rp_id=self.rp.id,
            challenge=challenge,
            timeout=int(self.challenge_ttl_s * 1000),
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        answer = options_to_json_dict(options)
        answer.pop("allowCredentials", None)  # empty: said by leaving it out
        return answer

    async def register(self, hunter_id: int, credential: dict[str, Any]) -> bytes:
        """Verify a registration response for this hunter and keep its credential; return the
        credential's id."""
        challenge = self._challenge_of(credential)
        taken = await self.pool.fetchrow(TAKE_CHALLENGE_SQL, challenge)
        if taken is None or not taken["live"]:
            raise ChallengeReused()
        if taken["purpose"] != REGISTER or taken["hunter_id"] != hunter_id:
            raise ChallengeReused("this challenge was not issued to register a passkey for you")
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp.id,
                expected_origin=self.rp.origin,
            )
        except Exception as err:  # the parsers raise a zoo of types on malformed bytes
            raise BadAssertion(f"the registration does not verify: {_why(err)}") from None
        if verified.credential_id != _bytes(credential["rawId"]) or not (
            0 < len(verified.credential_id) <= MAX_CREDENTIAL_ID
        ):
            raise BadAssertion("the registration does not verify: its credential id is not rawId")
        transports = [t for t in credential["response"].get("transports", ()) if t in _TRANSPORTS]
        added = await self.pool.fetchval(
            ADD_PASSKEY_SQL,
            verified.credential_id,
            hunter_id,
            verified.credential_public_key,
            verified.sign_count,
            transports,
        )
        if added is None:
            raise Conflict("this passkey is registered already")
        return verified.credential_id

    async def login(self, credential: dict[str, Any]) -> int:
        """Verify an assertion; return the id of the hunter whose passkey signed it."""
        challenge = self._challenge_of(credential)
        taken = await self.pool.fetchrow(TAKE_CHALLENGE_SQL, challenge)
        if taken is None or not taken["live"] or taken["purpose"] != LOGIN:
            raise ChallengeReused()
        raw_id = _bytes(credential["rawId"])
        stored = await self.pool.fetchrow(PASSKEY_BY_CREDENTIAL_SQL, raw_id)
        if stored is None:
            raise BadAssertion("no such passkey is registered here")
        user_handle = credential["response"].get("userHandle")
        if user_handle is not None and _bytes(user_handle) != bytes(stored["user_handle"]):
            raise BadAssertion("the passkey names another user")
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=challenge,
                expected_rp_id=self.rp.id,
                expected_origin=self.rp.origin,
                credential_public_key=bytes(stored["public_key"]),
                credential_current_sign_count=stored["sign_count"],
            )
        except Exception as err:  # as above
            raise BadAssertion(f"the assertion does not verify: {_why(err)}") from None
        hunter_id = await self.pool.fetchval(ADVANCE_PASSKEY_SQL, raw_id, verified.new_sign_count)
        if hunter_id is None:
            # Another sign-in with this counter got there first (two at once, or a clone).
            raise BadAssertion("the passkey's counter did not move forward")
        return int(hunter_id)

    async def _issue(self, purpose: str, hunter_id: int | None) -> bytes:
        challenge = secrets.token_bytes(32)
        await self.pool.execute(
            ISSUE_CHALLENGE_SQL, challenge, purpose, hunter_id, float(self.challenge_ttl_s)
        )
        return challenge

    @staticmethod
    def _challenge_of(credential: dict[str, Any]) -> bytes:
        """The challenge a credential answers, read from its clientDataJSON."""
        try:
            client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
            text = client_data["challenge"]
            if not isinstance(text, str) or _CHALLENGE_TEXT.fullmatch(text) is None:
                raise ValueError("no challenge")
            return base64url_to_bytes(text)
        except (ValueError, TypeError, KeyError, RecursionError):
            raise BadAssertion("clientDataJSON names no challenge") from None


def _bytes(text: str) -> bytes:
    """Unpadded base64url, as the schemas admit it (its alphabet only: nothing is skipped); a
    length no encoding has (4n + 1) is a malformed credential."""
    try:
        return base64url_to_bytes(text)
    except ValueError:
        raise BadAssertion("the credential is malformed: a field is not base64url") from None


# The library's reasons, as sentences that never echo what the client sent (its origin...).
_REASONS = (
    ("origin", "it was made for another origin"),
    ("RP ID", "it was made for another relying party"),
    ("sign count", "the passkey's counter did not move forward"),
    ("signature", "its signature does not match"),
    ("challenge", "it answers another challenge"),
    ("client data type", "it is not the ceremony this route takes"),
    ("User presence", "no user was present"),
    ("User was not present", "no user was present"),
)


def _why(err: Exception) -> str:
    text = str(err)
    return next((reason for needle, reason in _REASONS if needle in text), "it is malformed")


def credential_id_text(credential_id: bytes) -> str:
    return bytes_to_base64url(credential_id)
