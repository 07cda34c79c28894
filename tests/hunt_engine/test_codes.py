"""QR code format: signing, strict parsing, key rotation and rotating-code time steps."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hunt_engine.codes import (
    MAX_ID,
    MAX_INPUT_LEN,
    ScannedCode,
    check_step,
    parse_code,
    rotating_code,
    seconds_left,
    static_code,
    step_at,
)
from hunt_engine.errors import CodeExpired, InvalidCode
from hunt_engine.keys import PURPOSE_JWT, PURPOSE_QR, Keyring, derive_key, hkdf_sha256
from tests.support.codes import RING, ROOT, forge, ids

OTHER_RING = Keyring.derived(b"some other deployment's secret!!", ["k1"], "k1")

small = settings(deadline=None, max_examples=50)

# Every ASCII char a scanner could plausibly hand us, plus a few that are not ASCII at all.
MUTATION_CHARS = string.printable + "\x00\x7féÿ٣ｓ\u200b"


# --- keys ----------------------------------------------------------------------------------


def test_hkdf_matches_rfc5869_case_1() -> None:
    okm = hkdf_sha256(
        bytes.fromhex("0b" * 22),
        bytes.fromhex("000102030405060708090a0b0c"),
        bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        42,
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_derive_key_is_deterministic_and_separated_by_purpose() -> None:
    assert derive_key(ROOT, PURPOSE_QR) == derive_key(ROOT, PURPOSE_QR)
    assert len(derive_key(ROOT, PURPOSE_QR)) == 32
    assert derive_key(ROOT, PURPOSE_QR) != derive_key(ROOT, PURPOSE_JWT)
    assert derive_key(ROOT, PURPOSE_QR) != derive_key(ROOT + b"x", PURPOSE_QR)


@pytest.mark.parametrize(("root", "purpose"), [(b"short", "qr"), (ROOT, ""), (ROOT, "qr\n")])
def test_derive_key_rejects_weak_inputs(root: bytes, purpose: str) -> None:
    with pytest.raises(ValueError):
        derive_key(root, purpose)


@pytest.mark.parametrize(
    ("keys", "active"),
    [
        ({"k1": b"k" * 32}, "k2"),
        ({"K1": b"k" * 32}, "K1"),
        ({"": b"k" * 32}, ""),
        ({"toolongid": b"k" * 32}, "toolongid"),
        ({"k-1": b"k" * 32}, "k-1"),
        ({"k1": b"short"}, "k1"),
    ],
)
def test_keyring_rejects_bad_kids_and_keys(keys: dict[str, bytes], active: str) -> None:
    with pytest.raises(ValueError):
        Keyring(keys, active)


def test_keyring_is_a_snapshot_and_hides_secrets() -> None:
    keys = {"k1": b"s3cret-key-material-32-bytes...."}
    ring = Keyring(keys, "k1")
    keys["k2"] = b"x" * 32
    assert ring.kids == {"k1"}
    assert "s3cret" not in repr(ring)
    assert "k1" in repr(ring)


# --- format --------------------------------------------------------------------------------


def test_golden_codes_keep_their_format() -> None:
    # Printed billboards outlive deployments: this spelling must never change.
    assert static_code(RING, 100) == "s.k1.2s.PN4Nx_p3vWWzzrr7"
    assert rotating_code(RING, 100, 58_000_000) == "r.k1.2s.yj534.SBL8QLGdDkrd0aZy"
    assert forge(RING.active_key, "s.k1.2s") == "s.k1.2s.PN4Nx_p3vWWzzrr7"


@small
@given(clue_id=ids)
def test_static_roundtrip(clue_id: int) -> None:
    code = static_code(RING, clue_id)
    assert len(code) <= 64
    assert parse_code(RING, code) == ScannedCode("static", clue_id, None, "k1")


@small
@given(clue_id=ids, step=ids)
def test_rotating_roundtrip(clue_id: int, step: int) -> None:
    code = rotating_code(RING, clue_id, step)
    assert parse_code(RING, code) == ScannedCode("rotating", clue_id, step, "k1")


@pytest.mark.parametrize("bad", [-1, MAX_ID + 1, True])
def test_signing_rejects_ids_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        static_code(RING, bad)
    with pytest.raises(ValueError):
        rotating_code(RING, 1, bad)


def _samples() -> list[str]:
    return [
        static_code(RING, 0),
        static_code(RING, 123_456),
        rotating_code(RING, 7, 58_000_000),
        rotating_code(RING, MAX_ID, MAX_ID),
    ]


@pytest.mark.parametrize("code", _samples())
def test_every_single_character_change_is_invalid(code: str) -> None:
    variants = {code[:i] + c + code[i + 1 :] for i in range(len(code)) for c in MUTATION_CHARS}
    variants |= {code[:i] + c + code[i:] for i in range(len(code) + 1) for c in MUTATION_CHARS}
    variants |= {code[:i] + code[i + 1 :] for i in range(len(code))}
    variants.discard(code)
    for variant in variants:
        with pytest.raises(InvalidCode):
            parse_code(RING, variant)


@pytest.mark.parametrize("code", _samples())
def test_every_truncation_is_invalid(code: str) -> None:
    for i in range(len(code)):
        for part in (code[:i], code[i + 1 :]):
            with pytest.raises(InvalidCode):
                parse_code(RING, part)


@pytest.mark.parametrize(
    "body",
    [
        "s.k1.02s",  # leading zero
        "s.k1.2S",  # upper case
        "s.k1.+2s",
        "s.k1.2_s",
        "s.k1.-1",
        "s.k1. 2s",
        "s.k1.",
        "s.k1.1y2p0ij32e8e8",  # 2**63, one past MAX_ID
        "s.k1.10000000000000",  # 14 digits
        "r.k1.2s.02",
        "r.k1.2s.",
        "r.k1.2s.1y2p0ij32e8e8",
        "t.k1.2s.1.2",  # a ticket with too few parts
        "x.k1.2s",
        "s.k1.2s.1",  # static with a step
        "r.k1.2s",  # rotating without one
    ],
)
def test_correctly_signed_but_non_canonical_is_invalid(body: str) -> None:
    with pytest.raises(InvalidCode):
        parse_code(RING, forge(RING.active_key, body))


def test_static_tag_cannot_be_reused_as_rotating() -> None:
    tag = static_code(RING, 100).rpartition(".")[2]
    for step in ("0", "1", "yj534"):
        with pytest.raises(InvalidCode):
            parse_code(RING, f"r.k1.2s.{step}.{tag}")


def test_tag_cannot_move_to_another_kid_with_the_same_key() -> None:
    key = RING.active_key
    ring = Keyring({"k1": key, "k2": key}, "k1")
    tag = static_code(ring, 5).rpartition(".")[2]
    with pytest.raises(InvalidCode):
        parse_code(ring, f"s.k2.5.{tag}")


def test_oversize_and_non_ascii_input_is_invalid() -> None:
    code = static_code(RING, 1)
    url = "https://hunt.example/" + "a/" * MAX_INPUT_LEN + "c/" + code
    with pytest.raises(InvalidCode):
        parse_code(RING, url)
    with pytest.raises(InvalidCode):
        parse_code(RING, "x" * 10_000_000)
    with pytest.raises(InvalidCode):
        parse_code(RING, "https://hünt.example/c/" + code)


# --- keys and rotation ---------------------------------------------------------------------


@small
@given(clue_id=ids)
def test_code_from_a_foreign_key_is_invalid(clue_id: int) -> None:
    for code in (static_code(OTHER_RING, clue_id), rotating_code(OTHER_RING, clue_id, 9)):
        with pytest.raises(InvalidCode):
            parse_code(RING, code)


def test_unknown_kid_is_invalid() -> None:
    stranger = Keyring.derived(ROOT, ["k9"], "k9")
    with pytest.raises(InvalidCode):
        parse_code(RING, static_code(stranger, 1))


def test_key_rotation_keeps_old_codes_until_their_kid_is_dropped() -> None:
    old = Keyring.derived(ROOT, ["k1"], "k1")
    printed = static_code(old, 42)

    rotated = Keyring.derived(ROOT, ["k1", "k2"], "k2")
    fresh = static_code(rotated, 42)
    assert fresh.split(".")[1] == "k2"
    assert parse_code(rotated, printed) == ScannedCode("static", 42, None, "k1")
    assert parse_code(rotated, fresh).kid == "k2"

    retired = Keyring.derived(ROOT, ["k2"], "k2")
    assert parse_code(retired, fresh).clue_id == 42
    with pytest.raises(InvalidCode):
        parse_code(retired, printed)


# --- rotating codes over time --------------------------------------------------------------


@small
@given(now=st.floats(min_value=0, max_value=4e9), rotate_s=st.integers(1, 3600))
def test_step_and_seconds_left_agree(now: float, rotate_s: int) -> None:
    step = step_at(now, rotate_s)
    left = seconds_left(now, rotate_s)
    assert step * rotate_s <= now < (step + 1) * rotate_s
    assert 0 < left <= rotate_s
    assert step_at(now + left, rotate_s) == step + 1


def test_step_examples() -> None:
    assert step_at(59.999, 30) == 1
    assert step_at(60.0, 30) == 2
    assert seconds_left(60.0, 30) == 30
    assert seconds_left(75.5, 30) == 14.5
    with pytest.raises(ValueError):
        step_at(1.0, 0)
    with pytest.raises(ValueError):
        seconds_left(1.0, 0)


@small
@given(clue_id=ids, step=st.integers(min_value=1, max_value=MAX_ID - 2))
def test_rotating_code_lives_for_its_step_and_the_next(clue_id: int, step: int) -> None:
    scanned = parse_code(RING, rotating_code(RING, clue_id, step))
    check_step(scanned, step)
    check_step(scanned, step + 1)
    with pytest.raises(CodeExpired):
        check_step(scanned, step + 2)
    with pytest.raises(InvalidCode):
        check_step(scanned, step - 1)


def test_static_codes_ignore_the_clock() -> None:
    scanned = parse_code(RING, static_code(RING, 3))
    for now_step in (0, 10**9, MAX_ID):
        check_step(scanned, now_step)


# --- URLs and arbitrary input --------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{}",
        "https://hunt.example/c/{}",
        "http://hunt.example:8080/c/{}",
        "HTTPS://HUNT.EXAMPLE/c/{}",
        "https://hunt.example/city/c/{}",
        "https://hunt.example/c/{}?utm_source=poster&x=/c/zz",
        "https://hunt.example/c/{}#frag/c/zz",
        "https://hunt.example/c/{}?q#f",
        "geohunt://c/c/{}",
        "//hunt.example/c/{}",
        "/c/{}",
        "hunt.example/c/{}",
    ],
)
def test_url_forms_parse(template: str) -> None:
    for code in (static_code(RING, 77), rotating_code(RING, 77, 5)):
        assert parse_code(RING, template.format(code)).clue_id == 77


@pytest.mark.parametrize(
    "template",
    [
        "https://c/{}",  # `c` is the host, not the path
        "https://hunt.example/x/{}",
        "https://hunt.example/C/{}",
        "https://hunt.example/c/{}/",
        "https://hunt.example/c//{}",
        "https://hunt.example/xc/{}",
        "https://hunt.example/c/{}extra",
        "c/{}",
        "https://hunt.example/?/c/{}",
        "https://hunt.example/#/c/{}",
        "https://hunt.example/c/%2F{}",
        " {}",
        "{}\n",
    ],
)
def test_near_miss_urls_are_invalid(template: str) -> None:
    with pytest.raises(InvalidCode):
        parse_code(RING, template.format(static_code(RING, 77)))


def _parses_or_is_invalid(text: str) -> None:
    try:
        parse_code(RING, text)
    except InvalidCode:
        pass


@settings(deadline=None, max_examples=300)
@given(text=st.text())
def test_arbitrary_text_only_ever_raises_invalid_code(text: str) -> None:
    _parses_or_is_invalid(text)


code_ish = st.text(alphabet="sr.k12s09azAZ-_/:?#%+ ", max_size=70)


@settings(deadline=None, max_examples=300)
@given(prefix=st.sampled_from(["", "https://h/c/", "/c/", "s.k1.", "r.k1.2s."]), text=code_ish)
def test_code_like_text_only_ever_raises_invalid_code(prefix: str, text: str) -> None:
    _parses_or_is_invalid(prefix + text)
