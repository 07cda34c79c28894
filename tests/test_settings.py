from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.settings import Settings, SettingsError


def test_a_secret_is_required_outside_dev_mode() -> None:
    with pytest.raises(SettingsError, match="GEOHUNT_SECRET"):
        Settings.from_env({})
    with pytest.raises(SettingsError, match="at least 32"):
        Settings.from_env({"GEOHUNT_SECRET": "short"})


def test_dev_mode_generates_one_private_secret_and_keeps_it(tmp_path: Path) -> None:
    env = {"GEOHUNT_DEV": "1", "GEOHUNT_STATE_DIR": str(tmp_path)}
    first, second = Settings.from_env(env), Settings.from_env(env)
    assert first.secret == second.secret and len(first.secret) >= 32
    mode = (tmp_path / "dev-secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert first.jwt_key != first.qr_keyring.active_key


def test_secret_never_appears_in_repr() -> None:
    settings = Settings.from_env({"GEOHUNT_SECRET": "s" * 40, "MINTER_PRIVATE_KEY": "0xabc"})
    assert "sss" not in repr(settings) and "0xabc" not in repr(settings)


def test_public_base_url_must_be_an_origin() -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"GEOHUNT_SECRET": "s" * 40, "PUBLIC_BASE_URL": "ftp://x"})
    settings = Settings.from_env(
        {"GEOHUNT_SECRET": "s" * 40, "PUBLIC_BASE_URL": "https://a.b:8443/"}
    )
    assert settings.public_base_url == "https://a.b:8443" and settings.public_host == "a.b:8443"
