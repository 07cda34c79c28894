"""Request and answer shapes of tokens, sign-in (handle, Ethereum, passkeys) and /v1/me."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from server.http.fields import (
    INTEGRAL,
    Handle,
    Slug,
    Strict,
)


class TokenIn(Strict):
    role: Literal["organiser", "field", "hunter", "screen"]
    sub: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@-]{1,64}$")]
    ttl_s: Annotated[int, Field(ge=60, le=30 * 24 * 3600), INTEGRAL] = 24 * 3600
    hunt: Slug | None = None


class TokenOut(BaseModel):
    token: str
    expires_at: datetime


class HunterIn(Strict):
    handle: Handle


class HunterOut(BaseModel):
    hunter_id: int
    token: str


class NonceOut(BaseModel):
    nonce: str


class SiweIn(Strict):
    message: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    signature: Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{130}$")]


class SiweOut(BaseModel):
    hunter_id: int
    token: str
    wallet: str


class MeOut(BaseModel):
    hunter_id: int
    handle: str | None
    wallet: str | None
    score: int
    finds: int


# --- passkeys (WebAuthn) -------------------------------------------------------------------------
# A credential is the JSON form a browser gives (`PublicKeyCredential.toJSON()`), its fields named
# as WebAuthn names them; bytes are unpadded base64url (RFC 4648, section 5).
B64URL = r"^[A-Za-z0-9_-]+$"


def _b64url(max_length: int) -> Any:
    return StringConstraints(min_length=1, max_length=max_length, pattern=B64URL)


CredentialIdText = Annotated[str, _b64url(1364)]  # a credential id is at most 1023 bytes
ClientData = Annotated[str, _b64url(8192)]
AttestationObject = Annotated[str, _b64url(32768)]
AuthenticatorData = Annotated[str, _b64url(8192)]
Signature = Annotated[str, _b64url(1024)]
UserHandle = Annotated[str, _b64url(86)]  # at most 64 bytes
Transport = Annotated[str, StringConstraints(pattern=r"^[a-z-]{1,32}$")]
# What the client's extensions answered: read by no one here, but bounded all the same.
Extensions = Annotated[dict[str, Any], Field(max_length=16)]


class PasskeyOptionsIn(Strict):
    purpose: Literal["register", "login"]


class PasskeyOptionsOut(BaseModel):
    """`PublicKeyCredentialCreationOptionsJSON` (register) or `...RequestOptionsJSON` (login),
    for `PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON`."""

    model_config = ConfigDict(extra="allow")

    challenge: str
    timeout: int
    rp: dict[str, str] | None = None
    user: dict[str, str] | None = None
    rpId: str | None = None
    userVerification: str | None = None


class AttestationResponseIn(Strict):
    clientDataJSON: ClientData
    attestationObject: AttestationObject
    transports: Annotated[list[Transport], Field(max_length=8)] = []
    authenticatorData: AuthenticatorData | None = None
    publicKey: Annotated[str, _b64url(2048)] | None = None
    publicKeyAlgorithm: Annotated[int, Field(ge=-(2**31), le=2**31 - 1), INTEGRAL] | None = None


class RegistrationCredentialIn(Strict):
    id: CredentialIdText
    rawId: CredentialIdText
    type: Literal["public-key"]
    response: AttestationResponseIn
    authenticatorAttachment: Literal["platform", "cross-platform"] | None = None
    clientExtensionResults: Extensions = {}


class PasskeyIn(Strict):
    credential: RegistrationCredentialIn


class PasskeyOut(BaseModel):
    credential_id: str


class AssertionResponseIn(Strict):
    clientDataJSON: ClientData
    authenticatorData: AuthenticatorData
    signature: Signature
    userHandle: UserHandle | None = None


class AssertionCredentialIn(Strict):
    id: CredentialIdText
    rawId: CredentialIdText
    type: Literal["public-key"]
    response: AssertionResponseIn
    authenticatorAttachment: Literal["platform", "cross-platform"] | None = None
    clientExtensionResults: Extensions = {}


class PasskeyLoginIn(Strict):
    credential: AssertionCredentialIn


class PasskeyLoginOut(BaseModel):
    hunter_id: int
    token: str
