"""The one settings object, read from the environment once at start-up."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hunt_engine.keys import PURPOSE_JWT, PURPOSE_QR, Keyring, derive_key

DEV_SECRET_FILE = "dev-secret"  # noqa: S105 - a file name


class SettingsError(RuntimeError):
    """The environment does not describe a runnable server."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    redis_url: str | None
    public_base_url: str
    secret: bytes = field(repr=False)
    dev: bool = False
    qr_key_ids: tuple[str, ...] = ("1",)
    redis_prefix: str = "geohunt:"
    db_pool_min: int = 2
    db_pool_max: int = 10
    max_body_bytes: int = 1_048_576
    import_max_bytes: int = 20_971_520
    chain_rpc_url: str | None = None
    minter_private_key: str | None = field(default=None, repr=False)
    contract_address: str | None = None
    state_dir: str = ".geohunt"

    @property
    def public_host(self) -> str:
        """The authority SIWE messages must name (host[:port])."""
        return urlsplit(self.public_base_url).netloc

    @property
    def jwt_key(self) -> bytes:
        return derive_key(self.secret, PURPOSE_JWT)

    @property
    def qr_keyring(self) -> Keyring:
        return Keyring.derived(self.secret, self.qr_key_ids, self.qr_key_ids[0], PURPOSE_QR)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        dev = env.get("GEOHUNT_DEV", "") in ("1", "true", "yes")
        raw_secret = env.get("GEOHUNT_SECRET", "")
        if raw_secret:
            if len(raw_secret) < 32:
                raise SettingsError("GEOHUNT_SECRET must be at least 32 characters")
            secret = raw_secret.encode()
        elif dev:
            secret = _dev_secret(Path(env.get("GEOHUNT_STATE_DIR", ".geohunt")))
        else:
            raise SettingsError("GEOHUNT_SECRET is required (or GEOHUNT_DEV=1 for a generated one)")
        base = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
        if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
            raise SettingsError("PUBLIC_BASE_URL must be an http(s) origin")
        kids = tuple(k.strip() for k in env.get("GEOHUNT_QR_KEY_IDS", "1").split(",") if k.strip())
        if not kids:
            raise SettingsError("GEOHUNT_QR_KEY_IDS must name at least one key id")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            public_base_url=base,
            secret=secret,
            dev=dev,
            qr_key_ids=kids,
            redis_prefix=env.get("GEOHUNT_REDIS_PREFIX", "geohunt:"),
            db_pool_min=_int(env, "GEOHUNT_DB_POOL_MIN", 2, 1, 1000),
            db_pool_max=_int(env, "GEOHUNT_DB_POOL_MAX", 10, 1, 1000),
            chain_rpc_url=env.get("CHAIN_RPC_URL") or None,
            minter_private_key=env.get("MINTER_PRIVATE_KEY") or None,
            contract_address=env.get("CONTRACT_ADDRESS") or None,
            state_dir=env.get("GEOHUNT_STATE_DIR", ".geohunt"),
        )


def _dev_secret(state_dir: Path) -> bytes:
    """A generated secret kept beside the dev state, so that `serve`, `token` and `demo` agree
    and printed codes survive a restart; never used unless GEOHUNT_DEV is set."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / DEV_SECRET_FILE
    if not path.exists():
        # Written aside, then linked into place: a sibling process starting at the same moment
        # reads a complete secret or makes none, never half of one.
        temp = state_dir / f".{DEV_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            try:
                os.link(temp, path)
            except FileExistsError:
                pass
        finally:
            temp.unlink(missing_ok=True)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise SettingsError(f"{path} holds no usable secret: delete it to make a new one")
    return secret.encode()


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value
