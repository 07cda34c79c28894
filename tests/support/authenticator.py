"""A software passkey authenticator: real WebAuthn registration responses (attestation "none",
an EC P-256 key, a COSE key in the attested credential data) and real assertions (an ES256
signature over authenticatorData || SHA-256(clientDataJSON)), in the JSON form browsers give
(`PublicKeyCredential.toJSON()`). Knobs let a test get the origin, the RP id, the counter, the
challenge or the signature wrong."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40
AAGUID = bytes(16)  # "none" attestation: an authenticator that does not say what it is


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Passkey:
    """One credential as the authenticator keeps it: its id, private key, user and counter."""

    rp_id: str
    user_handle: bytes
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    sign_count: int = 0

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        # kty EC2, alg ES256, crv P-256, x, y (RFC 9053)
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


def client_data(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps(
        {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
        separators=(",", ":"),
    ).encode()


def authenticator_data(rp_id: str, flags: int, sign_count: int, attested: bytes = b"") -> bytes:
    rp_id_hash = hashlib.sha256(rp_id.encode()).digest()
    return rp_id_hash + bytes([flags]) + struct.pack(">I", sign_count) + attested


def register(
    options: dict[str, Any],
    *,
    origin: str,
    rp_id: str | None = None,
    sign_count: int = 0,
    challenge: str | None = None,
    kind: str = "webauthn.create",
    passkey: Passkey | None = None,
) -> tuple[Passkey, dict[str, Any]]:
    """Create a credential for `options` (the server's creation options) as a browser at
    `origin` would; the RP id is the options' unless given. `passkey` sends an existing
    credential again (as a second registration of it)."""
    if passkey is None:
        passkey = Passkey(rp_id=options["rp"]["id"], user_handle=unb64url(options["user"]["id"]))
    attested = AAGUID + struct.pack(">H", len(passkey.credential_id)) + passkey.credential_id
    auth_data = authenticator_data(
        rp_id or passkey.rp_id, UP | UV | AT, sign_count, attested + passkey.cose_key()
    )
    passkey.sign_count = sign_count
    attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
    data = client_data(kind, challenge or options["challenge"], origin)
    return passkey, {
        "id": passkey.id,
        "rawId": passkey.id,
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(data),
            "attestationObject": b64url(attestation),
            "transports": ["hybrid", "internal"],
        },
        "authenticatorAttachment": "platform",
        "clientExtensionResults": {},
    }


def assertion(
    passkey: Passkey,
    options: dict[str, Any],
    *,
    origin: str,
    rp_id: str | None = None,
    sign_count: int | None = None,
    challenge: str | None = None,
    kind: str = "webauthn.get",
    bad_signature: bool = False,
    user_handle: bytes | None = None,
) -> dict[str, Any]:
    """Sign in with `passkey` against `options` (the server's request options). The counter
    goes up by one unless `sign_count` says what to send (0 for an authenticator with none)."""
    count = passkey.sign_count + 1 if sign_count is None else sign_count
    passkey.sign_count = count
    auth_data = authenticator_data(rp_id or passkey.rp_id, UP | UV, count)
    data = client_data(kind, challenge or options["challenge"], origin)
    signed = auth_data + hashlib.sha256(data).digest()
    signature = passkey.key.sign(signed, ec.ECDSA(hashes.SHA256()))
    if bad_signature:
        other = ec.generate_private_key(ec.SECP256R1())
        signature = other.sign(signed, ec.ECDSA(hashes.SHA256()))
    return {
        "id": passkey.id,
        "rawId": passkey.id,
        "type": "public-key",
        "response": {
            "clientDataJSON": b64url(data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
            "userHandle": b64url(user_handle or passkey.user_handle),
        },
        "authenticatorAttachment": "platform",
        "clientExtensionResults": {},
    }
