"""Build hunts, collectibles and clues through the API, with unique names per test."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hunt_engine.codes import rotating_code, static_code, step_at
from tests.support.api import Api, unique

# Times Square, New York; a spot 5 km north (Central Park north end); Boston (~300 km away).
TIMES_SQUARE = (40.758, -73.9855)
FIVE_KM_NORTH = (40.80296, -73.9855)
BOSTON = (42.3601, -71.0589)


def iso(moment: datetime, timespec: str = "auto") -> str:
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


@dataclass
class Hunt:
    api: Api
    slug: str
    collectibles: list[str] = field(default_factory=list)

    async def collectible(self, supply: int | None = None, **extra: Any) -> str:
        key = unique("c")
        body = {
            "key": key,
            "name": f"Collectible {key}",
            "episode": "Jibaro",
            "image_url": "https://img.example/x.png",
            **extra,
        }
        if supply is not None:
            body["supply"] = supply
        await self.api.call(
            "POST",
            f"/v1/hunts/{self.slug}/collectibles",
            201,
            headers=self.api.organiser,
            json=body,
        )
        self.collectibles.append(key)
        return key

    async def clue(
        self,
        kind: str = "billboard",
        collectible: str | None = None,
        at: tuple[float, float] = TIMES_SQUARE,
        **extra: Any,
    ) -> dict[str, Any]:
        if collectible is None:
            collectible = await self.collectible()
        body: dict[str, Any] = {
            "kind": kind,
            "collectible": collectible,
            "label": unique("clue"),
            "city": "New York",
            **extra,
        }
        if kind != "social" and "location" not in body:
            body["location"] = {"lat": at[0], "lon": at[1]}
        if kind == "ar" and "ar" not in body:
            body["ar"] = {"asset_url": "https://img.example/robot.glb"}
        _, clue = await self.api.call(
            "POST", f"/v1/hunts/{self.slug}/clues", 201, headers=self.api.organiser, json=body
        )
        return clue

    def code(self, clue: dict[str, Any], step_offset: int = 0, rotate_s: int = 30) -> str:
        ring = self.api.settings.qr_keyring
        if clue["kind"] == "digital":
            now_step = step_at(datetime.now(UTC).timestamp(), rotate_s)
            return rotating_code(ring, clue["id"], now_step + step_offset)
        return static_code(ring, clue["id"])


async def make_hunt(
    api: Api, rules: dict[str, Any] | None = None, starts_in_h: float = -1, ends_in_h: float = 24
) -> Hunt:
    slug = unique("hunt")
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "slug": slug,
        "name": "Test hunt",
        "starts_at": iso(now + timedelta(hours=starts_in_h)),
        "ends_at": iso(now + timedelta(hours=ends_in_h)),
    }
    if rules:
        body["rules"] = rules
    await api.call("POST", "/v1/hunts", 201, headers=api.organiser, json=body)
    return Hunt(api, slug)


def at(point: tuple[float, float], accuracy_m: float = 10, **extra: Any) -> dict[str, Any]:
    return {"lat": point[0], "lon": point[1], "accuracy_m": accuracy_m, **extra}


def square_polygon(center: tuple[float, float], side_m: float) -> dict[str, Any]:
    """A closed, counter-clockwise GeoJSON square of about `side_m` metres around `center`."""
    lat, lon = center
    dlat = side_m / 2 / 111_000
    dlon = side_m / 2 / (111_000 * math.cos(math.radians(lat)))
    ring = [
        [lon - dlon, lat - dlat],
        [lon + dlon, lat - dlat],
        [lon + dlon, lat + dlat],
        [lon - dlon, lat + dlat],
        [lon - dlon, lat - dlat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


async def post_scan(api: Api, headers: dict[str, str], code: str, expect: int, **body: Any) -> Any:
    """POST /v1/scans with this code (and place, ticket...) as this hunter; its answer."""
    _, answer = await api.call(
        "POST", "/v1/scans", expect, headers=headers, json={"code": code, **body}
    )
    return answer


# --- live clients and servers (live screens' tests) ------------------------------------------

LIVE_TIMEOUT_S = 20.0  # a bound against hanging, never a measurement


class SseReader:
    """Server-Sent Events from an aiohttp response: (id, JSON data) one event at a time."""

    def __init__(self, response: Any) -> None:
        self.response = response

    async def next(self, limit_s: float = LIVE_TIMEOUT_S) -> tuple[str | None, dict[str, Any]]:
        import asyncio
        import json

        event_id, data = None, []
        while True:
            raw = await asyncio.wait_for(self.response.content.readline(), limit_s)
            if not raw:
                raise EOFError("the event stream ended")
            line = raw.decode().rstrip("\r\n")
            if line == "":
                if data:
                    return event_id, json.loads("\n".join(data))
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                event_id = value
            elif name == "data":
                data.append(value)

    async def until(self, kind: str, limit_s: float = LIVE_TIMEOUT_S) -> dict[str, Any]:
        """The next message of this type (others are skipped)."""
        while True:
            _, body = await self.next(limit_s)
            if body["type"] == kind:
                return body


async def delivered(db: Any, find_ids: list[int]) -> None:
    """Until the relay has put these finds' events in the stream (`db`: an asyncpg connection)."""
    while await db.fetchval(
        "SELECT count(*) FROM live_events e, jsonb_array_elements(e.payload->'events') AS f"
        " WHERE e.kind = 'finds' AND e.delivered_at IS NOT NULL"
        " AND (f->>0)::bigint = ANY($1::bigint[])",  # a find's array: its id first
        find_ids,
    ) < len(find_ids):
        await asyncio.sleep(0.02)


async def ws_until(ws: Any, kind: str, limit_s: float = LIVE_TIMEOUT_S) -> dict[str, Any]:
    """The next WebSocket message of this type (others are skipped), within `limit_s` in all:
    a stream of other messages cannot keep a test waiting for ever."""
    async with asyncio.timeout(limit_s):
        while True:
            body: dict[str, Any] = await ws.receive_json()
            if body["type"] == kind:
                return body
