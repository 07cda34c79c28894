"""PostgreSQL killed with SIGKILL while scans arrive, then started again: while it is away scans
are answered 503 with Retry-After (never a 500, never left hanging), they are accepted again
soon after it is back, and the find of every 201 answered is there afterwards (a commit the
server answered for survives the crash).

On a cluster of the test's own (tests/support/postgres.py), the app served the way `geohunt
serve` serves it, scans by distinct hunters at one billboard with plenty of supply."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from server.app import create_app
from server.http.server import make_runner
from tests.support.api import Api, unique
from tests.support.builders import TIMES_SQUARE, at, make_hunt
from tests.support.database import migrated_database
from tests.support.postgres import RECOVERY_TIMEOUT_S, PostgresCluster

SCANNERS = 6
ACCEPTED_PER_PHASE = 20
# Hunters scanning before and during the outage, and a reserve kept for after the restart: on
# a busy machine the scans between the last check and the kill can take most of the first.
EARLY_HUNTERS = 160
LATE_HUNTERS = 2 * ACCEPTED_PER_PHASE
BOUND_S = 60.0  # a bound against hanging, never a measurement
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Outcome:
    phase: str  # before (the kill), away, back (after the restart)
    hunter_id: int
    status: int  # 0: no answer
    code: str | None = None
    retry_after: str | None = None
    content_type: str = ""
    find_id: int | None = None


@pytest.fixture
async def cluster() -> AsyncIterator[PostgresCluster]:
    pg = PostgresCluster()
    try:
        await asyncio.to_thread(pg.init)
        await asyncio.to_thread(pg.start)
        yield pg
    finally:
        await asyncio.to_thread(pg.destroy)


@pytest.fixture
async def served_on_cluster(cluster: PostgresCluster, settings_factory: Any) -> AsyncIterator[Api]:
    async with migrated_database(cluster.url, "geohunt_restart") as url:
        base = settings_factory()
        settings = settings_factory(
            database_url=url, redis_prefix=base.redis_prefix + unique("restart") + ":"
        )
        runner = make_runner(create_app(settings), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            port = int(runner.addresses[0][1])
            timeout = aiohttp.ClientTimeout(total=BOUND_S)
            base_url = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession(base_url=base_url, timeout=timeout) as session:
                yield Api(session, settings)
        finally:
            await runner.cleanup()


class Load:
    """Scanners sending one scan per hunter: a hunter whose scan was not accepted is tried
    again later (its find may or may not exist after an ambiguous 503). The late hunters scan
    only once the phase is back."""

    def __init__(
        self, api: Api, body: dict[str, Any], early: list[tuple[int, Any]], late: list[Any]
    ) -> None:
        self.api, self.body = api, body
        self.early: deque[tuple[int, Any]] = deque(early)
        self.late: deque[tuple[int, Any]] = deque(late)
        self.phase = "before"
        self.outcomes: list[Outcome] = []
        self.stop = asyncio.Event()

    def accepted(self, phase: str) -> int:
        return sum(1 for o in self.outcomes if o.phase == phase and o.status == 201)

    def refused(self, phase: str) -> int:
        return sum(1 for o in self.outcomes if o.phase == phase and o.status == 503)

    async def scanner(self) -> None:
        while not self.stop.is_set():
            phase = self.phase
            hunters = self.late if phase == "back" and self.late else self.early
            if not hunters:
                await asyncio.sleep(0.02)
                continue
            hunter_id, me = hunters.popleft()
            try:
                async with self.api.client.post("/v1/scans", headers=me, json=self.body) as r:
                    data = await r.json(content_type=None)
                    outcome = Outcome(
                        phase, hunter_id, r.status, data.get("code"),
                        r.headers.get("Retry-After"), r.content_type,
                        data["find"]["id"] if r.status == 201 else None,
                    )  # fmt: skip
            except (aiohttp.ClientError, TimeoutError) as err:
                outcome = Outcome(phase, hunter_id, 0, type(err).__name__)
            self.outcomes.append(outcome)
            if outcome.status != 201:
                hunters.append((hunter_id, me))
                await asyncio.sleep(0.02)

    def tally(self) -> str:
        counts = Counter((o.phase, o.status, o.code) for o in self.outcomes)
        return ", ".join(
            f"{phase} {status} {code or ''}: {n}" for (phase, status, code), n in counts.items()
        )

    async def until(self, check: Any, what: str, bound_s: float = BOUND_S) -> None:
        deadline = time.monotonic() + bound_s
        while not check():
            assert time.monotonic() < deadline, f"never happened: {what}; {self.tally()}"
            await asyncio.sleep(0.02)


async def test_scans_through_a_postgres_crash_and_restart(
    cluster: PostgresCluster, served_on_cluster: Api
) -> None:
    api = served_on_cluster
    hunt = await make_hunt(api, rules={"scans_per_minute": 1000})
    clue = await hunt.clue(collectible=await hunt.collectible(supply=100_000))
    early = [await api.hunter() for _ in range(EARLY_HUNTERS)]
    late = [await api.hunter() for _ in range(LATE_HUNTERS)]
    load = Load(api, {"code": hunt.code(clue), **at(TIMES_SQUARE)}, early, late)
    scanners = [asyncio.create_task(load.scanner()) for _ in range(SCANNERS)]
    try:
        await load.until(lambda: load.accepted("before") >= ACCEPTED_PER_PHASE, "scans accepted")
        load.phase = "away"
        await asyncio.to_thread(cluster.kill)
        await load.until(lambda: load.refused("away") >= 3 * SCANNERS, "503s while it is away")
        await asyncio.to_thread(cluster.start)
        load.phase = "back"
        # Accepted again soon after the restart: a bound against hanging, not a measurement.
        await load.until(
            lambda: load.accepted("back") >= ACCEPTED_PER_PHASE,
            "scans accepted again after the restart",
            bound_s=RECOVERY_TIMEOUT_S,
        )
    finally:
        load.stop.set()
        for scanner in scanners:
            scanner.cancel()
        await asyncio.gather(*scanners, return_exceptions=True)

    outcomes = load.outcomes
    unexpected = [o for o in outcomes if o.status not in (201, 409, 503)]
    assert not unexpected, unexpected[:5]  # no 500, and every request had an answer
    for o in outcomes:
        if o.status == 503:
            assert o.content_type == PROBLEM and o.code in ("unavailable", "overloaded"), o
            assert o.retry_after is not None and int(o.retry_after) >= 1, o
        if o.status == 409:
            # Only a hunter tried again after a 503 whose claim had committed in the crash.
            assert o.code == "already_found", o

    conn = await asyncpg.connect(api.settings.database_url)
    try:
        accepted = [o.find_id for o in outcomes if o.status == 201]
        stored = await conn.fetch("SELECT id, hunter_id FROM finds WHERE id = ANY($1)", accepted)
        assert len(stored) == len(accepted) == len(set(accepted))
        found_by = {row["hunter_id"] for row in stored}
        again = {o.hunter_id for o in outcomes if o.status == 409}
        held = await conn.fetch("SELECT hunter_id FROM finds WHERE hunter_id = ANY($1)", again)
        assert {row["hunter_id"] for row in held} == again and not again & found_by
    finally:
        await conn.close()
