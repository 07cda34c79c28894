"""Fans' moments' pure rules: their text (NFC, trimmed, bounded, no control character), the
scene's time and minute, token ids that never meet a find's, reviews and the report
threshold, and the token's metadata before and after a takedown."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hunt_engine.errors import InvalidRequest
from hunt_engine.moments import (
    LINE_PATTERN,
    MAX_MOMENT_ID,
    MAX_TOKEN_ID,
    MOMENT_TOKEN_BASE,
    NOTE_MAX,
    SCENE_MAX_S,
    STATUSES,
    TEXT_PATTERN,
    TITLE_MAX,
    MomentToken,
    check_scene,
    clean_note,
    clean_text,
    clean_title,
    hidden_by_reports,
    is_moment_token,
    moment_metadata,
    moment_of_token,
    moment_token_id,
    review,
    scene_clock,
    scene_minute,
)

# --- text ---------------------------------------------------------------------------------

CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
REFUSED_ALWAYS = [
    *(c for c in CONTROLS if c != "\n"),
    "\u2028",
    "\u2029",
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ud800",  # a lone surrogate (JSON can carry one)
]


def test_a_title_is_normalised_to_nfc_and_trimmed() -> None:
    decomposed = "  Jibaro\u0301 \u2003"  # o + combining acute, an em space at the end
    assert clean_title(decomposed) == "Jibaró"
    assert len(clean_title("e\u0301" * TITLE_MAX)) == TITLE_MAX  # 160 code points sent


@pytest.mark.parametrize("char", REFUSED_ALWAYS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_characters_are_refused_in_titles_and_notes(char: str) -> None:
    for clean in (clean_title, clean_note):
        with pytest.raises(InvalidRequest, match="control character"):
            clean(f"a{char}b")


def test_a_note_may_break_lines_a_title_may_not() -> None:
    assert clean_note("first line\nsecond line") == "first line\nsecond line"
    with pytest.raises(InvalidRequest):
        clean_title("first\nsecond")
    with pytest.raises(InvalidRequest):
        clean_note("windows\r\nline")


def test_blank_and_too_long_text_is_refused() -> None:
    for blank in ("", "   ", "\u3000\u00a0"):
        with pytest.raises(InvalidRequest, match="empty"):
            clean_title(blank)
    with pytest.raises(InvalidRequest, match="at most 80"):
        clean_title("x" * (TITLE_MAX + 1))
    with pytest.raises(InvalidRequest, match="at most 280"):
        clean_note("x" * (NOTE_MAX + 1))
    # Emoji sequences (joiners, variation selectors) are text, not controls.
    assert clean_title("🧑‍🚀 ❤️") == "🧑‍🚀 ❤️"


@given(st.text(max_size=120))
def test_cleaned_text_is_nfc_trimmed_bounded_and_clean(raw: str) -> None:
    try:
        text = clean_text(raw, "title", TITLE_MAX)
    except InvalidRequest:
        return
    assert text == unicodedata.normalize("NFC", text) == text.strip()
    assert 1 <= len(text) <= TITLE_MAX
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in text)
    assert clean_text(text, "title", TITLE_MAX) == text  # idempotent


def _ecma(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)  # the patterns use only what Python and ECMA-262 read alike


@given(st.text(max_size=40))
def test_the_schema_patterns_accept_what_the_rules_accept(raw: str) -> None:
    """A text the JSON Schema pattern admits passes the rule (but for length after NFC), and
    the pattern refuses every control character and blank text the rule refuses."""
    for pattern, multiline in ((LINE_PATTERN, False), (TEXT_PATTERN, True)):
        matched = _ecma(pattern).fullmatch(raw) is not None
        try:
            clean_text(raw, "text", 10_000, multiline=multiline)
            passed = True
        except InvalidRequest:
            passed = False
        assert matched == passed, (pattern, raw)


def test_every_space_strip_removes_is_in_the_patterns() -> None:
    """The patterns' "not blank" knows every character `str.strip` removes."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isspace() and char != "\n":
            assert _ecma(LINE_PATTERN).fullmatch(char) is None, hex(code)
            assert _ecma(TEXT_PATTERN).fullmatch(char) is None, hex(code)


# --- the scene ----------------------------------------------------------------------------


def test_scene_times_and_minutes() -> None:
    assert (scene_clock(0), scene_minute(0)) == ("00:00", 0)
    assert (scene_clock(59), scene_minute(59)) == ("00:59", 0)
    assert (scene_clock(60), scene_minute(60)) == ("01:00", 1)
    assert (scene_clock(754), scene_minute(754)) == ("12:34", 12)
    assert (scene_clock(SCENE_MAX_S), scene_minute(SCENE_MAX_S)) == ("120:00", 120)
    for bad in (-1, SCENE_MAX_S + 1, True):
        with pytest.raises(InvalidRequest):
            check_scene(bad)


@given(st.integers(0, SCENE_MAX_S))
def test_a_scene_clock_reads_back_as_its_seconds(scene_s: int) -> None:
    minutes, seconds = scene_clock(scene_s).split(":")
    assert int(minutes) * 60 + int(seconds) == scene_s
    assert len(seconds) == 2 and int(seconds) < 60
    assert int(minutes) == scene_minute(scene_s)


# --- token ids ----------------------------------------------------------------------------


@given(st.integers(1, MAX_MOMENT_ID))
def test_moment_token_ids_round_trip_above_every_find_id(moment_id: int) -> None:
    token = moment_token_id(moment_id)
    assert MOMENT_TOKEN_BASE < token <= MAX_TOKEN_ID
    assert is_moment_token(token)
    assert moment_of_token(token) == moment_id


@given(st.integers(1, MOMENT_TOKEN_BASE - 1))
def test_a_find_id_is_never_a_moment_token(find_id: int) -> None:
    assert not is_moment_token(find_id)
    with pytest.raises(ValueError):
        moment_of_token(find_id)


def test_token_id_edges() -> None:
    assert moment_token_id(1) == 2**62 + 1
    assert moment_token_id(MAX_MOMENT_ID) == 2**63 - 1  # the largest bigint
    for bad in (0, MAX_MOMENT_ID + 1):
        with pytest.raises(ValueError):
            moment_token_id(bad)


# --- review and reports -------------------------------------------------------------------


def test_an_approval_mints_and_a_rejection_says_why() -> None:
    assert review("approve", None).status == "approved" and review("approve", None).mints
    rejected = review("reject", "spoils the ending")
    assert rejected.status == "rejected" and not rejected.mints
    with pytest.raises(InvalidRequest, match="reason"):
        review("reject", None)


@given(st.sampled_from(STATUSES), st.integers(0, 50), st.integers(1, 50))
def test_reports_hide_only_an_approved_moment_at_the_threshold(
    status: str, reporters: int, threshold: int
) -> None:
    hides = hidden_by_reports(status, reporters, threshold)  # type: ignore[arg-type]
    assert hides == (status == "approved" and reporters >= threshold)


# --- metadata -----------------------------------------------------------------------------


def _token(status: str) -> MomentToken:
    return MomentToken(
        token_id=MOMENT_TOKEN_BASE + 7,
        status=status,  # type: ignore[arg-type]
        title="The pond",
        scene_s=754,
        note="the best two seconds",
        has_sketch=True,
        author="ana",
        collectible="Jibaro",
        episode="S3E9 Jibaro",
        image_url="https://img.example/jibaro.png",
        hunt="LDR S3",
    )


def test_an_approved_moments_metadata_has_everything() -> None:
    metadata = moment_metadata(_token("approved"), "https://hunt.example")
    traits = {a["trait_type"]: a["value"] for a in metadata["attributes"]}
    assert traits == {
        "Episode": "S3E9 Jibaro",
        "Scene": "12:34",
        "Title": "The pond",
        "Author": "ana",
        "Kind": "moment",
        "Note": "the best two seconds",
    }
    assert metadata["image"] == "https://img.example/jibaro.png"
    assert metadata["sketch_image"] == f"https://hunt.example/v1/tokens/{2**62 + 7}/sketch"
    assert "The pond" in metadata["name"] and "12:34" in metadata["name"]


@pytest.mark.parametrize("status", ["hidden", "rejected"])
def test_a_taken_down_moments_metadata_keeps_the_token_without_note_or_sketch(
    status: str,
) -> None:
    metadata = moment_metadata(_token(status), "https://hunt.example")
    traits = {a["trait_type"]: a["value"] for a in metadata["attributes"]}
    assert "Note" not in traits and "sketch_image" not in metadata
    assert traits["Scene"] == "12:34" and traits["Author"] == "ana"
    assert "the best two seconds" not in str(metadata)
