"""Clues in PostgreSQL: validated creation (one or many), changes with history, JSON form."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg
from pydantic import ValidationError

from geo.coords import LatLon
from geo.fences import GeofenceError, parse_geofence
from hunt_engine.errors import (
    Conflict,
    Forbidden,
    HuntError,
    InvalidGeofence,
    InvalidRequest,
    NotFound,
)
from server.clues.schemas import ClueIn, CluePatch
from server.http.auth import Principal, Role
from server.http.responses import iso
from server.http.validation import describe

CLUE_COLUMNS = (
    "c.id, h.slug AS hunt, c.kind, k.key AS collectible, c.label, c.city, c.lat, c.lon,"
    " c.geofence, c.ar, c.active_from, c.active_until, c.max_finds, c.active, c.finds,"
    " c.created_by, c.hunt_id"
)
CLUE_FROM = (
    "clues c JOIN hunts h ON h.id = c.hunt_id JOIN collectibles k ON k.id = c.collectible_id"
)
FIELD_KINDS = frozenset({"billboard", "digital", "ar"})


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
    }
    if row["kind"] in ("billboard", "social"):
        link = f"{base_url}/v1/clues/{row['id']}"
        body["qr"] = {"png": f"{link}/qr.png", "svg": f"{link}/qr.svg"}
    if row["ar"] is not None:
        body["ar"] = row["ar"]
    return body


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
    active_from: Any
    active_until: Any
    max_finds: int | None


def check_clue(body: ClueIn, who: Principal, collectibles: dict[str, int]) -> NewClue:
    if who.role is Role.FIELD and body.kind not in FIELD_KINDS:
        raise Forbidden(f"field teams may not create {body.kind} clues")
    collectible_id = collectibles.get(body.collectible)
    if collectible_id is None:
        raise NotFound(f"no collectible {body.collectible!r} in this hunt")
    if body.active_from and body.active_until and body.active_until <= body.active_from:
        raise InvalidRequest("active_until must be after active_from")
    location = None if body.location is None else LatLon(body.location.lat, body.location.lon)
    fence_json = None
    if body.kind == "social":
        if body.location is not None or body.geofence is not None:
            raise InvalidRequest("a social clue has no location or geofence")
    else:
        if location is None:
            raise InvalidRequest(f"a {body.kind} clue needs a location")
        fence_json = fence_for(body.geofence, location)
    if body.kind == "ar" and body.ar is None:
        raise InvalidRequest("an ar clue needs its ar anchor")
    if body.kind == "ar" and location is not None and fence_json is not None:
        check_ar_spot(fence_json, location)
    if body.kind != "ar" and body.ar is not None:
        raise InvalidRequest("only ar clues carry an ar anchor")
    return NewClue(
        collectible_id=collectible_id,
        kind=body.kind,
        label=body.label,
        city=body.city,
        lat=None if location is None else location.lat,
        lon=None if location is None else location.lon,
        geofence=fence_json,
        ar=None if body.ar is None else body.ar.model_dump(exclude_none=True),
        active_from=body.active_from,
        active_until=body.active_until,
        max_finds=body.max_finds,
    )


def check_ar_spot(fence_json: dict[str, Any], location: LatLon) -> None:
    """An AR object is claimed where it stands: its location must be inside its geofence."""
    if parse_geofence(fence_json, location).distance_m(location) > 0.0:
        raise InvalidGeofence("an ar clue's location must lie inside its geofence")


def fence_for(raw: Any, location: LatLon) -> dict[str, Any]:
    try:
        return parse_geofence(raw, location).to_json()
    except GeofenceError as err:
        raise InvalidGeofence(str(err)) from None


async def collectible_ids(conn: asyncpg.Connection, hunt_id: int) -> dict[str, int]:
    rows = await conn.fetch("SELECT key, id FROM collectibles WHERE hunt_id = $1", hunt_id)
    return {r["key"]: r["id"] for r in rows}


async def insert_clues(
    conn: asyncpg.Connection, hunt_id: int, who: Principal, clues: list[NewClue], action: str
) -> list[int]:
    """Insert in one statement, with one history entry each; the caller holds the transaction."""
    if not clues:
        return []
    ids = await conn.fetchval(
        "WITH made AS ("
        " INSERT INTO clues (hunt_id, collectible_id, kind, label, city, lat, lon, geofence, ar,"
        "  active_from, active_until, max_finds, created_by)"
        " SELECT $1, u.* , $12 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[],"
        "  $6::float8[], $7::float8[], $8::jsonb[], $9::jsonb[], $10::timestamptz[],"
        "  $11::timestamptz[], $13::int[])"
        "  AS u(collectible_id, kind, label, city, lat, lon, geofence, ar, active_from,"
        "   active_until, max_finds)"
        " RETURNING id)"
        " SELECT array_agg(id ORDER BY id) FROM made",
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
    )
    await conn.execute(
        "INSERT INTO clue_history (clue_id, changed_by, role, action, changes)"
        " SELECT unnest($1::bigint[]), $2, $3, $4, '{}'::jsonb",
        ids,
        who.sub,
        who.role.value,
        action,
    )
    return list(ids)


async def fetch_clues(conn: asyncpg.Connection, ids: Iterable[int]) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {CLUE_COLUMNS} FROM {CLUE_FROM} WHERE c.id = ANY($1::bigint[]) ORDER BY c.id",
        list(ids),
    )


async def fetch_clue(conn: asyncpg.Connection, clue_id: int, lock: bool = False) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"SELECT {CLUE_COLUMNS} FROM {CLUE_FROM} WHERE c.id = $1"
        + (" FOR UPDATE OF c" if lock else ""),
        clue_id,
    )
    if row is None:
        raise NotFound(f"no clue {clue_id}")
    return row


def may_edit(who: Principal, row: asyncpg.Record) -> None:
    who.check_hunt(row["hunt"])
    if who.role is Role.FIELD and row["created_by"] != who.sub:
        raise Forbidden("field teams may change only the clues they registered")


def planned_changes(patch: CluePatch, row: asyncpg.Record) -> dict[str, tuple[Any, Any]]:
    """Column -> (old, new) for every field the patch really changes."""
    given = patch.model_dump(exclude_unset=True)
    for name in ("label", "active"):
        if name in given and given[name] is None:
            raise InvalidRequest(f"{name} cannot be null")
    changes: dict[str, tuple[Any, Any]] = {}
    location = LatLon(row["lat"], row["lon"]) if row["lat"] is not None else None
    if "location" in given:
        if row["kind"] == "social":
            raise InvalidRequest("a social clue has no location")
        if patch.location is None:
            raise InvalidRequest("a located clue keeps a location")
        location = LatLon(patch.location.lat, patch.location.lon)
        changes["lat"] = (row["lat"], location.lat)
        changes["lon"] = (row["lon"], location.lon)
    if "geofence" in given or "location" in given:
        if row["kind"] == "social":
            raise InvalidRequest("a social clue has no geofence")
        assert location is not None
        raw = given["geofence"] if "geofence" in given else row["geofence"]
        changes["geofence"] = (row["geofence"], fence_for(raw, location))
        if row["kind"] == "ar":
            check_ar_spot(changes["geofence"][1], location)
    for name in ("label", "city", "active_from", "active_until", "active", "max_finds"):
        if name in given:
            changes[name] = (row[name], getattr(patch, name))
    max_finds = changes.get("max_finds", (None, None))[1]
    if max_finds is not None and max_finds < row["finds"]:
        raise Conflict(f"this clue already has {row['finds']} finds; max_finds cannot be lower")
    start = changes.get("active_from", (None, row["active_from"]))[1]
    end = changes.get("active_until", (None, row["active_until"]))[1]
    if start is not None and end is not None and end <= start:
        raise InvalidRequest("active_until must be after active_from")
    return {k: v for k, v in changes.items() if v[0] != v[1]}


def validate_feature(index: int, feature: Any) -> ClueIn:
    """A GeoJSON Feature to a clue body: Point = location, Polygon = the geofence."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidRequest(f"feature {index} is not a GeoJSON Feature")
    props = feature.get("properties")
    geometry = feature.get("geometry")
    if not isinstance(props, dict):
        raise InvalidRequest("properties must be an object")
    body = dict(props)
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


def _polygon_anchor(geometry: dict[str, Any]) -> LatLon:
    try:
        return parse_geofence(geometry, None).anchor
    except GeofenceError as err:
        raise InvalidGeofence(str(err)) from None


def import_failure(index: int, err: HuntError) -> dict[str, Any]:
    return {"index": index, "code": err.code, "detail": err.detail}
