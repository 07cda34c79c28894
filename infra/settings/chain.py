"""CHAIN_RPC_URL and CONTRACT_ADDRESS: the node every chain process talks to, and the contract."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from infra.settings.values import SettingsError


def rpc_url(env: Mapping[str, str]) -> str | None:
    url = env.get("CHAIN_RPC_URL") or None
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise SettingsError("CHAIN_RPC_URL must be an http(s) JSON-RPC endpoint")
    return url


def address(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name) or None
    if value is None:
        return None
    if len(value) != 42 or not value.startswith("0x"):
        raise SettingsError(f"{name} must be a 0x-prefixed 20-byte address")
    try:
        int(value[2:], 16)
    except ValueError:
        raise SettingsError(f"{name} must be a 0x-prefixed 20-byte address") from None
    return value
