"""GET /v1/hunts/{slug}/nearby: hints for the camera view, answered from memory.

Per request: one Redis round trip (the rate limit), the hunt's fence index (no scan of every
clue), and one indexed query for the hunter's finds (the `found` marks).

The rate limit reuses the scan gate's script under its own key prefix, with the hunt's
`scans_per_minute` as its own budget: an app refreshing its hints never uses up the scans of
the hunter, and scanning never blanks the hints.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from aiohttp import web

from geo.coords import LatLon
from hunt_engine.codes import TICKET_TTL_S, TicketSigner
from hunt_engine.errors import HuntNotActive, InvalidRequest, NotFound, RateLimited
from hunt_engine.hints import Hint, HintRequest, hints_at_spots
from hunt_engine.keys import Keyring
from hunt_engine.models import ClueKind, Hunt
from server.ar.queries import CATALOG_HUNT_BY_SLUG_SQL, FOUND_SQL
from server.ar.schemas import NearbyOut, NearbyQuery
from server.http.auth import Role
from server.http.responses import iso, ok
from server.http.routing import Call, RouteTable

TABLE = RouteTable()


NO_KEYS = np.empty(0, dtype=np.int64)
NO_SPOTS = np.empty((0, 2), dtype=np.float64)


async def _hunt(call: Call, slug: str) -> Hunt | None:
    """The hunt from the catalog, or from the database if this process has not heard of it
    yet (created a moment ago through another process)."""
    catalog = call.services.catalog
    hunt = catalog.hunt_by_slug(slug)
    if hunt is None:
        row = await call.services.pool.fetchrow(CATALOG_HUNT_BY_SLUG_SQL, slug)
        if row is not None:
            catalog.put_hunt(row)
            hunt = catalog.hunt_by_slug(slug)
    return hunt


@TABLE.route(
    "GET",
    "/v1/hunts/{slug}/nearby",
    "Hints for the clues near the hunter; exact spot, AR anchor and ticket when close",
    roles={Role.HUNTER},
    query=NearbyQuery,
    ok_schema=NearbyOut,
    errors=(400, 401, 403, 404, 422, 429),
)
async def nearby(call: Call) -> web.Response:
    slug = call.request.match_info["slug"]
    call.who.check_hunt(slug)
    hunter_id = call.who.hunter_id
    query: NearbyQuery = call.query
    if query.lat is None or query.lon is None or query.accuracy_m is None:
        raise InvalidRequest("lat, lon and accuracy_m are required")
    catalog = call.services.catalog
    hunt = await _hunt(call, slug)
    if hunt is None:
        raise NotFound(f"no hunt {slug!r}")
    gate = await call.services.nearby_gate.enter(hunter_id, hunt.rules.scans_per_minute, None, "")
    if gate.outcome == "limited":
        raise RateLimited("too many hint requests; slow down", retry_after_s=gate.retry_after_s)
    now = datetime.now(UTC)
    if not hunt.is_active(now):
        raise HuntNotActive(
            f"the hunt runs from {hunt.starts_at.isoformat()} to {hunt.ends_at.isoformat()}"
        )
    found = {r[0] for r in await call.services.pool.fetch(FOUND_SQL, hunter_id, hunt.id)}
    point = LatLon(query.lat, query.lon)
    index = catalog.fences.get(hunt.id)
    keys, spots = NO_KEYS, NO_SPOTS
    if index is not None:
        reach = hunt.rules.hint_radius_m + catalog.location_gaps.get(hunt.id, 0.0)
        keys, spots = index.spots_near(point, reach)
    request = HintRequest(point, query.accuracy_m, now, found, query.limit)
    hints, truncated = hints_at_spots(request, keys, spots, catalog.clues.get, hunt.rules)
    tickets = Tickets(call.services.keyring, hunter_id, int(now.timestamp()))
    collectibles = catalog.collectibles
    answer = [
        hint_json(hint, collectible.key, tickets)
        for hint in hints
        # A clue whose collectible this process has not loaded yet waits for the next request.
        if (collectible := collectibles.get(hint.clue.collectible_id)) is not None
    ]
    return ok({"hints": answer, "truncated": truncated})


class Tickets:
    """Tickets of one answer: one hunter, one issue time."""

    def __init__(self, ring: Keyring, hunter_id: int, issued_at: int) -> None:
        self.issue = TicketSigner(ring, hunter_id, issued_at).sign
        self.expires_at = iso(datetime.fromtimestamp(issued_at + TICKET_TTL_S, UTC))


def hint_json(hint: Hint, collectible: str, tickets: Tickets) -> dict[str, Any]:
    clue = hint.clue
    body: dict[str, Any] = {
        "clue_id": clue.id,
        "kind": clue.kind.value,
        "collectible": collectible,
        "found": hint.found,
        "distance_m": hint.coarse_distance_m,
        "bearing_deg": hint.coarse_bearing_deg,
    }
    if hint.revealed:
        assert clue.location is not None
        body["location"] = {"lat": clue.location.lat, "lon": clue.location.lon}
        if clue.kind is ClueKind.AR and clue.ar is not None:
            body["ar"] = clue.ar.as_dict()
            # A ticket for a collectible already held would only ever be `already_found`.
            if not hint.found:
                body["ticket"] = tickets.issue(clue.id)
                body["ticket_expires_at"] = tickets.expires_at
    return body
