"""The hunt the fans play, on the scratch stack: the scan benchmarks' cluster of billboards
around Times Square (`bench/seed.py`), a code of its first billboard as printed on it, and
hunters with their tokens, each kept in a page the way the fan app keeps a session."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from playwright.async_api import StorageState

if TYPE_CHECKING:
    from playwright._impl._api_structures import LocalStorageEntry

from bench import seed
from bench.scratch import Stack
from hunt_engine.codes import static_code

SESSION_KEY = "geohunt.session"  # web/fan/session.js
BILLBOARD_SQL = """
SELECT cl.id, cl.lat, cl.lon, c.name, h.slug
FROM clues cl JOIN collectibles c ON c.id = cl.collectible_id JOIN hunts h ON h.id = cl.hunt_id
WHERE cl.hunt_id = $1 ORDER BY cl.id LIMIT 1
"""
FINDS_SQL = "SELECT count(*) FROM finds WHERE clue_id = $1"
HANDLES_SQL = "SELECT id, handle FROM hunters WHERE id = ANY($1::bigint[])"


@dataclass
class Fan:
    hunter_id: int
    handle: str
    token: str

    def storage(self, origin: str) -> StorageState:
        """A browser's storage state holding this fan's session, as web/fan/session.js keeps
        it in localStorage: {token, hunter_id, handle, wallet}."""
        session = {"token": self.token, "hunter_id": self.hunter_id, "handle": self.handle}
        value = json.dumps({**session, "wallet": None})
        item: LocalStorageEntry = {"name": SESSION_KEY, "value": value}
        return {"cookies": [], "origins": [{"origin": origin, "localStorage": [item]}]}


@dataclass
class Hunt:
    origin: str  # http://localhost:PORT: a secure context, as geolocation and service workers need
    slug: str
    clue_id: int
    code: str  # the bare code of the billboard: its page is /c/{code}
    at: tuple[float, float]  # where the billboard stands
    collectible: str
    fans: list[Fan] = field(default_factory=list)

    @property
    def code_path(self) -> str:
        return f"/c/{self.code}"


async def seed_hunt(stack: Stack, billboards: int, fans: int) -> Hunt:
    """One hunt of `billboards` billboards and `fans` hunters who have found nothing yet."""
    db = stack.db
    plan = await seed.seed_hunt(db, stack.settings, billboards)
    await seed.add_hunters(db, stack.settings, plan, fans)
    clue = await db.fetchrow(BILLBOARD_SQL, plan.hunt_id)
    handles = dict(await db.fetch(HANDLES_SQL, plan.hunter_ids))
    return Hunt(
        origin=f"http://localhost:{stack.server.port}",
        slug=clue["slug"],
        clue_id=clue["id"],
        code=static_code(stack.settings.qr_keyring, clue["id"]),
        at=(clue["lat"], clue["lon"]),
        collectible=clue["name"],
        fans=[
            Fan(i, handles[i], token) for i, token in zip(plan.hunter_ids, plan.tokens, strict=True)
        ],
    )


async def finds_of_billboard(stack: Stack, hunt: Hunt) -> int:
    return int(await stack.db.fetchval(FINDS_SQL, hunt.clue_id))
