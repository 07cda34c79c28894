"""The scan benchmarks' data (in the scratch database): one hunt, its clues, hunters and their
tokens.

Every request of the scan load is a distinct (hunter, collectible) pair, so that every one is
accepted. Two orders of the pairs (`pair`, mirrored by the wrk script):

- "spread" (the default): pair i = collectible i % N, hunter (i // N + (i % N) * (H // N)) % H:
  consecutive requests go to different collectibles and different hunters, as scans of a hunt
  spread over its billboards;
- "hot": pair i = hunter i % H, collectible i // H: every scan in flight is of the same
  collectible, so they queue on its counters' row locks (a crowd at one billboard).

Either way no two requests in flight share a hunter, and all billboards stand in one cluster
~800 m across, inside `travel_floor_m`: the travel check runs and passes.
"""

from __future__ import annotations

import json
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from hunt_engine.codes import static_code
from hunt_engine.rules import HuntRules
from infra.settings import Settings
from server.clues.importer import import_features
from server.http.auth import Principal, Role, TokenIssuer

CLUSTER_CENTER = (40.758, -73.9855)  # Times Square
CLUSTER_RADIUS_M = 400.0
# Extra clues of the large hunt: anywhere in New York, never scanned.
CITY_BOX = ((40.55, 40.95), (-74.20, -73.70))
# High enough never to refuse the load; the rate-limit script still runs on every scan.
SCANS_PER_MINUTE = 1_000_000
ORGANISER = Principal(Role.ORGANISER, "bench")


def cluster_point(k: int, n: int) -> tuple[float, float]:
    """The k-th of n points spread evenly over a disc (a sunflower spiral)."""
    r = CLUSTER_RADIUS_M * math.sqrt((k + 0.5) / n)
    theta = k * math.pi * (3 - math.sqrt(5))
    lat0, lon0 = CLUSTER_CENTER
    lat = lat0 + r * math.cos(theta) / 111_320
    lon = lon0 + r * math.sin(theta) / (111_320 * math.cos(math.radians(lat0)))
    return round(lat, 7), round(lon, 7)


def feature(key: str, label: str, lat: float, lon: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"kind": "billboard", "collectible": key, "label": label, "city": "NYC"},
    }


@dataclass
class ScanPlan:
    """What a load generator needs to send pair `i`: a token and a body."""

    hunt_id: int
    keys: list[str]  # collectible keys, in clue order
    bodies: list[bytes]  # one per collectible: its billboard's code, scanned on the spot
    hunter_ids: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    next_index: int = 0

    @property
    def capacity(self) -> int:
        return len(self.tokens) * len(self.bodies)

    def take(self, count: int) -> int:
        """Reserve `count` pairs; the first one's index."""
        start = self.next_index
        self.next_index += count
        return start

    def request(self, i: int, order: str = "spread") -> tuple[str, bytes]:
        hunter, collectible = pair(i, len(self.tokens), len(self.bodies), order)
        return self.tokens[hunter], self.bodies[collectible]


def pair(i: int, hunters: int, collectibles: int, order: str) -> tuple[int, int]:
    """(hunter index, collectible index) of request i: a bijection of [0, H * N)."""
    i %= hunters * collectibles
    if order == "hot":
        return i % hunters, i // hunters
    k = i % collectibles
    return (i // collectibles + k * max(1, hunters // collectibles)) % hunters, k


async def seed_hunt(conn: asyncpg.Connection, settings: Settings, collectibles: int) -> ScanPlan:
    now = datetime.now(UTC)
    rules = HuntRules(scans_per_minute=SCANS_PER_MINUTE).as_dict()
    hunt_id = await conn.fetchval(
        "INSERT INTO hunts (slug, name, starts_at, ends_at, rules, created_by)"
        " VALUES ($1, 'Benchmark hunt', $2, $3, $4, 'bench') RETURNING id",
        f"bench-{uuid.uuid4().hex[:8]}",
        now - timedelta(hours=1),
        now + timedelta(days=2),
        rules,
    )
    keys = [f"c{k:05d}" for k in range(collectibles)]
    await conn.execute(
        "INSERT INTO collectibles (hunt_id, key, name, image_url)"
        " SELECT $1, k, 'Collectible ' || k, 'https://img.example/' || k || '.png'"
        " FROM unnest($2::text[]) AS k",
        hunt_id,
        keys,
    )
    points = [cluster_point(k, collectibles) for k in range(collectibles)]
    features = [feature(key, f"board {key}", *p) for key, p in zip(keys, points, strict=True)]
    result = await import_features(conn, hunt_id, ORGANISER, features)
    assert not result["failed"], result["failed"]
    ring = settings.qr_keyring
    bodies = []
    for clue_id, (lat, lon) in zip(result["ids"], points, strict=True):
        code = f"{settings.public_base_url}/c/{static_code(ring, clue_id)}"
        body = {"code": code, "lat": lat, "lon": lon, "accuracy_m": 10.0, "device_id": "bench"}
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return ScanPlan(hunt_id, keys, bodies)


async def add_hunters(conn: asyncpg.Connection, settings: Settings, plan: ScanPlan, n: int) -> None:
    tag = uuid.uuid4().hex[:6]
    ids = await conn.fetchval(
        "WITH made AS (INSERT INTO hunters (handle)"
        " SELECT 'b' || $1::text || '-' || g FROM generate_series(1, $2) AS g RETURNING id)"
        " SELECT array_agg(id ORDER BY id) FROM made",
        tag,
        n,
    )
    issuer = TokenIssuer(settings.jwt_key)
    plan.hunter_ids += ids
    plan.tokens += [issuer.issue(Role.HUNTER, str(i), 6 * 3600)[0] for i in ids]


async def import_extra_clues(conn: asyncpg.Connection, plan: ScanPlan, count: int) -> float:
    """Add `count` billboards spread over the city, in bulk; the seconds it took."""
    rng = random.Random(7)
    (lat0, lat1), (lon0, lon1) = CITY_BOX
    features = [
        feature(
            plan.keys[n % len(plan.keys)],
            f"extra {n}",
            round(rng.uniform(lat0, lat1), 6),
            round(rng.uniform(lon0, lon1), 6),
        )
        for n in range(count)
    ]
    started = time.perf_counter()
    result = await import_features(conn, plan.hunt_id, ORGANISER, features)
    assert not result["failed"], result["failed"][:3]
    return time.perf_counter() - started
