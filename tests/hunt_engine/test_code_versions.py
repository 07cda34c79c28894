"""Printed codes with a version: every code printed before versions existed is version 0 and
keeps its spelling; a reissued code carries its version under the MAC; an older version is
`code_revoked`, right after `invalid_code` in the verdict order, whatever else is wrong."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coords import LatLon
from geo.distance import destination
from geo.fences import CircleFence
from hunt_engine.codes import (
    MAX_CODE_LEN,
    MAX_ID,
    ScannedCode,
    check_code_version,
    parse_code,
    rotating_code,
    static_code,
)
from hunt_engine.errors import VERDICT_ORDER, CodeRevoked, InvalidCode, ScanRejected
from hunt_engine.models import Clue, ClueKind, Hunt, PriorFind
from hunt_engine.rules import HuntRules
from hunt_engine.scan_rules import ScanFacts, admit
from tests.support.codes import RING, forge, ids

small = settings(deadline=None, max_examples=50)
versions = st.integers(min_value=1, max_value=MAX_ID)
MUTATION_CHARS = string.printable + "\x00é\u200b"

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SITE = LatLon(51.5101, -0.1340)  # Piccadilly Circus
RULES = HuntRules()
ORDER = [cls.code for cls in VERDICT_ORDER]


# --- the format ----------------------------------------------------------------------------


def test_version_0_is_the_code_printed_before_versions_existed() -> None:
    assert static_code(RING, 100) == static_code(RING, 100, 0) == "s.k1.2s.PN4Nx_p3vWWzzrr7"
    assert parse_code(RING, "s.k1.2s.PN4Nx_p3vWWzzrr7").version == 0


def test_a_reissued_code_is_spelled_p_with_its_version() -> None:
    assert static_code(RING, 100, 1) == forge(RING.active_key, "p.k1.2s.1")
    assert static_code(RING, 100, 36) == forge(RING.active_key, "p.k1.2s.10")
    assert parse_code(RING, static_code(RING, 100, 36)) == ScannedCode(
        "static", 100, None, "k1", version=36
    )


@small
@given(clue_id=ids, version=st.integers(min_value=0, max_value=MAX_ID))
def test_versioned_roundtrip(clue_id: int, version: int) -> None:
    code = static_code(RING, clue_id, version)
    assert len(code) <= MAX_CODE_LEN
    parsed = parse_code(RING, code)
    assert (parsed.kind, parsed.clue_id, parsed.version, parsed.step) == (
        "static",
        clue_id,
        version,
        None,
    )


@pytest.mark.parametrize(
    "body",
    [
        "p.k1.2s.0",  # version 0 has one spelling: `s.`
        "p.k1.2s.01",
        "p.k1.2s.A",
        "p.k1.2s.",
        "p.k1.2s.1y2p0ij32e8e8",  # 2**63
        "p.k1.2s",  # no version
        "p.k1.2s.1.1",
        "s.k1.2s.1",  # a version in the old spelling
    ],
)
def test_correctly_signed_but_non_canonical_versions_are_invalid(body: str) -> None:
    with pytest.raises(InvalidCode):
        parse_code(RING, forge(RING.active_key, body))


def test_a_tag_cannot_be_restamped_with_another_version() -> None:
    old = static_code(RING, 100)
    tag = old.rpartition(".")[2]
    for version in ("1", "2", "z"):
        with pytest.raises(InvalidCode):
            parse_code(RING, f"p.k1.2s.{version}.{tag}")
    first = static_code(RING, 100, 1)
    with pytest.raises(InvalidCode):
        parse_code(RING, first.replace("p.k1.2s.1.", "p.k1.2s.2.", 1))
    with pytest.raises(InvalidCode):
        parse_code(RING, "s.k1.2s." + first.rpartition(".")[2])


@pytest.mark.parametrize("version", [1, 35, MAX_ID])
def test_every_single_character_change_of_a_reissued_code_is_invalid(version: int) -> None:
    code = static_code(RING, 123_456, version)
    variants = {code[:i] + c + code[i + 1 :] for i in range(len(code)) for c in MUTATION_CHARS}
    variants |= {code[:i] + code[i + 1 :] for i in range(len(code))}
    variants.discard(code)
    for variant in variants:
        with pytest.raises(InvalidCode):
            parse_code(RING, variant)


@pytest.mark.parametrize("bad", [-1, MAX_ID + 1, True])
def test_signing_rejects_versions_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        static_code(RING, 1, bad)


# --- the rule ------------------------------------------------------------------------------


@small
@given(code_version=st.integers(0, 1000), current=st.integers(0, 1000))
def test_only_the_current_version_is_good(code_version: int, current: int) -> None:
    code = parse_code(RING, static_code(RING, 5, code_version))
    if code_version == current:
        check_code_version(code, current)
    elif code_version < current:
        with pytest.raises(CodeRevoked):
            check_code_version(code, current)
    else:  # never issued: the catalog reloads a clue before it ever judges such a code
        with pytest.raises(InvalidCode):
            check_code_version(code, current)


@small
@given(clue_id=ids, current=versions)
def test_screen_codes_have_no_version(clue_id: int, current: int) -> None:
    check_code_version(parse_code(RING, rotating_code(RING, clue_id, 7)), current)


def test_code_revoked_comes_right_after_invalid_code() -> None:
    assert ORDER.index("code_revoked") == ORDER.index("invalid_code") + 1
    assert ORDER[:4] == ["rate_limited", "invalid_code", "code_revoked", "clock_skew"]


# Each flag breaks exactly one rule; the scenario is otherwise a valid billboard scan.
FLAGS = (
    "invalid_code",
    "clock_skew",
    "hunt_not_active",
    "clue_not_active",
    "location_required",
    "low_accuracy",
    "outside_geofence",
    "impossible_travel",
)


def billboard_scan(
    broken: frozenset[str], code_version: int
) -> tuple[ScannedCode, Hunt, Clue, ScanFacts, PriorFind | None]:
    hunt_start = NOW + timedelta(days=1) if "hunt_not_active" in broken else NOW - timedelta(days=1)
    hunt = Hunt(1, "h", hunt_start, hunt_start + timedelta(days=10), RULES)
    clue = Clue(
        id=7,
        hunt_id=1,
        collectible_id=3,
        # A printed code never belongs to a screen: `invalid_code` whatever its version.
        kind=ClueKind.DIGITAL if "invalid_code" in broken else ClueKind.BILLBOARD,
        location=SITE,
        fence=CircleFence(SITE, 100),
        active="clue_not_active" not in broken,
        active_from=None,
        active_until=None,
    )
    code = parse_code(RING, static_code(RING, 7, code_version))
    where = destination(SITE, 90, 3000) if "outside_geofence" in broken else SITE
    accuracy = 500.0 if "low_accuracy" in broken else 10.0
    skewed = NOW - timedelta(hours=1) if "clock_skew" in broken else None
    if "location_required" in broken:
        facts = ScanFacts(None, None, None, skewed)
    else:
        facts = ScanFacts(where.lat, where.lon, accuracy, skewed)
    prior = None
    if "impossible_travel" in broken:
        prior = PriorFind(destination(SITE, 0, 200_000), NOW - timedelta(minutes=1))
    return code, hunt, clue, facts, prior


@settings(max_examples=300, deadline=None)
@given(
    broken=st.sets(st.sampled_from(FLAGS)),
    code_version=st.integers(0, 50),
    newer_by=st.integers(1, 50),
)
def test_a_revoked_code_is_code_revoked_whatever_else_is_wrong(
    broken: set[str], code_version: int, newer_by: int
) -> None:
    """Only `invalid_code` (and the gate's `rate_limited`) come first: a revoked code scanned
    from home, off the clock, out of the hunt's window... is still told it was replaced."""
    current = code_version + newer_by
    with pytest.raises(ScanRejected) as caught:
        admit(*billboard_scan(frozenset(broken), code_version), NOW, 1, current)
    assert caught.value.code == ("invalid_code" if "invalid_code" in broken else "code_revoked")


@settings(max_examples=200, deadline=None)
@given(broken=st.sets(st.sampled_from(FLAGS)), version=st.integers(0, 50))
def test_the_current_code_meets_the_other_rules_in_order(broken: set[str], version: int) -> None:
    scan = billboard_scan(frozenset(broken), version)
    if not broken:
        assert admit(*scan, NOW, 1, version).fix is not None
        return
    with pytest.raises(ScanRejected) as caught:
        admit(*scan, NOW, 1, version)
    assert caught.value.code == min(broken, key=ORDER.index)
