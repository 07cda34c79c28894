"""Sign-In with Ethereum as a wallet does it: a nonce from the server, an EIP-4361 message,
a personal_sign signature."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from eth_account import Account
from eth_account.messages import encode_defunct

from tests.support.api import Api
from tests.support.builders import iso

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from siwe import SiweMessage


def siwe_message(
    api: Api,
    address: str,
    nonce: str,
    *,
    domain: str | None = None,
    expires_in: timedelta | None = timedelta(minutes=5),
    not_before: datetime | None = None,
) -> str:
    base = api.settings.public_base_url
    fields: dict[str, Any] = {
        "domain": domain or urlsplit(base).netloc,
        "address": address,
        "statement": "Sign in to geohunt.",
        "uri": base,
        "version": "1",
        "chain_id": 1,
        "issued_at": iso(datetime.now(UTC), "seconds"),
        "nonce": nonce,
    }
    if expires_in is not None:
        fields["expiration_time"] = iso(datetime.now(UTC) + expires_in, "seconds")
    if not_before is not None:
        fields["not_before"] = iso(not_before, "seconds")
    return SiweMessage(**fields).prepare_message()


def sign(message: str, key: bytes) -> str:
    signature = Account.sign_message(encode_defunct(text=message), key).signature
    return "0x" + bytes(signature).hex()


async def nonce(api: Api) -> str:
    _, body = await api.call("GET", "/v1/auth/siwe/nonce", 200)
    assert body["nonce"].isalnum() and len(body["nonce"]) >= 8
    return body["nonce"]


async def siwe(
    api: Api, account: Any, expect: int, headers: dict[str, str] | None = None, **options: Any
) -> dict[str, Any]:
    message = siwe_message(
        api, account.address, options.pop("nonce", None) or await nonce(api), **options
    )
    _, body = await api.call(
        "POST",
        "/v1/auth/siwe",
        expect,
        headers=headers,
        json={"message": message, "signature": sign(message, account.key)},
    )
    return body
