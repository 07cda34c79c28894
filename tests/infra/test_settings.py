from __future__ import annotations

import stat
from pathlib import Path

import pytest

from infra.settings import Settings, SettingsError


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
    key = "0x" + "ab" * 32
    settings = Settings.from_env({"GEOHUNT_SECRET": "s" * 40, "MINTER_PRIVATE_KEY": key})
    assert settings.minter_private_key == key
    assert "sss" not in repr(settings) and "abab" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MINTER_PRIVATE_KEY", "0xabc"),
        ("MINTER_PRIVATE_KEY", "0x" + "zz" * 32),
        ("CONTRACT_ADDRESS", "0x1234"),
        ("CONTRACT_ADDRESS", "0x" + "g" * 40),
        ("CHAIN_RPC_URL", "ftp://node"),
        ("MINT_BATCH_MAX", "0"),
        ("MINT_CONFIRMATIONS", "many"),
        ("MINT_REPLACE_AFTER_S", "nan"),
        ("MINT_FEE_BUMP_PERCENT", "5"),
    ],
)
def test_chain_settings_are_checked(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GEOHUNT_SECRET": "s" * 40, name: value})
    assert name in str(caught.value)
    if name == "MINTER_PRIVATE_KEY":
        assert value not in str(caught.value)


KEY_A, KEY_B, KEY_C = ("0x" + c * 64 for c in "abc")


def test_one_minting_key_is_a_list_of_one() -> None:
    settings = Settings.from_env({"GEOHUNT_SECRET": "s" * 40, "MINTER_PRIVATE_KEY": KEY_A[2:]})
    assert settings.minter_private_keys == (KEY_A,) and settings.minter_private_key == KEY_A
    unset = Settings.from_env({"GEOHUNT_SECRET": "s" * 40, "MINTER_PRIVATE_KEYS": ""})
    assert unset.minter_private_keys == () and unset.minter_private_key is None


def test_several_minting_keys_keep_their_order_and_never_show_in_repr() -> None:
    listed = f" {KEY_B.upper().replace('0X', '0x')} ,{KEY_A[2:]},, {KEY_C},"
    settings = Settings.from_env({"GEOHUNT_SECRET": "s" * 40, "MINTER_PRIVATE_KEYS": listed})
    assert settings.minter_private_keys == (KEY_B, KEY_A, KEY_C)
    assert settings.minter_private_key == KEY_B  # the first deploys
    for key in (KEY_A, KEY_B, KEY_C):
        assert key[2:10] not in repr(settings)


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"MINTER_PRIVATE_KEYS": f"{KEY_A},0x1234"}, "MINTER_PRIVATE_KEYS: key 2 must be 32 bytes"),
        ({"MINTER_PRIVATE_KEYS": f"{KEY_A}, {KEY_B}, {KEY_A[2:].upper()}"}, "key 3 is an earlier"),
        ({"MINTER_PRIVATE_KEYS": " , ,"}, "names no key"),
        ({"MINTER_PRIVATE_KEYS": ",".join(f"0x{n:064x}" for n in range(1, 18))}, "at most 16"),
        ({"MINTER_PRIVATE_KEYS": KEY_A, "MINTER_PRIVATE_KEY": KEY_B}, "not both"),
        (
            {"MINTER_PRIVATE_KEYS": f"{KEY_A},{KEY_B}", "GEOHUNT_DEMO_WALLET_KEY": KEY_B},
            "GEOHUNT_DEMO_WALLET_KEY must not be",
        ),
    ],
)
def test_minting_keys_are_checked_and_never_echoed(env: dict[str, str], error: str) -> None:
    with pytest.raises(SettingsError, match=error) as caught:
        Settings.from_env({"GEOHUNT_SECRET": "s" * 40, **env})
    for key in (KEY_A, KEY_B):
        assert key[2:10] not in str(caught.value).lower()


def test_sixteen_minting_keys_are_allowed() -> None:
    keys = [f"0x{n:064x}" for n in range(1, 17)]
    settings = Settings.from_env(
        {"GEOHUNT_SECRET": "s" * 40, "MINTER_PRIVATE_KEYS": ",".join(keys)}
    )
    assert settings.minter_private_keys == tuple(keys)


def test_mint_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "GEOHUNT_SECRET": "s" * 40,
            "MINT_BATCH_MAX": "50",
            "MINT_CONFIRMATIONS": "3",
            "MINT_REPLACE_AFTER_S": "2.5",
            "MINT_PRIORITY_FEE_GWEI": "0.5",
        }
    )
    assert settings.mint.batch_max == 50 and settings.mint.confirmations == 3
    assert settings.mint.replace_after_s == 2.5
    assert settings.mint.priority_fee_wei == 500_000_000


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("FOLLOW_CONFIRMATIONS", "3.5", "FOLLOW_CONFIRMATIONS must be an integer"),
        ("FOLLOW_BLOCK_SPAN", "100001", "FOLLOW_BLOCK_SPAN must be between 1 and 100000"),
        ("FOLLOW_POLL_S", "soon", "FOLLOW_POLL_S must be a number"),
        ("FOLLOW_POLL_S", "nan", "FOLLOW_POLL_S must be between 0.05 and 600"),
        ("MINT_MAX_IN_FLIGHT", "0", "MINT_MAX_IN_FLIGHT must be between 1 and 64"),
        ("MINT_RECEIPT_POLL_S", "inf", "MINT_RECEIPT_POLL_S must be between 0.01 and 60"),
        ("MINT_PRIORITY_FEE_GWEI", "-1", "MINT_PRIORITY_FEE_GWEI must be between 0 and 10000"),
    ],
)
def test_bounded_numbers_say_what_they_must_be(name: str, value: str, error: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"GEOHUNT_SECRET": "s" * 40, name: value})
    assert str(caught.value) == error


def test_bounded_numbers_take_their_bounds_and_default_when_empty() -> None:
    settings = Settings.from_env(
        {
            "GEOHUNT_SECRET": "s" * 40,
            "FOLLOW_CONFIRMATIONS": "",
            "FOLLOW_BLOCK_SPAN": "100000",
            "FOLLOW_POLL_S": "0.05",
            "FOLLOW_FROM_BLOCK": str(2**62),
            "MINT_MAX_IN_FLIGHT": "1",
        }
    )
    assert settings.follow.confirmations == 3 and settings.follow.block_span == 100_000
    assert settings.follow.poll_s == 0.05 and settings.follow.from_block == 2**62
    assert settings.mint.max_in_flight == 1


def test_public_base_url_must_be_an_origin() -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"GEOHUNT_SECRET": "s" * 40, "PUBLIC_BASE_URL": "ftp://x"})
    settings = Settings.from_env(
        {"GEOHUNT_SECRET": "s" * 40, "PUBLIC_BASE_URL": "https://a.b:8443/"}
    )
    assert settings.public_base_url == "https://a.b:8443" and settings.public_host == "a.b:8443"


def test_trusted_proxies_are_networks_checked_at_start_up() -> None:
    import ipaddress

    base = {"GEOHUNT_SECRET": "s" * 40}
    assert Settings.from_env(base).trusted_proxies == ()
    settings = Settings.from_env(
        {**base, "GEOHUNT_TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,,10.0.0.0/8"}
    )
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.168.1.7/32"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    for wrong in ("10.0.0.1/8", "10.0.0.0/33", "proxy.internal", "10.0.0.0/8;1.2.3.4", "*"):
        with pytest.raises(SettingsError, match="GEOHUNT_TRUSTED_PROXIES"):
            Settings.from_env({**base, "GEOHUNT_TRUSTED_PROXIES": wrong})
