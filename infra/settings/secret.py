"""GEOHUNT_SECRET, the root of the JWT and QR keys, or in development one generated and kept."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from infra.settings.values import SettingsError

DEV_SECRET_FILE = "dev-secret"  # noqa: S105 - a file name


def root_secret(env: Mapping[str, str], dev: bool) -> bytes:
    raw_secret = env.get("GEOHUNT_SECRET", "")
    if raw_secret:
        if len(raw_secret) < 32:
            raise SettingsError("GEOHUNT_SECRET must be at least 32 characters")
        return raw_secret.encode()
    if dev:
        return dev_secret(Path(env.get("GEOHUNT_STATE_DIR", ".geohunt")))
    raise SettingsError("GEOHUNT_SECRET is required (or GEOHUNT_DEV=1 for a generated one)")


def dev_secret(state_dir: Path) -> bytes:
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
