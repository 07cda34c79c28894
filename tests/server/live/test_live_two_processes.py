"""Two `geohunt serve` processes on one database and a Redis of the test's own: a scan taken by
one reaches the live clients of the other; an SSE client resumes without loss; a FLUSHALL and a
Redis outage lose nothing (the tests run in this order, on one pair of servers)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from redis.asyncio import Redis

from infra.settings import Settings
from server.common.redis_keys import board_pattern, marker_key
from server.http.auth import Role
from tests.support.api import TEST_SECRET, Api
from tests.support.builders import (
    LIVE_TIMEOUT_S,
    TIMES_SQUARE,
    Hunt,
    SseReader,
    at,
    delivered,
    make_hunt,
    ws_until,
)
from tests.support.processes import GEOHUNT, RedisServer, free_port

SSE = {"Accept": "text/event-stream"}


@dataclass
class Cluster:
    redis_server: RedisServer
    redis: Redis
    prefix: str
    a: Api
    b: Api
    hunt: Hunt
    screen: dict[str, str]
    logs: list[Path]

    async def scan(self, api: Api, clue: dict[str, Any], me: dict[str, str]) -> dict[str, Any]:
        body = {"code": self.hunt.code(clue), **at(TIMES_SQUARE)}
        _, answer = await api.call("POST", "/v1/scans", 201, headers=me, json=body)
        return answer  # type: ignore[no-any-return]

    def log_tail(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in self.logs)


async def start_server(env: dict[str, str], log: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            GEOHUNT, "serve", "--port", str(port), env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(int(LIVE_TIMEOUT_S * 20)):
            if proc.returncode is not None:
                break
            try:
                async with session.get(url + "/healthz") as answer:
                    if answer.status == 200:
                        return proc, url
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    if proc.returncode is None:
        proc.kill()
    tail = (await asyncio.to_thread(log.read_text))[-3000:]
    raise RuntimeError(f"geohunt serve did not start:\n{tail}")


@pytest.fixture(scope="module")
async def cluster(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    workdir = tmp_path_factory.mktemp("live-cluster")
    redis_server = RedisServer(workdir)
    redis_server.start()
    prefix = f"geohunt-live-{uuid.uuid4().hex[:8]}:"
    env = {
        **os.environ,
        "GEOHUNT_SECRET": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "GEOHUNT_REDIS_PREFIX": prefix,
        "PUBLIC_BASE_URL": "http://geohunt.test",
        "GEOHUNT_DB_POOL_MAX": "5",
    }
    settings = Settings.from_env(env)
    logs = [workdir / "a.log", workdir / "b.log"]
    procs, sessions = [], []
    try:
        for log in logs:
            proc, url = await start_server(env, log)
            procs.append(proc)
            sessions.append(aiohttp.ClientSession(base_url=url))
        a, b = (Api(s, settings) for s in sessions)
        hunt = await make_hunt(a)
        redis = Redis.from_url(redis_server.url)
        screen = a.auth(Role.SCREEN, "venue", hunt=hunt.slug)
        yield Cluster(redis_server, redis, prefix, a, b, hunt, screen, logs)
        await redis.aclose()
    finally:
        for session in sessions:
            await session.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        redis_server.stop()


async def test_a_scan_on_one_process_reaches_live_clients_of_the_other(cluster: Cluster) -> None:
    hunt, a, b = cluster.hunt, cluster.a, cluster.b
    clue = await hunt.clue()
    path = f"/v1/hunts/{hunt.slug}"
    async with b.client.ws_connect(path + "/live", headers=cluster.screen) as ws:
        events = await b.client.get(path + "/events", headers={**cluster.screen, **SSE})
        sse = SseReader(events)
        assert (await ws.receive_json(timeout=LIVE_TIMEOUT_S))["type"] == "snapshot"
        assert (await sse.next())[1]["type"] == "snapshot"
        hunter_id, me = await a.hunter()
        answer = await cluster.scan(a, clue, me)
        by_ws = await ws_until(ws, "find")
        by_sse = await sse.until("find")
        assert by_ws == by_sse
        assert by_ws["find"]["id"] == answer["find"]["id"]
        assert by_ws["hunter"]["hunter_id"] == hunter_id
        board = await ws_until(ws, "leaderboard")
        assert [e["hunter_id"] for e in board["entries"]] == [hunter_id]
        events.close()


async def test_sse_resume_with_last_event_id_gets_every_missed_event_once(
    cluster: Cluster, database_url: str
) -> None:
    hunt, a, b = cluster.hunt, cluster.a, cluster.b
    clues = [await hunt.clue() for _ in range(4)]
    path = f"/v1/hunts/{hunt.slug}/events"
    headers = {**cluster.screen, **SSE}
    first = await b.client.get(path, headers=headers)
    last_id, snapshot = await SseReader(first).next()
    assert snapshot["type"] == "snapshot" and last_id
    first.close()

    missed = []
    for clue in clues:
        _, me = await a.hunter()
        missed.append((await cluster.scan(a, clue, me))["find"]["id"])
    conn = await asyncpg.connect(database_url)
    try:
        await asyncio.wait_for(delivered(conn, missed), LIVE_TIMEOUT_S)
    finally:
        await conn.close()

    again = await b.client.get(path, headers={**headers, "Last-Event-ID": last_id})
    resumed = SseReader(again)
    got, ids = [], []
    while True:
        event_id, body = await resumed.next()
        if body["type"] == "leaderboard":
            break
        if body["type"] == "find":
            got.append(body["find"]["id"])
            ids.append(event_id)
    assert got == missed  # each once, in order
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    # And it goes on live: the next find arrives after the replay.
    _, me = await a.hunter()
    later = await cluster.scan(a, clues[0], me)
    assert (await resumed.until("find"))["find"]["id"] == later["find"]["id"]
    again.close()


async def wait_for_marker(cluster: Cluster) -> None:
    """Until the relay has marked Redis as holding everything of the cluster's hunt."""
    conn = await asyncpg.connect(cluster.a.settings.database_url)
    try:
        hunt_id = await conn.fetchval("SELECT id FROM hunts WHERE slug = $1", cluster.hunt.slug)
    finally:
        await conn.close()
    while await cluster.redis.get(marker_key(cluster.prefix, hunt_id)) is None:
        await asyncio.sleep(0.05)


async def all_delivered(api: Api) -> None:
    conn = await asyncpg.connect(api.settings.database_url)
    try:
        while await conn.fetchval(UNDELIVERED_SQL):
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


UNDELIVERED_SQL = "SELECT count(*) FROM live_events WHERE delivered_at IS NULL"


async def test_after_flushall_the_leaderboard_comes_back_identical(cluster: Cluster) -> None:
    hunt, a, b = cluster.hunt, cluster.a, cluster.b
    clues = [await hunt.clue() for _ in range(3)]
    for n in range(6):
        _, me = await a.hunter()
        for clue in clues[: 1 + n % 3]:
            await cluster.scan(a if n % 2 else b, clue, me)
    path = f"/v1/hunts/{hunt.slug}/leaderboard?limit=100"
    _, before = await b.call("GET", path, 200)
    hunt_id = await b.call("GET", path, 200)  # warm: the hunt's id below comes from the board
    # Every event delivered before Redis is read (on a busy machine the relays may still be
    # publishing the last finds, which would then count after the flush but not before).
    await asyncio.wait_for(all_delivered(a), LIVE_TIMEOUT_S)
    keys = [k async for k in cluster.redis.scan_iter(match=board_pattern(cluster.prefix))]
    boards = {k: await cluster.redis.zrange(k, 0, -1, withscores=True) for k in keys}
    assert any(len(v) >= 6 for v in boards.values()), hunt_id
    pattern = f"{cluster.prefix}{{hunt:*}}:live"
    streams = [k async for k in cluster.redis.scan_iter(match=pattern)]
    lengths = {k: await cluster.redis.xlen(k) for k in streams}

    await cluster.redis.flushall()
    await asyncio.wait_for(wait_for_marker(cluster), LIVE_TIMEOUT_S)

    for key, entries in boards.items():
        assert await cluster.redis.zrange(key, 0, -1, withscores=True) == entries, key
    for key, length in lengths.items():
        assert await cluster.redis.xlen(key) == length, key
    _, after_b = await b.call("GET", path, 200)
    _, after_a = await a.call("GET", path, 200)
    assert after_a == after_b == before
    assert len(before["entries"]) >= 6


async def test_with_redis_stopped_scans_are_accepted_and_nothing_is_lost(
    cluster: Cluster,
) -> None:
    hunt, a, b = cluster.hunt, cluster.a, cluster.b
    clues = [await hunt.clue() for _ in range(2)]
    async with b.client.ws_connect(f"/v1/hunts/{hunt.slug}/live", headers=cluster.screen) as ws:
        await ws_until(ws, "snapshot")
        cluster.redis_server.stop()
        found = []
        for api in (a, b, a):
            hunter_id, me = await api.hunter()
            answer = await cluster.scan(api, clues[0], me)
            assert answer["rank"] >= 1
            found.append(answer["find"]["id"])
        for api in (a, b):
            status, problem = await api.call("GET", "/readyz")
            assert status == 503 and "redis" in problem["detail"], problem
            assert problem["checks"]["database"] == "ok"
        # The leaderboard is read from PostgreSQL meanwhile.
        _, board = await b.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard?limit=100", 200)
        assert hunter_id in [e["hunter_id"] for e in board["entries"]]

        cluster.redis_server.start()  # empty: as after a restart without persistence
        await asyncio.wait_for(wait_for_marker(cluster), LIVE_TIMEOUT_S)
        # The finds taken while Redis was away reach the screen that stayed connected.
        seen: list[int] = []
        while len(seen) < len(found):
            message = await ws_until(ws, "find")
            if message["find"]["id"] in found:
                seen.append(message["find"]["id"])
        assert seen == found
    _, again = await b.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard?limit=100", 200)
    assert again == board
    status, _ = await a.call("GET", "/readyz")
    assert status == 200, cluster.log_tail()
