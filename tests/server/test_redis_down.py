"""Scans without Redis: accepted, rate-limited per process, replayed by the process that
answered; ranks and leaderboards from PostgreSQL; /readyz says Redis is down; live streams
answer 503. When Redis is back the relay rebuilds what it lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from server.app import create_app
from server.common.redis_keys import board_key, marker_key
from server.http.app_keys import SERVICES
from server.http.auth import Role
from tests.support.api import Api
from tests.support.builders import LIVE_TIMEOUT_S, TIMES_SQUARE, at, make_hunt
from tests.support.processes import RedisServer


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def api_on_own_redis(
    aiohttp_client: Any, settings_factory: Any, own_redis: RedisServer
) -> Api:
    settings = settings_factory(redis_url=own_redis.url, redis_prefix="down:")
    return Api(await aiohttp_client(create_app(settings)), settings)


async def test_scans_go_on_without_redis(api_on_own_redis: Api, own_redis: RedisServer) -> None:
    api = api_on_own_redis
    hunt = await make_hunt(api, rules={"scans_per_minute": 3})
    clues = [await hunt.clue() for _ in range(4)]
    first_id, first = await api.hunter()
    scan = {"code": hunt.code(clues[0]), **at(TIMES_SQUARE)}
    _, before = await api.call("POST", "/v1/scans", 201, headers=first, json=scan)
    assert before["rank"] == 1

    own_redis.stop()
    hunter_id, me = await api.hunter()
    answers = []
    for clue in clues[:3]:
        body = {"code": hunt.code(clue), **at(TIMES_SQUARE)}
        _, answer = await api.call(
            "POST", "/v1/scans", 201, headers={**me, "Idempotency-Key": f"k{clue['id']}"}, json=body
        )
        answers.append(answer)
    # Ranks come from PostgreSQL: the newcomer passes the first hunter at its second find.
    assert [(a["score"], a["rank"]) for a in answers] == [(1, 2), (2, 1), (3, 1)]
    # The same key and body replays the first answer, from this process's memory.
    body = {"code": hunt.code(clues[0]), **at(TIMES_SQUARE)}
    status, replay = await api.call(
        "POST", "/v1/scans", headers={**me, "Idempotency-Key": f"k{clues[0]['id']}"}, json=body
    )
    assert (status, replay) == (200, answers[0])
    # The rate limit holds in this process (3 a minute: the fourth attempt is refused).
    body = {"code": hunt.code(clues[3]), **at(TIMES_SQUARE)}
    status, problem = await api.call("POST", "/v1/scans", headers=me, json=body)
    assert (status, problem["code"]) == (429, "rate_limited")

    status, problem = await api.call("GET", "/readyz")
    assert status == 503 and problem["code"] == "not_ready"
    assert "redis" in problem["detail"] and problem["checks"]["database"] == "ok"
    _, board = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard", 200)
    assert [(e["hunter_id"], e["rank"]) for e in board["entries"]] == [
        (hunter_id, 1),
        (first_id, 2),
    ]
    screen = api.auth(Role.SCREEN, "venue", hunt.slug)
    status, problem = await api.call("GET", f"/v1/hunts/{hunt.slug}/events", headers=screen)
    assert (status, problem["code"]) == (503, "unavailable")

    own_redis.start()  # empty, as after a restart without persistence
    redis = Redis.from_url(own_redis.url)
    try:
        hunt_id = await api.client.app[SERVICES].pool.fetchval(
            "SELECT id FROM hunts WHERE slug = $1", hunt.slug
        )
        while await redis.get(marker_key("down:", hunt_id)) is None:
            await asyncio.sleep(0.05)
        members = await redis.zrevrange(board_key("down:", hunt_id), 0, -1)
        assert [int(m) for m in members] == [hunter_id, first_id]
        _, again = await api.call("GET", f"/v1/hunts/{hunt.slug}/leaderboard", 200)
        assert again == board
        status, _ = await api.call("GET", "/readyz")
        assert status == 200
    finally:
        await redis.aclose()


async def test_live_socket_answers_503_while_redis_is_down(
    api_on_own_redis: Api, own_redis: RedisServer
) -> None:
    api = api_on_own_redis
    hunt = await make_hunt(api)
    own_redis.stop()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await api.client.ws_connect(
            f"/v1/hunts/{hunt.slug}/live",
            headers=api.auth(Role.SCREEN, "venue", hunt.slug),
            timeout=aiohttp.ClientWSTimeout(ws_receive=LIVE_TIMEOUT_S),
        )
    assert refused.value.status == 503
    assert refused.value.headers is not None and refused.value.headers["Retry-After"] == "2"
