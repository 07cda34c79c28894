"""Key derivation from the one root secret, and keyrings that let signing keys rotate.

The server holds a single root secret; every other key (JWT, QR codes, ...) is derived from it
with `derive_key` under its own purpose string, so leaking one derived key exposes nothing else.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Purposes in use; one place so two features never share a key by picking the same string.
PURPOSE_JWT = "jwt"
PURPOSE_QR = "qr"

KID_MAX_LEN = 8
MIN_KEY_LEN = 16
DERIVED_KEY_LEN = 32
_HASH_LEN = 32
# A fixed, public salt: the root secret is already uniformly random, the salt only pins this
# scheme so the same root secret used elsewhere yields unrelated keys.
_KDF_SALT = b"geohunt/kdf/v1"


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = DERIVED_KEY_LEN) -> bytes:
    """RFC 5869 HKDF with SHA-256 (extract, then expand), from stdlib primitives only."""
    if not 0 < length <= 255 * _HASH_LEN:
        raise ValueError("HKDF length out of range")
    prk = hmac.digest(salt or bytes(_HASH_LEN), ikm, "sha256")
    okm = b""
    block = b""
    counter = 1
    while len(okm) < length:
        block = hmac.digest(prk, block + info + bytes((counter,)), "sha256")
        okm += block
        counter += 1
    return okm[:length]


def derive_key(root_secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for `purpose`, independent of the keys for every other purpose."""
    if len(root_secret) < MIN_KEY_LEN:
        raise ValueError(f"root secret must be at least {MIN_KEY_LEN} bytes")
    if not purpose or not purpose.isascii() or not purpose.isprintable():
        raise ValueError("purpose must be non-empty printable ASCII")
    return hkdf_sha256(root_secret, _KDF_SALT, purpose.encode("ascii"))


def is_valid_kid(kid: str) -> bool:
    """Key ids are 1-8 chars of [a-z0-9]: they are printed inside codes."""
    return 0 < len(kid) <= KID_MAX_LEN and kid.isascii() and kid.isalnum() and kid == kid.lower()


@dataclass(frozen=True, slots=True, eq=False)
class Keyring:
    """Keys by id; the active one signs, all of them verify.

    Rotation: add a new key and make it active; codes already printed with an older kid keep
    verifying until that kid is dropped from the ring.
    """

    keys: Mapping[str, bytes]
    active_kid: str

    def __post_init__(self) -> None:
        for kid, key in self.keys.items():
            if not is_valid_kid(kid):
                raise ValueError(f"invalid key id {kid!r}: use 1-{KID_MAX_LEN} chars of [a-z0-9]")
            if not isinstance(key, bytes) or len(key) < MIN_KEY_LEN:
                raise ValueError(f"key {kid!r} must be at least {MIN_KEY_LEN} bytes")
        if self.active_kid not in self.keys:
            raise ValueError(f"active key id {self.active_kid!r} is not in the ring")
        # Copy so a caller mutating its dict later cannot change what we verify against.
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @classmethod
    def derived(
        cls, root_secret: bytes, kids: Iterable[str], active_kid: str, purpose: str = PURPOSE_QR
    ) -> Keyring:
        """A ring whose key for each kid is derived from the root secret under `purpose:kid`."""
        keys = {kid: derive_key(root_secret, f"{purpose}:{kid}") for kid in kids}
        return cls(keys, active_kid)

    @property
    def active_key(self) -> bytes:
        return self.keys[self.active_kid]

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self.keys)

    def get(self, kid: str) -> bytes | None:
        return self.keys.get(kid)

    def __repr__(self) -> str:  # kids only: secrets must never reach logs
        return f"Keyring(kids={sorted(self.keys)!r}, active_kid={self.active_kid!r})"
