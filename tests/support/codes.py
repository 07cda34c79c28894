"""QR codes and AR tickets signed per the documented format, independently of the module under
test, with an example deployment's keys."""

from __future__ import annotations

import hmac
from base64 import urlsafe_b64encode

from hypothesis import strategies as st

from hunt_engine.codes import MAX_ID
from hunt_engine.keys import Keyring

ROOT = b"example root secret, 32 bytes!!!"
RING = Keyring.derived(ROOT, ["k1"], "k1")
CODE_DOMAIN = b"geohunt/code/v1\n"

ids = st.integers(min_value=0, max_value=MAX_ID)


def forge(key: bytes, body: str, domain: bytes = CODE_DOMAIN) -> str:
    """Sign `body` per the documented format (a QR code's unless `domain` says otherwise)."""
    mac = hmac.digest(key, domain + body.encode(), "sha256")
    return f"{body}.{urlsafe_b64encode(mac[:12]).decode()}"
