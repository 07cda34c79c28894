"""DATABASE_READ_URL: the streaming replica the reads that may be a moment behind go to."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from infra.settings.values import SettingsError


def read_url(env: Mapping[str, str]) -> str | None:
    """DATABASE_READ_URL: a postgres(ql):// URL, never the primary's own (which would make every
    read look a replica's while it is not one)."""
    url = env.get("DATABASE_READ_URL") or None
    if url is None:
        return None
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise SettingsError("DATABASE_READ_URL must be a postgresql:// URL of a streaming replica")
    if url == env.get("DATABASE_URL"):
        raise SettingsError("DATABASE_READ_URL must name a replica, not DATABASE_URL itself")
    return url
