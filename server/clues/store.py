"""Clues in PostgreSQL: validated creation (one or many), changes with history, JSON form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg
from pydantic import ValidationError

from geo.coords import LatLon
from geo.fences import GeofenceError, parse_geofence
from hunt_engine import clue_rules
from hunt_engine.clue_rules import ClueDraft, Editor, NewClue, StoredClue
from hunt_engine.errors import HuntError, InvalidGeofence, InvalidRequest, NotFound
from server.clues.schemas import ClueIn, CluePatch
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
    rows = await conn.fetch("SELECT key, id FROM collectibles WHERE hunt_id = $1", hunt_id)
    return {r["key"]: r["id"] for r in rows}


async def insert_clues(
    conn: asyncpg.Connection, hunt_id: int, who: Editor, clues: list[NewClue], action: str
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
        str(who.role),
        action,
    )
    return list(ids)


async def fetch_clues(conn: asyncpg.Connection, ids: Iterable[int]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {CLUE_COLUMNS} FROM {CLUE_FROM} WHERE c.id = ANY($1::bigint[]) ORDER BY c.id",
        list(ids),
    )
    return rows


async def fetch_clue(conn: asyncpg.Connection, clue_id: int, lock: bool = False) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"SELECT {CLUE_COLUMNS} FROM {CLUE_FROM} WHERE c.id = $1"
        + (" FOR UPDATE OF c" if lock else ""),
        clue_id,
    )
    if row is None:
        raise NotFound(f"no clue {clue_id}")
    return row


def stored_clue(row: asyncpg.Record) -> StoredClue:
    """A clue row (`CLUE_COLUMNS`) as the rules of changing it see it."""
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
    """Column -> (old, new) for every field the patch really changes (`clue_rules`)."""
    given: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set}
    if patch.location is not None and "location" in given:
        given["location"] = LatLon(patch.location.lat, patch.location.lon)
    return clue_rules.planned_changes(given, stored_clue(row))


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
