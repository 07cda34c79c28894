"""AR tickets: format, binding to one hunter and clue, lifetime, and their place in the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coords import LatLon
from geo.distance import destination
from geo.fences import CircleFence
from hunt_engine.codes import (
    MAX_CODE_LEN,
    TICKET_CLOCK_SLACK_S,
    TICKET_TTL_S,
    ScannedCode,
    check_ticket_holder,
    check_ticket_time,
    parse_code,
    static_code,
    ticket_code,
)
from hunt_engine.errors import CodeExpired, InvalidCode, ScanRejected
from hunt_engine.keys import Keyring
from hunt_engine.models import ArAnchor, Clue, ClueKind, Hunt
from hunt_engine.rules import HuntRules
from hunt_engine.scan_rules import ScanFacts, admit
from tests.support.codes import RING, ROOT, forge, ids

ISSUED = 1_780_000_000  # 2026-05-28


def test_golden_ticket_keeps_its_format() -> None:
    ticket = ticket_code(RING, 100, 42, ISSUED)
    body = "t.k1.2s.16.tfrksg"
    assert ticket == forge(RING.active_key, body, b"geohunt/ticket/v1\n")
    assert ticket == "t.k1.2s.16.tfrksg.-1puuBSIhQWWlHAn"
    assert parse_code(RING, ticket) == ScannedCode("ticket", 100, None, "k1", 42, ISSUED)


@settings(max_examples=100, deadline=None)
@given(ids, ids, st.integers(min_value=0, max_value=36**7 - 1))
def test_ticket_roundtrip(clue_id: int, hunter_id: int, issued_at: int) -> None:
    ticket = ticket_code(RING, clue_id, hunter_id, issued_at)
    assert len(ticket) <= MAX_CODE_LEN
    code = parse_code(RING, ticket)
    assert (code.kind, code.clue_id, code.hunter_id, code.issued_at) == (
        "ticket",
        clue_id,
        hunter_id,
        issued_at,
    )
    assert parse_code(RING, f"https://hunt.example/c/{ticket}") == code


def test_every_single_character_change_is_invalid() -> None:
    ticket = ticket_code(RING, 100, 42, ISSUED)
    for i, char in enumerate(ticket):
        for other in "0az.-_AZ9":
            if other != char:
                with pytest.raises(InvalidCode):
                    parse_code(RING, ticket[:i] + other + ticket[i + 1 :])


def test_a_ticket_is_not_any_other_code_and_no_other_code_is_a_ticket() -> None:
    # The code domain's MAC over a ticket-shaped body is not a ticket...
    with pytest.raises(InvalidCode):
        parse_code(RING, forge(RING.active_key, "t.k1.2s.16.tfrksg", b"geohunt/code/v1\n"))
    # ...and a ticket's tag moved onto a static or rotating body is nothing.
    tag = ticket_code(RING, 100, 42, ISSUED).rpartition(".")[2]
    for body in ("s.k1.2s", "r.k1.2s.16", "t.k1.2s.17.tfrksg", "t.k1.2t.16.tfrksg"):
        with pytest.raises(InvalidCode):
            parse_code(RING, f"{body}.{tag}")
    # Nor is a static code's tag any good on a ticket of the same clue.
    static_tag = static_code(RING, 100).rpartition(".")[2]
    with pytest.raises(InvalidCode):
        parse_code(RING, f"t.k1.2s.16.tfrksg.{static_tag}")


@pytest.mark.parametrize(
    "body",
    [
        "t.k1.2s.16",  # no issue time
        "t.k1.2s.16.tfrksg.1",  # one field too many
        "t.k1.2s.016.tfrksg",  # leading zero
        "t.k1.2s.16.TFRKSG",  # upper case
        "t.k1.2s.-16.tfrksg",
        "t.k1.2s.16.1y2p0ij32e8e8",  # 2**63
    ],
)
def test_correctly_signed_but_non_canonical_tickets_are_invalid(body: str) -> None:
    with pytest.raises(InvalidCode):
        parse_code(RING, forge(RING.active_key, body, b"geohunt/ticket/v1\n"))


def test_tickets_rotate_with_the_qr_keys() -> None:
    old = Keyring.derived(ROOT, ["k1"], "k1")
    both = Keyring.derived(ROOT, ["k2", "k1"], "k2")
    new_only = Keyring.derived(ROOT, ["k2"], "k2")
    ticket = ticket_code(old, 100, 42, ISSUED)
    assert parse_code(both, ticket).kid == "k1"
    assert ticket_code(both, 100, 42, ISSUED).split(".")[1] == "k2"
    with pytest.raises(InvalidCode):
        parse_code(new_only, ticket)
    other_secret = Keyring.derived(b"some other deployment's secret!!", ["k1"], "k1")
    with pytest.raises(InvalidCode):
        parse_code(other_secret, ticket)


def test_a_ticket_belongs_to_its_hunter() -> None:
    code = parse_code(RING, ticket_code(RING, 100, 42, ISSUED))
    check_ticket_holder(code, 42)
    for someone_else in (41, 43, 0, None):
        with pytest.raises(InvalidCode):
            check_ticket_holder(code, someone_else)
    # Other codes are nobody's in particular.
    check_ticket_holder(parse_code(RING, static_code(RING, 100)), 7)
    check_ticket_holder(parse_code(RING, static_code(RING, 100)), None)


def test_a_ticket_lives_five_minutes() -> None:
    assert TICKET_TTL_S == 300
    code = parse_code(RING, ticket_code(RING, 100, 42, ISSUED))
    for now in (ISSUED, ISSUED + 1, ISSUED + TICKET_TTL_S - 0.001):
        check_ticket_time(code, now)
    for now in (ISSUED + TICKET_TTL_S, ISSUED + 10 * TICKET_TTL_S):
        with pytest.raises(CodeExpired):
            check_ticket_time(code, now)
    # Another server process's clock a little behind is fine; far behind, it was not ours.
    check_ticket_time(code, ISSUED - TICKET_CLOCK_SLACK_S)
    with pytest.raises(InvalidCode):
        check_ticket_time(code, ISSUED - TICKET_CLOCK_SLACK_S - 1)


# --- in the scan rules ------------------------------------------------------------------------

SITE = LatLon(51.5101, -0.1340)
NOW = datetime.fromtimestamp(ISSUED + 60, UTC)


def ar_clue(kind: ClueKind = ClueKind.AR, active: bool = True) -> Clue:
    return Clue(
        id=100,
        hunt_id=1,
        collectible_id=3,
        kind=kind,
        location=SITE,
        fence=CircleFence(SITE, 50),
        active=active,
        active_from=None,
        active_until=None,
        ar=ArAnchor("https://img.example/robot.glb") if kind is ClueKind.AR else None,
    )


HUNT = Hunt(1, "h", NOW - timedelta(days=1), NOW + timedelta(days=1), HuntRules())
ON_SITE = ScanFacts(SITE.lat, SITE.lon, 10.0, None)


def test_a_ticket_of_its_hunter_on_site_is_admitted() -> None:
    code = parse_code(RING, ticket_code(RING, 100, 42, ISSUED))
    admitted = admit(code, HUNT, ar_clue(), ON_SITE, None, NOW, 42)
    assert admitted.distance_m == 0.0


def test_only_ar_clues_take_tickets_and_ar_clues_take_nothing_else() -> None:
    ticket = parse_code(RING, ticket_code(RING, 100, 42, ISSUED))
    for kind in (ClueKind.BILLBOARD, ClueKind.DIGITAL, ClueKind.SOCIAL):
        with pytest.raises(InvalidCode):
            admit(ticket, HUNT, ar_clue(kind), ON_SITE, None, NOW, 42)
    static = parse_code(RING, static_code(RING, 100))
    with pytest.raises(InvalidCode):
        admit(static, HUNT, ar_clue(), ON_SITE, None, NOW, 42)


def verdict(code: ScannedCode, clue: Clue, facts: ScanFacts, hunter: int | None) -> str:
    with pytest.raises(ScanRejected) as caught:
        admit(code, HUNT, clue, facts, None, NOW, hunter)
    return caught.value.code


def test_ticket_verdicts_keep_the_contract_order() -> None:
    fresh = parse_code(RING, ticket_code(RING, 100, 42, ISSUED))
    stale = parse_code(RING, ticket_code(RING, 100, 42, ISSUED - TICKET_TTL_S))
    far = destination(SITE, 90, 2000)
    away = ScanFacts(far.lat, far.lon, 10.0, None)
    skewed = ScanFacts(SITE.lat, SITE.lon, 10.0, NOW - timedelta(hours=1))
    # Another hunter's ticket is invalid_code before anything else...
    assert verdict(fresh, ar_clue(), skewed, 43) == "invalid_code"
    assert verdict(stale, ar_clue(active=False), away, 43) == "invalid_code"
    # ...without a hunter, nobody's...
    assert verdict(fresh, ar_clue(), ON_SITE, None) == "invalid_code"
    # ...expiry comes after the clue's window and before location...
    assert verdict(stale, ar_clue(active=False), away, 42) == "clue_not_active"
    assert verdict(stale, ar_clue(), away, 42) == "code_expired"
    assert verdict(stale, ar_clue(), ScanFacts(None, None, None, None), 42) == "code_expired"
    # ...and the rest of a located clue's rules apply as usual.
    assert verdict(fresh, ar_clue(), ScanFacts(None, None, None, None), 42) == ("location_required")
    assert verdict(fresh, ar_clue(), ScanFacts(SITE.lat, SITE.lon, 500.0, None), 42) == (
        "low_accuracy"
    )
    assert verdict(fresh, ar_clue(), away, 42) == "outside_geofence"
