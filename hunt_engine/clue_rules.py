"""The rules of registering and changing clues, over plain values: what each kind of clue
carries, which kinds a field team may register and which clues it may change, and what a change
really changes. The adapter (`server.clues.store`) turns validated requests and rows into these
values, applies the rules, and writes what they return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from geo.coords import LatLon
from geo.fences import GeofenceError, parse_geofence
from hunt_engine.errors import Conflict, Forbidden, InvalidGeofence, InvalidRequest, NotFound

FIELD_ROLE = "field"
# What a field team may register: clues it puts up on site, never a social drop.
FIELD_KINDS = frozenset({"billboard", "digital", "ar"})
# The columns a change may set beyond the place (location and geofence), in the order written.
PLAIN_FIELDS = ("label", "city", "active_from", "active_until", "active", "max_finds")


class Editor(Protocol):
    """Who registers or changes a clue: a role ("organiser" or "field"), a subject, and the
    hunt its token is limited to (None: every hunt)."""

    @property
    def role(self) -> str: ...

    @property
    def sub(self) -> str: ...

    @property
    def hunt(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class ClueDraft:
    """A clue as a request asks for it, before any rule; `geofence` is the raw shape given."""

    kind: str
    collectible: str
    label: str
    city: str | None = None
    location: LatLon | None = None
    geofence: Any = None
    active_from: datetime | None = None
    active_until: datetime | None = None
    max_finds: int | None = None
    ar: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class NewClue:
    """A clue that passed every check, ready to insert."""

    collectible_id: int
    kind: str
    label: str
    city: str | None
    lat: float | None
    lon: float | None
    geofence: dict[str, Any] | None
    ar: dict[str, Any] | None
    active_from: datetime | None
    active_until: datetime | None
    max_finds: int | None


@dataclass(frozen=True, slots=True)
class StoredClue:
    """A registered clue as the rules of changing it see it."""

    hunt: str
    kind: str
    created_by: str
    lat: float | None
    lon: float | None
    geofence: dict[str, Any] | None
    label: str
    city: str | None
    active_from: datetime | None
    active_until: datetime | None
    active: bool
    max_finds: int | None
    finds: int


def check_clue(draft: ClueDraft, who: Editor, collectibles: Mapping[str, int]) -> NewClue:
    """The draft as a clue to insert, or the first rule it breaks; `collectibles` maps the
    hunt's collectible keys to their ids."""
    if who.role == FIELD_ROLE and draft.kind not in FIELD_KINDS:
        raise Forbidden(f"field teams may not create {draft.kind} clues")
    collectible_id = collectibles.get(draft.collectible)
    if collectible_id is None:
        raise NotFound(f"no collectible {draft.collectible!r} in this hunt")
    if (
        draft.active_from is not None
        and draft.active_until is not None
        and draft.active_until <= draft.active_from
    ):
        raise InvalidRequest("active_until must be after active_from")
    location = draft.location
    fence_json = None
    if draft.kind == "social":
        if location is not None or draft.geofence is not None:
            raise InvalidRequest("a social clue has no location or geofence")
    else:
        if location is None:
            raise InvalidRequest(f"a {draft.kind} clue needs a location")
        fence_json = fence_for(draft.geofence, location)
    if draft.kind == "ar" and draft.ar is None:
        raise InvalidRequest("an ar clue needs its ar anchor")
    if draft.kind == "ar" and location is not None and fence_json is not None:
        check_ar_spot(fence_json, location)
    if draft.kind != "ar" and draft.ar is not None:
        raise InvalidRequest("only ar clues carry an ar anchor")
    return NewClue(
        collectible_id=collectible_id,
        kind=draft.kind,
        label=draft.label,
        city=draft.city,
        lat=None if location is None else location.lat,
        lon=None if location is None else location.lon,
        geofence=fence_json,
        ar=draft.ar,
        active_from=draft.active_from,
        active_until=draft.active_until,
        max_finds=draft.max_finds,
    )


def check_ar_spot(fence_json: dict[str, Any], location: LatLon) -> None:
    """An AR object is claimed where it stands: its location must be inside its geofence."""
    if parse_geofence(fence_json, location).distance_m(location) > 0.0:
        raise InvalidGeofence("an ar clue's location must lie inside its geofence")


def fence_for(raw: Any, location: LatLon) -> dict[str, Any]:
    """The stored form of a geofence given as `raw` (None: the default circle) around
    `location`; `InvalidGeofence` for any bad shape."""
    try:
        return parse_geofence(raw, location).to_json()
    except GeofenceError as err:
        raise InvalidGeofence(str(err)) from None


def may_edit(who: Editor, clue: StoredClue) -> None:
    """A token limited to one hunt reaches no other hunt's clues; a field team changes only
    the clues it registered."""
    if who.hunt is not None and who.hunt != clue.hunt:
        raise Forbidden(f"this token is limited to hunt {who.hunt!r}")
    if who.role == FIELD_ROLE and clue.created_by != who.sub:
        raise Forbidden("field teams may change only the clues they registered")


def planned_changes(given: Mapping[str, Any], clue: StoredClue) -> dict[str, tuple[Any, Any]]:
    """Column -> (old, new) for every field the change really changes.

    `given` holds only the fields the change sets, by name (`location` as a `LatLon` or None,
    `geofence` as the raw shape or None for the default circle, the others as their values).
    """
    for name in ("label", "active"):
        if name in given and given[name] is None:
            raise InvalidRequest(f"{name} cannot be null")
    changes: dict[str, tuple[Any, Any]] = {}
    location = LatLon(clue.lat, clue.lon) if clue.lat is not None and clue.lon is not None else None
    if "location" in given:
        if clue.kind == "social":
            raise InvalidRequest("a social clue has no location")
        new_location: LatLon | None = given["location"]
        if new_location is None:
            raise InvalidRequest("a located clue keeps a location")
        location = new_location
        changes["lat"] = (clue.lat, location.lat)
        changes["lon"] = (clue.lon, location.lon)
    if "geofence" in given or "location" in given:
        if clue.kind == "social":
            raise InvalidRequest("a social clue has no geofence")
        assert location is not None
        raw = given["geofence"] if "geofence" in given else clue.geofence
        changes["geofence"] = (clue.geofence, fence_for(raw, location))
        if clue.kind == "ar":
            check_ar_spot(changes["geofence"][1], location)
    for name in PLAIN_FIELDS:
        if name in given:
            changes[name] = (getattr(clue, name), given[name])
    max_finds = changes.get("max_finds", (None, None))[1]
    if max_finds is not None and max_finds < clue.finds:
        raise Conflict(f"this clue already has {clue.finds} finds; max_finds cannot be lower")
    start = changes.get("active_from", (None, clue.active_from))[1]
    end = changes.get("active_until", (None, clue.active_until))[1]
    if start is not None and end is not None and end <= start:
        raise InvalidRequest("active_until must be after active_from")
    return {k: v for k, v in changes.items() if v[0] != v[1]}
