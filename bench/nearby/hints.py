"""The AR hints benchmark's hunt and requests: AR clues among the scan-path benchmark's
billboards, one `/nearby` request per billboard (a hunter standing at it), and what the
answers carry."""

from __future__ import annotations

import statistics

import aiohttp
import asyncpg

from bench import seed
from server.clues.importer import import_features


def ar_feature(key: str, label: str, lat: float, lon: float) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "kind": "ar",
            "collectible": key,
            "label": label,
            "radius_m": 30,
            "ar": {"asset_url": "https://img.example/robot.glb"},
        },
    }


async def add_ar_clues(conn: asyncpg.Connection, plan: seed.ScanPlan, count: int) -> None:
    """AR clues among the billboards (the sunflower spiral again, turned half a step)."""
    features = []
    for k in range(count):
        lat, lon = seed.cluster_point(k, count)
        lat, lon = round(lat + 0.0002, 7), round(lon + 0.0002, 7)
        features.append(ar_feature(plan.keys[k % len(plan.keys)], f"ar {k}", lat, lon))
    result = await import_features(conn, plan.hunt_id, seed.ORGANISER, features)
    assert not result["failed"], result["failed"][:3]


def nearby_paths(slug: str, count: int, limit: int | None = None) -> list[str]:
    """One path per billboard: a hunter standing at it asks for hints."""
    extra = "" if limit is None else f"&limit={limit}"
    return [
        f"/v1/hunts/{slug}/nearby?lat={lat}&lon={lon}&accuracy_m=10{extra}"
        for lat, lon in (seed.cluster_point(k, count) for k in range(count))
    ]


async def sample_answers(port: int, token: str, paths: list[str]) -> dict[str, float]:
    """What the answers carry: hints, reveals, tickets, and how often `limit` cut them."""
    counts: dict[str, list[int]] = {"hints": [], "revealed": [], "tickets": [], "truncated": []}
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        for path in paths:
            async with session.get(path, headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"{path}: {response.status} {await response.text()}")
                body = await response.json()
            hints = body["hints"]
            counts["hints"].append(len(hints))
            counts["revealed"].append(sum("location" in h for h in hints))
            counts["tickets"].append(sum("ticket" in h for h in hints))
            counts["truncated"].append(int(body["truncated"]))
    return {k: round(statistics.mean(v), 1) for k, v in counts.items()}
