"""What `geohunt worker` sends with and how: its keys, batches, fees and confirmations, and the
demo's wallet key (which must never be one of them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from infra.settings.values import SettingsError, integer, number

# Keys a worker may be given: each is a sender of its own (a lock connection, its nonces), and
# past a few the node or the database, not the keys, bound the throughput.
MAX_MINTER_KEYS = 16


@dataclass(frozen=True)
class MintSettings:
    """How `geohunt worker` batches, prices and confirms its transactions."""

    batch_max: int = 100
    max_in_flight: int = 8
    confirmations: int = 1
    replace_after_s: float = 30.0
    fee_bump_percent: int = 25
    priority_fee_wei: int = 1_000_000_000
    poll_s: float = 1.0
    receipt_poll_s: float = 0.1
    max_attempts: int = 5
    rpc_timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MintSettings:
        return cls(
            batch_max=integer(env, "MINT_BATCH_MAX", cls.batch_max, 1, 500),
            max_in_flight=integer(env, "MINT_MAX_IN_FLIGHT", cls.max_in_flight, 1, 64),
            confirmations=integer(env, "MINT_CONFIRMATIONS", cls.confirmations, 1, 1000),
            replace_after_s=number(env, "MINT_REPLACE_AFTER_S", cls.replace_after_s, 1, 86400),
            # Nodes refuse a replacement that raises its fees by less than 10%.
            fee_bump_percent=integer(env, "MINT_FEE_BUMP_PERCENT", cls.fee_bump_percent, 10, 500),
            priority_fee_wei=int(
                number(env, "MINT_PRIORITY_FEE_GWEI", cls.priority_fee_wei / 1e9, 0, 10_000) * 1e9
            ),
            poll_s=number(env, "MINT_POLL_S", cls.poll_s, 0.05, 60),
            receipt_poll_s=number(env, "MINT_RECEIPT_POLL_S", cls.receipt_poll_s, 0.01, 60),
            max_attempts=integer(env, "MINT_MAX_ATTEMPTS", cls.max_attempts, 1, 100),
            rpc_timeout_s=number(env, "CHAIN_RPC_TIMEOUT_S", cls.rpc_timeout_s, 0.5, 300),
        )


def minter_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    """MINTER_PRIVATE_KEYS (comma-separated) or MINTER_PRIVATE_KEY (one): each 32 bytes of hex,
    no key twice, at most MAX_MINTER_KEYS. A key is never echoed, not even a malformed one:
    errors name its position."""
    many = env.get("MINTER_PRIVATE_KEYS") or None
    one = env.get("MINTER_PRIVATE_KEY") or None
    if many is not None and one is not None:
        raise SettingsError("set MINTER_PRIVATE_KEYS or MINTER_PRIVATE_KEY, not both")
    if one is not None:
        return (private_key(one, "MINTER_PRIVATE_KEY"),)
    if many is None:
        return ()
    items = [item for item in (part.strip() for part in many.split(",")) if item]
    keys = tuple(
        private_key(item, f"MINTER_PRIVATE_KEYS: key {n}") for n, item in enumerate(items, 1)
    )
    if not keys:
        raise SettingsError("MINTER_PRIVATE_KEYS names no key")
    if len(keys) > MAX_MINTER_KEYS:
        raise SettingsError(f"MINTER_PRIVATE_KEYS: at most {MAX_MINTER_KEYS} keys")
    if len(set(keys)) != len(keys):
        twice = next(n for n, key in enumerate(keys, 1) if key in keys[: n - 1])
        raise SettingsError(f"MINTER_PRIVATE_KEYS: key {twice} is an earlier key again")
    return keys


def private_key(key: str, name: str) -> str:
    hex_part = key[2:] if key.startswith("0x") else key
    if len(hex_part) != 64 or not all(c in "0123456789abcdefABCDEF" for c in hex_part):
        # Never echo the value: it is a secret even when malformed.
        raise SettingsError(f"{name} must be 32 bytes of hex")
    return "0x" + hex_part.lower()


def demo_wallet_key(env: Mapping[str, str]) -> str | None:
    """GEOHUNT_DEMO_WALLET_KEY: published to every visitor of the fan app, so it may never be
    a minter's key (anyone could mint with it)."""
    key = env.get("GEOHUNT_DEMO_WALLET_KEY") or None
    if key is None:
        return None
    key = private_key(key, "GEOHUNT_DEMO_WALLET_KEY")
    if key in minter_keys(env):
        raise SettingsError(
            "GEOHUNT_DEMO_WALLET_KEY must not be MINTER_PRIVATE_KEY or one of MINTER_PRIVATE_KEYS"
        )
    return key
