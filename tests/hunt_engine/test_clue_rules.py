"""The pure clue rules, without a database: what each kind carries, geofence shapes, what a
field team may register and change, and what a change really changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.coords import LatLon
from geo.distance import destination
from hunt_engine.clue_rules import (
    FIELD_KINDS,
    ClueDraft,
    StoredClue,
    check_clue,
    fence_for,
    may_edit,
    planned_changes,
)
from hunt_engine.errors import Conflict, Forbidden, InvalidGeofence, InvalidRequest, NotFound

SPOT = LatLon(40.7580, -73.9855)  # Times Square
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ANCHOR = {"asset_url": "https://cdn.example/robot.glb", "scale": 2.0}
COLLECTIBLES = {"robot": 7}
KINDS = ("billboard", "digital", "social", "ar")


@dataclass(frozen=True)
class Who:
    role: str
    sub: str
    hunt: str | None = None


ORGANISER = Who("organiser", "org-1")
FIELD = Who("field", "crew-1")


def square(center: LatLon, half_m: float) -> dict[str, Any]:
    """A GeoJSON Polygon, roughly a square of side 2·half_m around `center`."""
    corners = [destination(center, bearing, half_m * 2**0.5) for bearing in (45, 135, 225, 315)]
    ring = [[p.lon, p.lat] for p in corners]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def draft(kind: str, **fields: Any) -> ClueDraft:
    """A draft that passes every rule for its kind, with `fields` changed."""
    base: dict[str, Any] = {"kind": kind, "collectible": "robot", "label": "Robot"}
    if kind != "social":
        base["location"] = SPOT
    if kind == "ar":
        base["ar"] = ANCHOR
    base.update(fields)
    return ClueDraft(**base)


def stored(kind: str = "billboard", **fields: Any) -> StoredClue:
    located = kind != "social"
    base: dict[str, Any] = {
        "hunt": "h1",
        "kind": kind,
        "created_by": FIELD.sub,
        "lat": SPOT.lat if located else None,
        "lon": SPOT.lon if located else None,
        "geofence": {"radius_m": 100.0} if located else None,
        "label": "Robot",
        "city": "New York",
        "active_from": None,
        "active_until": None,
        "active": True,
        "max_finds": None,
        "finds": 3,
    }
    base.update(fields)
    return StoredClue(**base)


# --- check_clue -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_complete_draft_becomes_a_clue_to_insert(kind: str) -> None:
    clue = check_clue(draft(kind, city="NYC", max_finds=5), ORGANISER, COLLECTIBLES)
    assert (clue.collectible_id, clue.kind, clue.label, clue.city, clue.max_finds) == (
        7,
        kind,
        "Robot",
        "NYC",
        5,
    )
    if kind == "social":
        assert (clue.lat, clue.lon, clue.geofence) == (None, None, None)
    else:
        assert (clue.lat, clue.lon) == SPOT
        assert clue.geofence == {"radius_m": 100.0}  # the default circle
    assert clue.ar == (ANCHOR if kind == "ar" else None)


@pytest.mark.parametrize("kind", ["billboard", "digital", "ar"])
def test_located_kinds_need_a_location(kind: str) -> None:
    with pytest.raises(InvalidRequest, match=f"a {kind} clue needs a location"):
        check_clue(draft(kind, location=None), ORGANISER, COLLECTIBLES)


@pytest.mark.parametrize(
    "fields", [{"location": SPOT}, {"geofence": {"radius_m": 50}}], ids=["location", "geofence"]
)
def test_a_social_clue_has_no_place(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest, match="a social clue has no location or geofence"):
        check_clue(draft("social", **fields), ORGANISER, COLLECTIBLES)


def test_only_ar_clues_carry_an_anchor_and_ar_clues_always_do() -> None:
    with pytest.raises(InvalidRequest, match="an ar clue needs its ar anchor"):
        check_clue(draft("ar", ar=None), ORGANISER, COLLECTIBLES)
    for kind in ("billboard", "digital", "social"):
        with pytest.raises(InvalidRequest, match="only ar clues carry an ar anchor"):
            check_clue(draft(kind, ar=ANCHOR), ORGANISER, COLLECTIBLES)


def test_an_ar_object_stands_inside_its_geofence() -> None:
    inside = square(SPOT, 50)
    assert check_clue(draft("ar", geofence=inside), ORGANISER, COLLECTIBLES).geofence == inside
    elsewhere = square(destination(SPOT, 0, 500), 50)
    with pytest.raises(InvalidGeofence, match="must lie inside its geofence"):
        check_clue(draft("ar", geofence=elsewhere), ORGANISER, COLLECTIBLES)
    # Any other located kind may point at a fence away from its location.
    assert check_clue(draft("billboard", geofence=elsewhere), ORGANISER, COLLECTIBLES)


@pytest.mark.parametrize(
    ("fence", "message"),
    [
        ({"radius_m": 4}, "radius_m must be between 5 and 5000"),
        ({"radius_m": 5001}, "radius_m must be between 5 and 5000"),
        ({"radius_m": True}, "radius_m must be a number of metres"),
        ({"radius_m": 50, "extra": 1}, "unexpected geofence field"),
        ({"type": "Point", "coordinates": [0, 0]}, '"type": "Polygon"'),
        ({"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [0, 0]]]}, "at least 4"),
        ([1, 2], "geofence must be null"),
    ],
)
def test_bad_geofence_shapes_are_invalid_geofence(fence: Any, message: str) -> None:
    with pytest.raises(InvalidGeofence, match=message):
        check_clue(draft("billboard", geofence=fence), ORGANISER, COLLECTIBLES)
    with pytest.raises(InvalidGeofence, match=message):
        fence_for(fence, SPOT)


def test_a_circle_is_stored_as_its_radius_and_a_polygon_as_itself() -> None:
    assert fence_for(None, SPOT) == {"radius_m": 100.0}
    assert fence_for({"radius_m": 5}, SPOT) == {"radius_m": 5.0}
    assert fence_for(square(SPOT, 50), SPOT) == square(SPOT, 50)


def test_the_collectible_must_be_in_the_hunt() -> None:
    with pytest.raises(NotFound, match="no collectible 'ghost' in this hunt"):
        check_clue(draft("billboard", collectible="ghost"), ORGANISER, COLLECTIBLES)


def test_the_window_ends_after_it_starts() -> None:
    for end in (T0, T0 - timedelta(seconds=1)):
        with pytest.raises(InvalidRequest, match="active_until must be after active_from"):
            check_clue(draft("digital", active_from=T0, active_until=end), ORGANISER, COLLECTIBLES)
    later = T0 + timedelta(seconds=1)
    clue = check_clue(draft("digital", active_from=T0, active_until=later), ORGANISER, COLLECTIBLES)
    assert (clue.active_from, clue.active_until) == (T0, later)


@pytest.mark.parametrize("kind", KINDS)
def test_field_teams_register_on_site_kinds_only(kind: str) -> None:
    if kind in FIELD_KINDS:
        assert check_clue(draft(kind), FIELD, COLLECTIBLES).kind == kind
    else:
        with pytest.raises(Forbidden, match=f"field teams may not create {kind} clues"):
            check_clue(draft(kind), FIELD, COLLECTIBLES)


def test_the_role_is_checked_first() -> None:
    """A field team's social drop is forbidden before its collectible is even looked up."""
    with pytest.raises(Forbidden):
        check_clue(draft("social", collectible="ghost"), FIELD, COLLECTIBLES)


# --- may_edit -------------------------------------------------------------------------------


def test_organisers_change_any_clue_field_teams_only_their_own() -> None:
    theirs, others = stored(created_by=FIELD.sub), stored(created_by="crew-2")
    may_edit(ORGANISER, theirs)
    may_edit(ORGANISER, others)
    may_edit(FIELD, theirs)
    with pytest.raises(Forbidden, match="only the clues they registered"):
        may_edit(FIELD, others)


def test_a_token_limited_to_one_hunt_reaches_no_other() -> None:
    may_edit(Who("organiser", "o", hunt="h1"), stored(hunt="h1"))
    with pytest.raises(Forbidden, match="this token is limited to hunt 'h2'"):
        may_edit(Who("organiser", "o", hunt="h2"), stored(hunt="h1"))
    with pytest.raises(Forbidden, match="limited to hunt"):  # checked before ownership
        may_edit(Who("field", FIELD.sub, hunt="h2"), stored(hunt="h1", created_by=FIELD.sub))


# --- planned_changes ------------------------------------------------------------------------

clue_values = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        "city": st.none() | st.sampled_from(["New York", "Boston"]),
        "active_from": st.none() | st.just(T0),
        "active_until": st.none() | st.just(T0 + timedelta(days=1)),
        "active": st.booleans(),
        "max_finds": st.none() | st.integers(3, 10),
        "label": st.sampled_from(["Robot", "Swarm"]),
    }
)


@given(clue_values, st.data())
def test_setting_what_is_already_there_changes_nothing(
    values: dict[str, Any], data: st.DataObject
) -> None:
    clue = stored(**values)
    names = ["label", "city", "active_from", "active_until", "active", "max_finds"]
    if clue.kind != "social":
        names += ["location", "geofence"]
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True))
    current = {"location": SPOT, "geofence": clue.geofence}
    same = {name: current[name] if name in current else getattr(clue, name) for name in chosen}
    assert planned_changes(same, clue) == {}


def test_nothing_given_nothing_changed() -> None:
    for kind in KINDS:
        assert planned_changes({}, stored(kind)) == {}


def test_changes_are_old_and_new_of_what_really_changes() -> None:
    clue = stored(label="Robot", city="New York", max_finds=None)
    changes = planned_changes({"label": "Swarm", "city": "New York", "max_finds": 9}, clue)
    assert changes == {"label": ("Robot", "Swarm"), "max_finds": (None, 9)}


def test_a_new_location_moves_the_default_fence_with_it() -> None:
    there = destination(SPOT, 90, 300)
    changes = planned_changes({"location": there}, stored())
    assert changes == {
        "lat": (SPOT.lat, there.lat),
        "lon": (SPOT.lon, there.lon),
    }  # the stored circle is a radius, the same around the new place
    polygon = planned_changes({"geofence": square(SPOT, 40)}, stored())
    assert polygon == {"geofence": ({"radius_m": 100.0}, square(SPOT, 40))}
    assert planned_changes({"geofence": None}, stored(geofence={"radius_m": 30.0})) == {
        "geofence": ({"radius_m": 30.0}, {"radius_m": 100.0})
    }


def test_an_ar_clue_stays_inside_its_fence_when_it_moves() -> None:
    clue = stored("ar", geofence=square(SPOT, 50))
    far = destination(SPOT, 0, 500)
    with pytest.raises(InvalidGeofence, match="must lie inside"):
        planned_changes({"location": far}, clue)
    with pytest.raises(InvalidGeofence, match="must lie inside"):
        planned_changes({"geofence": square(far, 50)}, clue)
    assert planned_changes({"location": far, "geofence": square(far, 50)}, clue)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"location": SPOT}, "a social clue has no location"),
        ({"geofence": {"radius_m": 50}}, "a social clue has no geofence"),
        ({"geofence": None}, "a social clue has no geofence"),
    ],
)
def test_a_social_clue_keeps_no_place(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        planned_changes(change, stored("social"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"label": None}, "label cannot be null"),
        ({"active": None}, "active cannot be null"),
        ({"location": None}, "a located clue keeps a location"),
    ],
)
def test_what_a_clue_cannot_be_without(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        planned_changes(change, stored())


@given(st.integers(0, 20), st.integers(0, 20))
def test_max_finds_never_below_the_finds_made(finds: int, max_finds: int) -> None:
    clue = stored(finds=finds)
    if max_finds < finds:
        with pytest.raises(Conflict, match=f"already has {finds} finds"):
            planned_changes({"max_finds": max_finds}, clue)
    else:
        assert planned_changes({"max_finds": max_finds}, clue) == {"max_finds": (None, max_finds)}
    assert planned_changes({"max_finds": None}, clue) == {}  # no limit: always allowed


def test_the_window_is_checked_with_what_stays() -> None:
    clue = stored(active_from=T0, active_until=T0 + timedelta(hours=2))
    with pytest.raises(InvalidRequest, match="active_until must be after active_from"):
        planned_changes({"active_from": T0 + timedelta(hours=2)}, clue)
    with pytest.raises(InvalidRequest, match="active_until must be after active_from"):
        planned_changes({"active_until": T0}, clue)
    assert planned_changes({"active_until": None}, clue) == {
        "active_until": (T0 + timedelta(hours=2), None)
    }


def test_changes_leave_the_clue_as_it_was() -> None:
    clue = stored()
    planned_changes({"label": "Swarm", "location": destination(SPOT, 0, 10)}, clue)
    assert clue == stored()
