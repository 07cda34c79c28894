"""DATABASE_READ_URL, DATABASE_READ_MAX_LAG_S and DATABASE_READ_TIMEOUT_S: the read replica, how
far behind it may be, and how long a read waits for it."""

from __future__ import annotations

import pytest

from infra.settings import Settings, SettingsError

BASE = {"GEOHUNT_SECRET": "s" * 40, "DATABASE_URL": "postgresql://db.example/geohunt"}
REPLICA = "postgresql://replica.example/geohunt"


def test_no_replica_unless_named() -> None:
    settings = Settings.from_env(BASE)
    assert settings.database_read_url is None
    assert settings.database_read_max_lag_s == 5.0
    assert settings.database_read_timeout_s == 5.0
    assert Settings.from_env({**BASE, "DATABASE_READ_URL": ""}).database_read_url is None


def test_a_replica_and_its_bound() -> None:
    env = {
        **BASE,
        "DATABASE_READ_URL": REPLICA,
        "DATABASE_READ_MAX_LAG_S": "2.5",
        "DATABASE_READ_TIMEOUT_S": "0.75",
    }
    settings = Settings.from_env(env)
    assert settings.database_read_url == REPLICA
    assert settings.database_read_max_lag_s == 2.5
    assert settings.database_read_timeout_s == 0.75
    assert Settings.from_env({**env, "DATABASE_READ_URL": "postgres://r/x"}).database_read_url


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.1", "be between 0.5 and 3600"),  # measured a few times per bound: not that often
        ("0", "be between 0.5 and 3600"),
        ("-1", "be between 0.5 and 3600"),
        ("3601", "be between 0.5 and 3600"),
        ("nan", "be between 0.5 and 3600"),
        ("inf", "be between 0.5 and 3600"),
        ("-inf", "be between 0.5 and 3600"),
        ("5s", "be a number"),
    ],
)
def test_the_bound_is_a_finite_number_in_range(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"DATABASE_READ_MAX_LAG_S must {message}"):
        Settings.from_env({**BASE, "DATABASE_READ_MAX_LAG_S": value})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.05", "be between 0.1 and 600"),
        ("0", "be between 0.1 and 600"),
        ("601", "be between 0.1 and 600"),
        ("nan", "be between 0.1 and 600"),
        ("inf", "be between 0.1 and 600"),
        ("3s", "be a number"),
    ],
)
def test_the_read_timeout_is_a_finite_number_in_range(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=f"DATABASE_READ_TIMEOUT_S must {message}"):
        Settings.from_env({**BASE, "DATABASE_READ_TIMEOUT_S": value})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://replica.example/0", "postgresql:// URL"),
        ("replica.example:5432", "postgresql:// URL"),
        (BASE["DATABASE_URL"], "not DATABASE_URL itself"),
    ],
)
def test_the_replica_must_be_a_postgres_url_other_than_the_primary(url: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**BASE, "DATABASE_READ_URL": url})
