"""Clues in PostgreSQL: validated creation (one or many), changes with history, JSON form."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import asyncpg
from pydantic import ValidationError

from geo.coords import LatLon
from geo.fences import GeofenceError, PolygonFence, parse_geofence
from geo.translate import translate_polygon
from hunt_engine import clue_rules
from hunt_engine.clue_rules import ClueDraft, Editor, NewClue, StoredClue
from hunt_engine.errors import Conflict, HuntError, InvalidGeofence, InvalidRequest, NotFound
from server.clues.queries import (
    CLUE_FOR_UPDATE_SQL,
    CLUE_SQL,
    CLUES_BY_IDS_SQL,
    COLLECTIBLE_IDS_SQL,
    HISTORY_OF_CHANGE_SQL,
    HISTORY_OF_NEW_CLUES_SQL,
    INSERT_CLUES_SQL,
    UPDATE_CLUE_SQL,
)
from server.clues.schemas import ClueIn, CluePatch
from server.http.responses import dumps, iso
from server.http.validation import describe

# The columns a patch may change, in the order UPDATE_CLUE_SQL takes their new values.
CHANGEABLE = (
    "lat",
    "lon",
    "geofence",
    "label",
    "city",
    "active_from",
    "active_until",
    "active",
    "max_finds",
    "ar",
)
# A site's name, as an import gives it (a feature's `id` or `properties.ref`).
MAX_REF = 200
# The printed kinds: a code to print, and a code version a reissue bumps.
PRINTED = ("billboard", "social")


def clue_json(row: asyncpg.Record, base_url: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": row["id"],
        "hunt": row["hunt"],
        "kind": row["kind"],
        "collectible": row["collectible"],
        "label": row["label"],
        "city": row["city"],
        "location": None if row["lat"] is None else {"lat": row["lat"], "lon": row["lon"]},
        "geofence": row["geofence"],
        "active_from": iso(row["active_from"]),
        "active_until": iso(row["active_until"]),
        "max_finds": row["max_finds"],
        "active": row["active"],
        "finds": row["finds"],
        "ref": row["ref"],
    }
    if row["kind"] in PRINTED:
        link = f"{base_url}/v1/clues/{row['id']}"
        version = row["code_version"]
        body["code_version"] = version
        # A reissued code's images get links of their own: no cache serves the old code.
        tail = f"?v={version}" if version else ""
        body["qr"] = {"png": f"{link}/qr.png{tail}", "svg": f"{link}/qr.svg{tail}"}
    if row["ar"] is not None:
        body["ar"] = row["ar"]
    return body


def draft_of(body: ClueIn) -> ClueDraft:
    """A validated clue body as the rules' plain draft."""
    return ClueDraft(
        kind=body.kind,
        collectible=body.collectible,
        label=body.label,
        city=body.city,
        location=None if body.location is None else LatLon(body.location.lat, body.location.lon),
        geofence=body.geofence,
        active_from=body.active_from,
        active_until=body.active_until,
        max_finds=body.max_finds,
        ar=None if body.ar is None else body.ar.model_dump(exclude_none=True),
    )


def check_clue(body: ClueIn, who: Editor, collectibles: dict[str, int]) -> NewClue:
    """`clue_rules.check_clue` on a validated body."""
    return clue_rules.check_clue(draft_of(body), who, collectibles)


async def collectible_ids(conn: asyncpg.Connection, hunt_id: int) -> dict[str, int]:
    rows = await conn.fetch(COLLECTIBLE_IDS_SQL, hunt_id)
    return {r["key"]: r["id"] for r in rows}


async def insert_clues(
    conn: asyncpg.Connection,
    hunt_id: int,
    who: Editor,
    clues: list[NewClue],
    action: str,
    refs: list[str | None] | None = None,
) -> list[int]:
    """Insert in one statement, with one history entry each; the caller holds the transaction.
    `refs`: the site each clue was imported as, beside `clues` (None: none has one)."""
    if not clues:
        return []
    ids = await conn.fetchval(
        INSERT_CLUES_SQL,
        hunt_id,
        [c.collectible_id for c in clues],
        [c.kind for c in clues],
        [c.label for c in clues],
        [c.city for c in clues],
        [c.lat for c in clues],
        [c.lon for c in clues],
        [c.geofence for c in clues],
        [c.ar for c in clues],
        [c.active_from for c in clues],
        [c.active_until for c in clues],
        who.sub,
        [c.max_finds for c in clues],
        refs if refs is not None else [None] * len(clues),
    )
    await conn.execute(
        HISTORY_OF_NEW_CLUES_SQL,
        ids,
        who.sub,
        str(who.role),
        action,
    )
    return list(ids)


async def fetch_clues(conn: asyncpg.Connection, ids: Iterable[int]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(CLUES_BY_IDS_SQL, list(ids))
    return rows


async def fetch_clue(conn: asyncpg.Connection, clue_id: int, lock: bool = False) -> asyncpg.Record:
    row = await conn.fetchrow(CLUE_FOR_UPDATE_SQL if lock else CLUE_SQL, clue_id)
    if row is None:
        raise NotFound(f"no clue {clue_id}")
    return row


def stored_clue(row: asyncpg.Record) -> StoredClue:
    """A clue row (the columns of `CLUE_SQL`) as the rules of changing it see it."""
    return StoredClue(
        hunt=row["hunt"],
        kind=row["kind"],
        created_by=row["created_by"],
        lat=row["lat"],
        lon=row["lon"],
        geofence=row["geofence"],
        label=row["label"],
        city=row["city"],
        active_from=row["active_from"],
        active_until=row["active_until"],
        active=row["active"],
        max_finds=row["max_finds"],
        finds=row["finds"],
    )


def may_edit(who: Editor, row: asyncpg.Record) -> None:
    clue_rules.may_edit(who, stored_clue(row))


def planned_changes(patch: CluePatch, row: asyncpg.Record) -> dict[str, tuple[Any, Any]]:
    """Column -> (old, new) for every field the patch really changes (`clue_rules`). A polygon
    clue moved without a new geofence takes its polygon along (`moved_polygon`)."""
    given: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set}
    if patch.location is not None and "location" in given:
        given["location"] = LatLon(patch.location.lat, patch.location.lon)
        if "geofence" not in given:
            moved = moved_polygon(row, given["location"])
            if moved is not None:
                given["geofence"] = moved
    return clue_rules.planned_changes(given, stored_clue(row))


def moved_polygon(row: asyncpg.Record, location: LatLon) -> dict[str, Any] | None:
    """The clue's polygon moved by the same metres east and north as its location (None for a
    circle, which is drawn around the location anyway, or a clue without a place)."""
    raw = row["geofence"]
    if row["lat"] is None or not isinstance(raw, dict) or raw.get("type") != "Polygon":
        return None
    old = LatLon(row["lat"], row["lon"])
    try:
        fence = parse_geofence(raw, old)
        assert isinstance(fence, PolygonFence)
        return translate_polygon(fence, old, location).to_json()
    except GeofenceError as err:
        raise InvalidGeofence(f"the polygon cannot move with the clue: {err}") from None


async def record_changes(
    conn: asyncpg.Connection, clue_id: int, who: Editor, changes: dict[str, tuple[Any, Any]]
) -> None:
    """Write `planned_changes` to the clue and its history; the caller holds the transaction
    and the clue's lock."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise ValueError(f"not a changeable column: {sorted(unknown)}")
    await conn.execute(
        UPDATE_CLUE_SQL,
        clue_id,
        list(changes),
        *(changes[name][1] if name in changes else None for name in CHANGEABLE),
    )
    await conn.execute(
        HISTORY_OF_CHANGE_SQL,
        clue_id,
        who.sub,
        str(who.role),
        json.loads(dumps({k: {"from": old, "to": new} for k, (old, new) in changes.items()})),
    )


def validate_feature(index: int, feature: Any) -> ClueIn:
    """A GeoJSON Feature to a clue body: Point = location, Polygon = the geofence."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidRequest(f"feature {index} is not a GeoJSON Feature")
    props = feature.get("properties")
    geometry = feature.get("geometry")
    if not isinstance(props, dict):
        raise InvalidRequest("properties must be an object")
    body = dict(props)
    body.pop("ref", None)  # the site's name (`feature_ref`), not a clue field
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        coords = geometry.get("coordinates")
        if not (isinstance(coords, list) and len(coords) in (2, 3)):
            raise InvalidRequest("a Point needs [lon, lat]")
        body["location"] = {"lon": coords[0], "lat": coords[1]}
        if "radius_m" in body:
            body["geofence"] = {"radius_m": body.pop("radius_m")}
    elif isinstance(geometry, dict) and geometry.get("type") == "Polygon":
        body["geofence"] = geometry
        if "location" not in body:
            anchor = _polygon_anchor(geometry)
            body["location"] = {"lat": anchor.lat, "lon": anchor.lon}
    elif geometry is not None:
        raise InvalidGeofence("features must be Points or Polygons")
    try:
        return ClueIn.model_validate(body, strict=False)
    except ValidationError as err:
        raise InvalidRequest(describe(err)) from None


def feature_ref(feature: dict[str, Any]) -> str | None:
    """The site a validated feature names: its `id`, or `properties.ref` (a string of
    1-200 characters, or an integer); None when it names none."""
    refs = {
        _ref(name, value)
        for name, value in (("id", feature.get("id")), ("ref", feature["properties"].get("ref")))
        if value is not None
    }
    if len(refs) > 1:
        raise InvalidRequest("the feature's id and properties.ref name different sites")
    return refs.pop() if refs else None


def _ref(name: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_REF or "\x00" in value:
        raise InvalidRequest(f"a feature's {name} must be 1-{MAX_REF} characters or an integer")
    return value


def import_changes(new: NewClue, row: asyncpg.Record, who: Editor) -> dict[str, tuple[Any, Any]]:
    """Column -> (old, new) for what a feature changes in the clue `row` imported under its
    ref, as a PATCH would change it: the feature describes the whole clue (fields it leaves
    out take their defaults), but `active`, which an import never sets. Its kind and
    collectible are the clue's for good."""
    clue_rules.may_edit(who, stored_clue(row))
    if new.kind != row["kind"] or new.collectible_id != row["collectible_id"]:
        raise Conflict(
            f"this site is clue {row['id']}, a {row['kind']} clue of collectible"
            f" {row['collectible']!r}: an import changes neither"
        )
    if new.max_finds is not None and new.max_finds < row["finds"]:
        raise Conflict(f"this clue already has {row['finds']} finds; max_finds cannot be lower")
    wanted = {
        "lat": new.lat,
        "lon": new.lon,
        "geofence": new.geofence,
        "label": new.label,
        "city": new.city,
        "active_from": new.active_from,
        "active_until": new.active_until,
        "max_finds": new.max_finds,
        "ar": new.ar,
    }
    return {name: (row[name], value) for name, value in wanted.items() if row[name] != value}


def _polygon_anchor(geometry: dict[str, Any]) -> LatLon:
    try:
        return parse_geofence(geometry, None).anchor
    except GeofenceError as err:
        raise InvalidGeofence(str(err)) from None


def import_failure(index: int, err: HuntError) -> dict[str, Any]:
    return {"index": index, "code": err.code, "detail": err.detail}
