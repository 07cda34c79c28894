"""Build hunts, collectibles and clues through the API, with unique names per test."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hunt_engine.codes import rotating_code, static_code, step_at
from tests.conftest import Api, unique

# Times Square, New York; a spot 5 km north (Central Park north end); Boston (~300 km away).
TIMES_SQUARE = (40.758, -73.9855)
FIVE_KM_NORTH = (40.80296, -73.9855)
BOSTON = (42.3601, -71.0589)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
