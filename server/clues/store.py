"""Clues in PostgreSQL: validated creation (one or many), changes with history, JSON form."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import asyncpg
from pydantic import ValidationError

from geo.coords import LatLon
from geo.fences import GeofenceError, parse_geofence
from hunt_engine import clue_rules
from hunt_engine.clue_rules import ClueDraft, Editor, NewClue, StoredClue
from hunt_engine.errors import HuntError, InvalidGeofence, InvalidRequest, NotFound
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
    rows = await conn.fetch(COLLECTIBLE_IDS_SQL, hunt_id)
    return {r["key"]: r["id"] for r in rows}


async def insert_clues(
    conn: asyncpg.Connection, hunt_id: int, who: Editor, clues: list[NewClue], action: str
) -> list[int]:
    """Insert in one statement, with one history entry each; the caller holds the transaction."""
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
    """Column -> (old, new) for every field the patch really changes (`clue_rules`)."""
    given: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set}
    if patch.location is not None and "location" in given:
        given["location"] = LatLon(patch.location.lat, patch.location.lon)
    return clue_rules.planned_changes(given, stored_clue(row))


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
